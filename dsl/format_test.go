package dsl

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFormatGolden formats testdata/format/*.kumeo and the examples and
// compares the output with the .golden file next to the input (examples:
// testdata/format/examples/). Regenerate with go test ./dsl -update.
func TestFormatGolden(t *testing.T) {
	inputs, err := filepath.Glob("testdata/format/*.kumeo")
	require.NoError(t, err)
	require.NotEmpty(t, inputs)
	examples, err := filepath.Glob("../examples/*.kumeo")
	require.NoError(t, err)
	require.NotEmpty(t, examples)
	cases := map[string]string{}
	for _, in := range inputs {
		cases[in] = strings.TrimSuffix(in, ".kumeo") + ".golden"
	}
	for _, in := range examples {
		cases[in] = filepath.Join("testdata", "format", "examples", strings.TrimSuffix(filepath.Base(in), ".kumeo")+".golden")
	}
	for in, want := range cases {
		t.Run(filepath.ToSlash(in), func(t *testing.T) {
			src, err := os.ReadFile(in)
			require.NoError(t, err)
			out, diags := Format(in, src)
			require.False(t, diags.HasErrors(), "%v", diags)
			golden(t, want, out)
			f, _ := Parse(in, src)
			require.NoError(t, checkFormatted(in, f))
		})
	}
}

// TestFormatRules pins each rule of the canonical style on a small input.
func TestFormatRules(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty file", "", ""},
		{"whitespace only", " \n\n\t\n", ""},
		{"comment only", "\n\n// c   \n\n", "// c\n"},
		{"block header spacing", "workflow   A{x:1}", "workflow A {\n  x: 1\n}\n"},
		{"empty block body", "workflow A {\n\n}", "workflow A {}\n"},
		{"block body on new lines", "workflow A { x: 1; y: 2 }", "workflow A {\n  x: 1; y: 2\n}\n"},
		{"trailing comment after block brace", "workflow A { // c\nx: 1 }", "workflow A { // c\n  x: 1\n}\n"},
		{"block comment after block brace", "workflow A { /* c */ x: 1 }", "workflow A { /* c */\n  x: 1\n}\n"},
		{"comment-only body", "workflow A { /* c */ }", "workflow A { /* c */\n}\n"},
		{"blocks on one line", "workflow A {x: 1} workflow B {y: 2}", "workflow A {\n  x: 1\n}\n\nworkflow B {\n  y: 2\n}\n"},
		{"blank line runs between blocks", "workflow A {x: 1}\n\n\n\nworkflow B {y: 2}\n", "workflow A {\n  x: 1\n}\n\nworkflow B {\n  y: 2\n}\n"},
		{"comment between blocks", "workflow A {x: 1}\n// B\nworkflow B {y: 2}", "workflow A {\n  x: 1\n}\n\n// B\nworkflow B {\n  y: 2\n}\n"},
		{"trailing comment after block", "workflow A {x: 1} // end\nworkflow B {y: 2}", "workflow A {\n  x: 1\n} // end\n\nworkflow B {\n  y: 2\n}\n"},
		{"comma colon semicolon", "workflow A {\n  a :1 ,b : [1 ,2 ,3] ; c:{d:1,e:2}\n}", "workflow A {\n  a: 1, b: [1, 2, 3]; c: { d: 1, e: 2 }\n}\n"},
		{"brackets", "workflow A {\n  a: [ F ( 1 ) ]\n  b: F( [ 1 ] , { } , [ ] , G( ) )\n}", "workflow A {\n  a: [F(1)]\n  b: F([1], {}, [], G())\n}\n"},
		{"named args with =", "workflow A {\n  a: F(id = \"x\", n : 1, o={ p: 2 })\n}", "workflow A {\n  a: F(id=\"x\", n: 1, o={ p: 2 })\n}\n"},
		{"paths and call names", "workflow A {\n  a: x . y . z\n  b: F ( x )\n}", "workflow A {\n  a: x.y.z\n  b: F(x)\n}\n"},
		{"trailing commas", "workflow A {\n  a: [1, 2, ]\n  b: F(1, )\n  c: { d: 1, }\n}", "workflow A {\n  a: [1, 2,]\n  b: F(1,)\n  c: { d: 1, }\n}\n"},
		{"empty brackets joined", "workflow A {\n  a: [\n  ]\n  b: F(\n)\n  c: {\n\n}\n}", "workflow A {\n  a: []\n  b: F()\n  c: {}\n}\n"},
		{"no blank after open or before close", "workflow A {\n\n  a: [\n\n    1,\n\n\n    2\n\n  ]\n\n}", "workflow A {\n  a: [\n    1,\n\n    2\n  ]\n}\n"},
		{"one indent per line", "workflow A {\nsource: HTTP(\"/x\", {\nmethod: \"POST\"\n})\n}", "workflow A {\n  source: HTTP(\"/x\", {\n    method: \"POST\"\n  })\n}\n"},
		{"closing bracket follows its opener's line", "workflow A {\na: [F(1,\n2), G(3,\n4)]\n}", "workflow A {\n  a: [F(1,\n    2), G(3,\n      4)]\n}\n"},
		{"tabs become spaces", "workflow A {\n\t\ta:\t1\t\n}", "workflow A {\n  a: 1\n}\n"},
		{"block comments mid-line", "workflow A {\n  a: /*x*/ 1 /*y*/ , b: [ /*z*/ 2 ]\n}", "workflow A {\n  a: /*x*/ 1 /*y*/, b: [/*z*/ 2]\n}\n"},
		{"line comment trailing whitespace", "workflow A { // c \t\n  a: 1\n}", "workflow A { // c\n  a: 1\n}\n"},
		{"crlf kept", "workflow A {\r\n\ta: 1\r\n\r\n\r\n\tb: 2 // c\r\n}\r\n", "workflow A {\r\n  a: 1\r\n\r\n  b: 2 // c\r\n}\r\n"},
		{"lf wins when first break is lf", "workflow A {\n  a: 1\r\n}\r\n", "workflow A {\n  a: 1\n}\n"},
		{"byte-order mark kept", "\xEF\xBB\xBFworkflow A {a: 1}", "\xEF\xBB\xBFworkflow A {\n  a: 1\n}\n"},
		{"long string untouched", "workflow A {\n      a: \"\"\"\n   x  \n  \"\"\"\n}", "workflow A {\n  a: \"\"\"\n   x  \n  \"\"\"\n}\n"},
		{"anonymous integration", "integration{workflow:A,use:B}", "integration {\n  workflow: A, use: B\n}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, diags := Format("rules.kumeo", []byte(tt.in))
			require.False(t, diags.HasErrors(), "%v", diags)
			assert.Equal(t, tt.want, string(out))
			f, _ := Parse("rules.kumeo", []byte(tt.in))
			assert.NoError(t, checkFormatted("rules.kumeo", f))
		})
	}
}

