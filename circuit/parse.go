package circuit

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
)

// Limits bound the work the parser does for untrusted input. A zero field
// takes its default from DefaultLimits.
type Limits struct {
	MaxBytes  int // source size
	MaxOps    int // operations after expanding gate definitions and modifiers
	MaxQubits int // declared qubits (and physical qubit numbers + 1)
	MaxClbits int // declared classical bits
	MaxDepth  int // nesting of expressions, gate calls, modifiers and blocks
}

// DefaultLimits admit every QASMBench small and medium circuit with room to
// spare, while keeping a hostile file to well under a gigabyte of memory.
var DefaultLimits = Limits{
	MaxBytes:  16 << 20,
	MaxOps:    2_000_000,
	MaxQubits: 1024,
	MaxClbits: 4096,
	MaxDepth:  64,
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.MaxBytes > 0 {
		d.MaxBytes = l.MaxBytes
	}
	if l.MaxOps > 0 {
		d.MaxOps = l.MaxOps
	}
	if l.MaxQubits > 0 {
		d.MaxQubits = l.MaxQubits
	}
	if l.MaxClbits > 0 {
		d.MaxClbits = l.MaxClbits
	}
	if l.MaxDepth > 0 {
		d.MaxDepth = l.MaxDepth
	}
	return d
}

// ParseOptions configures ParseWithOptions.
type ParseOptions struct {
	Limits Limits
	// Inputs binds OpenQASM 3 `input float name;` parameters by name.
	Inputs map[string]float64
}

// ParseError is a syntax, semantic or limit error at a source position.
type ParseError struct {
	Line, Col int
	Msg       string
}

func (e *ParseError) Error() string { return fmt.Sprintf("%d:%d: %s", e.Line, e.Col, e.Msg) }

// Parse parses an OpenQASM 2 or 3 program with DefaultLimits. The version
// comes from the OPENQASM header; a file without one is read as OpenQASM 2
// when it includes qelib1.inc, else as OpenQASM 3.
func Parse(src []byte) (*Circuit, error) { return ParseWithOptions(src, ParseOptions{}) }

// ParseWithLimits parses with the given limits (zero fields take defaults).
func ParseWithLimits(src []byte, lim Limits) (*Circuit, error) {
	return ParseWithOptions(src, ParseOptions{Limits: lim})
}

// ParseWithOptions parses with limits and bound input parameters.
func ParseWithOptions(src []byte, opts ParseOptions) (*Circuit, error) {
	lim := opts.Limits.withDefaults()
	if len(src) > lim.MaxBytes {
		return nil, &ParseError{Line: 1, Col: 1, Msg: fmt.Sprintf("source is %d bytes, over the limit of %d (MaxBytes)", len(src), lim.MaxBytes)}
	}
	p := &parser{
		lex:            newLexer(string(src)),
		lim:            lim,
		c:              &Circuit{},
		gates:          map[string]*gateDef{},
		regs:           map[string]*regInfo{},
		inputs:         map[string]float64{},
		declaredInputs: map[string]bool{},
		bound:          opts.Inputs,
	}
	// One op per statement is the common case; reserve for it.
	p.c.Ops = make([]Op, 0, min(bytes.Count(src, []byte(";")), lim.MaxOps))
	p.advance()
	if err := p.program(src); err != nil {
		return nil, err
	}
	return p.finish(), nil
}

type regInfo struct {
	quantum bool
	reg     Register
}

// gateDef is a user-defined (or library) gate.
type gateDef struct {
	name    string
	params  []string
	qargs   []string
	body    []gateStmt
	library bool // from an embedded include; a program may redefine it
}

// modifier is a parsed `ctrl @`, `negctrl @`, `inv @` or `pow(k) @`.
type modifier struct {
	kind string // "ctrl", "negctrl", "inv", "pow"
	arg  *expr  // n for ctrl/negctrl (nil means 1), k for pow
	tok  token
}

