package sim

import (
	"context"
	"maps"
	"math/rand/v2"
	"slices"

	"github.com/qguard/qguard"
	"github.com/qguard/qguard/circuit"
)

// program is a circuit compiled for one state size: the deterministic
// prefix as passes, then (for circuits that need per-shot simulation) the
// instructions every shot runs.
type program struct {
	n        int    // qubits in the state
	terminal bool   // all measurements terminal: sample the final state
	prefix   []step // gates run once
	rest     []instr
	outs     []outBit // terminal: which qubit each output bit reads
	width    int      // output bitstring length
	clbits   int      // per-shot classical register size
}

// outBit says that output bit clbit reads qubit.
type outBit struct{ qubit, clbit int }

// instr is one per-shot instruction.
type instr struct {
	kind  circuit.Kind // Gate, Measure or Reset
	steps []step       // Gate
	qubit int          // Measure, Reset
	clbit int          // Measure
	cond  *circuit.Condition
}

// compile validates c and turns it into a program. Qubits that no
// operation touches stay |0⟩ and are left out of the state (a circuit
// transpiled for a 127-qubit device that uses 5 simulates as 5 qubits),
// unless opts.keepIdle asks for the declared size.
func compile(c *circuit.Circuit, opts Options) (*program, error) {
	if c.Qubits < 1 {
		return nil, qguard.Errorf(qguard.EINVALIDCIRCUIT, "circuit has no qubits")
	}
	for i := range c.Ops {
		if err := checkOperands(c, &c.Ops[i]); err != nil {
			return nil, err
		}
	}
	index, order := stateIndexes(c, opts.keepIdle)
	n := max(1, len(order))
	if err := checkQubits(n, opts.MaxQubits); err != nil {
		return nil, err
	}
	gates := make([]*gate, len(c.Ops)) // nil for non-gates
	terminal, measures := true, 0
	measured := make([]bool, n)
	for i := range c.Ops {
		op := &c.Ops[i]
		if op.Cond != nil || op.Kind == circuit.Reset {
			terminal = false
		}
		switch op.Kind {
		case circuit.Gate:
			g, err := gateOf(op, index)
			if err != nil {
				return nil, err
			}
			gates[i] = g
			for _, q := range g.qubits() {
				if measured[q] {
					terminal = false
				}
			}
		case circuit.Measure:
			measures++
			q := index[op.Qubits[0]]
			if measured[q] {
				terminal = false
			}
			measured[q] = true
		}
	}
	p := &program{n: n, terminal: terminal, width: c.Clbits, clbits: c.Clbits}
	_, bb := opts.layout(n)
	if terminal {
		var all []*gate
		last := map[int]int{} // clbit → qubit of its last measurement
		for i, op := range c.Ops {
			switch {
			case gates[i] != nil:
				all = append(all, gates[i])
			case op.Kind == circuit.Measure:
				last[op.Clbits[0]] = index[op.Qubits[0]]
			}
		}
		p.prefix = passes(all, opts.NoFusion, bb)
		for cb := range c.Clbits {
			if q, ok := last[cb]; ok {
				p.outs = append(p.outs, outBit{qubit: q, clbit: cb})
			}
		}
		if measures == 0 { // measure every declared qubit; idle ones read 0
			p.width = c.Qubits
			for _, q := range order {
				p.outs = append(p.outs, outBit{qubit: index[q], clbit: q})
			}
		}
		return p, nil
	}
	i := 0
	var head []*gate
	for ; i < len(c.Ops) && gates[i] != nil && c.Ops[i].Cond == nil; i++ {
		head = append(head, gates[i])
	}
	p.prefix = passes(head, opts.NoFusion, bb)
	var run []*gate
	flush := func() {
		if len(run) > 0 {
			p.rest = append(p.rest, instr{kind: circuit.Gate, steps: passes(run, opts.NoFusion, bb)})
			run = nil
		}
	}
	for ; i < len(c.Ops); i++ {
		op := &c.Ops[i]
		if gates[i] != nil && op.Cond == nil {
			run = append(run, gates[i])
			continue
		}
		flush()
		in := instr{kind: op.Kind, cond: op.Cond}
		switch op.Kind {
		case circuit.Gate:
			in.steps = passes([]*gate{gates[i]}, true, bb)
		case circuit.Measure:
			in.qubit, in.clbit = index[op.Qubits[0]], op.Clbits[0]
		case circuit.Reset:
			in.qubit = index[op.Qubits[0]]
		default:
			continue
		}
		p.rest = append(p.rest, in)
	}
	flush()
	if measures == 0 {
		p.width = c.Qubits
		p.clbits = max(c.Clbits, c.Qubits)
		for _, q := range order {
			p.rest = append(p.rest, instr{kind: circuit.Measure, qubit: index[q], clbit: q})
		}
	}
	return p, nil
}

