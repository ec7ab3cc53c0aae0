package sqlite_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/qguard/qguard"
	"github.com/qguard/qguard/sqlite"
	"github.com/qguard/qguard/storetest"
)

func openAt(t *testing.T, path string) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func open(t *testing.T) qguard.Store {
	return openAt(t, filepath.Join(t.TempDir(), "qguard.db"))
}

func TestStore(t *testing.T) {
	storetest.Run(t, open)
}

func TestReopen(t *testing.T) {
	storetest.RunReopen(t, open, func(t *testing.T, s qguard.Store) qguard.Store {
		db := s.(*sqlite.DB)
		path := db.Path()
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		return openAt(t, path)
	})
}

func TestMigrateEmpty(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "home") // missing directories are created
	path := filepath.Join(dir, "qguard.db")
	db := openAt(t, path)
	v, err := db.SchemaVersion(t.Context())
	if err != nil || v < 1 {
		t.Fatalf("schema version = %d, %v", v, err)
	}
	if n, err := db.AuditSize(t.Context()); err != nil || n != 0 {
		t.Fatalf("fresh audit size = %d, %v", n, err)
	}
	// Write something so that the WAL and shared-memory files exist.
	if err := db.CreateUser(t.Context(), &qguard.User{Name: "alice", Role: qguard.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	wantMode(t, dir, 0o700)
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		wantMode(t, f, 0o600)
	}
	db.Close()

	// Reopening applies no migration twice.
	db = openAt(t, path)
	if v2, err := db.SchemaVersion(t.Context()); err != nil || v2 != v {
		t.Fatalf("schema version after reopen = %d, %v; want %d", v2, err, v)
	}
	if _, err := db.UserByName(t.Context(), "alice"); err != nil {
		t.Fatal(err)
	}
}

func TestLaxModeTightened(t *testing.T) {
	path := filepath.Join(t.TempDir(), "qguard.db")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	openAt(t, path)
	wantMode(t, path, 0o600)
}

func TestOpenErrors(t *testing.T) {
	ctx := t.Context()
	for _, path := range []string{"", ":memory:", "file:x.db", "a.db?mode=ro"} {
		if db, err := sqlite.Open(ctx, path); err == nil {
			db.Close()
			t.Errorf("Open(%q) succeeded", path)
		}
	}
	if _, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "x.db"), sqlite.WithSynchronous("off")); err == nil {
		t.Error("synchronous=off accepted")
	}
	// A file that is not a database.
	bad := filepath.Join(t.TempDir(), "bad.db")
	if err := os.WriteFile(bad, []byte("this is not an SQLite database, it is a text file of some length......."), 0o600); err != nil {
		t.Fatal(err)
	}
	if db, err := sqlite.Open(ctx, bad); err == nil {
		db.Close()
		t.Error("Open of a text file succeeded")
	}
}

func TestSynchronousNormal(t *testing.T) {
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "qguard.db"), sqlite.WithSynchronous("normal"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.CreateUser(t.Context(), &qguard.User{Name: "alice", Role: qguard.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
}

func TestWriteCancelledOrClosed(t *testing.T) {
	db := openAt(t, filepath.Join(t.TempDir(), "qguard.db"))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := db.CreateUser(ctx, &qguard.User{Name: "alice", Role: qguard.RoleAdmin}); !errors.Is(err, context.Canceled) {
		t.Fatalf("write with a cancelled context: %v", err)
	}
	if _, err := db.UserByName(t.Context(), "alice"); qguard.ErrorCode(err) != qguard.ENOTFOUND {
		t.Fatalf("a cancelled write was stored: %v", err)
	}
	db.Close()
	if err := db.CreateUser(t.Context(), &qguard.User{Name: "bob", Role: qguard.RoleAdmin}); err == nil {
		t.Fatal("write after Close succeeded")
	}
	if err := db.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func wantMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s has mode %o, want %o", filepath.Base(path), got, want)
	}
}
