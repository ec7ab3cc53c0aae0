package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/qguard/qguard"
	"github.com/qguard/qguard/circuit"
)

// Devices is the registry of every provider's devices.
type Devices interface {
	Devices(ctx context.Context) []qguard.Device
	Device(ctx context.Context, id string) (qguard.Device, qguard.Provider, error)
	Provider(name string) (qguard.Provider, bool)
}

// InlineRunner is implemented by providers that run a job in-process (the
// local simulator): the gateway runs small jobs inside the request and
// larger ones in the background, never through Submit/Status.
type InlineRunner interface {
	Run(ctx context.Context, s qguard.Submission) (*qguard.Result, error)
}

// Program is a parsed, measured circuit.
type Program struct {
	Circuit  *circuit.Circuit
	Metrics  circuit.Metrics
	Source   []byte
	Original *circuit.Circuit // before obfuscation, when obfuscated
}

// SubmitRequest is the body of POST /v1/jobs.
type SubmitRequest struct {
	Device         string             `json:"device"`
	Shots          int                `json:"shots"`
	QASM           string             `json:"qasm"`
	Inputs         map[string]float64 `json:"inputs,omitempty"`
	Classification string             `json:"classification,omitempty"`
	Project        string             `json:"project,omitempty"`
	Obfuscate      bool               `json:"obfuscate,omitempty"`
	Seed           *uint64            `json:"seed,omitempty"` // local simulator only
}

// JobResponse is a job as the API shows it: with its result once done.
type JobResponse struct {
	*qguard.Job
	Result *qguard.Result `json:"result,omitempty"`
}

const defaultShots = 1024

// inlineQubits is the largest local job run inside the request; larger
// ones run in the background and the client polls.
const inlineQubits = 16

