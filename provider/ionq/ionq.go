// Package ionq is the IonQ adapter: IonQ's REST API v0.4
// (https://api.ionq.co/v0.4) with `Authorization: apiKey …`. Jobs are sent
// as ionq.circuit.v1 when the circuit package can emit it, else as
// OpenQASM 3 (ionq.qasm3.v1).
package ionq

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/qguard/qguard"
	"github.com/qguard/qguard/circuit"
	"github.com/qguard/qguard/config"
	"github.com/qguard/qguard/provider"
)

// Name is the provider's name in device ids ("ionq:qpu.forte-1").
const Name = "ionq"

// DefaultBaseURL is IonQ's API.
const DefaultBaseURL = "https://api.ionq.co/v0.4"

// Job types.
const (
	TypeCircuit = "ionq.circuit.v1"
	TypeQASM3   = "ionq.qasm3.v1"
)

// Config configures the adapter.
type Config struct {
	BaseURL string // default: the profile's base_url, else DefaultBaseURL
	// Format is "ionq.circuit.v1" (default: used when the gateway sent a
	// parsed circuit) or "openqasm" (always ionq.qasm3.v1).
	Format string
	Egress provider.Options
}

// Provider implements qguard.Provider for IonQ.
type Provider struct {
	cfg     Config
	creds   qguard.CredentialSource
	profile string
	client  *provider.Client
}

var _ qguard.Provider = (*Provider)(nil)

// New returns the adapter; the API key is read from creds (provider ionq,
// profile) at every call. httpClient may be nil.
func New(cfg Config, creds qguard.CredentialSource, profile string, httpClient *http.Client) *Provider {
	return &Provider{cfg: cfg, creds: creds, profile: profile, client: provider.NewClient(Name, httpClient, cfg.Egress, provider.JSONMessage)}
}

// Name implements qguard.Provider.
func (p *Provider) Name() string { return Name }

type account struct {
	key  string
	base *url.URL
}

func (p *Provider) account(ctx context.Context) (*account, error) {
	c, err := p.creds.Credential(ctx, qguard.ProviderIonQ, p.profile)
	if err != nil {
		return nil, fmt.Errorf("ionq profile %q: %w", p.profile, err)
	}
	key := c.Fields["api_key"]
	if key == "" {
		return nil, qguard.Errorf(qguard.EINVALID, "ionq profile %q has no api_key; add it with `qguard creds store ionq`", p.profile)
	}
	raw := p.cfg.BaseURL
	if raw == "" {
		raw = c.Fields["base_url"]
	}
	if raw == "" {
		raw = DefaultBaseURL
	}
	if err := provider.CheckURL(raw); err != nil {
		return nil, err
	}
	u, _ := url.Parse(strings.TrimSuffix(raw, "/"))
	return &account{key: key, base: u}, nil
}

func (p *Provider) call(ctx context.Context, a *account, r *provider.Request, path string, body any) (*provider.Response, error) {
	r.URL = a.base.String() + path
	r.Header = http.Header{"Accept": {"application/json"}}
	if err := r.SetJSON(body); err != nil {
		return nil, err
	}
	r.Secrets = []string{a.key}
	r.Authorize = func(req *http.Request) error {
		req.Header.Set("Authorization", "apiKey "+a.key)
		return nil
	}
	return p.client.Do(ctx, r)
}

// backend is an entry of GET /backends.
type backend struct {
	Backend            string `json:"backend"`
	Qubits             int    `json:"qubits"`
	Status             string `json:"status"`
	Degraded           bool   `json:"degraded"`
	CharacterizationID string `json:"characterization_id"`
}

func (b backend) device() qguard.Device {
	d := qguard.Device{ID: Name + ":" + b.Backend, Provider: Name, Name: b.Backend, Qubits: b.Qubits, Status: qguard.DeviceOffline}
	if b.Status == "available" {
		d.Status = qguard.DeviceOnline
	}
	if strings.HasPrefix(b.Backend, "simulator") {
		d.Class = qguard.ClassSimulator
	} else {
		d.Class = qguard.QPUClass(b.Qubits)
	}
	return d
}

