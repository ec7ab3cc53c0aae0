// Package brakettest is a fake AWS Braket with its S3: the REST-JSON
// operations the braket adapter uses (SearchDevices, GetDevice,
// CreateQuantumTask, GetQuantumTask, CancelQuantumTask) and S3 GetObject,
// each on an httptest server. Every request must carry a valid SigV4
// signature: the fake re-signs the request with aws-sdk-go-v2's signer and
// the secret key it knows, and compares. It answers errors the way Braket
// does (x-amzn-ErrorType and {"message"}), and S3 the way S3 does (XML).
package brakettest

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/qguard/qguard/provider/providertest"
)

// Well-known device ARNs the fake offers.
const (
	SV1    = "arn:aws:braket:::device/quantum-simulator/amazon/sv1"
	Forte1 = "arn:aws:braket:us-east-1::device/qpu/ionq/Forte-1"
	Garnet = "arn:aws:braket:eu-north-1::device/qpu/iqm/Garnet" // another region: not found in us-east-1
)

// Device is a fake device.
type Device struct {
	Arn, Name, Type, Provider, Status string
	Qubits                            int
	ShotsMin, ShotsMax                int
	Cost                              float64
	CostUnit                          string
	// Operations are the supportedOperations of braket.ir.openqasm.program.
	Operations []string
}

// Gate sets of the fake devices (from the devices' capability documents).
var (
	IonQOperations = []string{"x", "y", "z", "rx", "ry", "rz", "h", "cnot", "s", "si", "t", "ti", "v", "vi", "xx", "yy", "zz", "swap"}
	SV1Operations  = []string{"ccnot", "cnot", "cphaseshift", "cphaseshift00", "cphaseshift01", "cphaseshift10", "cswap", "cy", "cz", "ecr",
		"h", "i", "iswap", "pswap", "phaseshift", "rx", "ry", "rz", "s", "si", "swap", "t", "ti", "unitary", "v", "vi", "x", "xx", "xy", "y", "yy", "z", "zz", "U", "gpi", "gpi2", "ms"}
)

// Server is the fake: API is Braket's endpoint, S3 the path-style S3,
// STS answers AssumeRole for RoleArn with session credentials that the
// other two then accept.
type Server struct {
	API *httptest.Server
	S3  *httptest.Server
	STS *httptest.Server
	providertest.Middleware

	AccessKeyID     string
	SecretAccessKey string
	Region          string
	RoleArn         string

	sessions map[string][2]string // assumed access key id → secret, session token
	callers  map[string]int       // access key id → signed Braket and S3 calls
	assumed  int

	mu       sync.Mutex
	devices  map[string]*Device
	tasks    map[string]*task
	byToken  map[string]string // clientToken → task ARN
	objects  map[string][]byte // bucket/key → body
	polls    int
	sigFails int
}

type task struct {
	arn, device, status, bucket, dir, token string
	shots, qubits                           int
	tags                                    map[string]string
	body                                    []byte // request, for idempotency
	polls                                   int
}

// New starts the fake with SV1 (ONLINE), Forte-1 (ONLINE) and the account's
// keys in AccessKeyID / SecretAccessKey.
func New(t testing.TB) *Server {
	s := &Server{
		AccessKeyID:     "AKIAFAKEQGUARD000001",
		SecretAccessKey: "fakeSecretKey/qguard+TEST0123456789abcdE",
		Region:          "us-east-1",
		RoleArn:         "arn:aws:iam::123456789012:role/qguard-braket",
		sessions:        map[string][2]string{},
		callers:         map[string]int{},
		devices:         map[string]*Device{},
		tasks:           map[string]*task{},
		byToken:         map[string]string{},
		objects:         map[string][]byte{},
		polls:           2,
	}
	s.SetDevice(Device{Arn: SV1, Name: "SV1", Type: "SIMULATOR", Provider: "Amazon Braket", Status: "ONLINE", Qubits: 34, ShotsMin: 0, ShotsMax: 100000, Cost: 0.075, CostUnit: "minute", Operations: SV1Operations})
	s.SetDevice(Device{Arn: Forte1, Name: "Forte 1", Type: "QPU", Provider: "IonQ", Status: "ONLINE", Qubits: 36, ShotsMin: 1, ShotsMax: 5000, Cost: 0.08, CostUnit: "shot", Operations: IonQOperations})
	api := http.NewServeMux()
	api.HandleFunc("POST /devices", s.searchDevices)
	api.HandleFunc("GET /device/{arn}", s.getDevice)
	api.HandleFunc("POST /quantum-task", s.createTask)
	api.HandleFunc("GET /quantum-task/{arn}", providertest.Locked(&s.mu, s.task, s.getTask))
	api.HandleFunc("PUT /quantum-task/{arn}/cancel", s.cancelTask)
	s.API = httptest.NewServer(s.Wrap(s.verify("braket", api)))
	s3 := http.NewServeMux()
	s3.HandleFunc("GET /{bucket}/{key...}", s.getObject)
	s.S3 = httptest.NewServer(s.Wrap(s.verify("s3", s3)))
	s.STS = httptest.NewServer(s.Wrap(s.verify("sts", http.HandlerFunc(s.assumeRole))))
	t.Cleanup(s.Close)
	return s
}

