package dsl

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxDepth bounds nesting so hostile input cannot exhaust the stack.
const maxDepth = 256

// Diagnostic codes for syntax errors.
const (
	CodeSyntax           = "K0001" // unexpected token
	CodeUnterminated     = "K0002" // unterminated string or comment
	CodeInvalidChar      = "K0003" // character outside the language
	CodeUnknownBlock     = "K0004" // top-level word is not workflow/subworkflow/integration
	CodeTooDeep          = "K0005" // nesting limit
	CodeInvalidEscape    = "K0006" // unknown escape in a string
	CodeInvalidNumber    = "K0007" // number out of range
	CodeMissingBlockName = "K0008" // workflow/subworkflow without a name
)

// Parse parses src. It always returns a File (possibly with fewer blocks than
// the text holds when there is a syntax error) and the syntax diagnostics.
// Parsing stops at the first syntax error, which is reported at the
// offending token with what was expected there.
func Parse(filename string, src []byte) (*File, Diagnostics) {
	toks, lexErrs := lex(src)
	f := &File{Filename: filename, Src: src, Tokens: toks, lines: newLineIndex(src)}
	p := &parser{f: f, src: src}
	p.sig = make([]int32, 0, len(toks))
	for i, t := range toks {
		if !t.Kind.IsComment() {
			p.sig = append(p.sig, int32(i))
		}
	}
	p.lexDiags(lexErrs)
	func() {
		defer func() {
			if r := recover(); r != nil {
				if _, ok := r.(bailout); !ok {
					panic(r)
				}
			}
		}()
		p.parseFile()
	}()
	return f, p.diags
}

type bailout struct{}

// slab hands out nodes from blocks allocated together: a syntax tree lives
// and dies as a whole, and one allocation per 64 nodes instead of one per
// node is most of what makes parsing a large file fast.
type slab[T any] struct{ buf []T }

func (s *slab[T]) new() *T {
	if len(s.buf) == 0 {
		s.buf = make([]T, 64)
	}
	p := &s.buf[0]
	s.buf = s.buf[1:]
	return p
}

// popInto returns a copy of (*stack)[mark:] of its exact size, nil when
// empty, and truncates the stack to mark.
func popInto[T any](stack *[]T, mark int) []T {
	items := (*stack)[mark:]
	var out []T
	if len(items) > 0 {
		out = make([]T, len(items))
		copy(out, items)
	}
	clear(items)
	*stack = (*stack)[:mark]
	return out
}

// nodes are the parser's slabs and the scratch stacks lists are collected
// on before they are copied into slices of their exact size.
type nodes struct {
	strings slab[String]
	numbers slab[Number]
	paths   slab[Path]
	calls   slab[Call]
	args    slab[Arg]
	props   slab[Property]
	objects slab[Object]
	arrays  slab[Array]
	bools   slab[Bool]
	nulls   slab[Null]

	argStack  []*Arg
	propStack []*Property
	elemStack []Node
	sepStack  []Range
}

// lexDiags reports the lexer's problems as diagnostics.
func (p *parser) lexDiags(errs []lexError) {
	for _, e := range errs {
		code := CodeInvalidChar
		if strings.HasPrefix(e.summary, "Unterminated") {
			code = CodeUnterminated
		}
		p.diags = append(p.diags, Diagnostic{Severity: SevError, Code: code, Summary: e.summary, Detail: e.detail, Filename: p.f.Filename, Range: p.f.Range(e.start, e.end)})
	}
}

type parser struct {
	nodes
	f     *File
	src   []byte
	sig   []int32 // indexes of non-comment tokens
	pos   int     // index into sig
	depth int
	diags Diagnostics
}

func (p *parser) tok() Token { return p.f.Tokens[p.sig[p.pos]] }
func (p *parser) peek(k int) Token {
	if p.pos+k < len(p.sig) {
		return p.f.Tokens[p.sig[p.pos+k]]
	}
	return p.f.Tokens[len(p.f.Tokens)-1]
}
func (p *parser) next() Token {
	t := p.tok()
	if t.Kind != TokEOF {
		p.pos++
	}
	return t
}
func (p *parser) text(t Token) string { return string(p.src[t.Start:t.End]) }
func (p *parser) rng(t Token) Range {
	start := Pos{Offset: t.Start, Line: t.Line, Column: t.Col}
	if t.Kind == TokLongString || t.Kind == TokBlockComment || t.Kind == TokInvalid {
		return Range{Start: start, End: p.f.Pos(t.End)} // may span lines
	}
	return Range{Start: start, End: Pos{Offset: t.End, Line: t.Line, Column: t.Col + t.End - t.Start}}
}

