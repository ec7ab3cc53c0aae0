package circuit

import (
	"math"
	"strconv"
	"strings"
	"testing"
)

const hdr2 = "OPENQASM 2.0;\ninclude \"qelib1.inc\";\n"
const hdr3 = "OPENQASM 3.0;\ninclude \"stdgates.inc\";\n"

func TestParseErrors(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"opaque", hdr2 + "qreg q[1];\nopaque g a;\n", "4:1: opaque gates are not supported"},
		{"include from disk", "OPENQASM 2.0;\ninclude \"/etc/passwd\";\n", `2:9: include "/etc/passwd": only qelib1.inc and stdgates.inc`},
		{"unknown gate", hdr2 + "qreg q[1];\nfoo q[0];\n", "4:1: unknown gate foo"},
		{"unknown register", hdr2 + "qreg q[1];\nh r[0];\n", "4:3: unknown register r"},
		{"index range", hdr2 + "qreg q[2];\nh q[2];\n", "4:5: index 2 out of range for q[2]"},
		{"broadcast sizes", hdr2 + "qreg q[2];\nqreg r[3];\ncx q, r;\n", "5:7: register r has 3 elements but q has 2"},
		{"qubit twice", hdr2 + "qreg q[2];\ncx q[0], q[0];\n", "4:10: qubit 0 is used twice"},
		{"param count", hdr2 + "qreg q[2];\nrx q[0];\n", "gate rx takes 1 parameters and 1 qubits, got 0 and 1"},
		{"not finite", hdr2 + "qreg q[1];\nrx(0/0) q[0];\n", "angle is not a finite number"},
		{"unterminated comment", hdr2 + "/* no end\nqreg q[1];\n", "3:1: unterminated /* comment"},
		{"unterminated string", "OPENQASM 2.0;\ninclude \"qelib1.inc;\n", "2:9: unterminated string"},
		{"bad character", hdr2 + "qreg q[1];\nh q[0]?\n", "4:7: unexpected character '?'"},
		{"version", "OPENQASM 4.0;\n", "1:10: unsupported OpenQASM version 4.0"},
		{"bare measure", hdr3 + "qubit[1] q;\nmeasure q;\n", "4:10: measure needs a target"},
		{"pragma", hdr3 + "#pragma braket verbatim\n", "3:1: pragmas are not supported"},
		{"for loop", hdr3 + "qubit[1] q;\nfor int i in [0:2] { h q; }\n", "4:1: for is not supported"},
		{"unbound input", "OPENQASM 3;\ninput float theta;\nqubit q;\nrx(theta) q;\n", "4:4: input theta has no value"},
		{"mixed qubits", hdr3 + "qubit[1] q;\nh $0;\n", "4:3: cannot mix physical qubits"},
		{"condition value", hdr2 + "qreg q[1];\ncreg c[2];\nif (c == 4) x q[0];\n", "5:10: 4 does not fit in 2 bits of c"},
		{"nested if", hdr3 + "qubit q;\nbit[2] c;\nif (c == 1) { if (c == 2) x q; }\n", "5:15: nested if is not supported"},
		{"modifier in qasm2", hdr2 + "qreg q[2];\nctrl @ x q[0], q[1];\n", "4:1: gate modifiers need OpenQASM 3"},
		{"redefinition", hdr2 + "gate g a { h a; }\ngate g a { x a; }\n", "4:6: gate g is already defined"},
		{"reserved", hdr2 + "qreg measure[1];\n", "3:14: measure is a reserved word"},
		{"recursion", hdr2 + "gate g a { g a; }\n", "3:12: unknown gate g"},
		{"gate body arg", hdr2 + "gate g a { h b; }\n", "3:14: b is not a qubit argument of gate g"},
		{"ctrl count", hdr3 + "qubit[2] q;\nctrl(3) @ x q[0], q[1];\n", "ctrl needs 3 control qubits, got 2"},
		{"fractional pow of swap", hdr3 + "qubit[2] q;\npow(0.5) @ swap q[0], q[1];\n", "pow(0.5) @ swap is not supported"},
		{"fractional pow of user gate", hdr3 + "gate g a { h a; x a; }\nqubit q;\npow(0.5) @ g q;\n", "a fractional power applies to a single built-in gate"},
		{"measure sizes", hdr2 + "qreg q[2];\ncreg c[1];\nmeasure q -> c;\n", "5:1: measure: q has 2 qubits but c has 1"},
		{"quantum as classical", hdr2 + "qreg q[1];\nmeasure q[0] -> q[0];\n", "4:17: q is a quantum register; expected a classical one"},
	}
	for _, c := range cases {
		_, err := Parse([]byte(c.src))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
}

