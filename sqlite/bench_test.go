package sqlite_test

import (
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qguard/qguard"
	"github.com/qguard/qguard/audit"
	"github.com/qguard/qguard/sqlite"
)

// Each benchmark runs with synchronous=FULL (the default) and NORMAL,
// serially (one writer: the latency of a write) and in parallel (64
// writers: the throughput with group commit).

func benchDB(b *testing.B, sync string) *sqlite.DB {
	b.Helper()
	db, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "qguard.db"), sqlite.WithSynchronous(sync))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

func benchModes(b *testing.B, fn func(b *testing.B, db *sqlite.DB, next func() int64)) {
	for _, sync := range []string{"full", "normal"} {
		for _, parallel := range []bool{false, true} {
			name := sync + "/serial"
			if parallel {
				name = sync + "/parallel"
			}
			b.Run(name, func(b *testing.B) {
				db := benchDB(b, sync)
				var n atomic.Int64
				next := func() int64 { return n.Add(1) }
				b.ReportAllocs()
				b.ResetTimer()
				if !parallel {
					for b.Loop() {
						fn(b, db, next)
					}
					return
				}
				b.SetParallelism(32) // 64 concurrent writers on 2 cores, as under gateway load
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						fn(b, db, next)
					}
				})
			})
		}
	}
}

func BenchmarkReserve(b *testing.B) {
	limits := []qguard.BudgetLimit{{Scope: qguard.ScopeUser, Name: "alice", Daily: 1e9}, {Scope: qguard.ScopeProject, Name: "qml", Daily: 1e9}}
	benchModes(b, func(b *testing.B, db *sqlite.DB, next func() int64) {
		r := qguard.Reservation{JobID: fmt.Sprintf("job_%d", next()), User: "alice", Project: "qml", Day: "2026-12-04", Amount: 0.01}
		if err := db.Reserve(b.Context(), r, limits); err != nil {
			b.Fatal(err)
		}
	})
}

func BenchmarkCreateJob(b *testing.B) {
	sealed := make([]byte, 2048) // a sealed small circuit
	benchModes(b, func(b *testing.B, db *sqlite.DB, next func() int64) {
		j := &qguard.Job{
			ID: fmt.Sprintf("job_%d", next()), UserID: 1, User: "alice", Project: "qml", Device: "local:statevector",
			Provider: "local", Status: qguard.JobQueued, Shots: 1000, Qubits: 5, CircuitSHA256: "0123456789abcdef",
			EstimatedCost: 0.01, SealedCircuit: sealed,
		}
		if err := db.CreateJob(b.Context(), j); err != nil {
			b.Fatal(err)
		}
	})
}

func BenchmarkAppendAudit(b *testing.B) {
	benchModes(b, func(b *testing.B, db *sqlite.DB, next func() int64) {
		rec := &qguard.AuditRecord{
			Time: time.Now(), Actor: "alice", Action: "job.submit", Resource: "device:local:statevector",
			Decision: qguard.DecisionAllow, Reason: "researcher may execute on simulator", RequestID: fmt.Sprint(next()),
			Cost: 0.01, Details: map[string]string{"shots": "1000", "qubits": "5"},
		}
		if _, err := db.AppendAudit(b.Context(), rec, audit.Encode); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkAPIKeyByHash is the read on every authenticated request.
func BenchmarkAPIKeyByHash(b *testing.B) {
	db := benchDB(b, "full")
	ctx := b.Context()
	u := &qguard.User{Name: "alice", Role: qguard.RoleResearcher}
	if err := db.CreateUser(ctx, u); err != nil {
		b.Fatal(err)
	}
	hash := make([]byte, 32)
	if err := db.CreateAPIKey(ctx, &qguard.APIKey{UserID: u.ID, Hash: hash, Hint: "qg_x"}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := db.APIKeyByHash(ctx, hash); err != nil {
				b.Fatal(err)
			}
		}
	})
}
