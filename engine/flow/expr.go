package flow

import (
	"fmt"
	"sync"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/builtin"
	"github.com/expr-lang/expr/vm"
)

// Expr is an expression compiled once and evaluated on many events. The
// workflow's config is constant for a run, so config.* paths are folded
// into constants at compile time and the event map is the whole
// environment: evaluation copies nothing.
type Expr struct {
	Source string
	prog   *vm.Program
	fast   fastFn // nil when the expression is outside the fast subset
}

var vmPool = sync.Pool{New: func() any { return new(vm.VM) }}

// CompileExpr compiles src with config.* resolved from globals.
func CompileExpr(src string, globals map[string]any) (*Expr, error) {
	// An empty map environment makes field reads plain map lookups (no
	// reflection); unknown names are allowed because events are dynamic.
	// Patches run in order: % and / need their operands' texts as written
	// and their types once fields named like builtins are fields, and come
	// before config values become constants of known types.
	texts, arith, funcs := arithOptions()
	opts := append([]expr.Option{expr.Env(map[string]any{}), expr.AllowUndefinedVariables(),
		texts, expr.Patch(builtinFields{}), arith, expr.Patch(configFolder{globals})}, funcs...)
	prog, err := expr.Compile(src, opts...)
	if err != nil {
		return nil, fmt.Errorf("expression %q: %w", src, err)
	}
	return &Expr{Source: src, prog: prog, fast: compileFast(prog.Node())}, nil
}

// Eval evaluates the expression on an event.
func (e *Expr) Eval(data map[string]any) (any, error) {
	if e.fast != nil {
		if v, ok := e.fast(data); ok {
			return v, nil
		}
	}
	return e.run(data)
}

// run evaluates the expression on expr's VM.
func (e *Expr) run(data map[string]any) (any, error) {
	m := vmPool.Get().(*vm.VM)
	out, err := m.Run(e.prog, data)
	vmPool.Put(m)
	if err != nil {
		return nil, fmt.Errorf("expression %q: %w", e.Source, err)
	}
	return out, nil
}

// Bool evaluates the expression as a condition. A result that is not a
// boolean is an error; nil (a missing field) is false.
func (e *Expr) Bool(data map[string]any) (bool, error) {
	out, err := e.Eval(data)
	if err != nil {
		return false, err
	}
	switch v := out.(type) {
	case bool:
		return v, nil
	case nil:
		return false, nil
	}
	return false, fmt.Errorf("expression %q: expected true or false, got %T", e.Source, out)
}

// builtinFields makes a name spelt like an expr builtin but not called
// (type == 'card', count > 3) read the event field, as the checker does.
type builtinFields struct{}

func (builtinFields) Visit(node *ast.Node) {
	if id, ok := (*node).(*ast.IdentifierNode); ok {
		if _, isBuiltin := builtin.Index[id.Value]; isBuiltin {
			m := &ast.MemberNode{Node: &ast.IdentifierNode{Value: "$env"}, Property: &ast.StringNode{Value: id.Value}}
			m.SetLocation(id.Location())
			ast.Patch(node, m)
		}
	}
}

// configFolder replaces config.a.b member chains with the constant value.
type configFolder struct{ globals map[string]any }

func (c configFolder) Visit(node *ast.Node) {
	m, ok := (*node).(*ast.MemberNode)
	if !ok {
		return
	}
	path, ok := memberPath(m)
	if !ok || len(path) < 2 || path[0] != "config" {
		return
	}
	var cur any = c.globals
	for _, p := range path[1:] {
		obj, ok := cur.(map[string]any)
		if !ok {
			cur = nil
			break
		}
		cur = obj[p]
	}
	ast.Patch(node, &ast.ConstantNode{Value: cur})
}

// memberPath returns ["config","a","b"] for config.a.b.
func memberPath(n ast.Node) ([]string, bool) {
	switch v := n.(type) {
	case *ast.IdentifierNode:
		return []string{v.Value}, true
	case *ast.MemberNode:
		base, ok := memberPath(v.Node)
		if !ok {
			return nil, false
		}
		s, ok := v.Property.(*ast.StringNode)
		if !ok {
			return nil, false
		}
		return append(base, s.Value), true
	}
	return nil, false
}
