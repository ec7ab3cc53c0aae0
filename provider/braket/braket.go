// Package braket is the AWS Braket adapter: Braket's REST-JSON API signed
// with aws-sdk-go-v2's SigV4 signer (the SDK's Braket service module is not
// available here), and task results read from S3 with signed GetObject.
//
// Credentials come from the vault's aws_braket profile; when the profile
// has no access key (or does not exist) the standard AWS chain is used
// (environment, shared files, SSO, instance role). A role_arn in the
// profile is assumed through STS with those credentials.
package braket

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/qguard/qguard"
	"github.com/qguard/qguard/circuit"
	"github.com/qguard/qguard/config"
	"github.com/qguard/qguard/provider"
)

// Name is the provider's name in device ids ("braket:arn:aws:braket:…").
const Name = "braket"

// UserAgent names BraketSchemas ≥ 1.8 so that GetDevice includes the
// OpenQASM capabilities (see the GetDevice API doc).
const UserAgent = "qguard BraketSchemas/1.8.0"

// ProgramSchema is the action header of an OpenQASM task.
const ProgramSchema = "braket.ir.openqasm.program"

// bucketName is an S3 bucket name (lower case, digits, dots, hyphens).
var bucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// emptySHA256 is the payload hash of a request without a body.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// Config configures the adapter.
type Config struct {
	Region     string // default: the profile's region, else us-east-1
	Endpoint   string // default https://braket.<region>.amazonaws.com
	S3Endpoint string // path-style S3 endpoint; default virtual-hosted https://<bucket>.s3.<region>.amazonaws.com
	// STSEndpoint is where role_arn is assumed; default the SDK's regional STS.
	STSEndpoint string
	// Devices lists the device ARNs to offer; empty offers every device
	// SearchDevices returns that is not retired.
	Devices []string
	Egress  provider.Options
}

// Provider implements qguard.Provider for AWS Braket.
type Provider struct {
	cfg     Config
	creds   qguard.CredentialSource
	profile string
	client  *provider.Client
	http    *http.Client
	signer  *v4.Signer
	now     func() time.Time

	mu      sync.Mutex
	session session
}

var _ qguard.Provider = (*Provider)(nil)

// New returns the adapter; credentials are read from creds (provider
// aws_braket, profile) at every call. httpClient may be nil.
func New(cfg Config, creds qguard.CredentialSource, profile string, httpClient *http.Client) *Provider {
	return &Provider{cfg: cfg, creds: creds, profile: profile, http: httpClient, signer: v4.NewSigner(), now: time.Now,
		client: provider.NewClient(Name, httpClient, cfg.Egress, provider.JSONMessage)}
}

// Name implements qguard.Provider.
func (p *Provider) Name() string { return Name }

// account is one call's view of the credential.
type account struct {
	creds    aws.Credentials
	region   string
	bucket   string
	prefix   string
	endpoint string
}

func (a *account) secrets() []string {
	return []string{a.creds.SecretAccessKey, a.creds.SessionToken, a.creds.AccessKeyID}
}