// Devices implements qguard.Provider.
func (p *Provider) Devices(ctx context.Context) ([]qguard.Device, error) {
	a, err := p.account(ctx)
	if err != nil {
		return nil, err
	}
	resp, err := p.call(ctx, a, &provider.Request{Op: "devices", Method: http.MethodGet, Idempotent: true}, "/backends", nil)
	if err != nil {
		return nil, err
	}
	var bs []backend
	if err := json.Unmarshal(resp.Body, &bs); err != nil {
		return nil, qguard.Errorf(qguard.EPROVIDER, "ionq: unreadable backend list")
	}
	out := make([]qguard.Device, 0, len(bs))
	for _, b := range bs {
		out = append(out, b.device())
	}
	return out, nil
}

// Characterization is a backend's latest calibration figures.
type Characterization struct {
	ID       string  `json:"id"`
	Backend  string  `json:"backend"`
	Date     float64 `json:"date"`
	Qubits   int     `json:"qubits"`
	Fidelity struct {
		SPAM     struct{ Median float64 } `json:"spam"`
		OneQubit struct{ Median float64 } `json:"1q"`
		TwoQubit struct{ Median float64 } `json:"2q"`
	} `json:"fidelity"`
}

// Characterization returns the backend's current characterization.
func (p *Provider) Characterization(ctx context.Context, device string) (*Characterization, error) {
	a, err := p.account(ctx)
	if err != nil {
		return nil, err
	}
	b, err := p.backend(ctx, a, device)
	if err != nil {
		return nil, err
	}
	if b.CharacterizationID == "" {
		return nil, qguard.Errorf(qguard.ENOTFOUND, "ionq backend %s has no characterization", device)
	}
	resp, err := p.call(ctx, a, &provider.Request{Op: "characterization", Device: device, Method: http.MethodGet, Idempotent: true},
		"/backends/"+url.PathEscape(device)+"/characterizations/"+url.PathEscape(b.CharacterizationID), nil)
	if err != nil {
		return nil, err
	}
	var c Characterization
	if err := json.Unmarshal(resp.Body, &c); err != nil {
		return nil, qguard.Errorf(qguard.EPROVIDER, "ionq: unreadable characterization")
	}
	return &c, nil
}

func (p *Provider) backend(ctx context.Context, a *account, device string) (*backend, error) {
	resp, err := p.call(ctx, a, &provider.Request{Op: "device", Device: device, Method: http.MethodGet, Idempotent: true}, "/backends/"+url.PathEscape(device), nil)
	if qguard.ErrorCode(err) == qguard.ENOTFOUND {
		return nil, &qguard.Error{Code: qguard.EDEVICEUNAVAILABLE, Message: fmt.Sprintf("ionq has no backend %s", device), Err: err}
	}
	if err != nil {
		return nil, err
	}
	var b backend
	if err := json.Unmarshal(resp.Body, &b); err != nil {
		return nil, qguard.Errorf(qguard.EPROVIDER, "ionq: unreadable backend %s", device)
	}
	return &b, nil
}

// jobRequest is POST /jobs (v0.4).
type jobRequest struct {
	Type     string            `json:"type"`
	Name     string            `json:"name,omitempty"`
	Metadata map[string]string `json:"metadata,omitempty"`
	Shots    int               `json:"shots"`
	Backend  string            `json:"backend"`
	Input    json.RawMessage   `json:"input"`
}

