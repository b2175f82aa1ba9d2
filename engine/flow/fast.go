package flow

import (
	"github.com/expr-lang/expr/ast"
)

// Most conditions in workflows are small: a field compared with a
// constant, joined by && and ||, a membership test, a ?? default. For
// those, evaluating the compiled syntax tree directly as Go closures is
// several times faster than running expr's VM. The closures only decide
// cases whose meaning is plain (numbers with numbers, strings with strings,
// booleans, nil); anything else — other types, errors, operators they do
// not know — reports "undecided" and the expression runs on expr's VM, so
// results are always expr's.

// fastFn evaluates a node; ok is false when the fast path cannot decide.
type fastFn func(env map[string]any) (v any, ok bool)

// compileFast builds closures for a whole expression, or nil when some
// node is outside the fast subset.
func compileFast(n ast.Node) fastFn {
	switch x := n.(type) {
	case *ast.NilNode:
		return func(map[string]any) (any, bool) { return nil, true }
	case *ast.IntegerNode:
		return constant(x.Value)
	case *ast.FloatNode:
		return constant(x.Value)
	case *ast.StringNode:
		return constant(x.Value)
	case *ast.BoolNode:
		return constant(x.Value)
	case *ast.ConstantNode:
		return constant(x.Value)
	case *ast.IdentifierNode:
		name := x.Value
		if name == "$env" {
			return func(env map[string]any) (any, bool) { return env, true }
		}
		return func(env map[string]any) (any, bool) { return env[name], true }
	case *ast.ChainNode:
		return compileFast(x.Node)
	case *ast.MemberNode:
		return compileMember(x)
	case *ast.ArrayNode:
		return compileArray(x)
	case *ast.UnaryNode:
		return compileUnary(x)
	case *ast.BinaryNode:
		return compileBinary(x)
	case *ast.CallNode:
		return compileArith(x)
	case *ast.ConditionalNode:
		return compileConditional(x)
	}
	return nil
}

// compileMember builds the closure of a.b and a?.b on maps.
func compileMember(x *ast.MemberNode) fastFn {
	prop, ok := x.Property.(*ast.StringNode)
	base := compileFast(x.Node)
	if !ok || x.Method || base == nil {
		return nil
	}
	key, optional := prop.Value, x.Optional
	return func(env map[string]any) (any, bool) {
		b, ok := base(env)
		if !ok {
			return nil, false
		}
		switch m := b.(type) {
		case map[string]any:
			return m[key], true
		case nil:
			return nil, optional
		}
		return nil, false
	}
}

// compileArray builds the closure of an array literal.
func compileArray(x *ast.ArrayNode) fastFn {
	elems := make([]fastFn, len(x.Nodes))
	for i, e := range x.Nodes {
		if elems[i] = compileFast(e); elems[i] == nil {
			return nil
		}
	}
	return func(env map[string]any) (any, bool) {
		out := make([]any, len(elems))
		for i, f := range elems {
			v, ok := f(env)
			if !ok {
				return nil, false
			}
			out[i] = v
		}
		return out, true
	}
}

// compileUnary builds the closure of !, not and unary minus.
func compileUnary(x *ast.UnaryNode) fastFn {
	inner := compileFast(x.Node)
	if inner == nil {
		return nil
	}
	switch x.Operator {
	case "!", "not":
		return func(env map[string]any) (any, bool) {
			v, ok := inner(env)
			b, isBool := v.(bool)
			return !b, ok && isBool
		}
	case "-":
		return func(env map[string]any) (any, bool) {
			v, ok := inner(env)
			switch n := v.(type) {
			case int:
				return -n, ok
			case float64:
				return -n, ok
			}
			return nil, false
		}
	}
	return nil
}

// compileConditional builds the closure of c ? a : b.
func compileConditional(x *ast.ConditionalNode) fastFn {
	cond, then, els := compileFast(x.Cond), compileFast(x.Exp1), compileFast(x.Exp2)
	if cond == nil || then == nil || els == nil {
		return nil
	}
	return func(env map[string]any) (any, bool) {
		c, ok := cond(env)
		b, isBool := c.(bool)
		if !ok || !isBool {
			return nil, false
		}
		if b {
			return then(env)
		}
		return els(env)
	}
}

