// Package monitor watches logs and the gateway's own events for leaked
// credentials, authentication-failure bursts, unusual usage, cost overruns
// and suspicious circuit patterns. One [Monitor] serves `qguard scan`,
// `qguard monitor --follow` and the gateway's POST /v1/security/logs: it
// turns lines and gateway events into [qguard.SecurityEvent]s, stores them
// (de-duplicated within a window), counts them in metrics and hands them to
// a [Dispatcher] for alerting.
//
// Secrets never leave the scanner in clear: events carry masked values and
// keyed fingerprints only.
package monitor

//go:generate go run ./internal/gencorpus -o testdata/corpus.jsonl.gz

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/qguard/qguard"
	"github.com/qguard/qguard/circuit"
	"github.com/qguard/qguard/config"
	"github.com/qguard/qguard/metrics"
	"github.com/qguard/qguard/monitor/rules"
)

// Dispatcher delivers alerts. Dispatch must not block: implementations
// queue and drop (and count) when full. *alert.Dispatcher implements it.
type Dispatcher interface {
	Dispatch(ev qguard.SecurityEvent)
}

// Kinds of GatewayEvent.
const (
	GatewayAuthFailure  = "auth_failure"
	GatewayAuthSuccess  = "auth_success"
	GatewayJobSubmitted = "job_submitted"
	GatewayJobCost      = "job_cost" // a settled (or reserved) job cost in CostUSD
)

// GatewayEvent is something the gateway saw that the detectors count.
type GatewayEvent struct {
	Kind     string
	Time     time.Time // zero: the monitor's clock
	User     string    // user name, when known
	Address  string    // client address
	Provider string
	Device   string
	JobID    string
	CostUSD  float64
	Circuit  *CircuitShape // for GatewayJobSubmitted
	Reason   string        // for GatewayAuthFailure: why (unknown key, expired, …); never the key
}

// CircuitShape is what the suspicious-circuit detector needs of a circuit.
type CircuitShape struct {
	Qubits    int
	Gates     int
	Structure string // hash of the circuit without parameters (see ShapeOf)
}

// ShapeOf summarises c: circuits that differ only in gate angles share a
// Structure, which is how parameter sweeps are recognised.
func ShapeOf(c *circuit.Circuit) CircuitShape {
	h := sha256.New()
	gates := 0
	var buf []byte
	for _, op := range c.Ops {
		if op.Kind == circuit.Gate {
			gates++
		}
		// kind:name:qubits:controls:clbits; written without fmt, which
		// would cost more than the rest of a small job's checks.
		buf = append(buf[:0], byte('0'+op.Kind), ':')
		buf = append(buf, op.Name...)
		for _, q := range op.Qubits {
			buf = strconv.AppendInt(append(buf, ','), int64(q), 10)
		}
		buf = strconv.AppendInt(append(buf, ':'), int64(op.Controls), 10)
		for _, b := range op.Clbits {
			buf = strconv.AppendInt(append(buf, ','), int64(b), 10)
		}
		h.Write(append(buf, ';'))
	}
	return CircuitShape{Qubits: c.Qubits, Gates: gates, Structure: hex.EncodeToString(h.Sum(nil)[:12])}
}

// Monitor is the security event processor. It is safe for concurrent use.
type Monitor struct {
	cfg      config.Monitor
	rules    *rules.Set
	rulesErr error
	store    qguard.EventStore
	alerts   Dispatcher
	metrics  *metrics.Metrics
	now      qguard.Clock
	patterns []*regexp.Regexp

	mu       sync.Mutex
	authUser *tracker[*latest]
	authAddr *tracker[*latest]
	usage    *tracker[*usage]
	sweeps   *tracker[*latest]
	tiny     *tracker[*latest]
	spend    *tracker[*spend]
	// costToday is the last "cost today" the gateway reported per user.
	costToday *tracker[*dayTotal]

	// stored remembers when this process last stored an event per dedup
	// key, so that a condition that keeps firing (a burst that goes on)
	// is dropped here instead of costing a store write per request. The
	// store's own dedup still covers other replicas.
	storedMu sync.Mutex
	stored   map[string]time.Time
}

type dayTotal struct {
	day string
	usd float64
}

type usage struct {
	first   time.Time
	minutes *buckets // current window
	hours   *buckets // baseline
}

type spend struct {
	minutes *buckets // last hour
	days    *buckets // UTC days
}