func (s *Server) submitJob(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	c := callerOf(ctx)
	var req SubmitRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.Device == "" {
		req.Device = "local:statevector"
	}
	if req.Shots == 0 {
		req.Shots = defaultShots
	}
	if req.Shots < 0 {
		return qguard.Errorf(qguard.EINVALID, "shots must be positive, not %d", req.Shots)
	}
	if req.Classification == "" {
		req.Classification = qguard.ClassificationInternal
	}
	project := c.user.Project
	if req.Project != "" && req.Project != project && c.user.Role != qguard.RoleAdmin {
		return qguard.Errorf(qguard.EPOLICYDENIED, "user %s belongs to project %q and cannot bill project %q", c.user.Name, project, req.Project)
	} else if req.Project != "" {
		project = req.Project
	}

	dev, prov, err := s.Devices.Device(ctx, req.Device)
	if err != nil {
		return err
	}
	prog, err := s.parse([]byte(req.QASM), req.Inputs)
	if err != nil {
		return err
	}
	if prog.Metrics.Qubits > dev.Qubits {
		return qguard.Errorf(qguard.EINVALIDCIRCUIT, "circuit uses %d qubits; device %s has %d", prog.Metrics.Qubits, dev.ID, dev.Qubits)
	}
	if dev.MaxShots > 0 && req.Shots > dev.MaxShots {
		return qguard.Errorf(qguard.EINVALID, "device %s takes at most %d shots, not %d", dev.ID, dev.MaxShots, req.Shots)
	}
	if dev.Status != qguard.DeviceOnline {
		return qguard.Errorf(qguard.EDEVICEUNAVAILABLE, "device %s is %s", dev.ID, dev.Status)
	}

	now := s.now()
	job := &qguard.Job{
		ID: newID("job_"), UserID: c.user.ID, User: c.user.Name, Project: project,
		Device: dev.ID, Provider: dev.Provider, Status: qguard.JobQueued,
		Shots: req.Shots, Qubits: prog.Metrics.Qubits, Classification: req.Classification,
		CircuitSHA256: sha256Hex(prog.Source), CreatedAt: now, UpdatedAt: now,
	}
	job.EstimatedCost = s.estimate(dev, req.Shots, prog)
	if !req.Obfuscate && dev.Provider != "local" && s.Config.Policy.ObfuscationRequired(project) {
		req.Obfuscate = true // the project's setting: no circuit of it leaves in clear
	}
	if req.Obfuscate {
		if err := s.obfuscateProgram(prog, job); err != nil {
			return err
		}
	}

	// Policy: the request with what the user has spent today.
	day := qguard.Day(now)
	costToday := job.EstimatedCost
	if job.EstimatedCost > 0 || s.Policy.MaxCostPerDay(c.user.Role, dev.Class) >= 0 {
		// A free job under no daily cap cannot fail on cost: skip the read.
		spent, err := s.Store.Spent(ctx, qguard.ScopeUser, c.user.Name, day)
		if err != nil {
			return err
		}
		costToday += spent.Reserved + spent.Settled
	}
	preq := qguard.Request{
		User: c.user.Name, Role: c.user.Role, Project: project, Resource: dev.Class, Action: qguard.ActionExecute,
		Shots: req.Shots, Qubits: prog.Metrics.Qubits, Classification: req.Classification, CostToday: costToday,
	}
	dec := s.Policy.Decide(preq)
	base := qguard.AuditRecord{
		Time: now, Actor: c.user.Name, Action: "job.submit", Resource: "device:" + dev.ID, RequestID: requestID(ctx),
		Cost: job.EstimatedCost,
		Details: map[string]string{
			"job_id": job.ID, "shots": strconv.Itoa(req.Shots), "qubits": strconv.Itoa(prog.Metrics.Qubits),
			"class": dev.Class, "classification": req.Classification, "circuit_sha256": job.CircuitSHA256,
			"project": project,
		},
	}
	if !dec.Allowed {
		code := qguard.EPOLICYDENIED
		if dec.Constraint == "max_cost_per_day" {
			code = qguard.EBUDGETEXCEEDED
		}
		return s.deny(ctx, base, dev, code, dec.Reason)
	}
	s.Metrics.PolicyDecisions.WithLabelValues("allow", dev.Class).Inc()

	// Budget: reserve the estimate against every daily limit at once.
	if job.EstimatedCost > 0 {
		limits, err := s.limitsFor(ctx, c.user, project, dev.Class)
		if err != nil {
			return err
		}
		res := qguard.Reservation{JobID: job.ID, User: c.user.Name, Project: project, Day: day, Amount: job.EstimatedCost}
		if err := s.Store.Reserve(ctx, res, limits); err != nil {
			if qguard.ErrorCode(err) == qguard.EBUDGETEXCEEDED {
				return s.deny(ctx, base, dev, qguard.EBUDGETEXCEEDED, qguard.ErrorMessage(err))
			}
			return err
		}
		s.reportBudget(ctx, limits, day)
	}
	release := func() {
		if job.EstimatedCost > 0 {
			if err := s.Store.Release(context.WithoutCancel(ctx), job.ID); err != nil {
				s.log.Error("release reservation", "job_id", job.ID, "error", err)
			}
		}
	}

	// Audit before anything runs: fail closed.
	base.Decision, base.Reason = qguard.DecisionAllow, dec.Reason
	if err := s.audit(ctx, base); err != nil {
		release()
		return err
	}

	sub, err := s.prepare(job, prog, req)
	if err != nil {
		release()
		return err
	}
	if s.Monitor != nil {
		s.Monitor.JobSubmitted(ctx, c.user.Name, dev.Provider, prog.Circuit, req.Shots, preq.CostToday, s.Policy.MaxCostPerDay(c.user.Role, dev.Class))
	}
	s.Metrics.Jobs.WithLabelValues(dev.Provider, dev.ID, "submitted").Inc()

	inline, isInline := prov.(InlineRunner)
	if isInline && prog.Metrics.Qubits <= inlineQubits {
		// Small local jobs run before the job is stored, so that it is
		// written once, finished; a crash before that answers no 201.
		res, err := inline.Run(ctx, sub)
		status, msg := qguard.JobCompleted, ""
		if err != nil {
			status, msg = qguard.JobFailed, qguard.ErrorMessage(err)
		}
		if err := s.record(ctx, job, status, res, msg, true); err != nil {
			release()
			return err
		}
		writeJSON(w, http.StatusCreated, JobResponse{Job: job, Result: res})
		return nil
	}
	if err := s.Store.CreateJob(ctx, job); err != nil {
		release()
		return err
	}
	if isInline {
		s.work.Add(1)
		go func() {
			defer s.work.Done()
			_, _ = s.runInline(context.WithoutCancel(ctx), inline, job, sub)
		}()
		writeJSON(w, http.StatusCreated, JobResponse{Job: job})
		return nil
	}

	pid, err := prov.Submit(ctx, sub)
	if err != nil {
		s.finish(context.WithoutCancel(ctx), job, qguard.JobFailed, nil, qguard.ErrorMessage(err))
		return err
	}
	job.ProviderJobID, job.Status, job.UpdatedAt = pid, qguard.JobRunning, s.now()
	if err := s.Store.UpdateJob(ctx, job); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, JobResponse{Job: job})
	return nil
}

