package postgres

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/qguard/qguard"
)

const jobColumns = `id, user_id, user_name, project, device, provider, provider_job_id, status, shots, qubits,
	classification, obfuscated, circuit_sha256, estimated_cost, actual_cost, error, created_at, updated_at,
	finished_at, sealed_circuit, sealed_key, sealed_result`

func scanJob(row pgx.Row, extra ...any) (*qguard.Job, error) {
	var j qguard.Job
	dest := []any{&j.ID, &j.UserID, &j.User, &j.Project, &j.Device, &j.Provider, &j.ProviderJobID, &j.Status,
		&j.Shots, &j.Qubits, &j.Classification, &j.Obfuscated, &j.CircuitSHA256, &j.EstimatedCost, &j.ActualCost,
		&j.Error, &j.CreatedAt, &j.UpdatedAt, &j.FinishedAt, &j.SealedCircuit, &j.SealedKey, &j.SealedResult}
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return nil, err
	}
	j.CreatedAt, j.UpdatedAt, j.FinishedAt = utc(j.CreatedAt), utc(j.UpdatedAt), utcPtr(j.FinishedAt)
	return &j, nil
}

// CreateJob stores j. A zero CreatedAt or UpdatedAt becomes the current
// time; a job id that exists gives ECONFLICT.
func (db *DB) CreateJob(ctx context.Context, j *qguard.Job) error {
	j.CreatedAt = orNow(j.CreatedAt)
	if j.UpdatedAt.IsZero() {
		j.UpdatedAt = j.CreatedAt
	}
	_, err := db.pool.Exec(ctx, `INSERT INTO jobs (`+jobColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)`,
		j.ID, j.UserID, j.User, j.Project, j.Device, j.Provider, j.ProviderJobID, j.Status, j.Shots, j.Qubits,
		j.Classification, j.Obfuscated, j.CircuitSHA256, j.EstimatedCost, j.ActualCost, j.Error,
		j.CreatedAt, j.UpdatedAt, j.FinishedAt, j.SealedCircuit, j.SealedKey, j.SealedResult)
	if isConflict(err) {
		return qguard.Errorf(qguard.ECONFLICT, "job %s exists", j.ID)
	}
	return err
}

// JobByID returns a job or ENOTFOUND.
func (db *DB) JobByID(ctx context.Context, id string) (*qguard.Job, error) {
	j, err := scanJob(db.pool.QueryRow(ctx, "SELECT "+jobColumns+" FROM jobs WHERE id = $1", id))
	return j, notFound(err, "job %s not found", id)
}

func collectJobs(rows pgx.Rows) ([]*qguard.Job, error) {
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*qguard.Job, error) { return scanJob(r) })
}

// Jobs returns the jobs that f selects, newest first.
func (db *DB) Jobs(ctx context.Context, f qguard.JobFilter) ([]*qguard.Job, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.UserID != 0 {
		where = append(where, "user_id = "+arg(f.UserID))
	}
	if f.Status != "" {
		where = append(where, "status = "+arg(f.Status))
	}
	if !f.Since.IsZero() {
		where = append(where, "created_at >= "+arg(f.Since))
	}
	q := "SELECT " + jobColumns + " FROM jobs"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY created_at DESC, seq DESC"
	if f.Limit > 0 {
		q += " LIMIT " + arg(f.Limit)
	}
	rows, err := db.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return collectJobs(rows)
}

// UpdateJob writes j's status, provider job id, costs, error, finish time,
// sealed blobs, and sets UpdatedAt to the current time.
func (db *DB) UpdateJob(ctx context.Context, j *qguard.Job) error {
	now := time.Now().UTC()
	tag, err := db.pool.Exec(ctx, `UPDATE jobs SET status = $1, provider_job_id = $2, estimated_cost = $3, actual_cost = $4, error = $5,
		updated_at = $6, finished_at = $7, sealed_circuit = $8, sealed_key = $9, sealed_result = $10 WHERE id = $11`,
		j.Status, j.ProviderJobID, j.EstimatedCost, j.ActualCost, j.Error, now,
		j.FinishedAt, j.SealedCircuit, j.SealedKey, j.SealedResult, j.ID)
	if err := affected(tag, err, "job %s not found", j.ID); err != nil {
		return err
	}
	j.UpdatedAt = now
	return nil
}

// ClaimJobs leases up to n unfinished jobs, oldest first, to owner until
// until. A job is free when it has no lease, its lease has expired by the
// database's clock, or owner already holds it (a replica renews its own
// leases). Rows another replica is claiming at the same moment are skipped
// (FOR UPDATE SKIP LOCKED), so no job is leased to two owners.
func (db *DB) ClaimJobs(ctx context.Context, owner string, n int, until time.Time) ([]*qguard.Job, error) {
	if n <= 0 {
		return nil, nil
	}
	rows, err := db.pool.Query(ctx, `WITH free AS (
			SELECT seq FROM jobs
			WHERE status IN ('queued', 'running') AND (lease_until IS NULL OR lease_until <= clock_timestamp() OR lease_owner = $1)
			ORDER BY created_at, seq LIMIT $2
			FOR UPDATE SKIP LOCKED)
		UPDATE jobs SET lease_owner = $1, lease_until = $3 FROM free WHERE jobs.seq = free.seq
		RETURNING `+prefixed("jobs.", jobColumns)+`, jobs.seq`, owner, n, until)
	if err != nil {
		return nil, err
	}
	type claimed struct {
		job *qguard.Job
		seq int64
	}
	got, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (claimed, error) {
		var c claimed
		j, err := scanJob(r, &c.seq)
		c.job = j
		return c, err
	})
	if err != nil {
		return nil, err
	}
	// RETURNING has no order: put the oldest first again.
	sort.Slice(got, func(a, b int) bool {
		ja, jb := got[a].job, got[b].job
		if !ja.CreatedAt.Equal(jb.CreatedAt) {
			return ja.CreatedAt.Before(jb.CreatedAt)
		}
		return got[a].seq < got[b].seq
	})
	jobs := make([]*qguard.Job, len(got))
	for i, c := range got {
		jobs[i] = c.job
	}
	return jobs, nil
}

// prefixed qualifies each column of a comma-separated list with prefix.
func prefixed(prefix, columns string) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = prefix + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}
