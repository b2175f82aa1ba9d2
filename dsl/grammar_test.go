package dsl

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// grammarSnippet is a small text and whether it is valid Kumeo.
type grammarSnippet struct {
	name  string
	src   string
	valid bool
}

// grammarNest returns a workflow whose property a holds n nested arrays;
// the block body is one more level.
func grammarNest(n int) string {
	return "workflow A { a: " + strings.Repeat("[", n) + strings.Repeat("]", n) + " }"
}

var grammarSnippets = []grammarSnippet{
	// Files and blocks.
	{"empty file", "", true},
	{"only whitespace", " \n\t\r\n ", true},
	{"only comments", "// line\n/* block\n   comment */\n// last line without newline", true},
	{"byte order mark", "\xEF\xBB\xBFworkflow A {}", true},
	{"empty workflow", "workflow A {}", true},
	{"subworkflow", `subworkflow S { input: ["a", "b"] output: ["c"] }`, true},
	{"anonymous integration", "integration {}", true},
	{"named integration", "integration I { use: S }", true},
	{"several blocks", "workflow A {}\nsubworkflow B {}\nintegration { workflow: A, use: B }\nworkflow C {}", true},
	{"reserved word as block name", "subworkflow workflow {}", true},
	{"missing workflow name", "workflow {}", false},
	{"missing subworkflow name", "subworkflow { input: [] }", false},
	{"string as block name", `workflow "A" {}`, false},
	{"path as block name", "workflow A.B {}", false},
	{"unknown block", "pipeline A {}", false},
	{"keywords are case-sensitive", "Workflow A {}", false},
	{"property outside a block", "a: 1", false},
	{"unclosed block", "workflow A { a: 1", false},
	{"comment hides the close", "workflow A { a: 1 // }", false},
	{"extra close", "workflow A {}}", false},
	{"separator after a block", "workflow A {};", false},
	{"block body in parentheses", "workflow A ( a: 1 )", false},

	// Properties and separators.
	{"keywords as keys in an integration", "integration {\n  workflow: Payments,\n  use: RiskScore,\n  mapping: { input: { \"tx\": prep.output }, output: {} }\n}", true},
	{"reserved words as keys", "workflow A { workflow: 1, subworkflow: 2, integration: 3, true: 4, false: 5, null: 6 }", true},
	{"string keys", `workflow A { "a b": 1, 'c': 2, "": 3 }`, true},
	{"semicolon separators", "workflow A { a: 1; b: 2; }", true},
	{"mixed separators and newlines", "workflow A {\n  a: 1\n  b: 2,\n  c: 3;\n}", true},
	{"no separators on one line", "workflow A { a: 1 b: F() c: [] }", true},
	{"CRLF line endings", "workflow A {\r\n  // comment\r\n  a: 1\r\n}\r\n", true},
	{"missing colon", "workflow A { a 1 }", false},
	{"missing colon before string", `workflow A { nats "nats://x" }`, false},
	{"equals in a property", `workflow A { a = 1 }`, false},
	{"missing value", "workflow A { a: }", false},
	{"key without value at end", "workflow A { a }", false},
	{"double semicolon", "workflow A { a: 1;; b: 2 }", false},
	{"comma then semicolon", "workflow A { a: 1,; }", false},
	{"leading separator", "workflow A { ; a: 1 }", false},
	{"number as key", "workflow A { 1: 2 }", false},
	{"long string as key", `workflow A { """k""": 1 }`, false},
	{"path as key", "workflow A { a.b: 1 }", false},

	// Scalars.
	{"strings and escapes", `workflow A { a: "x\"y\\z\n\t\r", b: 'it\'s', c: "'", d: '"' }`, true},
	{"unknown escape is kept", `workflow A { a: "C:\temp\q" }`, true},
	{"empty strings", `workflow A { a: "", b: '', c: """""" }`, true},
	{"long string", "workflow A { p: \"\"\"\n    Classify {{data}}: \"fraud\" or 'ok'?\n    // not a comment\n  \"\"\" }", true},
	{"long string ending in a quote", `workflow A { p: """say "hi"""" }`, true},
	{"numbers", "workflow A { a: 0, b: -1, c: 3.25, d: -0.5e-3, e: 1E10, f: 2e+2, g: 007 }", true},
	{"booleans and null", "workflow A { a: true, b: false, c: null }", true},
	{"number then identifier", "workflow A { a: 1b: 2 }", true},
	{"unterminated string", `workflow A { a: "abc }`, false},
	{"unterminated single-quoted string", `workflow A { a: 'abc }`, false},
	{"string across lines", "workflow A { a: \"ab\ncd\" }", false},
	{"backslash before newline", "workflow A { a: \"ab\\\ncd\" }", false},
	{"unterminated long string", `workflow A { a: """abc" }`, false},
	{"five quotes", `workflow A { a: """"" }`, false},
	{"unterminated block comment", "workflow A {} /* x", false},
	{"lone minus", "workflow A { a: - 1 }", false},
	{"leading dot", "workflow A { a: .5 }", false},
	{"trailing dot", "workflow A { a: 5. }", false},
	{"incomplete exponent", "workflow A { a: 1e }", false},
	{"number out of range", "workflow A { a: 1e999 }", false},
	{"two numbers", "workflow A { a: 1-2 }", false},
	{"invalid character", "workflow A { a: 1 # note\n }", false},
	{"non-ASCII identifier", "workflow Ä {}", false},
	{"non-ASCII in a string", `workflow A { a: "Ä → ok" }`, true},

	// Paths.
	{"paths", "workflow A { a: x, b: input.transaction_data, c: target.alerts.risk_score }", true},
	{"reserved words inside paths", "workflow A { a: workflow.source, b: x.true }", true},
	{"path with trailing dot", "workflow A { a: x. }", false},
	{"path with two dots", "workflow A { a: x..y }", false},
	{"path with number", "workflow A { a: x.1 }", false},
	{"path from a literal", "workflow A { a: null.x }", false},

	// Calls.
	{"positional argument", `workflow A { source: NATS("payments.in") }`, true},
	{"no arguments", "workflow A { a: Timer() }", true},
	{"named arguments", `workflow A { agents: [LLM(id: "x", engine = "ollama/llama3")] }`, true},
	{"id equals", `workflow A { agents: [Custom(id="x", module="plugin.wasm")] }`, true},
	{"mixed arguments and trailing comma", `workflow A { s: HTTP("/p", {method: "POST"}, retry: 3,) }`, true},
	{"nested calls", "workflow A { a: F(G(H(1), k: I()), J(x.y), [K()]) }", true},
	{"space before the parenthesis", "workflow A { a: F (1) }", true},
	{"reserved word as call name", "workflow A { a: integration(workflow) }", true},
	{"reserved word as argument name", "workflow A { a: F(true: 1, workflow = 2) }", true},
	{"arguments without comma", "workflow A { a: F(1 2) }", false},
	{"lone comma in call", "workflow A { a: F(,) }", false},
	{"double comma in call", "workflow A { a: F(1,,) }", false},
	{"string as argument name", `workflow A { a: F("id": 1) }`, false},
	{"named argument without value", "workflow A { a: F(id: ) }", false},
	{"two assignments", "workflow A { a: F(a = b = c) }", false},
	{"unclosed call", "workflow A { a: F(1 }", false},
	{"call of a path", "workflow A { a: x.y(1) }", false},
	{"call of a call", "workflow A { a: F(1)(2) }", false},
	{"call of a literal", "workflow A { a: true(1) }", false},
	{"semicolon in call", "workflow A { a: F(1; 2) }", false},

	// Objects and arrays.
	{"object with optional commas", "workflow A { o: { a: 1 b: 2, c: 3, } }", true},
	{"empty object and array", "workflow A { o: {}, a: [] }", true},
	{"object keys", `workflow A { o: { "score >= 0.9": "target.block", default: x, workflow: 1 } }`, true},
	{"array with trailing comma", `workflow A { a: [1, "two", [3,], {x: 4}, F(),] }`, true},
	{"semicolon in object", "workflow A { o: { a: 1; b: 2 } }", false},
	{"double comma in object", "workflow A { o: { a: 1,, b: 2 } }", false},
	{"lone comma in object", "workflow A { o: {,} }", false},
	{"array without comma", "workflow A { a: [1 2] }", false},
	{"lone comma in array", "workflow A { a: [,] }", false},
	{"double trailing comma in array", "workflow A { a: [1,,] }", false},
	{"semicolon in array", "workflow A { a: [1; 2] }", false},
	{"unclosed array", "workflow A { a: [1, 2 }", false},
	{"property in array", "workflow A { a: [x: 1] }", false},

	// Comments and limits.
	{"comments between all tokens", "workflow /*c*/ A // c\n { /*c*/ a /*c*/ : /*c*/ F( /*c*/ x /*c*/ : /*c*/ 1 /*c*/ , /*c*/ ) /*c*/ ; // c\n b: [ /**/ ] }", true},
	{"comment markers in strings", `workflow A { a: "// no", b: "/* no */" }`, true},
	{"nested block comment", "workflow A {} /* a /* b */ c */", false},
	{"deepest nesting", grammarNest(maxDepth - 1), true},
	{"too deep", grammarNest(maxDepth), false},
}

