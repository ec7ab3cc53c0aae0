package sim

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qguard/qguard/circuit"
)

const smallSuite = "../../shared/corpora/qasmbench/small"

// invalidCorpusFiles are QASMBench files that measure into registers they
// never declare (q and c, after declaring reg[n]); a correct parser rejects
// them, so they are skipped when it does.
var invalidCorpusFiles = map[string]bool{
	"hhl_n10.qasm": true, "hhl_n10_transpiled.qasm": true,
	"vqe_uccsd_n4.qasm": true, "vqe_uccsd_n4_transpiled.qasm": true,
	"vqe_uccsd_n6.qasm": true, "vqe_uccsd_n6_transpiled.qasm": true,
	"vqe_uccsd_n8.qasm": true, "vqe_uccsd_n8_transpiled.qasm": true,
}

// TestCorpusRoundTrip simulates every QASMBench small-suite circuit and
// checks that its exact outcome distribution survives parse → emit → parse
// in both OpenQASM 3 dialects to 1e-9.
func TestCorpusRoundTrip(t *testing.T) {
	var files []string
	err := filepath.WalkDir(smallSuite, func(path string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(path, ".qasm") {
			files = append(files, path)
		}
		return err
	})
	if os.IsNotExist(err) {
		t.Skipf("corpus not found at %s", smallSuite)
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 40 {
		t.Fatalf("found only %d corpus files", len(files))
	}
	emitters := map[string]func(*circuit.Circuit) string{
		"braket": circuit.EmitBraket,
		"qasm3":  circuit.EmitQASM3,
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			c, err := circuit.Parse(src)
			if err != nil && invalidCorpusFiles[filepath.Base(path)] {
				t.Skipf("not valid OpenQASM: %v", err)
			}
			if err != nil {
				t.Fatal(err)
			}
			want, err := Distribution(c)
			if err != nil {
				t.Fatal(err)
			}
			total := 0.0
			for _, p := range want {
				total += p
			}
			if math.Abs(total-1) > 1e-9 {
				t.Errorf("probabilities sum to %v", total)
			}
			for name, emit := range emitters {
				c2, err := circuit.Parse([]byte(emit(c)))
				if err != nil {
					t.Fatalf("%s: reparse: %v", name, err)
				}
				got, err := Distribution(c2)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if d := distance(got, want); d > 1e-9 {
					t.Errorf("%s round trip changed the distribution by %g", name, d)
				}
			}
		})
	}
}

// distance is the largest difference in probability over all outcomes.
func distance(a, b map[string]float64) float64 {
	d := 0.0
	for k, v := range a {
		d = max(d, math.Abs(v-b[k]))
	}
	for k, v := range b {
		d = max(d, math.Abs(v-a[k]))
	}
	return d
}
