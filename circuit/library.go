package circuit

import "sync"

// library holds the gates of Qiskit's qelib1.inc that are not single
// built-ins: relative-phase Toffolis, defined as in qelib1.inc. Both
// qelib1.inc and stdgates.inc resolve to the built-in table plus these; no
// include ever reads a file.
const library = `
gate rccx a,b,c {
  u2(0,pi) c; u1(pi/4) c; cx b,c; u1(-pi/4) c; cx a,c; u1(pi/4) c; cx b,c; u1(-pi/4) c; u2(0,pi) c;
}
gate rc3x a,b,c,d {
  u2(0,pi) d; u1(pi/4) d; cx c,d; u1(-pi/4) d; u2(0,pi) d; cx a,d; u1(pi/4) d; cx b,d;
  u1(-pi/4) d; cx a,d; u1(pi/4) d; cx b,d; u1(-pi/4) d; u2(0,pi) d; u1(pi/4) d; cx c,d;
  u1(-pi/4) d; u2(0,pi) d;
}
`

// libraryGates are the library's definitions, parsed once: every program
// that includes qelib1.inc or stdgates.inc shares them (they are never
// modified after parsing).
var libraryGates = sync.OnceValue(func() map[string]*gateDef {
	p := &parser{
		lex: newLexer(library), lim: DefaultLimits, c: &Circuit{Version: 2}, gates: map[string]*gateDef{},
		regs: map[string]*regInfo{}, inputs: map[string]float64{}, declaredInputs: map[string]bool{}, inLibrary: true,
	}
	p.advance()
	for p.tok.kind != tEOF {
		if err := p.gateDecl(); err != nil {
			panic("circuit: built-in library: " + err.Error())
		}
	}
	return p.gates
})

// loadLibrary defines the library gates, parsed as OpenQASM 2 so that
// their phases do not depend on the including program's version.
func (p *parser) loadLibrary() error {
	if p.libraryLoaded {
		return nil
	}
	p.libraryLoaded = true
	for name, g := range libraryGates() {
		p.gates[name] = g
	}
	return nil
}