// gateStmt is one call in a gate body; args index the gate's qubit arguments.
type gateStmt struct {
	tok     token
	mods    []modifier
	name    string
	user    *gateDef // nil for built-ins and gphase
	params  []*expr
	args    []int
	barrier bool
	v3      bool // parsed under OpenQASM 3 (u2/u3 carry stdgates.inc's phase)
	cost    int  // expression nodes evaluated per call
}

type parser struct {
	slabSize       int // size of the last slab ints carved from
	lex            *lexer
	tok            token
	peeked         *token
	lim            Limits
	c              *Circuit
	gates          map[string]*gateDef
	regs           map[string]*regInfo
	inputs         map[string]float64 // declared and bound
	declaredInputs map[string]bool
	bound          map[string]float64
	physical       int // highest physical qubit + 1
	virtual        bool
	created        int // ops created, for MaxOps
	exprNodes      int
	work           int // expression nodes evaluated while expanding gates
	scratch        []Op
	slab           []int // backing store for op qubit lists
	fslab          []float64
	opbuf          []operand
	qbuf           []int
	inLibrary      bool
	libraryLoaded  bool
}

func (p *parser) advance() {
	if p.peeked != nil {
		p.tok = *p.peeked
		p.peeked = nil
		return
	}
	p.tok = p.lex.next()
}

func (p *parser) peek() token {
	if p.peeked == nil {
		t := p.lex.next()
		p.peeked = &t
	}
	return *p.peeked
}

