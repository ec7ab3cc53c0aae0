package provider

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qguard/qguard"
	"github.com/qguard/qguard/circuit"
	"github.com/qguard/qguard/config"
)

func fastOpts() Options {
	return Options{Timeout: time.Second, BaseBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond, MaxRetryWait: 3 * time.Second}
}

// scripted answers the statuses in order, then 200.
func scripted(t *testing.T, statuses ...int) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		if i < len(statuses) {
			if statuses[i] == 429 {
				w.Header().Set("Retry-After", "0")
			}
			w.WriteHeader(statuses[i])
			w.Write([]byte(`{"message":"busy, token=abcdefgh12345678 AKIAABCDEFGHIJKLMNOP"}`))
			return
		}
		w.Write([]byte(`{"ok":true}`))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestRetries(t *testing.T) {
	for _, tc := range []struct {
		name       string
		statuses   []int
		idempotent bool
		wantCode   string
		wantCalls  int32
	}{
		{"ok", nil, false, "", 1},
		{"429 retried", []int{429, 429}, false, "", 3},
		{"503 retried when not idempotent", []int{503}, false, "", 2},
		{"500 not retried when not idempotent", []int{500}, false, qguard.EPROVIDER, 1},
		{"500 retried when idempotent", []int{500, 502}, true, "", 3},
		{"429 beyond retries", []int{429, 429, 429, 429}, true, qguard.ERATELIMITED, 4},
		{"401", []int{401}, true, qguard.EPROVIDER, 1},
		{"404", []int{404}, true, qguard.ENOTFOUND, 1},
		{"409", []int{409}, true, qguard.ECONFLICT, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, n := scripted(t, tc.statuses...)
			var seen CallInfo
			opts := fastOpts()
			opts.Observer = func(_ context.Context, c CallInfo) { seen = c }
			c := NewClient("test", nil, opts, JSONMessage)
			_, err := c.Do(context.Background(), &Request{Op: "x", Method: "GET", URL: srv.URL, Idempotent: tc.idempotent})
			if qguard.ErrorCode(err) != tc.wantCode {
				t.Fatalf("err = %v, want code %q", err, tc.wantCode)
			}
			if n.Load() != tc.wantCalls || seen.Attempts != int(tc.wantCalls) {
				t.Fatalf("calls = %d, attempts %d, want %d", n.Load(), seen.Attempts, tc.wantCalls)
			}
			if err != nil {
				if strings.Contains(err.Error(), "abcdefgh12345678") || strings.Contains(err.Error(), "AKIAABCDEFGHIJKLMNOP") {
					t.Fatalf("secret in error: %v", err)
				}
				if seen.ErrorCode != tc.wantCode || seen.StatusCode != tc.statuses[len(tc.statuses)-1] {
					t.Fatalf("call info = %+v", seen)
				}
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		v    string
		want time.Duration
		ok   bool
	}{
		{"3", 3 * time.Second, true},
		{"0", 0, true},
		{now.Add(10 * time.Second).Format(http.TimeFormat), 10 * time.Second, true},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0, true},
		{"", 0, false},
		{"soon", 0, false},
		{"-1", 0, false},
	} {
		got, ok := retryAfter(tc.v, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("retryAfter(%q) = %v, %v; want %v, %v", tc.v, got, ok, tc.want, tc.ok)
		}
	}
}

func TestRetryAfterTooLong(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("Retry-After", "120")
		w.WriteHeader(429)
	}))
	defer srv.Close()
	c := NewClient("test", nil, fastOpts(), nil)
	_, err := c.Do(context.Background(), &Request{Method: "GET", URL: srv.URL, Idempotent: true})
	if qguard.ErrorCode(err) != qguard.ERATELIMITED || !strings.Contains(err.Error(), "2m0s") || n.Load() != 1 {
		t.Fatalf("err = %v after %d calls", err, n.Load())
	}
}

func TestTimeoutAndDown(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(block)
	opts := fastOpts()
	opts.Timeout = 50 * time.Millisecond
	opts.MaxRetries = 1
	c := NewClient("test", nil, opts, nil)
	_, err := c.Do(context.Background(), &Request{Method: "GET", URL: srv.URL, Idempotent: true})
	if qguard.ErrorCode(err) != qguard.EPROVIDER || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("err = %v", err)
	}
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	_, err = c.Do(context.Background(), &Request{Method: "GET", URL: down.URL + "/x?apikey=SECRETVALUE", Idempotent: true})
	if qguard.ErrorCode(err) != qguard.EPROVIDER || strings.Contains(err.Error(), "SECRETVALUE") {
		t.Fatalf("err = %v", err)
	}
}

