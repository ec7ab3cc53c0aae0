package circuit

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

// loadLibrary defines the library gates once, parsed as OpenQASM 2 so that
// their phases do not depend on the including program's version.
func (p *parser) loadLibrary() error {
	if p.libraryLoaded {
		return nil
	}
	p.libraryLoaded = true
	lex, tok, peeked, version := p.lex, p.tok, p.peeked, p.c.Version
	defer func() { p.lex, p.tok, p.peeked, p.c.Version, p.inLibrary = lex, tok, peeked, version, false }()
	p.lex, p.peeked, p.c.Version, p.inLibrary = newLexer(library), nil, 2, true
	p.advance()
	for p.tok.kind != tEOF {
		if err := p.gateDecl(); err != nil {
			panic("circuit: built-in library: " + err.Error())
		}
	}
	return nil
}
