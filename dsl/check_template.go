package dsl

import (
	"fmt"
	"sort"
	"strings"
)

// Prompt templates use Handlebars syntax: {{name}}, {{{raw}}}, {{!comment}},
// {{#if x}}...{{else}}...{{/if}}, {{#each xs}}...{{/each}}. The checker
// reports unclosed tags and unbalanced blocks as errors, and variables the
// agent's input cannot provide as warnings.

type checkTag struct {
	name     string
	from, to int // byte offsets of the tag in the string's value
}

// checkTemplate checks the template in s, an argument of call. a is nil for
// an agent written inline (its input is unknown).
func (c *checkCtx) checkTemplate(cw *checkWF, call *Call, a *Agent, s *String) {
	t := &tmplCheck{c: c, s: s, call: call, a: a}
	t.names, t.known = c.templateNames(cw, call, a)
	v := s.Value
	for i := 0; ; {
		k := strings.Index(v[i:], "{{")
		if k < 0 {
			break
		}
		open := i + k
		start, closer := open+2, "}}"
		if strings.HasPrefix(v[open:], "{{{") {
			start, closer = open+3, "}}}"
		}
		if strings.HasPrefix(v[start:], "!--") {
			closer = "--}}"
		}
		end := strings.Index(v[start:], closer)
		if nested := strings.Index(v[start:], "{{"); end < 0 || nested >= 0 && nested < end && closer != "--}}" {
			c.errorAt(CodeTemplateSyntax, c.strRange(s, open, start), "Unclosed {{ in template",
				fmt.Sprintf("Expected %q to close the tag; write {{name}} to insert a field.", closer))
			i = start
			continue
		}
		end += start
		i = end + len(closer)
		t.tag(open, start, end, i)
	}
	for _, tag := range t.stack {
		c.errorAt(CodeTemplateSyntax, c.strRange(s, tag.from, tag.to), fmt.Sprintf("{{#%s}} is never closed", tag.name),
			fmt.Sprintf("Expected {{/%s}} after the block's content.", tag.name))
	}
}

// tmplCheck is the state of checking one template.
type tmplCheck struct {
	c      *checkCtx
	s      *String
	call   *Call
	a      *Agent
	names  map[string]bool // the variables the input provides
	known  bool            // names is known
	stack  []checkTag      // open blocks
	scoped int             // open #each/#with blocks: names inside refer to the item
}

// tag checks the tag at v[open:next], whose body is v[start:end].
func (t *tmplCheck) tag(open, start, end, next int) {
	c, s, v := t.c, t.s, t.s.Value
	// Tag body without the whitespace-control ~ marks and blanks.
	body, at := v[start:end], start
	if strings.HasPrefix(body, "~") {
		body, at = body[1:], at+1
	}
	body = strings.TrimSuffix(body, "~")
	trimmed := strings.TrimLeft(body, " \t\r\n")
	at += len(body) - len(trimmed)
	body = strings.TrimRight(trimmed, " \t\r\n")
	if body == "" {
		c.errorAt(CodeTemplateSyntax, c.strRange(s, open, next), "Empty template tag", "Expected {{name}} or a block such as {{#if name}}.")
		return
	}
	switch body[0] {
	case '!', '>':
		return // comment, partial
	case '#', '^':
		if body != "^" { // {{^}} is else
			t.openBlock(body, at, open, next)
		}
		return
	case '/':
		t.closeBlock(strings.TrimSpace(body[1:]), open, next)
		return
	case '&':
		b := strings.TrimLeft(body[1:], " ")
		at += len(body) - len(b)
		body = b
	}
	word, rest := checkCutWord(body)
	if word == "else" {
		if h, r := checkCutWord(rest); h != "" {
			t.args(r, at+len(body)-len(r))
		}
		return
	}
	if rest == "" {
		t.variable(word, at)
		return
	}
	t.args(rest, at+len(body)-len(rest)) // {{helper arg ...}}
}

// openBlock checks {{#helper args}} and opens its block.
func (t *tmplCheck) openBlock(body string, at, open, next int) {
	helper, rest := checkCutWord(body[1:])
	t.args(rest, at+len(body)-len(rest))
	t.stack = append(t.stack, checkTag{helper, open, next})
	if helper == "each" || helper == "with" {
		t.scoped++
	}
}

// closeBlock checks {{/name}} against the innermost open block.
func (t *tmplCheck) closeBlock(name string, open, next int) {
	c, s := t.c, t.s
	if len(t.stack) == 0 {
		c.errorAt(CodeTemplateSyntax, c.strRange(s, open, next), fmt.Sprintf("{{/%s}} without {{#%s}}", name, name),
			fmt.Sprintf("Every {{/%s}} closes a {{#%s ...}} opened before it.", name, name))
		return
	}
	top := t.stack[len(t.stack)-1]
	t.stack = t.stack[:len(t.stack)-1]
	if top.name == "each" || top.name == "with" {
		t.scoped--
	}
	if top.name != name {
		c.errorAt(CodeTemplateSyntax, c.strRange(s, open, next), fmt.Sprintf("{{/%s}} closes {{#%s}}", name, top.name),
			fmt.Sprintf("The innermost open block is {{#%s}} (%s); expected {{/%s}} here.", top.name, checkLine(c.strRange(s, top.from, top.to)), top.name))
	}
}

// args checks the variables among a helper's arguments, rest starting at
// offset at.
func (t *tmplCheck) args(rest string, at int) {
	for _, a := range checkTemplateArgs(rest, at) {
		t.variable(a.name, a.from)
	}
}