// New returns a Monitor. store may be nil (events are then kept in memory),
// alerts may be nil (no alerts), m may be nil (no metrics), clock may be nil
// (time.Now). The rules are the built-in ones, or cfg.Rules; if that file
// fails to load, the built-in rules are used and Err reports why (callers
// that can refuse to start should call LoadRules first).
func New(cfg config.Monitor, store qguard.EventStore, alerts Dispatcher, m *metrics.Metrics, clock qguard.Clock) *Monitor {
	if clock == nil {
		clock = time.Now
	}
	if store == nil {
		store = NewMemoryStore()
	}
	set, err := LoadRules(cfg)
	if err != nil {
		set = rules.Builtin()
		if cfg.FingerprintKey != "" {
			set.SetFingerprintKey([]byte(cfg.FingerprintKey))
		}
	}
	mon := &Monitor{cfg: cfg, rules: set, rulesErr: err, store: store, alerts: alerts, metrics: m, now: clock}
	for _, p := range cfg.SuspiciousCircuit.Patterns {
		if re, err := regexp.Compile("(?i)" + p); err == nil { // validated by config
			mon.patterns = append(mon.patterns, re)
		}
	}
	max := max(cfg.MaxTracked, 1)
	mon.authUser = newTracker(max, func() *latest { return &latest{n: max1(cfg.AuthFailures.Threshold)} })
	mon.authAddr = newTracker(max, func() *latest { return &latest{n: max1(cfg.AuthFailures.Threshold)} })
	mon.sweeps = newTracker(max, func() *latest { return &latest{n: max1(cfg.SuspiciousCircuit.SweepJobs)} })
	mon.tiny = newTracker(max, func() *latest { return &latest{n: max1(cfg.SuspiciousCircuit.TinyJobs)} })
	mon.usage = newTracker(max, func() *usage { return &usage{minutes: newBuckets(time.Minute), hours: newBuckets(time.Hour)} })
	mon.spend = newTracker(max, func() *spend { return &spend{minutes: newBuckets(time.Minute), days: newBuckets(24 * time.Hour)} })
	mon.costToday = newTracker(max, func() *dayTotal { return &dayTotal{} })
	return mon
}

func max1(n int) int { return max(n, 1) }

// LoadRules returns the rule set cfg asks for: cfg.Rules (gitleaks TOML) or
// the built-in rules, with cfg.FingerprintKey applied.
func LoadRules(cfg config.Monitor) (*rules.Set, error) {
	set := rules.Builtin()
	if cfg.Rules != "" {
		var err error
		if set, err = rules.LoadFile(cfg.Rules); err != nil {
			return nil, err
		}
	}
	if cfg.FingerprintKey != "" {
		set.SetFingerprintKey([]byte(cfg.FingerprintKey))
	}
	return set, nil
}

// Err reports a problem New worked around (a rules file that did not load).
func (m *Monitor) Err() error { return m.rulesErr }

// Rules returns the rule set in use.
func (m *Monitor) Rules() *rules.Set { return m.rules }

// ProcessLine scans one log line (a JSON entry or plain text) from source
// (a file name, "http", "stdin") and returns the events it stored: leaked
// credentials, and threshold events the entry completes. Duplicates within
// the dedup window are not returned.
func (m *Monitor) ProcessLine(ctx context.Context, source string, line []byte) ([]qguard.SecurityEvent, error) {
	e := ParseEntry(line)
	t := e.Time
	// A line's own time drives the windows (replaying an old log detects
	// what happened then), but a time in the future, where a hostile
	// client could park events, is replaced by now.
	if now := m.now().UTC(); t.IsZero() || t.After(now.Add(maxClockSkew)) {
		t = now
	}
	var evs []qguard.SecurityEvent
	base := qguard.SecurityEvent{Time: t, Source: source, User: m.redact(e.User), Provider: m.redact(e.Provider), Address: m.redact(e.Address)}

	for _, f := range m.rules.ScanLine(line, source, 0) {
		ev := base
		ev.Type, ev.Severity, ev.Rule = qguard.EventCredentialExposure, qguard.SeverityCritical, f.Rule
		where := ""
		if f.Field != "" {
			where = " in field " + f.Field
		}
		ev.Message = fmt.Sprintf("%s exposed%s (%s)", f.Description, where, f.Secret)
		ev.Details = map[string]string{"rule": f.Rule, "secret": f.Secret, "fingerprint": f.Fingerprint,
			"column": strconv.Itoa(f.Column), "rule_severity": f.Severity}
		if f.Field != "" {
			ev.Details["field"] = f.Field
		}
		ev.DedupKey = "credential_exposure:" + f.Rule + ":" + f.Fingerprint
		evs = append(evs, ev)
	}

	m.mu.Lock()
	switch {
	case isAuthFailure(&e):
		evs = append(evs, m.authFailure(base, t, e.User, e.Address, "log")...)
	case e.Event == "job_submitted" || strings.Contains(strings.ToLower(e.Message), "job submitted"):
		var shape *CircuitShape
		if e.Qubits > 0 || e.Structure != "" {
			shape = &CircuitShape{Qubits: e.Qubits, Gates: e.Gates, Structure: e.Structure}
		}
		evs = append(evs, m.jobSubmitted(base, t, e.User, shape)...)
	}
	if e.HasCost && e.CostUSD > 0 && (e.Event == "job_completed" || e.Event == GatewayJobCost || strings.Contains(strings.ToLower(e.Message), "job completed")) {
		evs = append(evs, m.cost(base, t, e.User, e.CostUSD)...)
	}
	m.mu.Unlock()

	for _, re := range m.patterns {
		if re.MatchString(e.Message) {
			ev := base
			ev.Type, ev.Severity, ev.Rule = qguard.EventSuspiciousCircuit, qguard.SeverityHigh, "pattern"
			ev.Message = "log message matches suspicious-circuit pattern " + strconv.Quote(re.String()[4:])
			ev.Details = map[string]string{"pattern": re.String()[4:], "log_message": m.redact(e.Message)}
			ev.DedupKey = "suspicious_circuit:pattern:" + digest(re.String()+"\x00"+e.User)
			evs = append(evs, ev)
			break
		}
	}
	return m.record(ctx, evs)
}

