package sim

// Fusion cuts the number of passes over the state, which is what a
// state-vector simulator's time is made of once n passes the caches:
//
//  1. Matrix fusion: consecutive one-qubit gates on a qubit are multiplied
//     together, and one-qubit gates are absorbed into the two-qubit gate on
//     the same qubit that precedes or follows them (two-qubit gates on the
//     same pair are merged too).
//  2. Cache blocking: a run of gates that touch only qubits below the block
//     size is applied chunk by chunk, so the whole run costs one pass over
//     memory. Gates on high qubits that do not share a qubit with a later
//     low gate are deferred so that the low run can keep growing.

// fuse returns gs with one-qubit gates merged into their neighbours, every
// gate prepared. Gates of gs that merge with nothing are reused as they are.
func fuse(gs []*gate) []*gate {
	var out []*gate
	pending := map[int]*gate{} // uncontrolled one-qubit gate waiting on a qubit
	last := map[int]int{}      // qubit → index in out of the last gate touching it
	emit := func(g *gate) {
		for _, q := range g.qubits() {
			last[q] = len(out)
		}
		out = append(out, g)
	}
	for _, g := range gs {
		if len(g.targets) == 1 && len(g.controls) == 0 {
			q := g.targets[0]
			if i, ok := last[q]; ok && fusable2(out[i]) {
				prev := as4x4(out[i])
				out[i] = mulGate(embed1(g, prev.targets), prev)
				continue
			}
			if p := pending[q]; p != nil {
				pending[q] = &gate{targets: p.targets, m: mul(g.m, p.m, 2)}
			} else {
				pending[q] = g
			}
			continue
		}
		if fusable2(g) {
			// A two-qubit gate right after another on the same pair merges.
			qs := g.qubits()
			a, b := qs[0], qs[1]
			i, okA := last[a]
			j, okB := last[b]
			if okA && okB && i == j && fusable2(out[i]) && pending[a] == nil && pending[b] == nil {
				out[i] = mulGate(as4x4(g), as4x4(out[i]))
				continue
			}
			for _, q := range qs {
				if p := pending[q]; p != nil {
					g = as4x4(g)
					g = mulGate(g, embed1(p, g.targets))
					delete(pending, q)
				}
			}
			emit(g)
			continue
		}
		for _, q := range g.qubits() {
			if p := pending[q]; p != nil {
				emit(p)
				delete(pending, q)
			}
		}
		emit(g)
	}
	// Flush what is left in qubit order, for a deterministic program.
	for q := range maxQubit(gs) + 1 {
		if p := pending[q]; p != nil {
			emit(p)
		}
	}
	for _, g := range out {
		g.prepare()
	}
	return out
}

func maxQubit(gs []*gate) int {
	m := -1
	for _, g := range gs {
		for _, q := range g.targets {
			m = max(m, q)
		}
		for _, q := range g.controls {
			m = max(m, q)
		}
	}
	return m
}

// fusable2 reports whether g acts on exactly two qubits and so can be
// written as a 4×4 matrix.
func fusable2(g *gate) bool { return len(g.targets)+len(g.controls) == 2 }

// as4x4 writes a two-qubit gate (two targets, or one control and one
// target) as an uncontrolled 4×4 gate.
func as4x4(g *gate) *gate {
	if len(g.targets) == 2 {
		return g
	}
	t, c := g.targets[0], g.controls[0]
	m := make([]complex128, 16)
	// Index bit 0 is the target, bit 1 the control.
	m[0], m[5] = 1, 1
	m[10], m[11], m[14], m[15] = g.m[0], g.m[1], g.m[2], g.m[3]
	return &gate{targets: []int{t, c}, m: m}
}

// embed1 writes a one-qubit gate p as a 4×4 matrix on the pair targets.
func embed1(p *gate, targets []int) *gate {
	u := p.m
	m := make([]complex128, 16)
	if p.targets[0] == targets[0] {
		for r1 := range 2 {
			for r0 := range 2 {
				for c0 := range 2 {
					m[(r0+2*r1)*4+c0+2*r1] = u[r0*2+c0]
				}
			}
		}
	} else {
		for r0 := range 2 {
			for r1 := range 2 {
				for c1 := range 2 {
					m[(r0+2*r1)*4+r0+2*c1] = u[r1*2+c1]
				}
			}
		}
	}
	return &gate{targets: targets, m: m}
}

// mulGate returns the gate "b then a" for two 4×4 gates on the same pair,
// in b's target order.
func mulGate(a, b *gate) *gate {
	am := a.m
	if a.targets[0] != b.targets[0] {
		am = swapOrder(am)
	}
	return &gate{targets: b.targets, m: mul(am, b.m, 4)}
}

// swapOrder exchanges the two index bits of a 4×4 matrix.
func swapOrder(m []complex128) []complex128 {
	sw := [4]int{0, 2, 1, 3}
	out := make([]complex128, 16)
	for r := range 4 {
		for c := range 4 {
			out[r*4+c] = m[sw[r]*4+sw[c]]
		}
	}
	return out
}

// mul returns the d×d matrix product a·b.
func mul(a, b []complex128, d int) []complex128 {
	out := make([]complex128, d*d)
	for r := range d {
		for c := range d {
			var s complex128
			for k := range d {
				s += a[r*d+k] * b[k*d+c]
			}
			out[r*d+c] = s
		}
	}
	return out
}

// step is one pass over the state: a single gate, or a block of gates on
// low qubits applied chunk by chunk.
type step struct {
	gates []*gate
	block bool
}

// schedule groups gs into passes for an n-qubit state with chunks of
// 2^blockBits amplitudes.
func schedule(gs []*gate, blockBits int) []step {
	var steps, deferred []step
	var blk []*gate
	deferredMask := 0
	flush := func() {
		switch len(blk) {
		case 0:
		case 1:
			steps = append(steps, step{gates: blk})
		default:
			steps = append(steps, step{gates: blk, block: true})
		}
		steps = append(steps, deferred...)
		blk, deferred, deferredMask = nil, nil, 0
	}
	for _, g := range gs {
		mask := 0
		for _, q := range g.qubits() {
			mask |= 1 << q
		}
		switch {
		case mask>>blockBits != 0:
			deferred = append(deferred, step{gates: []*gate{g}})
			deferredMask |= mask
		case mask&deferredMask != 0:
			flush()
			blk = append(blk, g)
		default:
			blk = append(blk, g)
		}
	}
	flush()
	return steps
}
