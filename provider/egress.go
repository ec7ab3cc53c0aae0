// Package provider holds what every quantum cloud adapter shares on the way
// out: an HTTP client with per-call timeouts and bounded retries that honour
// Retry-After, the mapping of provider answers to qguard error codes with
// the provider's message redacted, an audit hook, and the device registry
// that merges every provider's devices behind a TTL cache.
//
// Adapters live in the sub-packages ibm, braket and ionq; each has a fake
// upstream for tests in its …test package.
package provider

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/qguard/qguard"
	"github.com/qguard/qguard/config"
)

// CallInfo describes one outbound call for the audit hook. It never holds a
// credential: no headers, no body.
type CallInfo struct {
	Provider      string        // "ibm", "braket", "ionq"
	Op            string        // "devices", "submit", "status", "results", "cancel", "token", …
	Device        string        // device name, when the call concerns one
	ProviderJobID string        // provider's job id, when known
	Method        string        // HTTP method
	Host          string        // upstream host, without path or query
	StatusCode    int           // last HTTP status; 0 when the provider could not be reached
	Attempts      int           // 1 + retries
	Duration      time.Duration // whole call, retries included
	ErrorCode     string        // qguard error code when the call failed
}

// Observer receives every outbound call once it is done; the gateway audits
// them. It must not block for long.
type Observer func(ctx context.Context, call CallInfo)

// Options tunes egress. Zero fields take the defaults in parentheses.
type Options struct {
	Timeout      time.Duration // per attempt (30s)
	MaxRetries   int           // retries after the first attempt (3); negative disables
	BaseBackoff  time.Duration // first back-off, doubled per retry, with jitter (250ms)
	MaxBackoff   time.Duration // cap of one back-off (5s)
	MaxRetryWait time.Duration // the longest Retry-After honoured; a longer one fails the call (30s)
	Observer     Observer
	Logger       *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.MaxRetries == 0 {
		o.MaxRetries = 3
	}
	if o.MaxRetries < 0 {
		o.MaxRetries = 0
	}
	if o.BaseBackoff <= 0 {
		o.BaseBackoff = 250 * time.Millisecond
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 5 * time.Second
	}
	if o.MaxRetryWait <= 0 {
		o.MaxRetryWait = 30 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Request is one logical call; Client.Do may send it several times.
type Request struct {
	Op            string
	Device        string
	ProviderJobID string
	Method        string
	URL           string
	Header        http.Header
	Body          []byte
	// Idempotent calls are retried after 5xx answers and transport errors;
	// others only after 429 and 503, which mean the call was not processed.
	Idempotent bool
	// Authorize adds credentials to each attempt (a fresh SigV4 signature
	// needs the current time). Called after Header is copied.
	Authorize func(*http.Request) error
	// Secrets are redacted from any provider message that reaches an error.
	Secrets []string
}

// Response is a provider's answer, read whole.
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
}

// maxBody bounds what is read from a provider; results of big jobs fit.
const maxBody = 64 << 20

// Client sends Requests for one provider.
type Client struct {
	provider string
	http     *http.Client
	opts     Options
	// Message extracts the provider's error message from an error body.
	message func(body []byte) string
}

// NewClient returns a Client for provider. hc may be nil (a client with no
// overall timeout; each attempt has opts.Timeout). message extracts the
// human message from an error body; nil uses the body itself.
func NewClient(provider string, hc *http.Client, opts Options, message func([]byte) string) *Client {
	if hc == nil {
		hc = &http.Client{}
	}
	if message == nil {
		message = func(b []byte) string { return string(b) }
	}
	return &Client{provider: provider, http: hc, opts: opts.withDefaults(), message: message}
}

// Logger returns the logger adapters use; it never sees a credential.
func (c *Client) Logger() *slog.Logger { return c.opts.Logger }

// Do sends r, retrying as Options say. It returns the response for any 2xx
// status; otherwise an *qguard.Error (see MapStatus) and, when the provider
// answered, its response too.
func (c *Client) Do(ctx context.Context, r *Request) (*Response, error) {
	start := time.Now()
	info := CallInfo{Provider: c.provider, Op: r.Op, Device: r.Device, ProviderJobID: r.ProviderJobID, Method: r.Method}
	resp, err := c.do(ctx, r, &info)
	info.Duration = time.Since(start)
	if err != nil {
		info.ErrorCode = qguard.ErrorCode(err)
		c.opts.Logger.LogAttrs(ctx, slog.LevelWarn, "provider call failed",
			slog.String("provider", c.provider), slog.String("op", r.Op), slog.String("device", r.Device),
			slog.Int("status", info.StatusCode), slog.Int("attempts", info.Attempts), slog.String("code", info.ErrorCode))
	} else {
		c.opts.Logger.LogAttrs(ctx, slog.LevelDebug, "provider call",
			slog.String("provider", c.provider), slog.String("op", r.Op), slog.String("device", r.Device),
			slog.Int("status", info.StatusCode), slog.Int("attempts", info.Attempts))
	}
	if c.opts.Observer != nil {
		c.opts.Observer(ctx, info)
	}
	return resp, err
}

func (c *Client) do(ctx context.Context, r *Request, info *CallInfo) (*Response, error) {
	for attempt := 0; ; attempt++ {
		info.Attempts = attempt + 1
		resp, err := c.once(ctx, r, info)
		var ae *authorizeError
		if errors.As(err, &ae) {
			return nil, ae.err
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil, qguard.Errorf(qguard.EPROVIDER, "%s: call cancelled", c.provider)
			}
			// A connection that was never made is safe to retry for any call.
			if attempt < c.opts.MaxRetries && (r.Idempotent || isDialError(err)) {
				if werr := sleep(ctx, c.backoff(attempt)); werr == nil {
					continue
				}
			}
			// err names the host and the transport failure, never a header.
			return nil, &qguard.Error{Code: qguard.EPROVIDER,
				Message: fmt.Sprintf("%s is unreachable (%s); retry later", c.provider, transportReason(err))}
		}
		info.StatusCode = resp.StatusCode
		if resp.StatusCode >= 200 && resp.StatusCode < 300 {
			return resp, nil
		}
		retryable := resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable ||
			(r.Idempotent && resp.StatusCode >= 500)
		if retryable && attempt < c.opts.MaxRetries {
			wait := c.backoff(attempt)
			if ra, ok := retryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
				if ra > c.opts.MaxRetryWait {
					return resp, c.mapStatus(resp, r, fmt.Sprintf("; it asks to wait %s, more than the %s qguard waits", ra.Round(time.Second), c.opts.MaxRetryWait))
				}
				wait = ra
			}
			if err := sleep(ctx, wait); err != nil {
				return resp, c.mapStatus(resp, r, "")
			}
			continue
		}
		return resp, c.mapStatus(resp, r, "")
	}
}

