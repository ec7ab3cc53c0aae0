package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/qguard/qguard"
)

// AppendAudit assigns the next index and stores the entry in one
// transaction. The index comes from incrementing the audit_head row, whose
// lock every replica's append waits for: appends are serialised across
// replicas, and an append that fails (encode error, lost connection, crash)
// rolls the increment back, so the log never has a gap. A record with a
// zero Time gets the current time before encode sees it.
func (db *DB) AppendAudit(ctx context.Context, rec *qguard.AuditRecord, encode func(*qguard.AuditRecord) ([]byte, error)) (int64, error) {
	if rec.Time.IsZero() {
		rec.Time = time.Now().UTC()
	}
	err := db.tx(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, "UPDATE audit_head SET size = size + 1 WHERE id = 1 RETURNING size - 1").Scan(&rec.Index); err != nil {
			return fmt.Errorf("audit head: %w", err)
		}
		data, err := encode(rec)
		if err != nil {
			return fmt.Errorf("encode audit record: %w", err)
		}
		_, err = tx.Exec(ctx, `INSERT INTO audit_log (idx, data, time_ns, actor, action, resource, decision, reason, request_id, cost, details)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			rec.Index, data, rec.Time.UnixNano(), rec.Actor, rec.Action, rec.Resource, rec.Decision, rec.Reason,
			rec.RequestID, rec.Cost, details(rec.Details))
		return err
	})
	if err != nil {
		return 0, err
	}
	return rec.Index, nil
}

// AuditSize returns the number of entries (committed appends).
func (db *DB) AuditSize(ctx context.Context) (int64, error) {
	var n int64
	err := db.pool.QueryRow(ctx, "SELECT size FROM audit_head WHERE id = 1").Scan(&n)
	return n, err
}

const auditColumns = "idx, data, time_ns, actor, action, resource, decision, reason, request_id, cost, details"

func scanAudit(row pgx.Row) (qguard.AuditEntry, error) {
	var e qguard.AuditEntry
	var ns int64
	r := &e.Record
	if err := row.Scan(&e.Index, &e.Data, &ns, &r.Actor, &r.Action, &r.Resource, &r.Decision, &r.Reason, &r.RequestID, &r.Cost, &r.Details); err != nil {
		return e, err
	}
	r.Index, r.Time = e.Index, time.Unix(0, ns).UTC()
	return e, nil
}

// AuditEntries returns the entries with from <= index < to, in order.
func (db *DB) AuditEntries(ctx context.Context, from, to int64) ([]qguard.AuditEntry, error) {
	if from < 0 || to < from {
		return nil, qguard.Errorf(qguard.EINVALID, "bad audit range [%d, %d)", from, to)
	}
	rows, err := db.pool.Query(ctx, "SELECT "+auditColumns+" FROM audit_log WHERE idx >= $1 AND idx < $2 ORDER BY idx", from, to)
	if err != nil {
		return nil, err
	}
	entries, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (qguard.AuditEntry, error) { return scanAudit(r) })
	if entries == nil && err == nil {
		entries = []qguard.AuditEntry{}
	}
	return entries, err
}

// AuditSince returns the records with Time >= since, in index order.
func (db *DB) AuditSince(ctx context.Context, since time.Time) ([]qguard.AuditRecord, error) {
	rows, err := db.pool.Query(ctx, "SELECT "+auditColumns+" FROM audit_log WHERE time_ns >= $1 ORDER BY idx", since.UnixNano())
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (qguard.AuditRecord, error) {
		e, err := scanAudit(r)
		return e.Record, err
	})
}

// SaveCheckpoint stores a signed checkpoint for a tree size. The first
// checkpoint saved for a size is kept (two replicas may sign the same size).
func (db *DB) SaveCheckpoint(ctx context.Context, size int64, note []byte) error {
	_, err := db.pool.Exec(ctx, "INSERT INTO audit_checkpoints (size, note, created_at) VALUES ($1, $2, now()) ON CONFLICT (size) DO NOTHING",
		size, note)
	return err
}

// LatestCheckpoint returns the checkpoint with the largest size, or
// ENOTFOUND.
func (db *DB) LatestCheckpoint(ctx context.Context) (int64, []byte, error) {
	var size int64
	var note []byte
	err := db.pool.QueryRow(ctx, "SELECT size, note FROM audit_checkpoints ORDER BY size DESC LIMIT 1").Scan(&size, &note)
	if err != nil {
		return 0, nil, notFound(err, "no audit checkpoint yet")
	}
	return size, note, nil
}