// Submit implements qguard.Provider.
func (p *Provider) Submit(ctx context.Context, s qguard.Submission) (string, error) {
	a, err := p.account(ctx)
	if err != nil {
		return "", err
	}
	b, err := p.backend(ctx, a, s.Device)
	if err != nil {
		return "", err
	}
	if b.Status != "available" {
		return "", qguard.Errorf(qguard.EDEVICEUNAVAILABLE, "ionq backend %s is %s; choose another with `qguard devices list`", s.Device, provider.Redact(b.Status))
	}
	job := jobRequest{Name: s.JobID, Shots: s.Shots, Backend: s.Device,
		Metadata: map[string]string{"qguard_job_id": s.JobID, "qguard_user": s.User}}
	if c := provider.Circuit(s); c != nil && p.cfg.Format != "openqasm" {
		job.Type = TypeCircuit
		if job.Input, err = circuit.EmitIonQ(c); err != nil {
			return "", qguard.Errorf(qguard.EINVALIDCIRCUIT, "ionq.circuit.v1: %v", err)
		}
	} else {
		job.Type = TypeQASM3
		job.Input, _ = json.Marshal(map[string]any{"qubits": provider.Qubits(s), "data": s.QASM})
	}
	resp, err := p.call(ctx, a, &provider.Request{Op: "submit", Device: s.Device, Method: http.MethodPost}, "/jobs", job)
	if err != nil {
		return "", err
	}
	return provider.SubmittedID(resp.Body, "id", "ionq accepted the job without returning its id")
}

// Status implements qguard.Provider: a completed job's probabilities are
// turned into counts for its shots.
func (p *Provider) Status(ctx context.Context, device, jobID string) (*qguard.ProviderStatus, error) {
	a, err := p.account(ctx)
	if err != nil {
		return nil, err
	}
	resp, err := p.call(ctx, a, &provider.Request{Op: "status", Device: device, ProviderJobID: jobID, Method: http.MethodGet, Idempotent: true}, "/jobs/"+url.PathEscape(jobID), nil)
	if err != nil {
		return nil, err
	}
	var j struct {
		Status  string `json:"status"`
		Shots   int    `json:"shots"`
		Qubits  int    `json:"qubits"`
		Failure *struct {
			Error string `json:"error"`
			Code  string `json:"code"`
		} `json:"failure"`
		Results struct {
			Probabilities struct {
				URL string `json:"url"`
			} `json:"probabilities"`
		} `json:"results"`
	}
	if err := json.Unmarshal(resp.Body, &j); err != nil {
		return nil, qguard.Errorf(qguard.EPROVIDER, "ionq: unreadable job %s", jobID)
	}
	switch j.Status {
	case "ready", "submitted":
		return &qguard.ProviderStatus{Status: qguard.JobQueued}, nil
	case "running":
		return &qguard.ProviderStatus{Status: qguard.JobRunning}, nil
	case "canceled":
		return &qguard.ProviderStatus{Status: qguard.JobCancelled}, nil
	case "failed":
		msg := "failed"
		if j.Failure != nil {
			msg = j.Failure.Error
		}
		return &qguard.ProviderStatus{Status: qguard.JobFailed, Error: provider.Redact(msg, a.key)}, nil
	case "completed":
	default:
		return nil, qguard.Errorf(qguard.EPROVIDER, "ionq reported unknown job status %q", provider.Redact(j.Status))
	}
	path, err := resultPath(a.base, j.Results.Probabilities.URL, jobID)
	if err != nil {
		return nil, err
	}
	resp, err = p.call(ctx, a, &provider.Request{Op: "results", Device: device, ProviderJobID: jobID, Method: http.MethodGet, Idempotent: true}, path, nil)
	if err != nil {
		return nil, err
	}
	res, err := DecodeProbabilities(resp.Body, j.Qubits, j.Shots)
	if err != nil {
		return nil, qguard.Errorf(qguard.EPROVIDER, "ionq: %v", err)
	}
	return &qguard.ProviderStatus{Status: qguard.JobCompleted, Result: res}, nil
}

// resultPath turns the job's result URL into a path under the API base.
// Only URLs on the API's own host are followed: the API key must never be
// sent elsewhere.
func resultPath(base *url.URL, raw, jobID string) (string, error) {
	if raw == "" {
		return "/jobs/" + url.PathEscape(jobID) + "/results/probabilities", nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Host != "" && u.Host != base.Host) || !strings.HasPrefix(u.Path, "/") {
		return "", qguard.Errorf(qguard.EPROVIDER, "ionq gave a result URL outside its API; not followed")
	}
	// The URL is absolute on the host ("/v0.4/jobs/…"); drop the base path.
	p := strings.TrimPrefix(u.EscapedPath(), strings.TrimSuffix(base.EscapedPath(), "/"))
	if u.RawQuery != "" {
		p += "?" + u.RawQuery
	}
	return p, nil
}

