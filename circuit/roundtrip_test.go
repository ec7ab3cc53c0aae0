package circuit

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// applyGates runs c's gate ops on state (a test-only dense simulator; the
// real one is package sim). Non-gate ops are skipped.
func applyGates(t *testing.T, c *Circuit, state []complex128) {
	for _, op := range c.Ops {
		if op.Kind != Gate {
			continue
		}
		m, controls := op.Unitary()
		ctl, tg := op.Qubits[:controls], op.Qubits[controls:]
		if len(m) != 1<<(2*len(tg)) {
			t.Fatalf("%s: matrix size %d for %d targets", op.Name, len(m), len(tg))
		}
		dim := 1 << len(tg)
		for i := range state {
			skip := false
			for _, q := range ctl {
				skip = skip || i>>q&1 == 0
			}
			for _, q := range tg {
				skip = skip || i>>q&1 == 1
			}
			if skip {
				continue
			}
			idx := make([]int, dim)
			amp := make([]complex128, dim)
			for k := 0; k < dim; k++ {
				j := i
				for b, q := range tg {
					if k>>b&1 == 1 {
						j |= 1 << q
					}
				}
				idx[k], amp[k] = j, state[j]
			}
			for r := 0; r < dim; r++ {
				var s complex128
				for k := 0; k < dim; k++ {
					s += m[r*dim+k] * amp[k]
				}
				state[idx[r]] = s
			}
		}
	}
}

func randomState(n int, seed uint64) []complex128 {
	rng := rand.New(rand.NewPCG(seed, 7))
	s := make([]complex128, 1<<n)
	var norm float64
	for i := range s {
		s[i] = complex(rng.NormFloat64(), rng.NormFloat64())
		norm += real(s[i] * cmplx.Conj(s[i]))
	}
	for i := range s {
		s[i] /= complex(math.Sqrt(norm), 0)
	}
	return s
}

// sameUpToPhase reports whether a = e^{iα}·b.
func sameUpToPhase(a, b []complex128, tol float64) bool {
	var ip complex128
	for i := range a {
		ip += cmplx.Conj(b[i]) * a[i]
	}
	return math.Abs(cmplx.Abs(ip)-1) < tol
}

func mustParse(t *testing.T, src string, inputs map[string]float64) *Circuit {
	t.Helper()
	c, err := ParseWithOptions([]byte(src), ParseOptions{Inputs: inputs})
	if err != nil {
		t.Fatalf("%v\n%s", err, src)
	}
	return c
}

// TestRoundTripExact checks on the hand-written OpenQASM 3 samples that
// every emitter's output acts on a random state exactly as the source does
// (up to one global phase).
func TestRoundTripExact(t *testing.T) {
	inputs := map[string]float64{"theta": 0.7}
	for k, src := range qasm3Samples {
		c := mustParse(t, src, inputs)
		want := randomState(c.Qubits, uint64(k))
		got := append([]complex128(nil), want...)
		applyGates(t, c, want)
		emitted := map[string]*Circuit{
			"qasm3":  mustParse(t, EmitQASM3(c), nil),
			"braket": mustParse(t, EmitBraket(c), nil),
		}
		if b, err := EmitIonQ(stripNonGates(c)); err != nil {
			t.Fatalf("sample %d: ionq: %v", k, err)
		} else if ic, err := ParseIonQ(b, false); err != nil {
			t.Fatalf("sample %d: ionq back: %v", k, err)
		} else {
			emitted["ionq"] = ic
		}
		for name, c2 := range emitted {
			s := append([]complex128(nil), got...)
			applyGates(t, c2, s)
			if !sameUpToPhase(s, want, 1e-9) {
				t.Errorf("sample %d: %s round trip changes the state", k, name)
			}
		}
	}
}

func stripNonGates(c *Circuit) *Circuit {
	out := *c
	out.Ops = nil
	for _, op := range c.Ops {
		if op.Kind == Gate {
			op.Cond = nil
			out.Ops = append(out.Ops, op)
		}
	}
	return &out
}

// TestEveryGateRoundTrip applies every table gate, plain, controlled and
// inverted, with random angles, and checks each emitter exactly, global
// phase included under control.
func TestEveryGateRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, name := range GateNames() {
		g := Gates[name]
		for extra := 0; extra <= 1; extra++ {
			n := g.Qubits + extra
			c := &Circuit{Version: 3, Qubits: n, QRegs: []Register{{Name: "q", Size: n}}}
			qs := rng.Perm(n)
			c.Ops = []Op{{Kind: Gate, Name: name, Params: randParams(rng, g.Params), Qubits: qs, Controls: extra}}
			want := randomState(n, 1)
			start := append([]complex128(nil), want...)
			applyGates(t, c, want)
			check := func(dialect string, c2 *Circuit) {
				s := append([]complex128(nil), start...)
				applyGates(t, c2, s)
				// Up to a global phase of the whole state: a controlled
				// gate's phase is relative between control branches, so
				// it is still checked.
				if !sameUpToPhase(s, want, 1e-9) {
					t.Errorf("%s with %d extra controls: %s round trip differs", name, extra, dialect)
				}
			}
			check("qasm3", mustParse(t, EmitQASM3(c), nil))
			check("braket", mustParse(t, EmitBraket(c), nil))
			b, err := EmitIonQ(c)
			if err != nil {
				t.Fatalf("%s: ionq: %v", name, err)
			}
			ic, err := ParseIonQ(b, false)
			if err != nil {
				t.Fatalf("%s: ionq back: %v", name, err)
			}
			check("ionq", ic)
		}
	}
}

// TestCorpusRoundTrip checks structure on every corpus file: OpenQASM 3
// and Braket emissions parse back with the same registers and the same
// measurements, resets, conditions and CX count; for small circuits the
// gates act identically on a random state.
func TestCorpusRoundTrip(t *testing.T) {
	for _, f := range corpusFiles(t) {
		if _, bad := invalidUpstream[filepath.Base(f)]; bad {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		c, err := Parse(src)
		if err != nil {
			t.Fatal(err)
		}
		m := c.Metrics()
		for dialect, out := range map[string]string{"qasm3": EmitQASM3(c), "braket": EmitBraket(c)} {
			c2, err := Parse([]byte(out))
			if err != nil {
				t.Fatalf("%s: %s: %v", f, dialect, err)
			}
			m2 := c2.Metrics()
			if m2.Qubits != m.Qubits || m2.Clbits != m.Clbits || m2.Measurements != m.Measurements ||
				m2.Resets != m.Resets || m2.Conditional < m.Conditional || m2.CX < m.CX || m2.Barriers != m.Barriers {
				t.Errorf("%s: %s round trip: %+v → %+v", f, dialect, m, m2)
			}
			if dialect == "qasm3" && (m2.Gates != m.Gates || m2.CX != m.CX) {
				t.Errorf("%s: qasm3 round trip changed gate counts %d/%d → %d/%d", f, m.Gates, m.CX, m2.Gates, m2.CX)
			}
			if c.Qubits <= 10 && len(c.Ops) < 5000 && !testing.Short() {
				want := randomState(c.Qubits, 3)
				got := append([]complex128(nil), want...)
				applyGates(t, stripNonGates(c), want)
				applyGates(t, stripNonGates(c2), got)
				if !sameUpToPhase(got, want, 1e-9) {
					t.Errorf("%s: %s round trip changes the gates' action", f, dialect)
				}
			}
		}
	}
}
