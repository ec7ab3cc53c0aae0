// Package gateway is qguard's HTTP API: users submit circuits here and
// never to a provider directly. Every request is authenticated, every job
// is decided by policy, budgeted, audited before it runs, and forwarded to
// its provider with credentials the user never sees.
package gateway

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/qguard/qguard"
	"github.com/qguard/qguard/circuit"
	"github.com/qguard/qguard/config"
	"github.com/qguard/qguard/metrics"
	"github.com/qguard/qguard/seal"
)

// Authenticator checks bearer tokens (API keys or session tokens) and
// issues sessions; auth.Service implements it.
type Authenticator interface {
	Authenticate(ctx context.Context, bearer, addr string) (*qguard.User, *qguard.Session, error)
	Login(ctx context.Context, apiKey, addr string) (string, *qguard.Session, error)
	Logout(ctx context.Context, sessionToken string) error
}

// Policy decides requests; policy.Engine implements it.
type Policy interface {
	Decide(r qguard.Request) qguard.Decision
	// MaxCostPerDay is the role's daily cost cap on a resource class in
	// USD; negative means no cap.
	MaxCostPerDay(role, resource string) float64
}

// AuditLog appends records to the tamper-evident log; audit.Log implements
// it. Append must fail (and the request with it) when the record cannot be
// written.
type AuditLog interface {
	Append(ctx context.Context, rec qguard.AuditRecord) (int64, error)
	Checkpoint(ctx context.Context) ([]byte, error)
}

// Monitor receives log lines and the gateway's own security-relevant
// events; monitor.Monitor implements it. It may be nil.
type Monitor interface {
	ProcessLogs(ctx context.Context, source string, body []byte) ([]qguard.SecurityEvent, error)
	AuthFailure(ctx context.Context, user, addr string)
	JobSubmitted(ctx context.Context, user, provider string, c *circuit.Circuit, shots int, costToday, limit float64)
	Report(ctx context.Context, hours int) (any, error)
}

// clockStore is a store with a clock of its own (PostgreSQL): replicas
// compare theirs with it.
type clockStore interface {
	Now(ctx context.Context) (time.Time, error)
}

// Deps are the parts the server is built from; cmd/qguard wires them.
type Deps struct {
	Config  *config.Config
	Store   qguard.Store
	Auth    Authenticator
	Policy  Policy
	Audit   AuditLog
	Devices Devices
	Monitor Monitor // optional
	Sealer  *seal.Sealer
	Metrics *metrics.Metrics
	Log     *slog.Logger
	Clock   qguard.Clock
	// Estimate returns a job's expected cost in USD.
	Estimate func(d qguard.Device, shots int, prog *Program) float64
	// Actual returns a finished job's cost from the provider's figures
	// (its charge, or its billed seconds); optional.
	Actual func(d qguard.Device, res *qguard.Result) float64
	// AuditReport builds the audit report; optional.
	AuditReport AuditReporter
	// ReplicaID names this replica in job leases; random when empty.
	ReplicaID string
}

// Server is the gateway.
type Server struct {
	Deps
	cfg     config.Server
	log     *slog.Logger
	now     qguard.Clock
	handler http.Handler
	limiter *limiter

	mu      sync.Mutex
	httpSrv *http.Server
	work    sync.WaitGroup // jobs running in the background
	runner  *runner
}

