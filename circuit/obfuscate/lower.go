package obfuscate

import (
	"math"

	"github.com/qguard/qguard"
	"github.com/qguard/qguard/circuit"
)

// step is one gate of the lowered circuit: a one-qubit unitary on q, or a
// CX with control q and target t.
type step struct {
	cx   bool
	q, t int
	m    mat
}

// Limits that keep lowering cheap: the square-root recursion for many
// controls grows as 3^controls.
const (
	maxControls = 8
	maxSteps    = 1 << 22
)

// lowerer rewrites gates into one-qubit unitaries and CX, global phase
// included wherever it becomes observable under a control.
type lowerer struct{ out []step }

func (l *lowerer) one(q int, m mat) { l.out = append(l.out, step{q: q, m: m}) }
func (l *lowerer) cx(c, t int)      { l.out = append(l.out, step{cx: true, q: c, t: t}) }

// op lowers one gate operation.
func (l *lowerer) op(op circuit.Op) error {
	if op.Name == "gphase" && len(op.Qubits) == 0 {
		return nil // global phase: unobservable
	}
	m, nc := op.Unitary()
	g, ok := circuit.LookupGate(op.Name)
	if m == nil || !ok || nc > len(op.Qubits) {
		return qguard.Errorf(qguard.EINVALIDCIRCUIT, "line %d: gate %q cannot be obfuscated", op.Line, op.Name)
	}
	if nc > maxControls {
		return qguard.Errorf(qguard.EINVALIDCIRCUIT, "line %d: gate %q has %d controls; obfuscation handles at most %d", op.Line, op.Name, nc, maxControls)
	}
	if len(l.out) > maxSteps {
		return qguard.Errorf(qguard.ETOOLARGE, "circuit lowers to more than %d gates; too large to obfuscate", maxSteps)
	}
	ctrls, ts := op.Qubits[:nc], op.Qubits[nc:]
	switch len(ts) {
	case 1:
		l.controlled(ctrls, ts[0], toMat(m))
		return nil
	case 2:
		base := g.Name
		if g.Controls > 0 {
			base = g.Base
		}
		rule := twoTarget[base]
		if rule == nil {
			return qguard.Errorf(qguard.EINVALIDCIRCUIT, "line %d: gate %q cannot be obfuscated", op.Line, op.Name)
		}
		for _, p := range rule(op.Params, ts[0], ts[1]) {
			if p.Name == "gphase" {
				if len(ctrls) == 0 {
					continue
				}
				// A phase under controls is a phase gate on the last control.
				p = circuit.Op{Kind: circuit.Gate, Name: "p", Params: p.Params, Qubits: []int{ctrls[len(ctrls)-1]}}
				p.Qubits = append(append([]int(nil), ctrls[:len(ctrls)-1]...), p.Qubits...)
				p.Controls = len(ctrls) - 1
			} else {
				p.Qubits = append(append([]int(nil), ctrls...), p.Qubits...)
				p.Controls += len(ctrls)
			}
			p.Line = op.Line
			if err := l.op(p); err != nil {
				return err
			}
		}
		return nil
	}
	return qguard.Errorf(qguard.EINVALIDCIRCUIT, "line %d: gate %q cannot be obfuscated", op.Line, op.Name)
}

// controlled lowers u on target t under the controls ctrls.
func (l *lowerer) controlled(ctrls []int, t int, u mat) {
	switch {
	case len(ctrls) == 0:
		l.one(t, u)
	case len(ctrls) == 1 && equalUpToPhase(u, pauliX) && cmplxClose(u[1], 1):
		l.cx(ctrls[0], t)
	case len(ctrls) == 1:
		// Nielsen & Chuang §4.3: u = e^{iα}·A·X·B·X·C with A·B·C = I.
		alpha, theta, phi, lambda := zyz(u)
		alpha += (phi + lambda) / 2 // u3 = e^{i(φ+λ)/2}·Rz(φ)·Ry(θ)·Rz(λ)
		a := mul(rz(phi), ry(theta/2))
		b := mul(ry(-theta/2), rz(-(phi+lambda)/2))
		c := rz((lambda - phi) / 2)
		l.one(t, c)
		l.cx(ctrls[0], t)
		l.one(t, b)
		l.cx(ctrls[0], t)
		l.one(t, a)
		l.one(ctrls[0], phase(alpha))
	case len(ctrls) == 2 && equalUpToPhase(u, pauliX) && cmplxClose(u[1], 1):
		l.toffoli(ctrls[0], ctrls[1], t)
	default:
		// Barenco et al. lemma 7.5: with v² = u and the last control b,
		// C^n(u) = C^{n-1}(v)·C^{n-1}X(→b)·C_b(v†)·C^{n-1}X(→b)·C_b(v).
		v := sqrtm(u)
		rest, b := ctrls[:len(ctrls)-1], ctrls[len(ctrls)-1]
		l.controlled([]int{b}, t, v)
		l.controlled(rest, b, pauliX)
		l.controlled([]int{b}, t, dagger(v))
		l.controlled(rest, b, pauliX)
		l.controlled(rest, t, v)
	}
}

