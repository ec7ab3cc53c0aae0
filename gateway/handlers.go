package gateway

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/qguard/qguard"
)

// sessionRequest is the body of POST /v1/sessions. The API key may also be
// sent as the bearer token.
type sessionRequest struct {
	APIKey string `json:"api_key"`
}

type sessionResponse struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	User      string    `json:"user"`
	Role      string    `json:"role"`
}

func (s *Server) createSession(w http.ResponseWriter, r *http.Request) error {
	key, _ := bearerToken(r)
	if key == "" {
		var req sessionRequest
		if err := decodeJSON(r, &req); err != nil {
			return err
		}
		key = req.APIKey
	}
	if key == "" {
		return qguard.Errorf(qguard.EUNAUTHENTICATED, "send the API key as the bearer token or as api_key")
	}
	addr := clientAddr(r)
	token, sess, err := s.Auth.Login(r.Context(), key, addr)
	if err != nil {
		s.countAuthFailure(r.Context(), err, addr)
		return err
	}
	s.Metrics.AuthAttempts.WithLabelValues("success").Inc()
	u, err := s.Store.UserByID(r.Context(), sess.UserID)
	if err != nil {
		return err
	}
	if err := s.audit(r.Context(), qguard.AuditRecord{
		Time: s.now(), Actor: u.Name, Action: "session.create", Resource: "user:" + u.Name,
		Decision: qguard.DecisionAllow, RequestID: requestID(r.Context()),
		Details: map[string]string{"session_id": strconv.FormatInt(sess.ID, 10), "address": addr},
	}); err != nil {
		_ = s.Auth.Logout(context.WithoutCancel(r.Context()), token)
		return err
	}
	writeJSON(w, http.StatusCreated, sessionResponse{Token: token, ExpiresAt: sess.ExpiresAt, User: u.Name, Role: u.Role})
	return nil
}

func (s *Server) deleteSession(w http.ResponseWriter, r *http.Request) error {
	c := callerOf(r.Context())
	if c.session == nil {
		return qguard.Errorf(qguard.EINVALID, "this request used an API key, not a session token; nothing to end")
	}
	if err := s.Auth.Logout(r.Context(), c.token); err != nil {
		return err
	}
	if err := s.audit(r.Context(), qguard.AuditRecord{
		Time: s.now(), Actor: c.user.Name, Action: "session.delete", Resource: "user:" + c.user.Name,
		Decision: qguard.DecisionInfo, RequestID: requestID(r.Context()),
		Details: map[string]string{"session_id": strconv.FormatInt(c.session.ID, 10)},
	}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listDevices(w http.ResponseWriter, r *http.Request) error {
	devs := s.Devices.Devices(r.Context())
	if devs == nil {
		devs = []qguard.Device{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"devices": devs})
	return nil
}

// requireRole refuses callers whose role is not one of roles. Used for the
// operator endpoints (budgets, audit, security), which the role table
// grants to admins and auditors.
func requireRole(c *caller, roles ...string) error {
	for _, r := range roles {
		if c.user.Role == r {
			return nil
		}
	}
	return qguard.Errorf(qguard.EPOLICYDENIED, "role %s may not use this endpoint", c.user.Role)
}

type budgetRequest struct {
	DailyUSD float64 `json:"daily_usd"`
}

func (s *Server) setBudget(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	c := callerOf(ctx)
	if err := requireRole(c, qguard.RoleAdmin); err != nil {
		return err
	}
	scope, name := r.PathValue("scope"), r.PathValue("name")
	if scope != qguard.ScopeUser && scope != qguard.ScopeProject {
		return qguard.Errorf(qguard.EINVALID, "scope must be user or project, not %q", scope)
	}
	var req budgetRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	l := qguard.BudgetLimit{Scope: scope, Name: name, Daily: req.DailyUSD}
	if err := s.audit(ctx, qguard.AuditRecord{
		Time: s.now(), Actor: c.user.Name, Action: "budget.set", Resource: scope + ":" + name,
		Decision: qguard.DecisionInfo, RequestID: requestID(ctx),
		Details: map[string]string{"daily_usd": strconv.FormatFloat(req.DailyUSD, 'f', -1, 64)},
	}); err != nil {
		return err
	}
	if err := s.Store.SetBudgetLimit(ctx, l); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, l)
	return nil
}

type budgetView struct {
	qguard.BudgetLimit
	Today qguard.Spend `json:"today"`
}

func (s *Server) listBudgets(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	c := callerOf(ctx)
	limits, err := s.Store.BudgetLimits(ctx)
	if err != nil {
		return err
	}
	day := qguard.Day(s.now())
	out := []budgetView{}
	for _, l := range limits {
		if !seesAll(c.user) && !(l.Scope == qguard.ScopeUser && l.Name == c.user.Name) && !(l.Scope == qguard.ScopeProject && l.Name == c.user.Project) {
			continue
		}
		sp, err := s.Store.Spent(ctx, l.Scope, l.Name, day)
		if err != nil {
			return err
		}
		out = append(out, budgetView{BudgetLimit: l, Today: sp})
	}
	writeJSON(w, http.StatusOK, map[string]any{"budgets": out})
	return nil
}

// intParam reads a positive integer query parameter with a default and a
// maximum.
func intParam(r *http.Request, name string, def, max int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > max {
		return 0, qguard.Errorf(qguard.EINVALID, "%s must be a whole number from 1 to %d", name, max)
	}
	return n, nil
}

func (s *Server) costs(w http.ResponseWriter, r *http.Request) error {
	c := callerOf(r.Context())
	if err := requireRole(c, qguard.RoleAdmin, qguard.RoleAuditor); err != nil {
		return err
	}
	days, err := intParam(r, "days", 30, 3660)
	if err != nil {
		return err
	}
	by := r.URL.Query().Get("by")
	if by == "" {
		by = "user"
	}
	if by != "user" && by != "project" && by != "provider" {
		return qguard.Errorf(qguard.EINVALID, "by must be user, project or provider, not %q", by)
	}
	since := s.now().Add(-time.Duration(days) * 24 * time.Hour)
	totals, err := s.Store.CostSince(r.Context(), since, by)
	if err != nil {
		return err
	}
	sum := 0.0
	for _, v := range totals {
		sum += v
	}
	writeJSON(w, http.StatusOK, map[string]any{"days": days, "by": by, "costs": totals, "total_usd": sum})
	return nil
}

func (s *Server) securityLogs(w http.ResponseWriter, r *http.Request) error {
	c := callerOf(r.Context())
	if s.Monitor == nil {
		return qguard.Errorf(qguard.ENOTFOUND, "the security monitor is not enabled")
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	events, err := s.Monitor.ProcessLogs(r.Context(), "http:"+c.user.Name, body)
	if err != nil {
		return err
	}
	if events == nil {
		events = []qguard.SecurityEvent{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"events": events})
	return nil
}

func (s *Server) securityReport(w http.ResponseWriter, r *http.Request) error {
	c := callerOf(r.Context())
	if err := requireRole(c, qguard.RoleAdmin, qguard.RoleAuditor); err != nil {
		return err
	}
	if s.Monitor == nil {
		return qguard.Errorf(qguard.ENOTFOUND, "the security monitor is not enabled")
	}
	hours, err := intParam(r, "hours", 24, 24*366)
	if err != nil {
		return err
	}
	rep, err := s.Monitor.Report(r.Context(), hours)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}
