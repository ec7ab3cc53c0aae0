package circuit

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// dialect describes what an OpenQASM 3 flavour accepts.
type dialect struct {
	include string            // include line, or "" for none
	names   map[string]string // IR gate name → dialect spelling
	flatten bool              // one qubit register named q (Braket)
}

// IBM: OpenQASM 3 with stdgates.inc. u3/u2 under ctrl are spelled with U,
// whose matrix equals the IR's (stdgates.inc's u3 differs by a phase).
var qasm3Dialect = dialect{
	include: `include "stdgates.inc";`,
	names: map[string]string{
		"id": "id", "x": "x", "y": "y", "z": "z", "h": "h", "s": "s", "sdg": "sdg", "t": "t", "tdg": "tdg",
		"sx": "sx", "sxdg": "inv @ sx", "rx": "rx", "ry": "ry", "rz": "rz", "p": "p", "u1": "u1", "u3": "u3",
		"u2": "u2", "U": "U", "u": "U",
		"cx": "cx", "cy": "cy", "cz": "cz", "ch": "ch", "cp": "cp", "crx": "crx", "cry": "cry", "crz": "crz",
		"cu": "cu", "cu1": "cp", "swap": "swap", "ccx": "ccx", "cswap": "cswap",
	},
}

// Amazon Braket: its own gate names, no include, one qubit register.
var braketDialect = dialect{
	flatten: true,
	names: map[string]string{
		"id": "i", "x": "x", "y": "y", "z": "z", "h": "h", "s": "s", "sdg": "si", "t": "t", "tdg": "ti",
		"sx": "v", "sxdg": "vi", "rx": "rx", "ry": "ry", "rz": "rz", "p": "phaseshift", "u1": "phaseshift",
		"cx": "cnot", "cy": "cy", "cz": "cz", "cp": "cphaseshift", "cu1": "cphaseshift", "swap": "swap",
		"iswap": "iswap", "ccx": "ccnot", "cswap": "cswap", "rxx": "xx", "ryy": "yy", "rzz": "zz",
		"pswap": "pswap", "xy": "xy", "cphaseshift00": "cphaseshift00", "cphaseshift01": "cphaseshift01",
		"cphaseshift10": "cphaseshift10",
	},
}

// EmitQASM3 writes c as OpenQASM 3 for IBM (stdgates.inc). Gates outside
// stdgates.inc are rewritten exactly: sxdg as inv @ sx, cu3 and csx and
// c3x as modifiers on their target part, rzz/rxx/ryy/rzx/iswap into cx and
// rotations. Parsing the output gives the same circuit up to those
// rewrites.
func EmitQASM3(c *Circuit) string { return emitQASM(c, &qasm3Dialect) }

// EmitBraket writes c in Amazon Braket's OpenQASM 3 dialect: Braket gate
// names (cnot, si, ti, v, phaseshift, …), no include, one register q.
// Gates without a Braket name are rewritten exactly into Braket gates, or
// written with ctrl @ on a Braket gate. Braket devices may still reject
// modifiers, reset or if; the provider adapter checks device capabilities.
func EmitBraket(c *Circuit) string { return emitQASM(c, &braketDialect) }

