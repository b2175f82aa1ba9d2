package flow

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
)

// Arithmetic on event fields. Events are decoded JSON, so every number in
// them is a float64, while whole literals in expressions are ints: expr's
// own % takes integers only (amount % 2 fails with "invalid operation:
// float64 % int" on every event) and its / answers a zero divisor with
// +Inf or NaN. So a % or / with an operand whose type is not known when
// compiling (an event field, a config value, the result of another such
// operator) is compiled as a call to modulo or divide, which take any
// number and fail with a message naming the operand:
//
//	amount % 2: amount is 2.5, % needs whole numbers
//	total / count: count is 0, cannot divide by zero
//
// Operators whose operand types are known when compiling (7 % 2, 'a' % 2)
// keep expr's own behaviour and compile errors, which are also what the
// checker reports, so a workflow that checks compiles here too.

// ErrArithmetic is wrapped by the errors of % and / on values that do not
// allow them: a fraction or a non-number for %, a non-number for /, and a
// zero divisor for both.
var ErrArithmetic = errors.New("invalid arithmetic")

// Names of the functions % and / are compiled to; a $ name cannot clash
// with an event field written in an expression.
const (
	fnModulo = "$mod"
	fnDivide = "$div"
)

// arithSite is the text of one % or / as written, for messages.
type arithSite struct {
	op, expr, left, right string
}

// arithOptions returns the expr options CompileExpr adds: texts records
// the operators as written and must run before any other patch; guard
// replaces them by calls and must run once fields named like builtins are
// fields but before config values are folded into constants; funcs are the
// functions called.
func arithOptions() (texts, guard expr.Option, funcs []expr.Option) {
	g := &arithGuard{sites: map[*ast.BinaryNode]*arithSite{}}
	funcs = []expr.Option{
		expr.Function(fnModulo, func(p ...any) (any, error) { return modulo(p[0], p[1], p[2].(*arithSite)) },
			new(func(any, any, *arithSite) any)),
		// A quotient is a float64, as expr types it: (amount / 2) % 2 is a
		// compile error here as it is in the checker.
		expr.Function(fnDivide, func(p ...any) (any, error) { return divide(p[0], p[1], p[2].(*arithSite)) },
			new(func(any, any, *arithSite) float64)),
	}
	return expr.Patch(arithTexts{g}), expr.Patch(g), funcs
}

// arithTexts records the text of every % and /.
type arithTexts struct{ g *arithGuard }

func (v arithTexts) Visit(node *ast.Node) {
	if b, ok := (*node).(*ast.BinaryNode); ok && (b.Operator == "%" || b.Operator == "/") {
		v.g.sites[b] = &arithSite{op: b.Operator, expr: b.String(), left: b.Left.String(), right: b.Right.String()}
	}
}

// arithGuard replaces % and / whose operands are not all known numbers by
// calls to modulo and divide.
type arithGuard struct {
	sites map[*ast.BinaryNode]*arithSite
}

func (g *arithGuard) Visit(node *ast.Node) {
	b, ok := (*node).(*ast.BinaryNode)
	if !ok {
		return
	}
	fn, fits := fnModulo, isIntegerKind
	switch b.Operator {
	case "%":
	case "/":
		fn, fits = fnDivide, isNumberKind
	default:
		return
	}
	unknown := false
	for _, t := range []reflect.Type{b.Left.Type(), b.Right.Type()} {
		switch {
		case t == nil || t.Kind() == reflect.Interface:
			unknown = true
		case !fits(t.Kind()):
			return // a type error expr reports when compiling, as the checker does
		}
	}
	if !unknown {
		return
	}
	site := g.sites[b]
	if site == nil {
		site = &arithSite{op: b.Operator, expr: b.String(), left: b.Left.String(), right: b.Right.String()}
	}
	call := &ast.CallNode{Callee: &ast.IdentifierNode{Value: fn}, Arguments: []ast.Node{b.Left, b.Right, &ast.ConstantNode{Value: site}}}
	if fn == fnDivide {
		call.SetType(reflect.TypeOf(0.0)) // for an enclosing operator, visited next
	}
	ast.Patch(node, call)
}

func isIntegerKind(k reflect.Kind) bool {
	switch k {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return true
	}
	return false
}

func isNumberKind(k reflect.Kind) bool {
	return isIntegerKind(k) || k == reflect.Float32 || k == reflect.Float64
}

// modulo is a % b. Two ints give an int, as in expr; otherwise both must
// be whole numbers (JSON's 4.0 is) and the result is a float64, exact
// for every whole float64, with the sign of a.
func modulo(a, b any, s *arithSite) (any, error) {
	if x, ok := a.(int); ok {
		if y, ok := b.(int); ok {
			if y == 0 {
				return nil, s.zero()
			}
			return x % y, nil
		}
	}
	x, err := s.whole(a, s.left)
	if err != nil {
		return nil, err
	}
	y, err := s.whole(b, s.right)
	if err != nil {
		return nil, err
	}
	if y == 0 {
		return nil, s.zero()
	}
	r := math.Mod(x, y)
	if r == 0 {
		r = 0 // not -0, which JSON would write as -0
	}
	return r, nil
}

// divide is a / b as a float64, as in expr, except that a zero divisor is
// an error rather than +Inf or NaN.
func divide(a, b any, s *arithSite) (any, error) {
	x, err := s.number(a, s.left)
	if err != nil {
		return nil, err
	}
	y, err := s.number(b, s.right)
	if err != nil {
		return nil, err
	}
	if y == 0 {
		return nil, s.zero()
	}
	return x / y, nil
}

func (s *arithSite) number(v any, text string) (float64, error) {
	if f, ok := ToFloat(v); ok {
		return f, nil
	}
	return 0, s.errorf("%s is %s, %s needs numbers", text, describeOperand(v), s.op)
}

func (s *arithSite) whole(v any, text string) (float64, error) {
	f, ok := ToFloat(v)
	if !ok || f != math.Trunc(f) || math.IsInf(f, 0) {
		return 0, s.errorf("%s is %s, %s needs whole numbers", text, describeOperand(v), s.op)
	}
	return f, nil
}

func (s *arithSite) zero() error {
	return s.errorf("%s is 0, cannot divide by zero", s.right)
}

func (s *arithSite) errorf(format string, args ...any) error {
	return arithError(s.expr + ": " + fmt.Sprintf(format, args...))
}

// arithError is an error of % or /; it wraps ErrArithmetic, which its
// text leaves out so that messages say only what is wrong.
type arithError string

func (e arithError) Error() string { return string(e) }

func (e arithError) Unwrap() error { return ErrArithmetic }

// describeOperand writes a value in messages: numbers as JSON writes them
// (2.5, 9007199254740992), strings quoted.
func describeOperand(v any) string {
	if f, ok := ToFloat(v); ok {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return strconv.FormatFloat(f, 'g', -1, 64)
		}
		if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
			return strconv.FormatFloat(f, 'g', -1, 64)
		}
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	switch v.(type) {
	case nil:
		return "missing (null)"
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	}
	return describe(v)
}
