package alert

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/qguard/qguard"
	"github.com/qguard/qguard/config"
	"github.com/qguard/qguard/metrics"
	"github.com/qguard/qguard/monitor/rules"
)

const leaked = "AKIAQ3EGRKTWZ7V5LMNP"

func testConfig() config.Alerts {
	c := config.Default().Monitor.Alerts
	c.GroupWait = 30 * time.Millisecond
	c.Backoff = 5 * time.Millisecond
	c.Timeout = 2 * time.Second
	c.MinSeverity = qguard.SeverityMedium
	return c
}

// event builds an event whose message carries a secret in clear, as a
// careless producer might: the dispatcher must mask it.
func event(typ, sev string, i int) qguard.SecurityEvent {
	return qguard.SecurityEvent{ID: int64(i), Time: time.Date(2026, 12, 4, 10, 0, i, 0, time.UTC), Type: typ, Severity: sev,
		User: "alice", Provider: "aws_braket", Message: "key " + leaked + " seen in logs", Details: map[string]string{"raw": "AWS_ACCESS_KEY_ID=" + leaked}}
}

type capture struct {
	mu     sync.Mutex
	bodies [][]byte
	heads  []http.Header
	status []int // answers to give, in order; then 200
}

func (c *capture) handler(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	c.mu.Lock()
	code := 200
	if len(c.status) > 0 {
		code, c.status = c.status[0], c.status[1:]
	}
	if code == 200 {
		c.bodies = append(c.bodies, b)
		c.heads = append(c.heads, r.Header.Clone())
	}
	c.mu.Unlock()
	w.WriteHeader(code)
}

func (c *capture) n() int { c.mu.Lock(); defer c.mu.Unlock(); return len(c.bodies) }

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestSlackWebhookAndEmailReceiveAlerts(t *testing.T) {
	slack, hook := &capture{status: []int{503}}, &capture{} // Slack fails once: retried
	slackSrv := httptest.NewServer(http.HandlerFunc(slack.handler))
	defer slackSrv.Close()
	hookSrv := httptest.NewServer(http.HandlerFunc(hook.handler))
	defer hookSrv.Close()
	smtp := newFakeSMTP(t, "alerts@example.org", "smtp-pass-0123456789")
	smtp.failNext = 1 // and SMTP once

	cfg := testConfig()
	cfg.Slack.WebhookURL = config.Secret(slackSrv.URL + "/services/T000/B000/xyz")
	cfg.Webhook.URL = config.Secret(hookSrv.URL + "/qguard")
	cfg.Webhook.Secret = "whsec-0123456789abcdef"
	cfg.Email = config.EmailAlerts{Host: "127.0.0.1", Port: smtp.port(), Username: "alerts@example.org", Password: "smtp-pass-0123456789",
		From: "qguard@example.org", To: []string{"secops@example.org"}, TLS: "starttls", CAFile: smtp.caFile}
	m := metrics.New()
	d, err := New(Options{Config: cfg, Metrics: m, Redact: rules.Builtin().RedactString})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		d.Dispatch(event(qguard.EventCredentialExposure, qguard.SeverityCritical, i))
	}
	d.Dispatch(event(qguard.EventAuthFailure, qguard.SeverityLow, 9)) // below min severity
	waitFor(t, func() bool { return slack.n() == 1 && hook.n() == 1 && len(smtp.got()) == 1 })
	if err := d.Close(context.Background()); err != nil {
		t.Fatal(err)
	}

	// Grouped: one message per channel for five events.
	var a Alert
	if err := json.Unmarshal(hook.bodies[0], &a); err != nil {
		t.Fatal(err)
	}
	if a.Count != 5 || len(a.Events) != 5 || a.Type != qguard.EventCredentialExposure || a.Severity != qguard.SeverityCritical {
		t.Errorf("webhook alert %+v", a)
	}
	// Signature verifies; a tampered body or stale timestamp does not.
	h := hook.heads[0]
	secret := []byte(cfg.Webhook.Secret)
	if err := Verify(secret, h.Get(HeaderTimestamp), h.Get(HeaderSignature), hook.bodies[0], time.Now(), 5*time.Minute); err != nil {
		t.Errorf("signature: %v", err)
	}
	tampered := append([]byte(nil), hook.bodies[0]...)
	tampered[10] ^= 1
	if Verify(secret, h.Get(HeaderTimestamp), h.Get(HeaderSignature), tampered, time.Now(), 5*time.Minute) == nil {
		t.Error("tampered body verified")
	}
	if Verify(secret, h.Get(HeaderTimestamp), h.Get(HeaderSignature), hook.bodies[0], time.Now().Add(time.Hour), 5*time.Minute) == nil {
		t.Error("stale timestamp verified")
	}
	if Verify([]byte("wrong-secret-0123456"), h.Get(HeaderTimestamp), h.Get(HeaderSignature), hook.bodies[0], time.Now(), 5*time.Minute) == nil {
		t.Error("wrong secret verified")
	}

	var sl struct{ Text string }
	if err := json.Unmarshal(slack.bodies[0], &sl); err != nil || !strings.Contains(sl.Text, "credential_exposure: 5 event(s)") {
		t.Errorf("slack body %s (%v)", slack.bodies[0], err)
	}
	mailText := smtp.got()[0]
	if !strings.Contains(mailText, "Subject: [qguard CRITICAL] credential_exposure") || len(smtp.authed) == 0 {
		t.Errorf("mail %q, auth %v", mailText, smtp.authed)
	}

	// No alert holds the secret.
	for _, b := range []string{string(hook.bodies[0]), string(slack.bodies[0]), mailText} {
		if strings.Contains(b, leaked) || strings.Contains(b, leaked[4:]) {
			t.Fatalf("secret in alert: %s", b)
		}
	}
	for ch, want := range map[string]float64{"slack": 1, "webhook": 1, "email": 1} {
		if v := testutil.ToFloat64(m.Alerts.WithLabelValues(ch, "sent")); v != want {
			t.Errorf("%s sent = %v", ch, v)
		}
	}
}

