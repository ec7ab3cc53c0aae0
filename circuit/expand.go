package circuit

import (
	"math"
	"math/cmplx"
)

// modVal is a modifier with its argument evaluated.
type modVal struct {
	kind string
	n    int     // controls for ctrl/negctrl
	k    float64 // exponent for pow
	tok  token
}

func (p *parser) evalMods(mods []modifier, env []float64) ([]modVal, error) {
	if len(mods) == 0 {
		return nil, nil
	}
	out := make([]modVal, len(mods))
	for i, m := range mods {
		v := modVal{kind: m.kind, n: 1, tok: m.tok}
		if m.arg != nil {
			x := m.arg.eval(env)
			switch m.kind {
			case "ctrl", "negctrl":
				if x != math.Trunc(x) || x < 1 || x > float64(p.lim.MaxQubits) {
					return nil, p.errf(m.tok, "%s(n) needs a positive whole number of controls", m.kind)
				}
				v.n = int(x)
			case "pow":
				if math.IsNaN(x) || math.IsInf(x, 0) {
					return nil, p.errf(m.tok, "pow exponent is not a finite number")
				}
				v.k = x
			}
		}
		out[i] = v
	}
	return out, nil
}

// apply expands statement s (a built-in, gphase or user gate under
// modifiers mods) on qubits qs into out. A bare global phase is kept as a
// pseudo-op named "gphase" with no qubits so that an enclosing ctrl can turn
// it into a phase gate on the controls; callers drop it at top level.
func (p *parser) apply(s *gateStmt, mods []modVal, params []float64, qs []int, depth int, out *[]Op) error {
	if depth > p.lim.MaxDepth {
		return p.errf(s.tok, "gate calls nested deeper than %d levels (MaxDepth)", p.lim.MaxDepth)
	}
	if len(mods) > 0 {
		m, rest := mods[0], mods[1:]
		var inner []Op
		switch m.kind {
		case "ctrl", "negctrl":
			if len(qs) < m.n {
				return p.errf(m.tok, "%s needs %d control qubits, got %d", m.kind, m.n, len(qs))
			}
			ctrls := qs[:m.n]
			if err := p.apply(s, rest, params, qs[m.n:], depth+1, &inner); err != nil {
				return err
			}
			if m.kind == "negctrl" {
				if err := p.flipAll(ctrls, s.tok, out); err != nil {
					return err
				}
			}
			for _, op := range inner {
				*out = append(*out, addControls(op, ctrls))
			}
			if m.kind == "negctrl" {
				return p.flipAll(ctrls, s.tok, out)
			}
			return nil
		case "inv":
			if err := p.apply(s, rest, params, qs, depth+1, &inner); err != nil {
				return err
			}
			for k := len(inner) - 1; k >= 0; k-- {
				*out = append(*out, invertOp(inner[k])...)
			}
			return nil
		case "pow":
			if err := p.apply(s, rest, params, qs, depth+1, &inner); err != nil {
				return err
			}
			return p.power(inner, m, out)
		}
	}
	if s.name == "gphase" {
		if len(params) != 1 || len(qs) != 0 {
			return p.errf(s.tok, "gphase takes one angle and no qubits (use ctrl @ gphase(a) q to add a phase to q)")
		}
		return p.add(out, Op{Kind: Gate, Name: "gphase", Params: params, Line: s.tok.line}, s.tok)
	}
	if g := s.user; g != nil {
		// Charge the call itself, so that gates with empty bodies cannot
		// make expansion exponential without producing ops.
		p.created++
		if p.created > p.lim.MaxOps {
			return p.errf(s.tok, "circuit has more than %d operations after expanding gates (MaxOps)", p.lim.MaxOps)
		}
		if len(params) != len(g.params) || len(qs) != len(g.qargs) {
			return p.errf(s.tok, "gate %s takes %d parameters and %d qubits, got %d and %d",
				g.name, len(g.params), len(g.qargs), len(params), len(qs))
		}
		for k := range g.body {
			b := &g.body[k]
			if b.barrier {
				continue // a barrier inside a gate has no effect on the state
			}
			p.work += b.cost
			if p.work > workPerOp*p.lim.MaxOps {
				return p.errf(s.tok, "expanding gate %s evaluates too many expressions (more than %d nodes; MaxOps × %d)", g.name, workPerOp*p.lim.MaxOps, workPerOp)
			}
			ps := make([]float64, len(b.params))
			for j, e := range b.params {
				ps[j] = e.eval(params)
			}
			mv, err := p.evalMods(b.mods, params)
			if err != nil {
				return err
			}
			bq := make([]int, len(b.args))
			for j, a := range b.args {
				bq[j] = qs[a]
			}
			if err := p.apply(b, mv, ps, bq, depth+1, out); err != nil {
				return err
			}
		}
		return nil
	}
	g, _ := LookupGate(s.name)
	if len(params) != g.Params || len(qs) != g.Qubits {
		return p.errf(s.tok, "gate %s takes %d parameters and %d qubits, got %d and %d",
			s.name, g.Params, g.Qubits, len(params), len(qs))
	}
	for a := range qs {
		for b := a + 1; b < len(qs); b++ {
			if qs[a] == qs[b] {
				return p.errf(s.tok, "gate %s uses qubit %d twice", s.name, qs[a])
			}
		}
	}
	// OpenQASM 3's stdgates.inc defines u2 and u3 with gphase(−(φ+λ)/2)
	// relative to Qiskit's matrices; keep it so that ctrl @ sees it.
	if s.v3 && (g.Name == "u3" || g.Name == "u2") {
		phi, lambda := params[len(params)-2], params[len(params)-1]
		if err := p.add(out, Op{Kind: Gate, Name: "gphase", Params: []float64{-(phi + lambda) / 2}, Line: s.tok.line}, s.tok); err != nil {
			return err
		}
	}
	oq := p.ints(len(qs))
	copy(oq, qs)
	var op []float64
	if len(params) > 0 {
		op = p.floats(len(params))
		copy(op, params)
	}
	return p.add(out, Op{Kind: Gate, Name: g.Name, Params: op, Qubits: oq, Line: s.tok.line}, s.tok)
}

