package postgres_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/qguard/qguard"
	"github.com/qguard/qguard/audit"
)

// BenchmarkAppendAudit appends from parallel goroutines: every append
// waits for the audit_head row lock, so this is the log's ceiling.
func BenchmarkAppendAudit(b *testing.B) {
	db := openSchema(b, freshSchema(b))
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			rec := &qguard.AuditRecord{Actor: "alice", Action: "job.submit", Resource: "device:local:statevector", Decision: qguard.DecisionAllow}
			if _, err := db.AppendAudit(b.Context(), rec, audit.Encode); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkReserve reserves from parallel goroutines for 8 users in 2
// projects, without limits that bind.
func BenchmarkReserve(b *testing.B) {
	db := openSchema(b, freshSchema(b))
	var n atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			user, project := fmt.Sprintf("u%d", i%8), fmt.Sprintf("p%d", i%2)
			limits := []qguard.BudgetLimit{{Scope: qguard.ScopeUser, Name: user, Daily: 1e9}, {Scope: qguard.ScopeProject, Name: project, Daily: 1e9}}
			if err := db.Reserve(b.Context(), qguard.Reservation{JobID: fmt.Sprint("job_", i), User: user, Project: project, Day: "2026-12-04", Amount: 0.25}, limits); err != nil {
				b.Fatal(err)
			}
		}
	})
}