// Close stops the servers.
func (s *Server) Close() { s.API.Close(); s.S3.Close(); s.STS.Close() }

// Callers counts signed Braket and S3 calls per access key id.
func (s *Server) Callers() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for k, v := range s.callers {
		out[k] = v
	}
	return out
}

// Session returns new temporary credentials the fake accepts, as STS
// would issue them.
func (s *Server) Session() (akid, secret, token string) {
	b := make([]byte, 30)
	rand.Read(b)
	akid = "ASIA" + strings.ToUpper(hex.EncodeToString(b[:8]))
	secret = hex.EncodeToString(b[8:28])
	token = "FQoGZXIvYXdzE" + hex.EncodeToString(b) + strings.Repeat("A", 60)
	s.mu.Lock()
	s.sessions[akid] = [2]string{secret, token}
	s.mu.Unlock()
	return akid, secret, token
}

// AssumeRoleCalls counts successful AssumeRole calls.
func (s *Server) AssumeRoleCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.assumed
}

// assumeRole is STS AssumeRole (query protocol): the caller must sign with
// the account's long-term keys and name RoleArn.
func (s *Server) assumeRole(w http.ResponseWriter, r *http.Request) {
	stsError := func(status int, code, msg string) {
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(status)
		fmt.Fprintf(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error></ErrorResponse>`, code, msg)
	}
	if err := r.ParseForm(); err != nil || r.Method != http.MethodPost || r.PostForm.Get("Action") != "AssumeRole" || r.PostForm.Get("Version") != "2011-06-15" {
		stsError(400, "InvalidAction", "Could not find operation")
		return
	}
	if r.PostForm.Get("RoleArn") != s.RoleArn || r.PostForm.Get("RoleSessionName") == "" {
		stsError(403, "AccessDenied", "User is not authorized to perform: sts:AssumeRole on resource: "+r.PostForm.Get("RoleArn"))
		return
	}
	if r.Header.Get("X-Amz-Security-Token") != "" {
		stsError(403, "AccessDenied", "role chaining is not allowed by this fake")
		return
	}
	akid, secret, token := s.Session()
	s.mu.Lock()
	s.assumed++
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials><AccessKeyId>%s</AccessKeyId><SecretAccessKey>%s</SecretAccessKey><SessionToken>%s</SessionToken><Expiration>%s</Expiration></Credentials><AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/qguard-braket/%s</Arn><AssumedRoleId>AROAFAKE:%s</AssumedRoleId></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ResponseMetadata></AssumeRoleResponse>`,
		akid, secret, token, time.Now().Add(time.Hour).UTC().Format(time.RFC3339), r.PostForm.Get("RoleSessionName"), r.PostForm.Get("RoleSessionName"))
}

// SetDevice adds or replaces a device.
func (s *Server) SetDevice(d Device) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.devices[d.Arn] = &d
}

// SetDeviceStatus sets ONLINE, OFFLINE or RETIRED.
func (s *Server) SetDeviceStatus(arn, status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.devices[arn].Status = status
}

// SignatureFailures counts requests refused for their signature.
func (s *Server) SignatureFailures() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sigFails
}

// Tasks counts created tasks.
func (s *Server) Tasks() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.tasks)
}

// Task returns a task's tags and shots.
func (s *Server) Task(arn string) (tags map[string]string, shots int, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tasks[arn]
	if t == nil {
		return nil, 0, false
	}
	return t.tags, t.shots, true
}

func awsError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("X-Amzn-ErrorType", typ+":")
	providertest.WriteJSON(w, status, map[string]string{"message": msg})
}

