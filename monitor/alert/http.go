package alert

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Slack posts alerts to a Slack incoming webhook.
type Slack struct {
	URL    string
	Client *http.Client
}

// Name implements Sender.
func (s *Slack) Name() string { return "slack" }

// Send implements Sender.
func (s *Slack) Send(ctx context.Context, a *Alert) error {
	body, err := json.Marshal(map[string]string{"text": Text(a)})
	if err != nil {
		return err
	}
	return post(ctx, s.Client, "slack", s.URL, body, nil)
}

// Text renders an alert as short plain text (Slack mrkdwn, e-mail body).
func Text(a *Alert) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*%s*\n", a.Title)
	for _, e := range a.Events {
		fmt.Fprintf(&b, "• %s %s", e.Time.UTC().Format(time.RFC3339), e.Message)
		var who []string
		for _, kv := range [][2]string{{"user", e.User}, {"provider", e.Provider}, {"address", e.Address}, {"source", e.Source}} {
			if kv[1] != "" {
				who = append(who, kv[0]+"="+kv[1])
			}
		}
		if len(who) > 0 {
			fmt.Fprintf(&b, " (%s)", strings.Join(who, ", "))
		}
		b.WriteByte('\n')
	}
	if n := a.Count - len(a.Events); n > 0 {
		fmt.Fprintf(&b, "… and %d more\n", n)
	}
	return b.String()
}

// Webhook posts alerts as JSON, signed: the X-Qguard-Timestamp header holds
// the Unix time in seconds and X-Qguard-Signature holds
// "v1=" + hex(HMAC-SHA256(secret, timestamp + "." + body)).
type Webhook struct {
	URL    string
	Secret []byte
	Client *http.Client
	Now    func() time.Time // nil: time.Now
}

// Signature headers.
const (
	HeaderTimestamp = "X-Qguard-Timestamp"
	HeaderSignature = "X-Qguard-Signature"
)

// Name implements Sender.
func (w *Webhook) Name() string { return "webhook" }

// Send implements Sender.
func (w *Webhook) Send(ctx context.Context, a *Alert) error {
	body, err := json.Marshal(a)
	if err != nil {
		return err
	}
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	ts := strconv.FormatInt(now().Unix(), 10)
	return post(ctx, w.Client, "webhook", w.URL, body, map[string]string{
		HeaderTimestamp: ts,
		HeaderSignature: Sign(w.Secret, ts, body),
	})
}

// Sign returns the signature header value for body sent at timestamp ts.
func Sign(secret []byte, ts string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return "v1=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a webhook request as a receiver should: the signature
// matches (compared in constant time) and the timestamp is within
// tolerance of now, which stops replays of old requests.
func Verify(secret []byte, ts, signature string, body []byte, now time.Time, tolerance time.Duration) error {
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errors.New("bad timestamp header")
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return errors.New("timestamp outside the tolerance")
	}
	if !hmac.Equal([]byte(Sign(secret, ts, body)), []byte(signature)) {
		return errors.New("signature mismatch")
	}
	return nil
}

func post(ctx context.Context, client *http.Client, channel, url string, body []byte, headers map[string]string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return &Permanent{Err: fmt.Errorf("%s: bad URL", channel)} // the URL is secret: not echoed
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "qguard-alert/1")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", channel, scrub(err))
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return statusError(channel, resp.StatusCode)
}
