package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/qguard/qguard"
)

// AddSecurityEvent stores e and sets its ID, unless an event with the same
// non-empty DedupKey exists at or after dedupSince; then it returns false.
// A transaction-scoped advisory lock on the dedup key makes the check and
// the insert atomic across replicas. A zero Time becomes the current time.
func (db *DB) AddSecurityEvent(ctx context.Context, e *qguard.SecurityEvent, dedupSince time.Time) (bool, error) {
	e.Time = orNow(e.Time)
	added := false
	err := db.tx(ctx, func(tx pgx.Tx) error {
		added = false
		if e.DedupKey != "" {
			if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtextextended('qguard-event:' || $1, 0))", e.DedupKey); err != nil {
				return err
			}
			var dup bool
			err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM security_events WHERE dedup_key = $1 AND time >= $2)", e.DedupKey, dedupSince).Scan(&dup)
			if err != nil || dup {
				return err
			}
		}
		err := tx.QueryRow(ctx, `INSERT INTO security_events (time, type, severity, source, user_name, provider, address, rule, message, details, dedup_key)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
			e.Time, e.Type, e.Severity, e.Source, e.User, e.Provider, e.Address, e.Rule, e.Message, details(e.Details), e.DedupKey).Scan(&e.ID)
		added = err == nil
		return err
	})
	return added && err == nil, err
}

// SecurityEvents returns the events at or after since, oldest first.
func (db *DB) SecurityEvents(ctx context.Context, since time.Time) ([]qguard.SecurityEvent, error) {
	rows, err := db.pool.Query(ctx, `SELECT id, time, type, severity, source, user_name, provider, address, rule, message, details, dedup_key
		FROM security_events WHERE time >= $1 ORDER BY time, id`, since)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (qguard.SecurityEvent, error) {
		var e qguard.SecurityEvent
		err := r.Scan(&e.ID, &e.Time, &e.Type, &e.Severity, &e.Source, &e.User, &e.Provider, &e.Address, &e.Rule, &e.Message, &e.Details, &e.DedupKey)
		e.Time = utc(e.Time)
		return e, err
	})
}
