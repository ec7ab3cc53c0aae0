package obfuscate

import (
	"fmt"
	"github.com/qguard/qguard/internal/corpus"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/qguard/qguard/circuit"
	"github.com/qguard/qguard/sim"
)

// smallSuite returns the QASMBench small suite.
func smallSuite(t testing.TB) map[string][]byte {
	files, err := filepath.Glob(filepath.Join(corpus.QASMBench(t), "small", "*", "*.qasm"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	out := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[strings.TrimSuffix(filepath.Base(f), ".qasm")] = b
	}
	return out
}

// checkEquivalent asserts that the obfuscated circuit's distribution,
// restored with the key, equals the original's: on the whole state vector
// and on the measured bitstrings.
func checkEquivalent(t *testing.T, c, ob *circuit.Circuit, key *Key) {
	t.Helper()
	p0, err := sim.Probabilities(c)
	if err != nil {
		t.Fatal(err)
	}
	p1, err := sim.Probabilities(ob)
	if err != nil {
		t.Fatal(err)
	}
	if len(p0) != len(p1) {
		t.Fatalf("state sizes %d and %d", len(p0), len(p1))
	}
	restored := make([]float64, len(p1))
	for i, v := range p1 {
		restored[key.RestoreState(uint64(i))] += v
	}
	for i := range p0 {
		if d := math.Abs(p0[i] - restored[i]); d > 1e-9 {
			t.Fatalf("state %d: original %.12g, restored %.12g", i, p0[i], restored[i])
		}
	}
	d0, err := sim.Distribution(c)
	if err != nil {
		t.Fatal(err)
	}
	d1, err := sim.Distribution(ob)
	if err != nil {
		t.Fatal(err)
	}
	r := key.RestoreProbabilities(d1)
	for k := range union(d0, r) {
		if d := math.Abs(d0[k] - r[k]); d > 1e-9 {
			t.Fatalf("outcome %s: original %.12g, restored %.12g", k, d0[k], r[k])
		}
	}
}

func union(a, b map[string]float64) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

// checkShape asserts the obfuscated circuit uses U and cx only, followed by
// measurements, and keeps the lowered circuit's CX count.
func checkShape(t *testing.T, c, ob *circuit.Circuit) {
	t.Helper()
	var l lowerer
	for _, op := range c.Ops {
		if op.Kind == circuit.Gate {
			if err := l.op(op); err != nil {
				t.Fatal(err)
			}
		}
	}
	cx := 0
	for _, s := range l.out {
		if s.cx {
			cx++
		}
	}
	measuring := false
	for _, op := range ob.Ops {
		switch {
		case op.Kind == circuit.Measure:
			measuring = true
		case measuring:
			t.Fatalf("%s after the measurements", op.Name)
		case op.Kind != circuit.Gate || (op.Name != "U" && op.Name != "cx") || op.Cond != nil:
			t.Fatalf("unexpected op %+v", op)
		}
	}
	if got := ob.Metrics().CX; got != cx {
		t.Fatalf("obfuscated circuit has %d CX, lowered original %d", got, cx)
	}
}

func TestCorpus(t *testing.T) {
	for name, src := range smallSuite(t) {
		t.Run(name, func(t *testing.T) {
			c, err := circuit.Parse(src)
			if err != nil && strings.Contains(err.Error(), "unknown register") {
				t.Skipf("not valid OpenQASM upstream (measures an undeclared register): %v", err)
			}
			if err != nil {
				t.Fatal(err)
			}
			m := c.Metrics()
			if m.MidCircuit || m.Resets > 0 {
				if _, _, err := Obfuscate(c, Options{}); err == nil || !strings.Contains(err.Error(), "mid-circuit") {
					t.Fatalf("want a mid-circuit refusal, got %v", err)
				}
				t.Skipf("mid-circuit measurement, reset or if (refused, as documented)")
			}
			if c.Qubits > 12 {
				t.Skipf("%d qubits: too large for the exhaustive distribution check", c.Qubits)
			}
			ob, key, err := Obfuscate(c, Options{})
			if err != nil {
				t.Fatal(err)
			}
			checkEquivalent(t, c, ob, key)
			checkShape(t, c, ob)
			ob2, _, err := Obfuscate(c, Options{})
			if err != nil {
				t.Fatal(err)
			}
			orig, t1, t2 := circuit.EmitQASM3(c), circuit.EmitQASM3(ob), circuit.EmitQASM3(ob2)
			if t1 == orig || t1 == t2 {
				t.Fatal("obfuscated text equals the original or another obfuscation")
			}
			if sameLabels(key.Perm) {
				t.Fatal("qubit labels unchanged")
			}
		})
	}
}

func sameLabels(p []int) bool {
	for i, v := range p {
		if i != v {
			return false
		}
	}
	return len(p) > 1
}

// randomCircuit draws a circuit over every built-in gate, with extra
// controls now and then and measurements into shuffled classical bits
// (or none).
func randomCircuit(r *rand.Rand, n int) *circuit.Circuit {
	c := &circuit.Circuit{Version: 3, Qubits: n, QRegs: []circuit.Register{{Name: "q", Size: n}}}
	names := circuit.GateNames()
	for range 5 + r.IntN(25) {
		g, _ := circuit.LookupGate(names[r.IntN(len(names))])
		extra := 0
		if r.IntN(6) == 0 {
			extra = 1
		}
		if g.Qubits+extra > n {
			continue
		}
		p := make([]float64, g.Params)
		for i := range p {
			p[i] = (2*r.Float64() - 1) * 2 * math.Pi
		}
		qs := r.Perm(n)[:g.Qubits+extra]
		c.Ops = append(c.Ops, circuit.Op{Kind: circuit.Gate, Name: g.Name, Params: p, Qubits: qs, Controls: extra})
	}
	if r.IntN(4) > 0 {
		c.Clbits = n + r.IntN(2)
		c.CRegs = []circuit.Register{{Name: "c", Size: c.Clbits}}
		bits := r.Perm(c.Clbits)
		for q := range n {
			if r.IntN(5) > 0 {
				c.Ops = append(c.Ops, circuit.Op{Kind: circuit.Measure, Qubits: []int{q}, Clbits: []int{bits[q]}})
			}
		}
	}
	return c
}

func TestRandomCircuits(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 1)) // the circuits are reproducible; the keys are not
	for i := range 200 {
		n := 2 + i%9
		c := randomCircuit(r, n)
		t.Run(fmt.Sprintf("%d_n%d", i, n), func(t *testing.T) {
			ob, key, err := Obfuscate(c, Options{})
			if err != nil {
				t.Fatal(err)
			}
			checkEquivalent(t, c, ob, key)
			checkShape(t, c, ob)
		})
	}
}

