package braket

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/qguard/qguard"
	"github.com/qguard/qguard/circuit"
	"github.com/qguard/qguard/provider"
	"github.com/qguard/qguard/provider/braket/brakettest"
	"github.com/qguard/qguard/provider/providertest"
)

const bell = `OPENQASM 3.0;
qubit[2] q;
bit[2] c;
h q[0];
cnot q[0], q[1];
c = measure q;
`

type harness struct {
	*providertest.Egress
	fake  *brakettest.Server
	creds *providertest.Creds
	p     *Provider
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{fake: brakettest.New(t), creds: providertest.NewCreds()}
	h.creds.Set(qguard.ProviderAWSBraket, "default", map[string]string{
		"access_key_id": h.fake.AccessKeyID, "secret_access_key": h.fake.SecretAccessKey,
		"region": "us-east-1", "s3_bucket": "amazon-braket-qguard", "s3_prefix": "tasks"})
	var egress provider.Options
	h.Egress, egress = providertest.NewEgress()
	h.p = New(Config{Endpoint: h.fake.API.URL, S3Endpoint: h.fake.S3.URL, STSEndpoint: h.fake.STS.URL, Egress: egress}, h.creds, "default", nil)
	t.Cleanup(func() {
		h.NoSecrets(t, []string{h.fake.SecretAccessKey, h.fake.AccessKeyID})
		// An access key id is not secret in SigV4 and may be named in a request; the secret key may not.
		providertest.NoSecrets(t, []string{h.fake.SecretAccessKey}, "request", h.fake.RequestTexts("")...)
	})
	return h
}

func TestSubmitPollCounts(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	devs, err := h.p.Devices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]qguard.Device{}
	for _, d := range devs {
		byID[d.ID] = d
	}
	sv1, forte := byID["braket:"+brakettest.SV1], byID["braket:"+brakettest.Forte1]
	if sv1.Class != qguard.ClassSimulator || sv1.Qubits != 34 || sv1.Price == nil || sv1.Price.PerMinute != 0.075 {
		t.Fatalf("sv1 = %+v", sv1)
	}
	if forte.Class != qguard.ClassQPUMedium || forte.MaxShots != 5000 || forte.Price.PerShot != 0.08 || forte.Price.PerTask != 0.30 || forte.Status != qguard.DeviceOnline {
		t.Fatalf("forte = %+v %+v", forte, forte.Price)
	}

	s := qguard.Submission{JobID: "job_abc", User: "alice", Device: brakettest.Forte1, QASM: bell, Shots: 100}
	arn, err := h.p.Submit(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(arn, "arn:aws:braket:us-east-1:123456789012:quantum-task/") {
		t.Fatalf("arn = %s", arn)
	}
	tags, shots, _ := h.fake.Task(arn)
	if tags["qguard:job-id"] != "job_abc" || tags["qguard:user"] != "alice" || shots != 100 {
		t.Fatalf("tags %v shots %d", tags, shots)
	}
	// The same job id is the same task (clientToken idempotency).
	again, err := h.p.Submit(ctx, s)
	if err != nil || again != arn || h.fake.Tasks() != 1 {
		t.Fatalf("resubmit = %s, %v; tasks %d", again, err, h.fake.Tasks())
	}
	st := providertest.Wait(t, h.p, brakettest.Forte1, arn)
	// Qubit 0 measured 1 on odd shots: Braket "10" is qguard "01".
	if st.Status != qguard.JobCompleted || st.Result.Counts["00"] != 50 || st.Result.Counts["01"] != 50 || st.Result.Shots != 100 {
		t.Fatalf("result = %+v", st.Result)
	}
	if h.fake.SignatureFailures() != 0 {
		t.Fatalf("%d signature failures", h.fake.SignatureFailures())
	}
	var sawS3 bool
	for _, r := range h.fake.Requests() {
		if strings.HasPrefix(r.Path, "/amazon-braket-qguard/tasks/") && strings.HasSuffix(r.Path, "/results.json") {
			sawS3 = r.Header.Get("X-Amz-Content-Sha256") != ""
		}
	}
	if !sawS3 {
		t.Fatal("results were not read from S3 with a signed GetObject")
	}
}