func (p *parser) errf(t token, format string, args ...any) error {
	if p.lex.err != nil {
		return p.lex.err
	}
	return &ParseError{Line: t.line, Col: t.col, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) isPunct(s string) bool { return p.tok.kind == tPunct && p.tok.text == s }

func (p *parser) expectPunct(s string) error {
	if !p.isPunct(s) {
		return p.errf(p.tok, "expected %q, found %s", s, p.tok)
	}
	p.advance()
	return nil
}

func (p *parser) expectIdent() (token, error) {
	t := p.tok
	if t.kind != tIdent {
		return t, p.errf(t, "expected a name, found %s", t)
	}
	p.advance()
	return t, nil
}

func (p *parser) expectInt() (int, token, error) {
	t := p.tok
	if t.kind != tInt {
		return 0, t, p.errf(t, "expected an integer, found %s", t)
	}
	p.advance()
	n, err := strconv.Atoi(t.text)
	if err != nil || n < 0 {
		return 0, t, p.errf(t, "integer %s out of range", t.text)
	}
	return n, t, nil
}

func (p *parser) v3() bool { return p.c.Version >= 3 }

func (p *parser) program(src []byte) error {
	if p.tok.kind == tIdent && p.tok.text == "OPENQASM" {
		p.advance()
		t := p.tok
		if t.kind != tInt && t.kind != tFloat {
			return p.errf(t, "expected a version number after OPENQASM")
		}
		v, _ := strconv.ParseFloat(t.text, 64)
		switch {
		case v >= 2 && v < 3:
			p.c.Version = 2
		case v >= 3 && v < 4:
			p.c.Version = 3
		default:
			return p.errf(t, "unsupported OpenQASM version %s (want 2.0 or 3)", t.text)
		}
		p.advance()
		if err := p.expectPunct(";"); err != nil {
			return err
		}
	} else if bytes.Contains(src, []byte(`"qelib1.inc"`)) {
		p.c.Version = 2
	} else {
		p.c.Version = 3
	}
	for p.tok.kind != tEOF {
		if err := p.statement(0); err != nil {
			return err
		}
	}
	if p.lex.err != nil {
		return p.lex.err
	}
	return nil
}

func (p *parser) statement(depth int) error {
	t := p.tok
	if t.kind == tPunct && t.text == "#" {
		return p.errf(t, "pragmas are not supported; remove the #pragma line")
	}
	if t.kind != tIdent {
		return p.errf(t, "expected a statement, found %s", t)
	}
	switch t.text {
	case "include":
		return p.include()
	case "qreg", "creg":
		return p.oldDecl(t.text == "qreg")
	case "qubit", "bit":
		if p.v3() {
			return p.newDecl(t.text == "qubit")
		}
	case "input":
		if p.v3() {
			return p.input()
		}
	case "gate":
		return p.gateDecl()
	case "opaque":
		return p.errf(t, "opaque gates are not supported: a gateway cannot check a gate it cannot see; define it with gate")
	case "measure":
		return p.measureArrow(nil)
	case "reset":
		return p.reset(nil)
	case "barrier":
		return p.barrier(nil)
	case "if":
		return p.ifStmt(depth)
	case "for", "while", "def", "defcal", "cal", "box", "delay", "const", "let", "extern", "output",
		"int", "uint", "float", "angle", "bool", "duration", "stretch", "complex", "array", "return",
		"break", "continue", "end", "switch", "durationof", "defcalgrammar", "else":
		if p.v3() {
			return p.errf(t, "%s is not supported: the gateway accepts the OpenQASM 3 subset in docs/circuits.md", t.text)
		}
	}
	if p.v3() {
		if nt := p.peek(); nt.kind == tPunct && (nt.text == "=" || nt.text == "[") && p.regs[t.text] != nil && !p.regs[t.text].quantum {
			return p.assignMeasure()
		}
	}
	return p.gateCall(nil)
}

func (p *parser) include() error {
	p.advance()
	t := p.tok
	if t.kind != tString {
		return p.errf(t, "expected a file name in quotes after include")
	}
	p.advance()
	switch t.text {
	case "qelib1.inc", "stdgates.inc":
		if err := p.loadLibrary(); err != nil {
			return err
		}
	default:
		return p.errf(t, "include %q: only qelib1.inc and stdgates.inc are available (includes never read files)", t.text)
	}
	return p.expectPunct(";")
}

// keywords cannot name registers, gates or inputs.
var keywords = map[string]bool{
	"OPENQASM": true, "include": true, "qreg": true, "creg": true, "qubit": true, "bit": true, "gate": true,
	"opaque": true, "measure": true, "reset": true, "barrier": true, "if": true, "else": true, "input": true,
	"output": true, "ctrl": true, "negctrl": true, "inv": true, "pow": true, "gphase": true, "U": true, "CX": true,
	"for": true, "while": true, "def": true, "const": true, "let": true, "pi": true, "π": true, "tau": true,
	"τ": true, "euler": true, "ℯ": true, "float": true, "angle": true, "int": true, "uint": true, "bool": true,
}

func (p *parser) declare(t token, name string, size int, quantum bool) error {
	if keywords[name] {
		return p.errf(t, "%s is a reserved word", name)
	}
	if p.regs[name] != nil {
		return p.errf(t, "%s is already declared", name)
	}
	if _, ok := p.gates[name]; ok && !p.gates[name].library {
		return p.errf(t, "%s is already a gate", name)
	}
	if size <= 0 {
		return p.errf(t, "register %s must have at least one element", name)
	}
	r := Register{Name: name, Size: size}
	if quantum {
		if p.physical > 0 {
			return p.errf(t, "cannot declare qubits after using physical qubits ($n); use one or the other")
		}
		p.virtual = true
		if size > p.lim.MaxQubits-p.c.Qubits {
			return p.errf(t, "%d qubits declared, over the limit of %d (MaxQubits)", p.c.Qubits+size, p.lim.MaxQubits)
		}
		r.Offset = p.c.Qubits
		p.c.Qubits += size
		p.c.QRegs = append(p.c.QRegs, r)
	} else {
		if size > p.lim.MaxClbits-p.c.Clbits {
			return p.errf(t, "%d classical bits declared, over the limit of %d (MaxClbits)", p.c.Clbits+size, p.lim.MaxClbits)
		}
		r.Offset = p.c.Clbits
		p.c.Clbits += size
		p.c.CRegs = append(p.c.CRegs, r)
	}
	p.regs[name] = &regInfo{quantum: quantum, reg: r}
	return nil
}

// oldDecl parses `qreg q[n];` or `creg c[n];`.
func (p *parser) oldDecl(quantum bool) error {
	p.advance()
	t, err := p.expectIdent()
	if err != nil {
		return err
	}
	if err := p.expectPunct("["); err != nil {
		return err
	}
	n, nt, err := p.expectInt()
	if err != nil {
		return err
	}
	if err := p.expectPunct("]"); err != nil {
		return err
	}
	if err := p.declare(nt, t.text, n, quantum); err != nil {
		return err
	}
	return p.expectPunct(";")
}

// newDecl parses `qubit[n] q;`, `qubit q;`, `bit[n] c;` or `bit c;`.
func (p *parser) newDecl(quantum bool) error {
	p.advance()
	n, nt := 1, p.tok
	if p.isPunct("[") {
		p.advance()
		var err error
		if n, nt, err = p.expectInt(); err != nil {
			return err
		}
		if err := p.expectPunct("]"); err != nil {
			return err
		}
	}
	t, err := p.expectIdent()
	if err != nil {
		return err
	}
	if err := p.declare(nt, t.text, n, quantum); err != nil {
		return err
	}
	if p.isPunct("=") {
		return p.errf(p.tok, "initialisers on declarations are not supported")
	}
	return p.expectPunct(";")
}

// input parses `input float[64] name;` (or `input angle name;`).
func (p *parser) input() error {
	p.advance()
	ty, err := p.expectIdent()
	if err != nil {
		return err
	}
	if ty.text != "float" && ty.text != "angle" {
		return p.errf(ty, "input %s is not supported; only input float and input angle parameters are", ty.text)
	}
	if p.isPunct("[") {
		p.advance()
		if _, _, err := p.expectInt(); err != nil {
			return err
		}
		if err := p.expectPunct("]"); err != nil {
			return err
		}
	}
	t, err := p.expectIdent()
	if err != nil {
		return err
	}
	if keywords[t.text] {
		return p.errf(t, "%s is a reserved word", t.text)
	}
	if p.declaredInputs[t.text] || p.regs[t.text] != nil {
		return p.errf(t, "%s is already declared", t.text)
	}
	p.declaredInputs[t.text] = true
	if v, ok := p.bound[t.text]; ok {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return p.errf(t, "input %s is not a finite number", t.text)
		}
		p.inputs[t.text] = v
		p.c.Inputs = append(p.c.Inputs, t.text)
	}
	return p.expectPunct(";")
}