// fail records a syntax error at token t and stops parsing.
func (p *parser) fail(t Token, code, summary, detail string, suggestions ...string) {
	if t.Kind == TokInvalid && len(p.diags) > 0 {
		panic(bailout{}) // the lexer already explained this token
	}
	p.diags = append(p.diags, Diagnostic{Severity: SevError, Code: code, Summary: summary, Detail: detail, Filename: p.f.Filename, Range: p.rng(t), Suggestions: suggestions})
	panic(bailout{})
}

func (p *parser) describe(t Token) string {
	switch t.Kind {
	case TokEOF:
		return "end of file"
	case TokIdent:
		return fmt.Sprintf("identifier %q", p.text(t))
	case TokString, TokLongString:
		return "string " + truncate(p.text(t), 24)
	case TokNumber:
		return "number " + p.text(t)
	case TokInvalid:
		return "invalid text " + truncate(p.text(t), 24)
	}
	return t.Kind.String()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func (p *parser) expected(what string) {
	t := p.tok()
	p.fail(t, CodeSyntax, "Unexpected "+p.describe(t), "Expected "+what+".")
}

func (p *parser) expect(k TokenKind, what string) Token {
	if p.tok().Kind != k {
		p.expected(what)
	}
	return p.next()
}

func (p *parser) enter() {
	p.depth++
	if p.depth > maxDepth {
		t := p.tok()
		p.fail(t, CodeTooDeep, "Nesting too deep", fmt.Sprintf("Values may nest at most %d levels.", maxDepth))
	}
}

func (p *parser) leave() { p.depth-- }

var blockKeywords = []string{"workflow", "subworkflow", "integration"}

func (p *parser) parseFile() {
	for p.tok().Kind != TokEOF {
		t := p.tok()
		if t.Kind != TokIdent {
			p.expected("a workflow, subworkflow or integration block")
		}
		word := p.text(t)
		switch BlockKind(word) {
		case KindWorkflow, KindSubworkflow, KindIntegration:
		default:
			p.fail(t, CodeUnknownBlock, fmt.Sprintf("Unknown block %q", word),
				"A file holds workflow, subworkflow and integration blocks.", suggest(word, blockKeywords)...)
		}
		p.next()
		b := &Block{Kind: BlockKind(word), KindRange: p.rng(t)}
		if p.tok().Kind == TokIdent {
			nt := p.next()
			b.Name, b.NameRange = p.text(nt), p.rng(nt)
		} else if b.Kind != KindIntegration {
			p.fail(p.tok(), CodeMissingBlockName, fmt.Sprintf("Missing %s name", word),
				fmt.Sprintf("Expected a name after %q, as in `%s Name { ... }`.", word, word))
		}
		if p.tok().Kind != TokLBrace {
			p.expected(`"{" to open the ` + word + " body")
		}
		p.f.Blocks = append(p.f.Blocks, b)
		b.Body = p.parseObject(true)
		b.Range = Span(b.KindRange, b.Body.Range)
	}
}

// parseObject parses `{ property [,|;] ... }`. In a block body the
// separators are optional and may be `;`; in an object value `,` is the
// separator, also optional between properties written on separate lines.
func (p *parser) parseObject(block bool) *Object {
	p.enter()
	defer p.leave()
	open := p.next()
	o := p.objects.new()
	o.Open = p.rng(open)
	mark := len(p.propStack)
	// Collected on the stack, copied at the end (also when a syntax error
	// stops parsing, so a partial tree keeps what parsed).
	defer func() { o.Props = popInto(&p.propStack, mark) }()
	for {
		t := p.tok()
		if t.Kind == TokRBrace {
			break
		}
		if t.Kind != TokIdent && t.Kind != TokString {
			if t.Kind == TokEOF {
				p.fail(t, CodeSyntax, "Unexpected end of file", fmt.Sprintf("Expected \"}\" to close the \"{\" at line %d, column %d.", open.Line, open.Col))
			}
			p.expected(`a property name or "}"`)
		}
		prop := p.parseProperty()
		p.propStack = append(p.propStack, prop)
		switch p.tok().Kind {
		case TokComma:
			prop.Sep = p.rng(p.next())
		case TokSemi:
			if !block {
				p.fail(p.tok(), CodeSyntax, `Unexpected ";"`, `Properties of an object are separated by ","; ";" is accepted only between the properties of a block.`)
			}
			prop.Sep = p.rng(p.next())
		}
	}
	cl := p.next()
	o.Close = p.rng(cl)
	o.Range = Span(o.Open, o.Close)
	return o
}

func (p *parser) parseProperty() *Property {
	kt := p.next()
	prop := p.props.new()
	prop.KeyRange = p.rng(kt)
	if kt.Kind == TokString {
		prop.KeyQuoted = true
		prop.Key = p.unquote(kt)
	} else {
		prop.Key = p.text(kt)
	}
	if p.tok().Kind != TokColon {
		t := p.tok()
		detail := fmt.Sprintf("Expected \":\" after the property name %q.", prop.Key)
		if t.Kind == TokAssign {
			detail += " Properties use \"key: value\"; \"=\" is only for call arguments."
		}
		p.fail(t, CodeSyntax, "Unexpected "+p.describe(t), detail)
	}
	p.next()
	prop.Value = p.parseValue()
	prop.Range = Span(prop.KeyRange, prop.Value.Rng())
	return prop
}

func (p *parser) parseValue() Node {
	t := p.tok()
	switch t.Kind {
	case TokString, TokLongString:
		p.next()
		s := p.strings.new()
		s.Range = p.rng(t)
		if t.Kind == TokLongString {
			s.Quote = 'L'
			s.Value = string(p.src[t.Start+3 : t.End-3])
		} else {
			s.Quote = p.src[t.Start]
			s.Value = p.unquote(t)
		}
		return s
	case TokNumber:
		p.next()
		txt := p.text(t)
		v, err := strconv.ParseFloat(txt, 64)
		if err != nil {
			p.diags = append(p.diags, Diagnostic{Severity: SevError, Code: CodeInvalidNumber, Summary: "Number out of range",
				Detail: fmt.Sprintf("%s does not fit in a 64-bit floating-point number.", txt), Filename: p.f.Filename, Range: p.rng(t)})
		}
		n := p.numbers.new()
		*n = Number{Text: txt, Value: v, Range: p.rng(t)}
		return n
	case TokIdent:
		word := p.text(t)
		switch word {
		case "true", "false":
			p.next()
			b := p.bools.new()
			*b = Bool{Value: word == "true", Range: p.rng(t)}
			return b
		case "null":
			p.next()
			n := p.nulls.new()
			n.Range = p.rng(t)
			return n
		}
		if p.peek(1).Kind == TokLParen {
			return p.parseCall()
		}
		return p.parsePath()
	case TokLBrace:
		return p.parseObject(false)
	case TokLBracket:
		return p.parseArray()
	}
	p.expected("a value (string, number, true, false, null, reference, call, object or array)")
	return nil
}

func (p *parser) parsePath() *Path {
	t := p.next()
	path := p.paths.new()
	path.Parts, path.PartRanges = []string{p.text(t)}, []Range{p.rng(t)}
	for p.tok().Kind == TokDot {
		p.next()
		nt := p.tok()
		if nt.Kind != TokIdent {
			p.expected(fmt.Sprintf("a name after %q", strings.Join(path.Parts, ".")+"."))
		}
		p.next()
		path.Parts = append(path.Parts, p.text(nt))
		path.PartRanges = append(path.PartRanges, p.rng(nt))
	}
	path.Range = Span(path.PartRanges[0], path.PartRanges[len(path.PartRanges)-1])
	return path
}

func (p *parser) parseCall() *Call {
	p.enter()
	defer p.leave()
	nt := p.next()
	open := p.next()
	c := p.calls.new()
	c.Name, c.NameRange, c.Open = p.text(nt), p.rng(nt), p.rng(open)
	mark := len(p.argStack)
	defer func() { c.Args = popInto(&p.argStack, mark) }()
	for p.tok().Kind != TokRParen {
		if p.tok().Kind == TokEOF {
			p.fail(p.tok(), CodeSyntax, "Unexpected end of file", fmt.Sprintf("Expected \")\" to close %s( opened at line %d, column %d.", c.Name, open.Line, open.Col))
		}
		a := p.args.new()
		t := p.tok()
		if t.Kind == TokIdent && (p.peek(1).Kind == TokColon || p.peek(1).Kind == TokAssign) {
			p.next()
			a.Name, a.NameRange = p.text(t), p.rng(t)
			a.Assign = p.src[p.next().Start]
			a.Value = p.parseValue()
			a.Range = Span(a.NameRange, a.Value.Rng())
		} else {
			a.Value = p.parseValue()
			a.Range = a.Value.Rng()
		}
		p.argStack = append(p.argStack, a)
		switch p.tok().Kind {
		case TokComma:
			a.Comma = p.rng(p.next())
		case TokRParen:
		default:
			p.expected(fmt.Sprintf(`"," or ")" after an argument of %s(...)`, c.Name))
		}
	}
	cl := p.next()
	c.Close = p.rng(cl)
	c.Range = Span(c.NameRange, c.Close)
	return c
}

func (p *parser) parseArray() *Array {
	p.enter()
	defer p.leave()
	open := p.next()
	a := p.arrays.new()
	a.Open = p.rng(open)
	mark, smark := len(p.elemStack), len(p.sepStack)
	defer func() {
		a.Elems = popInto(&p.elemStack, mark)
		a.Commas = popInto(&p.sepStack, smark)
	}()
	for p.tok().Kind != TokRBracket {
		if p.tok().Kind == TokEOF {
			p.fail(p.tok(), CodeSyntax, "Unexpected end of file", fmt.Sprintf("Expected \"]\" to close the \"[\" at line %d, column %d.", open.Line, open.Col))
		}
		p.elemStack = append(p.elemStack, p.parseValue())
		switch p.tok().Kind {
		case TokComma:
			p.sepStack = append(p.sepStack, p.rng(p.next()))
		case TokRBracket:
			p.sepStack = append(p.sepStack, Range{})
		default:
			p.expected(`"," or "]" after a list item`)
		}
	}
	cl := p.next()
	a.Close = p.rng(cl)
	a.Range = Span(a.Open, a.Close)
	return a
}

// unquote decodes a "..." or '...' token. Unknown escapes are kept as
// written (backslash included) and reported as warnings.
func (p *parser) unquote(t Token) string {
	raw := p.src[t.Start+1 : t.End-1]
	if !containsByte(raw, '\\') {
		return string(raw)
	}
	var b strings.Builder
	b.Grow(len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' || i+1 >= len(raw) {
			b.WriteByte(c)
			continue
		}
		i++
		switch e := raw[i]; e {
		case '"', '\'', '\\', '/':
			b.WriteByte(e)
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			if i+4 < len(raw) {
				if v, err := strconv.ParseUint(string(raw[i+1:i+5]), 16, 32); err == nil {
					b.WriteRune(rune(v))
					i += 4
					continue
				}
			}
			fallthrough
		default:
			at := t.Start + 1 + i - 1
			p.diags = append(p.diags, Diagnostic{Severity: SevWarning, Code: CodeInvalidEscape, Summary: "Unknown escape sequence",
				Detail:   fmt.Sprintf("\\%c is not an escape; it is kept as written. Known escapes are \\\" \\' \\\\ \\n \\r \\t and \\uXXXX; write \\\\ for a backslash.", e),
				Filename: p.f.Filename, Range: p.f.Range(at, at+2)})
			b.WriteByte('\\')
			b.WriteByte(e)
		}
	}
	return b.String()
}

func containsByte(b []byte, c byte) bool {
	for _, x := range b {
		if x == c {
			return true
		}
	}
	return false
}

// ParseValue parses a single value, such as an agent call given by the
// editor palette. Offsets in the result are relative to src.
func ParseValue(filename string, src []byte) (Node, *File, Diagnostics) {
	toks, lexErrs := lex(src)
	f := &File{Filename: filename, Src: src, Tokens: toks, lines: newLineIndex(src)}
	p := &parser{f: f, src: src}
	for i, t := range toks {
		if !t.Kind.IsComment() {
			p.sig = append(p.sig, int32(i))
		}
	}
	p.lexDiags(lexErrs)
	var n Node
	func() {
		defer func() {
			if r := recover(); r != nil {
				if _, ok := r.(bailout); !ok {
					panic(r)
				}
			}
		}()
		n = p.parseValue()
		if p.tok().Kind != TokEOF {
			p.expected("end of input after the value")
		}
	}()
	if p.diags.HasErrors() {
		return nil, f, p.diags
	}
	return n, f, p.diags
}