func TestCancel(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	arn, err := h.p.Submit(ctx, qguard.Submission{JobID: "job_c", Device: brakettest.SV1, QASM: bell, Shots: 10})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.p.Cancel(ctx, brakettest.SV1, arn); err != nil {
		t.Fatal(err)
	}
	if st := providertest.Wait(t, h.p, brakettest.SV1, arn); st.Status != qguard.JobCancelled {
		t.Fatalf("status = %s", st.Status)
	}
	if err := h.p.Cancel(ctx, brakettest.SV1, arn); qguard.ErrorCode(err) != qguard.ECONFLICT {
		t.Fatalf("cancel a cancelled task: %v", err)
	}
}

func TestOfflineDevice(t *testing.T) {
	h := newHarness(t)
	h.fake.SetDeviceStatus(brakettest.Forte1, "OFFLINE")
	_, err := h.p.Submit(context.Background(), qguard.Submission{JobID: "j", Device: brakettest.Forte1, QASM: bell, Shots: 10})
	if qguard.ErrorCode(err) != qguard.EDEVICEUNAVAILABLE {
		t.Fatalf("err = %v", err)
	}
	_, err = h.p.Submit(context.Background(), qguard.Submission{JobID: "j", Device: brakettest.Garnet, QASM: bell, Shots: 10})
	if qguard.ErrorCode(err) != qguard.EDEVICEUNAVAILABLE {
		t.Fatalf("device of another region: %v", err)
	}
	if h.fake.Tasks() != 0 {
		t.Fatal("a task was created")
	}
	// The device went offline between our check and the call: 424 maps too.
	h.fake.SetDeviceStatus(brakettest.Forte1, "ONLINE")
	h.fake.Fail(providertest.Fault{Status: 424, Path: "/quantum-task", Body: `{"message":"Device Forte 1 is offline"}`})
	_, err = h.p.Submit(context.Background(), qguard.Submission{JobID: "j2", Device: brakettest.Forte1, QASM: bell, Shots: 10})
	if qguard.ErrorCode(err) != qguard.EDEVICEUNAVAILABLE {
		t.Fatalf("424: %v", err)
	}
	// Shots outside the device's range are refused before the call.
	_, err = h.p.Submit(context.Background(), qguard.Submission{JobID: "j3", Device: brakettest.Forte1, QASM: bell, Shots: 6000})
	if qguard.ErrorCode(err) != qguard.EINVALID {
		t.Fatalf("6000 shots: %v", err)
	}
}

func TestBadSignatureRejected(t *testing.T) {
	h := newHarness(t)
	secret := "wrongSecretKey/qguard+TEST0123456789abcd"
	h.creds.Set(qguard.ProviderAWSBraket, "default", map[string]string{
		"access_key_id": h.fake.AccessKeyID, "secret_access_key": secret, "s3_bucket": "b"})
	_, err := h.p.Devices(context.Background())
	if qguard.ErrorCode(err) != qguard.EPROVIDER || !strings.Contains(err.Error(), "signature") || h.fake.SignatureFailures() == 0 {
		t.Fatalf("err = %v", err)
	}
	providertest.NoSecrets(t, []string{secret}, "error", err.Error())
	// An unsigned request is refused too.
	resp, err := http.Get(h.fake.API.URL + "/device/x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Fatalf("unsigned: %d", resp.StatusCode)
	}
	// A signed request whose body was changed after signing is refused.
	h.creds.Set(qguard.ProviderAWSBraket, "default", map[string]string{
		"access_key_id": h.fake.AccessKeyID, "secret_access_key": h.fake.SecretAccessKey, "s3_bucket": "b"})
	a, err := h.p.account(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, h.fake.API.URL+"/devices", strings.NewReader(`{"filters":[]}`))
	req.Header.Set("Content-Type", "application/json")
	if err := h.p.sign(a, "braket", []byte(`{"filters":[]}`))(req); err != nil {
		t.Fatal(err)
	}
	req.Body, req.ContentLength = nopBody(`{"filters":[],"maxResults":1}`), int64(len(`{"filters":[],"maxResults":1}`))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Fatalf("tampered body: %d", resp.StatusCode)
	}
}

