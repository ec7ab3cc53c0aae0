// Package ibmtest is a fake IBM Quantum: the IAM token exchange and the
// Qiskit Runtime REST endpoints the ibm adapter uses, on an httptest server.
// It rejects what the real service rejects: a wrong API key, a missing or
// expired bearer token, a wrong Service-CRN, and job payloads that are not
// sampler PUBs of OpenQASM 3.
package ibmtest

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qguard/qguard/provider/providertest"
)

// Backend is a fake backend.
type Backend struct {
	Name        string
	Qubits      int
	Operational bool
}

// Server is the fake. Its URL serves both IAM (/identity/token) and the
// runtime API (/api/v1).
type Server struct {
	*httptest.Server
	providertest.Middleware

	APIKey string // the valid API key
	CRN    string // the instance CRN

	mu           sync.Mutex
	now          time.Time
	tokenTTL     time.Duration
	tokens       map[string]time.Time // bearer → expiry
	issued       int
	backends     map[string]*Backend
	jobs         map[string]*job
	limitReached bool
	pollsToRun   int
}

type job struct {
	id, backend, state string
	shots, bits        int
	reg                string
	polls              int
}

// New starts a fake with backends ibm_fake_small (5 qubits) and
// ibm_fake_eagle (127 qubits), both operational.
func New(t testing.TB) *Server {
	s := &Server{
		APIKey:   "fakeIBMkey_" + strings.Repeat("x", 33), // 44 characters, as real keys
		CRN:      "crn:v1:bluemix:public:quantum-computing:us-east:a/0123456789abcdef:00000000-1111-2222-3333-444444444444::",
		now:      time.Now(),
		tokenTTL: time.Hour,
		tokens:   map[string]time.Time{},
		backends: map[string]*Backend{
			"ibm_fake_small": {Name: "ibm_fake_small", Qubits: 5, Operational: true},
			"ibm_fake_eagle": {Name: "ibm_fake_eagle", Qubits: 127, Operational: true},
		},
		jobs:       map[string]*job{},
		pollsToRun: 2,
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /identity/token", s.token)
	mux.HandleFunc("GET /api/v1/backends", s.auth(s.listBackends))
	mux.HandleFunc("GET /api/v1/backends/{name}/configuration", s.auth(s.configuration))
	mux.HandleFunc("GET /api/v1/backends/{name}/status", s.auth(s.backendStatus))
	mux.HandleFunc("GET /api/v1/instances/usage", s.auth(s.usage))
	mux.HandleFunc("POST /api/v1/jobs", s.auth(s.createJob))
	mux.HandleFunc("GET /api/v1/jobs/{id}", s.auth(providertest.Locked(&s.mu, s.job, s.getJob)))
	mux.HandleFunc("GET /api/v1/jobs/{id}/results", s.auth(providertest.Locked(&s.mu, s.job, s.results)))
	mux.HandleFunc("GET /api/v1/jobs/{id}/metrics", s.auth(providertest.Locked(&s.mu, s.job, s.metrics)))
	mux.HandleFunc("POST /api/v1/jobs/{id}/cancel", s.auth(providertest.Locked(&s.mu, s.job, s.cancel)))
	s.Server = httptest.NewServer(s.Wrap(mux))
	t.Cleanup(s.Close)
	return s
}

// APIURL is the runtime API base for ibm.Config.URL.
func (s *Server) APIURL() string { return s.URL + "/api/v1" }

// SetBackend adds or replaces a backend.
func (s *Server) SetBackend(b Backend) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.backends[b.Name] = &b
}

// SetUsageLimitReached makes /instances/usage report the instance limit.
func (s *Server) SetUsageLimitReached(v bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limitReached = v
}

// ExpireTokens makes every bearer token issued so far expired.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.tokens {
		s.tokens[k] = s.now.Add(-time.Second)
	}
}

// TokensIssued counts successful key exchanges.
func (s *Server) TokensIssued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issued
}

// JobState returns a job's state ("Queued", …), or "" if unknown.
func (s *Server) JobState(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if j := s.jobs[id]; j != nil {
		return j.state
	}
	return ""
}

