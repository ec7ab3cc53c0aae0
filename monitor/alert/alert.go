// Package alert delivers security events to people: Slack incoming
// webhooks, e-mail over SMTP with STARTTLS, and a generic JSON webhook
// signed with HMAC-SHA256.
//
// Delivery never blocks the caller: [Dispatcher.Dispatch] puts the event on
// a bounded queue per channel and drops it (counted in
// qguard_alerts_total{result="dropped"}) when the queue is full. Each channel
// groups events of one type and severity that arrive within the group wait
// into one message, sends at most its rate limit, and retries failed
// deliveries with exponential back-off. Every text that leaves passes
// through a redaction function first, so an alert cannot carry a secret
// even if an event did.
package alert

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/qguard/qguard"
	"github.com/qguard/qguard/config"
	"github.com/qguard/qguard/metrics"
	"github.com/qguard/qguard/monitor/rules"
)

// MaxSamples is how many events one alert lists; Count has the total.
const MaxSamples = 10

// Alert is one message: events of one type and severity.
type Alert struct {
	GroupKey string    `json:"group_key"`
	Title    string    `json:"title"`
	Type     string    `json:"type"`
	Severity string    `json:"severity"`
	Count    int       `json:"count"`
	FirstAt  time.Time `json:"first_at"`
	LastAt   time.Time `json:"last_at"`
	Events   []Event   `json:"events"`
}

// Event is the part of a security event an alert shows.
type Event struct {
	ID       int64             `json:"id,omitempty"`
	Time     time.Time         `json:"time"`
	Source   string            `json:"source,omitempty"`
	User     string            `json:"user,omitempty"`
	Provider string            `json:"provider,omitempty"`
	Address  string            `json:"address,omitempty"`
	Rule     string            `json:"rule,omitempty"`
	Message  string            `json:"message"`
	Details  map[string]string `json:"details,omitempty"`
}

// Sender delivers one alert on one channel.
type Sender interface {
	Name() string // channel name for metrics: slack, email, webhook
	Send(ctx context.Context, a *Alert) error
}

// Permanent marks an error that retrying cannot fix (a 4xx answer).
type Permanent struct{ Err error }

func (p *Permanent) Error() string { return p.Err.Error() }
func (p *Permanent) Unwrap() error { return p.Err }

// Options configure a Dispatcher.
type Options struct {
	Config  config.Alerts
	Metrics *metrics.Metrics    // may be nil
	Redact  func(string) string // masks secrets in every text sent; nil: identity
	Log     *slog.Logger        // may be nil
	HTTP    *http.Client        // for Slack and webhooks; nil: a client with Config.Timeout
}

// Dispatcher fans events out to its channels. It implements
// monitor.Dispatcher.
type Dispatcher struct {
	channels []*channel
	minRank  int
	wg       sync.WaitGroup
	stop     context.CancelFunc
	closed   chan struct{}
	once     sync.Once
}

// New builds the channels that opts.Config configures (none is fine: the
// dispatcher then discards events) and starts them.
func New(opts Options) (*Dispatcher, error) {
	var senders []Sender
	c := opts.Config
	client := opts.HTTP
	if client == nil {
		client = &http.Client{Timeout: c.Timeout}
	}
	if c.Slack.WebhookURL != "" {
		senders = append(senders, &Slack{URL: string(c.Slack.WebhookURL), Client: client})
	}
	if c.Webhook.URL != "" {
		senders = append(senders, &Webhook{URL: string(c.Webhook.URL), Secret: []byte(c.Webhook.Secret), Client: client})
	}
	if c.Email.Host != "" {
		e, err := NewEmail(c.Email, c.Timeout)
		if err != nil {
			return nil, err
		}
		senders = append(senders, e)
	}
	return NewWithSenders(opts, senders...), nil
}

// NewWithSenders starts a dispatcher over the given senders.
func NewWithSenders(opts Options, senders ...Sender) *Dispatcher {
	if opts.Redact == nil {
		opts.Redact = func(s string) string { return s }
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	d := &Dispatcher{minRank: rank(opts.Config.MinSeverity), stop: cancel, closed: make(chan struct{})}
	for _, s := range senders {
		ch := &channel{sender: s, opts: opts, queue: make(chan qguard.SecurityEvent, max(opts.Config.QueueSize, 1)),
			tokens: float64(max(opts.Config.Burst, 1)), last: time.Now(), groups: map[string]*group{}}
		d.channels = append(d.channels, ch)
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			ch.run(ctx, d.closed)
		}()
	}
	return d
}

// Dispatch queues ev on every channel without blocking; events below the
// minimum severity are ignored, and a full queue drops the event. A nil
// Dispatcher discards events.
func (d *Dispatcher) Dispatch(ev qguard.SecurityEvent) {
	if d == nil || rank(ev.Severity) < d.minRank {
		return
	}
	select {
	case <-d.closed:
		return
	default:
	}
	for _, ch := range d.channels {
		select {
		case ch.queue <- ev:
		default:
			ch.count("dropped")
			ch.opts.Log.Warn("alert queue full; event dropped", "channel", ch.sender.Name(), "type", ev.Type)
		}
	}
}

// Close stops accepting events, sends what is queued and grouped (ignoring
// the group wait but not retries), and returns when done or when ctx ends.
func (d *Dispatcher) Close(ctx context.Context) error {
	if d == nil {
		return nil
	}
	d.once.Do(func() { close(d.closed) })
	done := make(chan struct{})
	go func() { d.wg.Wait(); close(done) }()
	select {
	case <-done:
		d.stop()
		return nil
	case <-ctx.Done():
		d.stop()
		<-done
		return ctx.Err()
	}
}