// stateIndexes maps each declared qubit that an operation touches (every
// declared qubit when keepIdle) to its bit in the state index, keeping
// their order; order lists those qubits by state index.
func stateIndexes(c *circuit.Circuit, keepIdle bool) (index map[int]int, order []int) {
	used := map[int]bool{}
	if keepIdle {
		for q := range c.Qubits {
			used[q] = true
		}
	}
	for _, op := range c.Ops {
		if op.Kind != circuit.Barrier {
			for _, q := range op.Qubits {
				used[q] = true
			}
		}
	}
	order = slices.Sorted(maps.Keys(used))
	index = make(map[int]int, len(order))
	for i, q := range order {
		index[q] = i
	}
	return index, order
}

// passes turns gates into passes over the state, fused or one by one.
func passes(gs []*gate, noFusion bool, blockBits int) []step {
	if noFusion {
		steps := make([]step, len(gs))
		for i, g := range gs {
			g.prepare()
			steps[i] = step{gates: []*gate{g}}
		}
		return steps
	}
	return schedule(fuse(gs), blockBits)
}

// gateOf converts a gate operation to a kernel gate on the state bits
// given by index.
func gateOf(op *circuit.Op, index map[int]int) (*gate, error) {
	m, nc := op.Unitary()
	k := len(op.Qubits) - nc
	if m == nil || nc < 0 || k < 1 || k > 2 || len(m) != 1<<(2*k) {
		return nil, qguard.Errorf(qguard.EINVALIDCIRCUIT, "line %d: the simulator cannot run gate %q on %d qubits", op.Line, op.Name, len(op.Qubits))
	}
	qs := make([]int, len(op.Qubits))
	for i, q := range op.Qubits {
		qs[i] = index[q]
	}
	return &gate{targets: qs[nc:], controls: qs[:nc], m: m}, nil
}

// checkOperands rejects indexes outside the registers and repeated qubits,
// which would otherwise corrupt the state silently.
func checkOperands(c *circuit.Circuit, op *circuit.Op) error {
	seen := map[int]bool{}
	for _, q := range op.Qubits {
		if q < 0 || q >= c.Qubits || (seen[q] && op.Kind != circuit.Barrier) {
			return qguard.Errorf(qguard.EINVALIDCIRCUIT, "line %d: %s uses qubit %d twice or out of range", op.Line, opName(op), q)
		}
		seen[q] = true
	}
	for _, b := range op.Clbits {
		if b < 0 || b >= c.Clbits {
			return qguard.Errorf(qguard.EINVALIDCIRCUIT, "line %d: %s uses classical bit %d out of range", op.Line, opName(op), b)
		}
	}
	if (op.Kind == circuit.Measure && (len(op.Qubits) != 1 || len(op.Clbits) != 1)) ||
		(op.Kind == circuit.Reset && len(op.Qubits) != 1) {
		return qguard.Errorf(qguard.EINVALIDCIRCUIT, "line %d: %s needs one qubit", op.Line, opName(op))
	}
	if cd := op.Cond; cd != nil && (cd.Offset < 0 || cd.Size < 1 || cd.Size > 64 || cd.Offset+cd.Size > c.Clbits) {
		return qguard.Errorf(qguard.EINVALIDCIRCUIT, "line %d: condition on %s is outside the classical bits", op.Line, cd.Reg)
	}
	return nil
}

func opName(op *circuit.Op) string {
	switch op.Kind {
	case circuit.Measure:
		return "measure"
	case circuit.Reset:
		return "reset"
	case circuit.Barrier:
		return "barrier"
	}
	return op.Name
}

// runShot runs the per-shot instructions on s, recording measurements.
func (p *program) runShot(ctx context.Context, s *state, clbits []bool, rng *rand.Rand) error {
	for i := range p.rest {
		in := &p.rest[i]
		if in.cond != nil && !holds(in.cond, clbits) {
			continue
		}
		switch in.kind {
		case circuit.Gate:
			if err := s.run(ctx, in.steps); err != nil {
				return err
			}
		case circuit.Measure:
			clbits[in.clbit] = s.measure(in.qubit, rng) == 1
		case circuit.Reset:
			s.reset(in.qubit, rng)
		}
	}
	return ctx.Err()
}

// maxBranches bounds the outcome branches that an exact distribution of a
// circuit with mid-circuit measurements may follow. A variable for tests.
var maxBranches = 4096

// maxBranchQubits bounds the state size for exact distributions of such
// circuits: each open branch holds a copy of the state.
const maxBranchQubits = 20

