// Package ibm is the IBM Quantum adapter: the Qiskit Runtime REST API
// (https://quantum.cloud.ibm.com/api/v1) with IAM bearer tokens. Jobs run the
// sampler primitive on one OpenQASM 3 PUB.
package ibm

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/qguard/qguard"
	"github.com/qguard/qguard/config"
	"github.com/qguard/qguard/provider"
)

// Name is the provider's name in device ids ("ibm:ibm_brisbane").
const Name = "ibm"

// APIVersion is the IBM-API-Version qiskit-ibm-runtime sends.
const APIVersion = "2026-04-15"

// DefaultShots is what the sampler runs when neither the PUB nor
// options.default_shots says (qiskit_ibm_runtime/options/sampler_options.py).
const DefaultShots = 4096

// EffectiveShots returns the shots IBM's sampler runs for a PUB: the PUB's
// own shots, else options.default_shots, else 4096. Pass 0 for a figure
// that was not given. Policy and budgets must see this figure.
func EffectiveShots(pubShots, defaultShots int) int {
	switch {
	case pubShots > 0:
		return pubShots
	case defaultShots > 0:
		return defaultShots
	default:
		return DefaultShots
	}
}

// refreshMargin: a token this close to expiry is replaced before use.
const refreshMargin = 5 * time.Minute

// Config configures the adapter.
type Config struct {
	// URL is the runtime API base; empty derives it from the profile's
	// region (us-east: https://quantum.cloud.ibm.com/api/v1).
	URL string
	// IAMURL is the IAM host; empty: https://iam.cloud.ibm.com.
	IAMURL     string
	APIVersion string // default APIVersion
	// MaxExecutionTime caps each job's quantum seconds (sent as `cost`).
	MaxExecutionTime time.Duration
	Egress           provider.Options
}

// Provider implements qguard.Provider for IBM Quantum.
type Provider struct {
	cfg     Config
	creds   qguard.CredentialSource
	profile string
	client  *provider.Client
	now     func() time.Time

	mu    sync.Mutex
	token bearer
}

// bearer is the cached IAM token, tied to the API key it came from so that
// a rotated key never uses the old key's token.
type bearer struct {
	keyHash [32]byte
	value   string
	expires time.Time
}

var _ qguard.Provider = (*Provider)(nil)

// New returns the adapter. Credentials are read from creds (provider
// ibm_quantum, profile) at every call. httpClient may be nil.
func New(cfg Config, creds qguard.CredentialSource, profile string, httpClient *http.Client) *Provider {
	if cfg.IAMURL == "" {
		cfg.IAMURL = "https://iam.cloud.ibm.com"
	}
	if cfg.APIVersion == "" {
		cfg.APIVersion = APIVersion
	}
	return &Provider{cfg: cfg, creds: creds, profile: profile, now: time.Now,
		client: provider.NewClient(Name, httpClient, cfg.Egress, provider.JSONMessage)}
}

// Name implements qguard.Provider.
func (p *Provider) Name() string { return Name }

// account is one call's view of the credential; dropped after the call.
type account struct {
	apiKey   string
	instance string
	baseURL  string
}