func TestRefusesMidCircuit(t *testing.T) {
	for name, src := range map[string]string{
		"measure then gate": "OPENQASM 3.0; qubit[1] q; bit[1] c; c[0] = measure q[0]; x q[0];",
		"reset":             "OPENQASM 3.0; qubit[1] q; reset q[0]; x q[0];",
		"if":                "OPENQASM 2.0; include \"qelib1.inc\"; qreg q[1]; creg c[1]; x q[0]; if (c==1) x q[0];",
	} {
		c, err := circuit.Parse([]byte(src))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, _, err := Obfuscate(c, Options{}); err == nil {
			t.Errorf("%s: obfuscated", name)
		}
	}
}

func TestRestoreCounts(t *testing.T) {
	src := "OPENQASM 3.0; include \"stdgates.inc\"; qubit[3] q; bit[3] c; x q[0]; x q[2]; c = measure q;"
	c, err := circuit.Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	ob, key, err := Obfuscate(c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	d, err := sim.Distribution(ob)
	if err != nil {
		t.Fatal(err)
	}
	if len(d) != 1 {
		t.Fatalf("obfuscated distribution %v", d)
	}
	var obs string
	for k := range d {
		obs = k
	}
	got := key.Restore(map[string]int{obs: 100, "01": 3, "0x1": 2})
	if len(got) != 1 || got["101"] != 100 {
		t.Fatalf("Restore = %v, want map[101:100]", got)
	}
}

func TestLowerEveryGate(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, name := range circuit.GateNames() {
		g, _ := circuit.LookupGate(name)
		for extra := range 3 {
			n := g.Qubits + extra
			c := &circuit.Circuit{Version: 3, Qubits: n + 1}
			// A random product state first, so that phases between basis
			// states matter.
			for q := range n + 1 {
				c.Ops = append(c.Ops, circuit.Op{Kind: circuit.Gate, Name: "u3", Params: []float64{r.Float64() * 3, r.Float64() * 3, r.Float64() * 3}, Qubits: []int{q}})
			}
			p := make([]float64, g.Params)
			for i := range p {
				p[i] = r.Float64()*6 - 3
			}
			c.Ops = append(c.Ops, circuit.Op{Kind: circuit.Gate, Name: name, Params: p, Qubits: r.Perm(n + 1)[:n], Controls: extra})
			var l lowerer
			if err := l.op(c.Ops[len(c.Ops)-1]); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			ob, key, err := Obfuscate(c, Options{})
			if err != nil {
				t.Fatalf("%s+%d: %v", name, extra, err)
			}
			t.Run(fmt.Sprintf("%s+%d", name, extra), func(t *testing.T) { checkEquivalent(t, c, ob, key) })
		}
	}
}

func TestZYZ(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	ms := []mat{identity, pauliX, pauliZ, mul(pauliX, pauliZ), rz(1), rx(math.Pi), ry(math.Pi)}
	for range 200 {
		ms = append(ms, mul(u3(r.Float64()*7, r.Float64()*7, r.Float64()*7), phase(r.Float64())))
	}
	for _, m := range ms {
		_, theta, phi, lambda := zyz(m)
		if !equalUpToPhase(u3(theta, phi, lambda), m) {
			t.Fatalf("zyz(%v) = %v %v %v", m, theta, phi, lambda)
		}
		s := sqrtm(m)
		if sq := mul(s, s); !close4(sq, m) || !close4(mul(s, dagger(s)), identity) {
			t.Fatalf("sqrtm(%v) = %v", m, s)
		}
	}
}

func close4(a, b mat) bool {
	for i := range a {
		if d := a[i] - b[i]; real(d)*real(d)+imag(d)*imag(d) > 1e-18 {
			return false
		}
	}
	return true
}

func TestKeyRoundTrip(t *testing.T) {
	c, err := circuit.Parse(smallSuite(t)["adder_n4"])
	if err != nil {
		t.Fatal(err)
	}
	_, key, err := Obfuscate(c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := key.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := UnmarshalKey(b)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(key) {
		t.Fatalf("round trip: %v, want %v", got, key)
	}
	for name, bad := range map[string]string{
		"not a permutation": strings.Replace(string(b), `"bits":[`, `"bits":[0,`, 1),
		"unknown field":     strings.Replace(string(b), `{`, `{"x":1,`, 1),
		"bad mask":          strings.Replace(string(b), `"mask":"`, `"mask":"2`, 1),
		"trailing":          string(b) + "{}",
		"version":           strings.Replace(string(b), `"version":1`, `"version":2`, 1),
		"empty":             "",
	} {
		if _, err := UnmarshalKey([]byte(bad)); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
}

func FuzzUnmarshalKey(f *testing.F) {
	for _, name := range []string{"adder_n4", "qft_n4", "bell_n4"} {
		c, err := circuit.Parse(smallSuite(f)[name])
		if err != nil {
			f.Fatal(err)
		}
		_, key, err := Obfuscate(c, Options{})
		if err != nil {
			f.Fatal(err)
		}
		b, _ := key.Marshal()
		f.Add(b)
	}
	f.Add([]byte(`{"version":1,"qubits":0,"width":0,"perm":[],"qubit_mask":"","bits":[],"mask":""}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := UnmarshalKey(data)
		if err != nil {
			return
		}
		b, err := k.Marshal()
		if err != nil {
			t.Fatalf("decoded key does not encode: %v", err)
		}
		k2, err := UnmarshalKey(b)
		if err != nil || fmt.Sprint(k2) != fmt.Sprint(k) {
			t.Fatalf("re-decode: %v", err)
		}
		s := strings.Repeat("1", k.Width)
		k.Restore(map[string]int{s: 1, "": 1})
		if k.Qubits <= 20 {
			k.RestoreState(1<<k.Qubits - 1)
		}
	})
}

// sortedKeys is used by the overhead table.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestRefusesTooManyControls(t *testing.T) {
	c, err := circuit.Parse([]byte("OPENQASM 3.0; include \"stdgates.inc\"; qubit[12] q; ctrl(11) @ x q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7], q[8], q[9], q[10], q[11];"))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := Obfuscate(c, Options{}); err == nil || !strings.Contains(err.Error(), "controls") {
		t.Fatalf("11 controls: %v", err)
	}
}