func TestSessionTokenSigned(t *testing.T) {
	h := newHarness(t)
	akid, secret, token := h.fake.Session()
	h.creds.Set(qguard.ProviderAWSBraket, "default", map[string]string{
		"access_key_id": akid, "secret_access_key": secret, "session_token": token, "s3_bucket": "b"})
	if _, err := h.p.Devices(context.Background()); err != nil {
		t.Fatal(err)
	}
	// A wrong session token is refused, and not echoed.
	h.creds.Set(qguard.ProviderAWSBraket, "default", map[string]string{
		"access_key_id": akid, "secret_access_key": secret, "session_token": token + "x", "s3_bucket": "b"})
	_, err := h.p.Devices(context.Background())
	if qguard.ErrorCode(err) != qguard.EPROVIDER {
		t.Fatalf("wrong token: %v", err)
	}
	providertest.NoSecrets(t, []string{secret, token}, "error", err.Error())
}

func TestRateLimitRetryAfter(t *testing.T) {
	h := newHarness(t)
	h.fake.Fail(providertest.Fault{Status: 429, RetryAfter: "1", Path: "/quantum-task", Body: `{"message":"Rate exceeded"}`})
	start := time.Now()
	if _, err := h.p.Submit(context.Background(), qguard.Submission{JobID: "j", Device: brakettest.SV1, QASM: bell, Shots: 10}); err != nil {
		t.Fatal(err)
	}
	if time.Since(start) < time.Second {
		t.Fatal("Retry-After ignored")
	}
	// 500s on an idempotent call are retried; past the retries: provider_error.
	for range 4 {
		h.fake.Fail(providertest.Fault{Status: 500, Path: "/devices", Body: `{"message":"InternalServiceException"}`})
	}
	_, err := h.p.Devices(context.Background())
	if qguard.ErrorCode(err) != qguard.EPROVIDER || provider.StatusCode(err) != 500 {
		t.Fatalf("err = %v", err)
	}
}

func TestProviderDown(t *testing.T) {
	h := newHarness(t)
	providertest.DownIsUnreachable(t, h.p, h.fake.Close)
}

func TestMissingBucket(t *testing.T) {
	h := newHarness(t)
	h.creds.Set(qguard.ProviderAWSBraket, "default", map[string]string{"access_key_id": h.fake.AccessKeyID, "secret_access_key": h.fake.SecretAccessKey})
	if _, err := h.p.Devices(context.Background()); qguard.ErrorCode(err) != qguard.EINVALID {
		t.Fatalf("err = %v", err)
	}
}