// compileArith builds the closure of a % or / compiled to modulo or
// divide (see arith.go); an error leaves the event to the VM, which
// reports it.
func compileArith(x *ast.CallNode) fastFn {
	id, ok := x.Callee.(*ast.IdentifierNode)
	if !ok || len(x.Arguments) != 3 {
		return nil
	}
	op := modulo
	switch id.Value {
	case fnModulo:
	case fnDivide:
		op = divide
	default:
		return nil
	}
	c, ok := x.Arguments[2].(*ast.ConstantNode)
	if !ok {
		return nil
	}
	site, ok := c.Value.(*arithSite)
	l, r := compileFast(x.Arguments[0]), compileFast(x.Arguments[1])
	if !ok || l == nil || r == nil {
		return nil
	}
	return func(env map[string]any) (any, bool) {
		a, ok1 := l(env)
		b, ok2 := r(env)
		if !ok1 || !ok2 {
			return nil, false
		}
		v, err := op(a, b, site)
		return v, err == nil
	}
}

// constant returns a closure yielding v, boxed once here rather than on
// every call.
func constant(v any) fastFn {
	return func(map[string]any) (any, bool) { return v, true }
}

// constantList returns the elements of an array literal whose elements are
// all literals, or false.
func constantList(n ast.Node) ([]any, bool) {
	arr, ok := n.(*ast.ArrayNode)
	if !ok {
		return nil, false
	}
	out := make([]any, len(arr.Nodes))
	for i, e := range arr.Nodes {
		switch c := e.(type) {
		case *ast.IntegerNode:
			out[i] = c.Value
		case *ast.FloatNode:
			out[i] = c.Value
		case *ast.StringNode:
			out[i] = c.Value
		case *ast.BoolNode:
			out[i] = c.Value
		case *ast.NilNode:
			out[i] = nil
		default:
			return nil, false
		}
	}
	return out, true
}

// member decides `a in list` for a list of numbers, strings, booleans and
// nil.
func member(a any, list []any) (any, bool) {
	for _, e := range list {
		eq, ok := fastEqual(a, e)
		if !ok {
			return nil, false
		}
		if eq {
			return true, true
		}
	}
	return false, true
}

// compileBinary builds the closure of a binary operator. The helpers it
// calls to build closures are kept out of line: a closure built inside an
// inlined call is compiled without inlining its own callees, which would
// slow every evaluation.
func compileBinary(x *ast.BinaryNode) fastFn {
	if x.Operator == "in" {
		// A literal list is built once, not on every evaluation.
		if list, ok := constantList(x.Right); ok {
			return compileInList(x.Left, list)
		}
	}
	l, r := compileFast(x.Left), compileFast(x.Right)
	if l == nil || r == nil {
		return nil
	}
	switch x.Operator {
	case "&&", "and", "||", "or":
		return compileLogical(x.Operator == "||" || x.Operator == "or", l, r)
	case "??":
		return func(env map[string]any) (any, bool) {
			a, ok := l(env)
			if !ok {
				return nil, false
			}
			if a != nil {
				return a, true
			}
			return r(env)
		}
	case "==", "!=":
		neg := x.Operator == "!="
		return func(env map[string]any) (any, bool) {
			a, ok1 := l(env)
			b, ok2 := r(env)
			if !ok1 || !ok2 {
				return nil, false
			}
			eq, ok := fastEqual(a, b)
			return eq != neg, ok
		}
	case "<", "<=", ">", ">=":
		return compileOrder(x.Operator, l, r)
	case "+", "-", "*", "/", "%":
		op := x.Operator
		return func(env map[string]any) (any, bool) {
			a, ok1 := l(env)
			b, ok2 := r(env)
			if !ok1 || !ok2 {
				return nil, false
			}
			return arith(op, a, b)
		}
	case "in":
		return compileIn(l, r)
	}
	return nil
}

// compileInList builds the closure of `a in [literals]`.
func compileInList(left ast.Node, list []any) fastFn {
	l := compileFast(left)
	if l == nil {
		return nil
	}
	return func(env map[string]any) (any, bool) {
		a, ok := l(env)
		if !ok {
			return nil, false
		}
		return member(a, list)
	}
}