func TestFormatSyntaxError(t *testing.T) {
	for _, src := range []string{
		"workflow A {",
		"workflow A { a: }",
		"workflow A { a: \"unterminated }",
		"flow A {}",
		"workflow A { a: 1 } }",
		"workflow A { a: 1e999 }",
	} {
		t.Run(src, func(t *testing.T) {
			out, diags := Format("bad.kumeo", []byte(src))
			assert.Nil(t, out)
			assert.True(t, diags.HasErrors())
		})
	}
}

func TestFormatKeepsWarnings(t *testing.T) {
	out, diags := Format("warn.kumeo", []byte(`workflow A {a: "\q"}`))
	require.NotNil(t, out)
	assert.Equal(t, "workflow A {\n  a: \"\\q\"\n}\n", string(out))
	require.Len(t, diags, 1)
	assert.Equal(t, CodeInvalidEscape, diags[0].Code)
}

func TestFormatFragment(t *testing.T) {
	router := "Router(id: \"r\",\nrules: {\"a > 1\": \"x\"})"
	multi := "LLM(\nid: \"a\",\n  config: {\n t: 1 })"
	tests := []struct {
		name   string
		src    string
		indent int
		want   string
	}{
		{"palette snippet at indent 2", router, 2, "Router(id: \"r\",\n    rules: { \"a > 1\": \"x\" })"},
		{"palette snippet at indent 1", router, 1, "Router(id: \"r\",\n  rules: { \"a > 1\": \"x\" })"},
		{"indent 0 counts as 1", router, 0, "Router(id: \"r\",\n  rules: { \"a > 1\": \"x\" })"},
		{"negative indent counts as 1", router, -3, "Router(id: \"r\",\n  rules: { \"a > 1\": \"x\" })"},
		{"closing bracket at indent 3", multi, 3, "LLM(\n      id: \"a\",\n      config: {\n        t: 1 })"},
		{"closing on its own line", "LLM(\nid: \"a\"\n)", 3, "LLM(\n      id: \"a\"\n    )"},
		{"single line", "  F( a = 1 ,b:[ 1,2 ] )  ", 2, "F(a=1, b: [1, 2])"},
		{"object value", "{a:1,\n\n\nb:2}", 1, "{ a: 1,\n\n  b: 2 }"},
		{"scalar", "  \"x\"  ", 4, "\"x\""},
		{"leading comment", "// c\nLLM(id: \"a\")", 2, "// c\n  LLM(id: \"a\")"},
		{"trailing comment", "LLM(id: \"a\") // c  ", 2, "LLM(id: \"a\") // c"},
		{"crlf", "F(a,\r\nb)", 1, "F(a,\r\n  b)"},
		{"no block rules in a fragment", "{\n}", 1, "{}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FormatFragment(tt.src, tt.indent)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			again, err := FormatFragment(got, tt.indent)
			require.NoError(t, err)
			assert.Equal(t, got, again, "not idempotent")
		})
	}
}