// gateDecl parses `gate name(params) qargs { body }`.
func (p *parser) gateDecl() error {
	p.advance()
	t, err := p.expectIdent()
	if err != nil {
		return err
	}
	if old, ok := p.gates[t.text]; ok && !old.library {
		return p.errf(t, "gate %s is already defined", t.text)
	}
	if p.regs[t.text] != nil {
		return p.errf(t, "%s is already a register", t.text)
	}
	if keywords[t.text] {
		return p.errf(t, "%s is a reserved word", t.text)
	}
	g := &gateDef{name: t.text, library: p.inLibrary}
	if p.isPunct("(") {
		p.advance()
		for !p.isPunct(")") {
			pt, err := p.expectIdent()
			if err != nil {
				return err
			}
			g.params = append(g.params, pt.text)
			if !p.isPunct(",") {
				break
			}
			p.advance()
		}
		if err := p.expectPunct(")"); err != nil {
			return err
		}
	}
	for {
		qt, err := p.expectIdent()
		if err != nil {
			return err
		}
		for _, q := range g.qargs {
			if q == qt.text {
				return p.errf(qt, "qubit argument %s appears twice", q)
			}
		}
		g.qargs = append(g.qargs, qt.text)
		if !p.isPunct(",") {
			break
		}
		p.advance()
	}
	if err := p.expectPunct("{"); err != nil {
		return err
	}
	for !p.isPunct("}") {
		if p.tok.kind == tEOF {
			return p.errf(p.tok, "unterminated body of gate %s", g.name)
		}
		s, err := p.bodyStmt(g)
		if err != nil {
			return err
		}
		g.body = append(g.body, s)
	}
	p.advance()
	p.gates[g.name] = g
	return nil
}