func TestParseLimits(t *testing.T) {
	doubling := hdr2 + "qreg q[1];\ngate g0 a { h a; h a; }\n"
	for k := 1; k < 30; k++ {
		doubling += "gate g" + itoa(k) + " a { g" + itoa(k-1) + " a; g" + itoa(k-1) + " a; }\n"
	}
	doubling += "g29 q[0];\n"
	emptyDoubling := hdr2 + "qreg q[1];\ngate g0 a { }\n"
	for k := 1; k < 40; k++ {
		emptyDoubling += "gate g" + itoa(k) + " a { g" + itoa(k-1) + " a; g" + itoa(k-1) + " a; }\n"
	}
	emptyDoubling += "g39 q[0];\n"
	deepExpr := hdr2 + "qreg q[1];\nrx(" + strings.Repeat("(", 200) + "1" + strings.Repeat(")", 200) + ") q[0];\n"
	deepGates := hdr2 + "qreg q[1];\ngate g0 a { h a; }\n"
	for k := 1; k < 100; k++ {
		deepGates += "gate g" + itoa(k) + " a { g" + itoa(k-1) + " a; }\n"
	}
	deepGates += "g99 q[0];\n"
	cases := []struct {
		name, src string
		lim       Limits
		want      string
	}{
		{"bytes", hdr2 + strings.Repeat(" ", 100), Limits{MaxBytes: 50}, "over the limit of 50 (MaxBytes)"},
		{"qubits", hdr2 + "qreg q[600];\nqreg r[600];\n", Limits{}, "4:8: 1200 qubits declared, over the limit of 1024 (MaxQubits)"},
		{"huge register", hdr2 + "qreg q[99999999999999999999];\n", Limits{}, "integer 99999999999999999999 out of range"},
		{"clbits", hdr2 + "creg c[5000];\n", Limits{}, "over the limit of 4096 (MaxClbits)"},
		{"physical", "OPENQASM 3;\nh $5000;\n", Limits{}, "physical qubit $5000 over the limit"},
		{"ops", doubling, Limits{MaxOps: 100000}, "more than 100000 operations after expanding gates (MaxOps)"},
		{"ops small", hdr2 + "qreg q[10];\nh q;\nh q;\n", Limits{MaxOps: 15}, "more than 15 operations"},
		{"pow repetition", hdr3 + "qubit q;\npow(1000000000) @ x q;\n", Limits{}, "expands to more than 2000000 operations"},
		{"empty gates", emptyDoubling, Limits{MaxOps: 1000}, "more than 1000 operations after expanding gates"},
		{"expression work", hdr2 + "qreg q[1];\ngate g(a) x { rx(" + strings.Repeat("a+", 2000) + "a) x; }\n" + strings.Repeat("g(1) q[0];\n", 1000), Limits{MaxOps: 10000}, "evaluates too many expressions"},
		{"expression length", hdr2 + "qreg q[1];\nrx(" + strings.Repeat("1+", 5000) + "1) q[0];\n", Limits{}, "expression has more than 4096 terms"},
		{"expression depth", deepExpr, Limits{}, "expression nested deeper than 64 levels"},
		{"gate depth", deepGates, Limits{}, "gate calls nested deeper than 64 levels"},
		{"modifier count", hdr3 + "qubit q;\n" + strings.Repeat("inv @ ", 100) + "x q;\n", Limits{}, "more than 64 gate modifiers"},
	}
	for _, c := range cases {
		_, err := ParseWithLimits([]byte(c.src), c.lim)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
}

func itoa(k int) string { return strconv.Itoa(k) }

func ops(t *testing.T, src string) []Op {
	t.Helper()
	return mustParse(t, src, nil).Ops
}

func TestParseStatements(t *testing.T) {
	c := mustParse(t, hdr2+"qreg q[2];\nqreg r[2];\ncreg c[2];\nh q;\ncx q, r[1];\nmeasure q -> c;\nif (c == 2) x r[0];\nreset r;\nbarrier q, r[0];\n", nil)
	if c.Version != 2 || c.Qubits != 4 || c.Clbits != 2 {
		t.Fatalf("header: %+v", c)
	}
	want := []struct {
		kind   Kind
		name   string
		qubits []int
	}{
		{Gate, "h", []int{0}}, {Gate, "h", []int{1}}, {Gate, "cx", []int{0, 3}}, {Gate, "cx", []int{1, 3}},
		{Measure, "", []int{0}}, {Measure, "", []int{1}}, {Gate, "x", []int{2}}, {Reset, "", []int{2}},
		{Reset, "", []int{3}}, {Barrier, "", []int{0, 1, 2}},
	}
	if len(c.Ops) != len(want) {
		t.Fatalf("got %d ops: %+v", len(c.Ops), c.Ops)
	}
	for k, w := range want {
		op := c.Ops[k]
		if op.Kind != w.kind || op.Name != w.name || !equalInts(op.Qubits, w.qubits) {
			t.Errorf("op %d: got %+v, want %+v", k, op, w)
		}
	}
	if cond := c.Ops[6].Cond; cond == nil || cond.Reg != "c" || cond.Offset != 0 || cond.Size != 2 || cond.Value != 2 {
		t.Errorf("condition: %+v", c.Ops[6].Cond)
	}
	if !equalInts(c.Ops[5].Clbits, []int{1}) || c.Ops[5].Line != 8 {
		t.Errorf("measure: %+v", c.Ops[5])
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if a[k] != b[k] {
			return false
		}
	}
	return true
}

func TestParseQASM3Forms(t *testing.T) {
	c := mustParse(t, hdr3+"qubit[2] q;\nqubit a;\nbit[2] c;\nbit d;\nc = measure q;\nd = measure a;\nc[1] = measure q[0];\nif (c[1] == 1) { x a; d = measure a; }\n", nil)
	if c.Version != 3 || c.Qubits != 3 || c.Clbits != 3 || len(c.Ops) != 6 {
		t.Fatalf("%+v", c)
	}
	if op := c.Ops[3]; op.Kind != Measure || op.Qubits[0] != 0 || op.Clbits[0] != 1 {
		t.Errorf("c[1] = measure q[0]: %+v", op)
	}
	for _, op := range c.Ops[4:] {
		if op.Cond == nil || op.Cond.Offset != 1 || op.Cond.Size != 1 || op.Cond.Value != 1 {
			t.Errorf("conditional block: %+v", op)
		}
	}
	phys := mustParse(t, "OPENQASM 3;\ncnot $0, $3;\nbit b;\nb = measure $3;\n", nil)
	if phys.Qubits != 4 || phys.Ops[0].Name != "cx" || !equalInts(phys.Ops[0].Qubits, []int{0, 3}) {
		t.Errorf("physical qubits: %+v", phys)
	}
	in := mustParse(t, "OPENQASM 3;\ninput float[64] theta;\ninput angle phi;\nqubit q;\nrx(theta*2) q;\nrz(phi) q;\n", map[string]float64{"theta": 0.25, "phi": -1})
	if in.Ops[0].Params[0] != 0.5 || in.Ops[1].Params[0] != -1 || len(in.Inputs) != 2 {
		t.Errorf("inputs: %+v %v", in.Ops, in.Inputs)
	}
	if v := mustParse(t, "include \"qelib1.inc\";\nqreg q[1];\nh q[0];\n", nil).Version; v != 2 {
		t.Errorf("headerless qelib1 file: version %v", v)
	}
	if v := mustParse(t, "qubit q;\nh q;\n", nil).Version; v != 3 {
		t.Errorf("headerless file: version %v", v)
	}
}

func TestExpressions(t *testing.T) {
	c := mustParse(t, hdr2+"qreg q[1];\nrx(-pi/2 + 2^2*sin(pi/2) - ln(exp(1)) + sqrt(4)/2 - -1e-1) q[0];\nrz(2*-3) q[0];\nrx(-2^2) q[0];\n", nil)
	want := []float64{-math.Pi/2 + 4 - 1 + 1 + 0.1, -6, -4}
	for k, w := range want {
		if got := c.Ops[k].Params[0]; math.Abs(got-w) > 1e-12 {
			t.Errorf("expression %d: got %v want %v", k, got, w)
		}
	}
	u := mustParse(t, "OPENQASM 3;\ngate r(θ) a { rz(θ/2 + π) a; }\nqubit q;\nr(τ) q;\n", nil)
	if got := u.Ops[0].Params[0]; math.Abs(got-2*math.Pi) > 1e-12 {
		t.Errorf("unicode names: %v", got)
	}
}

// TestModifiers checks modifier semantics against explicit circuits on a
// random state, with the control in superposition so phases count.
func TestModifiers(t *testing.T) {
	same := []struct{ a, b string }{
		{"inv @ s q[0];", "sdg q[0];"},
		{"inv @ u3(0.1, 0.2, 0.3) q[0];", "u3(-0.1, -0.3, -0.2) q[0];"},
		{"pow(2) @ t q[0];", "s q[0];"},
		{"pow(-1) @ rx(0.3) q[0];", "rx(-0.3) q[0];"},
		{"pow(0.5) @ x q[0];", "sx q[0];"},
		{"ctrl @ pow(0.5) @ x q[1], q[0];", "csx q[1], q[0];"},
		{"pow(0.5) @ cx q[1], q[0];", "csx q[1], q[0];"},
		{"ctrl @ pow(1/3) @ h q[1], q[0];", "ctrl @ pow(2/3) @ h q[1], q[0]; ctrl @ pow(-1/3) @ h q[1], q[0];"},
		{"pow(0.25) @ ctrl @ z q[1], q[0];", "cp(pi/4) q[1], q[0];"},
		{"ctrl @ gphase(0.7) q[1];", "p(0.7) q[1];"},
		{"ctrl(2) @ x q[0], q[1], q[2];", "ccx q[0], q[1], q[2];"},
		{"negctrl @ x q[0], q[1];", "x q[0]; cx q[0], q[1]; x q[0];"},
		{"inv @ ctrl @ s q[0], q[1];", "ctrl @ sdg q[0], q[1];"},
		{"ctrl @ U(0.1, 0.2, 0.3) q[0], q[1];", "cu3(0.1, 0.2, 0.3) q[0], q[1];"},
		// stdgates.inc: u3 = gphase(−(φ+λ)/2)·U, visible under ctrl
		{"ctrl @ u3(0.1, 0.2, 0.3) q[0], q[1];", "p(-0.25) q[0]; cu3(0.1, 0.2, 0.3) q[0], q[1];"},
		{"ctrl @ u2(0.2, 0.3) q[0], q[1];", "p(-0.25) q[0]; cu3(pi/2, 0.2, 0.3) q[0], q[1];"},
		{"cu(0.1, 0.2, 0.3, 0.4) q[0], q[1];", "p(0.4) q[0]; ctrl @ U(0.1, 0.2, 0.3) q[0], q[1];"},
		{"ctrl @ rot(0.3) q[2], q[0], q[1];", "ctrl @ ry(0.3) q[2], q[0]; ccx q[2], q[0], q[1]; p(0.15) q[2];"},
		{"inv @ rot(0.3) q[0], q[1];", "cx q[0], q[1]; ry(-0.3) q[0];"},
		{"inv @ iswap q[0], q[1];", "iswap q[0], q[1]; iswap q[0], q[1]; iswap q[0], q[1];"},
		{"inv @ csx q[0], q[1];", "ctrl @ sxdg q[0], q[1];"},
	}
	prelude := hdr3 + "gate rot(a) x, y { ry(a) x; cx x, y; gphase(a/2); }\nqubit[3] q;\nh q[1];\nh q[2];\n"
	for _, s := range same {
		a := mustParse(t, prelude+s.a+"\n", nil)
		b := mustParse(t, prelude+s.b+"\n", nil)
		sa, sb := randomState(3, 9), randomState(3, 9)
		applyGates(t, a, sa)
		applyGates(t, b, sb)
		if !sameUpToPhase(sa, sb, 1e-9) {
			t.Errorf("%q differs from %q", s.a, s.b)
		}
	}
	// OpenQASM 2 u3 carries no phase: cu3 is controlled Qiskit u3.
	if op := ops(t, hdr2+"qreg q[2];\ncu3(0.1,0.2,0.3) q[0],q[1];\n")[0]; op.Name != "cu3" || op.Controls != 0 {
		t.Errorf("cu3: %+v", op)
	}
}

func TestLibraryGates(t *testing.T) {
	c := mustParse(t, hdr2+"qreg q[4];\nrccx q[0],q[1],q[2];\nrc3x q[0],q[1],q[2],q[3];\n", nil)
	if len(c.Ops) != 9+18 {
		t.Fatalf("rccx and rc3x expand to %d ops", len(c.Ops))
	}
	// rccx equals ccx up to relative phases: same permutation of basis states.
	for in := 0; in < 8; in++ {
		s := make([]complex128, 16)
		s[in] = 1
		applyGates(t, &Circuit{Qubits: 4, Ops: c.Ops[:9]}, s)
		out := in
		if in&3 == 3 {
			out ^= 4
		}
		if math.Abs(cmplxAbs(s[out])-1) > 1e-9 {
			t.Errorf("rccx |%03b⟩ does not go to |%03b⟩", in, out)
		}
	}
	// A program may redefine a library gate.
	mustParse(t, hdr2+"gate rccx a,b,c { ccx a,b,c; }\nqreg q[3];\nrccx q[0],q[1],q[2];\n", nil)
}

func cmplxAbs(z complex128) float64 { return math.Hypot(real(z), imag(z)) }

// TestEmptyExpansions are regressions from fuzzing: work that produces no
// operations must still be bounded.
func TestEmptyExpansions(t *testing.T) {
	src := hdr3 + "gate e a { }\nqubit q;\n" + strings.Repeat("pow(1000000000) @ e q;\n", 1000)
	c, err := Parse([]byte(src))
	if err != nil || len(c.Ops) != 0 {
		t.Fatalf("got %v, %v", c, err)
	}
}
