package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/qguard/qguard"
	"github.com/qguard/qguard/config"
	"github.com/qguard/qguard/postgres"
	"github.com/qguard/qguard/postgres/pgtest"
	"github.com/qguard/qguard/storetest"
)

func dsn(t testing.TB) string { return pgtest.DSN(t) }

func freshSchema(t testing.TB) string { return pgtest.Schema(t) }

func openSchema(t testing.TB, schema string) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), dsn(t), postgres.WithSchema(schema), postgres.WithPool(config.Store{MaxConns: 8}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func open(t *testing.T) qguard.Store { return openSchema(t, freshSchema(t)) }

func TestStore(t *testing.T) {
	storetest.Run(t, open)
}

func TestBlobs(t *testing.T) {
	storetest.RunBlobs(t, func(t *testing.T) qguard.BlobStore { return openSchema(t, freshSchema(t)) })
}

func TestReopen(t *testing.T) {
	schema := freshSchema(t)
	storetest.RunReopen(t, func(t *testing.T) qguard.Store { return openSchema(t, schema) },
		func(t *testing.T, s qguard.Store) qguard.Store {
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			return openSchema(t, schema)
		})
}

// TestConcurrentMigrate: replicas starting together on an empty schema
// apply each migration once and all come up.
func TestConcurrentMigrate(t *testing.T) {
	schema := freshSchema(t)
	const replicas = 4
	var wg sync.WaitGroup
	dbs := make([]*postgres.DB, replicas)
	errs := make([]error, replicas)
	for i := range replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dbs[i], errs[i] = postgres.Open(t.Context(), dsn(t), postgres.WithSchema(schema))
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("replica %d: %v", i, err)
		}
		defer dbs[i].Close()
	}
	v, err := dbs[0].SchemaVersion(t.Context())
	if err != nil || v < 1 {
		t.Fatalf("schema version = %d, %v", v, err)
	}
	// Every replica sees one store: a user made by one is read by another.
	if err := dbs[1].CreateUser(t.Context(), &qguard.User{Name: "alice", Role: qguard.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	if _, err := dbs[3].UserByName(t.Context(), "alice"); err != nil {
		t.Fatal(err)
	}
}

// TestNewerSchemaRefused: a database migrated by a newer qguard is not
// touched by an older one.
func TestNewerSchemaRefused(t *testing.T) {
	schema := freshSchema(t)
	db := openSchema(t, schema)
	conn, err := pgx.Connect(t.Context(), dsn(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	if _, err := conn.Exec(t.Context(), "INSERT INTO "+pgx.Identifier{schema, "schema_migrations"}.Sanitize()+" VALUES (999, '999_future.sql', now())"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err = postgres.Open(t.Context(), dsn(t), postgres.WithSchema(schema))
	if err == nil || !contains(err.Error(), "newer than this qguard knows") {
		t.Fatalf("open of a newer schema: %v", err)
	}
}

// TestUnreachable: a server that does not answer is a plain error naming
// the cause, without the DSN's password.
func TestUnreachable(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	_, err := postgres.Open(ctx, "postgres://qguard:hunter2-secret@127.0.0.1:1/qguard?sslmode=disable&connect_timeout=2")
	if err == nil {
		t.Fatal("open of an unreachable server succeeded")
	}
	if qguard.ErrorCode(err) == qguard.ENOTFOUND || contains(err.Error(), "hunter2") {
		t.Fatalf("error = %v", err)
	}
	_, err = postgres.Open(ctx, "postgres://qguard:hunter2-secret@127.0.0.1:1/qguard?sslmode=bogus")
	if err == nil || contains(err.Error(), "hunter2") {
		t.Fatalf("bad DSN error = %v", err)
	}
}

// TestClosedPool: after the connection is gone, calls fail with plain
// errors (the gateway answers 503), never ENOTFOUND or ECONFLICT.
func TestClosedPool(t *testing.T) {
	db := open(t)
	db.Close()
	if err := db.Ping(t.Context()); err == nil {
		t.Fatal("Ping of a closed store succeeded")
	}
	_, err := db.UserByName(t.Context(), "alice")
	if err == nil || qguard.ErrorCode(err) == qguard.ENOTFOUND {
		t.Fatalf("UserByName on a closed store = %v", err)
	}
	err = db.Reserve(t.Context(), qguard.Reservation{JobID: "j", User: "u", Day: "2026-12-04", Amount: 1}, nil)
	if err == nil || qguard.ErrorCode(err) == qguard.EBUDGETEXCEEDED {
		t.Fatalf("Reserve on a closed store = %v", err)
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// TestReleaseOrphans: reservations whose job was never created (the
// replica died in between) are released once, by one of the replicas
// sweeping at the same time; reservations with a job, settled ones and
// recent ones are kept.
func TestReleaseOrphans(t *testing.T) {
	schema := freshSchema(t)
	db := openSchema(t, schema)
	ctx := t.Context()
	day := "2026-12-04"
	res := func(id string) {
		t.Helper()
		if err := db.Reserve(ctx, qguard.Reservation{JobID: id, User: "alice", Project: "qml", Day: day, Amount: 1}, nil); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 10 {
		res(fmt.Sprintf("job_orphan_%d", i))
	}
	res("job_with_job")
	if err := db.CreateJob(ctx, &qguard.Job{ID: "job_with_job", UserID: 1, User: "alice", Device: "local:statevector", Provider: "local", Status: qguard.JobQueued}); err != nil {
		t.Fatal(err)
	}
	res("job_settled")
	if err := db.Settle(ctx, "job_settled", 0.5); err != nil {
		t.Fatal(err)
	}
	cutoff := time.Now().Add(time.Second)
	time.Sleep(1100 * time.Millisecond)
	res("job_recent")

	replicas := []*postgres.DB{db, openSchema(t, schema), openSchema(t, schema)}
	counts := make(chan int, len(replicas))
	var wg sync.WaitGroup
	for _, r := range replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := r.ReleaseOrphans(ctx, cutoff)
			if err != nil {
				t.Error(err)
			}
			counts <- n
		}()
	}
	wg.Wait()
	close(counts)
	total := 0
	for n := range counts {
		total += n
	}
	if total != 10 {
		t.Errorf("released %d reservations in all, want the 10 orphans once each", total)
	}
	sp, err := db.Spent(ctx, qguard.ScopeUser, "alice", day)
	if err != nil {
		t.Fatal(err)
	}
	if sp.Reserved != 2 || sp.Settled != 0.5 {
		t.Errorf("after the sweep reserved %v settled %v, want 2 (job_with_job, job_recent) and 0.5", sp.Reserved, sp.Settled)
	}
}

// TestNow: the database clock is close to this machine's.
func TestNow(t *testing.T) {
	db := open(t)
	now, err := db.(*postgres.DB).Now(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(now); d > time.Minute || d < -time.Minute {
		t.Errorf("database clock %v is %v off", now, d)
	}
}

// TestMissingSchema: a search_path naming no existing schema is refused
// with a hint instead of creating tables elsewhere.
func TestMissingSchema(t *testing.T) {
	pgtest.Hold(t)
	_, err := postgres.Open(t.Context(), pgtest.WithSchema(t, dsn(t), "qg_test_missing_schema"))
	if err == nil || !contains(err.Error(), "search_path names no existing schema") {
		t.Fatalf("open with a missing schema: %v", err)
	}
}