func TestAuthorizeErrorNotRetried(t *testing.T) {
	srv, n := scripted(t)
	c := NewClient("test", nil, fastOpts(), nil)
	want := qguard.Errorf(qguard.EINVALID, "no key")
	_, err := c.Do(context.Background(), &Request{Method: "GET", URL: srv.URL, Idempotent: true, Authorize: func(*http.Request) error { return want }})
	if !errors.Is(err, want) || n.Load() != 0 {
		t.Fatalf("err = %v, calls %d", err, n.Load())
	}
}

func TestRedact(t *testing.T) {
	for _, tc := range []struct{ in, notWant string }{
		{"Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", "eyJhbGci"},
		{"bad apiKey abcdefghijklmnop", "abcdefghijklmnop"},
		{"token=abcdefgh12345678", "abcdefgh12345678"},
		{"key AKIAIOSFODNN7EXAMPLE used", "AKIAIOSFODNN7EXAMPLE"},
		{"secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY!", "wJalrXUtnFEMI"},
		{"ibm key 0123456789abcdefghijABCDEFGHIJ_-0123456789ab bad", "0123456789abcdefghij"},
		{"Credential=AKIDEXAMPLE/20260101/us-east-1/braket/aws4_request", "AKIDEXAMPLE"},
		{"aws_secret_access_key = abcdEFGH1234ijklMNOP", "abcdEFGH1234"},
	} {
		if got := Redact(tc.in); strings.Contains(got, tc.notWant) {
			t.Errorf("Redact(%q) = %q", tc.in, got)
		}
	}
	if got := Redact("the key s3cr3t-value failed", "s3cr3t-value"); got != "the key [REDACTED] failed" {
		t.Errorf("exact secret: %q", got)
	}
	if got := Redact("The security token included in the request is invalid."); got != "The security token included in the request is invalid." {
		t.Errorf("prose redacted: %q", got)
	}
	if got := Redact("Device Forte 1 is offline\n  retry"); got != "Device Forte 1 is offline retry" {
		t.Errorf("plain message changed: %q", got)
	}
	if got := Redact(strings.Repeat("é", 400)); len(got) > maxMessage+len("…") {
		t.Errorf("not truncated: %d", len(got))
	}
}

func FuzzRedact(f *testing.F) {
	f.Add("Invalid key provided", "ionq-key-123456")
	f.Add(`{"message":"token abc"}`, "AKIAIOSFODNN7EXAMPLE")
	f.Fuzz(func(t *testing.T, msg, secret string) {
		if len(secret) < 4 || strings.Contains(Redacted, secret) || strings.ContainsAny(secret, " \t\n\r\v\f[]") {
			return
		}
		got := Redact(msg+secret+msg, secret)
		if strings.Contains(got, secret) {
			t.Fatalf("secret survived: %q", got)
		}
	})
}

func TestCountsFromProbabilities(t *testing.T) {
	c := CountsFromProbabilities(map[string]float64{"00": 1.0 / 3, "01": 1.0 / 3, "11": 1.0 / 3}, 100)
	if c["00"]+c["01"]+c["11"] != 100 || c["00"] != 34 {
		t.Fatalf("counts = %v", c)
	}
	if c := CountsFromProbabilities(map[string]float64{"0": 1, "1": 0}, 5); len(c) != 1 || c["0"] != 5 {
		t.Fatalf("counts = %v", c)
	}
}

func TestQubitsFromText(t *testing.T) {
	s := qguard.Submission{QASM: "OPENQASM 3.0;\nqubit[3] a;\nqubit b;\nbit[2] c;\n"}
	if Qubits(s) != 4 || Clbits(s) != 2 {
		t.Fatalf("qubits %d clbits %d", Qubits(s), Clbits(s))
	}
	s = qguard.Submission{QASM: "OPENQASM 2.0;\nqreg q[5];\ncreg c[5];\n"}
	if Qubits(s) != 5 || Clbits(s) != 5 {
		t.Fatalf("qasm2: qubits %d", Qubits(s))
	}
	if n := Qubits(qguard.Submission{QASM: "qubit[9] q;", Program: &circuit.Circuit{Qubits: 7}}); n != 7 {
		t.Fatalf("program: %d", n)
	}
}

