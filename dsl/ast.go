package dsl

import (
	"strconv"
	"strings"
	"sync"
)

// File is a parsed .kumeo file. Src is kept unchanged: printing a file
// without edits returns Src byte for byte, and every node's Range slices it.
type File struct {
	Filename string
	Src      []byte
	Tokens   []Token // every token, comments included, ending with TokEOF
	Blocks   []*Block
	lines    *lineIndex
	wfMu     sync.Mutex
	wfCache  map[*Block]*Workflow
}

// Pos converts a byte offset in the file to a position.
func (f *File) Pos(offset int) Pos { return f.lines.pos(offset) }

// Range converts a byte range in the file to a Range.
func (f *File) Range(start, end int) Range { return f.lines.rng(start, end) }

// Text returns the source text covered by r.
func (f *File) Text(r Range) string { return string(f.Src[r.Start.Offset:r.End.Offset]) }

// BlockKind is the keyword opening a top-level block.
type BlockKind string

// Top-level block kinds.
const (
	KindWorkflow    BlockKind = "workflow"
	KindSubworkflow BlockKind = "subworkflow"
	KindIntegration BlockKind = "integration"
)

// Block is a workflow, subworkflow or integration block.
type Block struct {
	Kind      BlockKind
	KindRange Range
	Name      string // empty for an anonymous integration
	NameRange Range
	Body      *Object // the braces and properties
	Range     Range
}

// Get returns the property with the given key, or nil.
func (b *Block) Get(key string) *Property { return b.Body.Get(key) }

// Node is any value in the syntax tree.
type Node interface {
	Rng() Range
	node()
}

// Property is `key: value` inside a block or object. Sep is the `,` or `;`
// written after it, if any.
type Property struct {
	Key       string
	KeyRange  Range
	KeyQuoted bool
	Value     Node
	Sep       Range // empty when no separator follows
	Range     Range // key through value, separator excluded
}

// Arg is one argument of a call: positional (Name == "") or named with `:`
// or `=`. Comma is the separator after it, if any.
type Arg struct {
	Name      string
	NameRange Range
	Assign    byte // ':' or '=' for a named argument, 0 otherwise
	Value     Node
	Comma     Range
	Range     Range
}

// String is a quoted string. Quote is '"', '\” or 'L' for """long""".
type String struct {
	Value string // unescaped; a long string's text as written
	Quote byte
	Range Range
}

// Number is a numeric literal; Text is its source spelling.
type Number struct {
	Text  string
	Value float64
	Range Range
}

// Bool is true or false.
type Bool struct {
	Value bool
	Range Range
}

// Null is the null literal.
type Null struct{ Range Range }

// Path is a dotted reference such as risk.output or config.thresholds.block.
type Path struct {
	Parts      []string
	PartRanges []Range
	Range      Range
}

// Call is a constructor such as LLM(...) or NATS("subject").
type Call struct {
	Name      string
	NameRange Range
	Open      Range // "("
	Close     Range // ")"
	Args      []*Arg
	Range     Range
}

// Object is `{ key: value, ... }`; a block body is also an Object.
type Object struct {
	Open  Range
	Close Range
	Props []*Property
	Range Range
}

// Array is `[ value, ... ]`. Commas[i] is the separator after Elems[i].
type Array struct {
	Open   Range
	Close  Range
	Elems  []Node
	Commas []Range
	Range  Range
}

func (n *String) Rng() Range { return n.Range }
func (n *Number) Rng() Range { return n.Range }
func (n *Bool) Rng() Range   { return n.Range }
func (n *Null) Rng() Range   { return n.Range }
func (n *Path) Rng() Range   { return n.Range }
func (n *Call) Rng() Range   { return n.Range }
func (n *Object) Rng() Range { return n.Range }
func (n *Array) Rng() Range  { return n.Range }

func (*String) node() {}
func (*Number) node() {}
func (*Bool) node()   {}
func (*Null) node()   {}
func (*Path) node()   {}
func (*Call) node()   {}
func (*Object) node() {}
func (*Array) node()  {}

// String returns the path in dotted form.
func (n *Path) String() string { return strings.Join(n.Parts, ".") }

// Get returns the property with the given key, or nil.
func (o *Object) Get(key string) *Property {
	if o == nil {
		return nil
	}
	for _, p := range o.Props {
		if p.Key == key {
			return p
		}
	}
	return nil
}

// Value returns the value of key, or nil.
func (o *Object) Value(key string) Node {
	if p := o.Get(key); p != nil {
		return p.Value
	}
	return nil
}

// Named returns the named argument, or nil.
func (c *Call) Named(name string) *Arg {
	for _, a := range c.Args {
		if a.Name == name {
			return a
		}
	}
	return nil
}

// Value returns the value of the named argument, or nil.
func (c *Call) Value(name string) Node {
	if a := c.Named(name); a != nil {
		return a.Value
	}
	return nil
}

// Positional returns the i-th positional argument's value, or nil.
func (c *Call) Positional(i int) Node {
	for _, a := range c.Args {
		if a.Name == "" {
			if i == 0 {
				return a.Value
			}
			i--
		}
	}
	return nil
}

// Text returns a long string's value with common leading indentation
// removed and the first and last blank lines dropped; other strings are
// returned unchanged.
func (n *String) Text() string {
	if n.Quote != 'L' {
		return n.Value
	}
	return dedent(n.Value)
}

func dedent(s string) string {
	lines := strings.Split(s, "\n")
	if len(lines) > 1 && strings.TrimSpace(lines[0]) == "" {
		lines = lines[1:]
	}
	if len(lines) > 1 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	indent := -1
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		w := len(l) - len(strings.TrimLeft(l, " \t"))
		if indent < 0 || w < indent {
			indent = w
		}
	}
	if indent <= 0 {
		return strings.Join(lines, "\n")
	}
	for i, l := range lines {
		if len(l) >= indent {
			lines[i] = l[indent:]
		} else {
			lines[i] = strings.TrimLeft(l, " \t")
		}
	}
	return strings.Join(lines, "\n")
}

// Interface converts a value to plain Go data: string, float64, bool, nil,
// map[string]any, []any. Paths become their dotted string and calls a map
// with "$call" naming the constructor and "$args" holding positional args.
func Interface(n Node) any {
	switch v := n.(type) {
	case *String:
		return v.Text()
	case *Number:
		return v.Value
	case *Bool:
		return v.Value
	case *Null:
		return nil
	case *Path:
		return v.String()
	case *Object:
		m := make(map[string]any, len(v.Props))
		for _, p := range v.Props {
			m[p.Key] = Interface(p.Value)
		}
		return m
	case *Array:
		out := make([]any, len(v.Elems))
		for i, e := range v.Elems {
			out[i] = Interface(e)
		}
		return out
	case *Call:
		m := map[string]any{"$call": v.Name}
		var pos []any
		for _, a := range v.Args {
			if a.Name == "" {
				pos = append(pos, Interface(a.Value))
			} else {
				m[a.Name] = Interface(a.Value)
			}
		}
		if pos != nil {
			m["$args"] = pos
		}
		return m
	}
	return nil
}

// StringValue returns the text of a string node, or "" and false.
func StringValue(n Node) (string, bool) {
	if s, ok := n.(*String); ok {
		return s.Text(), true
	}
	return "", false
}

func strconvQuote(s string) string { return strconv.Quote(s) }
