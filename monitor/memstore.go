package monitor

import (
	"context"
	"sync"
	"time"

	"github.com/qguard/qguard"
)

// MemoryStore is an in-memory qguard.EventStore, for commands that run
// without a database and for tests. It keeps at most MaxEvents events.
type MemoryStore struct {
	mu     sync.Mutex
	events []qguard.SecurityEvent
	last   map[string]time.Time // dedup key → time of the newest stored event
	nextID int64
}

// MaxEvents bounds a MemoryStore; the oldest events are dropped first.
const MaxEvents = 100000

// NewMemoryStore returns an empty store.
func NewMemoryStore() *MemoryStore { return &MemoryStore{last: map[string]time.Time{}} }

// AddSecurityEvent implements qguard.EventStore.
func (s *MemoryStore) AddSecurityEvent(_ context.Context, e *qguard.SecurityEvent, dedupSince time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e.DedupKey != "" {
		if t, ok := s.last[e.DedupKey]; ok && !t.Before(dedupSince) {
			return false, nil
		}
		if len(s.last) >= 2*MaxEvents {
			for k, t := range s.last {
				if t.Before(dedupSince) {
					delete(s.last, k)
				}
			}
		}
		s.last[e.DedupKey] = e.Time
	}
	s.nextID++
	e.ID = s.nextID
	s.events = append(s.events, *e)
	if len(s.events) > MaxEvents {
		s.events = append([]qguard.SecurityEvent(nil), s.events[len(s.events)-MaxEvents:]...)
	}
	return true, nil
}

// SecurityEvents implements qguard.EventStore.
func (s *MemoryStore) SecurityEvents(_ context.Context, since time.Time) ([]qguard.SecurityEvent, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []qguard.SecurityEvent
	for _, e := range s.events {
		if !e.Time.Before(since) {
			out = append(out, e)
		}
	}
	return out, nil
}
