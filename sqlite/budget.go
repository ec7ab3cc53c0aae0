package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/qguard/qguard"
)

// spentQuery sums reservations of one scope's name for a day; settled
// selects reserved (0) or settled (1) amounts.
var spentQuery = map[string]string{
	qguard.ScopeUser:    "SELECT COALESCE(SUM(amount), 0) FROM reservations WHERE user_name = ? AND day = ?",
	qguard.ScopeProject: "SELECT COALESCE(SUM(amount), 0) FROM reservations WHERE project = ? AND day = ?",
}

// Reserve records r if it fits every limit, in one write transaction (BEGIN
// IMMEDIATE), so concurrent reservations cannot both see the same headroom.
func (db *DB) Reserve(ctx context.Context, r qguard.Reservation, limits []qguard.BudgetLimit) error {
	if r.JobID == "" || r.Day == "" {
		return qguard.Errorf(qguard.EINVALID, "a reservation needs a job id and a day")
	}
	if r.Amount < 0 {
		return qguard.Errorf(qguard.EINVALID, "a reservation cannot be negative")
	}
	for _, l := range limits {
		if _, ok := spentQuery[l.Scope]; !ok {
			return qguard.Errorf(qguard.EINVALID, "unknown budget scope %q", l.Scope)
		}
	}
	amount := micro(r.Amount)
	return db.write(ctx, func(tx *sql.Tx) error {
		for _, l := range limits {
			if l.Daily < 0 {
				continue
			}
			var spent int64
			if err := db.txQueryRow(ctx, tx, spentQuery[l.Scope], l.Name, r.Day).Scan(&spent); err != nil {
				return err
			}
			if limit := micro(l.Daily); spent+amount > limit {
				return qguard.Errorf(qguard.EBUDGETEXCEEDED,
					"daily budget of %s %s exceeded: $%.2f of $%.2f already spent or reserved on %s, this job needs $%.2f",
					l.Scope, l.Name, dollars(spent), l.Daily, r.Day, r.Amount)
			}
		}
		_, err := db.txExec(ctx, tx, "INSERT INTO reservations (job_id, user_name, project, day, amount, settled, created_at) VALUES (?, ?, ?, ?, ?, 0, ?)",
			r.JobID, r.User, r.Project, r.Day, amount, nanos(time.Now()))
		if isConflict(err) {
			return qguard.Errorf(qguard.ECONFLICT, "job %s already has a reservation", r.JobID)
		}
		return err
	})
}

// Settle replaces a job's reservation by its actual cost.
func (db *DB) Settle(ctx context.Context, jobID string, actual float64) error {
	if actual < 0 {
		return qguard.Errorf(qguard.EINVALID, "a cost cannot be negative")
	}
	res, err := db.exec(ctx, "UPDATE reservations SET amount = ?, settled = 1 WHERE job_id = ?", micro(actual), jobID)
	if err != nil {
		return err
	}
	return affected(res, "job %s has no reservation", jobID)
}

// Release drops the unsettled reservation of a job; ENOTFOUND when there is
// none, ECONFLICT when it is already settled.
func (db *DB) Release(ctx context.Context, jobID string) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		var settled bool
		err := db.txQueryRow(ctx, tx, "SELECT settled FROM reservations WHERE job_id = ?", jobID).Scan(&settled)
		if err != nil {
			return notFound(err, "job %s has no reservation", jobID)
		}
		if settled {
			return qguard.Errorf(qguard.ECONFLICT, "job %s is settled; its cost cannot be released", jobID)
		}
		_, err = db.txExec(ctx, tx, "DELETE FROM reservations WHERE job_id = ?", jobID)
		return err
	})
}

// Spent returns the money reserved and settled for one scope on one day.
func (db *DB) Spent(ctx context.Context, scope, name, day string) (qguard.Spend, error) {
	col := map[string]string{qguard.ScopeUser: "user_name", qguard.ScopeProject: "project"}[scope]
	if col == "" {
		return qguard.Spend{}, qguard.Errorf(qguard.EINVALID, "unknown budget scope %q", scope)
	}
	var reserved, settled int64
	err := db.queryRow(ctx, `SELECT COALESCE(SUM(CASE WHEN settled = 0 THEN amount END), 0),
		COALESCE(SUM(CASE WHEN settled = 1 THEN amount END), 0) FROM reservations WHERE `+col+` = ? AND day = ?`, name, day).
		Scan(&reserved, &settled)
	if err != nil {
		return qguard.Spend{}, err
	}
	return qguard.Spend{Scope: scope, Name: name, Day: day, Reserved: dollars(reserved), Settled: dollars(settled)}, nil
}

// SetBudgetLimit creates or replaces a limit.
func (db *DB) SetBudgetLimit(ctx context.Context, l qguard.BudgetLimit) error {
	if _, ok := spentQuery[l.Scope]; !ok {
		return qguard.Errorf(qguard.EINVALID, "unknown budget scope %q", l.Scope)
	}
	_, err := db.exec(ctx, `INSERT INTO budget_limits (scope, name, daily) VALUES (?, ?, ?)
		ON CONFLICT (scope, name) DO UPDATE SET daily = excluded.daily`, l.Scope, l.Name, micro(l.Daily))
	return err
}

// BudgetLimits returns every limit, ordered by scope and name.
func (db *DB) BudgetLimits(ctx context.Context) ([]qguard.BudgetLimit, error) {
	rows, err := db.query(ctx, "SELECT scope, name, daily FROM budget_limits ORDER BY scope, name")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var limits []qguard.BudgetLimit
	for rows.Next() {
		var l qguard.BudgetLimit
		var daily int64
		if err := rows.Scan(&l.Scope, &l.Name, &daily); err != nil {
			return nil, err
		}
		l.Daily = dollars(daily)
		limits = append(limits, l)
	}
	return limits, rows.Err()
}

var costGroup = map[string]string{
	"user":     "r.user_name",
	"project":  "r.project",
	"provider": "COALESCE(j.provider, '')",
}

// CostSince sums the settled and reserved cost of jobs created since t
// (reservations without a job count from when they were made), grouped by
// "user", "project" or "provider".
func (db *DB) CostSince(ctx context.Context, since time.Time, by string) (map[string]float64, error) {
	group, ok := costGroup[by]
	if !ok {
		return nil, qguard.Errorf(qguard.EINVALID, "cannot group costs by %q: use user, project or provider", by)
	}
	rows, err := db.query(ctx, fmt.Sprintf(`SELECT %s, SUM(r.amount) FROM reservations r LEFT JOIN jobs j ON j.id = r.job_id
		WHERE COALESCE(j.created_at, r.created_at) >= ? GROUP BY 1`, group), nanos(since))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	costs := make(map[string]float64)
	for rows.Next() {
		var key string
		var sum int64
		if err := rows.Scan(&key, &sum); err != nil {
			return nil, err
		}
		costs[key] = dollars(sum)
	}
	return costs, rows.Err()
}