// Observe counts one gateway event and returns the security events it
// completed (stored, metered and dispatched). The gateway may ignore the
// result; errors are store failures.
func (m *Monitor) Observe(ctx context.Context, ge GatewayEvent) ([]qguard.SecurityEvent, error) {
	t := ge.Time
	if t.IsZero() {
		t = m.now()
	}
	t = t.UTC()
	base := qguard.SecurityEvent{Time: t, Source: "gateway", User: ge.User, Provider: ge.Provider, Address: ge.Address}
	var evs []qguard.SecurityEvent
	m.mu.Lock()
	switch ge.Kind {
	case GatewayAuthFailure:
		evs = m.authFailure(base, t, ge.User, ge.Address, ge.Reason)
	case GatewayJobSubmitted:
		evs = m.jobSubmitted(base, t, ge.User, ge.Circuit)
	case GatewayJobCost:
		evs = m.cost(base, t, ge.User, ge.CostUSD)
	}
	m.mu.Unlock()
	return m.record(ctx, evs)
}

var authFailureText = regexp.MustCompile(`(?i)\b(?:auth(?:entication)?|login|sign-?in)\s+(?:failed|failure|denied|rejected)|invalid (?:api key|token|credentials?|password)|\bunauthori[sz]ed\b`)

func isAuthFailure(e *Entry) bool {
	switch e.Event {
	case "auth_failure", "authentication_failure", "login_failed":
		return true
	}
	if e.Level != "error" && e.Level != "warn" && e.Level != "warning" && e.Level != "" {
		return false
	}
	return e.Message != "" && authFailureText.MatchString(e.Message)
}

// authFailure counts a failure for the user and the address; m.mu is held.
func (m *Monitor) authFailure(base qguard.SecurityEvent, t time.Time, user, addr, reason string) []qguard.SecurityEvent {
	c := m.cfg.AuthFailures
	var evs []qguard.SecurityEvent
	check := func(tr *tracker[*latest], kind, key string) {
		if key == "" {
			return
		}
		l := tr.get(key, t)
		l.add(t)
		if l.burst(c.Window) {
			n := l.n
			ev := base
			ev.Type, ev.Severity, ev.Rule = qguard.EventAuthFailure, qguard.SeverityHigh, "auth-failure-burst"
			ev.Message = fmt.Sprintf("%d authentication failures within %s for %s %s", n, c.Window, kind, m.redact(key))
			ev.Details = map[string]string{"count": strconv.Itoa(n), "window": c.Window.String(), "by": kind}
			if reason != "" {
				ev.Details["last_reason"] = m.redact(clip(reason))
			}
			ev.DedupKey = "auth_failure:" + kind + ":" + digest(key)
			evs = append(evs, ev)
		}
	}
	check(m.authUser, "user", user)
	check(m.authAddr, "address", addr)
	return evs
}

