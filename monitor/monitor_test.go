package monitor

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/qguard/qguard"
	"github.com/qguard/qguard/config"
	"github.com/qguard/qguard/metrics"
	"github.com/qguard/qguard/monitor/alert"
)

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

type recorder struct {
	mu  sync.Mutex
	evs []qguard.SecurityEvent
}

func (r *recorder) Dispatch(ev qguard.SecurityEvent) {
	r.mu.Lock()
	r.evs = append(r.evs, ev)
	r.mu.Unlock()
}

func testMonitor(t *testing.T) (*Monitor, *fakeClock, *recorder, *metrics.Metrics) {
	t.Helper()
	cfg := config.Default().Monitor
	clk := &fakeClock{t: time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)}
	rec := &recorder{}
	m := metrics.New()
	return New(cfg, nil, rec, m, clk.now), clk, rec, m
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestAuthFailureWindow(t *testing.T) {
	tests := []struct {
		name  string
		times []string // failures of one user
		fires int      // index of the failure that completes the burst, -1 for none
	}{
		{"five in a minute", []string{"2026-12-03T10:00:00Z", "2026-12-03T10:00:10Z", "2026-12-03T10:00:20Z", "2026-12-03T10:00:30Z", "2026-12-03T10:00:40Z"}, 4},
		{"four is not enough", []string{"2026-12-03T10:00:00Z", "2026-12-03T10:01:00Z", "2026-12-03T10:02:00Z", "2026-12-03T10:03:00Z"}, -1},
		{"spread over six minutes", []string{"2026-12-03T10:00:00Z", "2026-12-03T10:01:30Z", "2026-12-03T10:03:00Z", "2026-12-03T10:04:30Z", "2026-12-03T10:06:00Z"}, -1},
		{"exactly at the edge is outside", []string{"2026-12-03T10:00:00Z", "2026-12-03T10:01:00Z", "2026-12-03T10:02:00Z", "2026-12-03T10:03:00Z", "2026-12-03T10:05:00Z"}, -1},
		{"across midnight", []string{"2026-12-03T23:58:00Z", "2026-12-03T23:59:00Z", "2026-12-03T23:59:59Z", "2026-12-04T00:01:00Z", "2026-12-04T00:02:30Z"}, 4},
		{"slides: old failures expire", []string{"2026-12-03T10:00:00Z", "2026-12-03T10:00:01Z", "2026-12-03T10:07:00Z", "2026-12-03T10:08:00Z", "2026-12-03T10:09:00Z", "2026-12-03T10:10:00Z", "2026-12-03T10:11:00Z"}, 6},
		{"out of order", []string{"2026-12-03T10:04:00Z", "2026-12-03T10:01:00Z", "2026-12-03T10:03:00Z", "2026-12-03T10:02:00Z", "2026-12-03T10:00:30Z"}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mon, clk, rec, _ := testMonitor(t)
			for i, ts := range tt.times {
				clk.set(at(ts))
				evs, err := mon.Observe(t.Context(), GatewayEvent{Kind: GatewayAuthFailure, User: "mallory", Reason: "unknown key"})
				if err != nil {
					t.Fatal(err)
				}
				if want := i == tt.fires; (len(evs) == 1) != want {
					t.Fatalf("failure %d (%s): %d events, want fire=%v", i, ts, len(evs), want)
				}
				if len(evs) == 1 && (evs[0].Type != qguard.EventAuthFailure || evs[0].User != "mallory" || evs[0].Details["by"] != "user") {
					t.Errorf("event %+v", evs[0])
				}
			}
			if tt.fires >= 0 && len(rec.evs) != 1 {
				t.Errorf("dispatched %d alerts, want 1", len(rec.evs))
			}
		})
	}
}

func TestAuthFailureByAddressFromLogs(t *testing.T) {
	mon, _, _, m := testMonitor(t)
	var got []qguard.SecurityEvent
	for i := 0; i < 7; i++ {
		line := fmt.Sprintf(`{"timestamp":"2026-12-03T10:00:%02dZ","level":"ERROR","message":"Authentication failed for user u%d","source":"quantum-api","user_id":"u%d","ip_address":"203.0.113.9"}`, i, i, i)
		evs, err := mon.ProcessLine(t.Context(), "app.log", []byte(line))
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, evs...)
	}
	// The fifth failure from one address fires; the sixth and seventh are
	// duplicates within the dedup window.
	if len(got) != 1 || got[0].Address != "203.0.113.9" || got[0].Details["by"] != "address" {
		t.Fatalf("events %+v", got)
	}
	if v := testutil.ToFloat64(m.SecurityEvents.WithLabelValues("auth_failure", "high")); v != 1 {
		t.Errorf("metric = %v, want 1", v)
	}
}

