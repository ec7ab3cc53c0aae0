// Package ionqtest is a fake IonQ API v0.4 on an httptest server: backends
// and characterizations, jobs (ionq.circuit.v1 and ionq.qasm3.v1), status,
// probabilities, cancel and the cost estimate. It refuses requests without
// `Authorization: apiKey <the key>` and malformed job bodies, as IonQ does.
package ionqtest

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/qguard/qguard/provider/providertest"
)

// Backend is a fake backend.
type Backend struct {
	Name   string
	Qubits int
	Status string // available, unavailable, degraded, …
}

// Server is the fake; BaseURL is the v0.4 API root.
type Server struct {
	*httptest.Server
	providertest.Middleware
	APIKey  string
	BaseURL string

	mu       sync.Mutex
	backends map[string]*Backend
	jobs     map[string]*job
	polls    int
}

type job struct {
	id, backend, status, typ string
	shots, qubits            int
	polls                    int
}

// New starts the fake with simulator (29 qubits) and qpu.forte-1 (36),
// both available.
func New(t testing.TB) *Server {
	s := &Server{APIKey: "ionq-fake-" + strings.Repeat("k", 22), backends: map[string]*Backend{
		"simulator":   {Name: "simulator", Qubits: 29, Status: "available"},
		"qpu.forte-1": {Name: "qpu.forte-1", Qubits: 36, Status: "available"},
	}, jobs: map[string]*job{}, polls: 2}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v0.4/backends", s.auth(s.listBackends))
	mux.HandleFunc("GET /v0.4/backends/{b}", s.auth(s.getBackend))
	mux.HandleFunc("GET /v0.4/backends/{b}/characterizations/{id}", s.auth(s.characterization))
	mux.HandleFunc("POST /v0.4/jobs", s.auth(s.createJob))
	mux.HandleFunc("GET /v0.4/jobs/estimate", s.auth(s.estimate))
	mux.HandleFunc("GET /v0.4/jobs/{id}", s.auth(providertest.Locked(&s.mu, s.job, s.getJob)))
	mux.HandleFunc("GET /v0.4/jobs/{id}/results/probabilities", s.auth(s.probabilities))
	mux.HandleFunc("PUT /v0.4/jobs/{id}/status/cancel", s.auth(providertest.Locked(&s.mu, s.job, s.cancel)))
	s.Server = httptest.NewServer(s.Wrap(mux))
	s.BaseURL = s.URL + "/v0.4"
	t.Cleanup(s.Close)
	return s
}

// SetBackend adds or replaces a backend.
func (s *Server) SetBackend(b Backend) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.backends[b.Name] = &b
}

// Jobs counts created jobs.
func (s *Server) Jobs() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.jobs)
}

func apiError(w http.ResponseWriter, status int, msg string) {
	providertest.WriteJSON(w, status, map[string]any{"statusCode": status, "error": http.StatusText(status), "message": msg})
}

func (s *Server) auth(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "apiKey ")
		if !ok || subtle.ConstantTimeCompare([]byte(key), []byte(s.APIKey)) != 1 {
			apiError(w, 401, "Invalid key provided. See https://docs.ionq.com/#authentication for details.")
			return
		}
		h(w, r)
	}
}

func (b *Backend) json() map[string]any {
	return map[string]any{"backend": b.Name, "qubits": b.Qubits, "status": b.Status, "average_queue_time": 1000,
		"last_updated": 1733300000, "characterization_id": "char-" + b.Name, "degraded": b.Status == "degraded"}
}

func (s *Server) listBackends(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []any{}
	for _, b := range s.backends {
		out = append(out, b.json())
	}
	providertest.WriteJSON(w, 200, out)
}

func (s *Server) getBackend(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.backends[r.PathValue("b")]
	if b == nil {
		apiError(w, 404, "Backend not found")
		return
	}
	providertest.WriteJSON(w, 200, b.json())
}

func (s *Server) characterization(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.backends[r.PathValue("b")]
	if b == nil || r.PathValue("id") != "char-"+b.Name {
		apiError(w, 404, "Characterization not found")
		return
	}
	providertest.WriteJSON(w, 200, map[string]any{"id": r.PathValue("id"), "backend": b.Name, "date": 1733300000, "qubits": b.Qubits,
		"fidelity": map[string]any{"spam": map[string]float64{"median": 0.995}, "1q": map[string]float64{"median": 0.9998}, "2q": map[string]float64{"median": 0.995}}})
}

var gates = map[string]bool{"x": true, "y": true, "z": true, "h": true, "s": true, "si": true, "t": true, "ti": true, "v": true, "vi": true,
	"rx": true, "ry": true, "rz": true, "cnot": true, "swap": true, "not": true, "xx": true, "yy": true, "zz": true}