// bodyStmt parses one statement of a gate body.
func (p *parser) bodyStmt(g *gateDef) (gateStmt, error) {
	s := gateStmt{tok: p.tok, v3: p.v3()}
	mods, err := p.modifiers(g.params)
	if err != nil {
		return s, err
	}
	s.mods = mods
	nt, err := p.expectIdent()
	if err != nil {
		return s, err
	}
	s.tok, s.name = nt, nt.text
	switch {
	case s.name == "barrier" && len(mods) == 0:
		s.barrier = true
	case s.name == "gphase":
	case p.gates[s.name] != nil:
		s.user = p.gates[s.name]
	default:
		if _, ok := LookupGate(s.name); !ok {
			return s, p.errf(nt, "unknown gate %s", s.name)
		}
	}
	if p.isPunct("(") {
		p.advance()
		for !p.isPunct(")") {
			e, err := p.parseExpr(g.params)
			if err != nil {
				return s, err
			}
			s.params = append(s.params, e)
			s.cost += e.size()
			if !p.isPunct(",") {
				break
			}
			p.advance()
		}
		if err := p.expectPunct(")"); err != nil {
			return s, err
		}
	}
	for !p.isPunct(";") {
		at, err := p.expectIdent()
		if err != nil {
			return s, err
		}
		k := indexOf(g.qargs, at.text)
		if k < 0 {
			return s, p.errf(at, "%s is not a qubit argument of gate %s", at.text, g.name)
		}
		s.args = append(s.args, k)
		if !p.isPunct(",") {
			break
		}
		p.advance()
	}
	return s, p.expectPunct(";")
}

func indexOf(list []string, s string) int {
	for k, v := range list {
		if v == s {
			return k
		}
	}
	return -1
}

// modifiers parses zero or more `ctrl @`, `ctrl(n) @`, `negctrl @`,
// `inv @`, `pow(k) @` (OpenQASM 3 only).
func (p *parser) modifiers(params []string) ([]modifier, error) {
	var mods []modifier
	for p.tok.kind == tIdent {
		switch p.tok.text {
		case "ctrl", "negctrl", "inv", "pow":
		default:
			return mods, nil
		}
		if nt := p.peek(); !(nt.kind == tPunct && (nt.text == "@" || nt.text == "(")) {
			return mods, nil
		}
		if !p.v3() {
			return nil, p.errf(p.tok, "gate modifiers need OpenQASM 3")
		}
		if len(mods) >= p.lim.MaxDepth {
			return nil, p.errf(p.tok, "more than %d gate modifiers (limit MaxDepth)", p.lim.MaxDepth)
		}
		m := modifier{kind: p.tok.text, tok: p.tok}
		p.advance()
		if p.isPunct("(") {
			if m.kind == "inv" {
				return nil, p.errf(p.tok, "inv takes no argument")
			}
			p.advance()
			e, err := p.parseExpr(params)
			if err != nil {
				return nil, err
			}
			m.arg = e
			if err := p.expectPunct(")"); err != nil {
				return nil, err
			}
		} else if m.kind == "pow" {
			return nil, p.errf(p.tok, "pow needs an exponent: pow(k) @")
		}
		if err := p.expectPunct("@"); err != nil {
			return nil, err
		}
		mods = append(mods, m)
	}
	return mods, nil
}

// operand is a parsed qubit or bit reference: a whole register (index -1),
// one element, or a physical qubit.
type operand struct {
	tok   token
	reg   *regInfo
	index int
	phys  bool
}

func (o operand) size() int {
	if o.index >= 0 || o.phys {
		return 1
	}
	return o.reg.reg.Size
}

// at returns the flattened index of element i (i is ignored for single elements).
func (o operand) at(i int) int {
	switch {
	case o.phys:
		return o.index
	case o.index >= 0:
		return o.reg.reg.Offset + o.index
	}
	return o.reg.reg.Offset + i
}