func formatAngle(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func emitQASM(c *Circuit, d *dialect) string {
	var b strings.Builder
	b.WriteString("OPENQASM 3.0;\n")
	if d.include != "" {
		b.WriteString(d.include + "\n")
	}
	qname := qubitNamer(c, d.flatten)
	if physical := len(c.QRegs) == 1 && c.QRegs[0].Name == "$"; !physical {
		if d.flatten && c.Qubits > 0 {
			fmt.Fprintf(&b, "qubit[%d] %s;\n", c.Qubits, qname(-1))
		} else {
			for _, r := range c.QRegs {
				fmt.Fprintf(&b, "qubit[%d] %s;\n", r.Size, r.Name)
			}
		}
	}
	for _, r := range c.CRegs {
		fmt.Fprintf(&b, "bit[%d] %s;\n", r.Size, r.Name)
	}
	cname := bitNamer(c)
	ok := func(name string, controls int) bool {
		if _, found := d.names[name]; !found {
			return false
		}
		// stdgates.inc's u2/u3 carry an extra phase: under ctrl they are
		// spelled with U, which has the IR's matrix.
		return controls == 0 || name != "u3" && name != "u2" || d.names["U"] != ""
	}
	var pieces []Op
	for k := range c.Ops {
		op := &c.Ops[k]
		var prefix string
		if op.Cond != nil {
			prefix = conditionPrefix(c, op.Cond, cname)
		}
		switch op.Kind {
		case Measure:
			fmt.Fprintf(&b, "%s%s = measure %s;\n", prefix, cname(op.Clbits[0]), qname(op.Qubits[0]))
			continue
		case Reset:
			fmt.Fprintf(&b, "%sreset %s;\n", prefix, qname(op.Qubits[0]))
			continue
		case Barrier:
			fmt.Fprintf(&b, "%sbarrier %s;\n", prefix, joinQubits(op.Qubits, qname))
			continue
		}
		pieces = pieces[:0]
		if !lower(*op, ok, &pieces) {
			// Every table gate lowers to the dialect; reaching here is a bug.
			panic("circuit: cannot emit " + op.Name)
		}
		for _, g := range pieces {
			b.WriteString(prefix)
			if g.Controls == 1 {
				b.WriteString("ctrl @ ")
			} else if g.Controls > 1 {
				fmt.Fprintf(&b, "ctrl(%d) @ ", g.Controls)
			}
			name := d.names[g.Name]
			params := g.Params
			if g.Controls > 0 && (g.Name == "u3" || g.Name == "u2") {
				name = "U"
				if g.Name == "u2" {
					params = []float64{math.Pi / 2, params[0], params[1]}
				}
			}
			b.WriteString(name)
			if len(params) > 0 {
				b.WriteByte('(')
				for j, v := range params {
					if j > 0 {
						b.WriteString(", ")
					}
					b.WriteString(formatAngle(v))
				}
				b.WriteByte(')')
			}
			b.WriteByte(' ')
			b.WriteString(joinQubits(g.Qubits, qname))
			b.WriteString(";\n")
		}
	}
	return b.String()
}

// conditionPrefix spells cond as `if (c == v) `, or `if (c[i] == v) ` for
// a single bit of a larger register.
func conditionPrefix(c *Circuit, cond *Condition, bit func(int) string) string {
	for _, r := range c.CRegs {
		if r.Name == cond.Reg && r.Offset == cond.Offset && r.Size == cond.Size {
			return fmt.Sprintf("if (%s == %d) ", cond.Reg, cond.Value)
		}
	}
	return fmt.Sprintf("if (%s == %d) ", bit(cond.Offset), cond.Value)
}

func joinQubits(qs []int, name func(int) string) string {
	parts := make([]string, len(qs))
	for k, q := range qs {
		parts[k] = name(q)
	}
	return strings.Join(parts, ", ")
}

// qubitNamer returns a function naming flattened qubit i (i = −1: the
// register itself when flattened).
func qubitNamer(c *Circuit, flatten bool) func(int) string {
	if len(c.QRegs) == 1 && c.QRegs[0].Name == "$" {
		return func(i int) string { return "$" + strconv.Itoa(i) }
	}
	if flatten {
		name := "q"
		for taken := true; taken; {
			taken = false
			for _, r := range c.CRegs {
				if r.Name == name {
					name, taken = "_"+name, true
				}
			}
		}
		return func(i int) string {
			if i < 0 {
				return name
			}
			return name + "[" + strconv.Itoa(i) + "]"
		}
	}
	return registerNamer(c.QRegs)
}

func bitNamer(c *Circuit) func(int) string { return registerNamer(c.CRegs) }

func registerNamer(regs []Register) func(int) string {
	return func(i int) string {
		for _, r := range regs {
			if i >= r.Offset && i < r.Offset+r.Size {
				return r.Name + "[" + strconv.Itoa(i-r.Offset) + "]"
			}
		}
		panic(fmt.Sprintf("circuit: index %d outside every register", i))
	}
}

// IonQ's QIS gate set (ionq.circuit.v1, gateset "qis"): IR name → IonQ name.
// One-target gates may carry controls.
var ionqNames = map[string]string{
	"x": "x", "y": "y", "z": "z", "h": "h", "s": "s", "sdg": "si", "t": "t", "tdg": "ti",
	"sx": "v", "sxdg": "vi", "rx": "rx", "ry": "ry", "rz": "rz",
	"swap": "swap", "rxx": "xx", "ryy": "yy", "rzz": "zz",
}

// IonQGate is one entry of an ionq.circuit.v1 circuit.
type IonQGate struct {
	Gate     string   `json:"gate"`
	Target   *int     `json:"target,omitempty"`
	Targets  []int    `json:"targets,omitempty"`
	Control  *int     `json:"control,omitempty"`
	Controls []int    `json:"controls,omitempty"`
	Rotation *float64 `json:"rotation,omitempty"`
}

// IonQInput is the "input" object of an IonQ v0.4 job of type ionq.circuit.v1.
type IonQInput struct {
	Qubits  int        `json:"qubits"`
	Gateset string     `json:"gateset"`
	Circuit []IonQGate `json:"circuit"`
}

// EmitIonQ writes c as the input of an ionq.circuit.v1 job (gateset qis).
// IonQ measures every qubit at the end, so measurements must be terminal
// and map qubit i to bit i; reset, if and mid-circuit measurement are
// rejected. Gates outside the QIS set are decomposed exactly (u3 into
// rz·ry·rz, p into rz plus a phase on the controls, cu3 and ch as
// controlled QIS gates, iswap and rzx into cnot and rotations).
func EmitIonQ(c *Circuit) ([]byte, error) {
	in := IonQInput{Qubits: c.Qubits, Gateset: "qis", Circuit: []IonQGate{}}
	ok := func(name string, controls int) bool {
		if _, found := ionqNames[name]; !found {
			return false
		}
		g := Gates[name]
		return controls == 0 || g.Targets() == 1
	}
	measured := make([]bool, c.Qubits)
	var pieces []Op
	for k := range c.Ops {
		op := &c.Ops[k]
		if op.Cond != nil {
			return nil, fmt.Errorf("line %d: IonQ does not accept conditional operations (if)", op.Line)
		}
		switch op.Kind {
		case Reset:
			return nil, fmt.Errorf("line %d: IonQ does not accept reset", op.Line)
		case Measure:
			if op.Qubits[0] != op.Clbits[0] {
				return nil, fmt.Errorf("line %d: IonQ returns qubit i as bit i; measure qubit %d into bit %d instead of %d", op.Line, op.Qubits[0], op.Qubits[0], op.Clbits[0])
			}
			measured[op.Qubits[0]] = true
			continue
		case Barrier:
			continue
		}
		for _, q := range op.Qubits {
			if measured[q] {
				return nil, fmt.Errorf("line %d: IonQ does not accept mid-circuit measurement (qubit %d is measured before this gate)", op.Line, q)
			}
		}
		pieces = pieces[:0]
		if !lower(*op, ok, &pieces) {
			return nil, fmt.Errorf("line %d: gate %s has no IonQ equivalent", op.Line, op.Name)
		}
		for _, g := range pieces {
			in.Circuit = append(in.Circuit, ionqGate(g))
		}
	}
	return json.Marshal(in)
}

func ionqGate(op Op) IonQGate {
	g := IonQGate{Gate: ionqNames[op.Name]}
	ctrls, ts := op.Qubits[:op.Controls], op.Qubits[op.Controls:]
	switch len(ctrls) {
	case 0:
	case 1:
		g.Control = &ctrls[0]
		if op.Name == "x" {
			g.Gate = "cnot"
		}
	default:
		g.Controls = ctrls
	}
	if len(ts) == 1 {
		g.Target = &ts[0]
	} else {
		g.Targets = ts
	}
	if len(op.Params) == 1 {
		g.Rotation = &op.Params[0]
	}
	return g
}

// ParseIonQ reads an ionq.circuit.v1 input back into a circuit with one
// register q (and a measurement of every qubit into c when measure is true),
// so emitted IonQ circuits can be checked by round trip.
func ParseIonQ(data []byte, measure bool) (*Circuit, error) {
	var in IonQInput
	if err := json.Unmarshal(data, &in); err != nil {
		return nil, fmt.Errorf("ionq circuit: %w", err)
	}
	if in.Qubits <= 0 || in.Qubits > DefaultLimits.MaxQubits {
		return nil, fmt.Errorf("ionq circuit: %d qubits out of range", in.Qubits)
	}
	c := &Circuit{Version: 3, Qubits: in.Qubits, QRegs: []Register{{Name: "q", Size: in.Qubits}}}
	names := map[string]string{"cnot": "x", "not": "x"}
	for ir, name := range ionqNames {
		names[name] = ir
	}
	for k, g := range in.Circuit {
		name, found := names[g.Gate]
		if !found {
			return nil, fmt.Errorf("ionq circuit: gate %d: unknown gate %q", k, g.Gate)
		}
		op := Op{Kind: Gate, Name: name}
		if g.Control != nil {
			op.Qubits = append(op.Qubits, *g.Control)
		}
		op.Qubits = append(op.Qubits, g.Controls...)
		op.Controls = len(op.Qubits)
		if g.Target != nil {
			op.Qubits = append(op.Qubits, *g.Target)
		}
		op.Qubits = append(op.Qubits, g.Targets...)
		if g.Rotation != nil {
			op.Params = []float64{*g.Rotation}
		}
		def := Gates[name]
		if len(op.Qubits)-op.Controls != def.Targets() || len(op.Params) != def.Params {
			return nil, fmt.Errorf("ionq circuit: gate %d (%s): wrong number of targets or rotation", k, g.Gate)
		}
		if op.Controls > 0 && def.Targets() != 1 {
			return nil, fmt.Errorf("ionq circuit: gate %d (%s): only one-target gates take controls", k, g.Gate)
		}
		for a, q := range op.Qubits {
			if q < 0 || q >= in.Qubits {
				return nil, fmt.Errorf("ionq circuit: gate %d: qubit %d out of range", k, q)
			}
			for _, r := range op.Qubits[a+1:] {
				if r == q {
					return nil, fmt.Errorf("ionq circuit: gate %d: qubit %d used twice", k, q)
				}
			}
		}
		c.Ops = append(c.Ops, op)
	}
	if measure {
		c.Clbits = in.Qubits
		c.CRegs = []Register{{Name: "c", Size: in.Qubits}}
		for q := 0; q < in.Qubits; q++ {
			c.Ops = append(c.Ops, Op{Kind: Measure, Qubits: []int{q}, Clbits: []int{q}})
		}
	}
	return c, nil
}
