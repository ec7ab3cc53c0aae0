// Package memlog is an in-memory [qguard.AuditStore], for tests of the
// audit log and of the packages that append to it. It keeps nothing after
// the process exits.
package memlog

import (
	"context"
	"maps"
	"sync"
	"time"

	"github.com/qguard/qguard"
)

// Store is an in-memory audit store. The zero value is an empty store.
type Store struct {
	mu          sync.Mutex
	entries     []qguard.AuditEntry
	checkpoints map[int64][]byte
}

var _ qguard.AuditStore = (*Store)(nil)

// New returns an empty store.
func New() *Store { return &Store{} }

// AppendAudit implements qguard.AuditStore.
func (s *Store) AppendAudit(ctx context.Context, rec *qguard.AuditRecord, encode func(*qguard.AuditRecord) ([]byte, error)) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rec.Index = int64(len(s.entries))
	data, err := encode(rec)
	if err != nil {
		return 0, err
	}
	s.entries = append(s.entries, qguard.AuditEntry{Index: rec.Index, Data: data, Record: clone(*rec)})
	return rec.Index, nil
}

// AuditSize implements qguard.AuditStore; like COUNT(*), it counts entries.
func (s *Store) AuditSize(ctx context.Context) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return int64(len(s.entries)), nil
}

// AuditEntries implements qguard.AuditStore, selecting by each entry's
// Index as a database would.
func (s *Store) AuditEntries(ctx context.Context, from, to int64) ([]qguard.AuditEntry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []qguard.AuditEntry
	for _, e := range s.entries {
		if e.Index >= from && e.Index < to {
			e.Record = clone(e.Record)
			e.Data = append([]byte(nil), e.Data...)
			out = append(out, e)
		}
	}
	return out, nil
}

// AuditSince implements qguard.AuditStore.
func (s *Store) AuditSince(ctx context.Context, since time.Time) ([]qguard.AuditRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []qguard.AuditRecord
	for _, e := range s.entries {
		if !e.Record.Time.Before(since) {
			out = append(out, clone(e.Record))
		}
	}
	return out, nil
}

// SaveCheckpoint implements qguard.AuditStore.
func (s *Store) SaveCheckpoint(ctx context.Context, size int64, note []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.checkpoints == nil {
		s.checkpoints = make(map[int64][]byte)
	}
	s.checkpoints[size] = append([]byte(nil), note...)
	return nil
}

// LatestCheckpoint implements qguard.AuditStore.
func (s *Store) LatestCheckpoint(ctx context.Context) (int64, []byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	best := int64(-1)
	for size := range s.checkpoints {
		best = max(best, size)
	}
	if best < 0 {
		return 0, nil, qguard.Errorf(qguard.ENOTFOUND, "no audit checkpoint")
	}
	return best, append([]byte(nil), s.checkpoints[best]...), nil
}

// Tamper lets a test play someone who controls the database: f may change
// the entries and checkpoints in place or return different entries.
func (s *Store) Tamper(f func(entries []qguard.AuditEntry, checkpoints map[int64][]byte) []qguard.AuditEntry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.checkpoints == nil {
		s.checkpoints = make(map[int64][]byte)
	}
	s.entries = f(s.entries, s.checkpoints)
}

func clone(r qguard.AuditRecord) qguard.AuditRecord {
	r.Details = maps.Clone(r.Details)
	return r
}
