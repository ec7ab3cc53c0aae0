// Package providertest is what the fake providers share: a recorder of the
// requests they received (without the Authorization header, which is the
// only place a credential may appear) and fault injection (error statuses
// with Retry-After).
package providertest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
)

// Recorded is one request a fake received.
type Recorded struct {
	Method string
	Path   string // escaped, as sent
	Query  string
	Header http.Header // without Authorization
	Body   []byte
	// SignedHeaders is the SigV4 SignedHeaders list, when signed; it is
	// the one part of the Authorization header that is not secret.
	SignedHeaders []string
}

// Fault makes a fake answer Status (with Retry-After when set) instead of
// serving the request.
type Fault struct {
	Status     int
	RetryAfter string
	Body       string
	// Path, when set, limits the fault to requests whose path contains it.
	Path string
}

// Middleware records requests and injects faults in front of a fake.
type Middleware struct {
	mu     sync.Mutex
	reqs   []Recorded
	faults []Fault
}

// Fail queues faults; each answers one matching request.
func (m *Middleware) Fail(f ...Fault) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.faults = append(m.faults, f...)
}

// Requests returns what the fake received so far.
func (m *Middleware) Requests() []Recorded {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Recorded(nil), m.reqs...)
}

// Wrap returns h behind the recorder and the fault queue.
func (m *Middleware) Wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<20))
		r.Body = io.NopCloser(bytes.NewReader(body))
		hdr := r.Header.Clone()
		hdr.Del("Authorization")
		rec := Recorded{Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.RawQuery, Header: hdr, Body: body}
		if _, rest, ok := strings.Cut(r.Header.Get("Authorization"), "SignedHeaders="); ok {
			list, _, _ := strings.Cut(rest, ",")
			rec.SignedHeaders = strings.Split(list, ";")
		}
		m.mu.Lock()
		m.reqs = append(m.reqs, rec)
		var fault *Fault
		for i, f := range m.faults {
			if f.Path == "" || strings.Contains(r.URL.Path, f.Path) {
				fault = &f
				m.faults = append(m.faults[:i:i], m.faults[i+1:]...)
				break
			}
		}
		m.mu.Unlock()
		if fault != nil {
			if fault.RetryAfter != "" {
				w.Header().Set("Retry-After", fault.RetryAfter)
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(fault.Status)
			io.WriteString(w, fault.Body)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// WriteJSON answers status with v as a JSON body, as the fakes' services do.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// Locked serves h under mu with the stored object that find returns for
// the request (a job, a task). When there is none, find has already
// answered in the service's own error format and h is not called.
func Locked[T any](mu *sync.Mutex, find func(http.ResponseWriter, *http.Request) *T, h func(http.ResponseWriter, *http.Request, *T)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if v := find(w, r); v != nil {
			h(w, r, v)
		}
	}
}
