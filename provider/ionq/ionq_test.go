package ionq

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/qguard/qguard"
	"github.com/qguard/qguard/circuit"
	"github.com/qguard/qguard/provider"
	"github.com/qguard/qguard/provider/ionq/ionqtest"
	"github.com/qguard/qguard/provider/providertest"
)

const bell = providertest.Bell

type harness struct {
	*providertest.Egress
	fake  *ionqtest.Server
	creds *providertest.Creds
	p     *Provider
}

func newHarness(t *testing.T, cfg Config) *harness {
	t.Helper()
	h := &harness{fake: ionqtest.New(t), creds: providertest.NewCreds()}
	h.creds.Set(qguard.ProviderIonQ, "default", map[string]string{"api_key": h.fake.APIKey, "base_url": h.fake.BaseURL})
	h.Egress, cfg.Egress = providertest.NewEgress()
	h.p = New(cfg, h.creds, "default", nil)
	t.Cleanup(func() {
		secrets := []string{h.fake.APIKey}
		h.NoSecrets(t, secrets)
		providertest.NoSecrets(t, secrets, "request", h.fake.RequestTexts("")...)
	})
	return h
}

func TestSubmitPollCounts(t *testing.T) {
	c, err := circuit.Parse([]byte(bell))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		cfg     Config
		program any
		typ     string
	}{
		{"qasm3 text only", Config{}, nil, TypeQASM3},
		{"qasm3 by config", Config{Format: "openqasm"}, c, TypeQASM3},
		{"circuit.v1", Config{}, c, TypeCircuit},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.cfg)
			ctx := context.Background()
			devs, err := h.p.Devices(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range devs {
				if d.ID == "ionq:simulator" && d.Class != qguard.ClassSimulator || d.ID == "ionq:qpu.forte-1" && (d.Qubits != 36 || d.Class != qguard.ClassQPUMedium) {
					t.Fatalf("device %+v", d)
				}
			}
			id, err := h.p.Submit(ctx, qguard.Submission{JobID: "job_i", User: "carol", Device: "qpu.forte-1", QASM: bell, Shots: 101, Program: tc.program})
			if err != nil {
				t.Fatal(err)
			}
			st := providertest.Wait(t, h.p, "qpu.forte-1", id)
			// State 1 (qubit 0 set) is "01"; 101 shots split 51/50.
			if st.Status != qguard.JobCompleted || st.Result.Shots != 101 || st.Result.Counts["00"]+st.Result.Counts["01"] != 101 || st.Result.Counts["01"] < 50 {
				t.Fatalf("result = %+v", st.Result)
			}
			var sent jobRequest
			for _, r := range h.fake.Requests() {
				if r.Method == "POST" && r.Path == "/v0.4/jobs" {
					json.Unmarshal(r.Body, &sent)
				}
			}
			if sent.Type != tc.typ || sent.Metadata["qguard_job_id"] != "job_i" || sent.Metadata["qguard_user"] != "carol" || sent.Shots != 101 {
				t.Fatalf("sent = %+v", sent)
			}
		})
	}
}

func TestCancelEstimateCharacterization(t *testing.T) {
	h := newHarness(t, Config{})
	ctx := context.Background()
	id, err := h.p.Submit(ctx, qguard.Submission{JobID: "j", Device: "simulator", QASM: bell, Shots: 10})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.p.Cancel(ctx, "simulator", id); err != nil {
		t.Fatal(err)
	}
	if st, _ := h.p.Status(ctx, "simulator", id); st.Status != qguard.JobCancelled {
		t.Fatalf("status %s", st.Status)
	}
	if err := h.p.Cancel(ctx, "simulator", id); qguard.ErrorCode(err) != qguard.ECONFLICT {
		t.Fatalf("second cancel: %v", err)
	}
	cost, err := h.p.Estimate(ctx, "qpu.forte-1", "", 2, 1000, 1, 1)
	if err != nil || cost != 80.30 {
		t.Fatalf("estimate = %v, %v", cost, err)
	}
	c, err := h.p.Characterization(ctx, "qpu.forte-1")
	if err != nil || c.Fidelity.TwoQubit.Median != 0.995 || c.Qubits != 36 {
		t.Fatalf("characterization = %+v, %v", c, err)
	}
}

func TestUnavailableBackend(t *testing.T) {
	h := newHarness(t, Config{})
	h.fake.SetBackend(ionqtest.Backend{Name: "qpu.forte-1", Qubits: 36, Status: "unavailable"})
	for _, dev := range []string{"qpu.forte-1", "qpu.nowhere"} {
		_, err := h.p.Submit(context.Background(), qguard.Submission{JobID: "j", Device: dev, QASM: bell, Shots: 10})
		if qguard.ErrorCode(err) != qguard.EDEVICEUNAVAILABLE {
			t.Fatalf("%s: %v", dev, err)
		}
	}
	if h.fake.Jobs() != 0 {
		t.Fatal("a job reached IonQ")
	}
}

func TestWrongKeyNotInError(t *testing.T) {
	h := newHarness(t, Config{})
	key := "ionq-wrong-" + strings.Repeat("w", 20)
	h.creds.Set(qguard.ProviderIonQ, "default", map[string]string{"api_key": key, "base_url": h.fake.BaseURL})
	_, err := h.p.Devices(context.Background())
	if qguard.ErrorCode(err) != qguard.EPROVIDER || !strings.Contains(err.Error(), "401") {
		t.Fatalf("err = %v", err)
	}
	providertest.NoSecrets(t, []string{key}, "error", err.Error())
	providertest.NoSecrets(t, []string{key}, "log", h.Logs.String())
}

