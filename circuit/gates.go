package circuit

import (
	"math"
	"math/cmplx"
	"sort"
)

// GateDef describes a built-in gate. A controlled gate is its target part
// (Base) plus Controls control qubits: "cx" is "x" with one control, "ccx" is
// "x" with two. Matrices follow Qiskit's conventions exactly, including the
// global phase, which becomes observable under `ctrl @`:
//
//   - U, u, u3: [[cos θ/2, −e^{iλ} sin θ/2], [e^{iφ} sin θ/2, e^{i(φ+λ)} cos θ/2]]
//   - u2(φ,λ) = u3(π/2,φ,λ); u1, p = diag(1, e^{iλ}); rz(θ) = diag(e^{−iθ/2}, e^{iθ/2})
//   - cu(θ,φ,λ,γ) = controlled e^{iγ}·u3(θ,φ,λ)
//
// The OpenQASM 3 stdgates.inc defines u2 and u3 with an extra
// gphase(−(φ+λ)/2); the parser adds that phase explicitly (as a phase gate on
// the controls) when an OpenQASM 3 u2/u3 is controlled, so the IR names mean
// the same matrix whatever the source version.
type GateDef struct {
	Name     string
	Qubits   int    // total qubits, controls included
	Params   int    // number of angle parameters
	Controls int    // how many of Qubits (the first ones) are controls
	Base     string // the target part's gate for controlled gates ("x" for "cx"); Name otherwise
	matrix   func(p []float64) []complex128
}

// Targets is the number of target qubits (1 or 2).
func (g *GateDef) Targets() int { return g.Qubits - g.Controls }

// Matrix returns the row-major matrix of the gate's target part for params p.
func (g *GateDef) Matrix(p []float64) []complex128 { return g.matrix(p) }

// Gates is the table of built-in gates by name. Aliases (Braket's "cnot",
// OpenQASM 3's "phase", …) are resolved by LookupGate, not stored here.
var Gates = map[string]*GateDef{}

// aliases maps other dialects' gate names to the canonical IR name.
var aliases = map[string]string{
	// OpenQASM 2 built-in and OpenQASM 3 stdgates compatibility names.
	"CX": "cx", "phase": "p", "cphase": "cp",
	// Amazon Braket.
	"cnot": "cx", "ccnot": "ccx", "i": "id", "si": "sdg", "ti": "tdg",
	"v": "sx", "vi": "sxdg", "phaseshift": "p", "cphaseshift": "cp",
	"xx": "rxx", "yy": "ryy", "zz": "rzz",
	// Qiskit qelib1 names.
	"toffoli": "ccx", "fredkin": "cswap", "cnx": "",
}

// LookupGate returns the built-in gate for name, resolving aliases.
func LookupGate(name string) (*GateDef, bool) {
	if a, ok := aliases[name]; ok {
		if a == "" {
			return nil, false
		}
		name = a
	}
	g, ok := Gates[name]
	return g, ok
}