// workPerOp bounds expression evaluation while expanding gates: a
// program may evaluate on average this many expression nodes per op allowed.
const workPerOp = 32

// add appends op, counting it against MaxOps and checking its angles.
func (p *parser) add(out *[]Op, op Op, t token) error {
	p.created++
	if p.created > p.lim.MaxOps {
		return p.errf(t, "circuit has more than %d operations after expanding gates (MaxOps)", p.lim.MaxOps)
	}
	for _, v := range op.Params {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return p.errf(t, "gate %s: angle is not a finite number", op.Name)
		}
	}
	*out = append(*out, op)
	return nil
}

func (p *parser) flipAll(qs []int, t token, out *[]Op) error {
	for _, q := range qs {
		if err := p.add(out, Op{Kind: Gate, Name: "x", Qubits: []int{q}, Line: t.line}, t); err != nil {
			return err
		}
	}
	return nil
}

// addControls returns op with ctrls as extra leading controls. A bare global
// phase under control becomes a phase gate on the controls.
func addControls(op Op, ctrls []int) Op {
	if op.Name == "gphase" && len(op.Qubits) == 0 {
		op.Name = "p"
		op.Qubits = append([]int(nil), ctrls...)
		op.Controls = len(ctrls) - 1
		return op
	}
	qs := make([]int, 0, len(ctrls)+len(op.Qubits))
	qs = append(append(qs, ctrls...), op.Qubits...)
	op.Qubits = qs
	op.Controls += len(ctrls)
	return op
}

// invertOp returns the ops of op's conjugate transpose (one op except for iswap).
func invertOp(op Op) []Op {
	if op.Name == "gphase" {
		op.Params = []float64{-op.Params[0]}
		return []Op{op}
	}
	g, _ := LookupGate(op.Name)
	if name, ps, ok := Inverse(g.Name, op.Params); ok {
		op.Name, op.Params = name, ps
		return []Op{op}
	}
	if g.Controls > 0 && g.Base != g.Name { // csx, c3sqrtx: invert the target part
		name, ps, _ := Inverse(g.Base, op.Params)
		op.Name, op.Params = name, ps
		op.Controls += g.Controls
		return []Op{op}
	}
	if g.Name == "iswap" { // iswap† = iswap·(z⊗z); z⊗z commutes with iswap
		ctrls := op.Qubits[:op.Controls]
		a, b := op.Qubits[op.Controls], op.Qubits[op.Controls+1]
		za := addControls(Op{Kind: Gate, Name: "z", Qubits: []int{a}, Line: op.Line, Cond: op.Cond}, ctrls)
		zb := addControls(Op{Kind: Gate, Name: "z", Qubits: []int{b}, Line: op.Line, Cond: op.Cond}, ctrls)
		return []Op{za, zb, op}
	}
	panic("circuit: no inverse for " + op.Name)
}

// scalable lists the gates for which pow(k) scales every angle by k.
var scalable = map[string]bool{
	"rx": true, "ry": true, "rz": true, "p": true, "u1": true, "cp": true, "cu1": true,
	"crx": true, "cry": true, "crz": true, "rxx": true, "ryy": true, "rzz": true, "rzx": true,
	"u0": true, "gphase": true,
}

