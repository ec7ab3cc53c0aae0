package postgres

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/qguard/qguard"
)

var scopes = map[string]bool{qguard.ScopeUser: true, qguard.ScopeProject: true}

type spendKey struct{ scope, name string }

// lockSpend creates (when missing) and locks the running totals of keys for
// day, in a fixed order so that concurrent transactions never deadlock, and
// returns reserved + settled per key. INSERT … ON CONFLICT DO UPDATE locks
// the row whether it inserted or found it; the lock is held until the
// transaction ends, which is what serialises Reserve across replicas.
func lockSpend(ctx context.Context, tx pgx.Tx, day string, keys []spendKey) (map[spendKey]int64, error) {
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].scope != keys[j].scope {
			return keys[i].scope < keys[j].scope
		}
		return keys[i].name < keys[j].name
	})
	spent := make(map[spendKey]int64, len(keys))
	for _, k := range keys {
		if _, dup := spent[k]; dup {
			continue
		}
		var reserved, settled int64
		err := tx.QueryRow(ctx, `INSERT INTO budget_spend AS s (scope, name, day) VALUES ($1, $2, $3)
			ON CONFLICT (scope, name, day) DO UPDATE SET reserved = s.reserved
			RETURNING s.reserved, s.settled`, k.scope, k.name, day).Scan(&reserved, &settled)
		if err != nil {
			return nil, err
		}
		spent[k] = reserved + settled
	}
	return spent, nil
}

// addSpend adds to the running totals of a reservation's user and project,
// which the transaction has locked with lockSpend.
func addSpend(ctx context.Context, tx pgx.Tx, user, project, day string, reserved, settled int64) error {
	_, err := tx.Exec(ctx, `UPDATE budget_spend SET reserved = reserved + $1, settled = settled + $2
		WHERE day = $3 AND ((scope = 'user' AND name = $4) OR (scope = 'project' AND name = $5))`,
		reserved, settled, day, user, project)
	return err
}

func ownKeys(user, project string) []spendKey {
	return []spendKey{{qguard.ScopeProject, project}, {qguard.ScopeUser, user}}
}

// Reserve records r if it fits every limit. The totals it checks are
// locked for the transaction, so concurrent reservations on any replica
// cannot both see the same headroom.
func (db *DB) Reserve(ctx context.Context, r qguard.Reservation, limits []qguard.BudgetLimit) error {
	if r.JobID == "" || r.Day == "" {
		return qguard.Errorf(qguard.EINVALID, "a reservation needs a job id and a day")
	}
	if r.Amount < 0 {
		return qguard.Errorf(qguard.EINVALID, "a reservation cannot be negative")
	}
	keys := ownKeys(r.User, r.Project)
	for _, l := range limits {
		if !scopes[l.Scope] {
			return qguard.Errorf(qguard.EINVALID, "unknown budget scope %q", l.Scope)
		}
		if l.Daily >= 0 {
			keys = append(keys, spendKey{l.Scope, l.Name})
		}
	}
	amount := micro(r.Amount)
	return db.tx(ctx, func(tx pgx.Tx) error {
		spent, err := lockSpend(ctx, tx, r.Day, keys)
		if err != nil {
			return err
		}
		for _, l := range limits {
			if l.Daily < 0 {
				continue
			}
			if s := spent[spendKey{l.Scope, l.Name}]; s+amount > micro(l.Daily) {
				return qguard.Errorf(qguard.EBUDGETEXCEEDED,
					"daily budget of %s %s exceeded: $%.2f of $%.2f already spent or reserved on %s, this job needs $%.2f",
					l.Scope, l.Name, dollars(s), l.Daily, r.Day, r.Amount)
			}
		}
		_, err = tx.Exec(ctx, "INSERT INTO reservations (job_id, user_name, project, day, amount, settled, created_at) VALUES ($1, $2, $3, $4, $5, false, $6)",
			r.JobID, r.User, r.Project, r.Day, amount, time.Now().UTC())
		if isConflict(err) {
			return qguard.Errorf(qguard.ECONFLICT, "job %s already has a reservation", r.JobID)
		}
		if err != nil {
			return err
		}
		return addSpend(ctx, tx, r.User, r.Project, r.Day, amount, 0)
	})
}

type reservation struct {
	user, project, day string
	amount             int64
	settled            bool
}

// lockReservation reads and locks a job's reservation and then the totals
// it counts in (the same order as Reserve: totals after the reservation
// row, which Reserve never waits for).
func lockReservation(ctx context.Context, tx pgx.Tx, jobID string) (reservation, error) {
	var r reservation
	err := tx.QueryRow(ctx, "SELECT user_name, project, day, amount, settled FROM reservations WHERE job_id = $1 FOR UPDATE", jobID).
		Scan(&r.user, &r.project, &r.day, &r.amount, &r.settled)
	if err != nil {
		return r, notFound(err, "job %s has no reservation", jobID)
	}
	_, err = lockSpend(ctx, tx, r.day, ownKeys(r.user, r.project))
	return r, err
}

// Settle replaces a job's reservation by its actual cost; settling again
// replaces the settled cost.
func (db *DB) Settle(ctx context.Context, jobID string, actual float64) error {
	if actual < 0 {
		return qguard.Errorf(qguard.EINVALID, "a cost cannot be negative")
	}
	cost := micro(actual)
	return db.tx(ctx, func(tx pgx.Tx) error {
		r, err := lockReservation(ctx, tx, jobID)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE reservations SET amount = $1, settled = true WHERE job_id = $2", cost, jobID); err != nil {
			return err
		}
		if r.settled {
			return addSpend(ctx, tx, r.user, r.project, r.day, 0, cost-r.amount)
		}
		return addSpend(ctx, tx, r.user, r.project, r.day, -r.amount, cost)
	})
}

