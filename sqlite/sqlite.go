// Package sqlite is qguard's embedded store: every [qguard.Store] method on
// one SQLite database file (modernc.org/sqlite, pure Go, no cgo).
//
// # Concurrency
//
// SQLite has one writer at a time. [DB] keeps one write connection, used by
// one goroutine that commits queued writes in groups (see write): writers
// in this process queue in Go instead of spinning on SQLITE_BUSY, and a
// group shares one fsync. Every write transaction starts with BEGIN
// IMMEDIATE, so that another process (the CLI beside a running server)
// cannot read-then-write between our read and our write; busy_timeout makes
// it wait for the lock. Reads use a separate pool of read-only connections
// and, in WAL mode, run concurrently with the writer.
//
// # Durability
//
// The database runs in WAL mode with synchronous=FULL by default: a commit
// returns only after the WAL is fsynced, so a write the caller was told
// succeeded survives kill -9 of the process and also a power loss or kernel
// crash. synchronous=NORMAL ([WithSynchronous]) also survives kill -9 of the
// process (the WAL is in the OS page cache, which outlives the process), but
// a power loss can lose the last transactions; it is faster because it
// fsyncs only at checkpoints. See docs/users.md for the figures.
//
// # Files
//
// The database file, its -wal and -shm files are mode 0600; a missing
// parent directory is created 0700.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/qguard/qguard"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migration/*.sql
var migrationFS embed.FS

var _ qguard.Store = (*DB)(nil)

// DB is a qguard store in one SQLite database file.
type DB struct {
	path string
	w    *sql.DB // exactly one connection, used by the writer goroutine only
	r    *sql.DB // read-only connections
	ws   stmtCache
	rs   stmtCache

	ops       chan *writeOp // unbuffered: waiting senders are the queue
	stop      chan struct{} // closed by Close
	stopped   chan struct{} // closed when the writer goroutine has returned
	closeOnce sync.Once
}

type options struct {
	synchronous string
	busyTimeout time.Duration
}

// Option changes how [Open] opens the database.
type Option func(*options)

// WithSynchronous sets SQLite's synchronous mode: "full" (the default;
// commits survive power loss) or "normal" (commits survive a crash of the
// process but the last ones may be lost on power loss).
func WithSynchronous(mode string) Option { return func(o *options) { o.synchronous = mode } }

// WithBusyTimeout sets how long a write waits for another process holding
// the write lock (default 5s).
func WithBusyTimeout(d time.Duration) Option { return func(o *options) { o.busyTimeout = d } }

// Open opens (creating if needed) the database at path and migrates it to
// the latest schema.
func Open(ctx context.Context, path string, opts ...Option) (*DB, error) {
	o := options{synchronous: "full", busyTimeout: 5 * time.Second}
	for _, opt := range opts {
		opt(&o)
	}
	syncMode := strings.ToUpper(o.synchronous)
	if syncMode != "FULL" && syncMode != "NORMAL" {
		return nil, fmt.Errorf("sqlite synchronous mode must be full or normal, not %q", o.synchronous)
	}
	if path == "" || path == ":memory:" || strings.ContainsAny(path, "?#") || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("sqlite: %q is not a plain file path", path)
	}
	if err := prepareFiles(path); err != nil {
		return nil, err
	}
	busy := strconv.FormatInt(o.busyTimeout.Milliseconds(), 10)
	// mmap lets readers take pages from the page cache without a read
	// system call each.
	common := "_pragma=busy_timeout(" + busy + ")&_pragma=foreign_keys(0)&_pragma=synchronous(" + syncMode + ")&_pragma=mmap_size(268435456)"
	w, err := sql.Open("sqlite", path+"?_txlock=immediate&_pragma=journal_mode(WAL)&"+common)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	db := &DB{path: path, w: w, ops: make(chan *writeOp), stop: make(chan struct{}), stopped: make(chan struct{})}
	db.ws.db = w
	go db.writer()
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	r, err := sql.Open("sqlite", path+"?_pragma=query_only(1)&"+common)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	n := max(4, 2*runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	db.r = r
	db.rs.db = r
	if err := db.Ping(ctx); err != nil {
		db.Close()
		return nil, err
	}
	// The WAL and shared-memory files exist now; SQLite creates them with
	// the main file's mode, this makes sure of it.
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := tighten(path + suffix); err != nil {
			db.Close()
			return nil, err
		}
	}
	return db, nil
}

// prepareFiles creates the parent directory 0700 when missing and the
// database file 0600, so that SQLite never creates it under a lax umask.
func prepareFiles(path string) error {
	dir := filepath.Dir(path)
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("create database directory: %w", err)
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	f.Close()
	return tighten(path)
}

