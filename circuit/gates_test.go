package circuit

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"
)

func matMul(a, b []complex128) []complex128 {
	n := int(math.Sqrt(float64(len(a))))
	out := make([]complex128, n*n)
	for r := 0; r < n; r++ {
		for c := 0; c < n; c++ {
			var s complex128
			for k := 0; k < n; k++ {
				s += a[r*n+k] * b[k*n+c]
			}
			out[r*n+c] = s
		}
	}
	return out
}

func dagger(a []complex128) []complex128 {
	n := int(math.Sqrt(float64(len(a))))
	out := make([]complex128, n*n)
	for r := 0; r < n; r++ {
		for c := 0; c < n; c++ {
			out[c*n+r] = cmplx.Conj(a[r*n+c])
		}
	}
	return out
}

func isIdentity(a []complex128, tol float64) bool {
	n := int(math.Sqrt(float64(len(a))))
	for r := 0; r < n; r++ {
		for c := 0; c < n; c++ {
			want := complex(0, 0)
			if r == c {
				want = 1
			}
			if cmplx.Abs(a[r*n+c]-want) > tol {
				return false
			}
		}
	}
	return true
}

func matClose(a, b []complex128, tol float64) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if cmplx.Abs(a[k]-b[k]) > tol {
			return false
		}
	}
	return true
}

func randParams(rng *rand.Rand, n int) []float64 {
	p := make([]float64, n)
	for k := range p {
		p[k] = (rng.Float64()*2 - 1) * 2 * math.Pi
	}
	return p
}

func TestGateMatricesAreUnitary(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, name := range GateNames() {
		g := Gates[name]
		if g.Targets() < 1 || g.Targets() > 2 {
			t.Errorf("%s: %d targets", name, g.Targets())
		}
		for trial := 0; trial < 20; trial++ {
			p := randParams(rng, g.Params)
			m := g.Matrix(p)
			if len(m) != 1<<(2*g.Targets()) {
				t.Fatalf("%s: matrix has %d entries for %d targets", name, len(m), g.Targets())
			}
			if !isIdentity(matMul(m, dagger(m)), 1e-12) {
				t.Fatalf("%s%v is not unitary: %v", name, p, m)
			}
		}
	}
}

func TestGateInverses(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, name := range GateNames() {
		g := Gates[name]
		p := randParams(rng, g.Params)
		iname, ip, ok := Inverse(name, p)
		if !ok {
			continue
		}
		ig, _ := LookupGate(iname)
		if ig.Controls != g.Controls {
			t.Fatalf("%s: inverse %s has %d controls, want %d", name, iname, ig.Controls, g.Controls)
		}
		if !isIdentity(matMul(ig.Matrix(ip), g.Matrix(p)), 1e-12) {
			t.Errorf("%s%v · %s%v is not the identity", iname, ip, name, p)
		}
	}
}

// TestGateIdentities pins matrices against textbook relations, so that a
// wrong sign or phase in one definition shows up.
func TestGateIdentities(t *testing.T) {
	m := func(name string, p ...float64) []complex128 {
		g, ok := LookupGate(name)
		if !ok {
			t.Fatalf("no gate %s", name)
		}
		return g.Matrix(p)
	}
	pi := math.Pi
	cases := []struct {
		name string
		a, b []complex128
	}{
		{"u2(0,π) = h", m("u2", 0, pi), m("h")},
		{"u3(π,0,π) = x", m("u3", pi, 0, pi), m("x")},
		{"u3(π,π/2,π/2) = y", m("u3", pi, pi/2, pi/2), m("y")},
		{"u1(π) = z", m("u1", pi), m("z")},
		{"p(π/2) = s", m("p", pi/2), m("s")},
		{"phaseshift(π/4) = t", m("phaseshift", pi/4), m("t")},
		{"sx·sx = x", matMul(m("sx"), m("sx")), m("x")},
		{"v = sx", m("v"), m("sx")},
		{"rx(θ) = u3(θ,−π/2,π/2)", m("rx", 0.7), m("u3", 0.7, -pi/2, pi/2)},
		{"ry(θ) = u3(θ,0,0)", m("ry", 0.7), m("u3", 0.7, 0, 0)},
		{"rz(θ) = e^{−iθ/2} p(θ)", scale(m("p", 0.7), cmplx.Exp(complex(0, -0.35))), m("rz", 0.7)},
		{"cu(θ,φ,λ,0) = cu3", m("cu", 0.3, 0.5, 0.7, 0), m("cu3", 0.3, 0.5, 0.7)},
		{"iswap² = z⊗z", matMul(m("iswap"), m("iswap")), m("rzz", pi)},
		{"rzz(π)·(−i) = z⊗z", scale(m("rzz", pi), complex(0, 1)), []complex128{1, 0, 0, 0, 0, -1, 0, 0, 0, 0, -1, 0, 0, 0, 0, 1}},
	}
	for _, c := range cases {
		if c.name == "iswap² = z⊗z" {
			// iswap² = diag(1,−1,−1,1) exactly; rzz(π) is that times −i.
			c.b = scale(c.b, complex(0, 1))
		}
		if !matClose(c.a, c.b, 1e-12) {
			t.Errorf("%s: %v != %v", c.name, c.a, c.b)
		}
	}
}

func scale(a []complex128, s complex128) []complex128 {
	out := make([]complex128, len(a))
	for k := range a {
		out[k] = a[k] * s
	}
	return out
}

func TestOpUnitaryControls(t *testing.T) {
	op := Op{Kind: Gate, Name: "ccx", Qubits: []int{0, 1, 2}}
	m, c := op.Unitary()
	if c != 2 || !matClose(m, Gates["x"].Matrix(nil), 0) {
		t.Fatalf("ccx: controls %d, matrix %v", c, m)
	}
	op = Op{Kind: Gate, Name: "h", Qubits: []int{3, 0}, Controls: 1}
	if _, c := op.Unitary(); c != 1 {
		t.Fatalf("ctrl @ h: controls %d", c)
	}
	op = Op{Kind: Gate, Name: "cnot", Qubits: []int{0, 1}, Controls: 1}
	if _, c := op.Unitary(); c != 2 {
		t.Fatalf("ctrl @ cnot: controls %d", c)
	}
	op = Op{Kind: Measure, Qubits: []int{0}, Clbits: []int{0}}
	if m, _ := op.Unitary(); m != nil {
		t.Fatal("measure has a matrix")
	}
}
