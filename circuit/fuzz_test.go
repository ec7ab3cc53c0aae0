package circuit

import (
	"os"
	"strings"
	"testing"
)

// fuzzLimits keep each fuzz execution small.
var fuzzLimits = Limits{MaxBytes: 1 << 16, MaxOps: 20000, MaxQubits: 64, MaxClbits: 64, MaxDepth: 32}

// seedCorpus adds the corpus files under maxBytes (OpenQASM 2 sources) or
// their OpenQASM 3 and Braket emissions.
func seedCorpus(f *testing.F, v3 bool) {
	for _, name := range corpusFiles(f) {
		src, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		if len(src) > 8<<10 {
			continue
		}
		if !v3 {
			f.Add(src)
			continue
		}
		c, err := Parse(src)
		if err != nil {
			continue
		}
		f.Add([]byte(EmitQASM3(c)))
		f.Add([]byte(EmitBraket(c)))
	}
}

// checkParsed asserts the invariants every accepted program must keep:
// indexes in range, gates that exist with the right arity, and an
// emission that parses back to the same shape.
func checkParsed(t *testing.T, c *Circuit) {
	for _, op := range c.Ops {
		for _, q := range op.Qubits {
			if q < 0 || q >= c.Qubits {
				t.Fatalf("qubit %d out of range %d", q, c.Qubits)
			}
		}
		for _, b := range op.Clbits {
			if b < 0 || b >= c.Clbits {
				t.Fatalf("bit %d out of range %d", b, c.Clbits)
			}
		}
		if op.Kind == Gate {
			m, controls := op.Unitary()
			if m == nil || len(op.Qubits) != controls+Gates[op.Name].Targets() {
				t.Fatalf("bad gate %+v", op)
			}
		}
	}
	m := c.Metrics()
	for _, emit := range []func(*Circuit) string{EmitQASM3, EmitBraket} {
		out := emit(c)
		c2, err := ParseWithLimits([]byte(out), Limits{MaxBytes: 1 << 30, MaxOps: 1 << 30, MaxDepth: 1 << 10})
		if err != nil {
			t.Fatalf("emitted program does not parse: %v\n%s", err, out)
		}
		m2 := c2.Metrics()
		if m2.Qubits != m.Qubits || m2.Clbits != m.Clbits || m2.Measurements != m.Measurements || m2.Resets != m.Resets {
			t.Fatalf("round trip changed the shape: %+v → %+v", m, m2)
		}
	}
}

func fuzzParse(t *testing.T, src []byte) {
	c, err := ParseWithLimits(src, fuzzLimits)
	if err != nil {
		if !strings.Contains(err.Error(), ":") {
			t.Fatalf("error without position: %v", err)
		}
		return
	}
	checkParsed(t, c)
}

func FuzzParseQASM2(f *testing.F) {
	seedCorpus(f, false)
	f.Add([]byte("OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\ncreg c[2];\ngate g(a) x,y { cu3(a,a/2,-a) x,y; rccx x,y,x; }\nif (c==1) g(pi) q[0],q[1];\n"))
	f.Fuzz(fuzzParse)
}

func FuzzParseQASM3(f *testing.F) {
	seedCorpus(f, true)
	for _, s := range qasm3Samples {
		f.Add([]byte(s))
	}
	f.Fuzz(fuzzParse)
}

// FuzzParseIonQ checks the ionq.circuit.v1 decoder: no panic, and an
// accepted circuit has valid ops and emits back to the same JSON.
func FuzzParseIonQ(f *testing.F) {
	for _, name := range corpusFiles(f) {
		src, err := os.ReadFile(name)
		if err != nil || len(src) > 4<<10 {
			continue
		}
		c, err := Parse(src)
		if err != nil {
			continue
		}
		if b, err := EmitIonQ(stripNonGates(c)); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"qubits":2,"gateset":"qis","circuit":[{"gate":"h","target":0},{"gate":"cnot","control":0,"target":1}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseIonQ(data, true)
		if err != nil {
			return
		}
		for _, op := range c.Ops {
			if op.Kind != Gate {
				continue
			}
			if m, _ := op.Unitary(); m == nil {
				t.Fatalf("bad op %+v", op)
			}
		}
		b, err := EmitIonQ(c)
		if err != nil {
			t.Fatalf("emit: %v", err)
		}
		c2, err := ParseIonQ(b, true)
		if err != nil || len(c2.Ops) != len(c.Ops) {
			t.Fatalf("round trip: %v, %d → %d ops", err, len(c.Ops), len(c2.Ops))
		}
	})
}