// jobSubmitted feeds the usage and circuit detectors; m.mu is held.
func (m *Monitor) jobSubmitted(base qguard.SecurityEvent, t time.Time, user string, shape *CircuitShape) []qguard.SecurityEvent {
	if user == "" {
		return nil
	}
	var evs []qguard.SecurityEvent
	uc := m.cfg.UnusualUsage
	u := m.usage.get(user, t)
	if u.first.IsZero() || t.Before(u.first) {
		u.first = t
	}
	u.minutes.add(t, 1)
	u.hours.add(t, 1)
	u.minutes.prune(t.Add(-uc.Window - time.Minute))
	u.hours.prune(t.Add(-uc.Baseline - uc.Window - time.Hour))
	current := u.minutes.sum(t.Add(-uc.Window).Add(time.Minute), t.Add(time.Nanosecond))
	// Baseline: jobs per window over the trailing baseline period before the
	// current window, counted from the user's first job when that is later.
	end := t.Add(-uc.Window)
	start := end.Add(-uc.Baseline)
	if u.first.After(start) {
		start = u.first
	}
	if span := end.Sub(start); span >= minHistory && current >= float64(uc.MinJobs) {
		perWindow := u.hours.sum(start, end) / (float64(span) / float64(uc.Window))
		if current > uc.Factor*perWindow {
			ev := base
			ev.Type, ev.Severity, ev.Rule = qguard.EventUnusualUsage, qguard.SeverityMedium, "job-rate"
			ev.Message = fmt.Sprintf("user %s submitted %.0f jobs in %s, above %.1fx the trailing baseline of %.1f", m.redact(user), current, uc.Window, uc.Factor, perWindow)
			ev.Details = map[string]string{"jobs": strconv.FormatFloat(current, 'f', 0, 64), "baseline": strconv.FormatFloat(perWindow, 'f', 2, 64), "window": uc.Window.String()}
			ev.DedupKey = "unusual_usage:user:" + digest(user)
			evs = append(evs, ev)
		}
	}

	if shape != nil {
		sc := m.cfg.SuspiciousCircuit
		if shape.Structure != "" {
			l := m.sweeps.get(user+"\x00"+shape.Structure, t)
			l.add(t)
			if l.burst(sc.SweepWindow) {
				n := l.n
				ev := base
				ev.Type, ev.Severity, ev.Rule = qguard.EventSuspiciousCircuit, qguard.SeverityHigh, "parameter-sweep"
				ev.Message = fmt.Sprintf("user %s submitted %d circuits of one structure with varying parameters within %s", m.redact(user), n, sc.SweepWindow)
				ev.Details = map[string]string{"count": strconv.Itoa(n), "structure": m.redact(clip(shape.Structure)), "window": sc.SweepWindow.String()}
				ev.DedupKey = "suspicious_circuit:sweep:" + digest(user+"\x00"+shape.Structure)
				evs = append(evs, ev)
			}
		}
		if shape.Qubits > 0 && shape.Qubits <= sc.TinyMaxQubits && shape.Gates >= 0 && shape.Gates <= sc.TinyMaxGates {
			l := m.tiny.get(user, t)
			l.add(t)
			if l.burst(sc.TinyWindow) {
				n := l.n
				ev := base
				ev.Type, ev.Severity, ev.Rule = qguard.EventSuspiciousCircuit, qguard.SeverityMedium, "tiny-circuit-burst"
				ev.Message = fmt.Sprintf("user %s submitted %d tiny circuits (<= %d qubits, <= %d gates) within %s, typical of device fingerprinting", m.redact(user), n, sc.TinyMaxQubits, sc.TinyMaxGates, sc.TinyWindow)
				ev.Details = map[string]string{"count": strconv.Itoa(n), "window": sc.TinyWindow.String()}
				ev.DedupKey = "suspicious_circuit:tiny:" + digest(user)
				evs = append(evs, ev)
			}
		}
	}
	return evs
}

// maxClockSkew is how far in the future a log line's timestamp may be.
const maxClockSkew = 5 * time.Minute

// minHistory is how much of a user's history the unusual-usage detector
// needs before it judges: a new user has no baseline.
const minHistory = 24 * time.Hour

// cost adds spend and checks the projected daily cost; m.mu is held.
func (m *Monitor) cost(base qguard.SecurityEvent, t time.Time, user string, usd float64) []qguard.SecurityEvent {
	return m.costCheck(base, t, user, usd, 0)
}