func TestDedupWindowExpires(t *testing.T) {
	mon, clk, _, _ := testMonitor(t)
	line := []byte(`{"level":"debug","message":"env","env":"AWS_ACCESS_KEY_ID=AKIAQ3EGRKTWZ7V5LMNP"}`)
	count := func() int {
		evs, err := mon.ProcessLine(t.Context(), "x", line)
		if err != nil {
			t.Fatal(err)
		}
		return len(evs)
	}
	if n := count(); n != 1 {
		t.Fatalf("first leak: %d events", n)
	}
	clk.set(clk.now().Add(14 * time.Minute))
	if n := count(); n != 0 {
		t.Fatalf("repeat within window: %d events", n)
	}
	clk.set(clk.now().Add(16 * time.Minute)) // 16 min after the last stored one at +0
	if n := count(); n != 1 {
		t.Fatalf("repeat after window: %d events", n)
	}
}

func TestCredentialEventHoldsNoSecret(t *testing.T) {
	mon, _, rec, _ := testMonitor(t)
	secret := "q8Zx_3kLmN2pQr5sTu7vWx9yA1bC4dE6fG8hJ0kL-Mn2"
	line := `{"timestamp":"2026-12-03T10:00:00Z","level":"debug","message":"loaded","user_id":"QISKIT_IBM_TOKEN=` + secret + `x","env":{"QISKIT_IBM_TOKEN":"` + secret + `"}}`
	evs, err := mon.ProcessLine(t.Context(), "nb.log", []byte(line))
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) == 0 {
		t.Fatal("no event")
	}
	ev := evs[0]
	if ev.Type != qguard.EventCredentialExposure || ev.Severity != qguard.SeverityCritical || ev.Rule != "ibm-cloud-api-key" || ev.Details["field"] != "env.QISKIT_IBM_TOKEN" {
		t.Errorf("event %+v", ev)
	}
	b, _ := json.Marshal(rec.evs)
	if strings.Contains(string(b), secret[4:]) || strings.Contains(string(b), secret[10:30]) {
		t.Fatalf("secret in dispatched event: %s", b)
	}
}

func TestUnusualUsage(t *testing.T) {
	start := at("2026-11-26T00:00:00Z")
	tests := []struct {
		name        string
		historyPerH int // jobs per hour for the 7 days before
		burst       int // jobs in the last hour
		want        bool
	}{
		{"steady", 4, 4, false},
		{"3x is not above 3x", 4, 12, false},
		{"above 3x", 4, 13, true},
		{"below min jobs", 1, 9, false},
		{"no history", 0, 50, true}, // after a day of silence the baseline is 0
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mon, clk, _, _ := testMonitor(t)
			ctx := t.Context()
			obs := func(ts time.Time) []qguard.SecurityEvent {
				clk.set(ts)
				evs, err := mon.Observe(ctx, GatewayEvent{Kind: GatewayJobSubmitted, User: "bob"})
				if err != nil {
					t.Fatal(err)
				}
				return evs
			}
			obs(start) // first job: starts the user's history
			for h := 1; h < 7*24; h++ {
				for j := 0; j < tt.historyPerH; j++ {
					if evs := obs(start.Add(time.Duration(h)*time.Hour + time.Duration(j)*time.Minute)); len(evs) > 0 {
						t.Fatalf("fired during history: %+v", evs)
					}
				}
			}
			end := start.Add(7 * 24 * time.Hour)
			fired := false
			for j := 0; j < tt.burst; j++ {
				fired = fired || len(obs(end.Add(time.Duration(j)*time.Minute))) > 0
			}
			if fired != tt.want {
				t.Errorf("fired %v, want %v", fired, tt.want)
			}
		})
	}
}

func TestCostThreshold(t *testing.T) {
	tests := []struct {
		name  string
		spend []struct {
			at  string
			usd float64
		}
		fireAt int
	}{
		{"under the limit at day end", []struct {
			at  string
			usd float64
		}{{"2026-12-03T23:00:00Z", 300}, {"2026-12-03T23:59:00Z", 400}}, -1},
		{"projection over the limit", []struct {
			at  string
			usd float64
		}{{"2026-12-03T12:00:00Z", 20}, {"2026-12-03T12:30:00Z", 30}}, 1}, // 50 + 50/h*11.5h = 625 ... then
		{"day boundary resets today's spend", []struct {
			at  string
			usd float64
		}{{"2026-12-03T23:59:30Z", 990}, {"2026-12-04T01:00:00Z", 20}}, -1},
		{"spent over the limit", []struct {
			at  string
			usd float64
		}{{"2026-12-03T23:50:00Z", 600}, {"2026-12-03T23:55:00Z", 500}}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mon, clk, _, _ := testMonitor(t)
			mon.cfg.Cost.DailyLimitUSD = 1000
			if tt.name == "projection over the limit" {
				mon.cfg.Cost.DailyLimitUSD = 500
			}
			for i, s := range tt.spend {
				clk.set(at(s.at))
				evs, err := mon.Observe(t.Context(), GatewayEvent{Kind: GatewayJobCost, User: "carol", CostUSD: s.usd})
				if err != nil {
					t.Fatal(err)
				}
				if (len(evs) > 0) != (i == tt.fireAt) {
					t.Fatalf("spend %d: events %+v, want fire=%v", i, evs, i == tt.fireAt)
				}
				if len(evs) > 0 && (evs[0].Type != qguard.EventCostThreshold || evs[0].Details["scope"] != "all") {
					t.Errorf("event %+v", evs[0])
				}
			}
		})
	}
}

