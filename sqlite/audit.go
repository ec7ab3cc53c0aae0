package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/qguard/qguard"
)

// AppendAudit assigns the next index inside a write transaction, calls
// encode with it and stores the canonical bytes with the decoded columns.
// A record with a zero Time gets the current time before encode sees it.
func (db *DB) AppendAudit(ctx context.Context, rec *qguard.AuditRecord, encode func(*qguard.AuditRecord) ([]byte, error)) (int64, error) {
	if rec.Time.IsZero() {
		rec.Time = time.Now().UTC()
	}
	details, err := encodeDetails(rec.Details)
	if err != nil {
		return 0, err
	}
	err = db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := db.txQueryRow(ctx, tx, "SELECT COALESCE(MAX(idx) + 1, 0) FROM audit_log").Scan(&rec.Index); err != nil {
			return err
		}
		data, err := encode(rec)
		if err != nil {
			return fmt.Errorf("encode audit record: %w", err)
		}
		_, err = db.txExec(ctx, tx, `INSERT INTO audit_log (idx, data, time, actor, action, resource, decision, reason, request_id, cost, details)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			rec.Index, data, nanos(rec.Time), rec.Actor, rec.Action, rec.Resource, rec.Decision, rec.Reason,
			rec.RequestID, rec.Cost, details)
		return err
	})
	if err != nil {
		return 0, err
	}
	return rec.Index, nil
}

// AuditSize returns the number of entries.
func (db *DB) AuditSize(ctx context.Context) (int64, error) {
	var n int64
	err := db.queryRow(ctx, "SELECT COALESCE(MAX(idx) + 1, 0) FROM audit_log").Scan(&n)
	return n, err
}

const auditColumns = "idx, data, time, actor, action, resource, decision, reason, request_id, cost, details"

func scanAudit(row interface{ Scan(...any) error }) (qguard.AuditEntry, error) {
	var e qguard.AuditEntry
	var t int64
	var details string
	r := &e.Record
	if err := row.Scan(&e.Index, &e.Data, &t, &r.Actor, &r.Action, &r.Resource, &r.Decision, &r.Reason, &r.RequestID, &r.Cost, &details); err != nil {
		return e, err
	}
	r.Index, r.Time = e.Index, fromNanos(t)
	if details != "" {
		if err := json.Unmarshal([]byte(details), &r.Details); err != nil {
			return e, fmt.Errorf("audit entry %d: details: %w", e.Index, err)
		}
	}
	return e, nil
}

// AuditEntries returns the entries with from <= index < to, in order.
func (db *DB) AuditEntries(ctx context.Context, from, to int64) ([]qguard.AuditEntry, error) {
	if from < 0 || to < from {
		return nil, qguard.Errorf(qguard.EINVALID, "bad audit range [%d, %d)", from, to)
	}
	rows, err := db.query(ctx, "SELECT "+auditColumns+" FROM audit_log WHERE idx >= ? AND idx < ? ORDER BY idx", from, to)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	entries := make([]qguard.AuditEntry, 0, min(to-from, 4096))
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return nil, err
		}
		entries = append(entries, e)
	}
	return entries, rows.Err()
}

// AuditSince returns the records with Time >= since, in index order.
func (db *DB) AuditSince(ctx context.Context, since time.Time) ([]qguard.AuditRecord, error) {
	rows, err := db.query(ctx, "SELECT "+auditColumns+" FROM audit_log WHERE time >= ? ORDER BY idx", nanos(since))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var recs []qguard.AuditRecord
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return nil, err
		}
		recs = append(recs, e.Record)
	}
	return recs, rows.Err()
}

// SaveCheckpoint stores a signed checkpoint for a tree size. The first
// checkpoint saved for a size is kept.
func (db *DB) SaveCheckpoint(ctx context.Context, size int64, note []byte) error {
	_, err := db.exec(ctx, "INSERT INTO audit_checkpoints (size, note, created_at) VALUES (?, ?, ?) ON CONFLICT (size) DO NOTHING",
		size, note, nanos(time.Now()))
	return err
}

// LatestCheckpoint returns the checkpoint with the largest size, or
// ENOTFOUND.
func (db *DB) LatestCheckpoint(ctx context.Context) (int64, []byte, error) {
	var size int64
	var note []byte
	err := db.queryRow(ctx, "SELECT size, note FROM audit_checkpoints ORDER BY size DESC LIMIT 1").Scan(&size, &note)
	if err != nil {
		return 0, nil, notFound(err, "no audit checkpoint yet")
	}
	return size, note, nil
}

func encodeDetails(d map[string]string) (string, error) {
	if len(d) == 0 {
		return "", nil
	}
	b, err := json.Marshal(d)
	if err != nil {
		return "", err
	}
	return string(b), nil
}
