package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/qguard/qguard"
)

type ctxKey int

const (
	keyRequestID ctxKey = iota
	keyCaller
)

// caller is the authenticated user of a request.
type caller struct {
	user    *qguard.User
	session *qguard.Session // nil when the request used an API key
	token   string          // the session token, for logout
}

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(keyRequestID).(string)
	return id
}

func callerOf(ctx context.Context) *caller {
	c, _ := ctx.Value(keyCaller).(*caller)
	return c
}

// validRequestID accepts a client's X-Request-Id only when it is short and
// plain, so it cannot forge log lines.
func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func newID(prefix string) string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// statusWriter records the status code for logs and metrics.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// observe gives every request an id, a panic guard, an access log line and
// metrics. The log line holds the route pattern, never the query string or
// a header, so no token reaches it.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !validRequestID(id) {
			id = newID("req_")
		}
		w.Header().Set("X-Request-Id", id)
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		ctx := context.WithValue(r.Context(), keyRequestID, id)
		sw := &statusWriter{ResponseWriter: w}
		r = r.WithContext(ctx)
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.Error("panic in handler", "request_id", id, "panic", p)
				if sw.status == 0 {
					s.writeError(sw, r, errors.New("panic"))
				}
			}
			route := r.Pattern
			if route == "" {
				route = "unmatched"
			}
			elapsed := time.Since(start)
			s.Metrics.HTTPRequests.WithLabelValues(route, strconv.Itoa(sw.status)).Inc()
			s.Metrics.HTTPDuration.WithLabelValues(route).Observe(elapsed.Seconds())
			attrs := []slog.Attr{
				slog.String("request_id", id), slog.String("method", r.Method), slog.String("route", route),
				slog.Int("status", sw.status), slog.Duration("duration", elapsed), slog.String("remote", clientAddr(r)),
			}
			if c := callerOf(r.Context()); c != nil {
				attrs = append(attrs, slog.String("user", c.user.Name))
			}
			s.log.LogAttrs(ctx, slog.LevelInfo, "request", attrs...)
		}()
		next.ServeHTTP(sw, r)
	})
}

// endpoint turns a handler that returns an error into an http.Handler that
// answers errors in the contract's shape, with the request body capped.
func (s *Server) endpoint(h func(http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > s.cfg.MaxBodyBytes {
			// Refuse before reading a byte of an announced oversized body.
			w.Header().Set("Connection", "close")
			s.writeError(w, r, qguard.Errorf(qguard.ETOOLARGE, "request body of %d bytes is larger than the limit of %d", r.ContentLength, s.cfg.MaxBodyBytes))
			return
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
		}
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// authenticate resolves the bearer token to a user, then applies the
// user's rate limit. The caller is stored in the request's context (a
// pointer, so the access log sees it).
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bearer, ok := bearerToken(r)
		if !ok {
			s.Metrics.AuthAttempts.WithLabelValues("failure").Inc()
			s.writeError(w, r, qguard.Errorf(qguard.EUNAUTHENTICATED, "missing bearer token: send Authorization: Bearer <api key or session token>"))
			return
		}
		addr := clientAddr(r)
		user, sess, err := s.Auth.Authenticate(r.Context(), bearer, addr)
		if err != nil {
			s.countAuthFailure(r.Context(), err, addr)
			s.writeError(w, r, err)
			return
		}
		s.Metrics.AuthAttempts.WithLabelValues("success").Inc()
		if !s.limiter.allow(user.Name) {
			s.writeError(w, r, qguard.Errorf(qguard.ERATELIMITED, "rate limit of %d requests per minute exceeded; retry shortly", s.cfg.RatePerMinute))
			return
		}
		c := &caller{user: user, session: sess}
		if sess != nil {
			c.token = bearer
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), keyCaller, c)))
	})
}

func (s *Server) countAuthFailure(ctx context.Context, err error, addr string) {
	result := "failure"
	switch qguard.ErrorCode(err) {
	case qguard.ESESSIONEXPIRED:
		result = "expired"
	case qguard.ERATELIMITED:
		result = "locked"
	}
	s.Metrics.AuthAttempts.WithLabelValues(result).Inc()
	if s.Monitor != nil && result != "expired" {
		s.Monitor.AuthFailure(ctx, "", addr)
	}
}

func bearerToken(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	const prefix = "Bearer "
	if len(h) <= len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return "", false
	}
	return strings.TrimSpace(h[len(prefix):]), true
}

// clientAddr is the peer's IP address. X-Forwarded-For is not trusted:
// behind a load balancer, lockout per address then counts the balancer
// (documented in docs/operations.md).
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// decodeJSON reads a JSON body into v: unknown fields, trailing data and
// oversized bodies are errors that say what was wrong.
func decodeJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		var syntax *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &tooBig):
			return qguard.Errorf(qguard.ETOOLARGE, "request body larger than %d bytes", tooBig.Limit)
		case errors.Is(err, io.EOF):
			return qguard.Errorf(qguard.EINVALID, "request body is empty; send a JSON object")
		case errors.As(err, &syntax):
			return qguard.Errorf(qguard.EINVALID, "malformed JSON at byte %d: %v", syntax.Offset, err)
		case errors.As(err, &typ):
			return qguard.Errorf(qguard.EINVALID, "field %q: expected %s, got %s", typ.Field, typ.Type, typ.Value)
		default:
			return qguard.Errorf(qguard.EINVALID, "malformed JSON: %v", err)
		}
	}
	if dec.More() {
		return qguard.Errorf(qguard.EINVALID, "trailing data after the JSON object")
	}
	// Drain so that a too-large body is reported even after a valid object.
	if _, err := io.Copy(io.Discard, r.Body); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return qguard.Errorf(qguard.ETOOLARGE, "request body larger than %d bytes", tooBig.Limit)
		}
	}
	return nil
}

// limiter is a per-user token bucket: perMinute requests a minute with
// bursts of the same size. It is per replica.
type limiter struct {
	mu      sync.Mutex
	rate    float64 // tokens per second
	burst   float64
	now     qguard.Clock
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newLimiter(perMinute int, now qguard.Clock) *limiter {
	return &limiter{rate: float64(perMinute) / 60, burst: float64(perMinute), now: now, buckets: map[string]*bucket{}}
}

func (l *limiter) allow(key string) bool {
	if l.burst <= 0 {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