// deny audits a refused submission and returns the error for the client.
func (s *Server) deny(ctx context.Context, rec qguard.AuditRecord, dev qguard.Device, code, reason string) error {
	s.Metrics.PolicyDecisions.WithLabelValues("deny", dev.Class).Inc()
	s.Metrics.Jobs.WithLabelValues(dev.Provider, dev.ID, "denied").Inc()
	rec.Decision, rec.Reason = qguard.DecisionDeny, reason
	if err := s.audit(ctx, rec); err != nil {
		return err
	}
	return qguard.Errorf(code, "%s", reason)
}

// audit appends rec; a failure refuses the request (invariant 2).
func (s *Server) audit(ctx context.Context, rec qguard.AuditRecord) error {
	start := time.Now()
	_, err := s.Audit.Append(ctx, rec)
	s.Metrics.AuditAppend.Observe(time.Since(start).Seconds())
	if err != nil {
		s.log.Error("audit append failed; refusing the request", "request_id", rec.RequestID, "action", rec.Action, "error", err)
		return &qguard.Error{Code: qguard.EAUDITUNAVAILABLE, Message: "the audit log cannot be written; the request was refused", Err: err}
	}
	return nil
}

// limitsFor lists the daily limits a job is reserved against: the role's
// max_cost_per_day for the resource class, and any limit set with
// `qguard budget set` for the user or the project.
func (s *Server) limitsFor(ctx context.Context, u *qguard.User, project, class string) ([]qguard.BudgetLimit, error) {
	var out []qguard.BudgetLimit
	if max := s.Policy.MaxCostPerDay(u.Role, class); max >= 0 {
		out = append(out, qguard.BudgetLimit{Scope: qguard.ScopeUser, Name: u.Name, Daily: max})
	}
	all, err := s.Store.BudgetLimits(ctx)
	if err != nil {
		return nil, err
	}
	for _, l := range all {
		if (l.Scope == qguard.ScopeUser && l.Name == u.Name) || (l.Scope == qguard.ScopeProject && project != "" && l.Name == project) {
			out = append(out, l)
		}
	}
	return out, nil
}

// actualCost is what a completed job cost: the provider's figures when it
// gave any (a charge, or billed seconds priced by the cost table), else the
// estimate that was reserved.
func (s *Server) actualCost(ctx context.Context, job *qguard.Job, res *qguard.Result) float64 {
	if res == nil || (res.Cost == nil && res.Seconds <= 0) {
		return job.EstimatedCost
	}
	if res.Cost != nil {
		return *res.Cost
	}
	if s.Actual == nil {
		return job.EstimatedCost
	}
	dev, _, err := s.Devices.Device(ctx, job.Device)
	if err != nil {
		return job.EstimatedCost
	}
	return s.Actual(dev, res)
}

