package gateway

import (
	"context"
	"time"

	"github.com/qguard/qguard"
	"github.com/qguard/qguard/circuit"
)

// runner follows unfinished jobs: it polls providers for jobs that are
// running there, and recovers jobs that a crashed replica left behind.
// Jobs are leased through the store, so each is followed by one replica at
// a time, and a lease that is not renewed (the replica died) frees it.
type runner struct {
	s        *Server
	owner    string
	interval time.Duration // between claim rounds
	lease    time.Duration // how long one claim holds a job
	// grace is how long a job may sit queued without a provider job id
	// before it is taken as abandoned: longer than any submission takes.
	grace  time.Duration
	next   map[string]time.Time // per-job back-off
	tries  map[string]int
	swept  time.Time // last repair of reservations left by a crash
	pruned time.Time // last pruning of old counters and ended sessions
}

func newRunner(s *Server) *runner {
	owner := s.ReplicaID
	if owner == "" {
		owner = newID("replica_")
	}
	grace := 2 * s.Config.Providers.RequestTimeout
	if grace <= 0 {
		grace = time.Minute
	}
	return &runner{s: s, owner: owner, interval: time.Second, lease: 30 * time.Second, grace: grace,
		next: map[string]time.Time{}, tries: map[string]int{}}
}

func (r *runner) run(ctx context.Context) {
	t := time.NewTicker(r.interval)
	defer t.Stop()
	for {
		r.round(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// round claims a batch of jobs and advances each one; now and then it
// repairs reservations left behind by a crash and prunes old counters.
func (r *runner) round(ctx context.Context) {
	now := r.s.now()
	if now.Sub(r.swept) >= min(10*time.Second, r.grace) {
		r.swept = now
		if n, err := r.s.Store.ReleaseOrphans(ctx, now.Add(-r.grace)); err != nil {
			r.s.log.Warn("release orphaned reservations", "error", err)
		} else if n > 0 {
			r.s.log.Info("repaired reservations left behind by a crash", "count", n)
		}
	}
	if now.Sub(r.pruned) >= time.Hour {
		// Failure counters matter for the longest lockout; older ones only
		// grow the table.
		r.pruned = now
		keep := r.s.Config.Auth.LockoutWindow + r.s.Config.Auth.LockoutMaxBackoff
		if err := r.s.Store.PruneEvents(ctx, now.Add(-2*keep)); err != nil {
			r.s.log.Warn("prune authentication counters", "error", err)
		}
		// Ended sessions are kept a week, so that a client presenting one
		// is told it expired rather than that it is unknown.
		if _, err := r.s.Store.PruneSessions(ctx, now.Add(-7*24*time.Hour)); err != nil {
			r.s.log.Warn("prune ended sessions", "error", err)
		}
	}
	jobs, err := r.s.Store.ClaimJobs(ctx, r.owner, 50, now.Add(r.lease))
	if err != nil {
		if ctx.Err() == nil {
			r.s.log.Warn("claim jobs", "error", err)
		}
		return
	}
	for _, j := range jobs {
		if ctx.Err() != nil {
			return
		}
		if t, ok := r.next[j.ID]; ok && now.Before(t) {
			continue
		}
		r.advance(ctx, j, now)
	}
}

func (r *runner) advance(ctx context.Context, j *qguard.Job, now time.Time) {
	s := r.s
	prov, ok := s.Devices.Provider(j.Provider)
	if !ok {
		return // a provider this replica does not have configured
	}
	if j.ProviderJobID == "" {
		if now.Sub(j.CreatedAt) < r.grace {
			return // maybe still being submitted by its replica
		}
		if inline, ok := prov.(InlineRunner); ok {
			r.rerun(ctx, inline, j)
			return
		}
		s.log.Warn("job never reached its provider; releasing its budget", "job_id", j.ID)
		r.settle(ctx, j, qguard.JobFailed, nil, "the gateway stopped before the job reached the provider; resubmit it")
		return
	}
	st, err := prov.Status(ctx, deviceName(j.Device), j.ProviderJobID)
	if err != nil {
		r.backoff(j.ID, now)
		s.log.Warn("poll job", "job_id", j.ID, "provider", j.Provider, "error", qguard.ErrorMessage(err))
		return
	}
	if !qguard.JobDone(st.Status) {
		r.backoff(j.ID, now)
		return
	}
	r.settle(ctx, j, st.Status, st.Result, st.Error)
}

// rerun runs again a local job whose replica died while running it, from
// the circuit sealed with the job.
func (r *runner) rerun(ctx context.Context, inline InlineRunner, j *qguard.Job) {
	s := r.s
	src, err := s.Sealer.Open(j.SealedCircuit, "job:"+j.ID+":circuit")
	if err != nil {
		r.settle(ctx, j, qguard.JobFailed, nil, "the stored circuit could not be opened")
		return
	}
	c, err := circuit.ParseWithOptions(src, circuit.ParseOptions{Limits: s.circuitLimits()})
	if err != nil {
		r.settle(ctx, j, qguard.JobFailed, nil, "the stored circuit no longer parses")
		return
	}
	sub := qguard.Submission{JobID: j.ID, User: j.User, Device: deviceName(j.Device), Shots: j.Shots, QASM: string(src), Program: c}
	_, _ = s.runInline(ctx, inline, j, sub)
	delete(r.next, j.ID)
	delete(r.tries, j.ID)
}

func (r *runner) settle(ctx context.Context, j *qguard.Job, status string, res *qguard.Result, msg string) {
	s := r.s
	if err := s.finish(ctx, j, status, res, msg); err != nil {
		s.log.Error("record job outcome", "job_id", j.ID, "error", err)
		return
	}
	if _, err := s.Audit.Append(ctx, qguard.AuditRecord{
		Time: s.now(), Actor: "system", Action: "job." + status, Resource: "job:" + j.ID,
		Decision: qguard.DecisionInfo, Reason: msg, Cost: derefCost(j.ActualCost),
		Details: map[string]string{"provider": j.Provider, "device": j.Device, "provider_job_id": j.ProviderJobID},
	}); err != nil {
		s.log.Error("audit job outcome", "job_id", j.ID, "error", err)
	}
	delete(r.next, j.ID)
	delete(r.tries, j.ID)
}

// backoff spaces polls of one job: 1 s, 2 s, 4 s … up to a minute.
func (r *runner) backoff(id string, now time.Time) {
	n := r.tries[id]
	r.tries[id] = n + 1
	d := time.Second << min(n, 6)
	r.next[id] = now.Add(min(d, time.Minute))
}

func derefCost(c *float64) float64 {
	if c == nil {
		return 0
	}
	return *c
}

// circuitLimits bounds the parser's work for one request: the source may
// not exceed the body limit.
func (s *Server) circuitLimits() circuit.Limits {
	l := circuit.DefaultLimits
	l.MaxBytes = int(min(s.cfg.MaxBodyBytes, int64(l.MaxBytes)))
	return l
}