// GateNames returns the canonical built-in gate names, sorted.
func GateNames() []string {
	names := make([]string, 0, len(Gates))
	for n := range Gates {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Unitary returns the row-major 2^k×2^k matrix of the gate's target part
// (k = 1 or 2 targets) and the total number of control qubits (the gate's
// own plus op.Controls). The controls are op.Qubits[:controls], the targets
// op.Qubits[controls:]. For a two-target matrix, op.Qubits[controls] is the
// low bit of the matrix index. It returns nil, 0 for non-gate operations.
func (op *Op) Unitary() (m []complex128, controls int) {
	if op.Kind != Gate {
		return nil, 0
	}
	g, ok := LookupGate(op.Name)
	if !ok {
		return nil, 0
	}
	return g.matrix(op.Params), g.Controls + op.Controls
}

func def(name string, qubits, params, controls int, base string, m func(p []float64) []complex128) {
	if base == "" {
		base = name
	}
	Gates[name] = &GateDef{Name: name, Qubits: qubits, Params: params, Controls: controls, Base: base, matrix: m}
}

// controlled defines name as base with extra controls, sharing its matrix.
func controlled(name, base string, controls int) {
	b := Gates[base]
	def(name, b.Qubits+controls, b.Params, b.Controls+controls, b.Base, b.matrix)
}

func fixed(m ...complex128) func([]float64) []complex128 {
	return func([]float64) []complex128 { return append([]complex128(nil), m...) }
}

func expi(x float64) complex128 { return cmplx.Exp(complex(0, x)) }

func u3(theta, phi, lambda float64) []complex128 {
	c, s := math.Cos(theta/2), math.Sin(theta/2)
	return []complex128{
		complex(c, 0), -expi(lambda) * complex(s, 0),
		expi(phi) * complex(s, 0), expi(phi+lambda) * complex(c, 0),
	}
}

func init() {
	r := complex(1/math.Sqrt2, 0)
	i := complex(0, 1)
	one := func([]float64) []complex128 { return []complex128{1, 0, 0, 1} }

	def("id", 1, 0, 0, "", one)
	def("u0", 1, 1, 0, "", one) // qelib1's idle of length γ
	def("x", 1, 0, 0, "", fixed(0, 1, 1, 0))
	def("y", 1, 0, 0, "", fixed(0, -i, i, 0))
	def("z", 1, 0, 0, "", fixed(1, 0, 0, -1))
	def("h", 1, 0, 0, "", fixed(r, r, r, -r))
	def("s", 1, 0, 0, "", fixed(1, 0, 0, i))
	def("sdg", 1, 0, 0, "", fixed(1, 0, 0, -i))
	def("t", 1, 0, 0, "", fixed(1, 0, 0, expi(math.Pi/4)))
	def("tdg", 1, 0, 0, "", fixed(1, 0, 0, expi(-math.Pi/4)))
	def("sx", 1, 0, 0, "", fixed((1+i)/2, (1-i)/2, (1-i)/2, (1+i)/2))
	def("sxdg", 1, 0, 0, "", fixed((1-i)/2, (1+i)/2, (1+i)/2, (1-i)/2))
	def("rx", 1, 1, 0, "", func(p []float64) []complex128 {
		c, s := complex(math.Cos(p[0]/2), 0), complex(0, -math.Sin(p[0]/2))
		return []complex128{c, s, s, c}
	})
	def("ry", 1, 1, 0, "", func(p []float64) []complex128 {
		c, s := complex(math.Cos(p[0]/2), 0), complex(math.Sin(p[0]/2), 0)
		return []complex128{c, -s, s, c}
	})
	def("rz", 1, 1, 0, "", func(p []float64) []complex128 {
		return []complex128{expi(-p[0] / 2), 0, 0, expi(p[0] / 2)}
	})
	phase := func(p []float64) []complex128 { return []complex128{1, 0, 0, expi(p[0])} }
	def("p", 1, 1, 0, "", phase)
	def("u1", 1, 1, 0, "", phase)
	def("u2", 1, 2, 0, "", func(p []float64) []complex128 { return u3(math.Pi/2, p[0], p[1]) })
	u3m := func(p []float64) []complex128 { return u3(p[0], p[1], p[2]) }
	def("u3", 1, 3, 0, "", u3m)
	def("u", 1, 3, 0, "", u3m)
	def("U", 1, 3, 0, "", u3m)

	// Two-target gates; Qubits[controls] is the low bit of the index.
	def("swap", 2, 0, 0, "", fixed(
		1, 0, 0, 0,
		0, 0, 1, 0,
		0, 1, 0, 0,
		0, 0, 0, 1))
	def("iswap", 2, 0, 0, "", fixed(
		1, 0, 0, 0,
		0, 0, i, 0,
		0, i, 0, 0,
		0, 0, 0, 1))
	def("rxx", 2, 1, 0, "", func(p []float64) []complex128 {
		c, s := complex(math.Cos(p[0]/2), 0), complex(0, -math.Sin(p[0]/2))
		return []complex128{
			c, 0, 0, s,
			0, c, s, 0,
			0, s, c, 0,
			s, 0, 0, c}
	})
	def("ryy", 2, 1, 0, "", func(p []float64) []complex128 {
		c, s := complex(math.Cos(p[0]/2), 0), complex(0, math.Sin(p[0]/2))
		return []complex128{
			c, 0, 0, s,
			0, c, -s, 0,
			0, -s, c, 0,
			s, 0, 0, c}
	})
	def("rzz", 2, 1, 0, "", func(p []float64) []complex128 {
		a, b := expi(-p[0]/2), expi(p[0]/2)
		return []complex128{
			a, 0, 0, 0,
			0, b, 0, 0,
			0, 0, b, 0,
			0, 0, 0, a}
	})
	// rzx(θ) = exp(−iθ/2 Z⊗X): Z on the first qubit, X on the second.
	def("rzx", 2, 1, 0, "", func(p []float64) []complex128 {
		c, s := complex(math.Cos(p[0]/2), 0), complex(0, math.Sin(p[0]/2))
		return []complex128{
			c, 0, -s, 0,
			0, c, 0, s,
			-s, 0, c, 0,
			0, s, 0, c}
	})

	// Braket's two-qubit gates; the first qubit is the low bit.
	def("pswap", 2, 1, 0, "", func(p []float64) []complex128 {
		e := expi(p[0])
		return []complex128{
			1, 0, 0, 0,
			0, 0, e, 0,
			0, e, 0, 0,
			0, 0, 0, 1}
	})
	def("xy", 2, 1, 0, "", func(p []float64) []complex128 {
		c, s := complex(math.Cos(p[0]/2), 0), complex(0, math.Sin(p[0]/2))
		return []complex128{
			1, 0, 0, 0,
			0, c, s, 0,
			0, s, c, 0,
			0, 0, 0, 1}
	})
	// cphaseshiftCT(λ): phase e^{iλ} when control (first qubit) is C and target is T.
	for name, idx := range map[string]int{"cphaseshift00": 0, "cphaseshift01": 2, "cphaseshift10": 1} {
		def(name, 2, 1, 0, "", func(p []float64) []complex128 {
			m := []complex128{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1}
			m[idx*5] = expi(p[0])
			return m
		})
	}

	// Controlled gates.
	controlled("cx", "x", 1)
	controlled("cy", "y", 1)
	controlled("cz", "z", 1)
	controlled("ch", "h", 1)
	controlled("csx", "sx", 1)
	controlled("cp", "p", 1)
	controlled("cu1", "u1", 1)
	controlled("crx", "rx", 1)
	controlled("cry", "ry", 1)
	controlled("crz", "rz", 1)
	controlled("cu3", "u3", 1)
	def("cu", 2, 4, 1, "cu", func(p []float64) []complex128 {
		m := u3(p[0], p[1], p[2])
		ph := expi(p[3])
		for k := range m {
			m[k] *= ph
		}
		return m
	})
	controlled("ccx", "x", 2)
	controlled("cswap", "swap", 1)
	controlled("c3x", "x", 3)
	controlled("c4x", "x", 4)
	controlled("c3sqrtx", "sx", 3)
}

// selfInverse lists the gates that are their own inverse.
var selfInverse = map[string]bool{
	"id": true, "x": true, "y": true, "z": true, "h": true, "swap": true,
	"cx": true, "cy": true, "cz": true, "ch": true, "ccx": true, "cswap": true,
	"c3x": true, "c4x": true,
}

// inverseName maps gates whose inverse is another parameterless gate.
var inverseName = map[string]string{
	"s": "sdg", "sdg": "s", "t": "tdg", "tdg": "t", "sx": "sxdg", "sxdg": "sx",
}

// negated lists the gates whose inverse negates every angle.
var negated = map[string]bool{
	"rx": true, "ry": true, "rz": true, "p": true, "u1": true, "cp": true, "cu1": true,
	"crx": true, "cry": true, "crz": true, "rxx": true, "ryy": true, "rzz": true, "rzx": true,
	"u0": true, "pswap": true, "xy": true, "cphaseshift00": true, "cphaseshift01": true, "cphaseshift10": true,
}

// Inverse returns the built-in gate that is the conjugate transpose of name
// with params, folding `inv @` into names and angles. ok is false when the
// inverse is not expressible as one built-in gate (iswap, csx, c3sqrtx).
func Inverse(name string, params []float64) (string, []float64, bool) {
	g, found := LookupGate(name)
	if !found {
		return "", nil, false
	}
	name = g.Name
	p := append([]float64(nil), params...)
	switch {
	case selfInverse[name]:
		return name, p, true
	case inverseName[name] != "":
		return inverseName[name], p, true
	case negated[name]:
		for k := range p {
			p[k] = -p[k]
		}
		return name, p, true
	}
	switch name {
	case "u3", "u", "U", "cu3": // u3(θ,φ,λ)† = u3(−θ,−λ,−φ)
		return name, []float64{-p[0], -p[2], -p[1]}, true
	case "u2": // u2(φ,λ)† = u3(−π/2,−λ,−φ)
		return "u3", []float64{-math.Pi / 2, -p[1], -p[0]}, true
	case "cu":
		return name, []float64{-p[0], -p[2], -p[1], -p[3]}, true
	}
	return "", nil, false
}