func TestSuspiciousCircuits(t *testing.T) {
	mon, clk, _, _ := testMonitor(t)
	ctx := t.Context()
	t0 := at("2026-12-03T23:55:00Z")
	var sweep, tiny int
	for i := 0; i < 25; i++ {
		clk.set(t0.Add(time.Duration(i) * 20 * time.Second)) // crosses midnight
		evs, _ := mon.Observe(ctx, GatewayEvent{Kind: GatewayJobSubmitted, User: "eve", Circuit: &CircuitShape{Qubits: 4, Gates: 20, Structure: "abc"}})
		for _, e := range evs {
			if e.Rule == "parameter-sweep" {
				sweep++
				if i != 19 {
					t.Errorf("sweep fired at job %d, want 19", i)
				}
			}
		}
	}
	for i := 0; i < 40; i++ {
		clk.set(t0.Add(time.Hour + time.Duration(i)*5*time.Second))
		evs, _ := mon.Observe(ctx, GatewayEvent{Kind: GatewayJobSubmitted, User: "eve", Circuit: &CircuitShape{Qubits: 1, Gates: 2, Structure: fmt.Sprint(i % 3)}})
		for _, e := range evs {
			if e.Rule == "tiny-circuit-burst" {
				tiny++
			}
		}
	}
	if sweep != 1 || tiny != 1 {
		t.Errorf("sweep events %d, tiny events %d; want 1 and 1", sweep, tiny)
	}
	evs, err := mon.ProcessLine(ctx, "app", []byte(`{"level":"WARN","message":"Suspicious circuit parameter extraction attempt detected","user_id":"bob"}`))
	if err != nil || len(evs) != 1 || evs[0].Type != qguard.EventSuspiciousCircuit {
		t.Errorf("pattern: %+v %v", evs, err)
	}
}

