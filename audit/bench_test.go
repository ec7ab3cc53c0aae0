package audit_test

import (
	"context"
	"testing"

	"github.com/qguard/qguard/audit"
	"github.com/qguard/qguard/audit/memlog"
)

// The SQLite benchmarks are in sqlite_test.go; these isolate the audit
// package's own cost on the in-memory store.

func BenchmarkEncode(b *testing.B) {
	rec := record(12345)
	rec.Index = 12345
	for b.Loop() {
		if _, err := audit.Encode(&rec); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendMemory(b *testing.B) {
	l, _ := newLog(b, memlog.New(), audit.Options{})
	benchAppend(b, l)
}

func BenchmarkVerifyMemory100k(b *testing.B) {
	const n = 100_000
	store := memlog.New()
	l, v := newLog(b, store, audit.Options{})
	fill(b, l, n)
	b.ResetTimer()
	for b.Loop() {
		if rep, err := audit.Verify(context.Background(), store, v, audit.VerifyOptions{}); err != nil || rep.Records != n {
			b.Fatalf("Verify = %+v, %v", rep, err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
