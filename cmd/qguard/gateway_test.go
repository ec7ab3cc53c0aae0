package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/qguard/qguard"
	"github.com/qguard/qguard/auth"
)

// testClock is a clock tests can move forward.
type testClock struct{ offset atomic.Int64 }

func (c *testClock) now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *testClock) advance(d time.Duration) { c.offset.Add(int64(d)) }

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testGateway is the real gateway, built as `qguard serve` builds it, on a
// loopback port with a fresh home.
type testGateway struct {
	t        *testing.T
	home     string
	url      string
	adminKey string
	parts    *gatewayParts
	clock    *testClock
	log      *syncBuffer
	http     *http.Client
	authn    *auth.Service
	stop     func()
}

type gatewayOption func(a *app, home string)

// withConfig writes config.yaml into the home before the first start.
func withConfig(yaml string) gatewayOption {
	return func(_ *app, home string) {
		if err := os.MkdirAll(home, 0o700); err != nil {
			panic(err)
		}
		if err := os.WriteFile(filepath.Join(home, "config.yaml"), []byte(yaml), 0o600); err != nil {
			panic(err)
		}
	}
}

func withHooks(f func(*testHooks)) gatewayOption {
	return func(a *app, _ string) { f(&a.hooks) }
}

func startGateway(t *testing.T, opts ...gatewayOption) *testGateway {
	t.Helper()
	home := filepath.Join(t.TempDir(), "home")
	logs := &syncBuffer{}
	clock := &testClock{}
	a := &app{home: home, log: slog.New(slog.NewJSONHandler(logs, nil))}
	a.hooks.clock = clock.now
	for _, o := range opts {
		o(a, home)
	}
	var out bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	parts, err := a.openGateway(ctx, &out, io.Discard)
	if err != nil {
		cancel()
		t.Fatalf("openGateway: %v", err)
	}
	key := ""
	for _, f := range strings.Fields(out.String()) {
		if strings.HasPrefix(f, "qg_") {
			key = f
		}
	}
	if key == "" {
		t.Fatalf("first start printed no admin key:\n%s", out.String())
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- parts.server.Serve(ctx, l, nil) }()
	g := &testGateway{
		t: t, home: home, url: "http://" + l.Addr().String(), adminKey: key, parts: parts, clock: clock, log: logs,
		http:  &http.Client{Transport: &openAPICheck{t: t, next: http.DefaultTransport, router: loadOpenAPI(t)}, Timeout: time.Minute},
		authn: auth.New(parts.store, parts.cfg.Auth, clock.now),
	}
	var once sync.Once
	g.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Serve: %v", err)
			}
			parts.Close()
		})
	}
	t.Cleanup(g.stop)
	return g
}

// user creates a user with the CLI's code path and returns its API key.
func (g *testGateway) user(name, role, project string) string {
	g.t.Helper()
	_, key, err := g.authn.CreateUser(context.Background(), name, role, project)
	if err != nil {
		g.t.Fatalf("create user %s: %v", name, err)
	}
	return key
}

type apiResponse struct {
	status int
	body   []byte
}

func (r apiResponse) errorCode() string {
	var e struct {
		Error struct{ Code, Message string }
	}
	_ = json.Unmarshal(r.body, &e)
	return e.Error.Code
}

func (r apiResponse) errorMessage() string {
	var e struct {
		Error struct{ Code, Message string }
	}
	_ = json.Unmarshal(r.body, &e)
	return e.Error.Message
}