func (p *Provider) account(ctx context.Context) (*account, error) {
	var f map[string]string
	c, err := p.creds.Credential(ctx, qguard.ProviderAWSBraket, p.profile)
	switch {
	case err == nil:
		f = c.Fields
	case qguard.ErrorCode(err) == qguard.ENOTFOUND:
		f = map[string]string{"s3_bucket": os.Getenv("AMZN_BRAKET_OUT_S3_BUCKET")}
	default:
		return nil, fmt.Errorf("aws_braket profile %q: %w", p.profile, err)
	}
	a := &account{region: firstOf(p.cfg.Region, f["region"], "us-east-1"), bucket: f["s3_bucket"], prefix: firstOf(f["s3_prefix"], "qguard")}
	if a.bucket == "" {
		return nil, qguard.Errorf(qguard.EINVALID, "aws_braket profile %q has no s3_bucket for task results; add one with `qguard creds store aws_braket`", p.profile)
	}
	a.endpoint = strings.TrimSuffix(firstOf(p.cfg.Endpoint, "https://braket."+a.region+".amazonaws.com"), "/")
	for _, u := range []string{a.endpoint, p.cfg.S3Endpoint, p.cfg.STSEndpoint} {
		if u == "" {
			continue
		}
		if err := provider.CheckURL(u); err != nil {
			return nil, err
		}
	}
	if f["access_key_id"] != "" {
		a.creds = aws.Credentials{AccessKeyID: f["access_key_id"], SecretAccessKey: f["secret_access_key"], SessionToken: f["session_token"], Source: "qguard vault"}
		if a.creds.SecretAccessKey == "" {
			return nil, qguard.Errorf(qguard.EINVALID, "aws_braket profile %q has an access key id but no secret_access_key", p.profile)
		}
	} else {
		cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(a.region))
		if err != nil {
			return nil, qguard.Errorf(qguard.EINVALID, "no AWS credentials in the vault profile %q and the AWS chain failed; store them with `qguard creds store aws_braket`", p.profile)
		}
		if a.creds, err = cfg.Credentials.Retrieve(ctx); err != nil {
			return nil, qguard.Errorf(qguard.EINVALID, "no AWS credentials in the vault profile %q or the standard AWS chain; store them with `qguard creds store aws_braket`", p.profile)
		}
	}
	if arn := f["role_arn"]; arn != "" {
		return a, p.assumeRole(ctx, a, arn)
	}
	return a, nil
}

// assumeRole replaces a's credentials with the role's session, reusing a
// cached session of the same base key and role until 5 minutes before it
// expires.
func (p *Provider) assumeRole(ctx context.Context, a *account, arn string) error {
	key := sha256.Sum256([]byte(a.creds.AccessKeyID + "\x00" + a.creds.SecretAccessKey + "\x00" + a.creds.SessionToken + "\x00" + arn))
	p.mu.Lock()
	s := p.session
	p.mu.Unlock()
	if s.key == key && p.now().Add(5*time.Minute).Before(s.creds.Expires) {
		a.creds = s.creds
		return nil
	}
	{
		base := a.creds
		opts := sts.Options{Region: a.region, Credentials: credentialsValue(base)}
		if p.http != nil { // a nil *http.Client in the interface would be called
			opts.HTTPClient = p.http
		}
		if p.cfg.STSEndpoint != "" {
			opts.BaseEndpoint = aws.String(p.cfg.STSEndpoint)
		}
		stsc := sts.New(opts)
		assumed, err := stscreds.NewAssumeRoleProvider(stsc, arn, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = "qguard"
		}).Retrieve(ctx)
		if err != nil {
			return qguard.Errorf(qguard.EPROVIDER, "assume role %s: %s", arn, provider.Redact(err.Error(), base.SecretAccessKey, base.SessionToken))
		}
		a.creds = assumed
	}
	p.mu.Lock()
	p.session = session{key: key, creds: a.creds}
	p.mu.Unlock()
	return nil
}

// session is a cached assumed-role session.
type session struct {
	key   [32]byte
	creds aws.Credentials
}

type credentialsValue aws.Credentials

func (c credentialsValue) Retrieve(context.Context) (aws.Credentials, error) {
	return aws.Credentials(c), nil
}

func firstOf(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// EscapeLabel percent-encodes a URI label as botocore does for Braket's
// non-greedy labels ({deviceArn}, {quantumTaskArn}): everything but
// unreserved characters, so ':' and '/' are encoded.
func EscapeLabel(s string) string {
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			sb.WriteByte(c)
		} else {
			fmt.Fprintf(&sb, "%%%02X", c)
		}
	}
	return sb.String()
}

