package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/qguard/qguard"
)

var scopes = map[string]bool{qguard.ScopeUser: true, qguard.ScopeProject: true}

// addSpend adds to the running totals of a reservation's user and project.
func (db *DB) addSpend(ctx context.Context, tx *sql.Tx, user, project, day string, reserved, settled int64) error {
	for _, k := range [...]struct{ scope, name string }{{qguard.ScopeUser, user}, {qguard.ScopeProject, project}} {
		_, err := db.txExec(ctx, tx, `INSERT INTO budget_spend (scope, name, day, reserved, settled) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (scope, name, day) DO UPDATE SET reserved = reserved + excluded.reserved, settled = settled + excluded.settled`,
			k.scope, k.name, day, reserved, settled)
		if err != nil {
			return err
		}
	}
	return nil
}

const spendQuery = "SELECT reserved, settled FROM budget_spend WHERE scope = ? AND name = ? AND day = ?"

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
		if !scopes[l.Scope] {
			return qguard.Errorf(qguard.EINVALID, "unknown budget scope %q", l.Scope)
		}
	}
	amount := micro(r.Amount)
	return db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		for _, l := range limits {
			if l.Daily < 0 {
				continue
			}
			var reserved, settled int64
			err := db.txQueryRow(ctx, tx, spendQuery, l.Scope, l.Name, r.Day).Scan(&reserved, &settled)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			if spent := reserved + settled; spent+amount > micro(l.Daily) {
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
		if err != nil {
			return err
		}
		return db.addSpend(ctx, tx, r.User, r.Project, r.Day, amount, 0)
	})
}

// reservation reads a job's reservation inside tx.
func (db *DB) reservation(ctx context.Context, tx *sql.Tx, jobID string) (user, project, day string, amount int64, settled bool, err error) {
	err = db.txQueryRow(ctx, tx, "SELECT user_name, project, day, amount, settled FROM reservations WHERE job_id = ?", jobID).
		Scan(&user, &project, &day, &amount, &settled)
	return user, project, day, amount, settled, notFound(err, "job %s has no reservation", jobID)
}

// Settle replaces a job's reservation by its actual cost; settling again
// replaces the settled cost.
func (db *DB) Settle(ctx context.Context, jobID string, actual float64) error {
	if actual < 0 {
		return qguard.Errorf(qguard.EINVALID, "a cost cannot be negative")
	}
	cost := micro(actual)
	return db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		user, project, day, amount, settled, err := db.reservation(ctx, tx, jobID)
		if err != nil {
			return err
		}
		if _, err := db.txExec(ctx, tx, "UPDATE reservations SET amount = ?, settled = 1 WHERE job_id = ?", cost, jobID); err != nil {
			return err
		}
		if settled {
			return db.addSpend(ctx, tx, user, project, day, 0, cost-amount)
		}
		return db.addSpend(ctx, tx, user, project, day, -amount, cost)
	})
}

// Release drops the unsettled reservation of a job; ENOTFOUND when there is
// none, ECONFLICT when it is already settled.
func (db *DB) Release(ctx context.Context, jobID string) error {
	return db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		user, project, day, amount, settled, err := db.reservation(ctx, tx, jobID)
		if err != nil {
			return err
		}
		if settled {
			return qguard.Errorf(qguard.ECONFLICT, "job %s is settled; its cost cannot be released", jobID)
		}
		if _, err := db.txExec(ctx, tx, "DELETE FROM reservations WHERE job_id = ?", jobID); err != nil {
			return err
		}
		return db.addSpend(ctx, tx, user, project, day, -amount, 0)
	})
}

// Spent returns the money reserved and settled for one scope on one day.
func (db *DB) Spent(ctx context.Context, scope, name, day string) (qguard.Spend, error) {
	if !scopes[scope] {
		return qguard.Spend{}, qguard.Errorf(qguard.EINVALID, "unknown budget scope %q", scope)
	}
	var reserved, settled int64
	err := db.queryRow(ctx, spendQuery, scope, name, day).Scan(&reserved, &settled)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return qguard.Spend{}, err
	}
	return qguard.Spend{Scope: scope, Name: name, Day: day, Reserved: dollars(reserved), Settled: dollars(settled)}, nil
}

// SetBudgetLimit creates or replaces a limit.
func (db *DB) SetBudgetLimit(ctx context.Context, l qguard.BudgetLimit) error {
	if !scopes[l.Scope] {
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
