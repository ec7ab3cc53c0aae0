// Package postgres is qguard's shared store: every [qguard.Store] method on
// one PostgreSQL database (pgx/v5 with a connection pool), so that several
// gateway replicas behind a load balancer keep one truth.
//
// # Concurrency across replicas
//
// Each method is one transaction at READ COMMITTED; what must not race is
// serialised by row locks that every replica takes the same way:
//
//   - Reserve locks the running totals of the (scope, name, day) rows it
//     checks, creating them with INSERT … ON CONFLICT DO UPDATE, in one
//     fixed order, so two replicas never both see the same headroom and
//     never deadlock.
//   - AppendAudit increments the one audit_head row (UPDATE … RETURNING):
//     its lock serialises appends, and the index is assigned inside the
//     transaction that stores the entry, so the log has no gaps.
//   - ClaimJobs leases jobs with SELECT … FOR UPDATE SKIP LOCKED, so each
//     unfinished job is followed by one replica at a time. Lease expiry is
//     judged by the database's clock, one clock for every replica.
//   - AddSecurityEvent takes a transaction-scoped advisory lock on the
//     dedup key, so two replicas do not both record the same event.
//
// A transaction that fails with a serialization failure or a deadlock is
// retried. A lost connection is a plain error: the gateway answers 503 and
// /readyz reports not ready; the pool reconnects by itself once the server
// is back.
//
// # Migrations
//
// Versioned migrations are embedded (migration/NNN_name.sql) and applied by
// [Open] under an advisory lock, so replicas starting together apply each
// migration once.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"math"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/qguard/qguard"
	"github.com/qguard/qguard/config"
)

//go:embed migration/*.sql
var migrationFS embed.FS

var (
	_ qguard.Store     = (*DB)(nil)
	_ qguard.BlobStore = (*DB)(nil)
)

// DB is a qguard store in a PostgreSQL database.
type DB struct {
	pool *pgxpool.Pool
}

type options struct {
	pool   config.Store
	schema string
}

// Option changes how [Open] connects.
type Option func(*options)

// WithPool applies the pool settings of the store section of config.yaml
// (max_conns, min_conns, max_conn_lifetime, max_conn_idle_time,
// connect_timeout). Zero values keep pgx's defaults.
func WithPool(c config.Store) Option { return func(o *options) { o.pool = c } }

// WithSchema keeps qguard's tables in schema (created when missing)
// instead of the connection's default search_path, so that several
// qguard deployments or tests can share one database.
func WithSchema(schema string) Option { return func(o *options) { o.schema = schema } }

// Open connects to the database at dsn (postgres://…), applies the
// migrations it lacks and checks that it answers. Errors never include the
// DSN's password.
func Open(ctx context.Context, dsn string, opts ...Option) (*DB, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres DSN: %w", err)
	}
	if n := o.pool.MaxConns; n > 0 {
		cfg.MaxConns = int32(min(n, math.MaxInt32))
	}
	if n := o.pool.MinConns; n > 0 {
		cfg.MinConns = int32(min(n, int(cfg.MaxConns)))
	}
	if d := o.pool.MaxConnLifetime; d > 0 {
		cfg.MaxConnLifetime = d
	}
	if d := o.pool.MaxConnIdleTime; d > 0 {
		cfg.MaxConnIdleTime = d
	}
	if d := o.pool.ConnectTimeout; d > 0 {
		cfg.ConnConfig.ConnectTimeout = d
	}
	if o.schema != "" {
		if err := createSchema(ctx, cfg.ConnConfig.Copy(), o.schema); err != nil {
			return nil, err
		}
		cfg.ConnConfig.RuntimeParams["search_path"] = o.schema
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	db := &DB{pool: pool}
	if err := db.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return db, nil
}

// createSchema creates schema when missing, on a connection of its own.
func createSchema(ctx context.Context, cfg *pgx.ConnConfig, schema string) error {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	// Replicas starting together may race to create it: losing is fine.
	_, err = conn.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{schema}.Sanitize())
	if err != nil && !isConflict(err) && pgCode(err) != "42P06" { // duplicate_schema
		return fmt.Errorf("create schema %s: %w", schema, err)
	}
	return nil
}

// Ping reports whether the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres ping: %w", err)
	}
	return nil
}

// Close closes the pool's connections, waiting for those in use.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

type migration struct {
	version int
	file    string
}

// migrations lists the embedded migrations in version order.
func migrations() ([]migration, error) {
	names, err := fs.Glob(migrationFS, "migration/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, name := range names {
		base := path.Base(name)
		v, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a version number", base)
		}
		ms = append(ms, migration{v, name})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, fmt.Errorf("migrations %s and %s have the same version", ms[i-1].file, ms[i].file)
		}
	}
	return ms, nil
}