func (g *testGateway) do(method, path, token string, body any) apiResponse {
	g.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case io.Reader:
		rd = b
	default:
		data, err := json.Marshal(b)
		if err != nil {
			g.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, g.url+path, rd)
	if err != nil {
		g.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := g.http.Do(req)
	if err != nil {
		g.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return apiResponse{status: resp.StatusCode, body: data}
}

// ghz returns an OpenQASM 2 GHZ circuit on n qubits.
func ghz(n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[%d];\ncreg c[%d];\nh q[0];\n", n, n)
	for i := 1; i < n; i++ {
		fmt.Fprintf(&b, "cx q[%d],q[%d];\n", i-1, i)
	}
	b.WriteString("measure q -> c;\n")
	return b.String()
}

type submitResult struct {
	ID     string
	Status string
	Result *qguard.Result
}

func (g *testGateway) submit(token string, req map[string]any) (apiResponse, submitResult) {
	g.t.Helper()
	r := g.do("POST", "/v1/jobs", token, req)
	var j submitResult
	_ = json.Unmarshal(r.body, &j)
	return r, j
}

func TestGatewayEndToEnd(t *testing.T) {
	g := startGateway(t)
	researcher := g.user("rita", qguard.RoleResearcher, "qml")
	auditor := g.user("aud", qguard.RoleAuditor, "")

	t.Run("ResearcherGetsCounts", func(t *testing.T) {
		r, j := g.submit(researcher, map[string]any{"qasm": ghz(5), "shots": 1000})
		if r.status != http.StatusCreated {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
		if j.Status != qguard.JobCompleted || j.Result == nil {
			t.Fatalf("job %+v, want completed with a result", j)
		}
		total := 0
		for k, n := range j.Result.Counts {
			if k != "00000" && k != "11111" {
				t.Errorf("GHZ gave outcome %q", k)
			}
			total += n
		}
		if total != 1000 {
			t.Errorf("counts sum to %d, want 1000", total)
		}
		got := g.do("GET", "/v1/jobs/"+j.ID, researcher, nil)
		if got.status != 200 || !bytes.Contains(got.body, []byte(`"counts"`)) {
			t.Errorf("GET job: %d %s", got.status, got.body)
		}
		if other := g.do("GET", "/v1/jobs/"+j.ID, g.user("rob", qguard.RoleResearcher, ""), nil); other.status != 404 {
			t.Errorf("another researcher reads the job: %d", other.status)
		}
	})
	t.Run("TooManyShots", func(t *testing.T) {
		r, _ := g.submit(researcher, map[string]any{"qasm": ghz(5), "shots": 20000})
		if r.status != 403 || r.errorCode() != qguard.EPOLICYDENIED || !strings.Contains(r.errorMessage(), "max_shots") {
			t.Fatalf("got %d %s, want 403 policy_denied naming max_shots", r.status, r.body)
		}
	})
	t.Run("TooManyQubits", func(t *testing.T) {
		r, _ := g.submit(researcher, map[string]any{"qasm": ghz(21), "shots": 100})
		if r.status != 403 || r.errorCode() != qguard.EPOLICYDENIED || !strings.Contains(r.errorMessage(), "max_qubits") {
			t.Fatalf("got %d %s, want 403 policy_denied naming max_qubits", r.status, r.body)
		}
	})
	t.Run("AuditorCannotSubmit", func(t *testing.T) {
		r, _ := g.submit(auditor, map[string]any{"qasm": ghz(2), "shots": 10})
		if r.status != 403 || r.errorCode() != qguard.EPOLICYDENIED {
			t.Fatalf("got %d %s, want 403 policy_denied", r.status, r.body)
		}
	})
	t.Run("MalformedCircuit", func(t *testing.T) {
		r, _ := g.submit(researcher, map[string]any{"qasm": "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\ncx q[0] q[1];\n"})
		if r.status != 400 || r.errorCode() != qguard.EINVALIDCIRCUIT || !strings.HasPrefix(r.errorMessage(), "4:") {
			t.Fatalf("got %d %s, want 400 invalid_circuit at line 4", r.status, r.body)
		}
	})
	t.Run("UnknownDevice", func(t *testing.T) {
		r, _ := g.submit(researcher, map[string]any{"qasm": ghz(2), "device": "nowhere:qpu"})
		if r.status != 404 || r.errorCode() != qguard.ENOTFOUND {
			t.Fatalf("got %d %s, want 404 not_found", r.status, r.body)
		}
	})
	t.Run("HugeBody", func(t *testing.T) {
		body := io.MultiReader(strings.NewReader(`{"qasm":"`), io.LimitReader(zeros{}, 100<<20), strings.NewReader(`"}`))
		r := g.do("POST", "/v1/jobs", researcher, body)
		if r.status != 413 || r.errorCode() != qguard.ETOOLARGE {
			t.Fatalf("got %d %s, want 413 too_large", r.status, r.body)
		}
	})
	t.Run("MalformedJSON", func(t *testing.T) {
		r := g.do("POST", "/v1/jobs", researcher, []byte(`{"qasm": 5}`))
		if r.status != 400 || r.errorCode() != qguard.EINVALID || !strings.Contains(r.errorMessage(), "qasm") {
			t.Fatalf("got %d %s, want 400 naming the field", r.status, r.body)
		}
	})
	t.Run("NoToken", func(t *testing.T) {
		if r := g.do("GET", "/v1/devices", "", nil); r.status != 401 || r.errorCode() != qguard.EUNAUTHENTICATED {
			t.Fatalf("got %d %s", r.status, r.body)
		}
	})
	t.Run("RevokedKey", func(t *testing.T) {
		key := g.user("revoked", qguard.RoleResearcher, "")
		if r := g.do("GET", "/v1/devices", key, nil); r.status != 200 {
			t.Fatalf("fresh key: %d %s", r.status, r.body)
		}
		keys, err := g.parts.store.APIKeys(context.Background(), mustUser(t, g, "revoked").ID)
		if err != nil || len(keys) != 1 {
			t.Fatalf("keys: %v %v", keys, err)
		}
		if err := g.authn.RevokeKey(context.Background(), "revoked", keys[0].ID); err != nil {
			t.Fatal(err)
		}
		if r := g.do("GET", "/v1/devices", key, nil); r.status != 401 || r.errorCode() != qguard.EUNAUTHENTICATED {
			t.Fatalf("revoked key: %d %s, want 401", r.status, r.body)
		}
	})
	t.Run("SessionExpires", func(t *testing.T) {
		key := g.user("sess", qguard.RoleResearcher, "")
		r := g.do("POST", "/v1/sessions", key, nil)
		if r.status != 201 {
			t.Fatalf("login: %d %s", r.status, r.body)
		}
		var s struct{ Token string }
		_ = json.Unmarshal(r.body, &s)
		if !strings.HasPrefix(s.Token, "qgs_") {
			t.Fatalf("session token %q", s.Token)
		}
		if r := g.do("GET", "/v1/jobs", s.Token, nil); r.status != 200 {
			t.Fatalf("session works: %d %s", r.status, r.body)
		}
		g.clock.advance(9 * time.Hour)
		defer g.clock.advance(-9 * time.Hour)
		if r := g.do("GET", "/v1/jobs", s.Token, nil); r.status != 401 || r.errorCode() != qguard.ESESSIONEXPIRED {
			t.Fatalf("expired session: %d %s, want 401 session_expired", r.status, r.body)
		}
	})
	t.Run("Logout", func(t *testing.T) {
		key := g.user("leaver", qguard.RoleResearcher, "")
		var s struct{ Token string }
		_ = json.Unmarshal(g.do("POST", "/v1/sessions", "", map[string]string{"api_key": key}).body, &s)
		if r := g.do("DELETE", "/v1/sessions/current", s.Token, nil); r.status != 204 {
			t.Fatalf("logout: %d %s", r.status, r.body)
		}
		if r := g.do("GET", "/v1/jobs", s.Token, nil); r.status != 401 {
			t.Fatalf("after logout: %d", r.status)
		}
	})
	t.Run("Operators", func(t *testing.T) {
		for _, path := range []string{"/v1/audit/events", "/v1/audit/report?days=1", "/v1/costs?days=1&by=provider", "/v1/devices", "/v1/budgets", "/v1/jobs?all=true"} {
			if r := g.do("GET", path, auditor, nil); r.status != 200 {
				t.Errorf("auditor GET %s: %d %s", path, r.status, r.body)
			}
		}
		if r := g.do("GET", "/v1/audit/events", researcher, nil); r.status != 403 {
			t.Errorf("researcher reads the audit log: %d", r.status)
		}
		if r := g.do("PUT", "/v1/budgets/project/qml", researcher, map[string]float64{"daily_usd": 1}); r.status != 403 {
			t.Errorf("researcher sets a budget: %d", r.status)
		}
		if r := g.do("GET", "/healthz", "", nil); r.status != 200 {
			t.Errorf("healthz %d", r.status)
		}
		if r := g.do("GET", "/readyz", "", nil); r.status != 200 {
			t.Errorf("readyz %d", r.status)
		}
	})
	t.Run("Metrics", func(t *testing.T) {
		m := g.do("GET", "/metrics", "", nil)
		for _, name := range []string{"qguard_jobs_total", "qguard_policy_decisions_total", "qguard_auth_attempts_total", "qguard_audit_append_seconds", "qguard_http_requests_total"} {
			if !bytes.Contains(m.body, []byte(name)) {
				t.Errorf("/metrics lacks %s", name)
			}
		}
	})
	t.Run("AuditRecordsDenials", func(t *testing.T) {
		recs, err := g.parts.store.AuditSince(context.Background(), time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		var denies int
		for _, r := range recs {
			if r.Action == "job.submit" && r.Decision == qguard.DecisionDeny {
				denies++
			}
		}
		if denies < 3 {
			t.Errorf("%d denied submissions audited, want at least 3", denies)
		}
	})
}

func mustUser(t *testing.T, g *testGateway, name string) *qguard.User {
	t.Helper()
	u, err := g.parts.store.UserByName(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	return len(p), nil
}

// TestBudgetRace: 200 concurrent submissions race for a daily budget that
// fits exactly 50 jobs on a priced device.
func TestBudgetRace(t *testing.T) {
	g := startGateway(t, withConfig("costs:\n  overrides:\n    \"local:statevector\": {per_task: 0.25}\nserver:\n  rate_per_minute: 100000\n"))
	key := g.user("racer", qguard.RoleDeveloper, "hot")
	if r := g.do("PUT", "/v1/budgets/project/hot", g.adminKey, map[string]float64{"daily_usd": 12.5}); r.status != 200 {
		t.Fatalf("set budget: %d %s", r.status, r.body)
	}
	var ok, exceeded, other atomic.Int64
	var wg sync.WaitGroup
	for range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, _ := g.submit(key, map[string]any{"qasm": ghz(2), "shots": 100})
			switch {
			case r.status == 201:
				ok.Add(1)
			case r.status == 403 && r.errorCode() == qguard.EBUDGETEXCEEDED:
				exceeded.Add(1)
			default:
				other.Add(1)
				t.Errorf("unexpected answer %d %s", r.status, r.body)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 50 || exceeded.Load() != 150 {
		t.Fatalf("accepted %d, budget_exceeded %d, other %d; want 50 and 150", ok.Load(), exceeded.Load(), other.Load())
	}
	sp, err := g.parts.store.Spent(context.Background(), qguard.ScopeProject, "hot", qguard.Day(g.clock.now()))
	if err != nil {
		t.Fatal(err)
	}
	if sp.Settled+sp.Reserved > 12.5+1e-9 {
		t.Fatalf("spend %.4f+%.4f exceeds the limit 12.5", sp.Settled, sp.Reserved)
	}
	if sp.Settled != 12.5 || sp.Reserved != 0 {
		t.Errorf("spend settled %.4f reserved %.4f, want 12.5 and 0", sp.Settled, sp.Reserved)
	}
}

// failingAudit makes the audit log unwritable on demand.
type failingAudit struct {
	qguard.Store
	fail atomic.Bool
}

func (f *failingAudit) AppendAudit(ctx context.Context, rec *qguard.AuditRecord, enc func(*qguard.AuditRecord) ([]byte, error)) (int64, error) {
	if f.fail.Load() {
		return 0, errors.New("disk I/O error")
	}
	return f.Store.AppendAudit(ctx, rec, enc)
}

// countingProvider is a device that counts the jobs that reach it.
type countingProvider struct{ runs atomic.Int64 }

func (p *countingProvider) Name() string { return "counting" }
func (p *countingProvider) Devices(context.Context) ([]qguard.Device, error) {
	return []qguard.Device{{ID: "counting:sim", Provider: "counting", Name: "sim", Class: qguard.ClassSimulator, Qubits: 10, Status: qguard.DeviceOnline}}, nil
}
func (p *countingProvider) Submit(context.Context, qguard.Submission) (string, error) {
	p.runs.Add(1)
	return "remote-1", nil
}
func (p *countingProvider) Status(context.Context, string, string) (*qguard.ProviderStatus, error) {
	return &qguard.ProviderStatus{Status: qguard.JobRunning}, nil
}
func (p *countingProvider) Cancel(context.Context, string, string) error { return nil }

func TestAuditUnavailableFailsClosed(t *testing.T) {
	var fa *failingAudit
	prov := &countingProvider{}
	g := startGateway(t, withHooks(func(h *testHooks) {
		h.wrapStore = func(s qguard.Store) qguard.Store { fa = &failingAudit{Store: s}; return fa }
		h.providers = []qguard.Provider{prov}
	}))
	key := g.user("dev", qguard.RoleDeveloper, "")
	if r, _ := g.submit(key, map[string]any{"qasm": ghz(2), "device": "counting:sim"}); r.status != 201 || prov.runs.Load() != 1 {
		t.Fatalf("with audit: %d %s, runs %d", r.status, r.body, prov.runs.Load())
	}
	fa.fail.Store(true)
	for _, dev := range []string{"counting:sim", "local:statevector"} {
		r, _ := g.submit(key, map[string]any{"qasm": ghz(2), "device": dev})
		if r.status != 503 || r.errorCode() != qguard.EAUDITUNAVAILABLE {
			t.Errorf("%s without audit: %d %s, want 503 audit_unavailable", dev, r.status, r.body)
		}
	}
	if n := prov.runs.Load(); n != 1 {
		t.Errorf("%d jobs reached the provider, want 1 (none after the audit log failed)", n)
	}
	jobs, _ := g.parts.store.Jobs(context.Background(), qguard.JobFilter{})
	if len(jobs) != 1 {
		t.Errorf("%d jobs stored, want 1", len(jobs))
	}
	fa.fail.Store(false)
}

// openAPICheck validates every request and response of the tests against
// docs/openapi.yaml.
type openAPICheck struct {
	t      *testing.T
	next   http.RoundTripper
	router routers.Router
}

var (
	openAPIOnce   sync.Once
	openAPIRouter routers.Router
	openAPIErr    error
)

func loadOpenAPI(t *testing.T) routers.Router {
	openAPIOnce.Do(func() {
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromFile("../../docs/openapi.yaml")
		if err != nil {
			openAPIErr = err
			return
		}
		if err := doc.Validate(loader.Context); err != nil {
			openAPIErr = err
			return
		}
		doc.Servers = nil // match any host
		openAPIRouter, openAPIErr = gorillamux.NewRouter(doc)
	})
	if openAPIErr != nil {
		t.Fatalf("docs/openapi.yaml: %v", openAPIErr)
	}
	return openAPIRouter
}

func (c *openAPICheck) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	route, params, ferr := c.router.FindRoute(req)
	if ferr != nil {
		c.t.Errorf("openapi: %s %s is not in docs/openapi.yaml: %v", req.Method, req.URL.Path, ferr)
		return resp, nil
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
		},
		Status: resp.StatusCode, Header: resp.Header, Body: io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true},
	}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		return resp, nil // /metrics
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		c.t.Errorf("openapi: %s %s → %d does not match docs/openapi.yaml: %v\nbody: %.300s", req.Method, req.URL.Path, resp.StatusCode, err, body)
	}
	return resp, nil
}

// TestProjectRequiresObfuscation: a project listed in
// policy.require_obfuscation never sends a circuit in clear to a cloud
// provider, even when the user does not ask for obfuscation.
func TestProjectRequiresObfuscation(t *testing.T) {
	prov := &countingProvider{}
	g := startGateway(t, withConfig("policy:\n  require_obfuscation: [secret]\n"), withHooks(func(h *testHooks) {
		h.providers = []qguard.Provider{prov}
	}))
	inSecret := g.user("sam", qguard.RoleDeveloper, "secret")
	other := g.user("olga", qguard.RoleDeveloper, "open")
	jobOf := func(key, device string) *qguard.Job {
		t.Helper()
		r, j := g.submit(key, map[string]any{"qasm": ghz(3), "shots": 10, "device": device})
		if r.status != 201 {
			t.Fatalf("submit: %d %s", r.status, r.body)
		}
		job, err := g.parts.store.JobByID(context.Background(), j.ID)
		if err != nil {
			t.Fatal(err)
		}
		return job
	}
	if j := jobOf(inSecret, "counting:sim"); !j.Obfuscated || len(j.SealedKey) == 0 {
		t.Errorf("project secret sent a circuit to a cloud provider in clear: %+v", j)
	}
	if j := jobOf(other, "counting:sim"); j.Obfuscated {
		t.Errorf("project open was obfuscated without asking")
	}
	if j := jobOf(inSecret, "local:statevector"); j.Obfuscated {
		t.Errorf("the trusted local simulator got an obfuscated circuit")
	}
}

// skewedStore reports a database clock that is off by skew.
type skewedStore struct {
	qguard.Store
	skew time.Duration
}

func (s skewedStore) Now(context.Context) (time.Time, error) { return time.Now().Add(s.skew), nil }

// TestReadyzClockSkew: a replica whose clock strays from the shared
// store's beyond auth.clock_skew reports not ready.
func TestReadyzClockSkew(t *testing.T) {
	for _, tc := range []struct {
		skew time.Duration
		want int
	}{{0, 200}, {3 * time.Second, 200}, {time.Minute, 503}, {-time.Minute, 503}} {
		g := startGateway(t, withHooks(func(h *testHooks) {
			h.wrapStore = func(s qguard.Store) qguard.Store { return skewedStore{s, tc.skew} }
		}))
		if r := g.do("GET", "/readyz", "", nil); r.status != tc.want {
			t.Errorf("skew %s: /readyz %d %s, want %d", tc.skew, r.status, r.body, tc.want)
		}
	}
}