func TestFormatFragmentMatchesFile(t *testing.T) {
	// A fragment formatted at the depth of its place in a file is laid out
	// exactly as the file formatter lays it out there.
	agent := "DecisionMatrix(id: \"m\",\nrules: [{\nname: \"r\"\n}],\n  on_failure: { action: \"drop\" }\n)"
	frag, err := FormatFragment(agent, 3)
	require.NoError(t, err)
	file := "workflow W {\n  agents: [\n    " + frag + "\n  ]\n}\n"
	out, diags := Format("w.kumeo", []byte(file))
	require.False(t, diags.HasErrors(), "%v", diags)
	assert.Equal(t, file, string(out))

	prop, err := FormatFragment("HTTP(\"/x\", {\nmethod: \"POST\"\n})", 2)
	require.NoError(t, err)
	file = "workflow W {\n  source: " + prop + "\n}\n"
	out, diags = Format("w.kumeo", []byte(file))
	require.False(t, diags.HasErrors(), "%v", diags)
	assert.Equal(t, file, string(out))
}

func TestFormatFragmentError(t *testing.T) {
	for _, src := range []string{"", "LLM(", "a: 1", "LLM() LLM()", "\"x"} {
		t.Run(src, func(t *testing.T) {
			got, err := FormatFragment(src, 1)
			assert.Empty(t, got)
			require.Error(t, err)
			var diags Diagnostics
			assert.True(t, errors.As(err, &diags) && diags.HasErrors())
		})
	}
}

// TestFormatGenerated checks the formatter's invariants on a large
// generated workflow and on a messy re-spacing of it.
func TestFormatGenerated(t *testing.T) {
	src := genWorkflow(200)
	f, diags := Parse("gen.kumeo", src)
	require.False(t, diags.HasErrors(), "%v", diags)
	require.NoError(t, checkFormatted("gen.kumeo", f))

	messy := respace(f)
	g, diags := Parse("messy.kumeo", messy)
	require.False(t, diags.HasErrors(), "%v", diags)
	require.NoError(t, checkFormatted("messy.kumeo", g))
	assert.Equal(t, string(FormatFile(f)), string(FormatFile(g)), "spacing within lines must not matter")
}

// respace rewrites every gap within a line of f as a varying run of spaces
// and tabs (or nothing where that cannot merge tokens) and keeps line breaks.
func respace(f *File) []byte {
	var b bytes.Buffer
	prev := 0
	for i, t := range f.Tokens {
		gap := f.Src[prev:t.Start]
		switch {
		case bytes.ContainsRune(gap, '\n'):
			b.WriteString(strings.Repeat(" \t\n", bytes.Count(gap, []byte{'\n'})) + strings.Repeat("\t", i%4))
		case i%2 == 0 && (len(gap) > 0 || t.Kind != TokEOF):
			b.WriteString(" \t ")
		default:
			b.Write(gap)
		}
		b.Write(f.Src[t.Start:t.End])
		prev = t.End
	}
	return b.Bytes()
}

// BenchmarkFormat parses and formats a generated 1,000-agent workflow.
func BenchmarkFormat(b *testing.B) {
	src := genWorkflow(1000)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if out, diags := Format("gen.kumeo", src); out == nil {
			b.Fatal(diags)
		}
	}
}

// BenchmarkFormatFile formats the same workflow, already parsed.
func BenchmarkFormatFile(b *testing.B) {
	src := genWorkflow(1000)
	f, diags := Parse("gen.kumeo", src)
	if diags.HasErrors() {
		b.Fatal(diags)
	}
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		FormatFile(f)
	}
}