// fakeProvider is a qguard.Provider whose Devices answer is scripted.
type fakeProvider struct {
	name  string
	mu    sync.Mutex
	devs  []qguard.Device
	err   error
	calls int
}

func (f *fakeProvider) Name() string { return f.name }
func (f *fakeProvider) Devices(context.Context) ([]qguard.Device, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	time.Sleep(time.Millisecond)
	return append([]qguard.Device(nil), f.devs...), f.err
}
func (f *fakeProvider) Submit(context.Context, qguard.Submission) (string, error) { return "", nil }
func (f *fakeProvider) Status(context.Context, string, string) (*qguard.ProviderStatus, error) {
	return nil, nil
}
func (f *fakeProvider) Cancel(context.Context, string, string) error { return nil }
func (f *fakeProvider) set(err error) {
	f.mu.Lock()
	f.err = err
	f.mu.Unlock()
}

func TestRegistry(t *testing.T) {
	a := &fakeProvider{name: "ibm", devs: []qguard.Device{{Name: "ibm_a", Qubits: 127, Status: qguard.DeviceOnline}, {Name: "ibm_b", Qubits: 5, Status: qguard.DeviceOffline}}}
	b := &fakeProvider{name: "ionq", devs: []qguard.Device{{Name: "qpu.forte-1", Qubits: 36, Status: qguard.DeviceOnline}}}
	price := func(d qguard.Device) *qguard.Price { return &qguard.Price{PerSecond: 1.6, Source: "test"} }
	r := NewRegistry(time.Minute, price, nil, a, b)
	now := time.Now()
	r.now = func() time.Time { return now }
	ctx := context.Background()

	ds := r.Devices(ctx)
	if len(ds) != 3 || ds[0].ID != "ibm:ibm_a" || ds[0].Class != qguard.ClassQPULarge || ds[0].Price == nil || ds[2].ID != "ionq:qpu.forte-1" {
		t.Fatalf("devices = %+v", ds)
	}
	// Cached within the TTL.
	r.Devices(ctx)
	if a.calls != 1 {
		t.Fatalf("calls = %d", a.calls)
	}
	if _, _, err := r.Device(ctx, "ibm:ibm_b"); qguard.ErrorCode(err) != qguard.EDEVICEUNAVAILABLE {
		t.Fatalf("offline: %v", err)
	}
	if _, _, err := r.Device(ctx, "ibm:nope"); qguard.ErrorCode(err) != qguard.ENOTFOUND {
		t.Fatalf("unknown: %v", err)
	}
	if _, _, err := r.Device(ctx, "rigetti:x"); qguard.ErrorCode(err) != qguard.ENOTFOUND {
		t.Fatalf("unknown provider: %v", err)
	}
	// IBM goes down: its devices turn unavailable, IonQ's do not.
	a.set(qguard.Errorf(qguard.EPROVIDER, "ibm is unreachable"))
	now = now.Add(2 * time.Minute)
	for _, d := range r.Devices(ctx) {
		want := qguard.DeviceUnavailable
		if d.Provider == "ionq" {
			want = qguard.DeviceOnline
		}
		if d.Status != want {
			t.Fatalf("%s is %s, want %s", d.ID, d.Status, want)
		}
	}
	if _, p, err := r.Device(ctx, "ionq:qpu.forte-1"); err != nil || p != b {
		t.Fatalf("ionq: %v", err)
	}
	if _, _, err := r.Device(ctx, "ibm:ibm_a"); qguard.ErrorCode(err) != qguard.EDEVICEUNAVAILABLE {
		t.Fatalf("ibm down: %v", err)
	}
	// It is asked again soon (15 s), not after a whole TTL, and recovers.
	a.set(nil)
	now = now.Add(16 * time.Second)
	if _, _, err := r.Device(ctx, "ibm:ibm_a"); err != nil {
		t.Fatalf("recovered: %v", err)
	}
}

