package gateway

import (
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/qguard/qguard"
)

// AuditReporter builds the report of GET /v1/audit/report; the audit
// package implements it over the store.
type AuditReporter func(r *http.Request, since time.Time) (any, error)

func (s *Server) auditEvents(w http.ResponseWriter, r *http.Request) error {
	c := callerOf(r.Context())
	if err := requireRole(c, qguard.RoleAdmin, qguard.RoleAuditor); err != nil {
		return err
	}
	size, err := s.Store.AuditSize(r.Context())
	if err != nil {
		return err
	}
	limit, err := intParam(r, "limit", 100, 10000)
	if err != nil {
		return err
	}
	from := max(size-int64(limit), 0)
	entries, err := s.Store.AuditEntries(r.Context(), from, size)
	if err != nil {
		return err
	}
	recs := make([]qguard.AuditRecord, len(entries))
	for i, e := range entries {
		recs[i] = e.Record
	}
	writeJSON(w, http.StatusOK, map[string]any{"size": size, "events": recs})
	return nil
}

func (s *Server) auditReport(w http.ResponseWriter, r *http.Request) error {
	c := callerOf(r.Context())
	if err := requireRole(c, qguard.RoleAdmin, qguard.RoleAuditor); err != nil {
		return err
	}
	days, err := intParam(r, "days", 7, 3660)
	if err != nil {
		return err
	}
	if s.AuditReport == nil {
		return qguard.Errorf(qguard.ENOTFOUND, "audit reports are not available")
	}
	rep, err := s.AuditReport(r, s.now().Add(-time.Duration(days)*24*time.Hour))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

func (s *Server) auditCheckpoint(w http.ResponseWriter, r *http.Request) error {
	size, note, err := s.Store.LatestCheckpoint(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"size": size, "checkpoint": string(note)})
	return nil
}

// readBody reads a whole request body within the size limit.
func readBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(r.Body)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, qguard.Errorf(qguard.ETOOLARGE, "request body larger than %d bytes", tooBig.Limit)
	}
	return b, err
}
