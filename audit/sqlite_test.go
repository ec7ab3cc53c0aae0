package audit_test

// Tests and benchmarks of the audit log on the real SQLite store, tampering
// with the database file through SQL as someone who controls it would.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/qguard/qguard/audit"
	"github.com/qguard/qguard/sqlite"
)

func openSQLite(tb testing.TB, path string, opts ...sqlite.Option) *sqlite.DB {
	tb.Helper()
	db, err := sqlite.Open(context.Background(), path, opts...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func TestSQLiteConcurrentAppendVerify(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "qguard.db")
	db := openSQLite(t, path, sqlite.WithSynchronous("normal"))
	l, v := newLog(t, db, audit.Options{CheckpointEvery: 50})
	runCtx, stop := context.WithCancel(ctx)
	go l.Run(runCtx)
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 60; i++ {
				if _, err := l.Append(ctx, record(i)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	stop()
	if err := l.Close(ctx); err != nil {
		t.Fatal(err)
	}
	db.Close()

	db2 := openSQLite(t, path) // verify what reached the file
	rep, err := audit.Verify(ctx, db2, v, audit.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Records != 240 || rep.Checkpoint != 240 {
		t.Errorf("report %+v, want 240 records all signed", rep)
	}
}

func TestSQLiteTampering(t *testing.T) {
	for _, c := range []struct {
		name  string
		sql   string
		index int64
		cp    string
	}{
		{"actor", "UPDATE audit_log SET actor = 'mallory' WHERE idx = 5", 5, ""},
		{"action", "UPDATE audit_log SET action = 'x' WHERE idx = 0", 0, ""},
		{"resource", "UPDATE audit_log SET resource = 'x' WHERE idx = 19", 19, ""},
		{"decision", "UPDATE audit_log SET decision = 'allow' WHERE idx = 7", 7, ""},
		{"reason", "UPDATE audit_log SET reason = 'ok' WHERE idx = 2", 2, ""},
		{"request id", "UPDATE audit_log SET request_id = 'r' WHERE idx = 3", 3, ""},
		{"cost", "UPDATE audit_log SET cost = cost + 1 WHERE idx = 4", 4, ""},
		{"time", "UPDATE audit_log SET time = time + 1 WHERE idx = 6", 6, ""},
		{"details", `UPDATE audit_log SET details = '{"shots":"1"}' WHERE idx = 8`, 8, ""},
		{"data", "UPDATE audit_log SET data = CAST(replace(CAST(data AS TEXT), 'because', 'BECAUSE') AS BLOB) WHERE idx = 9", 9, ""},
		{"delete", "DELETE FROM audit_log WHERE idx = 12", 12, ""},
		{"swap", "UPDATE audit_log SET idx = CASE idx WHEN 10 THEN -10 ELSE idx END; UPDATE audit_log SET idx = 10 WHERE idx = 14; UPDATE audit_log SET idx = 14 WHERE idx = -10", 10, ""},
		{"cut the tail", "DELETE FROM audit_log WHERE idx >= 15", -1, audit.LatestCheckpoint},
		{"drop checkpoints", "DELETE FROM audit_checkpoints", -1, audit.LatestCheckpoint},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "qguard.db")
			db := openSQLite(t, path, sqlite.WithSynchronous("normal"))
			l, v := newLog(t, db, audit.Options{})
			appendN(t, l, 20, 10, 20)
			raw, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			for _, stmt := range strings.Split(c.sql, ";") {
				if _, err := raw.Exec(stmt); err != nil {
					t.Fatalf("%s: %v", stmt, err)
				}
			}
			_, err = audit.Verify(ctx, db, v, audit.VerifyOptions{})
			var ve *audit.VerifyError
			if !errors.As(err, &ve) || ve.Index != c.index || ve.Checkpoint != c.cp {
				t.Fatalf("Verify after %q: %v; want index %d, checkpoint %q", c.sql, err, c.index, c.cp)
			}
		})
	}
}

// BenchmarkAppendSQLite measures appends per second from 2×GOMAXPROCS
// goroutines on the SQLite store with its default synchronous=FULL.
func BenchmarkAppendSQLite(b *testing.B) {
	for _, mode := range []string{"full", "normal"} {
		b.Run("synchronous="+mode, func(b *testing.B) {
			db := openSQLite(b, filepath.Join(b.TempDir(), "qguard.db"), sqlite.WithSynchronous(mode))
			l, _ := newLog(b, db, audit.Options{})
			benchAppend(b, l)
		})
	}
}

func benchAppend(b *testing.B, l *audit.Log) {
	ctx := context.Background()
	b.SetParallelism(2)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := l.Append(ctx, record(i)); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkVerifySQLite100k measures audit.Verify of a 100,000-record log
// in SQLite (built once, with synchronous=NORMAL to save time).
func BenchmarkVerifySQLite100k(b *testing.B) {
	const n = 100_000
	ctx := context.Background()
	db := openSQLite(b, filepath.Join(b.TempDir(), "qguard.db"), sqlite.WithSynchronous("normal"))
	l, v := newLog(b, db, audit.Options{})
	fill(b, l, n)
	b.ResetTimer()
	for b.Loop() {
		rep, err := audit.Verify(ctx, db, v, audit.VerifyOptions{})
		if err != nil || rep.Records != n {
			b.Fatalf("Verify = %+v, %v", rep, err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// fill appends n records from several goroutines and checkpoints them.
func fill(tb testing.TB, l *audit.Log, n int) {
	tb.Helper()
	ctx := context.Background()
	var wg sync.WaitGroup
	const workers = 8
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				rec := record(i)
				rec.Details["note"] = fmt.Sprintf("filler record %d", i)
				if _, err := l.Append(ctx, rec); err != nil {
					tb.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if _, err := l.Checkpoint(ctx); err != nil {
		tb.Fatal(err)
	}
}
