package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/qguard/qguard"
)

// AddSecurityEvent stores e and sets its ID, unless an event with the same
// non-empty DedupKey exists at or after dedupSince; then it returns false.
// A zero Time becomes the current time.
func (db *DB) AddSecurityEvent(ctx context.Context, e *qguard.SecurityEvent, dedupSince time.Time) (bool, error) {
	e.Time = orNow(e.Time)
	details, err := encodeDetails(e.Details)
	if err != nil {
		return false, err
	}
	added := false
	err = db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if e.DedupKey != "" {
			var n int
			err := db.txQueryRow(ctx, tx, "SELECT COUNT(*) FROM security_events WHERE dedup_key = ? AND time >= ?", e.DedupKey, nanos(dedupSince)).Scan(&n)
			if err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
		}
		res, err := db.txExec(ctx, tx, `INSERT INTO security_events (time, type, severity, source, user_name, provider, address, rule, message, details, dedup_key)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			nanos(e.Time), e.Type, e.Severity, e.Source, e.User, e.Provider, e.Address, e.Rule, e.Message, details, e.DedupKey)
		if err != nil {
			return err
		}
		e.ID, err = res.LastInsertId()
		added = err == nil
		return err
	})
	return added, err
}

// SecurityEvents returns the events at or after since, oldest first.
func (db *DB) SecurityEvents(ctx context.Context, since time.Time) ([]qguard.SecurityEvent, error) {
	rows, err := db.query(ctx, `SELECT id, time, type, severity, source, user_name, provider, address, rule, message, details, dedup_key
		FROM security_events WHERE time >= ? ORDER BY time, id`, nanos(since))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var events []qguard.SecurityEvent
	for rows.Next() {
		var e qguard.SecurityEvent
		var t int64
		var details string
		if err := rows.Scan(&e.ID, &t, &e.Type, &e.Severity, &e.Source, &e.User, &e.Provider, &e.Address, &e.Rule, &e.Message, &details, &e.DedupKey); err != nil {
			return nil, err
		}
		e.Time = fromNanos(t)
		if details != "" {
			if err := json.Unmarshal([]byte(details), &e.Details); err != nil {
				return nil, fmt.Errorf("security event %d: details: %w", e.ID, err)
			}
		}
		events = append(events, e)
	}
	return events, rows.Err()
}