func apiError(w http.ResponseWriter, status int, code int, msg string) {
	providertest.WriteJSON(w, status, map[string]any{"errors": []map[string]any{{"code": code, "message": msg}}, "status_code": status})
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		providertest.WriteJSON(w, 400, map[string]any{"errorCode": "BXNIM0109E", "errorMessage": "Property missing or empty. Operation not possible."})
		return
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "urn:ibm:params:oauth:grant-type:apikey" {
		providertest.WriteJSON(w, 400, map[string]any{"errorCode": "BXNIM0109E", "errorMessage": "Property missing or empty. Operation not possible."})
		return
	}
	if subtle.ConstantTimeCompare([]byte(r.PostForm.Get("apikey")), []byte(s.APIKey)) != 1 {
		providertest.WriteJSON(w, 400, map[string]any{"errorCode": "BXNIM0415E", "errorMessage": "Provided API key could not be found."})
		return
	}
	b := make([]byte, 24)
	rand.Read(b)
	tok := "eyJhbGciOiJSUzI1NiJ9.eyJmYWtlIjp0cnVlfQ." + base64.RawURLEncoding.EncodeToString(b)
	s.mu.Lock()
	exp := s.now.Add(s.tokenTTL)
	s.tokens[tok] = exp
	s.issued++
	s.mu.Unlock()
	providertest.WriteJSON(w, 200, map[string]any{"access_token": tok, "refresh_token": "not_supported", "token_type": "Bearer",
		"expires_in": int(s.tokenTTL / time.Second), "expiration": exp.Unix()})
}

var apiVersion = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// auth checks the bearer token, the Service-CRN and IBM-API-Version.
func (s *Server) auth(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		s.mu.Lock()
		exp, known := s.tokens[tok]
		valid := ok && known && s.now.Before(exp)
		s.mu.Unlock()
		if !valid {
			apiError(w, 401, 1224, "Unauthorized: the access token is missing, invalid or expired")
			return
		}
		if r.Header.Get("Service-CRN") != s.CRN {
			apiError(w, 403, 1213, "The Service-CRN header does not name an instance you can access")
			return
		}
		if v := r.Header.Get("IBM-API-Version"); v != "" && !apiVersion.MatchString(v) {
			apiError(w, 400, 1100, "Invalid IBM-API-Version header")
			return
		}
		h(w, r)
	}
}

func (s *Server) listBackends(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := []string{}
	for n := range s.backends {
		names = append(names, n)
	}
	providertest.WriteJSON(w, 200, map[string]any{"devices": names})
}

func (s *Server) backend(w http.ResponseWriter, r *http.Request) *Backend {
	s.mu.Lock()
	b := s.backends[r.PathValue("name")]
	s.mu.Unlock()
	if b == nil {
		apiError(w, 404, 1216, "Backend not found")
	}
	return b
}

func (s *Server) configuration(w http.ResponseWriter, r *http.Request) {
	if b := s.backend(w, r); b != nil {
		providertest.WriteJSON(w, 200, map[string]any{"backend_name": b.Name, "backend_version": "1.0.0", "n_qubits": b.Qubits,
			"basis_gates": []string{"ecr", "id", "rz", "sx", "x"}, "simulator": false, "max_shots": 100000})
	}
}

func (s *Server) backendStatus(w http.ResponseWriter, r *http.Request) {
	if b := s.backend(w, r); b != nil {
		status := "active"
		if !b.Operational {
			status = "internal"
		}
		providertest.WriteJSON(w, 200, map[string]any{"backend_name": b.Name, "backend_version": "1.0.0", "state": b.Operational, "status": status, "length_queue": 3})
	}
}

func (s *Server) usage(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	consumed := 120.0
	if s.limitReached {
		consumed = 600
	}
	providertest.WriteJSON(w, 200, map[string]any{"instance_id": s.CRN, "plan_id": "open", "usage_consumed_seconds": consumed,
		"usage_limit_seconds": 600, "usage_limit_reached": s.limitReached})
}

var bitDecl = regexp.MustCompile(`(?m)^\s*bit\[(\d+)\]\s+(\w+)\s*;`)