func (c *Client) once(ctx context.Context, r *Request, info *CallInfo) (*Response, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	var body io.Reader
	if r.Body != nil {
		body = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, r.URL, body)
	if err != nil {
		return nil, err
	}
	info.Host = req.URL.Host
	for k, v := range r.Header {
		req.Header[k] = append([]string(nil), v...)
	}
	if r.Authorize != nil {
		if err := r.Authorize(req); err != nil {
			return nil, &authorizeError{err}
		}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, err
	}
	return &Response{StatusCode: resp.StatusCode, Header: resp.Header, Body: data}, nil
}

func (c *Client) backoff(attempt int) time.Duration {
	d := c.opts.BaseBackoff << attempt
	if d > c.opts.MaxBackoff || d <= 0 {
		d = c.opts.MaxBackoff
	}
	// Full jitter in [d/2, d): replicas that failed together do not retry together.
	return d/2 + rand.N(d/2+1)
}

func (c *Client) mapStatus(resp *Response, r *Request, extra string) error {
	msg := Redact(c.message(resp.Body), r.Secrets...)
	return MapStatus(c.provider, resp.StatusCode, msg+extra)
}

// MapStatus maps a provider's HTTP status to a qguard error. msg must
// already be redacted.
func MapStatus(provider string, status int, msg string) error {
	detail := ""
	if msg != "" {
		detail = ": " + msg
	}
	cause := &StatusError{StatusCode: status}
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return &qguard.Error{Code: qguard.EPROVIDER, Err: cause,
			Message: fmt.Sprintf("%s rejected qguard's credentials (HTTP %d)%s; check the profile with `qguard creds get`", provider, status, detail)}
	case status == http.StatusNotFound:
		return &qguard.Error{Code: qguard.ENOTFOUND, Err: cause, Message: fmt.Sprintf("%s: not found%s", provider, detail)}
	case status == http.StatusConflict:
		return &qguard.Error{Code: qguard.ECONFLICT, Err: cause, Message: fmt.Sprintf("%s: conflict%s", provider, detail)}
	case status == http.StatusTooManyRequests:
		return &qguard.Error{Code: qguard.ERATELIMITED, Err: cause, Message: fmt.Sprintf("%s is rate limiting qguard%s; retry later", provider, detail)}
	default:
		return &qguard.Error{Code: qguard.EPROVIDER, Err: cause, Message: fmt.Sprintf("%s answered HTTP %d%s", provider, status, detail)}
	}
}

// authorizeError is a failure to obtain or apply credentials: not retried,
// and returned as the adapter made it.
type authorizeError struct{ err error }

func (e *authorizeError) Error() string { return e.err.Error() }

// StatusError is the cause of an error built from a provider's HTTP answer.
type StatusError struct{ StatusCode int }

func (e *StatusError) Error() string { return "HTTP " + strconv.Itoa(e.StatusCode) }

// StatusCode returns the provider's HTTP status behind err, or 0.
func StatusCode(err error) int {
	var se *StatusError
	if errors.As(err, &se) {
		return se.StatusCode
	}
	return 0
}

// retryAfter parses a Retry-After header: delay-seconds or an HTTP date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := t.Sub(now)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// transportReason names a transport failure without echoing the URL, whose
// query could carry a parameter a provider treats as sensitive.
func transportReason(err error) string {
	var ne interface{ Timeout() bool }
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timed out"
	default:
		var ue interface{ Unwrap() error }
		if errors.As(err, &ue) && ue.Unwrap() != nil {
			return Redact(ue.Unwrap().Error())
		}
		return Redact(err.Error())
	}
}

// OptionsFrom returns egress options from config.yaml's providers section.
func OptionsFrom(c config.Providers, observe Observer, log *slog.Logger) Options {
	retries := c.Retries
	if retries == 0 {
		retries = -1 // Options treats 0 as "default"
	}
	return Options{Timeout: c.RequestTimeout, MaxRetries: retries, MaxRetryWait: c.MaxRetryWait, Observer: observe, Logger: log}
}

// CheckURL refuses an endpoint that would carry credentials in clear: it
// must be https, or http on a loopback address (local fakes and tests).
func CheckURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Host == "":
		return qguard.Errorf(qguard.EINVALID, "%q is not a URL", Redact(raw))
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http":
		host := u.Hostname()
		if ip := net.ParseIP(host); host == "localhost" || ip != nil && ip.IsLoopback() {
			return nil
		}
	}
	return qguard.Errorf(qguard.EINVALID, "endpoint %s must use https: credentials would cross the network in clear", Redact(u.Redacted()))
}