func (p *Provider) account(ctx context.Context) (*account, error) {
	c, err := p.creds.Credential(ctx, qguard.ProviderIBMQuantum, p.profile)
	if err != nil {
		return nil, fmt.Errorf("ibm_quantum profile %q: %w", p.profile, err)
	}
	f := c.Fields
	if f["channel"] == "ibm_quantum" {
		return nil, qguard.Errorf(qguard.EINVALID, "ibm_quantum profile %q uses the ibm_quantum channel, sunset on 1 July 2025; store an IBM Cloud API key and instance CRN with `qguard creds store ibm_quantum`", p.profile)
	}
	a := &account{apiKey: f["token"], instance: f["instance"], baseURL: p.cfg.URL}
	if a.apiKey == "" || a.instance == "" {
		return nil, qguard.Errorf(qguard.EINVALID, "ibm_quantum profile %q needs token and instance; add them with `qguard creds store ibm_quantum`", p.profile)
	}
	if !strings.HasPrefix(a.instance, "crn:") {
		return nil, qguard.Errorf(qguard.EINVALID, "ibm_quantum profile %q: instance must be the instance CRN (crn:v1:bluemix:…), not a name", p.profile)
	}
	if a.baseURL == "" {
		a.baseURL = apiURL(f["region"], f["url"])
	}
	a.baseURL = strings.TrimSuffix(a.baseURL, "/")
	for _, u := range []string{a.baseURL, p.cfg.IAMURL} {
		if err := provider.CheckURL(u); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// apiURL derives the runtime API from the region, as qiskit-ibm-runtime's
// api/utils.py does; a profile url that already points at a quantum API is
// used as it is.
func apiURL(region, accountURL string) string {
	if strings.Contains(accountURL, "quantum") {
		return accountURL
	}
	if region == "" || region == "us-east" {
		return "https://quantum.cloud.ibm.com/api/v1"
	}
	return "https://" + region + ".quantum.cloud.ibm.com/api/v1"
}

// bearerToken returns a cached IAM token for a's key, or exchanges the key
// for a new one.
func (p *Provider) bearerToken(ctx context.Context, a *account, force bool) (string, error) {
	h := sha256.Sum256([]byte(a.apiKey))
	p.mu.Lock()
	t := p.token
	p.mu.Unlock()
	if !force && t.keyHash == h && p.now().Add(refreshMargin).Before(t.expires) {
		return t.value, nil
	}
	form := url.Values{"grant_type": {"urn:ibm:params:oauth:grant-type:apikey"}, "apikey": {a.apiKey}}
	resp, err := p.client.Do(ctx, &provider.Request{
		Op: "token", Method: http.MethodPost, URL: strings.TrimSuffix(p.cfg.IAMURL, "/") + "/identity/token",
		Header:     http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Accept": {"application/json"}},
		Body:       []byte(form.Encode()),
		Idempotent: true,
		Secrets:    []string{a.apiKey},
	})
	if err != nil {
		return "", fmt.Errorf("ibm iam token: %w", err)
	}
	var tr struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
		Expiration  int64  `json:"expiration"`
	}
	if err := json.Unmarshal(resp.Body, &tr); err != nil || tr.AccessToken == "" {
		return "", qguard.Errorf(qguard.EPROVIDER, "ibm iam answered without an access token")
	}
	exp := p.now().Add(time.Duration(tr.ExpiresIn) * time.Second)
	if tr.Expiration > 0 {
		exp = time.Unix(tr.Expiration, 0)
	}
	p.mu.Lock()
	p.token = bearer{keyHash: h, value: tr.AccessToken, expires: exp}
	p.mu.Unlock()
	return tr.AccessToken, nil
}

// call sends one runtime API request with the bearer token, renewing the
// token once if the service says it expired.
func (p *Provider) call(ctx context.Context, a *account, r *provider.Request, path string, body any) (*provider.Response, error) {
	r.URL = a.baseURL + path
	r.Header = http.Header{"Accept": {"application/json"}, "Service-CRN": {a.instance}, "IBM-API-Version": {p.cfg.APIVersion}}
	if err := r.SetJSON(body); err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		tok, err := p.bearerToken(ctx, a, attempt > 0)
		if err != nil {
			return nil, err
		}
		r.Secrets = []string{a.apiKey, tok}
		r.Authorize = func(req *http.Request) error {
			req.Header.Set("Authorization", "Bearer "+tok)
			return nil
		}
		resp, err := p.client.Do(ctx, r)
		if provider.StatusCode(err) == http.StatusUnauthorized && attempt == 0 {
			continue // the token expired early or was revoked: exchange the key again
		}
		return resp, err
	}
}