func (s *Server) createJob(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		apiError(w, 415, 1100, "Content-Type must be application/json")
		return
	}
	var req struct {
		ProgramID string `json:"program_id"`
		Backend   string `json:"backend"`
		Params    struct {
			Pubs    [][]json.RawMessage `json:"pubs"`
			Options struct {
				DefaultShots int `json:"default_shots"`
			} `json:"options"`
			Version int `json:"version"`
		} `json:"params"`
		Tags []string `json:"tags"`
		Cost int      `json:"cost"`
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		apiError(w, 400, 1100, "Invalid request body: "+err.Error())
		return
	}
	if req.ProgramID != "sampler" {
		apiError(w, 400, 1100, "program_id must be sampler or estimator")
		return
	}
	s.mu.Lock()
	b := s.backends[req.Backend]
	s.mu.Unlock()
	if b == nil {
		apiError(w, 404, 1216, "Backend "+req.Backend+" not found")
		return
	}
	if len(req.Params.Pubs) != 1 {
		apiError(w, 400, 1100, "this fake runs exactly one PUB")
		return
	}
	pub := req.Params.Pubs[0]
	var src string
	if len(pub) == 0 || len(pub) > 3 || json.Unmarshal(pub[0], &src) != nil || !strings.HasPrefix(strings.TrimSpace(src), "OPENQASM 3") {
		apiError(w, 400, 1100, "a PUB is [OpenQASM 3 circuit, parameter values, shots]")
		return
	}
	shots := 0
	if len(pub) == 3 && string(pub[2]) != "null" {
		if err := json.Unmarshal(pub[2], &shots); err != nil || shots <= 0 || shots > 100000 {
			apiError(w, 400, 1100, "shots must be an integer between 1 and 100000")
			return
		}
	}
	switch {
	case shots > 0:
	case req.Params.Options.DefaultShots > 0:
		shots = req.Params.Options.DefaultShots
	default:
		shots = 4096
	}
	j := &job{backend: req.Backend, state: "Queued", shots: shots, bits: 1, reg: "c"}
	if m := bitDecl.FindStringSubmatch(src); m != nil {
		j.bits, _ = strconv.Atoi(m[1])
		j.reg = m[2]
	}
	idb := make([]byte, 10)
	rand.Read(idb)
	j.id = fmt.Sprintf("d%x", idb)
	s.mu.Lock()
	s.jobs[j.id] = j
	s.mu.Unlock()
	providertest.WriteJSON(w, 200, map[string]any{"id": j.id, "backend": j.backend})
}

func (s *Server) job(w http.ResponseWriter, r *http.Request) *job {
	j := s.jobs[r.PathValue("id")]
	if j == nil {
		apiError(w, 404, 1291, "Job not found")
	}
	return j
}

func (s *Server) getJob(w http.ResponseWriter, r *http.Request, j *job) {
	if j.state == "Queued" || j.state == "Running" {
		j.polls++
		switch {
		case j.polls >= s.pollsToRun:
			j.state = "Completed"
		case j.polls >= 1:
			j.state = "Running"
		}
	}
	providertest.WriteJSON(w, 200, map[string]any{"id": j.id, "backend": j.backend, "program": map[string]any{"id": "sampler"},
		"status": j.state, "state": map[string]any{"status": j.state}})
}

// results: a GHZ-like outcome, all zeros on even shots and all ones on odd.
func (s *Server) results(w http.ResponseWriter, r *http.Request, j *job) {
	if j.state != "Completed" {
		apiError(w, 400, 1234, "Job has no results yet")
		return
	}
	ones := fmt.Sprintf("0x%x", (uint64(1)<<j.bits)-1)
	samples := make([]string, j.shots)
	for i := range samples {
		samples[i] = "0x0"
		if i%2 == 1 {
			samples[i] = ones
		}
	}
	var buf bytes.Buffer
	json.NewEncoder(&buf).Encode(map[string]any{"results": []any{map[string]any{
		"data":     map[string]any{j.reg: map[string]any{"samples": samples, "num_bits": j.bits}},
		"metadata": map[string]any{"circuit_metadata": map[string]any{}}}},
		"metadata": map[string]any{"version": 2}})
	w.Header().Set("Content-Type", "application/json")
	w.Write(buf.Bytes())
}

func (s *Server) metrics(w http.ResponseWriter, _ *http.Request, _ *job) {
	providertest.WriteJSON(w, 200, map[string]any{"usage": map[string]any{"quantum_seconds": 3, "seconds": 3}})
}

func (s *Server) cancel(w http.ResponseWriter, r *http.Request, j *job) {
	if j.state != "Queued" && j.state != "Running" {
		apiError(w, 409, 1242, "Job is in a final state and cannot be cancelled")
		return
	}
	j.state = "Cancelled"
	w.WriteHeader(http.StatusNoContent)
}