// New builds a server from its parts.
func New(d Deps) (*Server, error) {
	if d.Config == nil || d.Store == nil || d.Auth == nil || d.Policy == nil || d.Audit == nil || d.Devices == nil || d.Sealer == nil {
		return nil, errors.New("gateway: missing dependency")
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Clock == nil {
		d.Clock = time.Now
	}
	if d.Metrics == nil {
		d.Metrics = metrics.New()
	}
	s := &Server{Deps: d, cfg: d.Config.Server, log: d.Log, now: d.Clock}
	s.limiter = newLimiter(s.cfg.RatePerMinute, s.now)
	s.runner = newRunner(s)
	s.handler = s.routes()
	return s, nil
}

// Handler returns the HTTP handler, for tests that serve it themselves.
func (s *Server) Handler() http.Handler { return s.handler }

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	handle := func(pattern string, h func(http.ResponseWriter, *http.Request) error, authed bool) {
		var hh http.Handler = s.endpoint(h)
		if authed {
			hh = s.authenticate(hh)
		}
		mux.Handle(pattern, hh)
	}
	handle("POST /v1/sessions", s.createSession, false)
	handle("DELETE /v1/sessions/current", s.deleteSession, true)
	handle("GET /v1/devices", s.listDevices, true)
	handle("POST /v1/jobs", s.submitJob, true)
	handle("GET /v1/jobs", s.listJobs, true)
	handle("GET /v1/jobs/{id}", s.getJob, true)
	handle("POST /v1/jobs/{id}/cancel", s.cancelJob, true)
	handle("GET /v1/budgets", s.listBudgets, true)
	handle("PUT /v1/budgets/{scope}/{name}", s.setBudget, true)
	handle("GET /v1/audit/events", s.auditEvents, true)
	handle("GET /v1/audit/report", s.auditReport, true)
	handle("GET /v1/audit/checkpoint", s.auditCheckpoint, true)
	handle("POST /v1/security/logs", s.securityLogs, true)
	handle("GET /v1/security/report", s.securityReport, true)
	handle("GET /v1/costs", s.costs, true)
	s.protectRoutes(handle)
	handle("GET /healthz", s.healthz, false)
	handle("GET /readyz", s.readyz, false)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.Metrics.Registry, promhttp.HandlerOpts{}))
	mux.Handle("/", s.endpoint(func(http.ResponseWriter, *http.Request) error {
		return qguard.Errorf(qguard.ENOTFOUND, "no such endpoint")
	}))
	return s.observe(mux)
}

// Serve serves on l until ctx ends, then shuts down gracefully: it stops
// accepting, lets requests and background work finish (up to the shutdown
// timeout), and writes a final audit checkpoint.
func (s *Server) Serve(ctx context.Context, l net.Listener, tlsCfg *tls.Config) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       s.cfg.ReadTimeout,
		WriteTimeout:      s.cfg.WriteTimeout,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		TLSConfig:         tlsCfg,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	s.mu.Lock()
	s.httpSrv = srv
	s.mu.Unlock()

	runCtx, stopRunner := context.WithCancel(context.WithoutCancel(ctx))
	runnerDone := make(chan struct{})
	go func() { defer close(runnerDone); s.runner.run(runCtx) }()

	errc := make(chan error, 1)
	go func() {
		if tlsCfg != nil {
			errc <- srv.ServeTLS(l, "", "")
		} else {
			errc <- srv.Serve(l)
		}
	}()
	var err error
	select {
	case err = <-errc:
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	if serr := srv.Shutdown(shutCtx); serr != nil && err == nil {
		err = serr
	}
	s.work.Wait()
	stopRunner()
	<-runnerDone
	if _, cerr := s.Audit.Checkpoint(shutCtx); cerr != nil {
		s.log.Error("final audit checkpoint failed", "error", cerr)
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

// readyz reports whether the store answers; a replica whose database is
// down says so, and the load balancer sends traffic elsewhere.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.Store.Ping(ctx); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": "store: " + fmt.Sprint(qguard.ErrorMessage(err))})
		return nil
	}
	// A replica whose clock strays from the shared database's further than
	// auth.clock_skew would stretch or cut sessions: take it out of
	// rotation until its clock is fixed.
	if c, ok := s.Store.(clockStore); ok {
		if dbNow, err := c.Now(ctx); err == nil {
			if skew := s.now().Sub(dbNow).Abs(); skew > s.Config.Auth.ClockSkew+time.Second {
				writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable",
					"reason": fmt.Sprintf("clock differs from the store's by %s, more than auth.clock_skew %s", skew.Round(time.Millisecond), s.Config.Auth.ClockSkew)})
				return nil
			}
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	return nil
}
