package dsl

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/builtin"
	"github.com/expr-lang/expr/checker"
	"github.com/expr-lang/expr/conf"
	exprfile "github.com/expr-lang/expr/file"
	exprparser "github.com/expr-lang/expr/parser"
)

// Expressions (when, Router rule keys, rule conditions, computed features,
// expression inputs) are compiled with expr-lang/expr: parsed and type
// checked, which is the part of compilation that can fail. Events are
// dynamic maps, so unknown variables are allowed; an identifier spelt like
// an expr builtin but not called (type == 'card', count > 3) is an event
// field, as it is at run time. config.* chains are resolved against the
// workflow's config object by walking the syntax tree, since a map
// environment would make every member access untyped.
//
// The result of compiling a text does not depend on the workflow, so it is
// cached across Check calls: the editor re-checks the whole file on every
// change, and most expressions are unchanged between two checks.

// checkExprResult is what the checker needs from one compiled expression.
type checkExprResult struct {
	failed bool
	msg    string
	from   int // rune offsets of the error; from < 0 when it has no position
	to     int
	kind   reflect.Kind   // result kind when known (Interface or Invalid when not)
	config []checkExprRef // config.a.b chains
	dotted []string       // identifiers and member chains such as review.output
}

// checkExprRef is a config.<keys> chain with the rune range of each key.
type checkExprRef struct {
	keys   []string
	ranges [][2]int
}

const checkExprCacheMax = 1 << 14

var checkExprCache = struct {
	sync.Mutex
	m map[string]*checkExprResult
}{m: map[string]*checkExprResult{}}

// checkExprCompiler compiles expressions for one Check call.
type checkExprCompiler struct {
	conf  *conf.Config
	local map[string]*checkExprResult // this call's results, without locking
}

func (x *checkExprCompiler) compile(text string) *checkExprResult {
	if r, ok := x.local[text]; ok {
		return r
	}
	checkExprCache.Lock()
	r, ok := checkExprCache.m[text]
	checkExprCache.Unlock()
	if !ok {
		r = x.compileNew(text)
		checkExprCache.Lock()
		if len(checkExprCache.m) >= checkExprCacheMax {
			clear(checkExprCache.m)
		}
		checkExprCache.m[text] = r
		checkExprCache.Unlock()
	}
	if x.local == nil {
		x.local = map[string]*checkExprResult{}
	}
	x.local[text] = r
	return r
}

func (x *checkExprCompiler) compileNew(text string) (res *checkExprResult) {
	res = &checkExprResult{}
	defer func() {
		// expr is not ours: a panic inside it must not take the editor down.
		if r := recover(); r != nil {
			res = &checkExprResult{failed: true, msg: fmt.Sprint(r), from: -1}
		}
	}()
	if x.conf == nil {
		x.conf = conf.CreateNew()
		expr.Env(map[string]any{})(x.conf)
		expr.AllowUndefinedVariables()(x.conf)
	}
	tree, err := exprparser.ParseWithConfig(text, x.conf)
	if err != nil {
		res.setErr(err)
		return res
	}
	v := &checkExprVisitor{inner: map[ast.Node]bool{}, callees: map[ast.Node]bool{}}
	ast.Walk(&tree.Node, v)
	for _, m := range v.members {
		if v.inner[m] {
			continue
		}
		root, props := checkFlatten(m)
		if root == nil {
			continue
		}
		parts := make([]string, len(props))
		for i, p := range props {
			parts[i] = p.Value
		}
		name := root.Value
		if len(parts) > 0 {
			name += "." + strings.Join(parts, ".")
		}
		res.dotted = append(res.dotted, name)
		if root.Value == "config" && len(props) > 0 {
			ref := checkExprRef{keys: parts, ranges: make([][2]int, len(props))}
			for i, p := range props {
				loc := p.Location()
				ref.ranges[i] = [2]int{loc.From, loc.To}
			}
			res.config = append(res.config, ref)
		}
	}
	for _, p := range v.idents {
		id := (*p).(*ast.IdentifierNode)
		if v.callees[id] {
			continue
		}
		if !v.inner[id] {
			res.dotted = append(res.dotted, id.Value)
		}
		if _, isBuiltin := builtin.Index[id.Value]; isBuiltin {
			m := &ast.MemberNode{Node: &ast.IdentifierNode{Value: "$env"}, Property: &ast.StringNode{Value: id.Value}}
			m.SetLocation(id.Location())
			ast.Patch(p, m)
		}
	}
	t, err := checker.Check(tree, x.conf)
	if err != nil {
		res.setErr(err)
	} else if t != nil {
		res.kind = t.Kind()
	}
	return res
}

func (r *checkExprResult) setErr(err error) {
	r.failed = true
	var fe *exprfile.Error
	if errors.As(err, &fe) {
		r.msg, r.from, r.to = fe.Message, fe.From, fe.To
		return
	}
	r.msg, r.from = err.Error(), -1
}

type checkExprVisitor struct {
	members []*ast.MemberNode
	idents  []*ast.Node
	inner   map[ast.Node]bool // nodes that are the object of a member access
	callees map[ast.Node]bool
}