// enumerate adds to out the exact probability of every outcome of the
// per-shot part, starting at instruction from on state s (which it
// consumes), by following both branches of every measurement that can go
// either way.
func (p *program) enumerate(ctx context.Context, s *state, from int, clbits []bool, weight float64, out map[string]float64, budget *int) error {
	for i := from; i < len(p.rest); i++ {
		in := &p.rest[i]
		if in.cond != nil && !holds(in.cond, clbits) {
			continue
		}
		if in.kind == circuit.Gate {
			if err := s.run(ctx, in.steps); err != nil {
				return err
			}
			continue
		}
		p1 := s.probOne(in.qubit)
		outcome, pr := 0, 1-p1
		if p1 >= 1-zeroProbability {
			outcome, pr = 1, p1
		} else if p1 > zeroProbability {
			// Both outcomes possible: follow 1 on a copy, 0 on s.
			if *budget--; *budget < 0 {
				return qguard.Errorf(qguard.ETOOLARGE, "exact probabilities would follow more than %d measurement branches; sample instead", maxBranches)
			}
			t := s.clone()
			t.collapse(in.qubit, 1, p1)
			cb := slices.Clone(clbits)
			p.record(t, in, 1, cb)
			if err := p.enumerate(ctx, t, i+1, cb, weight*p1, out, budget); err != nil {
				return err
			}
		}
		s.collapse(in.qubit, outcome, pr)
		p.record(s, in, outcome, clbits)
		weight *= pr
	}
	out[p.clbitString(clbits)] += weight
	return nil
}

// record stores a measurement outcome, or finishes a reset.
func (p *program) record(s *state, in *instr, outcome int, clbits []bool) {
	switch {
	case in.kind == circuit.Measure:
		clbits[in.clbit] = outcome == 1
	case outcome == 1:
		s.flip(in.qubit)
	}
}

// holds evaluates an `if (creg == value)` condition.
func holds(cd *circuit.Condition, clbits []bool) bool {
	var v uint64
	for i := range cd.Size {
		if clbits[cd.Offset+i] {
			v |= 1 << i
		}
	}
	return v == cd.Value
}

// clbitString formats the output bits, bit width-1 first.
func (p *program) clbitString(clbits []bool) string {
	b := make([]byte, p.width)
	for i := range b {
		b[i] = '0'
		if clbits[p.width-1-i] {
			b[i] = '1'
		}
	}
	return string(b)
}

// key packs the output bits read from basis state idx, output j at bit j.
func (p *program) key(idx int) uint64 {
	var k uint64
	for j, o := range p.outs {
		k |= uint64(idx>>o.qubit&1) << j
	}
	return k
}

// keyString formats a key from key() as a bitstring.
func (p *program) keyString(k uint64) string {
	b := make([]byte, p.width)
	for i := range b {
		b[i] = '0'
	}
	for j, o := range p.outs {
		if k>>j&1 == 1 {
			b[p.width-1-o.clbit] = '1'
		}
	}
	return string(b)
}

// bitstring is the outcome string of basis state idx.
func (p *program) bitstring(idx int) string { return p.keyString(p.key(idx)) }

// zeroProbability is the probability below which an outcome is rounding
// noise and left out of distributions.
const zeroProbability = 1e-15

// maxOutcomes bounds the size of an exact distribution: a uniform
// superposition of 28 qubits has 2^28 outcomes, gigabytes as a map. A
// variable for tests.
var maxOutcomes = 1 << 20

func tooManyOutcomes() error {
	return qguard.Errorf(qguard.ETOOLARGE,
		"more than %d outcomes have nonzero probability; sample instead of asking for exact probabilities", maxOutcomes)
}

// distribution sums |amplitude|² by outcome: in an array indexed by key
// when there are at most 24 output bits, else in a map.
func (p *program) distribution(a []complex128) (map[string]float64, error) {
	byKey := map[uint64]float64{}
	if len(p.outs) <= 24 {
		dense := make([]float64, 1<<len(p.outs))
		for i, v := range a {
			dense[p.key(i)] += real(v)*real(v) + imag(v)*imag(v)
		}
		nonzero := 0
		for _, pr := range dense {
			if pr != 0 {
				nonzero++
			}
		}
		if nonzero > maxOutcomes {
			return nil, tooManyOutcomes()
		}
		for k, pr := range dense {
			if pr != 0 {
				byKey[uint64(k)] = pr
			}
		}
	} else {
		for i, v := range a {
			if pr := real(v)*real(v) + imag(v)*imag(v); pr != 0 {
				byKey[p.key(i)] += pr
				if len(byKey) > maxOutcomes {
					break
				}
			}
		}
	}
	if len(byKey) > maxOutcomes {
		return nil, tooManyOutcomes()
	}
	out := make(map[string]float64, len(byKey))
	for k, pr := range byKey {
		if pr >= zeroProbability {
			out[p.keyString(k)] = pr
		}
	}
	return out, nil
}

// blockBitsFor is the cache-block size for an n-qubit state: chunks of at
// most 2^16 amplitudes (1 MiB, inside L2), and at least 16 chunks when the
// work is split across goroutines.
func blockBitsFor(n, w int) int {
	if w <= 1 {
		return min(n, 16)
	}
	return max(1, min(16, n-4))
}
