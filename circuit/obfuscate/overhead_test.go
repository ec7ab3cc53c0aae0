package obfuscate

import (
	"fmt"
	"strings"
	"testing"

	"github.com/qguard/qguard/circuit"
)

// TestOverheadTable prints, as Markdown, what obfuscation costs on every
// QASMBench small circuit it accepts (run with -v; the table in
// docs/protection.md comes from here). It also asserts the pad's promise:
// no two-qubit gate beyond those of the lowered circuit.
func TestOverheadTable(t *testing.T) {
	var b strings.Builder
	fmt.Fprintln(&b, "| circuit | qubits | 1q gates orig → obf | 2q+ gates orig | CX lowered | CX obf (extra) | depth orig → obf |")
	fmt.Fprintln(&b, "|---|---:|---:|---:|---:|---:|---:|")
	var sum struct{ one, oneObf, multi, lowered, cxObf, depth, depthObf, n int }
	src := smallSuite(t)
	for _, name := range sortedKeys(src) {
		c, err := circuit.Parse(src[name])
		if err != nil {
			continue // invalid upstream; see TestCorpus
		}
		m := c.Metrics()
		if m.MidCircuit || m.Resets > 0 {
			continue
		}
		ob, _, err := Obfuscate(c, Options{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var l lowerer
		for _, op := range c.Ops {
			if op.Kind == circuit.Gate {
				if err := l.op(op); err != nil {
					t.Fatal(err)
				}
			}
		}
		lowered := 0
		for _, s := range l.out {
			if s.cx {
				lowered++
			}
		}
		om := ob.Metrics()
		one := m.Gates - m.MultiQubit
		oneObf := om.Gates - om.MultiQubit
		if om.CX != lowered {
			t.Errorf("%s: %d CX after obfuscation, %d lowered", name, om.CX, lowered)
		}
		fmt.Fprintf(&b, "| %s | %d | %d → %d | %d | %d | %d (%+d) | %d → %d |\n",
			name, c.Qubits, one, oneObf, m.MultiQubit, lowered, om.CX, om.CX-lowered, m.Depth, om.Depth)
		sum.one += one
		sum.oneObf += oneObf
		sum.multi += m.MultiQubit
		sum.lowered += lowered
		sum.cxObf += om.CX
		sum.depth += m.Depth
		sum.depthObf += om.Depth
		sum.n++
	}
	fmt.Fprintf(&b, "| **total (%d circuits)** | | %d → %d | %d | %d | %d (%+d) | %d → %d |\n",
		sum.n, sum.one, sum.oneObf, sum.multi, sum.lowered, sum.cxObf, sum.cxObf-sum.lowered, sum.depth, sum.depthObf)
	t.Log("\n" + b.String())
}