func cmplxClose(a, b complex128) bool { return real(a-b)*real(a-b)+imag(a-b)*imag(a-b) < 1e-18 }

// toffoli is qelib1.inc's exact six-CX ccx.
func (l *lowerer) toffoli(a, b, c int) {
	h := mat{1 / math.Sqrt2, 1 / math.Sqrt2, 1 / math.Sqrt2, -1 / math.Sqrt2}
	t, tdg := phase(math.Pi/4), phase(-math.Pi/4)
	l.one(c, h)
	l.cx(b, c)
	l.one(c, tdg)
	l.cx(a, c)
	l.one(c, t)
	l.cx(b, c)
	l.one(c, tdg)
	l.cx(a, c)
	l.one(b, t)
	l.one(c, t)
	l.one(c, h)
	l.cx(a, b)
	l.one(a, t)
	l.one(b, tdg)
	l.cx(a, b)
}

func g(name string, p []float64, qs ...int) circuit.Op {
	return circuit.Op{Kind: circuit.Gate, Name: name, Params: append([]float64(nil), p...), Qubits: qs}
}

func gphase(a float64) circuit.Op {
	return circuit.Op{Kind: circuit.Gate, Name: "gphase", Params: []float64{a}}
}

// twoTarget rewrites the two-target gates exactly, global phase included
// (as gphase), into one-target gates and cx; a, b are the targets.
var twoTarget = map[string]func(p []float64, a, b int) []circuit.Op{
	"swap": func(_ []float64, a, b int) []circuit.Op {
		return []circuit.Op{g("cx", nil, a, b), g("cx", nil, b, a), g("cx", nil, a, b)}
	},
	"iswap": func(_ []float64, a, b int) []circuit.Op {
		return []circuit.Op{g("s", nil, a), g("s", nil, b), g("h", nil, a), g("cx", nil, a, b), g("cx", nil, b, a), g("h", nil, b)}
	},
	"rzz": func(p []float64, a, b int) []circuit.Op {
		return []circuit.Op{g("cx", nil, a, b), g("rz", p, b), g("cx", nil, a, b)}
	},
	"rxx": func(p []float64, a, b int) []circuit.Op {
		return []circuit.Op{g("h", nil, a), g("h", nil, b), g("cx", nil, a, b), g("rz", p, b), g("cx", nil, a, b), g("h", nil, a), g("h", nil, b)}
	},
	"ryy": func(p []float64, a, b int) []circuit.Op {
		v, vd := []float64{math.Pi / 2}, []float64{-math.Pi / 2}
		return []circuit.Op{g("rx", v, a), g("rx", v, b), g("cx", nil, a, b), g("rz", p, b), g("cx", nil, a, b), g("rx", vd, a), g("rx", vd, b)}
	},
	"rzx": func(p []float64, a, b int) []circuit.Op {
		return []circuit.Op{g("h", nil, b), g("cx", nil, a, b), g("rz", p, b), g("cx", nil, a, b), g("h", nil, b)}
	},
	// pswap(θ) = e^{iθ/2}·rzz(θ)·swap
	"pswap": func(p []float64, a, b int) []circuit.Op {
		return []circuit.Op{gphase(p[0] / 2), g("cx", nil, a, b), g("cx", nil, b, a), g("cx", nil, a, b),
			g("cx", nil, a, b), g("rz", p, b), g("cx", nil, a, b)}
	},
	// xy(θ) = rxx(−θ/2)·ryy(−θ/2); XX and YY commute
	"xy": func(p []float64, a, b int) []circuit.Op {
		h := []float64{-p[0] / 2}
		v, vd := []float64{math.Pi / 2}, []float64{-math.Pi / 2}
		return []circuit.Op{
			g("h", nil, a), g("h", nil, b), g("cx", nil, a, b), g("rz", h, b), g("cx", nil, a, b), g("h", nil, a), g("h", nil, b),
			g("rx", v, a), g("rx", v, b), g("cx", nil, a, b), g("rz", h, b), g("cx", nil, a, b), g("rx", vd, a), g("rx", vd, b),
		}
	},
	"cphaseshift00": func(p []float64, a, b int) []circuit.Op {
		return []circuit.Op{g("x", nil, a), g("x", nil, b), cp(p, a, b), g("x", nil, a), g("x", nil, b)}
	},
	"cphaseshift01": func(p []float64, a, b int) []circuit.Op {
		return []circuit.Op{g("x", nil, a), cp(p, a, b), g("x", nil, a)}
	},
	"cphaseshift10": func(p []float64, a, b int) []circuit.Op {
		return []circuit.Op{g("x", nil, b), cp(p, a, b), g("x", nil, b)}
	},
}

func cp(p []float64, a, b int) circuit.Op {
	op := g("p", p, a, b)
	op.Controls = 1
	return op
}