func (p *parser) operand(quantum bool) (operand, error) {
	t := p.tok
	if t.kind == tHwQubit {
		if !quantum {
			return operand{}, p.errf(t, "expected a classical bit, found %s", t)
		}
		if !p.v3() {
			return operand{}, p.errf(t, "physical qubits ($n) need OpenQASM 3")
		}
		if p.virtual {
			return operand{}, p.errf(t, "cannot mix physical qubits ($n) with declared qubits")
		}
		p.advance()
		n, err := strconv.Atoi(t.text[1:])
		if err != nil || n >= p.lim.MaxQubits {
			return operand{}, p.errf(t, "physical qubit %s over the limit of %d qubits (MaxQubits)", t.text, p.lim.MaxQubits)
		}
		if n+1 > p.physical {
			p.physical = n + 1
		}
		return operand{tok: t, index: n, phys: true}, nil
	}
	if t.kind != tIdent {
		return operand{}, p.errf(t, "expected a register name, found %s", t)
	}
	r := p.regs[t.text]
	if r == nil {
		return operand{}, p.errf(t, "unknown register %s", t.text)
	}
	if r.quantum != quantum {
		kind := map[bool]string{true: "quantum", false: "classical"}
		return operand{}, p.errf(t, "%s is a %s register; expected a %s one", t.text, kind[r.quantum], kind[quantum])
	}
	p.advance()
	o := operand{tok: t, reg: r, index: -1}
	if p.isPunct("[") {
		p.advance()
		n, nt, err := p.expectInt()
		if err != nil {
			return o, err
		}
		if n >= r.reg.Size {
			return o, p.errf(nt, "index %d out of range for %s[%d]", n, t.text, r.reg.Size)
		}
		o.index = n
		if err := p.expectPunct("]"); err != nil {
			return o, err
		}
	}
	return o, nil
}

// operands parses a comma-separated list up to (not including) stop. The
// result is valid until the next call.
func (p *parser) operands(quantum bool, stop string) ([]operand, error) {
	ops := p.opbuf[:0]
	defer func() { p.opbuf = ops[:0] }()
	for !p.isPunct(stop) {
		o, err := p.operand(quantum)
		if err != nil {
			return nil, err
		}
		ops = append(ops, o)
		if !p.isPunct(",") {
			break
		}
		p.advance()
	}
	return ops, nil
}

// broadcast returns the common size of the whole-register operands (1 if
// there are none), checking that they agree.
func (p *parser) broadcast(ops []operand) (int, error) {
	n := 1
	var first *operand
	for k := range ops {
		if ops[k].index >= 0 || ops[k].phys {
			continue
		}
		if first == nil {
			first, n = &ops[k], ops[k].size()
		} else if ops[k].size() != n {
			return 0, p.errf(ops[k].tok, "register %s has %d elements but %s has %d; broadcast needs equal sizes",
				ops[k].tok.text, ops[k].size(), first.tok.text, n)
		}
	}
	return n, nil
}

func (p *parser) emit(op Op) error {
	if len(p.c.Ops) >= p.lim.MaxOps {
		return &ParseError{Line: op.Line, Col: 1, Msg: fmt.Sprintf("circuit has more than %d operations (MaxOps)", p.lim.MaxOps)}
	}
	p.c.Ops = append(p.c.Ops, op)
	return nil
}

// measureArrow parses `measure q -> c;`.
func (p *parser) measureArrow(cond *Condition) error {
	t := p.tok
	p.advance()
	q, err := p.operand(true)
	if err != nil {
		return err
	}
	if !p.isPunct("->") {
		if p.v3() {
			return p.errf(p.tok, "measure needs a target: write c = measure q; or measure q -> c;")
		}
		return p.errf(p.tok, "expected \"->\" after measure %s", q.tok.text)
	}
	p.advance()
	c, err := p.operand(false)
	if err != nil {
		return err
	}
	if err := p.measure(t, q, c, cond); err != nil {
		return err
	}
	return p.expectPunct(";")
}

// assignMeasure parses OpenQASM 3 `c = measure q;` and `c[i] = measure q[i];`.
func (p *parser) assignMeasure() error {
	t := p.tok
	c, err := p.operand(false)
	if err != nil {
		return err
	}
	if err := p.expectPunct("="); err != nil {
		return err
	}
	if p.tok.kind != tIdent || p.tok.text != "measure" {
		return p.errf(p.tok, "only measurement can be assigned to a bit (c = measure q;)")
	}
	p.advance()
	q, err := p.operand(true)
	if err != nil {
		return err
	}
	if err := p.measure(t, q, c, nil); err != nil {
		return err
	}
	return p.expectPunct(";")
}