// costCheck adds usd of spend at t (for all users and for user) and checks
// the projections against the configured limits; userLimit, when positive,
// replaces monitor.cost.user_daily_limit_usd. m.mu is held.
func (m *Monitor) costCheck(base qguard.SecurityEvent, t time.Time, user string, usd, userLimit float64) []qguard.SecurityEvent {
	var evs []qguard.SecurityEvent
	check := func(scope, key string, limit float64) {
		s := m.spend.get(scope+"\x00"+key, t)
		s.minutes.add(t, usd)
		s.days.add(t, usd)
		s.minutes.prune(t.Add(-time.Hour - time.Minute))
		s.days.prune(t.Add(-48 * time.Hour))
		if limit <= 0 {
			return
		}
		projected, today := projectDaily(s, t)
		if projected > limit {
			ev := base
			ev.Type, ev.Severity, ev.Rule = qguard.EventCostThreshold, qguard.SeverityHigh, "daily-cost"
			who := "all users"
			if scope == "user" {
				who = "user " + m.redact(key)
			}
			ev.Message = fmt.Sprintf("projected daily cost $%.2f for %s exceeds the limit $%.2f (spent today $%.2f)", projected, who, limit, today)
			ev.Details = map[string]string{"projected_usd": fmt.Sprintf("%.2f", projected), "today_usd": fmt.Sprintf("%.2f", today),
				"limit_usd": fmt.Sprintf("%.2f", limit), "day": qguard.Day(t), "scope": scope}
			ev.DedupKey = "cost_threshold:" + scope + ":" + digest(key) + ":" + qguard.Day(t)
			evs = append(evs, ev)
		}
	}
	check("all", "", m.cfg.Cost.DailyLimitUSD)
	if user != "" {
		limit := m.cfg.Cost.UserDailyLimitUSD
		if userLimit > 0 {
			limit = userLimit
		}
		check("user", user, limit)
	}
	return evs
}

// addEarlierSpend records spend that happened earlier today, before the
// monitor saw it: it counts for the day but not for the hourly rate.
// m.mu is held.
func (m *Monitor) addEarlierSpend(user string, t time.Time, usd float64) {
	for _, key := range []string{"all\x00", "user\x00" + user} {
		m.spend.get(key, t).days.add(t, usd)
	}
}

// projectDaily is today's (UTC) spend plus the last hour's spend rate over
// the hours left in the day.
func projectDaily(s *spend, t time.Time) (projected, today float64) {
	dayStart := endOfDay(t).Add(-24 * time.Hour)
	today = s.days.sum(dayStart, dayStart.Add(24*time.Hour))
	lastHour := s.minutes.sum(t.Add(-time.Hour).Add(time.Minute), t.Add(time.Nanosecond))
	left := endOfDay(t).Sub(t).Hours()
	return today + lastHour*left, today
}

// record stores events (dropping duplicates), counts and dispatches them.
func (m *Monitor) record(ctx context.Context, evs []qguard.SecurityEvent) ([]qguard.SecurityEvent, error) {
	if len(evs) == 0 {
		return nil, nil
	}
	out := evs[:0]
	var firstErr error
	for i := range evs {
		ev := evs[i]
		if m.recentlyStored(ev) {
			continue
		}
		added, err := m.store.AddSecurityEvent(ctx, &ev, ev.Time.Add(-m.cfg.DedupWindow))
		if err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("store security event: %w", err)
			}
			continue
		}
		if !added {
			continue
		}
		if m.metrics != nil {
			m.metrics.SecurityEvents.WithLabelValues(ev.Type, ev.Severity).Inc()
		}
		if m.alerts != nil {
			m.alerts.Dispatch(ev)
		}
		out = append(out, ev)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Time.Before(out[j].Time) })
	return out, firstErr
}

// recentlyStored reports whether an event with ev's dedup key was stored
// by this process within the dedup window, and remembers ev otherwise.
func (m *Monitor) recentlyStored(ev qguard.SecurityEvent) bool {
	if ev.DedupKey == "" {
		return false
	}
	m.storedMu.Lock()
	defer m.storedMu.Unlock()
	if t, ok := m.stored[ev.DedupKey]; ok && !ev.Time.Before(t) && ev.Time.Sub(t) < m.cfg.DedupWindow {
		return true
	}
	if m.stored == nil || len(m.stored) >= max(m.cfg.MaxTracked, 1) {
		m.stored = map[string]time.Time{} // bounded: start over rather than grow
	}
	m.stored[ev.DedupKey] = ev.Time
	return false
}

// digest names a subject (user, address) in a dedup key: keys are stored,
// and a log's user field may hold anything, a secret included.
func digest(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:12])
}

// redact masks anything in s that the rules take for a secret.
func (m *Monitor) redact(s string) string {
	if s == "" {
		return s
	}
	return m.rules.RedactString(s)
}