func s3Error(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message></Error>`, code, msg)
}

var authRe = regexp.MustCompile(`^AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$`)

// verify checks the SigV4 signature by re-signing the request with the
// SDK's signer and comparing signatures in constant time.
func (s *Server) verify(service string, next http.Handler) http.Handler {
	fail := func(w http.ResponseWriter, status int, code, msg string) {
		s.mu.Lock()
		s.sigFails++
		s.mu.Unlock()
		if service == "s3" {
			s3Error(w, status, code, msg)
		} else {
			awsError(w, status, code, msg)
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m := authRe.FindStringSubmatch(r.Header.Get("Authorization"))
		if m == nil {
			fail(w, 403, "MissingAuthenticationTokenException", "Missing Authentication Token")
			return
		}
		akid, date, region, svc, signed, sig := m[1], m[2], m[3], m[4], m[5], m[6]
		secret, wantToken := s.SecretAccessKey, ""
		s.mu.Lock()
		sess, isSession := s.sessions[akid]
		s.mu.Unlock()
		switch {
		case isSession:
			secret, wantToken = sess[0], sess[1]
		case subtle.ConstantTimeCompare([]byte(akid), []byte(s.AccessKeyID)) != 1:
			fail(w, 403, "UnrecognizedClientException", "The security token included in the request is invalid.")
			return
		}
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("X-Amz-Security-Token")), []byte(wantToken)) != 1 {
			fail(w, 403, "UnrecognizedClientException", "The security token included in the request is invalid.")
			return
		}
		if region != s.Region || svc != service {
			fail(w, 403, "InvalidSignatureException", "Credential should be scoped to a valid region and service.")
			return
		}
		when, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
		if err != nil || when.Format("20060102") != date {
			fail(w, 403, "IncompleteSignatureException", "X-Amz-Date is missing or does not match the credential scope.")
			return
		}
		if d := time.Since(when); d > 15*time.Minute || d < -15*time.Minute {
			fail(w, 403, "InvalidSignatureException", "Signature expired: the request time is more than 15 minutes from the server time.")
			return
		}
		names := strings.Split(signed, ";")
		if !contains(names, "host") || !contains(names, "x-amz-date") {
			fail(w, 403, "IncompleteSignatureException", "host and x-amz-date must be signed.")
			return
		}
		if r.Header.Get("X-Amz-Security-Token") != "" && !contains(names, "x-amz-security-token") {
			fail(w, 403, "IncompleteSignatureException", "x-amz-security-token must be signed.")
			return
		}
		body := new(bytes.Buffer)
		body.ReadFrom(r.Body)
		r.Body.Close()
		sum := sha256.Sum256(body.Bytes())
		payload := hex.EncodeToString(sum[:])
		if service == "s3" {
			h := r.Header.Get("X-Amz-Content-Sha256")
			if h == "" || (h != "UNSIGNED-PAYLOAD" && h != payload) {
				fail(w, 400, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.")
				return
			}
			payload = h
		}
		// Rebuild the request as the client signed it: only signed headers.
		u := &url.URL{Scheme: "http", Host: r.Host, Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery}
		re, _ := http.NewRequest(r.Method, u.String(), nil)
		re.URL = u
		re.Host = r.Host
		if contains(names, "content-length") { // the Go SDK signs it, botocore does not
			re.ContentLength = r.ContentLength
		}
		for _, n := range names {
			if n == "host" || n == "content-length" {
				continue
			}
			vals, ok := r.Header[http.CanonicalHeaderKey(n)]
			if !ok {
				fail(w, 403, "InvalidSignatureException", "a signed header is missing: "+n)
				return
			}
			re.Header[http.CanonicalHeaderKey(n)] = vals
		}
		creds := aws.Credentials{AccessKeyID: akid, SecretAccessKey: secret, SessionToken: r.Header.Get("X-Amz-Security-Token")}
		err = v4.NewSigner().SignHTTP(r.Context(), creds, re, payload, service, region, when, func(o *v4.SignerOptions) {
			o.DisableURIPathEscaping = service == "s3"
		})
		want := authRe.FindStringSubmatch(re.Header.Get("Authorization"))
		if err != nil || want == nil || want[5] != signed || subtle.ConstantTimeCompare([]byte(want[6]), []byte(sig)) != 1 {
			fail(w, 403, "InvalidSignatureException", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.")
			return
		}
		if service != "sts" {
			s.mu.Lock()
			s.callers[akid]++
			s.mu.Unlock()
		}
		r.Body = http.NoBody
		if body.Len() > 0 {
			r.Body = &readCloser{bytes.NewReader(body.Bytes())}
		}
		next.ServeHTTP(w, r)
	})
}

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// decode reads a JSON body strictly, as Braket's validation does.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if ct := r.Header.Get("Content-Type"); ct != "application/json" && ct != "application/x-amz-json-1.1" {
		awsError(w, 400, "ValidationException", "Content-Type must be application/json")
		return false
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		awsError(w, 400, "ValidationException", "1 validation error detected: "+err.Error())
		return false
	}
	return true
}

func (s *Server) summary(d *Device) map[string]any {
	return map[string]any{"deviceArn": d.Arn, "deviceName": d.Name, "deviceStatus": d.Status, "deviceType": d.Type, "providerName": d.Provider}
}

func (s *Server) searchDevices(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Filters []struct {
			Name   string   `json:"name"`
			Values []string `json:"values"`
		} `json:"filters"`
		MaxResults int    `json:"maxResults"`
		NextToken  string `json:"nextToken"`
	}
	if !decode(w, r, &req) {
		return
	}
	if req.Filters == nil || req.MaxResults < 0 || req.MaxResults > 100 {
		awsError(w, 400, "ValidationException", "filters is required and maxResults must be between 1 and 100")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []any{}
	for _, d := range s.devices {
		out = append(out, s.summary(d))
	}
	providertest.WriteJSON(w, 200, map[string]any{"devices": out})
}

func (s *Server) getDevice(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	d := s.devices[r.PathValue("arn")]
	s.mu.Unlock()
	if d == nil {
		awsError(w, 404, "ResourceNotFoundException", "Braket device "+r.PathValue("arn")+" not found")
		return
	}
	caps, _ := json.Marshal(map[string]any{
		"braketSchemaHeader": map[string]string{"name": "braket.device_schema.ionq.ionq_device_capabilities", "version": "1"},
		"service": map[string]any{"shotsRange": []int{d.ShotsMin, d.ShotsMax}, "deviceCost": map[string]any{"price": d.Cost, "unit": d.CostUnit},
			"executionWindows": []any{map[string]string{"executionDay": "Everyday", "windowStartHour": "00:00", "windowEndHour": "23:59"}}},
		"action": map[string]any{"braket.ir.openqasm.program": map[string]any{"version": []string{"1"}, "supportedOperations": d.Operations,
			"supportedModifiers": []any{}, "supportedPragmas": []string{"verbatim"}}},
		"paradigm": map[string]any{"qubitCount": d.Qubits},
	})
	m := s.summary(d)
	m["deviceCapabilities"] = string(caps)
	providertest.WriteJSON(w, 200, m)
}

var (
	qubitDecl = regexp.MustCompile(`qubit\[(\d+)\]`)
	arnTask   = "arn:aws:braket:%s:123456789012:quantum-task/%s"
)

func (s *Server) createTask(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Action            *string           `json:"action"`
		ClientToken       string            `json:"clientToken"`
		DeviceArn         string            `json:"deviceArn"`
		DeviceParameters  string            `json:"deviceParameters"`
		OutputS3Bucket    string            `json:"outputS3Bucket"`
		OutputS3KeyPrefix string            `json:"outputS3KeyPrefix"`
		Shots             *int64            `json:"shots"`
		Tags              map[string]string `json:"tags"`
		JobToken          string            `json:"jobToken"`
	}
	if !decode(w, r, &req) {
		return
	}
	switch {
	case req.Action == nil || req.Shots == nil || req.DeviceArn == "" || req.OutputS3Bucket == "" || req.OutputS3KeyPrefix == "":
		awsError(w, 400, "ValidationException", "action, clientToken, deviceArn, outputS3Bucket, outputS3KeyPrefix and shots are required")
		return
	case len(req.ClientToken) < 1 || len(req.ClientToken) > 64:
		awsError(w, 400, "ValidationException", "clientToken must be 1 to 64 characters")
		return
	}
	var action struct {
		Header struct {
			Name    string `json:"name"`
			Version string `json:"version"`
		} `json:"braketSchemaHeader"`
		Source string `json:"source"`
	}
	if err := json.Unmarshal([]byte(*req.Action), &action); err != nil || action.Header.Name != "braket.ir.openqasm.program" ||
		action.Header.Version != "1" || !strings.HasPrefix(strings.TrimSpace(action.Source), "OPENQASM") {
		awsError(w, 400, "ValidationException", "action must be a braket.ir.openqasm.program document with an OpenQASM source")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	body, _ := json.Marshal(req)
	if arn, ok := s.byToken[req.ClientToken]; ok {
		if !bytes.Equal(s.tasks[arn].body, body) {
			awsError(w, 409, "ConflictException", "clientToken was already used with different parameters")
			return
		}
		providertest.WriteJSON(w, 201, map[string]string{"quantumTaskArn": arn})
		return
	}
	d := s.devices[req.DeviceArn]
	switch {
	case d == nil:
		awsError(w, 404, "ResourceNotFoundException", "Braket device "+req.DeviceArn+" not found")
		return
	case d.Status == "OFFLINE":
		awsError(w, 424, "DeviceOfflineException", "Device "+d.Name+" is offline")
		return
	case d.Status == "RETIRED":
		awsError(w, 410, "DeviceRetiredException", "Device "+d.Name+" is retired")
		return
	case *req.Shots < int64(d.ShotsMin) || *req.Shots > int64(d.ShotsMax):
		awsError(w, 400, "ValidationException", fmt.Sprintf("shots must be between %d and %d", d.ShotsMin, d.ShotsMax))
		return
	}
	idb := make([]byte, 16)
	rand.Read(idb)
	id := fmt.Sprintf("%x-%x-%x-%x-%x", idb[0:4], idb[4:6], idb[6:8], idb[8:10], idb[10:])
	t := &task{arn: fmt.Sprintf(arnTask, s.Region, id), device: d.Arn, status: "CREATED", bucket: req.OutputS3Bucket,
		dir: req.OutputS3KeyPrefix + "/" + id, token: req.ClientToken, shots: int(*req.Shots), qubits: 1, tags: req.Tags, body: body}
	if m := qubitDecl.FindStringSubmatch(action.Source); m != nil {
		t.qubits, _ = strconv.Atoi(m[1])
	}
	s.tasks[t.arn] = t
	s.byToken[t.token] = t.arn
	providertest.WriteJSON(w, 201, map[string]string{"quantumTaskArn": t.arn})
}

func (s *Server) task(w http.ResponseWriter, r *http.Request) *task {
	t := s.tasks[r.PathValue("arn")]
	if t == nil {
		awsError(w, 404, "ResourceNotFoundException", "Quantum task not found")
	}
	return t
}

func (s *Server) getTask(w http.ResponseWriter, r *http.Request, t *task) {
	switch t.status {
	case "CREATED", "QUEUED", "RUNNING":
		t.polls++
		if t.polls >= s.polls {
			t.status = "COMPLETED"
			s.objects[t.bucket+"/"+t.dir+"/results.json"] = result(t)
		} else {
			t.status = "RUNNING"
		}
	case "CANCELLING":
		t.status = "CANCELLED"
	}
	providertest.WriteJSON(w, 200, map[string]any{"quantumTaskArn": t.arn, "status": t.status, "deviceArn": t.device, "shots": t.shots,
		"outputS3Bucket": t.bucket, "outputS3Directory": t.dir, "createdAt": time.Now().UTC().Format(time.RFC3339), "tags": t.tags})
}

// result: even shots measure all zeros, odd shots measure qubit 0 as 1, so
// that a bit-order mistake shows.
func result(t *task) []byte {
	ms := make([][]int, t.shots)
	for i := range ms {
		ms[i] = make([]int, t.qubits)
		if i%2 == 1 {
			ms[i][0] = 1
		}
	}
	qs := make([]int, t.qubits)
	for i := range qs {
		qs[i] = i
	}
	b, _ := json.Marshal(map[string]any{
		"braketSchemaHeader": map[string]string{"name": "braket.task_result.gate_model_task_result", "version": "1"},
		"measurements":       ms, "measuredQubits": qs,
		"taskMetadata": map[string]any{"braketSchemaHeader": map[string]string{"name": "braket.task_result.task_metadata", "version": "1"},
			"id": t.arn, "shots": t.shots, "deviceId": t.device},
		"additionalMetadata": map[string]any{"action": map[string]any{}, "simulatorMetadata": map[string]any{"executionDuration": 1200}},
	})
	return b
}

func (s *Server) cancelTask(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ClientToken string `json:"clientToken"`
	}
	if !decode(w, r, &req) {
		return
	}
	if req.ClientToken == "" || len(req.ClientToken) > 64 {
		awsError(w, 400, "ValidationException", "clientToken must be 1 to 64 characters")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.task(w, r)
	if t == nil {
		return
	}
	switch t.status {
	case "COMPLETED", "FAILED", "CANCELLED":
		awsError(w, 409, "ConflictException", "Quantum task is in a terminal state: "+t.status)
		return
	}
	t.status = "CANCELLING"
	providertest.WriteJSON(w, 200, map[string]string{"cancellationStatus": "CANCELLING", "quantumTaskArn": t.arn})
}

func (s *Server) getObject(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	b, ok := s.objects[r.PathValue("bucket")+"/"+r.PathValue("key")]
	s.mu.Unlock()
	if !ok {
		s3Error(w, 404, "NoSuchKey", "The specified key does not exist.")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}
