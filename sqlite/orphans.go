package sqlite

import (
	"context"
	"database/sql"
	"time"
)

// ReleaseOrphans releases unsettled reservations made before before whose
// job was never created. It runs in one write transaction, so a job created
// concurrently keeps its reservation.
func (db *DB) ReleaseOrphans(ctx context.Context, before time.Time) (int, error) {
	n := 0
	err := db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		n = 0
		rows, err := db.txQuery(ctx, tx, `SELECT r.job_id, r.user_name, r.project, r.day, r.amount FROM reservations r
			WHERE r.settled = 0 AND r.created_at < ? AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.id = r.job_id)`, nanos(before))
		if err != nil {
			return err
		}
		type orphan struct {
			job, user, project, day string
			amount                  int64
		}
		var orphans []orphan
		for rows.Next() {
			var o orphan
			if err := rows.Scan(&o.job, &o.user, &o.project, &o.day, &o.amount); err != nil {
				rows.Close()
				return err
			}
			orphans = append(orphans, o)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		for _, o := range orphans {
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
