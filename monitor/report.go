package monitor

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/qguard/qguard"
)

// MaxRecentCritical is how many critical events a report lists.
const MaxRecentCritical = 20

// SecurityReport summarises the security events of a period. It is the
// body of GET /v1/security/report and of `qguard report security --json`.
type SecurityReport struct {
	Since           time.Time              `json:"since"`
	Until           time.Time              `json:"until"`
	PeriodHours     float64                `json:"period_hours"`
	TotalEvents     int                    `json:"total_events"`
	ByType          map[string]int         `json:"by_type"`
	BySeverity      map[string]int         `json:"by_severity"`
	UniqueUsers     int                    `json:"unique_users"`
	UniqueProviders int                    `json:"unique_providers"`
	RecentCritical  []qguard.SecurityEvent `json:"recent_critical_events"` // newest first, at most MaxRecentCritical
}

// Report builds the report of events in [since, now].
func Report(ctx context.Context, store qguard.EventStore, since, now time.Time) (*SecurityReport, error) {
	if now.Before(since) {
		return nil, qguard.Errorf(qguard.EINVALID, "report period ends before it starts")
	}
	evs, err := store.SecurityEvents(ctx, since)
	if err != nil {
		return nil, fmt.Errorf("read security events: %w", err)
	}
	r := &SecurityReport{Since: since.UTC(), Until: now.UTC(), PeriodHours: now.Sub(since).Hours(),
		ByType: map[string]int{}, BySeverity: map[string]int{}, RecentCritical: []qguard.SecurityEvent{}}
	users, providers := map[string]bool{}, map[string]bool{}
	for _, e := range evs {
		if e.Time.Before(since) || e.Time.After(now) {
			continue
		}
		r.TotalEvents++
		r.ByType[e.Type]++
		r.BySeverity[e.Severity]++
		if e.User != "" {
			users[e.User] = true
		}
		if e.Provider != "" {
			providers[e.Provider] = true
		}
		if e.Severity == qguard.SeverityCritical {
			r.RecentCritical = append(r.RecentCritical, e)
		}
	}
	r.UniqueUsers, r.UniqueProviders = len(users), len(providers)
	sort.SliceStable(r.RecentCritical, func(i, j int) bool { return r.RecentCritical[i].Time.After(r.RecentCritical[j].Time) })
	if len(r.RecentCritical) > MaxRecentCritical {
		r.RecentCritical = r.RecentCritical[:MaxRecentCritical]
	}
	return r, nil
}