// reportBudget updates the budget-remaining gauge of the projects whose
// limits a reservation was made against.
func (s *Server) reportBudget(ctx context.Context, limits []qguard.BudgetLimit, day string) {
	for _, l := range limits {
		if l.Scope != qguard.ScopeProject || l.Daily < 0 {
			continue
		}
		if sp, err := s.Store.Spent(ctx, l.Scope, l.Name, day); err == nil {
			s.Metrics.BudgetRemaining.WithLabelValues(l.Name).Set(l.Daily - sp.Reserved - sp.Settled)
		}
	}
}

func (s *Server) estimate(d qguard.Device, shots int, p *Program) float64 {
	if s.Estimate == nil {
		return 0
	}
	return s.Estimate(d, shots, p)
}

// prepare seals what a restart needs to resume the job, and builds the
// provider submission.
func (s *Server) prepare(job *qguard.Job, prog *Program, req SubmitRequest) (qguard.Submission, error) {
	sealed, err := s.Sealer.Seal(prog.Source, "job:"+job.ID+":circuit")
	if err != nil {
		return qguard.Submission{}, err
	}
	job.SealedCircuit = sealed
	sub := qguard.Submission{
		JobID: job.ID, User: job.User, Device: deviceName(job.Device), Shots: job.Shots,
		QASM: circuit.EmitQASM3(prog.Circuit), Program: prog.Circuit, Seed: req.Seed,
	}
	return sub, nil
}

// runInline runs a job in-process and stores its outcome.
func (s *Server) runInline(ctx context.Context, r InlineRunner, job *qguard.Job, sub qguard.Submission) (*qguard.Result, error) {
	res, err := r.Run(ctx, sub)
	if err != nil {
		s.finish(ctx, job, qguard.JobFailed, nil, qguard.ErrorMessage(err))
		return nil, err
	}
	if err := s.finish(ctx, job, qguard.JobCompleted, res, ""); err != nil {
		return nil, err
	}
	return res, nil
}

// finish records a job's final state: the result sealed, the budget
// settled (actual cost when the provider gave one) or released.
func (s *Server) finish(ctx context.Context, job *qguard.Job, status string, res *qguard.Result, msg string) error {
	return s.record(ctx, job, status, res, msg, false)
}

// record is finish for a job that is stored (create false) or not yet
// stored (create true).
func (s *Server) record(ctx context.Context, job *qguard.Job, status string, res *qguard.Result, msg string, create bool) error {
	if err := s.restoreResult(job, res); err != nil {
		return err
	}
	now := s.now()
	job.Status, job.Error, job.UpdatedAt, job.FinishedAt = status, msg, now, &now
	if res != nil {
		b, err := json.Marshal(res)
		if err != nil {
			return err
		}
		if job.SealedResult, err = s.Sealer.Seal(b, "job:"+job.ID+":result"); err != nil {
			return err
		}
	}
	cost := 0.0
	if status == qguard.JobCompleted {
		cost = s.actualCost(ctx, job, res)
		job.ActualCost = &cost
	}
	write := s.Store.UpdateJob
	if create {
		write = s.Store.CreateJob
	}
	if err := write(ctx, job); err != nil {
		return err
	}
	if job.EstimatedCost > 0 || cost > 0 {
		var err error
		if status == qguard.JobCompleted {
			err = s.Store.Settle(ctx, job.ID, cost)
		} else {
			err = s.Store.Release(ctx, job.ID)
		}
		if err != nil {
			s.log.Error("settle budget", "job_id", job.ID, "error", err)
		}
	}
	s.Metrics.Jobs.WithLabelValues(job.Provider, job.Device, status).Inc()
	s.Metrics.JobDuration.WithLabelValues(job.Provider).Observe(now.Sub(job.CreatedAt).Seconds())
	if cost > 0 {
		s.Metrics.CostUSD.WithLabelValues(job.Provider).Add(cost)
	}
	return nil
}

