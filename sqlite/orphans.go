package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/qguard/qguard"
)

// ReleaseOrphans repairs unsettled reservations made before before: those
// whose job was never created, or finished without its reservation being
// settled (the process died between the two writes). It runs in one write
// transaction, so a job created concurrently keeps its reservation.
func (db *DB) ReleaseOrphans(ctx context.Context, before time.Time) (int, error) {
	n := 0
	err := db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		n = 0
		rows, err := db.txQuery(ctx, tx, `SELECT r.job_id, r.user_name, r.project, r.day, r.amount, j.status, COALESCE(j.actual_cost, 0)
			FROM reservations r LEFT JOIN jobs j ON j.id = r.job_id
			WHERE r.settled = 0 AND r.created_at < ? AND (j.id IS NULL OR j.status IN ('completed', 'failed', 'cancelled'))`, nanos(before))
		if err != nil {
			return err
		}
		type orphan struct {
			job, user, project, day string
			amount                  int64
			status                  sql.NullString
			actual                  float64
		}
		var orphans []orphan
		for rows.Next() {
			var o orphan
			if err := rows.Scan(&o.job, &o.user, &o.project, &o.day, &o.amount, &o.status, &o.actual); err != nil {
				rows.Close()
				return err
			}
			orphans = append(orphans, o)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		for _, o := range orphans {
			if o.status.String == qguard.JobCompleted {
				cost := micro(o.actual)
				if _, err := db.txExec(ctx, tx, "UPDATE reservations SET amount = ?, settled = 1 WHERE job_id = ?", cost, o.job); err != nil {
					return err
				}
				if err := db.addSpend(ctx, tx, o.user, o.project, o.day, -o.amount, cost); err != nil {
					return err
				}
				continue
			}
			if _, err := db.txExec(ctx, tx, "DELETE FROM reservations WHERE job_id = ?", o.job); err != nil {
				return err
			}
			if err := db.addSpend(ctx, tx, o.user, o.project, o.day, -o.amount, 0); err != nil {
				return err
			}
		}
		n = len(orphans)
		return nil
	})
	return n, err
}