func TestRateLimitAndDown(t *testing.T) {
	h := newHarness(t, Config{})
	h.fake.Fail(providertest.Fault{Status: 429, RetryAfter: "1", Body: `{"statusCode":429,"message":"Too Many Requests"}`})
	start := time.Now()
	if _, err := h.p.Devices(context.Background()); err != nil {
		t.Fatal(err)
	}
	if time.Since(start) < time.Second {
		t.Fatal("Retry-After ignored")
	}
	// Submit is not idempotent: a 500 is not retried, a 503 is.
	h.fake.Fail(providertest.Fault{Status: 500, Path: "/jobs"})
	if _, err := h.p.Submit(context.Background(), qguard.Submission{JobID: "j", Device: "simulator", QASM: bell, Shots: 10}); qguard.ErrorCode(err) != qguard.EPROVIDER {
		t.Fatalf("500: %v", err)
	}
	h.fake.Fail(providertest.Fault{Status: 503, Path: "/jobs"})
	if _, err := h.p.Submit(context.Background(), qguard.Submission{JobID: "j", Device: "simulator", QASM: bell, Shots: 10}); err != nil {
		t.Fatalf("503 then OK: %v", err)
	}
	providertest.DownIsUnreachable(t, h.p, h.fake.Close)
}

func TestResultPathStaysOnHost(t *testing.T) {
	h := newHarness(t, Config{})
	a, _ := h.p.account(context.Background())
	if p, err := resultPath(a.base, "/v0.4/jobs/x/results/probabilities", "x"); err != nil || p != "/jobs/x/results/probabilities" {
		t.Fatalf("%q %v", p, err)
	}
	for _, bad := range []string{"https://evil.example/v0.4/jobs/x", "//evil.example/x", "relative/path"} {
		if _, err := resultPath(a.base, bad, "x"); err == nil {
			t.Errorf("followed %s", bad)
		}
	}
}

func TestDecodeProbabilities(t *testing.T) {
	r, err := DecodeProbabilities([]byte(`{"0":0.25,"5":0.75}`), 3, 4)
	if err != nil || r.Counts["000"] != 1 || r.Counts["101"] != 3 {
		t.Fatalf("%+v %v", r, err)
	}
	for _, bad := range []string{`{}`, `{"x":1}`, `{"0":2}`, `{"0":0.2}`, `[]`, `{"99999999999999999999":1}`} {
		if _, err := DecodeProbabilities([]byte(bad), 2, 10); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

func FuzzDecodeProbabilities(f *testing.F) {
	f.Add([]byte(`{"0":0.5,"3":0.5}`), 2, 100)
	f.Add([]byte(`{"1":1}`), 0, 7)
	f.Fuzz(func(t *testing.T, b []byte, qubits, shots int) {
		if shots > 1<<20 || qubits > 64 {
			return
		}
		if r, err := DecodeProbabilities(b, qubits, shots); err == nil {
			providertest.CountsMatchShots(t, r, shots)
		}
	})
}

func TestNoCredentialLeaks(t *testing.T) {
	h := newHarness(t, Config{})
	h.fake.Fail(providertest.Fault{Status: 400, Path: "/jobs", Body: `{"statusCode":400,"error":"Bad Request","message":"key ` + h.fake.APIKey + ` cannot submit"}`})
	_, err := h.p.Submit(context.Background(), qguard.Submission{JobID: "j", Device: "simulator", QASM: bell, Shots: 10})
	if err == nil || !strings.Contains(err.Error(), "cannot submit") {
		t.Fatalf("err = %v", err)
	}
	providertest.NoSecrets(t, []string{h.fake.APIKey}, "error", err.Error())
}

func TestFakeRejectsBadPayloads(t *testing.T) {
	h := newHarness(t, Config{})
	ctx := context.Background()
	a, _ := h.p.account(ctx)
	for name, body := range map[string]any{
		"unknown type":  map[string]any{"type": "ionq.quil.v1", "shots": 10, "backend": "simulator", "input": map[string]any{"qubits": 1}},
		"qasm2":         map[string]any{"type": TypeQASM3, "shots": 10, "backend": "simulator", "input": map[string]any{"qubits": 1, "data": "OPENQASM 2.0;"}},
		"bad gate":      map[string]any{"type": TypeCircuit, "shots": 10, "backend": "simulator", "input": map[string]any{"qubits": 1, "circuit": []any{map[string]any{"gate": "toffoli", "target": 0}}}},
		"no shots":      map[string]any{"type": TypeQASM3, "backend": "simulator", "input": map[string]any{"qubits": 1, "data": bell}},
		"too wide":      map[string]any{"type": TypeQASM3, "shots": 10, "backend": "simulator", "input": map[string]any{"qubits": 30, "data": bell}},
		"unknown field": map[string]any{"type": TypeQASM3, "shots": 10, "backend": "simulator", "target": "qpu", "input": map[string]any{"qubits": 1, "data": bell}},
	} {
		_, err := h.p.call(ctx, a, &provider.Request{Op: "submit", Method: "POST"}, "/jobs", body)
		if provider.StatusCode(err) != 400 {
			t.Errorf("%s: err = %v, want HTTP 400", name, err)
		}
	}
	if h.fake.Jobs() != 0 {
		t.Fatal("a bad payload created a job")
	}
}

func TestPlainHTTPRefused(t *testing.T) {
	h := newHarness(t, Config{})
	h.creds.Set(qguard.ProviderIonQ, "default", map[string]string{"api_key": h.fake.APIKey, "base_url": "http://api.ionq.example/v0.4"})
	if _, err := h.p.Devices(context.Background()); qguard.ErrorCode(err) != qguard.EINVALID || !strings.Contains(err.Error(), "https") {
		t.Fatalf("err = %v", err)
	}
}