func TestRegistryConcurrent(t *testing.T) {
	a := &fakeProvider{name: "ibm", devs: []qguard.Device{{Name: "x", Status: qguard.DeviceOnline}}}
	r := NewRegistry(time.Hour, nil, nil, a)
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if len(r.Devices(context.Background())) != 1 {
				t.Error("lost devices")
			}
		}()
	}
	wg.Wait()
	if a.calls != 1 {
		t.Fatalf("provider asked %d times, want 1", a.calls)
	}
	r.Invalidate("ibm")
	r.Devices(context.Background())
	if a.calls != 2 {
		t.Fatalf("after Invalidate: %d calls", a.calls)
	}
}

func TestOptionsFrom(t *testing.T) {
	c := config.Default().Providers
	o := OptionsFrom(c, nil, nil).withDefaults()
	if o.MaxRetries != 3 || o.Timeout != 30*time.Second || o.MaxRetryWait != 30*time.Second {
		t.Fatalf("defaults: %+v", o)
	}
	c.Retries = 0
	if o := OptionsFrom(c, nil, nil).withDefaults(); o.MaxRetries != 0 {
		t.Fatalf("retries 0 → %d", o.MaxRetries)
	}
}

func TestDialErrorRetriedForAnyCall(t *testing.T) {
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	var seen CallInfo
	opts := fastOpts()
	opts.Observer = func(_ context.Context, c CallInfo) { seen = c }
	c := NewClient("test", nil, opts, nil)
	_, err := c.Do(context.Background(), &Request{Method: "POST", URL: down.URL, Body: []byte("{}")})
	if qguard.ErrorCode(err) != qguard.EPROVIDER || seen.Attempts != 4 || seen.StatusCode != 0 {
		t.Fatalf("err = %v, call %+v", err, seen)
	}
}

func TestRegistryCancelledCallerDoesNotPoison(t *testing.T) {
	a := &fakeProvider{name: "ibm", devs: []qguard.Device{{Name: "x", Status: qguard.DeviceOnline}}}
	r := NewRegistry(time.Hour, nil, nil, a)
	r.Devices(context.Background())
	r.Invalidate("ibm")
	a.set(context.Canceled)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r.Devices(ctx)
	a.set(nil)
	ds := r.Devices(context.Background())
	if len(ds) != 1 || ds[0].Status != qguard.DeviceOnline {
		t.Fatalf("devices = %+v", ds)
	}
}

func TestCheckURL(t *testing.T) {
	for u, ok := range map[string]bool{"https://api.ionq.co/v0.4": true, "http://127.0.0.1:9/x": true, "http://localhost/x": true, "http://[::1]:80": true,
		"http://api.ionq.co/v0.4": false, "ftp://x": false, "not a url": false, "https://user:pw@host/": true} {
		if err := CheckURL(u); (err == nil) != ok {
			t.Errorf("CheckURL(%q) = %v", u, err)
		}
	}
	if err := CheckURL("http://user:hunter22@example.com/"); err == nil || strings.Contains(err.Error(), "hunter22") {
		t.Errorf("password in error: %v", err)
	}
}

func TestSubmittedID(t *testing.T) {
	for body, want := range map[string]string{
		`{"id":"job-1","status":"queued"}`: "job-1",
		`{"id":""}`:                        "",
		`{"id":17}`:                        "",
		`{"other":"x"}`:                    "",
		`not json`:                         "",
		``:                                 "",
	} {
		id, err := SubmittedID([]byte(body), "id", "fake accepted the job without returning its id")
		if id != want || (want == "") != (qguard.ErrorCode(err) == qguard.EPROVIDER) {
			t.Errorf("%q: id %q err %v", body, id, err)
		}
	}
}

func TestSetJSON(t *testing.T) {
	r := &Request{Header: http.Header{}}
	if err := r.SetJSON(nil); err != nil || r.Body != nil || r.Header.Get("Content-Type") != "" {
		t.Fatalf("nil body: %v %q %v", err, r.Body, r.Header)
	}
	if err := r.SetJSON(map[string]int{"shots": 3}); err != nil || string(r.Body) != `{"shots":3}` || r.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("body: %v %q %v", err, r.Body, r.Header)
	}
	if err := r.SetJSON(func() {}); err == nil {
		t.Fatal("marshalled a func")
	}
}