// parse reads and measures a circuit; errors carry line:column.
func (s *Server) parse(src []byte, inputs map[string]float64) (*Program, error) {
	if len(src) == 0 {
		return nil, qguard.Errorf(qguard.EINVALIDCIRCUIT, "qasm is empty")
	}
	c, err := circuit.ParseWithOptions(src, circuit.ParseOptions{Inputs: inputs, Limits: s.circuitLimits()})
	if err != nil {
		return nil, qguard.Errorf(qguard.EINVALIDCIRCUIT, "%v", err)
	}
	return &Program{Circuit: c, Metrics: c.Metrics(), Source: src}, nil
}

func (s *Server) getJob(w http.ResponseWriter, r *http.Request) error {
	job, err := s.jobForCaller(r)
	if err != nil {
		return err
	}
	resp := JobResponse{Job: job}
	if len(job.SealedResult) > 0 {
		b, err := s.Sealer.Open(job.SealedResult, "job:"+job.ID+":result")
		if err != nil {
			return fmt.Errorf("open result of %s: %w", job.ID, err)
		}
		resp.Result = new(qguard.Result)
		if err := json.Unmarshal(b, resp.Result); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// jobForCaller loads the job in the path; users see their own jobs,
// admins and auditors everyone's. Someone else's job is "not found", so
// ids cannot be probed.
func (s *Server) jobForCaller(r *http.Request) (*qguard.Job, error) {
	c := callerOf(r.Context())
	job, err := s.Store.JobByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if job.UserID != c.user.ID && !seesAll(c.user) {
		return nil, qguard.Errorf(qguard.ENOTFOUND, "job %s not found", r.PathValue("id"))
	}
	return job, nil
}

func seesAll(u *qguard.User) bool { return u.Role == qguard.RoleAdmin || u.Role == qguard.RoleAuditor }

func (s *Server) listJobs(w http.ResponseWriter, r *http.Request) error {
	c := callerOf(r.Context())
	f := qguard.JobFilter{Status: r.URL.Query().Get("status"), Limit: 100}
	if !seesAll(c.user) || r.URL.Query().Get("all") != "true" {
		f.UserID = c.user.ID
	}
	if l := r.URL.Query().Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 1000 {
			return qguard.Errorf(qguard.EINVALID, "limit must be a number from 1 to 1000")
		}
		f.Limit = n
	}
	jobs, err := s.Store.Jobs(r.Context(), f)
	if err != nil {
		return err
	}
	if jobs == nil {
		jobs = []*qguard.Job{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"jobs": jobs})
	return nil
}

func (s *Server) cancelJob(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	c := callerOf(ctx)
	job, err := s.jobForCaller(r)
	if err != nil {
		return err
	}
	if job.UserID != c.user.ID && c.user.Role != qguard.RoleAdmin {
		return qguard.Errorf(qguard.EPOLICYDENIED, "only the job's owner or an admin can cancel it")
	}
	if qguard.JobDone(job.Status) {
		return qguard.Errorf(qguard.ECONFLICT, "job %s is already %s", job.ID, job.Status)
	}
	if job.ProviderJobID != "" {
		if prov, ok := s.Devices.Provider(job.Provider); ok {
			if err := prov.Cancel(ctx, deviceName(job.Device), job.ProviderJobID); err != nil {
				return err
			}
		}
	}
	if err := s.audit(ctx, qguard.AuditRecord{
		Time: s.now(), Actor: c.user.Name, Action: "job.cancel", Resource: "job:" + job.ID,
		Decision: qguard.DecisionAllow, RequestID: requestID(ctx),
	}); err != nil {
		return err
	}
	if err := s.finish(ctx, job, qguard.JobCancelled, nil, "cancelled by "+c.user.Name); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, JobResponse{Job: job})
	return nil
}

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// deviceName strips the provider prefix from a device id.
func deviceName(id string) string {
	if _, name, ok := strings.Cut(id, ":"); ok {
		return name
	}
	return id
}