func TestReport(t *testing.T) {
	store := NewMemoryStore()
	ctx := context.Background()
	now := at("2026-12-04T12:00:00Z")
	add := func(ts, typ, sev, user, prov string) {
		e := qguard.SecurityEvent{Time: at(ts), Type: typ, Severity: sev, User: user, Provider: prov, Message: "m"}
		if _, err := store.AddSecurityEvent(ctx, &e, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	add("2026-12-03T11:00:00Z", "auth_failure", "high", "old", "") // before the period
	add("2026-12-04T01:00:00Z", "credential_exposure", "critical", "alice", "ibm_quantum")
	add("2026-12-04T02:00:00Z", "auth_failure", "high", "bob", "")
	add("2026-12-04T03:00:00Z", "credential_exposure", "critical", "alice", "aws_braket")
	r, err := Report(ctx, store, now.Add(-24*time.Hour), now)
	if err != nil {
		t.Fatal(err)
	}
	if r.TotalEvents != 3 || r.ByType["credential_exposure"] != 2 || r.BySeverity["high"] != 1 || r.UniqueUsers != 2 || r.UniqueProviders != 2 {
		t.Errorf("report %+v", r)
	}
	if len(r.RecentCritical) != 2 || !r.RecentCritical[0].Time.Equal(at("2026-12-04T03:00:00Z")) {
		t.Errorf("recent critical %+v", r.RecentCritical)
	}
	if _, err := Report(ctx, store, now, now.Add(-time.Hour)); qguard.ErrorCode(err) != qguard.EINVALID {
		t.Errorf("inverted period: %v", err)
	}
}

func TestTrackerBounded(t *testing.T) {
	mon, clk, _, _ := testMonitor(t)
	mon.cfg.MaxTracked = 100
	mon.authAddr = newTracker(100, func() *latest { return &latest{n: 5} })
	for i := 0; i < 10000; i++ {
		clk.set(clk.now().Add(time.Millisecond))
		mon.Observe(t.Context(), GatewayEvent{Kind: GatewayAuthFailure, Address: fmt.Sprintf("198.51.%d.%d", i/256, i%256)})
	}
	if n := len(mon.authAddr.m); n > 100 {
		t.Errorf("tracker holds %d keys", n)
	}
}

func TestParseEntry(t *testing.T) {
	e := ParseEntry([]byte(`{"timestamp":"2026-12-03T10:00:00.5Z","level":"ERROR","msg":"x","user_id":"a","ip":"1.2.3.4","cost_usd":"1.5","event":"Job_Completed","qubits":3}`))
	if !e.JSON || e.Level != "error" || e.Message != "x" || e.User != "a" || e.Address != "1.2.3.4" || e.CostUSD != 1.5 || e.Event != "job_completed" || e.Qubits != 3 || e.Time.Nanosecond() != 5e8 {
		t.Errorf("%+v", e)
	}
	e = ParseEntry([]byte(`2026-12-03T10:00:00Z ERROR [auth] login failed for bob`))
	if e.JSON || e.Level != "error" || e.Time.IsZero() {
		t.Errorf("%+v", e)
	}
	e = ParseEntry([]byte(`{"broken`))
	if e.JSON || e.Message != `{"broken` {
		t.Errorf("%+v", e)
	}
}

func FuzzProcessLine(f *testing.F) {
	f.Add([]byte(`{"timestamp":"2026-12-03T10:00:00Z","level":"ERROR","message":"Authentication failed","user_id":"a","ip_address":"1.2.3.4"}`))
	f.Add([]byte(`{"event":"job_completed","cost_usd":1e308,"user_id":"x"}`))
	f.Add([]byte(`{"event":"job_submitted","user_id":"x","qubits":-5,"circuit_structure":"s"}`))
	f.Add([]byte(`2026-12-03T10:00:00Z WARN export AWS_ACCESS_KEY_ID=AKIAQ3EGRKTWZ7V5LMNP`))
	f.Add([]byte(`{"timestamp":1e300}`))
	if data, err := os.ReadFile("testdata/corpus.jsonl.gz"); err == nil {
		if zr, err := gzip.NewReader(bytes.NewReader(data)); err == nil {
			sc := bufio.NewScanner(zr)
			sc.Buffer(nil, 1<<20)
			for i := 0; sc.Scan(); i++ {
				var rec struct{ Line string }
				if i%25 == 0 && json.Unmarshal(sc.Bytes(), &rec) == nil {
					f.Add([]byte(rec.Line))
				}
			}
		}
	}
	mon := New(config.Default().Monitor, nil, nil, nil, nil)
	f.Fuzz(func(t *testing.T, line []byte) {
		evs, err := mon.ProcessLine(context.Background(), "fuzz", line)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			if ev.Type == "" || ev.Severity == "" || ev.Message == "" {
				t.Fatalf("incomplete event %+v", ev)
			}
		}
	})
}

var _ Dispatcher = (*alert.Dispatcher)(nil)

func TestSetupErrors(t *testing.T) {
	cfg := config.Default().Monitor
	cfg.Rules = "/nonexistent/rules.toml"
	if _, _, err := Setup(cfg, nil, nil, nil, nil); err == nil || !strings.Contains(err.Error(), "read rules") {
		t.Errorf("missing rules file: %v", err)
	}
	if m := New(cfg, nil, nil, nil, nil); m.Err() == nil || len(m.Rules().Rules()) == 0 {
		t.Errorf("New should fall back to the built-in rules and report the error")
	}
	cfg = config.Default().Monitor
	cfg.Alerts.Email = config.EmailAlerts{Host: "smtp.example.org", Port: 587, From: "a@example.org", To: []string{"b@example.org"}, TLS: "starttls", CAFile: "/nonexistent/ca.pem"}
	if _, _, err := Setup(cfg, nil, nil, nil, nil); err == nil || !strings.Contains(err.Error(), "ca_file") {
		t.Errorf("missing CA file: %v", err)
	}
	mon, disp, err := Setup(config.Default().Monitor, nil, nil, nil, nil)
	if err != nil || mon == nil || disp == nil {
		t.Fatalf("defaults: %v", err)
	}
	disp.Close(context.Background())
}

func TestFutureTimestampsClamped(t *testing.T) {
	mon, clk, _, _ := testMonitor(t)
	evs, err := mon.ProcessLine(t.Context(), "x", []byte(`{"timestamp":"2999-01-01T00:00:00Z","message":"AWS_ACCESS_KEY_ID=AKIAQ3EGRKTWZ7V5LMNP"}`))
	if err != nil || len(evs) != 1 || !evs[0].Time.Equal(clk.now()) {
		t.Fatalf("events %+v %v", evs, err)
	}
}