func (p *parser) measure(t token, q, c operand, cond *Condition) error {
	if q.size() != c.size() {
		return p.errf(t, "measure: %s has %d qubits but %s has %d bits", q.tok.text, q.size(), c.tok.text, c.size())
	}
	for i := 0; i < q.size(); i++ {
		qs, cs := p.ints(1), p.ints(1)
		qs[0], cs[0] = q.at(i), c.at(i)
		if err := p.emit(Op{Kind: Measure, Qubits: qs, Clbits: cs, Cond: cond, Line: t.line}); err != nil {
			return err
		}
	}
	return nil
}

func (p *parser) reset(cond *Condition) error {
	t := p.tok
	p.advance()
	ops, err := p.operands(true, ";")
	if err != nil {
		return err
	}
	if len(ops) == 0 {
		return p.errf(p.tok, "reset needs a qubit")
	}
	for _, o := range ops {
		for i := 0; i < o.size(); i++ {
			if err := p.emit(Op{Kind: Reset, Qubits: []int{o.at(i)}, Cond: cond, Line: t.line}); err != nil {
				return err
			}
		}
	}
	return p.expectPunct(";")
}

func (p *parser) barrier(cond *Condition) error {
	t := p.tok
	p.advance()
	ops, err := p.operands(true, ";")
	if err != nil {
		return err
	}
	var qs []int
	seen := map[int]bool{}
	for _, o := range ops {
		for i := 0; i < o.size(); i++ {
			if q := o.at(i); !seen[q] {
				seen[q] = true
				qs = append(qs, q)
			}
		}
	}
	if len(ops) == 0 {
		if !p.v3() {
			return p.errf(p.tok, "barrier needs qubits")
		}
		for q := 0; q < p.c.Qubits; q++ {
			qs = append(qs, q)
		}
	}
	if err := p.emit(Op{Kind: Barrier, Qubits: qs, Cond: cond, Line: t.line}); err != nil {
		return err
	}
	return p.expectPunct(";")
}

// ifStmt parses `if (c == n) stmt` (and in OpenQASM 3 `if (c[i] == n)` and
// a braced block).
func (p *parser) ifStmt(depth int) error {
	t := p.tok
	p.advance()
	if err := p.expectPunct("("); err != nil {
		return err
	}
	c, err := p.operand(false)
	if err != nil {
		return err
	}
	if c.index >= 0 && !p.v3() {
		return p.errf(c.tok, "OpenQASM 2 conditions compare a whole register: if (%s == n)", c.tok.text)
	}
	if err := p.expectPunct("=="); err != nil {
		return err
	}
	vt := p.tok
	if vt.kind != tInt {
		return p.errf(vt, "expected an integer to compare %s with", c.tok.text)
	}
	v, err := strconv.ParseUint(vt.text, 10, 64)
	if err != nil {
		return p.errf(vt, "integer %s out of range", vt.text)
	}
	p.advance()
	if err := p.expectPunct(")"); err != nil {
		return err
	}
	cond := &Condition{Reg: c.reg.reg.Name, Offset: c.at(0), Size: c.size()}
	if c.size() < 64 && v >= 1<<c.size() {
		return p.errf(vt, "%d does not fit in %d bits of %s; the condition can never hold", v, c.size(), c.tok.text)
	}
	cond.Value = v
	if depth+1 > p.lim.MaxDepth {
		return p.errf(t, "blocks nested deeper than %d (MaxDepth)", p.lim.MaxDepth)
	}
	if p.isPunct("{") {
		if !p.v3() {
			return p.errf(p.tok, "if blocks need OpenQASM 3")
		}
		p.advance()
		for !p.isPunct("}") {
			if p.tok.kind == tEOF {
				return p.errf(p.tok, "unterminated if block")
			}
			if err := p.conditional(cond); err != nil {
				return err
			}
		}
		p.advance()
		return nil
	}
	return p.conditional(cond)
}

