package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/qguard/qguard"
)

const jobColumns = `id, user_id, user_name, project, device, provider, provider_job_id, status, shots, qubits,
	classification, obfuscated, circuit_sha256, estimated_cost, actual_cost, error, created_at, updated_at,
	finished_at, sealed_circuit, sealed_key, sealed_result`

func scanJob(row interface{ Scan(...any) error }) (*qguard.Job, error) {
	var j qguard.Job
	var actual sql.NullFloat64
	var created, updated int64
	var finished sql.NullInt64
	err := row.Scan(&j.ID, &j.UserID, &j.User, &j.Project, &j.Device, &j.Provider, &j.ProviderJobID, &j.Status,
		&j.Shots, &j.Qubits, &j.Classification, &j.Obfuscated, &j.CircuitSHA256, &j.EstimatedCost, &actual,
		&j.Error, &created, &updated, &finished, &j.SealedCircuit, &j.SealedKey, &j.SealedResult)
	if err != nil {
		return nil, err
	}
	if actual.Valid {
		j.ActualCost = &actual.Float64
	}
	j.CreatedAt, j.UpdatedAt, j.FinishedAt = fromNanos(created), fromNanos(updated), fromNullNanos(finished)
	return &j, nil
}

func nullFloat(f *float64) sql.NullFloat64 {
	if f == nil {
		return sql.NullFloat64{}
	}
	return sql.NullFloat64{Float64: *f, Valid: true}
}

// CreateJob stores j. A zero CreatedAt or UpdatedAt becomes the current
// time; a job id that exists gives ECONFLICT.
func (db *DB) CreateJob(ctx context.Context, j *qguard.Job) error {
	j.CreatedAt = orNow(j.CreatedAt)
	if j.UpdatedAt.IsZero() {
		j.UpdatedAt = j.CreatedAt
	}
	_, err := db.exec(ctx, `INSERT INTO jobs (`+jobColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		j.ID, j.UserID, j.User, j.Project, j.Device, j.Provider, j.ProviderJobID, j.Status, j.Shots, j.Qubits,
		j.Classification, j.Obfuscated, j.CircuitSHA256, j.EstimatedCost, nullFloat(j.ActualCost), j.Error,
		nanos(j.CreatedAt), nanos(j.UpdatedAt), nullNanos(j.FinishedAt), j.SealedCircuit, j.SealedKey, j.SealedResult)
	if isConflict(err) {
		return qguard.Errorf(qguard.ECONFLICT, "job %s exists", j.ID)
	}
	return err
}

// JobByID returns a job or ENOTFOUND.
func (db *DB) JobByID(ctx context.Context, id string) (*qguard.Job, error) {
	j, err := scanJob(db.queryRow(ctx, "SELECT "+jobColumns+" FROM jobs WHERE id = ?", id))
	return j, notFound(err, "job %s not found", id)
}

// Jobs returns the jobs that f selects, newest first.
func (db *DB) Jobs(ctx context.Context, f qguard.JobFilter) ([]*qguard.Job, error) {
	var where []string
	var args []any
	if f.UserID != 0 {
		where, args = append(where, "user_id = ?"), append(args, f.UserID)
	}
	if f.Status != "" {
		where, args = append(where, "status = ?"), append(args, f.Status)
	}
	if !f.Since.IsZero() {
		where, args = append(where, "created_at >= ?"), append(args, nanos(f.Since))
	}
	q := "SELECT " + jobColumns + " FROM jobs"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY created_at DESC, seq DESC LIMIT ?"
	limit := -1 // no limit
	if f.Limit > 0 {
		limit = f.Limit
	}
	args = append(args, limit)
	rows, err := db.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var jobs []*qguard.Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, err
		}
		jobs = append(jobs, j)
	}
	return jobs, rows.Err()
}

// UpdateJob writes j's status, provider job id, costs, error, finish time,
// sealed blobs, and sets UpdatedAt to the current time.
func (db *DB) UpdateJob(ctx context.Context, j *qguard.Job) error {
	j.UpdatedAt = time.Now().UTC()
	res, err := db.exec(ctx, `UPDATE jobs SET status = ?, provider_job_id = ?, estimated_cost = ?, actual_cost = ?, error = ?,
		updated_at = ?, finished_at = ?, sealed_circuit = ?, sealed_key = ?, sealed_result = ? WHERE id = ?`,
		j.Status, j.ProviderJobID, j.EstimatedCost, nullFloat(j.ActualCost), j.Error, nanos(j.UpdatedAt),
		nullNanos(j.FinishedAt), j.SealedCircuit, j.SealedKey, j.SealedResult, j.ID)
	if err != nil {
		return err
	}
	return affected(res, "job %s not found", j.ID)
}

// ClaimJobs leases up to n unfinished jobs, oldest first, to owner until
// until. A job is free when it has no lease, its lease has expired, or
// owner already holds it (so a replica renews its own leases).
func (db *DB) ClaimJobs(ctx context.Context, owner string, n int, until time.Time) ([]*qguard.Job, error) {
	if n <= 0 {
		return nil, nil
	}
	now := nanos(time.Now())
	var jobs []*qguard.Job
	err := db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		rows, err := db.txQuery(ctx, tx, `SELECT `+jobColumns+` FROM jobs
			WHERE status IN ('queued', 'running') AND (lease_until IS NULL OR lease_until <= ? OR lease_owner = ?)
			ORDER BY created_at, seq LIMIT ?`, now, owner, n)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			j, err := scanJob(rows)
			if err != nil {
				return err
			}
			jobs = append(jobs, j)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows.Close()
		for _, j := range jobs {
			if _, err := db.txExec(ctx, tx, "UPDATE jobs SET lease_owner = ?, lease_until = ? WHERE id = ?", owner, nanos(until), j.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return jobs, nil
}