// blockingSender blocks until released, to fill the queue.
type blockingSender struct {
	release chan struct{}
	sent    atomic.Int32
	calls   atomic.Int32
}

func (b *blockingSender) Name() string { return "block" }
func (b *blockingSender) Send(ctx context.Context, a *Alert) error {
	b.calls.Add(1)
	select {
	case <-b.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	b.sent.Add(1)
	return nil
}

func TestDispatchNeverBlocks(t *testing.T) {
	cfg := testConfig()
	cfg.QueueSize = 4
	cfg.GroupWait = 0
	cfg.Timeout = time.Minute
	m := metrics.New()
	s := &blockingSender{release: make(chan struct{})}
	d := NewWithSenders(Options{Config: cfg, Metrics: m}, s)
	d.Dispatch(event(qguard.EventAuthFailure, qguard.SeverityHigh, 0))
	waitFor(t, func() bool { return s.calls.Load() == 1 }) // the channel is now stuck sending
	start := time.Now()
	for i := 0; i < 1000; i++ {
		d.Dispatch(event(qguard.EventAuthFailure, qguard.SeverityHigh, i))
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("Dispatch blocked for %v", el)
	}
	dropped := testutil.ToFloat64(m.Alerts.WithLabelValues("block", "dropped"))
	if dropped != 1000-4 { // the queue holds 4
		t.Errorf("dropped %v, want most of 1000", dropped)
	}
	close(s.release)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := d.Close(ctx); err != nil {
		t.Fatal(err)
	}
	d.Dispatch(event(qguard.EventAuthFailure, qguard.SeverityHigh, 1)) // after Close: ignored, no panic
}

type flakySender struct {
	calls atomic.Int32
	err   error
}

func (f *flakySender) Name() string { return "flaky" }
func (f *flakySender) Send(context.Context, *Alert) error {
	f.calls.Add(1)
	return f.err
}

func TestRetriesAndPermanentErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		err   error
		calls int32
	}{
		{"transient retried", errors.New("HTTP 503"), 5}, // 1 + 4 retries
		{"permanent not retried", &Permanent{Err: errors.New("HTTP 400")}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := metrics.New()
			s := &flakySender{err: tc.err}
			d := NewWithSenders(Options{Config: testConfig(), Metrics: m}, s)
			d.Dispatch(event(qguard.EventCostThreshold, qguard.SeverityHigh, 1))
			waitFor(t, func() bool { return testutil.ToFloat64(m.Alerts.WithLabelValues("flaky", "failed")) == 1 })
			d.Close(context.Background())
			if got := s.calls.Load(); got != tc.calls {
				t.Errorf("calls = %d, want %d", got, tc.calls)
			}
		})
	}
}

func TestRateLimitGroupsInsteadOfSending(t *testing.T) {
	cfg := testConfig()
	cfg.Burst = 1
	cfg.RatePerHour = 1 // one message now, the next in an hour
	cfg.GroupWait = 0
	s := &flakySender{}
	d := NewWithSenders(Options{Config: cfg}, s)
	d.Dispatch(event(qguard.EventAuthFailure, qguard.SeverityHigh, 1))
	waitFor(t, func() bool { return s.calls.Load() == 1 })
	for i := 0; i < 50; i++ {
		d.Dispatch(event(qguard.EventAuthFailure, qguard.SeverityHigh, i))
	}
	time.Sleep(100 * time.Millisecond)
	if n := s.calls.Load(); n != 1 {
		t.Fatalf("sent %d messages under a 1/hour limit", n)
	}
	d.Close(context.Background()) // final flush sends the held group once
	if n := s.calls.Load(); n != 2 {
		t.Errorf("after close: %d messages, want 2", n)
	}
}

func TestHTTPErrorsDoNotLeakURL(t *testing.T) {
	s := &Slack{URL: "http://127.0.0.1:1/services/T000/B000/secretpart", Client: &http.Client{Timeout: time.Second}}
	err := s.Send(context.Background(), &Alert{Title: "x"})
	if err == nil || strings.Contains(err.Error(), "secretpart") {
		t.Errorf("err = %v", err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(404) }))
	defer srv.Close()
	err = (&Slack{URL: srv.URL + "/secretpart", Client: srv.Client()}).Send(context.Background(), &Alert{})
	var p *Permanent
	if !errors.As(err, &p) || strings.Contains(err.Error(), "secretpart") {
		t.Errorf("404: %v", err)
	}
}