type channel struct {
	sender Sender
	opts   Options
	queue  chan qguard.SecurityEvent
	groups map[string]*group
	tokens float64
	last   time.Time
}

type group struct {
	alert    Alert
	deadline time.Time
}

func (c *channel) count(result string) {
	if c.opts.Metrics != nil {
		c.opts.Metrics.Alerts.WithLabelValues(c.sender.Name(), result).Inc()
	}
}

func (c *channel) run(ctx context.Context, closed <-chan struct{}) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		wait := c.nextWait()
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(wait)
		select {
		case ev := <-c.queue:
			c.add(ev)
		case <-timer.C:
			c.flush(ctx, false)
		case <-closed:
			for {
				select {
				case ev := <-c.queue:
					c.add(ev)
					continue
				default:
				}
				break
			}
			c.flush(ctx, true)
			return
		case <-ctx.Done():
			return
		}
	}
}

func (c *channel) add(ev qguard.SecurityEvent) {
	key := ev.Type + "/" + ev.Severity
	g, ok := c.groups[key]
	if !ok {
		g = &group{deadline: time.Now().Add(c.opts.Config.GroupWait), alert: Alert{GroupKey: key, Type: ev.Type, Severity: ev.Severity, FirstAt: ev.Time, LastAt: ev.Time}}
		c.groups[key] = g
	}
	a := &g.alert
	a.Count++
	if ev.Time.Before(a.FirstAt) {
		a.FirstAt = ev.Time
	}
	if ev.Time.After(a.LastAt) {
		a.LastAt = ev.Time
	}
	if len(a.Events) < MaxSamples {
		r := c.opts.Redact
		e := Event{ID: ev.ID, Time: ev.Time, Source: r(ev.Source), User: r(ev.User), Provider: r(ev.Provider),
			Address: r(ev.Address), Rule: r(ev.Rule), Message: r(ev.Message)}
		if len(ev.Details) > 0 {
			e.Details = make(map[string]string, len(ev.Details))
			for k, v := range ev.Details {
				e.Details[r(k)] = r(v)
			}
		}
		a.Events = append(a.Events, e)
	}
}

// nextWait is how long until the earliest group is due (and a token is
// available to send it).
func (c *channel) nextWait() time.Duration {
	if len(c.groups) == 0 {
		return time.Hour
	}
	var earliest time.Time
	for _, g := range c.groups {
		if earliest.IsZero() || g.deadline.Before(earliest) {
			earliest = g.deadline
		}
	}
	wait := time.Until(earliest)
	if t := c.tokenWait(); t > wait {
		wait = t
	}
	return max(wait, time.Millisecond)
}

// refill adds rate-limit tokens for the time passed.
func (c *channel) refill() {
	now := time.Now()
	perSec := float64(max(c.opts.Config.RatePerHour, 1)) / 3600
	c.tokens = min(float64(max(c.opts.Config.Burst, 1)), c.tokens+now.Sub(c.last).Seconds()*perSec)
	c.last = now
}

func (c *channel) tokenWait() time.Duration {
	c.refill()
	if c.tokens >= 1 {
		return 0
	}
	perSec := float64(max(c.opts.Config.RatePerHour, 1)) / 3600
	return time.Duration((1 - c.tokens) / perSec * float64(time.Second))
}

// flush sends the groups that are due (all of them when final), in order
// of severity, while the rate limit allows; the rest stay grouped.
func (c *channel) flush(ctx context.Context, final bool) {
	now := time.Now()
	var due []*group
	for _, g := range c.groups {
		if final || !g.deadline.After(now) {
			due = append(due, g)
		}
	}
	sort.Slice(due, func(i, j int) bool { return rank(due[i].alert.Severity) > rank(due[j].alert.Severity) })
	for _, g := range due {
		if !final {
			c.refill()
			if c.tokens < 1 {
				return // rate limited: keep grouping until a token is due
			}
			c.tokens--
		}
		delete(c.groups, g.alert.GroupKey)
		a := g.alert
		a.Title = fmt.Sprintf("[qguard %s] %s: %d event(s)", strings.ToUpper(a.Severity), a.Type, a.Count)
		if err := c.deliver(ctx, &a); err != nil {
			c.count("failed")
			c.opts.Log.Error("alert delivery failed", "channel", c.sender.Name(), "type", a.Type, "events", a.Count, "err", err)
		} else {
			c.count("sent")
		}
	}
}

// deliver sends with retries and exponential back-off with jitter.
func (c *channel) deliver(ctx context.Context, a *Alert) error {
	cfg := c.opts.Config
	var err error
	for attempt := 0; attempt <= cfg.Retries; attempt++ {
		if attempt > 0 {
			d := cfg.Backoff << (attempt - 1)
			d += time.Duration(rand.Int64N(int64(d)/2 + 1))
			select {
			case <-time.After(d):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		actx, cancel := context.WithTimeout(ctx, cfg.Timeout)
		err = c.sender.Send(actx, a)
		cancel()
		if err == nil {
			return nil
		}
		var p *Permanent
		if errors.As(err, &p) {
			return err
		}
	}
	return err
}

// rank orders severities; an unknown severity ranks below low.
func rank(sev string) int { return rules.SeverityRank(sev) }

// scrub drops the URL from an HTTP client error: webhook URLs are secrets.
func scrub(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s request: %w", ue.Op, ue.Err)
	}
	return err
}

// statusError turns a non-2xx status into an error: 429 and 5xx are
// retried, other 4xx are permanent.
func statusError(channel string, code int) error {
	if code >= 200 && code < 300 {
		return nil
	}
	err := fmt.Errorf("%s answered HTTP %d", channel, code)
	if code >= 400 && code < 500 && code != http.StatusTooManyRequests && code != http.StatusRequestTimeout {
		return &Permanent{Err: err}
	}
	return err
}