// sign returns an Authorize func that signs each attempt for service.
func (p *Provider) sign(a *account, service string, body []byte) func(*http.Request) error {
	hash := emptySHA256
	if len(body) > 0 {
		sum := sha256.Sum256(body)
		hash = hex.EncodeToString(sum[:])
	}
	return func(req *http.Request) error {
		var opts []func(*v4.SignerOptions)
		if service == "s3" {
			req.Header.Set("X-Amz-Content-Sha256", hash)
			opts = append(opts, func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
		}
		return p.signer.SignHTTP(req.Context(), a.creds, req, hash, service, a.region, p.now().UTC(), opts...)
	}
}

// call sends a signed Braket API request; body is marshalled as JSON.
func (p *Provider) call(ctx context.Context, a *account, r *provider.Request, path string, body any) (*provider.Response, error) {
	r.URL = a.endpoint + path
	r.Header = http.Header{"User-Agent": {UserAgent}}
	if err := r.SetJSON(body); err != nil {
		return nil, err
	}
	r.Secrets = a.secrets()
	r.Authorize = p.sign(a, "braket", r.Body)
	resp, err := p.client.Do(ctx, r)
	if err != nil {
		return resp, mapDeviceErr(r.Device, err)
	}
	return resp, nil
}

// mapDeviceErr: Braket answers 424 DeviceOfflineException and 410
// DeviceRetiredException for devices that cannot take tasks.
func mapDeviceErr(device string, err error) error {
	switch provider.StatusCode(err) {
	case 424, http.StatusGone:
		return &qguard.Error{Code: qguard.EDEVICEUNAVAILABLE, Message: fmt.Sprintf("braket device %s cannot take tasks now: %s", device, qguard.ErrorMessage(err)), Err: err}
	}
	return err
}

// deviceSummary is an entry of SearchDevices and the head of GetDevice.
type deviceSummary struct {
	DeviceArn    string `json:"deviceArn"`
	DeviceName   string `json:"deviceName"`
	DeviceStatus string `json:"deviceStatus"`
	DeviceType   string `json:"deviceType"`
	ProviderName string `json:"providerName"`
	// DeviceCapabilities is a JSON document in a string (GetDevice only).
	DeviceCapabilities string `json:"deviceCapabilities,omitempty"`
}

// capabilities is the part of deviceCapabilities qguard reads.
type capabilities struct {
	Service struct {
		ShotsRange []int `json:"shotsRange"`
		DeviceCost *struct {
			Price float64 `json:"price"`
			Unit  string  `json:"unit"`
		} `json:"deviceCost"`
	} `json:"service"`
	Paradigm struct {
		QubitCount int `json:"qubitCount"`
	} `json:"paradigm"`
	Action map[string]struct {
		SupportedOperations []string `json:"supportedOperations"`
		SupportedModifiers  *[]struct {
			Name string `json:"name"`
		} `json:"supportedModifiers"`
	} `json:"action"`
}

// checkOperations refuses a program that uses a gate or modifier the
// device's capabilities do not list, before Braket refuses the task (or a
// QPU's queue time is spent on it).
func checkOperations(src string, caps *capabilities, device string) error {
	prog, ok := caps.Action[ProgramSchema]
	if !ok || len(prog.SupportedOperations) == 0 {
		return nil
	}
	supported := map[string]bool{}
	for _, op := range prog.SupportedOperations {
		supported[strings.ToLower(op)] = true
	}
	for i, line := range strings.Split(src, "\n") {
		st := strings.TrimSpace(line)
		if rest, ok := strings.CutPrefix(st, "if ("); ok {
			if _, after, ok := strings.Cut(rest, ") "); ok {
				st = after
			}
		}
		for _, mod := range []string{"ctrl", "inv", "pow", "negctrl"} {
			if strings.HasPrefix(st, mod+" @") || strings.HasPrefix(st, mod+"(") {
				if prog.SupportedModifiers != nil && !hasModifier(*prog.SupportedModifiers, mod) {
					return qguard.Errorf(qguard.EINVALIDCIRCUIT, "line %d: braket device %s does not support the %s modifier", i+1, device, mod)
				}
				if _, after, ok := strings.Cut(st, "@ "); ok {
					st = after
				}
			}
		}
		name := st
		if j := strings.IndexAny(st, " (;["); j >= 0 {
			name = st[:j]
		}
		switch name {
		case "", "OPENQASM", "include", "qubit", "bit", "barrier", "reset", "measure", "input", "const", "#pragma", "//":
			continue
		}
		if strings.Contains(st, "= measure") || strings.HasPrefix(name, "//") {
			continue
		}
		if !supported[strings.ToLower(name)] {
			return qguard.Errorf(qguard.EINVALIDCIRCUIT, "line %d: braket device %s does not support gate %s (it supports %s)", i+1, device, name, strings.Join(prog.SupportedOperations, ", "))
		}
	}
	return nil
}

func hasModifier(mods []struct {
	Name string `json:"name"`
}, name string) bool {
	for _, m := range mods {
		if m.Name == name {
			return true
		}
	}
	return false
}

// Devices implements qguard.Provider.
func (p *Provider) Devices(ctx context.Context) ([]qguard.Device, error) {
	a, err := p.account(ctx)
	if err != nil {
		return nil, err
	}
	arns := p.cfg.Devices
	if len(arns) == 0 {
		if arns, err = p.searchDevices(ctx, a); err != nil {
			return nil, err
		}
	}
	var out []qguard.Device
	for _, arn := range arns {
		d, _, err := p.getDevice(ctx, a, arn)
		if qguard.ErrorCode(err) == qguard.ENOTFOUND {
			continue // not in this region or account
		}
		if err != nil {
			return nil, err
		}
		if d.Status != "RETIRED" {
			out = append(out, d.Device)
		}
	}
	return out, nil
}

func (p *Provider) searchDevices(ctx context.Context, a *account) ([]string, error) {
	var arns []string
	token := ""
	for range 20 { // pages
		req := map[string]any{"filters": []any{}, "maxResults": 100}
		if token != "" {
			req["nextToken"] = token
		}
		resp, err := p.call(ctx, a, &provider.Request{Op: "devices", Method: http.MethodPost, Idempotent: true}, "/devices", req)
		if err != nil {
			return nil, err
		}
		var page struct {
			Devices   []deviceSummary `json:"devices"`
			NextToken string          `json:"nextToken"`
		}
		if err := json.Unmarshal(resp.Body, &page); err != nil {
			return nil, qguard.Errorf(qguard.EPROVIDER, "braket: unreadable SearchDevices answer")
		}
		for _, d := range page.Devices {
			if d.DeviceStatus != "RETIRED" {
				arns = append(arns, d.DeviceArn)
			}
		}
		if token = page.NextToken; token == "" {
			break
		}
	}
	return arns, nil
}

type braketDevice struct {
	qguard.Device
	Status    string // ONLINE, OFFLINE, RETIRED
	ShotsLow  int
	ShotsHigh int
}

func (p *Provider) getDevice(ctx context.Context, a *account, arn string) (*braketDevice, *capabilities, error) {
	resp, err := p.call(ctx, a, &provider.Request{Op: "device", Device: arn, Method: http.MethodGet, Idempotent: true}, "/device/"+EscapeLabel(arn), nil)
	if err != nil {
		return nil, nil, err
	}
	var d deviceSummary
	var c capabilities
	if err := json.Unmarshal(resp.Body, &d); err != nil {
		return nil, nil, qguard.Errorf(qguard.EPROVIDER, "braket: unreadable GetDevice answer for %s", arn)
	}
	if d.DeviceCapabilities != "" {
		if err := json.Unmarshal([]byte(d.DeviceCapabilities), &c); err != nil {
			return nil, nil, qguard.Errorf(qguard.EPROVIDER, "braket: unreadable capabilities of %s", arn)
		}
	}
	bd := &braketDevice{Status: d.DeviceStatus, Device: qguard.Device{
		ID: Name + ":" + d.DeviceArn, Provider: Name, Name: d.DeviceArn, Qubits: c.Paradigm.QubitCount, Status: qguard.DeviceOffline}}
	if d.DeviceStatus == "ONLINE" {
		bd.Device.Status = qguard.DeviceOnline
	}
	if d.DeviceType == "SIMULATOR" {
		bd.Class = qguard.ClassSimulator
	} else {
		bd.Class = qguard.QPUClass(bd.Qubits)
	}
	if r := c.Service.ShotsRange; len(r) == 2 {
		bd.ShotsLow, bd.ShotsHigh, bd.MaxShots = r[0], r[1], r[1]
	}
	if dc := c.Service.DeviceCost; dc != nil && dc.Price > 0 {
		const src = "Braket GetDevice deviceCost"
		switch dc.Unit {
		case "shot":
			bd.Price = &qguard.Price{PerTask: 0.30, PerShot: dc.Price, Source: src + " (+ the $0.30 per-task fee)"}
		case "minute":
			bd.Price = &qguard.Price{PerMinute: dc.Price, Source: src}
		}
	}
	return bd, &c, nil
}

// Submit implements qguard.Provider: CreateQuantumTask with the qguard job
// id as clientToken, so that a retried submission creates one task.
func (p *Provider) Submit(ctx context.Context, s qguard.Submission) (string, error) {
	a, err := p.account(ctx)
	if err != nil {
		return "", err
	}
	d, caps, err := p.getDevice(ctx, a, s.Device)
	if qguard.ErrorCode(err) == qguard.ENOTFOUND {
		return "", qguard.Errorf(qguard.EDEVICEUNAVAILABLE, "braket has no device %s in %s", s.Device, a.region)
	}
	if err != nil {
		return "", err
	}
	if d.Status != "ONLINE" {
		return "", qguard.Errorf(qguard.EDEVICEUNAVAILABLE, "braket device %s is %s; only ONLINE devices take tasks", s.Device, d.Status)
	}
	if d.ShotsHigh > 0 && (s.Shots < d.ShotsLow || s.Shots > d.ShotsHigh) {
		return "", qguard.Errorf(qguard.EINVALID, "braket device %s takes %d to %d shots, not %d", s.Device, d.ShotsLow, d.ShotsHigh, s.Shots)
	}
	// Braket's dialect: its gate names, no include; text-only submissions
	// are sent as they are.
	src := s.QASM
	if c := provider.Circuit(s); c != nil {
		src = circuit.EmitBraket(c)
	}
	if err := checkOperations(src, caps, s.Device); err != nil {
		return "", err
	}
	action, err := json.Marshal(Action{Header: SchemaHeader{Name: ProgramSchema, Version: "1"}, Source: src, Inputs: map[string]float64{}})
	if err != nil {
		return "", err
	}
	req := CreateQuantumTaskRequest{
		Action: string(action), ClientToken: s.JobID, DeviceArn: s.Device,
		OutputS3Bucket: a.bucket, OutputS3KeyPrefix: a.prefix, Shots: int64(s.Shots),
		Tags: map[string]string{"qguard:job-id": s.JobID, "qguard:user": s.User},
	}
	resp, err := p.call(ctx, a, &provider.Request{Op: "submit", Device: s.Device, Method: http.MethodPost, Idempotent: true}, "/quantum-task", req)
	if err != nil {
		return "", err
	}
	return provider.SubmittedID(resp.Body, "quantumTaskArn", "braket accepted the task without returning its ARN")
}

// CreateQuantumTaskRequest is the CreateQuantumTask body (botocore's
// braket/2019-09-01 model); Action is a JSON document in a string.
type CreateQuantumTaskRequest struct {
	Action            string            `json:"action"`
	ClientToken       string            `json:"clientToken"`
	DeviceArn         string            `json:"deviceArn"`
	DeviceParameters  string            `json:"deviceParameters,omitempty"`
	OutputS3Bucket    string            `json:"outputS3Bucket"`
	OutputS3KeyPrefix string            `json:"outputS3KeyPrefix"`
	Shots             int64             `json:"shots"`
	Tags              map[string]string `json:"tags,omitempty"`
}

// Action is an OpenQASM program action.
type Action struct {
	Header SchemaHeader       `json:"braketSchemaHeader"`
	Source string             `json:"source"`
	Inputs map[string]float64 `json:"inputs,omitempty"`
}

// SchemaHeader names a Braket schema.
type SchemaHeader struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Status implements qguard.Provider; a completed task's results are read
// from its S3 output directory.
func (p *Provider) Status(ctx context.Context, device, taskArn string) (*qguard.ProviderStatus, error) {
	a, err := p.account(ctx)
	if err != nil {
		return nil, err
	}
	resp, err := p.call(ctx, a, &provider.Request{Op: "status", Device: device, ProviderJobID: taskArn, Method: http.MethodGet, Idempotent: true},
		"/quantum-task/"+EscapeLabel(taskArn), nil)
	if err != nil {
		return nil, err
	}
	var t struct {
		Status            string `json:"status"`
		FailureReason     string `json:"failureReason"`
		OutputS3Bucket    string `json:"outputS3Bucket"`
		OutputS3Directory string `json:"outputS3Directory"`
	}
	if err := json.Unmarshal(resp.Body, &t); err != nil {
		return nil, qguard.Errorf(qguard.EPROVIDER, "braket: unreadable GetQuantumTask answer")
	}
	switch t.Status {
	case "CREATED", "QUEUED":
		return &qguard.ProviderStatus{Status: qguard.JobQueued}, nil
	case "RUNNING", "CANCELLING":
		return &qguard.ProviderStatus{Status: qguard.JobRunning}, nil
	case "CANCELLED":
		return &qguard.ProviderStatus{Status: qguard.JobCancelled}, nil
	case "FAILED":
		return &qguard.ProviderStatus{Status: qguard.JobFailed, Error: provider.Redact(t.FailureReason, a.secrets()...)}, nil
	case "COMPLETED":
	default:
		return nil, qguard.Errorf(qguard.EPROVIDER, "braket reported unknown task status %q", provider.Redact(t.Status))
	}
	// The bucket becomes part of a host name: accept only a bucket name.
	if !bucketName.MatchString(t.OutputS3Bucket) || strings.Contains(t.OutputS3Directory, "..") {
		return nil, qguard.Errorf(qguard.EPROVIDER, "braket reported an invalid result location for %s", taskArn)
	}
	body, err := p.getObject(ctx, a, device, taskArn, t.OutputS3Bucket, strings.TrimSuffix(t.OutputS3Directory, "/")+"/results.json")
	if err != nil {
		return nil, err
	}
	res, err := DecodeResults(body)
	if err != nil {
		return nil, qguard.Errorf(qguard.EPROVIDER, "braket: %v", err)
	}
	return &qguard.ProviderStatus{Status: qguard.JobCompleted, Result: res}, nil
}

// getObject reads an S3 object with a signed GetObject.
func (p *Provider) getObject(ctx context.Context, a *account, device, taskArn, bucket, key string) ([]byte, error) {
	segs := strings.Split(key, "/")
	for i, s := range segs {
		segs[i] = EscapeLabel(s)
	}
	ekey := strings.Join(segs, "/")
	u := "https://" + bucket + ".s3." + a.region + ".amazonaws.com/" + ekey
	if p.cfg.S3Endpoint != "" {
		u = strings.TrimSuffix(p.cfg.S3Endpoint, "/") + "/" + EscapeLabel(bucket) + "/" + ekey
	}
	r := &provider.Request{Op: "results", Device: device, ProviderJobID: taskArn, Method: http.MethodGet, URL: u, Idempotent: true,
		Header: http.Header{"User-Agent": {UserAgent}}, Secrets: a.secrets()}
	r.Authorize = p.sign(a, "s3", nil)
	resp, err := p.client.Do(ctx, r)
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// Cancel implements qguard.Provider.
func (p *Provider) Cancel(ctx context.Context, device, taskArn string) error {
	a, err := p.account(ctx)
	if err != nil {
		return err
	}
	_, err = p.call(ctx, a, &provider.Request{Op: "cancel", Device: device, ProviderJobID: taskArn, Method: http.MethodPut, Idempotent: true},
		"/quantum-task/"+EscapeLabel(taskArn)+"/cancel", map[string]string{"clientToken": newToken()})
	return err
}

func newToken() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// DecodeResults reads a gate-model task result (results.json): counts
// from measurementCounts, else measurements, else measurementProbabilities.
// Braket prints qubit 0 first; qguard's bitstrings have bit n-1 first, so
// each bitstring is reversed.
func DecodeResults(body []byte) (*qguard.Result, error) {
	var r struct {
		Header        SchemaHeader       `json:"braketSchemaHeader"`
		Measurements  [][]int            `json:"measurements"`
		Counts        map[string]int     `json:"measurementCounts"`
		Probabilities map[string]float64 `json:"measurementProbabilities"`
		TaskMetadata  struct {
			Shots int `json:"shots"`
		} `json:"taskMetadata"`
		AdditionalMetadata struct {
			SimulatorMetadata struct {
				ExecutionDuration float64 `json:"executionDuration"` // ms
			} `json:"simulatorMetadata"`
		} `json:"additionalMetadata"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("unreadable task result")
	}
	if r.Header.Name != "braket.task_result.gate_model_task_result" {
		return nil, fmt.Errorf("not a gate-model task result")
	}
	res := &qguard.Result{Counts: map[string]int{}, Seconds: r.AdditionalMetadata.SimulatorMetadata.ExecutionDuration / 1000}
	switch {
	case len(r.Counts) > 0:
		for k, v := range r.Counts {
			if v < 0 || !isBits(k) {
				return nil, fmt.Errorf("bad measurement count")
			}
			res.Counts[provider.Reverse(k)] += v
			res.Shots += v
		}
	case len(r.Measurements) > 0:
		width := len(r.Measurements[0])
		b := make([]byte, width)
		for _, m := range r.Measurements {
			if len(m) != width {
				return nil, fmt.Errorf("measurements of different widths")
			}
			for i, v := range m {
				if v != 0 && v != 1 {
					return nil, fmt.Errorf("measurement value %d", v)
				}
				b[width-1-i] = byte('0' + v)
			}
			res.Counts[string(b)]++
		}
		res.Shots = len(r.Measurements)
	case len(r.Probabilities) > 0 && r.TaskMetadata.Shots > 0:
		p := map[string]float64{}
		for k, v := range r.Probabilities {
			if !isBits(k) || v < 0 || v > 1 {
				return nil, fmt.Errorf("bad measurement probability")
			}
			p[provider.Reverse(k)] = v
		}
		res.Probabilities = p
		res.Counts = provider.CountsFromProbabilities(p, r.TaskMetadata.Shots)
		res.Shots = r.TaskMetadata.Shots
	default:
		return nil, fmt.Errorf("task result has no measurements")
	}
	return res, nil
}

func isBits(s string) bool {
	if s == "" || len(s) > 1024 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] != '0' && s[i] != '1' {
			return false
		}
	}
	return true
}

// ConfigFrom returns the adapter's configuration from config.yaml.
func ConfigFrom(c config.Providers, observe provider.Observer, log *slog.Logger) Config {
	return Config{Region: c.Braket.Region, Endpoint: c.Braket.Endpoint, S3Endpoint: c.Braket.S3Endpoint, Devices: c.Braket.Devices,
		Egress: provider.OptionsFrom(c, observe, log)}
}