func (v *checkExprVisitor) Visit(n *ast.Node) {
	switch x := (*n).(type) {
	case *ast.MemberNode:
		v.members = append(v.members, x)
		in := x.Node
		if ch, ok := in.(*ast.ChainNode); ok {
			in = ch.Node
		}
		v.inner[in] = true
	case *ast.CallNode:
		v.callees[x.Callee] = true
		if ch, ok := x.Callee.(*ast.ChainNode); ok {
			v.callees[ch.Node] = true
		}
	case *ast.IdentifierNode:
		v.idents = append(v.idents, n)
	}
}

// checkFlatten returns the root identifier and the constant keys of a member
// chain such as config.a.b or config?.a["b"]; keys after the first computed
// one (config.a[x].b) are dropped.
func checkFlatten(m ast.Node) (*ast.IdentifierNode, []*ast.StringNode) {
	var rev []ast.Node // properties, outermost first
	n := m
	for {
		switch x := n.(type) {
		case *ast.ChainNode:
			n = x.Node
			continue
		case *ast.MemberNode:
			rev = append(rev, x.Property)
			n = x.Node
			continue
		case *ast.IdentifierNode:
			props := make([]*ast.StringNode, 0, len(rev))
			for i := len(rev) - 1; i >= 0; i-- {
				s, ok := rev[i].(*ast.StringNode)
				if !ok {
					break
				}
				props = append(props, s)
			}
			return x, props
		}
		return nil, nil
	}
}

// checkExprSite is where an expression is written: bytes [off, off+len(text))
// of a string's value.
type checkExprSite struct {
	s    *String
	off  int
	text string
	cond bool // a condition: its value must be true or false
}

// checkExpr compiles an expression and reports a compile error at its exact
// columns, and config references that the workflow (or local, the config
// object of the call it is in) does not define. what names the expression
// in messages ("when condition", "Router rule").
func (c *checkCtx) checkExpr(cw *checkWF, local *Object, site checkExprSite, what string) *checkExprResult {
	r := c.exprs.compile(site.text)
	if r.failed {
		rng := site.s.Range
		if r.from >= 0 {
			from := checkRuneToByte(site.text, r.from)
			to := checkRuneToByte(site.text, r.to)
			if to <= from {
				to = from + 1
				for to < len(site.text) && !isUTF8Start(site.text[to]) {
					to++
				}
			}
			if to > len(site.text) {
				to = len(site.text)
			}
			// "Unexpected end" points past the text: show its last character.
			if end := len(strings.TrimRight(site.text, " \t\r\n")); end > 0 && from >= end {
				from = end - 1
				for from > 0 && !isUTF8Start(site.text[from]) {
					from--
				}
				to = end
			}
			rng = c.strRange(site.s, site.off+from, site.off+to)
		}
		c.errorAt(CodeInvalidExpr, rng, "Invalid "+what,
			checkUpperFirst(strings.TrimSuffix(r.msg, "."))+". Expected an expression over the event's fields such as amount > 1000 && currency in ['EUR', 'USD'].")
		return r
	}
	if site.cond && r.kind != reflect.Bool && r.kind != reflect.Interface && r.kind != reflect.Invalid {
		trimmed := strings.TrimRight(site.text, " \t\r\n")
		lead := len(trimmed) - len(strings.TrimLeft(trimmed, " \t\r\n"))
		c.errorAt(CodeInvalidExpr, c.strRange(site.s, site.off+lead, site.off+len(trimmed)), "Invalid "+what,
			fmt.Sprintf("The expression gives %s; a condition must be true or false, such as amount > 1000.", checkA(checkKindName(r.kind))))
		return r
	}
	if cw != nil {
		for _, ref := range r.config {
			ref := ref
			c.checkConfigRef(ref.keys, func(i int) Range {
				from := checkRuneToByte(site.text, ref.ranges[i][0])
				to := checkRuneToByte(site.text, ref.ranges[i][1])
				return c.strRange(site.s, site.off+from, site.off+to)
			}, cw.ns, local)
		}
	}
	return r
}

func checkKindName(k reflect.Kind) string {
	switch k {
	case reflect.Int, reflect.Int64, reflect.Float64:
		return "number"
	case reflect.String:
		return "string"
	case reflect.Slice, reflect.Array:
		return "list"
	case reflect.Map, reflect.Struct:
		return "map"
	}
	return k.String()
}

func isUTF8Start(b byte) bool { return b&0xC0 != 0x80 }

// checkStringSite is the site of a whole string value: the text compiled is
// the decoded value (a long string's text as written, so columns map one to
// one).
func checkStringSite(s *String) checkExprSite { return checkExprSite{s: s, text: s.Value} }

// checkCondSite is the site of a string holding a condition.
func checkCondSite(s *String) checkExprSite { return checkExprSite{s: s, text: s.Value, cond: true} }

// checkKeySite is the site of an object key used as an expression (Router
// rules): a quoted key is decoded like a string, an identifier key is its
// own text.
func (c *checkCtx) checkKeySite(p *Property) checkExprSite {
	s := &String{Value: p.Key, Range: p.KeyRange}
	if p.KeyQuoted && p.KeyRange.Start.Offset < len(c.src) {
		s.Quote = c.src[p.KeyRange.Start.Offset]
	}
	return checkExprSite{s: s, text: p.Key, cond: true}
}