func (s *Server) createJob(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		apiError(w, 415, "Content-Type must be application/json")
		return
	}
	var req struct {
		Type     string            `json:"type"`
		Name     string            `json:"name"`
		Metadata map[string]string `json:"metadata"`
		Shots    int               `json:"shots"`
		Backend  string            `json:"backend"`
		Settings json.RawMessage   `json:"settings"`
		Noise    json.RawMessage   `json:"noise"`
		Input    struct {
			Qubits  int    `json:"qubits"`
			Gateset string `json:"gateset"`
			Circuit []struct {
				Gate     string  `json:"gate"`
				Target   *int    `json:"target"`
				Targets  []int   `json:"targets"`
				Control  *int    `json:"control"`
				Controls []int   `json:"controls"`
				Rotation float64 `json:"rotation"`
			} `json:"circuit"`
			Data string `json:"data"`
		} `json:"input"`
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		apiError(w, 400, "Invalid job body: "+err.Error())
		return
	}
	if req.Shots < 1 || req.Shots > 100000 {
		apiError(w, 400, "shots must be between 1 and 100000")
		return
	}
	if req.Input.Qubits < 1 {
		apiError(w, 400, "input.qubits is required")
		return
	}
	switch req.Type {
	case "ionq.circuit.v1":
		if len(req.Input.Circuit) == 0 {
			apiError(w, 400, "input.circuit is required")
			return
		}
		for i, g := range req.Input.Circuit {
			if !gates[g.Gate] || (g.Target == nil && len(g.Targets) == 0) {
				apiError(w, 400, fmt.Sprintf("input.circuit[%d] is not a valid gate", i))
				return
			}
		}
	case "ionq.qasm3.v1":
		if !strings.HasPrefix(strings.TrimSpace(req.Input.Data), "OPENQASM 3") {
			apiError(w, 400, "input.data must be an OpenQASM 3 program")
			return
		}
	default:
		apiError(w, 400, "unsupported job type "+req.Type)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.backends[req.Backend]
	if b == nil {
		apiError(w, 400, "unknown backend "+req.Backend)
		return
	}
	if req.Input.Qubits > b.Qubits {
		apiError(w, 400, fmt.Sprintf("%s has %d qubits", b.Name, b.Qubits))
		return
	}
	idb := make([]byte, 16)
	rand.Read(idb)
	j := &job{id: fmt.Sprintf("%x-%x-%x-%x-%x", idb[0:4], idb[4:6], idb[6:8], idb[8:10], idb[10:]), backend: b.Name,
		status: "submitted", typ: req.Type, shots: req.Shots, qubits: req.Input.Qubits}
	s.jobs[j.id] = j
	providertest.WriteJSON(w, 200, map[string]any{"id": j.id, "status": j.status, "session_id": nil})
}

// job finds the request's job, answering 404 when there is none.
func (s *Server) job(w http.ResponseWriter, r *http.Request) *job {
	j := s.jobs[r.PathValue("id")]
	if j == nil {
		apiError(w, 404, "Job not found")
	}
	return j
}

func (s *Server) getJob(w http.ResponseWriter, r *http.Request, j *job) {
	if j.status == "submitted" || j.status == "ready" || j.status == "running" {
		j.polls++
		if j.polls >= s.polls {
			j.status = "completed"
		} else {
			j.status = "running"
		}
	}
	out := map[string]any{"id": j.id, "status": j.status, "backend": j.backend, "type": j.typ, "shots": j.shots, "qubits": j.qubits}
	if j.status == "completed" {
		out["results"] = map[string]any{"probabilities": map[string]string{"url": "/v0.4/jobs/" + j.id + "/results/probabilities"}}
	}
	providertest.WriteJSON(w, 200, out)
}

// probabilities: qubit 0 is 1 half of the time (state 1), so a bit-order
// mistake shows.
func (s *Server) probabilities(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j := s.jobs[r.PathValue("id")]
	if j == nil || j.status != "completed" {
		apiError(w, 404, "Results not found")
		return
	}
	providertest.WriteJSON(w, 200, map[string]float64{"0": 0.5, "1": 0.5})
}

func (s *Server) cancel(w http.ResponseWriter, r *http.Request, j *job) {
	if j.status == "completed" || j.status == "failed" || j.status == "canceled" {
		apiError(w, 409, "Job is already "+j.status)
		return
	}
	j.status = "canceled"
	providertest.WriteJSON(w, 200, map[string]any{"id": j.id, "status": j.status})
}

// estimate prices like IonQ Forte on Braket: $0.30 + $0.08 per shot on a
// QPU, nothing on the simulator.
func (s *Server) estimate(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	shots, err := strconv.Atoi(q.Get("shots"))
	if err != nil || shots < 1 || q.Get("backend") == "" || q.Get("type") == "" {
		apiError(w, 400, "backend, type and shots are required")
		return
	}
	cost := 0.0
	if strings.HasPrefix(q.Get("backend"), "qpu.") {
		cost = 0.30 + 0.08*float64(shots)
	}
	providertest.WriteJSON(w, 200, map[string]any{"estimated_cost": cost, "cost_unit": "usd", "estimated_execution_time": 2000, "current_predicted_queue_time": 60000,
		"rate_information": map[string]any{"job_cost_minimum": 0.30}})
}
