package ibm

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/qguard/qguard"
	"github.com/qguard/qguard/provider"
	"github.com/qguard/qguard/provider/ibm/ibmtest"
	"github.com/qguard/qguard/provider/providertest"
)

const bell = providertest.Bell

type harness struct {
	*providertest.Egress
	fake  *ibmtest.Server
	creds *providertest.Creds
	p     *Provider
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{fake: ibmtest.New(t), creds: providertest.NewCreds()}
	h.creds.Set(qguard.ProviderIBMQuantum, "default", map[string]string{
		"token": h.fake.APIKey, "instance": h.fake.CRN, "channel": "ibm_quantum_platform", "region": "us-east"})
	var egress provider.Options
	h.Egress, egress = providertest.NewEgress()
	h.p = New(Config{URL: h.fake.APIURL(), IAMURL: h.fake.URL, Egress: egress}, h.creds, "default", nil)
	t.Cleanup(func() {
		// The IAM exchange is left out: its body is the API key by protocol.
		secrets := []string{h.fake.APIKey, h.p.token.value}
		h.NoSecrets(t, secrets)
		providertest.NoSecrets(t, secrets, "request", h.fake.RequestTexts("/identity/token")...)
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
	got := map[string]qguard.Device{}
	for _, d := range devs {
		got[d.ID] = d
	}
	if d := got["ibm:ibm_fake_eagle"]; d.Qubits != 127 || d.Class != qguard.ClassQPULarge || d.Status != qguard.DeviceOnline {
		t.Fatalf("eagle = %+v", d)
	}
	if d := got["ibm:ibm_fake_small"]; d.Qubits != 5 || d.Class != qguard.ClassQPUSmall {
		t.Fatalf("small = %+v", d)
	}

	id, err := h.p.Submit(ctx, qguard.Submission{JobID: "job_1", User: "alice", Device: "ibm_fake_small", QASM: bell, Shots: 1000})
	if err != nil {
		t.Fatal(err)
	}
	st := providertest.Wait(t, h.p, "ibm_fake_small", id)
	if st.Status != qguard.JobCompleted || st.Result == nil {
		t.Fatalf("status = %+v", st)
	}
	if c := st.Result.Counts; len(c) != 2 || c["00"] != 500 || c["11"] != 500 || st.Result.Shots != 1000 {
		t.Fatalf("counts = %v shots %d", c, st.Result.Shots)
	}
	if st.Result.Seconds != 3 {
		t.Fatalf("seconds = %v", st.Result.Seconds)
	}
	// The job request as the service documents it.
	var sent jobRequest
	for _, r := range h.fake.Requests() {
		if r.Method == http.MethodPost && r.Path == "/api/v1/jobs" {
			if r.Header.Get("Service-CRN") != h.fake.CRN || r.Header.Get("IBM-API-Version") != APIVersion {
				t.Fatalf("headers = %v", r.Header)
			}
			if err := json.Unmarshal(r.Body, &sent); err != nil {
				t.Fatal(err)
			}
		}
	}
	if sent.ProgramID != "sampler" || len(sent.Params.Pubs) != 1 || sent.Params.Pubs[0][2] != float64(1000) ||
		strings.Join(sent.Tags, ",") != "qguard_job:job_1,qguard_user:alice" {
		t.Fatalf("sent = %+v", sent)
	}
	if h.fake.TokensIssued() != 1 {
		t.Fatalf("tokens issued = %d, want 1 (cached)", h.fake.TokensIssued())
	}
	if h.creds.Reads() < 3 {
		t.Fatalf("credentials read %d times; want one read per call", h.creds.Reads())
	}
}

func TestDefaultShots(t *testing.T) {
	h := newHarness(t)
	id, err := h.p.Submit(context.Background(), qguard.Submission{JobID: "job_2", Device: "ibm_fake_small", QASM: bell})
	if err != nil {
		t.Fatal(err)
	}
	if st := providertest.Wait(t, h.p, "ibm_fake_small", id); st.Result.Shots != EffectiveShots(0, 0) || st.Result.Shots != 4096 {
		t.Fatalf("shots = %d, want 4096", st.Result.Shots)
	}
}

func TestEffectiveShots(t *testing.T) {
	for _, tc := range []struct{ pub, def, want int }{{1000, 0, 1000}, {1000, 200, 1000}, {0, 200, 200}, {0, 0, 4096}, {-1, 0, 4096}} {
		if got := EffectiveShots(tc.pub, tc.def); got != tc.want {
			t.Errorf("EffectiveShots(%d, %d) = %d, want %d", tc.pub, tc.def, got, tc.want)
		}
	}
}

func TestCancel(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	id, err := h.p.Submit(ctx, qguard.Submission{JobID: "job_3", Device: "ibm_fake_small", QASM: bell, Shots: 10})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.p.Cancel(ctx, "ibm_fake_small", id); err != nil {
		t.Fatal(err)
	}
	if st, err := h.p.Status(ctx, "ibm_fake_small", id); err != nil || st.Status != qguard.JobCancelled {
		t.Fatalf("status = %+v, %v", st, err)
	}
	if err := h.p.Cancel(ctx, "ibm_fake_small", id); qguard.ErrorCode(err) != qguard.ECONFLICT {
		t.Fatalf("second cancel = %v, want conflict", err)
	}
	if _, err := h.p.Status(ctx, "ibm_fake_small", "nope"); qguard.ErrorCode(err) != qguard.ENOTFOUND {
		t.Fatalf("unknown job = %v", err)
	}
}

func TestOfflineBackend(t *testing.T) {
	h := newHarness(t)
	h.fake.SetBackend(ibmtest.Backend{Name: "ibm_fake_small", Qubits: 5, Operational: false})
	_, err := h.p.Submit(context.Background(), qguard.Submission{JobID: "job_4", Device: "ibm_fake_small", QASM: bell, Shots: 10})
	if qguard.ErrorCode(err) != qguard.EDEVICEUNAVAILABLE {
		t.Fatalf("err = %v, want device_unavailable", err)
	}
	_, err = h.p.Submit(context.Background(), qguard.Submission{JobID: "job_4", Device: "ibm_nowhere", QASM: bell, Shots: 10})
	if qguard.ErrorCode(err) != qguard.EDEVICEUNAVAILABLE {
		t.Fatalf("unknown backend: err = %v, want device_unavailable", err)
	}
	for _, r := range h.fake.Requests() {
		if r.Method == http.MethodPost && r.Path == "/api/v1/jobs" {
			t.Fatal("a job reached the provider")
		}
	}
}

func TestUsageLimitRefusedEarly(t *testing.T) {
	h := newHarness(t)
	h.fake.SetUsageLimitReached(true)
	_, err := h.p.Submit(context.Background(), qguard.Submission{JobID: "job_5", Device: "ibm_fake_small", QASM: bell, Shots: 10})
	if err == nil || !strings.Contains(err.Error(), "usage limit") || !strings.Contains(err.Error(), "600 of 600") {
		t.Fatalf("err = %v", err)
	}
	for _, r := range h.fake.Requests() {
		if r.Path == "/api/v1/jobs" {
			t.Fatal("a job reached the provider")
		}
	}
}

func TestExpiredTokenRefreshed(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	if _, err := h.p.Devices(ctx); err != nil {
		t.Fatal(err)
	}
	// The service expires the token early: a 401, a new exchange, success.
	h.fake.ExpireTokens()
	if _, err := h.p.Devices(ctx); err != nil {
		t.Fatal(err)
	}
	if n := h.fake.TokensIssued(); n != 2 {
		t.Fatalf("tokens issued = %d, want 2", n)
	}
	// Our clock says the token is within 5 minutes of expiry: renewed
	// before use, without a 401 first.
	h.p.now = func() time.Time { return time.Now().Add(56 * time.Minute) }
	a, err := h.p.account(ctx)
	if err != nil {
		t.Fatal(err)
	}
	old := h.p.token.value
	if tok, err := h.p.bearerToken(ctx, a, false); err != nil || tok == old || h.fake.TokensIssued() != 3 {
		t.Fatalf("token not renewed: issued %d, err %v", h.fake.TokensIssued(), err)
	}
	// A rotated key never reuses the old key's token.
	h.p.now = time.Now
	h.creds.Set(qguard.ProviderIBMQuantum, "default", map[string]string{"token": "wrongKEY_" + strings.Repeat("y", 35), "instance": h.fake.CRN})
	_, err = h.p.Devices(ctx)
	if qguard.ErrorCode(err) != qguard.EPROVIDER || strings.Contains(err.Error(), "wrongKEY") {
		t.Fatalf("rotated to a bad key: err = %v", err)
	}
}

func TestRateLimitRetryAfter(t *testing.T) {
	h := newHarness(t)
	h.fake.Fail(providertest.Fault{Status: 429, RetryAfter: "1", Path: "/backends", Body: `{"errors":[{"message":"Too many requests"}]}`})
	start := time.Now()
	if _, err := h.p.Devices(context.Background()); err != nil {
		t.Fatal(err)
	}
	if time.Since(start) < time.Second {
		t.Fatal("Retry-After: 1 was not honoured")
	}
	var attempts int
	for _, c := range h.Calls() {
		if c.Op == "devices" {
			attempts = c.Attempts
		}
	}
	if attempts != 2 {
		t.Fatalf("attempts = %d, want 2", attempts)
	}
	// A Retry-After beyond MaxRetryWait fails at once with rate_limited.
	h.fake.Fail(providertest.Fault{Status: 429, RetryAfter: "3600", Path: "/backends"})
	_, err := h.p.Devices(context.Background())
	if qguard.ErrorCode(err) != qguard.ERATELIMITED || !strings.Contains(err.Error(), "1h0m0s") {
		t.Fatalf("err = %v", err)
	}
}

func TestProviderDown(t *testing.T) {
	h := newHarness(t)
	providertest.DownIsUnreachable(t, h.p, h.fake.Close)
}

func TestBadCredentialNotInErrors(t *testing.T) {
	h := newHarness(t)
	key := "leakyKEY_" + strings.Repeat("z", 35)
	h.creds.Set(qguard.ProviderIBMQuantum, "default", map[string]string{"token": key, "instance": h.fake.CRN})
	_, err := h.p.Submit(context.Background(), qguard.Submission{JobID: "j", Device: "ibm_fake_small", QASM: bell})
	if err == nil {
		t.Fatal("submitted with a wrong key")
	}
	providertest.NoSecrets(t, []string{key}, "error", err.Error(), qguard.ErrorMessage(err))
	providertest.NoSecrets(t, []string{key}, "log", h.Logs.String())
	// The wrong CRN is refused by the service.
	h.creds.Set(qguard.ProviderIBMQuantum, "default", map[string]string{"token": h.fake.APIKey, "instance": "crn:v1:other"})
	if _, err := h.p.Devices(context.Background()); qguard.ErrorCode(err) != qguard.EPROVIDER {
		t.Fatalf("wrong CRN: %v", err)
	}
	h.creds.Set(qguard.ProviderIBMQuantum, "default", map[string]string{"token": h.fake.APIKey, "instance": h.fake.CRN, "channel": "ibm_quantum"})
	if _, err := h.p.Devices(context.Background()); qguard.ErrorCode(err) != qguard.EINVALID {
		t.Fatalf("legacy channel: %v", err)
	}
}

func TestDecodeResults(t *testing.T) {
	body := `{"results":[{"data":{"a":{"samples":["0x1","0x0"],"num_bits":1},"b":{"samples":["0x2","0x3"],"num_bits":2}}}]}`
	r, err := DecodeResults([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	// b (declared last) holds the high bits: "10"+"1", "11"+"0".
	if r.Counts["101"] != 1 || r.Counts["110"] != 1 || r.Shots != 2 {
		t.Fatalf("counts = %v", r.Counts)
	}
	for _, bad := range []string{`{}`, `{"results":[]}`, `{"results":[{"data":{}}]}`, `{"results":[{"data":{"c":{"samples":["zz"],"num_bits":1}}}]}`,
		`{"results":[{"data":{"c":{"samples":["0xff"],"num_bits":2}}}]}`, `{"results":[{"data":{"a":{"samples":["0x1"]},"b":{"samples":[]}}}]}`} {
		if _, err := DecodeResults([]byte(bad)); err == nil {
			t.Errorf("DecodeResults(%s) succeeded", bad)
		}
	}
}

func FuzzDecodeResults(f *testing.F) {
	f.Add([]byte(`{"results":[{"data":{"c":{"samples":["0x0","0x3","0x1"],"num_bits":2}}}]}`))
	f.Add([]byte(`{"results":[{"data":{"a":{"samples":["0x1"],"num_bits":1},"b":{"samples":["0x2"],"num_bits":2}}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if r, err := DecodeResults(b); err == nil {
			providertest.CountsMatchShots(t, r, r.Shots)
		}
	})
}

// TestNoCredentialLeaks: the provider echoes the API key and the bearer
// token in an error body; neither reaches the error, the logs or the
// observer (checked by the harness at cleanup).
func TestNoCredentialLeaks(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	if _, err := h.p.Devices(ctx); err != nil {
		t.Fatal(err)
	}
	tok := h.p.token.value
	h.fake.Fail(providertest.Fault{Status: 400, Path: "/jobs", Body: `{"errors":[{"message":"bad request from apikey ` + h.fake.APIKey + ` with ` + tok + `"}]}`})
	_, err := h.p.Submit(ctx, qguard.Submission{JobID: "j", Device: "ibm_fake_small", QASM: bell, Shots: 10})
	if err == nil || !strings.Contains(err.Error(), "bad request") {
		t.Fatalf("err = %v", err)
	}
	providertest.NoSecrets(t, []string{h.fake.APIKey, tok}, "error", err.Error(), qguard.ErrorMessage(err))
}

// TestFakeRejectsBadPayloads: the fake refuses what the service refuses.
func TestFakeRejectsBadPayloads(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	a, err := h.p.account(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, body := range []any{
		map[string]any{"program_id": "sampler", "backend": "ibm_fake_small", "params": map[string]any{"pubs": [][]any{{"OPENQASM 2.0; qreg q[1];"}}}},
		map[string]any{"program_id": "sampler", "backend": "ibm_fake_small", "params": map[string]any{"pubs": []any{"OPENQASM 3.0;"}}},
		map[string]any{"program_id": "sampler", "backend": "ibm_fake_small", "params": map[string]any{"pubs": [][]any{{bell, nil, -5}}}},
		map[string]any{"program_id": "sampler", "backend": "ibm_fake_small", "shots": 100, "params": map[string]any{"pubs": [][]any{{bell}}}},
		map[string]any{"program_id": "qasm3-runner", "backend": "ibm_fake_small", "params": map[string]any{"pubs": [][]any{{bell}}}},
	} {
		_, err := h.p.call(ctx, a, &provider.Request{Op: "submit", Method: http.MethodPost}, "/jobs", body)
		if provider.StatusCode(err) != 400 {
			t.Errorf("%v: err = %v, want HTTP 400", body, err)
		}
	}
}

func TestMaxExecutionTimeSentAsCost(t *testing.T) {
	h := newHarness(t)
	h.p.cfg.MaxExecutionTime = 90 * time.Second
	if _, err := h.p.Submit(context.Background(), qguard.Submission{JobID: "j", Device: "ibm_fake_small", QASM: bell, Shots: 10}); err != nil {
		t.Fatal(err)
	}
	for _, r := range h.fake.Requests() {
		if r.Path == "/api/v1/jobs" && !strings.Contains(string(r.Body), `"cost":90`) {
			t.Fatalf("body = %s", r.Body)
		}
	}
}