// power applies pow(k) to the ops of one expanded gate. A whole k repeats
// them (a negative k repeats the inverse). A fractional k is defined for a
// single gate: rotations scale their angle, and other one-target gates take
// the principal matrix power, re-synthesised as u3 plus a phase.
func (p *parser) power(inner []Op, m modVal, out *[]Op) error {
	k := m.k
	if len(inner) == 0 {
		return nil
	}
	if k == math.Round(k) {
		n := int(math.Abs(k))
		if int64(n)*int64(len(inner)) > int64(p.lim.MaxOps) {
			return p.errf(m.tok, "pow(%g) expands to more than %d operations (MaxOps)", k, p.lim.MaxOps)
		}
		seq := inner
		if k < 0 {
			seq = nil
			for j := len(inner) - 1; j >= 0; j-- {
				seq = append(seq, invertOp(inner[j])...)
			}
		}
		for r := 0; r < n; r++ {
			for _, op := range seq {
				op.Qubits = append([]int(nil), op.Qubits...)
				if err := p.add(out, op, m.tok); err != nil {
					return err
				}
			}
		}
		return nil
	}
	real := 0
	for _, op := range inner {
		if op.Name != "gphase" || len(op.Qubits) > 0 {
			real++
		}
	}
	if real > 1 {
		return p.errf(m.tok, "pow(%g): a fractional power applies to a single built-in gate, not to a gate of %d operations", k, real)
	}
	for _, op := range inner {
		ops, ok := powOp(op, k)
		if !ok {
			return p.errf(m.tok, "pow(%g) @ %s is not supported (fractional powers need a one-qubit target or a rotation)", k, op.Name)
		}
		for _, o := range ops {
			if err := p.add(out, o, m.tok); err != nil {
				return err
			}
		}
	}
	return nil
}

func powOp(op Op, k float64) ([]Op, bool) {
	if scalable[op.Name] {
		ps := make([]float64, len(op.Params))
		for j, v := range op.Params {
			ps[j] = v * k
		}
		op.Params = ps
		return []Op{op}, true
	}
	g, _ := LookupGate(op.Name)
	if g.Controls > 0 && g.Base != g.Name {
		op.Name = g.Base
		op.Controls += g.Controls
		return powOp(op, k)
	}
	if g.Targets() != 1 {
		return nil, false
	}
	controls := g.Controls + op.Controls
	alpha, theta, phi, lambda := zyz(matPow2(g.matrix(op.Params), k))
	ph := Op{Kind: Gate, Name: "gphase", Params: []float64{alpha}, Line: op.Line, Cond: op.Cond}
	if controls > 0 {
		ph = addControls(ph, op.Qubits[:controls])
	}
	u := Op{Kind: Gate, Name: "u3", Params: []float64{theta, phi, lambda}, Qubits: op.Qubits, Controls: controls, Line: op.Line, Cond: op.Cond}
	return []Op{ph, u}, true
}

// matPow2 raises a 2×2 unitary to the real power k with the principal
// branch of each eigenvalue's logarithm.
func matPow2(m []complex128, k float64) []complex128 {
	a, b, c, d := m[0], m[1], m[2], m[3]
	tr, det := a+d, a*d-b*c
	disc := cmplx.Sqrt(tr*tr/4 - det)
	l1, l2 := tr/2+disc, tr/2-disc
	pw := func(z complex128) complex128 { return cmplx.Exp(complex(k, 0) * cmplx.Log(z)) }
	if cmplx.Abs(l1-l2) < 1e-12 { // a unitary with equal eigenvalues is a multiple of I
		v := pw(l1)
		return []complex128{v, 0, 0, v}
	}
	p1, p2 := pw(l1), pw(l2)
	// M^k = p1·(M − l2 I)/(l1 − l2) + p2·(M − l1 I)/(l2 − l1)
	f1, f2 := p1/(l1-l2), p2/(l2-l1)
	return []complex128{
		f1*(a-l2) + f2*(a-l1), (f1 + f2) * b,
		(f1 + f2) * c, f1*(d-l2) + f2*(d-l1),
	}
}

// zyz writes a 2×2 unitary as e^{iα}·u3(θ,φ,λ).
func zyz(m []complex128) (alpha, theta, phi, lambda float64) {
	a, b, c, d := m[0], m[1], m[2], m[3]
	theta = 2 * math.Atan2(cmplx.Abs(c), cmplx.Abs(a))
	const eps = 1e-12
	switch {
	case cmplx.Abs(c) < eps: // diagonal
		alpha = cmplx.Phase(a)
		lambda = cmplx.Phase(d) - alpha
	case cmplx.Abs(a) < eps: // anti-diagonal
		alpha = cmplx.Phase(c)
		lambda = cmplx.Phase(-b) - alpha
	default:
		alpha = cmplx.Phase(a)
		phi = cmplx.Phase(c) - alpha
		lambda = cmplx.Phase(-b) - alpha
	}
	return alpha, theta, phi, lambda
}