// refToken is a token of the reference lexer.
type refToken struct {
	kind       TokenKind
	start, end int
}

// referenceRules are the lexical rules of the language reference (section
// 1). The leading characters select the rule; the regular expression,
// matched leftmost-first at that point, gives the token's extent.
var referenceRules = []struct {
	kind   TokenKind
	starts func(s string) bool
	re     *regexp.Regexp
}{
	{TokLongString, func(s string) bool { return strings.HasPrefix(s, `"""`) }, regexp.MustCompile(`^"""(?s:.*?)"""("*)`)},
	{TokString, func(s string) bool { return s[0] == '"' || s[0] == '\'' }, regexp.MustCompile(`^(?:"(?:\\[^\n]|[^"\\\n])*"|'(?:\\[^\n]|[^'\\\n])*')`)},
	{TokLineComment, func(s string) bool { return strings.HasPrefix(s, "//") }, regexp.MustCompile(`^//[^\n]*`)},
	{TokBlockComment, func(s string) bool { return strings.HasPrefix(s, "/*") }, regexp.MustCompile(`^/\*(?s:.*?)\*/`)},
	{TokIdent, func(s string) bool { return isIdentStart(s[0]) }, regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*`)},
	{TokNumber, func(s string) bool { return isDigit(s[0]) || len(s) > 1 && s[0] == '-' && isDigit(s[1]) },
		regexp.MustCompile(`^-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?`)},
	{TokLBrace, func(s string) bool { return s[0] == '{' }, regexp.MustCompile(`^\{`)},
	{TokRBrace, func(s string) bool { return s[0] == '}' }, regexp.MustCompile(`^\}`)},
	{TokLParen, func(s string) bool { return s[0] == '(' }, regexp.MustCompile(`^\(`)},
	{TokRParen, func(s string) bool { return s[0] == ')' }, regexp.MustCompile(`^\)`)},
	{TokLBracket, func(s string) bool { return s[0] == '[' }, regexp.MustCompile(`^\[`)},
	{TokRBracket, func(s string) bool { return s[0] == ']' }, regexp.MustCompile(`^\]`)},
	{TokComma, func(s string) bool { return s[0] == ',' }, regexp.MustCompile(`^,`)},
	{TokSemi, func(s string) bool { return s[0] == ';' }, regexp.MustCompile(`^;`)},
	{TokColon, func(s string) bool { return s[0] == ':' }, regexp.MustCompile(`^:`)},
	{TokAssign, func(s string) bool { return s[0] == '=' }, regexp.MustCompile(`^=`)},
	{TokDot, func(s string) bool { return s[0] == '.' }, regexp.MustCompile(`^\.`)},
}

// referenceLex tokenizes src by the reference rules up to the first
// lexical error, which is returned as a TokInvalid token. Whitespace is
// space, tab, CR, LF, FF and VT, and a byte-order mark at the start.
func referenceLex(src []byte) []refToken {
	s := string(src)
	var out []refToken
	i := 0
	if strings.HasPrefix(s, "\xEF\xBB\xBF") {
		i = 3
	}
	for {
		for i < len(s) && strings.IndexByte(" \t\r\n\f\v", s[i]) >= 0 {
			i++
		}
		if i == len(s) {
			return out
		}
		tok := refToken{kind: TokInvalid, start: i}
		for _, r := range referenceRules {
			if !r.starts(s[i:]) {
				continue
			}
			if m := r.re.FindString(s[i:]); m != "" {
				tok.kind = r.kind
				tok.end = i + len(m)
				// A line comment ends before the \r of a CRLF line end.
				if r.kind == TokLineComment && strings.HasSuffix(m, "\r") && len(m) > 2 {
					tok.end--
				}
			}
			break
		}
		out = append(out, tok)
		if tok.kind == TokInvalid {
			return out
		}
		i = tok.end
	}
}

// checkLexer checks lex against the reference rules: the same tokens up to
// the first lexical error, and an error in both or neither.
func checkLexer(t *testing.T, src []byte) {
	t.Helper()
	fast, _ := lex(src)
	ref := referenceLex(src)
	for i, r := range ref {
		if i >= len(fast)-1 {
			t.Fatalf("lex ends before the reference token %v at %d in %q", r.kind, r.start, src)
		}
		f := fast[i]
		if r.kind == TokInvalid {
			if f.Kind != TokInvalid || f.Start != r.start {
				t.Fatalf("the reference rules fail at %d, lex reads %v %q at %d in %q", r.start, f.Kind, f.Text(src), f.Start, src)
			}
			return
		}
		if f.Kind != r.kind || f.Start != r.start || f.End != r.end {
			t.Fatalf("reference token %v %q at %d, lex token %v %q at %d in %q", r.kind, src[r.start:r.end], r.start, f.Kind, f.Text(src), f.Start, src)
		}
	}
	if len(fast) != len(ref)+1 {
		f := fast[len(ref)]
		t.Fatalf("lex reads %v %q at %d after the last reference token in %q", f.Kind, f.Text(src), f.Start, src)
	}
}

// fastAccepts reports whether Parse accepts src, and a dump of its tree.
func fastAccepts(src []byte) (bool, string) {
	f, diags := Parse("snippet.kumeo", src)
	if diags.HasErrors() {
		return false, diags.Errors().Error()
	}
	var b strings.Builder
	for _, blk := range f.Blocks {
		fmt.Fprintf(&b, "%s %s {", blk.Kind, blk.Name)
		dumpFastProps(&b, f, blk.Body.Props)
		b.WriteString("}\n")
	}
	return true, b.String()
}

func dumpFastProps(b *strings.Builder, f *File, props []*Property) {
	for i, p := range props {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(b, "%s: ", f.Text(p.KeyRange))
		dumpFastValue(b, f, p.Value)
	}
}

func dumpFastValue(b *strings.Builder, f *File, n Node) {
	switch v := n.(type) {
	case *String, *Number:
		b.WriteString(f.Text(v.Rng()))
	case *Bool:
		fmt.Fprint(b, v.Value)
	case *Null:
		b.WriteString("null")
	case *Path:
		b.WriteString("path:" + v.String())
	case *Call:
		b.WriteString(v.Name + "(")
		for i, a := range v.Args {
			if i > 0 {
				b.WriteString(", ")
			}
			if a.Name != "" {
				fmt.Fprintf(b, "%s%c ", a.Name, a.Assign)
			}
			dumpFastValue(b, f, a.Value)
		}
		b.WriteString(")")
	case *Object:
		b.WriteString("{")
		dumpFastProps(b, f, v.Props)
		b.WriteString("}")
	case *Array:
		b.WriteString("[")
		for i, e := range v.Elems {
			if i > 0 {
				b.WriteString(", ")
			}
			dumpFastValue(b, f, e)
		}
		b.WriteString("]")
	default:
		fmt.Fprintf(b, "<%T>", n)
	}
}

// referenceAccepts reports whether the reference grammar accepts src, and
// a dump of its tree in the form of fastAccepts.
func referenceAccepts(src []byte) (bool, string) {
	f, err := parseReference("snippet.kumeo", src)
	if err != nil {
		return false, err.Error()
	}
	var b strings.Builder
	for _, blk := range f.Blocks {
		kind, name, props := blk.kind()
		fmt.Fprintf(&b, "%s %s {", kind, name)
		dumpRefProps(&b, props)
		b.WriteString("}\n")
	}
	return true, b.String()
}

func dumpRefProps(b *strings.Builder, props []*property) {
	for i, p := range props {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(b, "%s%s: ", p.Key.Ident, p.Key.String)
		dumpRefValue(b, p.Value)
	}
}

func dumpRefValue(b *strings.Builder, v *value) {
	switch {
	case v.String != nil:
		b.WriteString(*v.String)
	case v.LongString != nil:
		b.WriteString(*v.LongString)
	case v.Number != nil:
		b.WriteString(*v.Number)
	case v.True:
		b.WriteString("true")
	case v.False:
		b.WriteString("false")
	case v.Null:
		b.WriteString("null")
	case v.Path != nil:
		b.WriteString("path:" + strings.Join(v.Path.Parts, "."))
	case v.Call != nil:
		b.WriteString(v.Call.Name + "(")
		for i, a := range v.Call.Args {
			if i > 0 {
				b.WriteString(", ")
			}
			if a.Name != "" {
				fmt.Fprintf(b, "%s%s ", a.Name, a.Assign)
			}
			dumpRefValue(b, a.Value)
		}
		b.WriteString(")")
	case v.Object != nil:
		b.WriteString("{")
		dumpRefProps(b, v.Object.Props)
		b.WriteString("}")
	case v.Array != nil:
		b.WriteString("[")
		for i, e := range v.Array.Elems {
			if i > 0 {
				b.WriteString(", ")
			}
			dumpRefValue(b, e)
		}
		b.WriteString("]")
	default:
		b.WriteString("<empty value>")
	}
}

// fastTopLevel returns the number of blocks and each block's property keys as
// Parse sees them.
func fastTopLevel(src []byte) (int, [][]string) {
	f, _ := Parse("snippet.kumeo", src)
	keys := make([][]string, len(f.Blocks))
	for i, b := range f.Blocks {
		for _, p := range b.Body.Props {
			keys[i] = append(keys[i], f.Text(p.KeyRange))
		}
	}
	return len(f.Blocks), keys
}

// refTopLevel is fastTopLevel for the reference grammar.
func refTopLevel(src []byte) (int, [][]string) {
	f, _ := parseReference("snippet.kumeo", src)
	keys := make([][]string, len(f.Blocks))
	for i, b := range f.Blocks {
		_, _, props := b.kind()
		for _, p := range props {
			keys[i] = append(keys[i], p.Key.Ident+p.Key.String)
		}
	}
	return len(f.Blocks), keys
}

// checkGrammarAgree checks that both parsers and both lexers agree on src, and
// returns whether src is valid.
func checkGrammarAgree(t *testing.T, src []byte) bool {
	t.Helper()
	checkLexer(t, src)
	fastOK, fastOut := fastAccepts(src)
	refOK, refOut := referenceAccepts(src)
	require.Equal(t, fastOK, refOK, "Parse accepts: %v (%s)\nreference accepts: %v (%s)\nsource: %q", fastOK, fastOut, refOK, refOut, src)
	if fastOK {
		n, keys := fastTopLevel(src)
		rn, rkeys := refTopLevel(src)
		require.Equal(t, n, rn, "number of blocks")
		require.Equal(t, keys, rkeys, "top-level property keys")
		require.Equal(t, fastOut, refOut, "syntax trees differ for %q", src)
	}
	return fastOK
}

// grammarFiles returns every .kumeo file in examples/ and testdata/.
func grammarFiles(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob("../examples/*.kumeo")
	require.NoError(t, err)
	err = filepath.WalkDir("testdata", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".kumeo") {
			files = append(files, p)
		}
		return err
	})
	require.NoError(t, err)
	require.NotEmpty(t, files)
	return files
}

func TestGrammarFiles(t *testing.T) {
	for _, fn := range grammarFiles(t) {
		t.Run(fn, func(t *testing.T) {
			src, err := os.ReadFile(fn)
			require.NoError(t, err)
			checkGrammarAgree(t, src)
		})
	}
}

func TestGrammarExamplesValid(t *testing.T) {
	files, err := filepath.Glob("../examples/*.kumeo")
	require.NoError(t, err)
	for _, fn := range append(files, "testdata/grammar/draft_style.kumeo") {
		src, err := os.ReadFile(fn)
		require.NoError(t, err)
		assert.NoError(t, ParseReference(fn, src), fn)
	}
}

func TestGrammarSnippets(t *testing.T) {
	require.GreaterOrEqual(t, len(grammarSnippets), 40)
	seen := map[string]bool{}
	for _, s := range grammarSnippets {
		require.False(t, seen[s.name], "duplicate snippet name %q", s.name)
		seen[s.name] = true
		t.Run(s.name, func(t *testing.T) {
			valid := checkGrammarAgree(t, []byte(s.src))
			assert.Equal(t, s.valid, valid, "%q", s.src)
		})
	}
}

// TestGrammarTokenEdits checks agreement on every text one token edit away
// from a snippet: a token deleted, doubled, swapped with the next one, or
// preceded by another token.
func TestGrammarTokenEdits(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: about 50,000 parses")
	}
	inserts := []string{",", ";", ":", "=", ".", "{", "}", "(", ")", "[", "]", "x", "F(", "-1", `"s"`, `"""l"""`, "true", "null", "workflow", "integration", "// c\n", "/* c */"}
	for _, s := range grammarSnippets {
		src := s.src
		if len(src) > 200 {
			continue
		}
		toks, _ := lex([]byte(src))
		toks = toks[:len(toks)-1]
		var edits []string
		for i, tk := range toks {
			before, text, after := src[:tk.Start], src[tk.Start:tk.End], src[tk.End:]
			edits = append(edits, before+after, before+text+" "+text+after)
			if i+1 < len(toks) {
				nx := toks[i+1]
				edits = append(edits, before+src[nx.Start:nx.End]+src[tk.End:nx.Start]+text+src[nx.End:])
			}
			for _, ins := range inserts {
				edits = append(edits, before+ins+" "+text+after)
			}
		}
		t.Run(s.name, func(t *testing.T) {
			for _, e := range edits {
				checkGrammarAgree(t, []byte(e))
			}
		})
	}
}

func TestReferenceGrammarGolden(t *testing.T) {
	golden(t, "testdata/grammar/kumeo.ebnf", []byte(ReferenceGrammar()+"\n"))
}

func TestParseReferenceError(t *testing.T) {
	err := ParseReference("bad.kumeo", []byte("workflow A {\n  a 1\n}"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "bad.kumeo:2:")
	err = ParseReference("bad.kumeo", []byte("workflow A {\n  a: \"x\n}"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "bad.kumeo:2:6")
	err = ParseReference("deep.kumeo", []byte(grammarNest(maxDepth)))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "nest")
}

// FuzzGrammar checks that Parse and the reference grammar agree on which
// texts are valid and, for valid ones, on the syntax tree; and that lex
// agrees with the reference lexical rules.
func FuzzGrammar(f *testing.F) {
	for _, s := range grammarSnippets {
		f.Add([]byte(s.src))
	}
	for _, fn := range grammarFiles(f) {
		src, err := os.ReadFile(fn)
		require.NoError(f, err)
		f.Add(src)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		checkGrammarAgree(t, src)
	})
}