// conditional parses one quantum statement under cond.
func (p *parser) conditional(cond *Condition) error {
	t := p.tok
	if t.kind == tIdent {
		switch t.text {
		case "measure":
			return p.measureArrow(cond)
		case "reset":
			return p.reset(cond)
		case "barrier":
			return p.barrier(cond)
		case "if":
			return p.errf(t, "nested if is not supported; combine the conditions")
		}
		if p.v3() {
			if nt := p.peek(); nt.kind == tPunct && (nt.text == "=" || nt.text == "[") && p.regs[t.text] != nil && !p.regs[t.text].quantum {
				start := len(p.c.Ops)
				if err := p.assignMeasure(); err != nil {
					return err
				}
				for k := start; k < len(p.c.Ops); k++ {
					p.c.Ops[k].Cond = cond
				}
				return nil
			}
		}
	}
	return p.gateCall(cond)
}

// gateCall parses a top-level gate application and appends its ops.
func (p *parser) gateCall(cond *Condition) error {
	mods, err := p.modifiers(nil)
	if err != nil {
		return err
	}
	nt, err := p.expectIdent()
	if err != nil {
		return err
	}
	s := gateStmt{tok: nt, mods: mods, name: nt.text, v3: p.v3()}
	if g := p.gates[s.name]; g != nil {
		s.user = g
	} else if _, ok := LookupGate(s.name); !ok && s.name != "gphase" {
		if p.regs[s.name] != nil {
			return p.errf(nt, "expected a statement, found register %s", s.name)
		}
		return p.errf(nt, "unknown gate %s", s.name)
	}
	var params []float64
	if p.isPunct("(") {
		p.advance()
		for !p.isPunct(")") {
			e, err := p.parseExpr(nil)
			if err != nil {
				return err
			}
			params = append(params, e.eval(nil))
			if !p.isPunct(",") {
				break
			}
			p.advance()
		}
		if err := p.expectPunct(")"); err != nil {
			return err
		}
	}
	args, err := p.operands(true, ";")
	if err != nil {
		return err
	}
	if err := p.expectPunct(";"); err != nil {
		return err
	}
	n, err := p.broadcast(args)
	if err != nil {
		return err
	}
	mv, err := p.evalMods(mods, nil)
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		qs := append(p.qbuf[:0], make([]int, len(args))...)
		p.qbuf = qs
		for k, a := range args {
			qs[k] = a.at(i)
		}
		for a := range qs {
			for b := a + 1; b < len(qs); b++ {
				if qs[a] == qs[b] {
					return p.errf(args[b].tok, "qubit %d is used twice in one gate", qs[a])
				}
			}
		}
		out := p.scratch[:0]
		if err := p.apply(&s, mv, params, qs, 0, &out); err != nil {
			return err
		}
		p.scratch = out
		for _, op := range out {
			if op.Name == "gphase" {
				continue // an uncontrolled global phase is unobservable
			}
			op.Cond = cond
			op.Line = nt.line // the call site, not the line inside a gate body
			if err := p.emit(op); err != nil {
				return err
			}
		}
	}
	return nil
}

// floats is ints for angles.
func (p *parser) floats(n int) []float64 {
	if n > len(p.fslab) {
		p.fslab = make([]float64, max(n, 1024))
	}
	s := p.fslab[:n:n]
	p.fslab = p.fslab[n:]
	return s
}

// ints returns a zeroed slice of n ints carved from a shared slab, so that
// a large circuit does not allocate once per operation. Slabs start small
// and double up to 4096 ints, so that a small circuit allocates little.
func (p *parser) ints(n int) []int {
	if n > len(p.slab) {
		p.slabSize = min(max(2*p.slabSize, 64), 4096)
		p.slab = make([]int, max(n, p.slabSize))
	}
	s := p.slab[:n:n]
	p.slab = p.slab[n:]
	return s
}

func (p *parser) finish() *Circuit {
	if p.physical > 0 {
		p.c.Qubits = p.physical
		p.c.QRegs = []Register{{Name: "$", Size: p.physical}}
	}
	return p.c
}
