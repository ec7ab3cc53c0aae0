package audit

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/qguard/qguard"
)

// SessionCounter counts live sessions; qguard.UserStore implements it.
type SessionCounter interface {
	CountActiveSessions(ctx context.Context, at time.Time) (int, error)
}

// Summary is the activity in the log over a period (`qguard audit report`).
type Summary struct {
	Since           time.Time      `json:"since"`
	Until           time.Time      `json:"until"`
	Events          int            `json:"events"`
	UniqueUsers     int            `json:"unique_users"`
	UniqueResources int            `json:"unique_resources"`
	Granted         int            `json:"granted"`
	Denied          int            `json:"denied"`
	DeniedByReason  map[string]int `json:"denied_by_reason"`
	ActiveSessions  int            `json:"active_sessions"`
}

// Summarize counts the records with time >= since and the sessions active
// at now. sessions may be nil (ActiveSessions is then 0).
func Summarize(ctx context.Context, store qguard.AuditStore, sessions SessionCounter, since, now time.Time) (*Summary, error) {
	recs, err := store.AuditSince(ctx, since)
	if err != nil {
		return nil, fmt.Errorf("read audit records: %w", err)
	}
	s := &Summary{Since: since.UTC(), Until: now.UTC(), DeniedByReason: map[string]int{}}
	users := map[string]bool{}
	resources := map[string]bool{}
	for _, r := range recs {
		if r.Time.Before(since) { // the store's filter is trusted for speed, not for correctness
			continue
		}
		s.Events++
		users[r.Actor] = true
		if r.Resource != "" {
			resources[r.Resource] = true
		}
		switch r.Decision {
		case qguard.DecisionAllow:
			s.Granted++
		case qguard.DecisionDeny:
			s.Denied++
			s.DeniedByReason[r.Reason]++
		}
	}
	s.UniqueUsers, s.UniqueResources = len(users), len(resources)
	if sessions != nil {
		if s.ActiveSessions, err = sessions.CountActiveSessions(ctx, now); err != nil {
			return nil, fmt.Errorf("count active sessions: %w", err)
		}
	}
	return s, nil
}

// Export writes records as JSON lines, each the record's canonical bytes
// (the Merkle leaf data, so a third party can recompute the tree). A zero
// since exports the whole log; otherwise the records with time >= since.
// progress, if not nil, is called with the number of records written after
// each batch. It returns the number of records written.
func Export(ctx context.Context, store qguard.AuditStore, w io.Writer, since time.Time, progress func(int)) (int64, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	var n int64
	if !since.IsZero() {
		recs, err := store.AuditSince(ctx, since)
		if err != nil {
			return 0, fmt.Errorf("read audit records: %w", err)
		}
		for i := range recs {
			if recs[i].Time.Before(since) {
				continue
			}
			data, err := Encode(&recs[i])
			if err != nil {
				return n, fmt.Errorf("record %d: %w", recs[i].Index, err)
			}
			bw.Write(data)
			bw.WriteByte('\n')
			n++
		}
		if progress != nil {
			progress(int(n))
		}
		return n, bw.Flush()
	}
	size, err := store.AuditSize(ctx)
	if err != nil {
		return 0, fmt.Errorf("read audit size: %w", err)
	}
	for from := int64(0); from < size; from += readBatch {
		entries, err := store.AuditEntries(ctx, from, min(from+readBatch, size))
		if err != nil {
			return n, fmt.Errorf("read audit entries: %w", err)
		}
		for _, e := range entries {
			bw.Write(e.Data)
			bw.WriteByte('\n')
			n++
		}
		if progress != nil {
			progress(len(entries))
		}
	}
	return n, bw.Flush()
}