// variable reports a variable the agent's input does not provide.
func (t *tmplCheck) variable(tok string, at int) {
	if !t.known || t.scoped > 0 {
		return
	}
	name := checkTemplateVar(tok)
	if name == "" || t.names[name] {
		return
	}
	avail := make([]string, 0, len(t.names))
	for n := range t.names {
		if n != "input" && n != "context" {
			avail = append(avail, n)
		}
	}
	sort.Strings(avail)
	t.c.warnAt(CodeUnknownTemplateV, t.c.strRange(t.s, at, at+len(name)), fmt.Sprintf("Template variable %q is not provided", name),
		fmt.Sprintf("The input of %s provides %s; {{%s}} will render empty.", checkAgentName(t.call, t.a), checkListOr(checkFirst(avail, 12), "no fields"), tok),
		suggest(name, avail)...)
}

func checkAgentName(call *Call, a *Agent) string {
	if a != nil {
		return fmt.Sprintf("agent %q", a.ID)
	}
	return call.Name
}

// checkCutWord splits off the first blank-separated word.
func checkCutWord(s string) (string, string) {
	s = strings.TrimLeft(s, " \t\r\n")
	i := strings.IndexAny(s, " \t\r\n")
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimLeft(s[i:], " \t\r\n")
}

// checkTemplateArgs splits helper arguments, skipping string literals and
// subexpressions; from is the offset of args in the value.
func checkTemplateArgs(args string, from int) []checkTag {
	var out []checkTag
	for i := 0; i < len(args); {
		switch ch := args[i]; {
		case ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n':
			i++
		case ch == '"' || ch == '\'':
			j := strings.IndexByte(args[i+1:], ch)
			if j < 0 {
				return out
			}
			i += j + 2
		case ch == '(' || ch == ')':
			i++ // (helper arg) subexpressions: their words are checked as arguments
		default:
			j := i
			for j < len(args) && !strings.ContainsRune(" \t\r\n()", rune(args[j])) {
				j++
			}
			word := args[i:j]
			if word == "as" {
				return out // block parameters: {{#each items as |item|}}
			}
			if k := strings.IndexByte(word, '='); k >= 0 { // hash argument key=value
				out = append(out, checkTag{word[k+1:], from + i + k + 1, from + j})
			} else if i == 0 || args[i-1] != '(' { // a subexpression's first word is a helper
				out = append(out, checkTag{word, from + i, from + j})
			}
			i = j
		}
	}
	return out
}

// checkTemplateVar returns the input field a template variable reads, or ""
// for literals, this, @data and parent scopes.
func checkTemplateVar(tok string) string {
	if tok == "" {
		return ""
	}
	switch c := tok[0]; {
	case c == '@', c == '.', c == '"', c == '\'', c == '-', c >= '0' && c <= '9':
		return ""
	}
	switch tok {
	case "true", "false", "null", "undefined", "this", "else":
		return ""
	}
	if strings.HasPrefix(tok, "this.") || strings.HasPrefix(tok, "this/") {
		return ""
	}
	end := strings.IndexAny(tok, "./[")
	if end < 0 {
		return tok
	}
	return tok[:end]
}

// templateNames returns the names a template of the agent may use, and
// whether they are known at all. They are known when the input is an
// object (its keys), or the output of a DataProcessor with features (their
// names); anything else (the source, another agent's output) may carry any
// field. Context names, "input" and "context" are always available.
func (c *checkCtx) templateNames(cw *checkWF, call *Call, a *Agent) (map[string]bool, bool) {
	if a == nil || cw == nil || len(a.Inputs) == 0 {
		return nil, false
	}
	names := map[string]bool{"input": true, "context": true}
	if len(a.Inputs) == 1 && a.Inputs[0].Name == "" {
		in := a.Inputs[0]
		if in.Field != "" || in.Kind == InputExpr || in.Kind == InputOther {
			return nil, false
		}
		var prod *Agent
		if in.Kind == InputPath {
			p := in.Node.(*Path)
			prod = cw.byID[p.Parts[0]]
			if prod != nil && len(p.Parts) > 2 {
				return nil, false // a field of the output
			}
		} else if ps := cw.produced[in.Channel]; len(ps) == 1 && ps[0] >= 0 {
			prod = cw.all[ps[0]]
			if prod.Output != in.Channel {
				prod = nil // a Router channel
			}
		}
		if prod == nil || !c.reg.Caps(prod.Type).Features || prod.Call == nil {
			return nil, false
		}
		cfg, _ := prod.Call.Value("config").(*Object)
		feats, ok := cfg.Value("features").(*Array)
		if !ok {
			return nil, false
		}
		for _, e := range feats.Elems {
			s, ok := e.(*String)
			if !ok {
				return nil, false
			}
			name, _, _ := checkFeature(s.Value)
			if name == "" {
				return nil, false
			}
			root, _, _ := strings.Cut(name, ".")
			names[root] = true
		}
	} else {
		for _, in := range a.Inputs {
			names[in.Name] = true
		}
	}
	for _, e := range cw.w.Contexts {
		checkContextNames(e.Node, names)
	}
	checkContextNames(call.Value("context"), names)
	return names, true
}

// checkContextNames adds the names under which a context is visible: a
// constructor's type and id/name, a string or path, object keys.
func checkContextNames(n Node, names map[string]bool) {
	switch v := n.(type) {
	case *Call:
		names[v.Name] = true
		for _, k := range []string{"id", "name"} {
			if s, ok := checkNameOf(v.Value(k)); ok {
				names[s] = true
			}
		}
	case *String:
		names[v.Text()] = true
	case *Path:
		names[v.Parts[0]] = true
		names[v.Parts[len(v.Parts)-1]] = true
	case *Object:
		for _, p := range v.Props {
			names[p.Key] = true
		}
	case *Array:
		for _, e := range v.Elems {
			checkContextNames(e, names)
		}
	}
}
