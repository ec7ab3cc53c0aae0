package circuit

import (
	"encoding/json"
	"github.com/qguard/qguard/internal/corpus"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// corpusFiles lists the QASMBench small and medium circuits of shared/corpora.
func corpusFiles(t testing.TB) []string {
	files, err := filepath.Glob(filepath.Join(corpus.QASMBench(t), "*", "*", "*.qasm"))
	if err != nil || len(files) < 100 {
		t.Fatalf("corpus: %d files, %v", len(files), err)
	}
	return files
}

// invalidUpstream are corpus files that are not valid OpenQASM: they
// measure registers q and c that they never declare (Qiskit's loader
// rejects them too). The parser must reject them with that cause.
var invalidUpstream = map[string]string{
	"hhl_n10.qasm":                 "186801:9: unknown register q",
	"hhl_n10_transpiled.qasm":      "199246:9: unknown register q",
	"vqe_uccsd_n4.qasm":            "225:9: unknown register q",
	"vqe_uccsd_n4_transpiled.qasm": "242:9: unknown register q",
	"vqe_uccsd_n6.qasm":            "2286:9: unknown register q",
	"vqe_uccsd_n6_transpiled.qasm": "2128:9: unknown register q",
	"vqe_uccsd_n8.qasm":            "10813:9: unknown register q",
	"vqe_uccsd_n8_transpiled.qasm": "9680:9: unknown register q",
}

// textCount derives qubits, total gates and CX count from QASM 2 text
// without the parser: it splits statements at ';', expands `gate`
// definitions by recursive lookup of their bodies' counts, and multiplies a
// call on whole registers by the register size. It knows nothing of
// modifiers, which the corpus (OpenQASM 2) does not use.
func textCount(src string) (qubits, gates, cx int) {
	src = regexp.MustCompile(`//[^\n]*`).ReplaceAllString(src, "")
	type count struct{ gates, cx int }
	defs := map[string]count{}
	regs := map[string]int{}
	for len(strings.TrimSpace(src)) > 0 {
		src = strings.TrimSpace(src)
		if strings.HasPrefix(src, "gate ") {
			open, end := strings.Index(src, "{"), strings.Index(src, "}")
			header := strings.Fields(strings.NewReplacer("(", " (", ",", " ").Replace(src[5:open]))
			var c count
			for _, stmt := range strings.Split(src[open+1:end], ";") {
				name := firstWord(stmt)
				switch {
				case name == "" || name == "barrier":
				case defs[name] != (count{}):
					c.gates += defs[name].gates
					c.cx += defs[name].cx
				default:
					c.gates++
					if name == "cx" || name == "CX" {
						c.cx++
					}
				}
			}
			defs[header[0]] = c
			src = src[end+1:]
			continue
		}
		semi := strings.Index(src, ";")
		stmt := src[:semi]
		src = src[semi+1:]
		if strings.HasPrefix(stmt, "if") {
			stmt = stmt[strings.Index(stmt, ")")+1:]
		}
		name := firstWord(stmt)
		rest := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(stmt), name))
		if strings.HasPrefix(rest, "(") {
			rest = rest[strings.Index(rest, ")")+1:]
		}
		switch name {
		case "OPENQASM", "include", "creg", "measure", "barrier", "reset", "":
			continue
		case "qreg":
			m := regexp.MustCompile(`(\w+)\s*\[\s*(\d+)\s*\]`).FindStringSubmatch(rest)
			n := atoi(m[2])
			regs[m[1]] = n
			qubits += n
			continue
		}
		times := 1
		for _, arg := range strings.Split(rest, ",") {
			if arg = strings.TrimSpace(arg); !strings.Contains(arg, "[") {
				times = regs[arg]
			}
		}
		if c, ok := defs[name]; ok {
			gates += times * c.gates
			cx += times * c.cx
		} else {
			gates += times
			if name == "cx" || name == "CX" {
				cx += times
			}
		}
	}
	return qubits, gates, cx
}

func firstWord(s string) string {
	s = strings.TrimSpace(s)
	end := strings.IndexAny(s, " \t\n\r(")
	if end < 0 {
		return s
	}
	return s[:end]
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

// TestCorpusMetrics parses every corpus file and compares qubits, total
// gates and CX count with textCount's independent derivation.
func TestCorpusMetrics(t *testing.T) {
	for _, f := range corpusFiles(t) {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		c, err := Parse(src)
		if want, bad := invalidUpstream[filepath.Base(f)]; bad {
			if err == nil || err.Error() != want {
				t.Errorf("%s: got error %v, want %q", f, err, want)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		// Compare the JSON that `qguard circuit inspect --json` prints.
		out, err := json.Marshal(c.Metrics())
		if err != nil {
			t.Fatal(err)
		}
		var m struct{ Qubits, Gates, CX int }
		if err := json.Unmarshal(out, &m); err != nil {
			t.Fatal(err)
		}
		q, g, cx := textCount(string(src))
		if m.Qubits != q || m.Gates != g || m.CX != cx || q == 0 || g == 0 {
			t.Errorf("%s: inspect says qubits %d gates %d cx %d; text count says %d %d %d", f, m.Qubits, m.Gates, m.CX, q, g, cx)
		}
	}
}