// tighten makes an existing file 0600.
func tighten(path string) error {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(path, 0o600); err != nil {
			return fmt.Errorf("restrict %s to mode 0600: %w", path, err)
		}
	}
	return nil
}

// Path returns the database file's path.
func (db *DB) Path() string { return db.path }

// Ping reports whether the database answers a read.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	if err := db.r.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("sqlite ping: %w", err)
	}
	return nil
}

// Close waits for queued writes to finish and closes the database.
// Writes after Close fail.
func (db *DB) Close() error {
	db.closeOnce.Do(func() { close(db.stop) })
	<-db.stopped
	db.ws.close()
	db.rs.close()
	var errs []error
	if db.r != nil {
		errs = append(errs, db.r.Close())
	}
	errs = append(errs, db.w.Close())
	return errors.Join(errs...)
}

// migrate applies the embedded migrations that the database lacks, each in
// its own transaction.
func (db *DB) migrate(ctx context.Context) error {
	if _, err := db.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	names, err := fs.Glob(migrationFS, "migration/*.sql")
	if err != nil {
		return err
	}
	type migration struct {
		version int
		name    string
	}
	var ms []migration
	for _, name := range names {
		base := filepath.Base(name)
		v, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: name must start with a version number", base)
		}
		ms = append(ms, migration{v, name})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return fmt.Errorf("migrations %s and %s have the same version", ms[i-1].name, ms[i].name)
		}
	}
	var current int
	if err := db.w.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Scan(&current); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if len(ms) > 0 && current > ms[len(ms)-1].version {
		return fmt.Errorf("database schema version %d is newer than this qguard knows (%d); upgrade qguard", current, ms[len(ms)-1].version)
	}
	for _, m := range ms {
		if m.version <= current {
			continue
		}
		body, err := migrationFS.ReadFile(m.name)
		if err != nil {
			return err
		}
		err = db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
				m.version, filepath.Base(m.name), time.Now().UnixNano())
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %s: %w", filepath.Base(m.name), err)
		}
	}
	return nil
}

// SchemaVersion returns the latest applied migration.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := db.r.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Scan(&v)
	return v, err
}

// maxBatch bounds how many queued writes share one transaction.
const maxBatch = 128

// writeOp is one write waiting for the writer goroutine.
type writeOp struct {
	ctx  context.Context
	fn   func(ctx context.Context, tx *sql.Tx) error
	done chan error
}

var errClosed = errors.New("sqlite: database closed")

// write runs fn in a write transaction and returns once that transaction
// has committed (or fn failed and its changes were undone).
//
// Writes go through one goroutine that commits them in batches (group
// commit): the writes queued while one transaction commits all go into the
// next transaction, each inside its own SAVEPOINT so that one failing write
// undoes only itself. With synchronous=FULL this shares one fsync among the
// batch, which is what lets many concurrent requests be durable without
// waiting for one fsync each. fn gets a context that is not cancelled: an
// interrupted statement would roll back the whole batch, so cancellation
// is only honoured before fn starts.
func (db *DB) write(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	op := &writeOp{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case db.ops <- op:
	case <-ctx.Done():
		return ctx.Err()
	case <-db.stop:
		return errClosed
	}
	// Wait even if ctx ends now: the write may already be committed.
	return <-op.done
}

// writer runs queued writes in batches until Close.
func (db *DB) writer() {
	defer close(db.stopped)
	for {
		var first *writeOp
		select {
		case first = <-db.ops:
		case <-db.stop:
			return
		}
		batch := []*writeOp{first}
	drain:
		for len(batch) < maxBatch {
			select {
			case op := <-db.ops:
				batch = append(batch, op)
			default:
				break drain
			}
		}
		db.runBatch(batch)
	}
}

// runBatch runs ops in one transaction and reports each op's outcome.
func (db *DB) runBatch(ops []*writeOp) {
	ctx := context.Background()
	errs := make([]error, len(ops))
	fatal := func() error {
		tx, err := db.w.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("begin: %w", err)
		}
		single := len(ops) == 1
		for i, op := range ops {
			if err := op.ctx.Err(); err != nil {
				errs[i] = err
				continue
			}
			if single { // no savepoint needed: a failure rolls back the transaction
				if errs[i] = op.fn(ctx, tx); errs[i] != nil {
					tx.Rollback()
					return nil
				}
				continue
			}
			if _, err := tx.ExecContext(ctx, "SAVEPOINT op"); err != nil {
				tx.Rollback()
				return err
			}
			if errs[i] = op.fn(ctx, tx); errs[i] != nil {
				if _, err := tx.ExecContext(ctx, "ROLLBACK TO op"); err != nil {
					tx.Rollback()
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, "RELEASE op"); err != nil {
				tx.Rollback()
				return err
			}
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("commit: %w", err)
		}
		return nil
	}()
	for i, op := range ops {
		if fatal != nil && errs[i] == nil {
			errs[i] = fatal
		}
		op.done <- errs[i]
	}
	// The write connection is free: prepare what the batch ran unprepared.
	db.ws.prepareMissed(ctx)
}