func TestDecodeResults(t *testing.T) {
	hdr := `"braketSchemaHeader":{"name":"braket.task_result.gate_model_task_result","version":"1"}`
	for _, tc := range []struct {
		body string
		want map[string]int
	}{
		{`{` + hdr + `,"measurements":[[1,0,0],[1,1,0]]}`, map[string]int{"001": 1, "011": 1}},
		{`{` + hdr + `,"measurementCounts":{"100":3}}`, map[string]int{"001": 3}},
		{`{` + hdr + `,"measurementProbabilities":{"10":0.5,"01":0.5},"taskMetadata":{"shots":3}}`, map[string]int{"01": 2, "10": 1}},
	} {
		r, err := DecodeResults([]byte(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for k, v := range tc.want {
			if r.Counts[k] != v {
				t.Errorf("%s: counts = %v, want %v", tc.body, r.Counts, tc.want)
			}
			n += v
		}
		if r.Shots != n {
			t.Errorf("%s: shots = %d", tc.body, r.Shots)
		}
	}
	for _, bad := range []string{`{}`, `{` + hdr + `}`, `{` + hdr + `,"measurements":[[2]]}`, `{` + hdr + `,"measurements":[[1],[1,0]]}`,
		`{` + hdr + `,"measurementCounts":{"1x":1}}`, `{"braketSchemaHeader":{"name":"other"},"measurements":[[1]]}`} {
		if _, err := DecodeResults([]byte(bad)); err == nil {
			t.Errorf("DecodeResults(%s) succeeded", bad)
		}
	}
}

func FuzzDecodeResults(f *testing.F) {
	hdr := `"braketSchemaHeader":{"name":"braket.task_result.gate_model_task_result","version":"1"}`
	f.Add([]byte(`{` + hdr + `,"measurements":[[1,0,0],[1,1,0]],"measuredQubits":[0,1,2]}`))
	f.Add([]byte(`{` + hdr + `,"measurementProbabilities":{"10":0.5,"01":0.5},"taskMetadata":{"shots":3}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if r, err := DecodeResults(b); err == nil {
			providertest.CountsMatchShots(t, r, r.Shots)
		}
	})
}

func TestEscapeLabel(t *testing.T) {
	if got := EscapeLabel("arn:aws:braket:::device/quantum-simulator/amazon/sv1"); got != "arn%3Aaws%3Abraket%3A%3A%3Adevice%2Fquantum-simulator%2Famazon%2Fsv1" {
		t.Fatal(got)
	}
}

type stringBody struct{ *strings.Reader }

func (stringBody) Close() error { return nil }

func nopBody(s string) stringBody { return stringBody{strings.NewReader(s)} }

// TestParsedCircuitInBraketDialect: a parsed circuit is sent in Braket's
// dialect, and gates the device does not list are refused before a task
// is created.
func TestParsedCircuitInBraketDialect(t *testing.T) {
	h := newHarness(t)
	std := "OPENQASM 3.0;\ninclude \"stdgates.inc\";\nqubit[2] q;\nbit[2] c;\nh q[0];\ncx q[0], q[1];\nsdg q[1];\nc = measure q;\n"
	c, err := circuit.Parse([]byte(std))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.p.Submit(context.Background(), qguard.Submission{JobID: "job_d", Device: brakettest.Forte1, QASM: std, Program: c, Shots: 10}); err != nil {
		t.Fatal(err)
	}
	var src string
	for _, r := range h.fake.Requests() {
		if r.Path == "/quantum-task" {
			var req CreateQuantumTaskRequest
			var act Action
			json.Unmarshal(r.Body, &req)
			json.Unmarshal([]byte(req.Action), &act)
			src = act.Source
		}
	}
	if !strings.Contains(src, "cnot q[0], q[1];") || !strings.Contains(src, "si q[1];") || strings.Contains(src, "include") {
		t.Fatalf("source not in Braket's dialect:\n%s", src)
	}
	// ccx is ccnot on Braket: SV1 lists it, Forte-1 does not.
	tof := "OPENQASM 3.0;\ninclude \"stdgates.inc\";\nqubit[3] q;\nccx q[0], q[1], q[2];\n"
	c, err = circuit.Parse([]byte(tof))
	if err != nil {
		t.Fatal(err)
	}
	_, err = h.p.Submit(context.Background(), qguard.Submission{JobID: "job_e", Device: brakettest.Forte1, QASM: tof, Program: c, Shots: 10})
	if qguard.ErrorCode(err) != qguard.EINVALIDCIRCUIT || !strings.Contains(err.Error(), "ccnot") {
		t.Fatalf("err = %v", err)
	}
	if _, err := h.p.Submit(context.Background(), qguard.Submission{JobID: "job_f", Device: brakettest.SV1, QASM: tof, Program: c, Shots: 10}); err != nil {
		t.Fatalf("SV1: %v", err)
	}
	if h.fake.Tasks() != 2 {
		t.Fatalf("tasks = %d", h.fake.Tasks())
	}
}

// TestNoCredentialLeaks: Braket echoes the keys in an error body; they do
// not reach the error (logs, requests and the observer are checked by the
// harness at cleanup).
func TestNoCredentialLeaks(t *testing.T) {
	h := newHarness(t)
	h.fake.Fail(providertest.Fault{Status: 400, Path: "/quantum-task", Body: `{"message":"ValidationException: key ` + h.fake.AccessKeyID + ` secret ` + h.fake.SecretAccessKey + `"}`})
	_, err := h.p.Submit(context.Background(), qguard.Submission{JobID: "j", Device: brakettest.SV1, QASM: bell, Shots: 10})
	if err == nil || !strings.Contains(err.Error(), "ValidationException") {
		t.Fatalf("err = %v", err)
	}
	providertest.NoSecrets(t, []string{h.fake.AccessKeyID, h.fake.SecretAccessKey}, "error", err.Error())
}

func TestFakeRejectsBadPayloads(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	a, err := h.p.account(ctx)
	if err != nil {
		t.Fatal(err)
	}
	good := func() map[string]any {
		act, _ := json.Marshal(Action{Header: SchemaHeader{Name: ProgramSchema, Version: "1"}, Source: bell})
		return map[string]any{"action": string(act), "clientToken": "t", "deviceArn": brakettest.SV1, "outputS3Bucket": "b", "outputS3KeyPrefix": "p", "shots": 10}
	}
	for name, mutate := range map[string]func(m map[string]any){
		"no shots":      func(m map[string]any) { delete(m, "shots") },
		"action object": func(m map[string]any) { m["action"] = map[string]any{"source": bell} },
		"jaqcd action": func(m map[string]any) {
			m["action"] = `{"braketSchemaHeader":{"name":"braket.ir.jaqcd.program","version":"1"},"instructions":[]}`
		},
		"unknown field":  func(m map[string]any) { m["shotCount"] = 10 },
		"long token":     func(m map[string]any) { m["clientToken"] = strings.Repeat("x", 65) },
		"too many shots": func(m map[string]any) { m["shots"] = 100001 },
		"no output":      func(m map[string]any) { delete(m, "outputS3Bucket") },
	} {
		body := good()
		mutate(body)
		_, err := h.p.call(ctx, a, &provider.Request{Op: "submit", Method: http.MethodPost}, "/quantum-task", body)
		if provider.StatusCode(err) != 400 {
			t.Errorf("%s: err = %v, want HTTP 400", name, err)
		}
	}
	if h.fake.Tasks() != 0 {
		t.Fatal("a bad payload created a task")
	}
}

// TestAssumeRole: with role_arn the vault's keys only sign the STS call;
// Braket and S3 see the session credentials.
func TestAssumeRole(t *testing.T) {
	h := newHarness(t)
	h.creds.Set(qguard.ProviderAWSBraket, "default", map[string]string{
		"access_key_id": h.fake.AccessKeyID, "secret_access_key": h.fake.SecretAccessKey,
		"s3_bucket": "amazon-braket-qguard", "role_arn": h.fake.RoleArn})
	ctx := context.Background()
	arn, err := h.p.Submit(ctx, qguard.Submission{JobID: "job_r", Device: brakettest.SV1, QASM: bell, Shots: 10})
	if err != nil {
		t.Fatal(err)
	}
	providertest.Wait(t, h.p, brakettest.SV1, arn)
	if n := h.fake.AssumeRoleCalls(); n != 1 {
		t.Errorf("AssumeRole called %d times; the session should be reused until near expiry", n)
	}
	for akid, n := range h.fake.Callers() {
		if akid == h.fake.AccessKeyID || !strings.HasPrefix(akid, "ASIA") {
			t.Errorf("%d Braket/S3 calls signed with %s, want only assumed-role keys", n, akid)
		}
	}
	h.creds.Set(qguard.ProviderAWSBraket, "default", map[string]string{
		"access_key_id": h.fake.AccessKeyID, "secret_access_key": h.fake.SecretAccessKey,
		"s3_bucket": "amazon-braket-qguard", "role_arn": "arn:aws:iam::123456789012:role/other"})
	_, err = h.p.Devices(ctx)
	if qguard.ErrorCode(err) != qguard.EPROVIDER || !strings.Contains(err.Error(), "assume role") {
		t.Fatalf("wrong role: %v", err)
	}
	providertest.NoSecrets(t, []string{h.fake.SecretAccessKey}, "error", err.Error())
}
