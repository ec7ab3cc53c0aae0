package circuit

import (
	"math"
	"strconv"
)

// expr is a parsed parameter expression. Gate bodies keep expressions and
// evaluate them per call with the call's angles; top-level expressions are
// evaluated at once.
type expr struct {
	op   byte // 'n' number, 'p' gate parameter, 'f' function, 'u' unary minus, or a binary operator
	val  float64
	idx  int // parameter index for 'p'
	fn   func(float64) float64
	a, b *expr
}

func (e *expr) eval(env []float64) float64 {
	switch e.op {
	case 'n':
		return e.val
	case 'p':
		return env[e.idx]
	case 'u':
		return -e.a.eval(env)
	case 'f':
		return e.fn(e.a.eval(env))
	case '+':
		return e.a.eval(env) + e.b.eval(env)
	case '-':
		return e.a.eval(env) - e.b.eval(env)
	case '*':
		return e.a.eval(env) * e.b.eval(env)
	case '/':
		return e.a.eval(env) / e.b.eval(env)
	case '^':
		return math.Pow(e.a.eval(env), e.b.eval(env))
	}
	panic("circuit: bad expression op " + string(e.op))
}

// size counts the nodes of e.
func (e *expr) size() int {
	n := 1
	if e.a != nil {
		n += e.a.size()
	}
	if e.b != nil {
		n += e.b.size()
	}
	return n
}

var constants = map[string]float64{
	"pi": math.Pi, "π": math.Pi, "tau": 2 * math.Pi, "τ": 2 * math.Pi, "euler": math.E, "ℯ": math.E,
}

var functions = map[string]func(float64) float64{
	"sin": math.Sin, "cos": math.Cos, "tan": math.Tan, "exp": math.Exp, "ln": math.Log, "sqrt": math.Sqrt,
	"arcsin": math.Asin, "arccos": math.Acos, "arctan": math.Atan, "asin": math.Asin, "acos": math.Acos, "atan": math.Atan,
}

// parseExpr parses an expression. params names the enclosing gate's
// parameters (nil at top level).
//
//	expr   = term { ("+"|"-") term }
//	term   = unary { ("*"|"/") unary }
//	unary  = "-" unary | "+" unary | power
//	power  = atom [ ("^"|"**") unary ]     (right-associative)
//	atom   = number | ident | ident "(" expr ")" | "(" expr ")"
func (p *parser) parseExpr(params []string) (*expr, error) {
	p.exprNodes = 0
	return p.exprSum(params, 0)
}

// maxExprNodes bounds one expression, and so the recursion depth of a long
// chain like a+a+…+a when it is evaluated.
const maxExprNodes = 4096

// node counts a new expression node against maxExprNodes.
func (p *parser) node() error {
	p.exprNodes++
	if p.exprNodes > maxExprNodes {
		return p.errf(p.tok, "expression has more than %d terms", maxExprNodes)
	}
	return nil
}

func (p *parser) enter(depth int) error {
	if depth > p.lim.MaxDepth {
		return p.errf(p.tok, "expression nested deeper than %d levels (limit MaxDepth)", p.lim.MaxDepth)
	}
	return nil
}

func (p *parser) exprSum(params []string, depth int) (*expr, error) {
	if err := p.enter(depth); err != nil {
		return nil, err
	}
	a, err := p.exprTerm(params, depth+1)
	if err != nil {
		return nil, err
	}
	for p.isPunct("+") || p.isPunct("-") {
		if err := p.node(); err != nil {
			return nil, err
		}
		op := p.tok.text[0]
		p.advance()
		b, err := p.exprTerm(params, depth+1)
		if err != nil {
			return nil, err
		}
		a = fold(&expr{op: op, a: a, b: b})
	}
	return a, nil
}

func (p *parser) exprTerm(params []string, depth int) (*expr, error) {
	a, err := p.exprUnary(params, depth+1)
	if err != nil {
		return nil, err
	}
	for p.isPunct("*") || p.isPunct("/") {
		if err := p.node(); err != nil {
			return nil, err
		}
		op := p.tok.text[0]
		p.advance()
		b, err := p.exprUnary(params, depth+1)
		if err != nil {
			return nil, err
		}
		a = fold(&expr{op: op, a: a, b: b})
	}
	return a, nil
}

func (p *parser) exprUnary(params []string, depth int) (*expr, error) {
	if err := p.enter(depth); err != nil {
		return nil, err
	}
	if p.isPunct("-") {
		p.advance()
		a, err := p.exprUnary(params, depth+1)
		if err != nil {
			return nil, err
		}
		return fold(&expr{op: 'u', a: a}), nil
	}
	if p.isPunct("+") {
		p.advance()
		return p.exprUnary(params, depth+1)
	}
	a, err := p.exprAtom(params, depth+1)
	if err != nil {
		return nil, err
	}
	if p.isPunct("^") || p.isPunct("**") {
		p.advance()
		b, err := p.exprUnary(params, depth+1)
		if err != nil {
			return nil, err
		}
		a = fold(&expr{op: '^', a: a, b: b})
	}
	return a, nil
}

func (p *parser) exprAtom(params []string, depth int) (*expr, error) {
	if err := p.node(); err != nil {
		return nil, err
	}
	t := p.tok
	switch t.kind {
	case tInt, tFloat:
		p.advance()
		v, err := strconv.ParseFloat(t.text, 64)
		if err != nil {
			return nil, p.errf(t, "bad number %s", t.text)
		}
		return &expr{op: 'n', val: v}, nil
	case tIdent:
		p.advance()
		if fn, ok := functions[t.text]; ok && p.isPunct("(") {
			p.advance()
			a, err := p.exprSum(params, depth+1)
			if err != nil {
				return nil, err
			}
			if err := p.expectPunct(")"); err != nil {
				return nil, err
			}
			return fold(&expr{op: 'f', fn: fn, a: a}), nil
		}
		for k, name := range params {
			if name == t.text {
				return &expr{op: 'p', idx: k}, nil
			}
		}
		if v, ok := p.inputs[t.text]; ok {
			return &expr{op: 'n', val: v}, nil
		}
		if v, ok := constants[t.text]; ok {
			return &expr{op: 'n', val: v}, nil
		}
		if _, ok := p.declaredInputs[t.text]; ok {
			return nil, p.errf(t, "input %s has no value; bind it with ParseOptions.Inputs (qguard: --input %s=VALUE)", t.text, t.text)
		}
		return nil, p.errf(t, "unknown identifier %s in expression", t.text)
	case tPunct:
		if t.text == "(" {
			p.advance()
			a, err := p.exprSum(params, depth+1)
			if err != nil {
				return nil, err
			}
			return a, p.expectPunct(")")
		}
	}
	return nil, p.errf(t, "expected an expression, found %s", t)
}

// fold evaluates constant subexpressions now, so a gate body's angles cost
// one lookup per call when they do not depend on parameters.
func fold(e *expr) *expr {
	if e.a != nil && e.a.op != 'n' || e.b != nil && e.b.op != 'n' {
		return e
	}
	return &expr{op: 'n', val: e.eval(nil)}
}