// DecodeProbabilities turns IonQ's probabilities (keys are basis-state
// indexes in decimal, qubit 0 least significant) into counts for shots.
func DecodeProbabilities(body []byte, qubits, shots int) (*qguard.Result, error) {
	var raw map[string]float64
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, fmt.Errorf("unreadable probabilities")
	}
	if len(raw) == 0 || shots <= 0 {
		return nil, fmt.Errorf("no probabilities")
	}
	width := qubits
	for k := range raw {
		n, err := strconv.ParseUint(k, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("bad basis state %q", provider.Redact(k))
		}
		width = max(width, len(strconv.FormatUint(n, 2)))
	}
	if width > 64 {
		return nil, fmt.Errorf("too many qubits")
	}
	p := make(map[string]float64, len(raw))
	sum := 0.0
	for k, v := range raw {
		if v < 0 || v > 1 {
			return nil, fmt.Errorf("probability %v out of range", v)
		}
		n, _ := strconv.ParseUint(k, 10, 64)
		bits := strconv.FormatUint(n, 2)
		p[strings.Repeat("0", width-len(bits))+bits] += v
		sum += v
	}
	if sum < 0.99 || sum > 1.01 {
		return nil, fmt.Errorf("probabilities sum to %v", sum)
	}
	return &qguard.Result{Counts: provider.CountsFromProbabilities(p, shots), Probabilities: p, Shots: shots}, nil
}

// Cancel implements qguard.Provider.
func (p *Provider) Cancel(ctx context.Context, device, jobID string) error {
	a, err := p.account(ctx)
	if err != nil {
		return err
	}
	_, err = p.call(ctx, a, &provider.Request{Op: "cancel", Device: device, ProviderJobID: jobID, Method: http.MethodPut, Idempotent: true},
		"/jobs/"+url.PathEscape(jobID)+"/status/cancel", nil)
	return err
}

// Estimate asks IonQ what a job would cost this account, in USD
// (GET /jobs/estimate).
func (p *Provider) Estimate(ctx context.Context, device, jobType string, qubits, shots, gates1q, gates2q int) (float64, error) {
	a, err := p.account(ctx)
	if err != nil {
		return 0, err
	}
	if jobType == "" {
		jobType = TypeCircuit
	}
	q := url.Values{"backend": {device}, "type": {jobType}, "qubits": {strconv.Itoa(qubits)}, "shots": {strconv.Itoa(shots)},
		"1q_gates": {strconv.Itoa(gates1q)}, "2q_gates": {strconv.Itoa(gates2q)}, "error_mitigation": {"false"}}
	resp, err := p.call(ctx, a, &provider.Request{Op: "estimate", Device: device, Method: http.MethodGet, Idempotent: true}, "/jobs/estimate?"+q.Encode(), nil)
	if err != nil {
		return 0, err
	}
	var e struct {
		EstimatedCost *float64 `json:"estimated_cost"`
		CostUnit      string   `json:"cost_unit"`
	}
	if err := json.Unmarshal(resp.Body, &e); err != nil || e.EstimatedCost == nil {
		return 0, qguard.Errorf(qguard.EPROVIDER, "ionq: unreadable cost estimate")
	}
	if e.CostUnit != "" && !strings.EqualFold(e.CostUnit, "usd") {
		return 0, qguard.Errorf(qguard.EPROVIDER, "ionq estimated the cost in %q, not USD", provider.Redact(e.CostUnit))
	}
	return *e.EstimatedCost, nil
}

// ConfigFrom returns the adapter's configuration from config.yaml.
func ConfigFrom(c config.Providers, observe provider.Observer, log *slog.Logger) Config {
	return Config{BaseURL: c.IonQ.BaseURL, Format: c.IonQ.Format, Egress: provider.OptionsFrom(c, observe, log)}
}