// stmtCache prepares each query once per database handle.
//
// The writer has one connection, which a transaction holds, so a statement
// cannot be prepared on it inside a transaction (database/sql would wait
// for a second connection forever). A miss inside a transaction runs the
// query unprepared and notes it; write prepares the noted queries once the
// transaction has ended.
type stmtCache struct {
	db     *sql.DB
	mu     sync.Mutex
	m      map[string]*sql.Stmt
	missed map[string]bool
}

// lookup returns the prepared statement for query, or nil after noting the
// miss.
func (c *stmtCache) lookup(query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.m[query]; ok {
		return s
	}
	if c.missed == nil {
		c.missed = make(map[string]bool)
	}
	c.missed[query] = true
	return nil
}

func (c *stmtCache) prepareMissed(ctx context.Context) {
	c.mu.Lock()
	missed := c.missed
	c.missed = nil
	c.mu.Unlock()
	for q := range missed {
		// A failure here only means the next run is unprepared too.
		_, _ = c.get(ctx, q)
	}
}

// get returns the prepared statement for query, preparing it on a miss.
// The lock is not held while preparing: preparing waits for a connection,
// and a transaction holding the writer's connection may need the lock.
func (c *stmtCache) get(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	s, ok := c.m[query]
	c.mu.Unlock()
	if ok {
		return s, nil
	}
	s, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := c.m[query]; ok { // prepared meanwhile by another goroutine
		s.Close()
		return prev, nil
	}
	if c.m == nil {
		c.m = make(map[string]*sql.Stmt)
	}
	c.m[query] = s
	return s, nil
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.m {
		s.Close()
	}
	c.m = nil
}

// txExec runs a write statement inside tx, prepared when it ran before.
func (db *DB) txExec(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	if s := db.ws.lookup(query); s != nil {
		return tx.StmtContext(ctx, s).ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, query, args...)
}

// txQueryRow runs a query inside tx, prepared when it ran before.
func (db *DB) txQueryRow(ctx context.Context, tx *sql.Tx, query string, args ...any) *sql.Row {
	if s := db.ws.lookup(query); s != nil {
		return tx.StmtContext(ctx, s).QueryRowContext(ctx, args...)
	}
	return tx.QueryRowContext(ctx, query, args...)
}

// txQuery runs a query returning rows inside tx, prepared when it ran before.
func (db *DB) txQuery(ctx context.Context, tx *sql.Tx, query string, args ...any) (*sql.Rows, error) {
	if s := db.ws.lookup(query); s != nil {
		return tx.StmtContext(ctx, s).QueryContext(ctx, args...)
	}
	return tx.QueryContext(ctx, query, args...)
}

// exec runs one prepared write statement in its own transaction.
func (db *DB) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	var res sql.Result
	err := db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		res, err = db.txExec(ctx, tx, query, args...)
		return err
	})
	return res, err
}

// queryRow runs a prepared read.
func (db *DB) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	s, err := db.rs.get(ctx, query)
	if err != nil {
		return db.r.QueryRowContext(ctx, query, args...)
	}
	return s.QueryRowContext(ctx, args...)
}

// query runs a prepared read that returns rows.
func (db *DB) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	s, err := db.rs.get(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.QueryContext(ctx, args...)
}

// isConflict reports whether err is a UNIQUE or PRIMARY KEY violation.
func isConflict(err error) bool {
	var e *sqlite.Error
	if errors.As(err, &e) {
		switch e.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return true
		}
	}
	return false
}

// notFound maps sql.ErrNoRows to ENOTFOUND with msg.
func notFound(err error, format string, args ...any) error {
	if errors.Is(err, sql.ErrNoRows) {
		return qguard.Errorf(qguard.ENOTFOUND, format, args...)
	}
	return err
}

// affected returns ENOTFOUND when res changed no row.
func affected(res sql.Result, format string, args ...any) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return qguard.Errorf(qguard.ENOTFOUND, format, args...)
	}
	return nil
}

// Times are stored as nanoseconds since the epoch.

func nanos(t time.Time) int64 { return t.UnixNano() }

func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }

func nullNanos(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixNano(), Valid: true}
}

func fromNullNanos(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := fromNanos(n.Int64)
	return &t
}

// orNow returns t, or the current time when t is zero.
func orNow(t time.Time) time.Time {
	if t.IsZero() {
		return time.Now().UTC()
	}
	return t
}

// Money is stored as integer micro-dollars so that sums are exact.

func micro(usd float64) int64 { return int64(math.Round(usd * 1e6)) }

func dollars(micro int64) float64 { return float64(micro) / 1e6 }