// Devices implements qguard.Provider: every backend the instance can use,
// with its qubit count and whether it is operational.
func (p *Provider) Devices(ctx context.Context) ([]qguard.Device, error) {
	a, err := p.account(ctx)
	if err != nil {
		return nil, err
	}
	resp, err := p.call(ctx, a, &provider.Request{Op: "devices", Method: http.MethodGet, Idempotent: true}, "/backends", nil)
	if err != nil {
		return nil, err
	}
	var list struct {
		Devices []json.RawMessage `json:"devices"`
	}
	if err := json.Unmarshal(resp.Body, &list); err != nil {
		return nil, qguard.Errorf(qguard.EPROVIDER, "ibm: unreadable backend list")
	}
	var out []qguard.Device
	for _, raw := range list.Devices {
		name := backendName(raw)
		if name == "" {
			continue
		}
		d, err := p.device(ctx, a, name)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// backendName reads a /backends entry: a name, or an object with "name"
// (both shapes occur across API versions).
func backendName(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var o struct {
		Name string `json:"name"`
	}
	json.Unmarshal(raw, &o)
	return o.Name
}

func (p *Provider) device(ctx context.Context, a *account, name string) (qguard.Device, error) {
	esc := "/backends/" + url.PathEscape(name)
	resp, err := p.call(ctx, a, &provider.Request{Op: "device", Device: name, Method: http.MethodGet, Idempotent: true}, esc+"/configuration", nil)
	if err != nil {
		return qguard.Device{}, deviceErr(name, err)
	}
	var conf struct {
		NQubits   int  `json:"n_qubits"`
		MaxShots  int  `json:"max_shots"`
		Simulator bool `json:"simulator"`
	}
	if err := json.Unmarshal(resp.Body, &conf); err != nil {
		return qguard.Device{}, qguard.Errorf(qguard.EPROVIDER, "ibm: unreadable configuration of %s", name)
	}
	st, err := p.status(ctx, a, name)
	if err != nil {
		return qguard.Device{}, err
	}
	d := qguard.Device{ID: Name + ":" + name, Provider: Name, Name: name, Qubits: conf.NQubits, MaxShots: conf.MaxShots,
		Class: qguard.QPUClass(conf.NQubits), Status: qguard.DeviceOffline}
	if conf.Simulator {
		d.Class = qguard.ClassSimulator
	}
	if st {
		d.Status = qguard.DeviceOnline
	}
	return d, nil
}

// status reports whether the backend is operational (`state` in
// /backends/{name}/status).
func (p *Provider) status(ctx context.Context, a *account, name string) (bool, error) {
	resp, err := p.call(ctx, a, &provider.Request{Op: "device_status", Device: name, Method: http.MethodGet, Idempotent: true},
		"/backends/"+url.PathEscape(name)+"/status", nil)
	if err != nil {
		return false, deviceErr(name, err)
	}
	var st struct {
		State  bool   `json:"state"`
		Status string `json:"status"`
	}
	if err := json.Unmarshal(resp.Body, &st); err != nil {
		return false, qguard.Errorf(qguard.EPROVIDER, "ibm: unreadable status of %s", name)
	}
	return st.State, nil
}

func deviceErr(name string, err error) error {
	if qguard.ErrorCode(err) == qguard.ENOTFOUND {
		return &qguard.Error{Code: qguard.EDEVICEUNAVAILABLE, Message: fmt.Sprintf("ibm has no backend %s available to this instance", name), Err: err}
	}
	return err
}

// usage is GET /instances/usage.
type usage struct {
	LimitReached bool    `json:"usage_limit_reached"`
	LimitSeconds float64 `json:"usage_limit_seconds"`
	Consumed     float64 `json:"usage_consumed_seconds"`
}

// Submit implements qguard.Provider. It refuses early when the instance has
// used up its limit or the backend is not operational.
func (p *Provider) Submit(ctx context.Context, s qguard.Submission) (string, error) {
	a, err := p.account(ctx)
	if err != nil {
		return "", err
	}
	resp, err := p.call(ctx, a, &provider.Request{Op: "usage", Device: s.Device, Method: http.MethodGet, Idempotent: true}, "/instances/usage", nil)
	if err == nil {
		var u usage
		if json.Unmarshal(resp.Body, &u) == nil && u.LimitReached {
			return "", qguard.Errorf(qguard.EPROVIDER, "the IBM Quantum instance has reached its usage limit (%.0f of %.0f seconds used); no job will run until an administrator raises the instance limit or the plan period renews", u.Consumed, u.LimitSeconds)
		}
	} else if qguard.ErrorCode(err) != qguard.ENOTFOUND {
		return "", err
	}
	ok, err := p.status(ctx, a, s.Device)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", qguard.Errorf(qguard.EDEVICEUNAVAILABLE, "ibm backend %s is not operational; choose another with `qguard devices list`", s.Device)
	}
	pub := []any{s.QASM}
	if s.Shots > 0 {
		pub = append(pub, nil, s.Shots)
	}
	job := jobRequest{
		ProgramID: "sampler", Backend: s.Device,
		Params: samplerParams{Pubs: [][]any{pub}, Version: 2},
		Tags:   []string{"qguard_job:" + s.JobID, "qguard_user:" + s.User},
	}
	if p.cfg.MaxExecutionTime > 0 {
		job.Cost = int(p.cfg.MaxExecutionTime / time.Second)
	}
	resp, err = p.call(ctx, a, &provider.Request{Op: "submit", Device: s.Device, Method: http.MethodPost}, "/jobs", job)
	if err != nil {
		return "", deviceErr(s.Device, err)
	}
	return provider.SubmittedID(resp.Body, "id", "ibm accepted the job without returning its id")
}

// jobRequest is POST /jobs (qiskit_ibm_runtime/api/rest/runtime.py
// program_run); max_execution_time travels as `cost`.
type jobRequest struct {
	ProgramID string        `json:"program_id"`
	Backend   string        `json:"backend"`
	Params    samplerParams `json:"params"`
	Tags      []string      `json:"tags,omitempty"`
	Cost      int           `json:"cost,omitempty"`
}

type samplerParams struct {
	Pubs    [][]any         `json:"pubs"`
	Options *samplerOptions `json:"options,omitempty"`
	Version int             `json:"version"`
}

type samplerOptions struct {
	DefaultShots int `json:"default_shots,omitempty"`
}

// Status implements qguard.Provider; a completed job carries its counts and
// the quantum seconds IBM billed.
func (p *Provider) Status(ctx context.Context, device, jobID string) (*qguard.ProviderStatus, error) {
	a, err := p.account(ctx)
	if err != nil {
		return nil, err
	}
	path := "/jobs/" + url.PathEscape(jobID)
	resp, err := p.call(ctx, a, &provider.Request{Op: "status", Device: device, ProviderJobID: jobID, Method: http.MethodGet, Idempotent: true}, path+"?exclude_params=true", nil)
	if err != nil {
		return nil, err
	}
	var j struct {
		Status string `json:"status"`
		State  struct {
			Status string `json:"status"`
			Reason string `json:"reason"`
		} `json:"state"`
	}
	if err := json.Unmarshal(resp.Body, &j); err != nil {
		return nil, qguard.Errorf(qguard.EPROVIDER, "ibm: unreadable job %s", jobID)
	}
	state := j.State.Status
	if state == "" {
		state = j.Status
	}
	switch strings.ToLower(state) {
	case "queued":
		return &qguard.ProviderStatus{Status: qguard.JobQueued}, nil
	case "running":
		return &qguard.ProviderStatus{Status: qguard.JobRunning}, nil
	case "cancelled":
		return &qguard.ProviderStatus{Status: qguard.JobCancelled}, nil
	case "failed":
		return &qguard.ProviderStatus{Status: qguard.JobFailed, Error: provider.Redact(j.State.Reason, a.apiKey)}, nil
	case "completed":
	default:
		return nil, qguard.Errorf(qguard.EPROVIDER, "ibm reported unknown job state %q", provider.Redact(state))
	}
	resp, err = p.call(ctx, a, &provider.Request{Op: "results", Device: device, ProviderJobID: jobID, Method: http.MethodGet, Idempotent: true}, path+"/results", nil)
	if err != nil {
		return nil, err
	}
	res, err := DecodeResults(resp.Body)
	if err != nil {
		return nil, qguard.Errorf(qguard.EPROVIDER, "ibm: %v", err)
	}
	// Billed quantum seconds; a job without metrics is still a result.
	if resp, err := p.call(ctx, a, &provider.Request{Op: "metrics", Device: device, ProviderJobID: jobID, Method: http.MethodGet, Idempotent: true}, path+"/metrics", nil); err == nil {
		var m struct {
			Usage struct {
				QuantumSeconds float64 `json:"quantum_seconds"`
			} `json:"usage"`
		}
		if json.Unmarshal(resp.Body, &m) == nil {
			res.Seconds = m.Usage.QuantumSeconds
		}
	}
	return &qguard.ProviderStatus{Status: qguard.JobCompleted, Result: res}, nil
}

// Cancel implements qguard.Provider.
func (p *Provider) Cancel(ctx context.Context, device, jobID string) error {
	a, err := p.account(ctx)
	if err != nil {
		return err
	}
	_, err = p.call(ctx, a, &provider.Request{Op: "cancel", Device: device, ProviderJobID: jobID, Method: http.MethodPost, Idempotent: true},
		"/jobs/"+url.PathEscape(jobID)+"/cancel", nil)
	return err
}

// DecodeResults turns a sampler result (results[0].data.<register>.samples,
// hex strings) into counts. Registers are joined as Qiskit joins them: the
// register declared last holds the highest bits.
func DecodeResults(body []byte) (*qguard.Result, error) {
	var r struct {
		Results []struct {
			Data json.RawMessage `json:"data"`
		} `json:"results"`
	}
	if err := json.Unmarshal(body, &r); err != nil || len(r.Results) == 0 {
		return nil, fmt.Errorf("unreadable sampler result")
	}
	regs, err := orderedRegisters(r.Results[0].Data)
	if err != nil {
		return nil, err
	}
	if len(regs) == 0 {
		return nil, fmt.Errorf("sampler result has no classical register")
	}
	shots := len(regs[0].Samples)
	counts := map[string]int{}
	var sb strings.Builder
	for i := range shots {
		sb.Reset()
		for k := len(regs) - 1; k >= 0; k-- {
			reg := regs[k]
			if len(reg.Samples) != shots {
				return nil, fmt.Errorf("sampler registers disagree on the number of shots")
			}
			bits, err := hexBits(reg.Samples[i], reg.NumBits)
			if err != nil {
				return nil, err
			}
			sb.WriteString(bits)
		}
		counts[sb.String()]++
	}
	return &qguard.Result{Counts: counts, Shots: shots}, nil
}

type register struct {
	Samples []string `json:"samples"`
	NumBits int      `json:"num_bits"`
}

// orderedRegisters decodes the data object keeping its key order.
func orderedRegisters(data json.RawMessage) ([]register, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("sampler data is not an object")
	}
	var regs []register
	for dec.More() {
		if _, err := dec.Token(); err != nil { // register name
			return nil, fmt.Errorf("sampler data: %w", err)
		}
		var reg register
		if err := dec.Decode(&reg); err != nil {
			return nil, fmt.Errorf("sampler data: %w", err)
		}
		regs = append(regs, reg)
	}
	return regs, nil
}

