package circuit

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

type tokKind uint8

const (
	tEOF tokKind = iota
	tIdent
	tInt
	tFloat
	tString
	tHwQubit // $0
	tPunct
)

type token struct {
	kind      tokKind
	text      string // for tString, the contents without quotes
	line, col int
}

func (t token) String() string {
	if t.kind == tEOF {
		return "end of file"
	}
	return fmt.Sprintf("%q", t.text)
}

// lexer turns source text into tokens on demand. Columns count runes, from 1.
type lexer struct {
	src       string
	pos       int
	line, col int
	err       *ParseError
}

func newLexer(src string) *lexer { return &lexer{src: src, line: 1, col: 1} }

func (l *lexer) advance(n int) {
	for k := 0; k < n; k++ {
		if l.src[l.pos] == '\n' {
			l.line++
			l.col = 1
		} else if utf8.RuneStart(l.src[l.pos]) {
			l.col++
		}
		l.pos++
	}
}

// skipSpace skips white space and comments; it reports an unterminated
// block comment.
func (l *lexer) skipSpace() bool {
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch {
		case c == '\n':
			l.pos++
			l.line++
			l.col = 1
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
			l.pos++
			l.col++
		case c == '/' && l.pos+1 < len(l.src) && l.src[l.pos+1] == '/':
			for l.pos < len(l.src) && l.src[l.pos] != '\n' {
				l.advance(1)
			}
		case c == '/' && l.pos+1 < len(l.src) && l.src[l.pos+1] == '*':
			line, col := l.line, l.col
			l.advance(2)
			for {
				if l.pos+1 >= len(l.src) {
					l.err = &ParseError{Line: line, Col: col, Msg: "unterminated /* comment"}
					l.pos = len(l.src)
					return false
				}
				if l.src[l.pos] == '*' && l.src[l.pos+1] == '/' {
					l.advance(2)
					break
				}
				l.advance(1)
			}
		default:
			return true
		}
	}
	return true
}

func isIdentStart(r rune) bool { return r == '_' || unicode.IsLetter(r) }
func isIdentPart(r rune) bool  { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }
func isDigit(c byte) bool      { return c >= '0' && c <= '9' }

// next returns the next token; on a lexical error it returns tEOF and sets l.err.
func (l *lexer) next() token {
	if !l.skipSpace() || l.pos >= len(l.src) {
		return token{kind: tEOF, line: l.line, col: l.col}
	}
	start, line, col := l.pos, l.line, l.col
	c := l.src[l.pos]
	tok := func(k tokKind) token { return token{kind: k, text: l.src[start:l.pos], line: line, col: col} }
	switch {
	case c < utf8.RuneSelf && (c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'),
		c >= utf8.RuneSelf && l.identRune():
		for l.pos < len(l.src) {
			r, n := utf8.DecodeRuneInString(l.src[l.pos:])
			if !isIdentPart(r) {
				break
			}
			l.pos += n
			l.col++
		}
		return tok(tIdent)
	case isDigit(c) || c == '.' && l.pos+1 < len(l.src) && isDigit(l.src[l.pos+1]):
		kind := tInt
		for l.pos < len(l.src) && isDigit(l.src[l.pos]) {
			l.advance(1)
		}
		if l.pos < len(l.src) && l.src[l.pos] == '.' {
			kind = tFloat
			l.advance(1)
			for l.pos < len(l.src) && isDigit(l.src[l.pos]) {
				l.advance(1)
			}
		}
		if l.pos < len(l.src) && (l.src[l.pos] == 'e' || l.src[l.pos] == 'E') {
			p := l.pos + 1
			if p < len(l.src) && (l.src[p] == '+' || l.src[p] == '-') {
				p++
			}
			if p < len(l.src) && isDigit(l.src[p]) {
				kind = tFloat
				l.advance(p - l.pos)
				for l.pos < len(l.src) && isDigit(l.src[l.pos]) {
					l.advance(1)
				}
			}
		}
		return tok(kind)
	case c == '"' || c == '\'':
		l.advance(1)
		for l.pos < len(l.src) && l.src[l.pos] != c && l.src[l.pos] != '\n' {
			l.advance(1)
		}
		if l.pos >= len(l.src) || l.src[l.pos] != c {
			l.err = &ParseError{Line: line, Col: col, Msg: "unterminated string"}
			return token{kind: tEOF, line: line, col: col}
		}
		l.advance(1)
		return token{kind: tString, text: l.src[start+1 : l.pos-1], line: line, col: col}
	case c == '$':
		l.advance(1)
		for l.pos < len(l.src) && isDigit(l.src[l.pos]) {
			l.advance(1)
		}
		if l.pos == start+1 {
			l.err = &ParseError{Line: line, Col: col, Msg: "expected a physical qubit number after $"}
			return token{kind: tEOF, line: line, col: col}
		}
		return tok(tHwQubit)
	}
	// Two-character punctuation first.
	if l.pos+1 < len(l.src) {
		switch l.src[l.pos : l.pos+2] {
		case "->", "==", "!=", "**", "<=", ">=", "&&", "||", "++", "+=", "-=":
			l.advance(2)
			return tok(tPunct)
		}
	}
	if c < utf8.RuneSelf {
		switch c {
		case ';', ',', '(', ')', '[', ']', '{', '}', '@', '=', '+', '-', '*', '/', '^', ':', '#', '<', '>', '!', '%', '&', '|', '~':
			l.advance(1)
			return tok(tPunct)
		}
	}
	r, _ := utf8.DecodeRuneInString(l.src[l.pos:])
	l.err = &ParseError{Line: line, Col: col, Msg: fmt.Sprintf("unexpected character %q", r)}
	return token{kind: tEOF, line: line, col: col}
}

func (l *lexer) identRune() bool {
	r, _ := utf8.DecodeRuneInString(l.src[l.pos:])
	return isIdentStart(r)
}