// compileLogical builds the closure of && (or false) and || (or true),
// which evaluates its right side only when the left does not decide.
//
//go:noinline
func compileLogical(or bool, l, r fastFn) fastFn {
	return func(env map[string]any) (any, bool) {
		a, ok := l(env)
		ab, isBool := a.(bool)
		if !ok || !isBool {
			return nil, false
		}
		if ab == or {
			return ab, true
		}
		b, ok := r(env)
		bb, isBool := b.(bool)
		return bb, ok && isBool
	}
}

// compileOrder builds the closure of <, <=, > and >= on numbers and on
// strings.
//
//go:noinline
func compileOrder(op string, l, r fastFn) fastFn {
	return func(env map[string]any) (any, bool) {
		a, ok1 := l(env)
		b, ok2 := r(env)
		if !ok1 || !ok2 {
			return nil, false
		}
		if af, bf, ok := bothNumbers(a, b); ok {
			return compare(op, cmpFloat(af, bf)), true
		}
		if as, ok := a.(string); ok {
			if bs, ok := b.(string); ok {
				return compare(op, cmpString(as, bs)), true
			}
		}
		return nil, false
	}
}

// compileIn builds the closure of `a in b` for a list, a map or the set
// expr's optimizer makes of a literal list of strings.
//
//go:noinline
func compileIn(l, r fastFn) fastFn {
	return func(env map[string]any) (any, bool) {
		a, ok1 := l(env)
		b, ok2 := r(env)
		if !ok1 || !ok2 {
			return nil, false
		}
		switch list := b.(type) {
		case []any:
			return member(a, list)
		case map[string]any:
			if k, ok := a.(string); ok {
				_, found := list[k]
				return found, true
			}
		case map[string]struct{}: // expr's optimizer turns ['a', 'b'] into a set
			if k, ok := a.(string); ok {
				_, found := list[k]
				return found, true
			}
		}
		return nil, false
	}
}

// fastEqual decides == for numbers, strings, booleans and nil.
func fastEqual(a, b any) (bool, bool) {
	if af, bf, ok := bothNumbers(a, b); ok {
		return af == bf, true
	}
	switch av := a.(type) {
	case string:
		switch bv := b.(type) {
		case string:
			return av == bv, true
		case bool, nil, int, float64:
			return false, true
		}
	case bool:
		switch bv := b.(type) {
		case bool:
			return av == bv, true
		case string, nil, int, float64:
			return false, true
		}
	case nil:
		switch b.(type) {
		case nil:
			return true, true
		case string, bool, int, float64:
			return false, true
		}
	case int, float64:
		switch b.(type) {
		case string, bool, nil:
			return false, true
		}
	}
	return false, false
}

func bothNumbers(a, b any) (float64, float64, bool) {
	af, ok := fastNumber(a)
	if !ok {
		return 0, 0, false
	}
	bf, ok := fastNumber(b)
	return af, bf, ok
}

func fastNumber(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case int:
		return float64(n), true
	}
	return 0, false
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	case a == b:
		return 0
	}
	return 2 // NaN: every ordered comparison is false
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func compare(op string, c int) bool {
	switch op {
	case "<":
		return c == -1
	case "<=":
		return c == -1 || c == 0
	case ">":
		return c == 1
	default: // ">="
		return c == 1 || c == 0
	}
}

// arith follows expr: int op int stays int (but / is always float), any
// float makes float, + joins strings. Division and modulo by zero are left
// to the VM.
func arith(op string, a, b any) (any, bool) {
	ai, aInt := a.(int)
	bi, bInt := b.(int)
	if aInt && bInt {
		switch op {
		case "+":
			return ai + bi, true
		case "-":
			return ai - bi, true
		case "*":
			return ai * bi, true
		case "/":
			if bi == 0 {
				return nil, false
			}
			return float64(ai) / float64(bi), true
		case "%":
			if bi == 0 {
				return nil, false
			}
			return ai % bi, true
		}
	}
	if af, bf, ok := bothNumbers(a, b); ok {
		switch op {
		case "+":
			return af + bf, true
		case "-":
			return af - bf, true
		case "*":
			return af * bf, true
		case "/":
			if bf == 0 {
				return nil, false
			}
			return af / bf, true
		}
		return nil, false // float modulo: expr's rules, on the VM
	}
	if op == "+" {
		if as, ok := a.(string); ok {
			if bs, ok := b.(string); ok {
				return as + bs, true
			}
		}
	}
	return nil, false
}
