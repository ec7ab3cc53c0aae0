package circuit

// Metrics summarises a circuit for limits, quotas and cost estimates.
type Metrics struct {
	Version       float64        `json:"version"`
	Qubits        int            `json:"qubits"`      // declared
	QubitsUsed    int            `json:"qubits_used"` // touched by a gate, measurement or reset
	Clbits        int            `json:"clbits"`
	Gates         int            `json:"gates"` // unitary operations after expansion
	GateCounts    map[string]int `json:"gate_counts"`
	TwoQubitGates int            `json:"two_qubit_gates"` // gates on exactly two qubits, controls included
	MultiQubit    int            `json:"multi_qubit_gates"`
	CX            int            `json:"cx"` // cx, and x with one control
	Depth         int            `json:"depth"`
	Measurements  int            `json:"measurements"`
	Resets        int            `json:"resets"`
	Barriers      int            `json:"barriers"`
	Conditional   int            `json:"conditional"` // operations under if
	// MidCircuit is true when a gate or reset follows a measurement on the
	// same qubit, or an operation is conditional: such circuits need per-shot
	// simulation and cannot be obfuscated by output padding.
	MidCircuit bool `json:"mid_circuit"`
}

// Metrics computes the metrics of c (the name Measure is taken by the Kind). Depth is the longest chain of
// operations that share a qubit or a classical bit (a condition reads its
// whole register); barriers do not count, as in Qiskit.
func (c *Circuit) Metrics() Metrics {
	m := Metrics{Version: c.Version, Qubits: c.Qubits, Clbits: c.Clbits, GateCounts: map[string]int{}}
	qdepth := make([]int, c.Qubits)
	cdepth := make([]int, c.Clbits)
	used := make([]bool, c.Qubits)
	measured := make([]bool, c.Qubits)
	for k := range c.Ops {
		op := &c.Ops[k]
		if op.Cond != nil {
			m.Conditional++
			m.MidCircuit = true
		}
		switch op.Kind {
		case Barrier:
			m.Barriers++
			continue
		case Gate:
			m.Gates++
			m.GateCounts[op.Name]++
			n := len(op.Qubits)
			if n == 2 {
				m.TwoQubitGates++
			}
			if n >= 2 {
				m.MultiQubit++
			}
			if (op.Name == "cx" && op.Controls == 0) || (op.Name == "x" && op.Controls == 1) {
				m.CX++
			}
		case Measure:
			m.Measurements++
		case Reset:
			m.Resets++
		}
		d := 0
		for _, q := range op.Qubits {
			d = max(d, qdepth[q])
			used[q] = true
			if op.Kind != Measure && measured[q] {
				m.MidCircuit = true
			}
		}
		for _, b := range op.Clbits {
			d = max(d, cdepth[b])
		}
		if op.Cond != nil {
			for b := op.Cond.Offset; b < op.Cond.Offset+op.Cond.Size; b++ {
				d = max(d, cdepth[b])
			}
		}
		d++
		for _, q := range op.Qubits {
			qdepth[q] = d
			if op.Kind == Measure {
				measured[q] = true
			}
		}
		for _, b := range op.Clbits {
			cdepth[b] = d
		}
		if op.Cond != nil {
			for b := op.Cond.Offset; b < op.Cond.Offset+op.Cond.Size; b++ {
				cdepth[b] = d
			}
		}
		m.Depth = max(m.Depth, d)
	}
	for _, u := range used {
		if u {
			m.QubitsUsed++
		}
	}
	return m
}