// migrateLockKey names the advisory lock that serialises migrations of the
// schema qguard uses; it is derived from the schema so that deployments in
// other schemas of the same database do not wait for each other.
func migrateLockKey(schema string) int64 {
	h := fnv.New64a()
	h.Write([]byte("qguard-migrate:" + schema))
	return int64(h.Sum64())
}

// migrate applies the embedded migrations the database lacks, each in its
// own transaction, while holding an advisory lock so that replicas starting
// together do not apply one twice.
func (db *DB) migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	defer conn.Release()
	var schema *string // NULL when no schema of the search_path exists
	if err := conn.QueryRow(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if schema == nil || *schema == "" {
		return errors.New("no schema to create qguard's tables in: the DSN's search_path names no existing schema\nhint: create the schema (CREATE SCHEMA …) or fix search_path")
	}
	key := migrateLockKey(*schema)
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", key); err != nil {
		return fmt.Errorf("migrate: lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", key)

	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	var current int
	if err := conn.QueryRow(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Scan(&current); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if len(ms) > 0 && current > ms[len(ms)-1].version {
		return fmt.Errorf("database schema version %d is newer than this qguard knows (%d); upgrade qguard", current, ms[len(ms)-1].version)
	}
	for _, m := range ms {
		if m.version <= current {
			continue
		}
		body, err := migrationFS.ReadFile(m.file)
		if err != nil {
			return err
		}
		err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			// Simple protocol: a migration is several statements.
			if _, err := tx.Exec(ctx, string(body), pgx.QueryExecModeSimpleProtocol); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, now())",
				m.version, path.Base(m.file))
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %s: %w", path.Base(m.file), err)
		}
	}
	return nil
}

// SchemaVersion returns the latest applied migration.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := db.pool.QueryRow(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Scan(&v)
	return v, err
}

// maxAttempts bounds the retries of a transaction that PostgreSQL aborted
// to resolve a conflict.
const maxAttempts = 5

// tx runs fn in a transaction and commits it, retrying the whole
// transaction when PostgreSQL reports a serialization failure or a
// deadlock (fn must then be safe to run again).
func (db *DB) tx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	var err error
	for attempt := range maxAttempts {
		err = pgx.BeginFunc(ctx, db.pool, fn)
		if !retryable(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(attempt+1) * 5 * time.Millisecond):
		}
	}
	return err
}

// PostgreSQL error codes qguard reacts to.
const (
	codeUniqueViolation      = "23505"
	codeSerializationFailure = "40001"
	codeDeadlockDetected     = "40P01"
)

func pgCode(err error) string {
	var e *pgconn.PgError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func retryable(err error) bool {
	c := pgCode(err)
	return c == codeSerializationFailure || c == codeDeadlockDetected
}

// isConflict reports whether err is a UNIQUE or PRIMARY KEY violation.
func isConflict(err error) bool { return pgCode(err) == codeUniqueViolation }

// notFound maps pgx.ErrNoRows to ENOTFOUND with msg.
func notFound(err error, format string, args ...any) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return qguard.Errorf(qguard.ENOTFOUND, format, args...)
	}
	return err
}

// affected returns ENOTFOUND when tag reports no changed row.
func affected(tag pgconn.CommandTag, err error, format string, args ...any) error {
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return qguard.Errorf(qguard.ENOTFOUND, format, args...)
	}
	return nil
}

// utc returns t in UTC; pgx reads timestamptz in the local zone.
func utc(t time.Time) time.Time { return t.UTC() }

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// orNow returns t, or the current time when t is zero.
func orNow(t time.Time) time.Time {
	if t.IsZero() {
		return time.Now().UTC()
	}
	return t
}

// Money in budgets is integer micro-dollars so that sums are exact.

func micro(usd float64) int64 { return int64(math.Round(usd * 1e6)) }

func dollars(micro int64) float64 { return float64(micro) / 1e6 }

// details returns d for a jsonb column: nil (SQL NULL) when empty.
func details(d map[string]string) any {
	if len(d) == 0 {
		return nil
	}
	return d
}

// Now returns the database server's clock: one reference that every
// replica shares, against which a replica can measure its own clock's
// skew (auth.clock_skew is only a guarantee while replicas stay within it).
func (db *DB) Now(ctx context.Context) (time.Time, error) {
	var t time.Time
	if err := db.pool.QueryRow(ctx, "SELECT clock_timestamp()").Scan(&t); err != nil {
		return time.Time{}, fmt.Errorf("postgres clock: %w", err)
	}
	return t.UTC(), nil
}
