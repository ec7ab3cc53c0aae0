package circuit

import "math"

// Exact decompositions used by the emitters when a dialect lacks a gate.
// Each rewrites a gate's target part, global phase included (as a "gphase"
// pseudo-op), so the rewrite stays exact when the op carries controls.
// t0, t1 are the target qubits.
var decompositions = map[string]func(p []float64, t0, t1 int) []Op{
	"u":  func(p []float64, t0, _ int) []Op { return []Op{gate("u3", p, t0)} },
	"U":  func(p []float64, t0, _ int) []Op { return []Op{gate("u3", p, t0)} },
	"u2": func(p []float64, t0, _ int) []Op { return []Op{gate("u3", []float64{math.Pi / 2, p[0], p[1]}, t0)} },
	"id": func([]float64, int, int) []Op { return nil },
	"u0": func(_ []float64, t0, _ int) []Op { return []Op{gate("id", nil, t0)} },
	"u1": func(p []float64, t0, _ int) []Op { return []Op{gate("p", p, t0)} },
	// u3(θ,φ,λ) = e^{i(φ+λ)/2}·rz(φ)·ry(θ)·rz(λ)
	"u3": func(p []float64, t0, _ int) []Op {
		return []Op{gphase((p[1] + p[2]) / 2), gate("rz", p[2:3], t0), gate("ry", p[0:1], t0), gate("rz", p[1:2], t0)}
	},
	// p(λ) = e^{iλ/2}·rz(λ)
	"p": func(p []float64, t0, _ int) []Op { return []Op{gphase(p[0] / 2), gate("rz", p, t0)} },
	// cu's target part is e^{iγ}·u3(θ,φ,λ)
	"cu":   func(p []float64, t0, _ int) []Op { return []Op{gphase(p[3]), gate("u3", p[:3], t0)} },
	"sxdg": func(_ []float64, t0, _ int) []Op { return []Op{gate("sx", nil, t0), gate("x", nil, t0)} },
	"swap": func(_ []float64, a, b int) []Op {
		return []Op{gate("cx", nil, a, b), gate("cx", nil, b, a), gate("cx", nil, a, b)}
	},
	"iswap": func(_ []float64, a, b int) []Op {
		return []Op{gate("s", nil, a), gate("s", nil, b), gate("h", nil, a), gate("cx", nil, a, b), gate("cx", nil, b, a), gate("h", nil, b)}
	},
	"rzz": func(p []float64, a, b int) []Op {
		return []Op{gate("cx", nil, a, b), gate("rz", p, b), gate("cx", nil, a, b)}
	},
	"rxx": func(p []float64, a, b int) []Op {
		return []Op{gate("h", nil, a), gate("h", nil, b), gate("rzz", p, a, b), gate("h", nil, a), gate("h", nil, b)}
	},
	"ryy": func(p []float64, a, b int) []Op {
		v, vd := []float64{math.Pi / 2}, []float64{-math.Pi / 2}
		return []Op{gate("rx", v, a), gate("rx", v, b), gate("rzz", p, a, b), gate("rx", vd, a), gate("rx", vd, b)}
	},
	// pswap(θ) = e^{iθ/2}·rzz(θ)·swap
	"pswap": func(p []float64, a, b int) []Op {
		return []Op{gphase(p[0] / 2), gate("swap", nil, a, b), gate("rzz", p, a, b)}
	},
	// xy(θ) = exp(iθ/4·(XX+YY)); XX and YY commute
	"xy": func(p []float64, a, b int) []Op {
		h := []float64{-p[0] / 2}
		return []Op{gate("rxx", h, a, b), gate("ryy", h, a, b)}
	},
	"cphaseshift00": func(p []float64, a, b int) []Op {
		return []Op{gate("x", nil, a), gate("x", nil, b), gate("cp", p, a, b), gate("x", nil, a), gate("x", nil, b)}
	},
	"cphaseshift01": func(p []float64, a, b int) []Op {
		return []Op{gate("x", nil, a), gate("cp", p, a, b), gate("x", nil, a)}
	},
	"cphaseshift10": func(p []float64, a, b int) []Op {
		return []Op{gate("x", nil, b), gate("cp", p, a, b), gate("x", nil, b)}
	},
	"rzx": func(p []float64, a, b int) []Op {
		return []Op{gate("h", nil, b), gate("rzz", p, a, b), gate("h", nil, b)}
	},
}

func gate(name string, p []float64, qs ...int) Op {
	return Op{Kind: Gate, Name: name, Params: append([]float64(nil), p...), Qubits: qs}
}

func gphase(a float64) Op { return Op{Kind: Gate, Name: "gphase", Params: []float64{a}} }

// lower rewrites op until every piece satisfies ok(name, extra controls),
// appending the pieces to out. Gates with their own controls are first
// tried as their target part under extra controls ("ch" → ctrl @ h). A
// global phase is dropped when uncontrolled and becomes a phase gate on the
// controls otherwise. It returns false if some piece cannot be expressed.
func lower(op Op, ok func(name string, controls int) bool, out *[]Op) bool {
	if op.Name == "gphase" && len(op.Qubits) == 0 {
		return true
	}
	if ok(op.Name, op.Controls) {
		*out = append(*out, op)
		return true
	}
	g, found := LookupGate(op.Name)
	if !found {
		return false
	}
	if g.Controls > 0 && g.Base != g.Name {
		op.Name, op.Controls = g.Base, op.Controls+g.Controls
		return lower(op, ok, out)
	}
	rule := decompositions[g.Name]
	if rule == nil {
		return false
	}
	ctrls := op.Qubits[:op.Controls+g.Controls]
	ts := op.Qubits[op.Controls+g.Controls:]
	t1 := -1
	if len(ts) > 1 {
		t1 = ts[1]
	}
	for _, piece := range rule(op.Params, ts[0], t1) {
		piece.Line, piece.Cond = op.Line, op.Cond
		if piece.Name == "gphase" && len(ctrls) == 0 {
			continue // unobservable
		}
		piece = addControls(piece, ctrls)
		if !lower(piece, ok, out) {
			return false
		}
	}
	return true
}