// Release drops the unsettled reservation of a job; ENOTFOUND when there is
// none, ECONFLICT when it is already settled.
func (db *DB) Release(ctx context.Context, jobID string) error {
	return db.tx(ctx, func(tx pgx.Tx) error {
		r, err := lockReservation(ctx, tx, jobID)
		if err != nil {
			return err
		}
		if r.settled {
			return qguard.Errorf(qguard.ECONFLICT, "job %s is settled; its cost cannot be released", jobID)
		}
		if _, err := tx.Exec(ctx, "DELETE FROM reservations WHERE job_id = $1", jobID); err != nil {
			return err
		}
		return addSpend(ctx, tx, r.user, r.project, r.day, -r.amount, 0)
	})
}

// Spent returns the money reserved and settled for one scope on one day.
func (db *DB) Spent(ctx context.Context, scope, name, day string) (qguard.Spend, error) {
	if !scopes[scope] {
		return qguard.Spend{}, qguard.Errorf(qguard.EINVALID, "unknown budget scope %q", scope)
	}
	var reserved, settled int64
	err := db.pool.QueryRow(ctx, "SELECT reserved, settled FROM budget_spend WHERE scope = $1 AND name = $2 AND day = $3", scope, name, day).
		Scan(&reserved, &settled)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return qguard.Spend{}, err
	}
	return qguard.Spend{Scope: scope, Name: name, Day: day, Reserved: dollars(reserved), Settled: dollars(settled)}, nil
}

// SetBudgetLimit creates or replaces a limit.
func (db *DB) SetBudgetLimit(ctx context.Context, l qguard.BudgetLimit) error {
	if !scopes[l.Scope] {
		return qguard.Errorf(qguard.EINVALID, "unknown budget scope %q", l.Scope)
	}
	_, err := db.pool.Exec(ctx, `INSERT INTO budget_limits (scope, name, daily) VALUES ($1, $2, $3)
		ON CONFLICT (scope, name) DO UPDATE SET daily = EXCLUDED.daily`, l.Scope, l.Name, micro(l.Daily))
	return err
}

// BudgetLimits returns every limit, ordered by scope and name.
func (db *DB) BudgetLimits(ctx context.Context) ([]qguard.BudgetLimit, error) {
	rows, err := db.pool.Query(ctx, `SELECT scope, name, daily FROM budget_limits ORDER BY scope COLLATE "C", name COLLATE "C"`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (qguard.BudgetLimit, error) {
		var l qguard.BudgetLimit
		var daily int64
		err := r.Scan(&l.Scope, &l.Name, &daily)
		l.Daily = dollars(daily)
		return l, err
	})
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
	rows, err := db.pool.Query(ctx, fmt.Sprintf(`SELECT %s, SUM(r.amount)::bigint FROM reservations r LEFT JOIN jobs j ON j.id = r.job_id
		WHERE COALESCE(j.created_at, r.created_at) >= $1 GROUP BY 1`, group), since)
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

// ReleaseOrphans repairs unsettled reservations made before before that a
// crash left behind: those whose job was never created, or ended failed or
// cancelled, are released; those whose job completed are settled at the
// job's actual cost. Several replicas may sweep at once: each reservation
// is repaired by one of them (under its row lock, re-checked), and counted
// by that one only.
func (db *DB) ReleaseOrphans(ctx context.Context, before time.Time) (int, error) {
	rows, err := db.pool.Query(ctx, `SELECT r.job_id FROM reservations r LEFT JOIN jobs j ON j.id = r.job_id
		WHERE NOT r.settled AND r.created_at < $1 AND (j.id IS NULL OR j.status IN ('completed', 'failed', 'cancelled'))`, before)
	if err != nil {
		return 0, err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return 0, err
	}
	repaired := 0
	for _, id := range ids {
		err := db.tx(ctx, func(tx pgx.Tx) error {
			r, err := lockReservation(ctx, tx, id)
			if err != nil {
				return err
			}
			if r.settled { // settled meanwhile
				return errSkip
			}
			var status string
			var actual *float64
			err = tx.QueryRow(ctx, "SELECT status, actual_cost FROM jobs WHERE id = $1", id).Scan(&status, &actual)
			switch {
			case errors.Is(err, pgx.ErrNoRows): // never created: release
			case err != nil:
				return err
			case status == qguard.JobCompleted:
				cost := int64(0)
				if actual != nil {
					cost = micro(*actual)
				}
				if _, err := tx.Exec(ctx, "UPDATE reservations SET amount = $1, settled = true WHERE job_id = $2", cost, id); err != nil {
					return err
				}
				return addSpend(ctx, tx, r.user, r.project, r.day, -r.amount, cost)
			case !qguard.JobDone(status): // running after all
				return errSkip
			}
			if _, err := tx.Exec(ctx, "DELETE FROM reservations WHERE job_id = $1", id); err != nil {
				return err
			}
			return addSpend(ctx, tx, r.user, r.project, r.day, -r.amount, 0)
		})
		switch {
		case err == nil:
			repaired++
		case errors.Is(err, errSkip), qguard.ErrorCode(err) == qguard.ENOTFOUND: // another replica got there first
		default:
			return repaired, err
		}
	}
	return repaired, nil
}

// errSkip rolls back a transaction that found nothing to do.
var errSkip = errors.New("nothing to do")
