package circuit

import (
	"github.com/qguard/qguard/internal/corpus"
	"os"
	"path/filepath"
	"testing"
)

// largestValid is the largest corpus file that is valid OpenQASM (the two
// hhl_n10 files are larger but invalid, see invalidUpstream).
func largestValid(tb testing.TB) string {
	return filepath.Join(corpus.QASMBench(tb), "medium", "bwt_n21", "bwt_n21.qasm")
}

func BenchmarkParseLargest(b *testing.B) {
	src, err := os.ReadFile(largestValid(b))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	var ops int
	for b.Loop() {
		c, err := Parse(src)
		if err != nil {
			b.Fatal(err)
		}
		ops = len(c.Ops)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(ops), "ns/op-parsed")
}

func BenchmarkMetricsLargest(b *testing.B) {
	src, _ := os.ReadFile(largestValid(b))
	c, err := Parse(src)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		c.Metrics()
	}
}

func BenchmarkEmitQASM3Largest(b *testing.B) {
	src, _ := os.ReadFile(largestValid(b))
	c, err := Parse(src)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		EmitQASM3(c)
	}
}
