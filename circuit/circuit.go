// Package circuit parses OpenQASM 2 and 3 into one intermediate
// representation, measures circuits, validates them against limits, and
// emits them in the dialects the providers accept.
//
// Qubits and classical bits are flattened: registers are laid out one after
// another and every operation refers to qubit and bit indexes. Basis states
// are little-endian: qubit i is bit i of the state index, as in Qiskit.
package circuit

// Kind is the kind of an operation.
type Kind uint8

const (
	Gate    Kind = iota // a unitary gate from the Gates table, possibly controlled
	Measure             // Qubits[0] measured into Clbits[0]
	Reset               // Qubits[0] reset to |0⟩
	Barrier             // no effect on the state; kept for emitters
)

// Register is a named quantum or classical register.
type Register struct {
	Name   string
	Size   int
	Offset int // index of the register's first element in the flattened space
}

// Condition makes an operation run only when the classical register Reg
// (bits Offset … Offset+Size-1, bit Offset least significant) equals Value.
type Condition struct {
	Reg    string
	Offset int
	Size   int
	Value  uint64
}

// Op is one operation. User-defined gates are expanded into these by the
// parser, so Name is always one of the built-in gates (see Gates).
type Op struct {
	Kind   Kind
	Name   string    // gate name, lower case ("h", "cx", "u3", …); empty for non-gates
	Params []float64 // gate angles, in radians
	// Qubits lists the controls first, then the targets. Controls counts
	// the extra controls added by `ctrl @` beyond the gate's own (a "cx" has
	// Controls 0; "ctrl @ h" has Name "h" and Controls 1).
	Qubits   []int
	Controls int
	Clbits   []int
	Cond     *Condition
	Line     int // source line, for error messages
}

// Circuit is a parsed program.
type Circuit struct {
	Version float64 // 2.0 or 3.0, from the OPENQASM header
	Qubits  int     // flattened qubit count
	Clbits  int     // flattened classical bit count
	QRegs   []Register
	CRegs   []Register
	Ops     []Op
	// Inputs names OpenQASM 3 `input float` parameters that were bound.
	Inputs []string
}