// hexBits renders a "0x…" sample as width bits, most significant first.
func hexBits(h string, width int) (string, error) {
	h = strings.TrimPrefix(strings.ToLower(h), "0x")
	if h == "" || len(h) > 4096 {
		return "", fmt.Errorf("bad sample %q", provider.Redact(h))
	}
	var sb strings.Builder
	for _, c := range h {
		var v byte
		switch {
		case c >= '0' && c <= '9':
			v = byte(c - '0')
		case c >= 'a' && c <= 'f':
			v = byte(c-'a') + 10
		default:
			return "", fmt.Errorf("bad sample %q", provider.Redact(h))
		}
		fmt.Fprintf(&sb, "%04b", v)
	}
	bits := strings.TrimLeft(sb.String(), "0")
	if width <= 0 {
		width = max(len(bits), 1)
	}
	if len(bits) > width {
		return "", fmt.Errorf("sample %s wider than %d bits", h, width)
	}
	return strings.Repeat("0", width-len(bits)) + bits, nil
}

// ConfigFrom returns the adapter's configuration from config.yaml.
func ConfigFrom(c config.Providers, observe provider.Observer, log *slog.Logger) Config {
	return Config{URL: c.IBM.URL, IAMURL: c.IBM.IAMURL, APIVersion: c.IBM.APIVersion, MaxExecutionTime: c.IBM.MaxExecutionTime,
		Egress: provider.OptionsFrom(c, observe, log)}
}
