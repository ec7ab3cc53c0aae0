package rules

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"testing"

	"github.com/qguard/qguard/monitor/internal/corpus"
)

func readCorpus(t testing.TB) []corpus.Record {
	f, err := os.Open("../testdata/corpus.jsonl.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var recs []corpus.Record
	sc := bufio.NewScanner(zr)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r corpus.Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return recs
}

// TestCorpusUpToDate fails when the generator changed but the checked-in
// corpus was not regenerated (go generate ./monitor/...).
func TestCorpusUpToDate(t *testing.T) {
	want := corpus.New(corpus.Seed).Labelled(corpus.PerKind, corpus.NearMisses, corpus.Benign)
	got := readCorpus(t)
	if len(got) != len(want) {
		t.Fatalf("corpus has %d records, generator makes %d: run go generate ./monitor/...", len(got), len(want))
	}
	for i := range got {
		if got[i].Line != want[i].Line {
			t.Fatalf("record %d differs from the generator: run go generate ./monitor/...", i)
		}
	}
}

// TestCorpusRecall measures recall on planted secrets and false positives
// on near-misses and ordinary lines. Acceptance: recall ≥ 98%, zero false
// positives.
func TestCorpusRecall(t *testing.T) {
	s := Builtin()
	recs := readCorpus(t)
	planted, found := 0, 0
	perRule := map[string][2]int{}
	fp := 0
	for _, r := range recs {
		fs := s.ScanLine([]byte(r.Line), "", 1)
		used := make([]bool, len(fs))
		for _, p := range r.Secrets {
			planted++
			c := perRule[p.Rule]
			c[0]++
			for i, f := range fs {
				if f.Column-1 < p.End && p.Start < f.End-1 {
					found++
					c[1]++
					used[i] = true
					break
				}
			}
			perRule[p.Rule] = c
		}
		for i, f := range fs {
			if !used[i] {
				fp++
				if fp <= 10 {
					t.Errorf("false positive (%s) %s in %q", r.Kind, f.Rule, r.Line)
				}
			}
		}
	}
	for rule, c := range perRule {
		if c[1] < c[0] {
			t.Logf("%-26s %d/%d", rule, c[1], c[0])
		}
	}
	for _, id := range corpus.Rules() {
		if perRule[id][0] == 0 {
			t.Errorf("corpus plants no %s", id)
		}
	}
	recall := float64(found) / float64(planted)
	t.Logf("recall %.4f (%d/%d), false positives %d over %d lines", recall, found, planted, fp, len(recs))
	if recall < 0.98 {
		t.Errorf("recall %.4f < 0.98", recall)
	}
	if fp != 0 {
		t.Errorf("%d false positives", fp)
	}
}

// TestCorpusMissesLogged prints the planted secrets the scanner missed, to
// help tune rules (visible with -v).
func TestScanStreamMatchesLines(t *testing.T) {
	recs := readCorpus(t)
	var buf bytes.Buffer
	for _, r := range recs {
		buf.WriteString(r.Line + "\n")
	}
	s := Builtin()
	var n int
	st, err := s.Scan(t.Context(), bytes.NewReader(buf.Bytes()), "corpus", func(f Finding) error { n++; return nil })
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, r := range recs {
		want += len(s.ScanLine([]byte(r.Line), "", 1))
	}
	if n != want || st.Bytes != int64(buf.Len()) {
		t.Errorf("Scan found %d (bytes %d), line by line %d (bytes %d)", n, st.Bytes, want, buf.Len())
	}
}
