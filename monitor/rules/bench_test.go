package rules

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/qguard/qguard/monitor/internal/corpus"
)

// benchCorpus writes a JSON-lines/plain-text log of about size bytes (1% of
// lines with secrets, 5% near-misses) to a temporary file.
func benchCorpus(b *testing.B, size int64) []byte {
	b.Helper()
	path := filepath.Join(b.TempDir(), "bench.log")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := corpus.New(1).Stream(f, nil, size, 0.01, 0.05); err != nil {
		b.Fatal(err)
	}
	f.Close()
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// BenchmarkScan measures scan throughput (MB/s) over a 50 MB log (5 MB with
// -short), on all CPUs as `qguard scan` runs.
func BenchmarkScan(b *testing.B) {
	size := int64(50 << 20)
	if testing.Short() {
		size = 5 << 20
	}
	data := benchCorpus(b, size)
	s := Builtin()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		n := 0
		if _, err := s.Scan(b.Context(), bytes.NewReader(data), "bench", func(Finding) error { n++; return nil }); err != nil {
			b.Fatal(err)
		}
		if n == 0 {
			b.Fatal("no findings")
		}
	}
}

// BenchmarkScanLine measures one core on single lines, without the
// parallel reader.
func BenchmarkScanLine(b *testing.B) {
	data := benchCorpus(b, 4<<20)
	lines := bytes.Split(data, []byte{'\n'})
	s := Builtin()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		for i, l := range lines {
			s.ScanLine(l, "", i)
		}
	}
}

func BenchmarkPrefilterOnly(b *testing.B) {
	data := benchCorpus(b, 4<<20)
	s := Builtin()
	hits := make([]uint64, s.nwords)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		s.m.match(data, hits)
	}
	_ = io.Discard
}
