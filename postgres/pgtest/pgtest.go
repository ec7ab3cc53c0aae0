//go:build unix

// Package pgtest gives tests an isolated PostgreSQL schema on the server
// named by QGUARD_TEST_POSTGRES_DSN (set by .ci/run), and coordinates the
// tests that restart that server with the tests that use it, across the
// test processes that `go test ./...` runs in parallel.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvDSN names the variable that holds the test server's DSN.
const EnvDSN = "QGUARD_TEST_POSTGRES_DSN"

// DSN returns the test server's DSN, or skips t when it is not set.
func DSN(t testing.TB) string {
	t.Helper()
	d := os.Getenv(EnvDSN)
	if d == "" {
		t.Skip(EnvDSN + " is not set; PostgreSQL tests skipped")
	}
	return d
}

// Schema creates a schema of its own for t, holds the server (see Hold)
// and drops the schema when t ends.
func Schema(t testing.TB) string {
	t.Helper()
	DSN(t)
	Hold(t)
	return RestartableSchema(t)
}

// RestartableSchema is Schema without holding the server, for the test
// that restarts it (see Exclusive).
func RestartableSchema(t testing.TB) string {
	t.Helper()
	d := DSN(t)
	var b [6]byte
	rand.Read(b[:])
	schema := "qg_test_" + hex.EncodeToString(b[:])
	exec(t, d, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize())
	t.Cleanup(func() { exec(t, d, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE") })
	return schema
}

// WithSchema returns dsn with search_path set to schema, for a process
// that opens the store from a DSN alone (QGUARD_STORE).
func WithSchema(t testing.TB, dsn, schema string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("%s: %v", EnvDSN, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func exec(t testing.TB, dsn, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Errorf("connect to the test server: %v", err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Errorf("%s: %v", sql, err)
	}
}

// lockPath is the file whose flock tells users of the test server from
// the test that restarts it.
func lockPath() string { return filepath.Join(os.TempDir(), "qguard-test-postgres.lock") }

func lockFile(t testing.TB) *os.File {
	t.Helper()
	f, err := os.OpenFile(lockPath(), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatalf("open %s: %v", lockPath(), err)
	}
	return f
}

// Hold keeps the test server from being restarted by another test process
// until t ends (a shared lock).
func Hold(t testing.TB) {
	t.Helper()
	f := lockFile(t)
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH); err != nil {
		f.Close()
		t.Fatalf("lock %s: %v", lockPath(), err)
	}
	t.Cleanup(func() { f.Close() })
}

// Exclusive waits up to wait until no other test holds the server, then
// keeps them out until release is called. It reports false when the wait
// ran out. A test that calls it must not call Hold or Schema itself.
func Exclusive(t testing.TB, wait time.Duration) (release func(), ok bool) {
	t.Helper()
	f := lockFile(t)
	deadline := time.Now().Add(wait)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, true
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, false
		}
		time.Sleep(20 * time.Millisecond)
	}
}
