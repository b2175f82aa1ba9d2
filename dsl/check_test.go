package dsl

import (
	"bytes"
	"fmt"
	"go/ast"
	goparser "go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// checkFile parses and checks src, failing the test on syntax errors.
func checkFile(t testing.TB, name string, src []byte) Diagnostics {
	t.Helper()
	f, diags := Parse(name, src)
	require.Empty(t, diags.Errors(), "syntax errors in %s: %v", name, diags)
	return Builtin().Check(f)
}

// formatDiags renders one line per diagnostic:
// file:line:col-endline:endcol: severity: message [code]
func formatDiags(ds Diagnostics) []byte {
	var b bytes.Buffer
	for _, d := range ds {
		fmt.Fprintf(&b, "%s:%s: %s: %s [%s]\n", d.Filename, d.Range, d.Severity, d.Message(), d.Code)
	}
	return b.Bytes()
}

// TestCheckCorpus checks every file of testdata/check against its golden
// output. A file named after a code (k1003_...) must report that code; a
// file named ok_... and every example must report nothing.
func TestCheckCorpus(t *testing.T) {
	files, err := filepath.Glob("testdata/check/*.kumeo")
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 45)
	examples, err := filepath.Glob("../examples/*.kumeo")
	require.NoError(t, err)
	require.NotEmpty(t, examples)
	for _, fn := range append(files, examples...) {
		base := filepath.Base(fn)
		example := strings.HasPrefix(fn, "../examples/")
		name := strings.TrimSuffix(base, ".kumeo")
		if example {
			name = "example_" + name
		}
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(fn)
			require.NoError(t, err)
			diags := checkFile(t, base, src)
			if !example { // examples belong to everyone: no golden copy to keep in step
				golden(t, strings.TrimSuffix(fn, ".kumeo")+".golden", formatDiags(diags))
			}
			checkInvariants(t, src)
			if example || strings.HasPrefix(base, "ok_") {
				assert.Empty(t, diags, "a clean file must check without diagnostics")
				return
			}
			code, _, _ := strings.Cut(base, "_")
			code = strings.ToUpper(code)
			var codes []string
			for _, d := range diags {
				codes = append(codes, d.Code)
			}
			assert.Contains(t, codes, code, "the file is named after the code it must report")
		})
	}
}

// TestCheckConcurrent: Check may run on several files at once (the app
// checks every open file); run with -race.
func TestCheckConcurrent(t *testing.T) {
	var srcs [][]byte
	for _, fn := range repoKumeoFiles(t) {
		b, err := os.ReadFile(fn)
		require.NoError(t, err)
		srcs = append(srcs, b)
	}
	want := make([]string, len(srcs))
	for i, src := range srcs {
		f, _ := Parse("f", src)
		want[i] = string(formatDiags(Builtin().Check(f)))
	}
	checkExprCache.Lock()
	clear(checkExprCache.m)
	checkExprCache.Unlock()
	got := make([][]string, 4)
	done := make(chan struct{})
	for g := range got {
		go func() {
			defer func() { done <- struct{}{} }()
			for _, src := range srcs {
				f, _ := Parse("f", src)
				got[g] = append(got[g], string(formatDiags(Builtin().Check(f))))
			}
		}()
	}
	for range got {
		<-done
	}
	for _, g := range got {
		assert.Equal(t, want, g)
	}
}

func TestCheckGenerated(t *testing.T) {
	for _, n := range []int{1, 2, 3, 4, 5, 9, 40} {
		assert.Empty(t, checkFile(t, "gen.kumeo", genWorkflow(n)), "genWorkflow(%d)", n)
	}
}

// TestCheckRanges pins the code, range and suggestions of the cases whose
// position is computed: expression errors inside escaped, single-quoted and
// long strings, keys, features, and parts of references.
func TestCheckRanges(t *testing.T) {
	wrap := func(agents string) string {
		return "workflow W {\n  source: NATS(\"in\")\n  target: NATS(\"out\")\n  config: { limits: { high: 5 } }\n  agents: [\n" + agents + "\n  ]\n}\n"
	}
	// Agents start on line 6.
	tests := []struct {
		name  string
		src   string
		code  string
		rng   string // line:col-line:col
		sugg  []string
		inMsg string
	}{
		{
			name: "expr plain",
			src:  wrap(`    DataProcessor(id: "a", when: "amount >* 3")`),
			code: CodeInvalidExpr, rng: "6:42-6:44", // the ">*" operator
		},
		{
			name: "expr after escaped quotes",
			src:  wrap(`    DataProcessor(id: "a", when: "name == \"x\" && >")`),
			code: CodeInvalidExpr, rng: "6:52-6:53",
		},
		{
			name: "expr after newline escape",
			src:  wrap(`    DataProcessor(id: "a", when: "a\n == 1 +* 2")`),
			code: CodeInvalidExpr, rng: "6:45-6:46",
		},
		{
			name: "expr after unicode escape",
			src:  wrap(`    DataProcessor(id: "a", when: "x == '\u00e9' &&& y")`),
			code: CodeInvalidExpr, rng: "6:51-6:52",
		},
		{
			name: "expr with multibyte text",
			src:  wrap(`    DataProcessor(id: "a", when: "x == 'héé' &&& y")`),
			code: CodeInvalidExpr, rng: "6:50-6:51",
		},
		{
			name: "expr single quoted",
			src:  wrap(`    DataProcessor(id: "a", when: 'x == "q" ) ')`),
			code: CodeInvalidExpr, rng: "6:44-6:45",
		},
		{
			name: "expr in long string",
			src:  wrap("    DecisionMatrix(id: \"a\", rules: [ { name: \"r\", condition: \"\"\"\n      amount > 0 &&\n      currency ==\n    \"\"\" } ])"),
			code: CodeInvalidExpr, rng: "8:17-8:18",
		},
		{
			name: "expr in router key with escape",
			src:  wrap(`    Router(id: "r", rules: { "tag == \"a\" ||": "target.out", "default": "target.out" })`),
			code: CodeInvalidExpr, rng: "6:45-6:46",
		},
		{
			name: "expr in feature",
			src:  wrap(`    DataProcessor(id: "a", config: { features: ["big: amount >> 3"] })`),
			code: CodeInvalidExpr, rng: "6:63-6:64",
		},
		{
			name: "type mismatch",
			src:  wrap(`    DataProcessor(id: "a", when: "'a' + 1 > 0")`),
			code: CodeInvalidExpr, rng: "6:39-6:40",
		},
		{
			name: "config key inside expression after escape",
			src:  wrap(`    DataProcessor(id: "a", when: "tag == \"x\" && n > config.limits.hihg")`),
			code: CodeUnknownConfig, rng: "6:69-6:73", sugg: []string{"high"},
		},
		{
			name: "config key in path",
			src:  wrap(`    MLModel(id: "a", model: "m.onnx", threshold: config.limit.high)`),
			code: CodeUnknownConfig, rng: "6:57-6:62", sugg: []string{"limits"},
		},
		{
			name: "unknown agent type",
			src:  wrap(`    LLN(id: "a", prompt: "hi")`),
			code: CodeUnknownType, rng: "6:5-6:8", sugg: []string{"LLM"},
		},
		{
			name: "unknown argument",
			src:  wrap(`    LLM(id: "a", prompt: "hi", temprature: 0.2)`),
			code: CodeUnknownArg, rng: "6:32-6:42", sugg: []string{"temperature"},
		},
		{
			name: "enum",
			src:  wrap(`    DataProcessor(id: "a", on_failure: { action: "quarantaine" })`),
			code: CodeBadEnum, rng: "6:50-6:63", sugg: []string{"quarantine"},
		},
		{
			name: "agent reference",
			src:  wrap("    DataProcessor(id: \"risk_score\"),\n    DataProcessor(id: \"b\", input: risk_scor.output)"),
			code: CodeUnknownAgent, rng: "7:35-7:44", sugg: []string{"risk_score"},
		},
		{
			name: "router target subject",
			src:  wrap(`    Router(id: "r", rules: { "x > 1": "target.ot", "default": "target.out" })`),
			code: CodeUnknownTarget, rng: "6:47-6:49", sugg: []string{"out"},
		},
		{
			name: "model name inside string",
			src:  wrap(`    MLModel(id: "a", model: "models.scorer")`),
			code: CodeUnknownModel, rng: "6:37-6:43",
		},
		{
			name: "template variable",
			src:  wrap(`    LLM(id: "a", input: { ticket: "source", user: "source" }, prompt: "Hi {{usr.name}} about {{ticket}}")`),
			code: CodeUnknownTemplateV, rng: "6:77-6:80", sugg: []string{"user"},
		},
		{
			name: "template unclosed",
			src:  wrap(`    LLM(id: "a", prompt: "Hi {{name")`),
			code: CodeTemplateSyntax, rng: "6:30-6:32",
		},
		{
			name: "interpolation",
			src:  wrap(`    LLM(id: "a", engine: "x/${env.MY-VAR}", prompt: "hi")`),
			code: CodeInvalidInterp, rng: "6:29-6:42",
		},
		{
			name: "duplicate id mentions first line",
			src:  wrap("    DataProcessor(id: \"a\"),\n    DataProcessor(id: \"a\", input: a.output)"),
			code: CodeDuplicateID, rng: "7:23-7:26", inMsg: "line 6",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			diags := checkFile(t, "t.kumeo", []byte(tt.src))
			var found *Diagnostic
			for i := range diags {
				if diags[i].Code == tt.code {
					found = &diags[i]
					break
				}
			}
			require.NotNil(t, found, "want %s, got:\n%s", tt.code, formatDiags(diags))
			assert.Equal(t, tt.rng, found.Range.String(), "range of %s", found.Message())
			if tt.sugg != nil {
				assert.Equal(t, tt.sugg, found.Suggestions)
			}
			if tt.inMsg != "" {
				assert.Contains(t, found.Message(), tt.inMsg)
			}
			assert.NotEmpty(t, found.Detail)
		})
	}
}

// TestCheckSrcOffset: every decoded byte of every string in the corpus
// maps back to the source byte it came from (bytes outside escapes are
// equal; bytes of an escape map to its backslash).
func TestCheckSrcOffset(t *testing.T) {
	srcs := [][]byte{[]byte(`workflow W { a: "x\"y\\z\n\tq\u00e9r\u12G4'\'/\/é", b: 'it\'s', c: """long "quoted"
  text""", d: "", e: "\q" }`)}
	for _, fn := range repoKumeoFiles(t) {
		b, err := os.ReadFile(fn)
		require.NoError(t, err)
		srcs = append(srcs, b)
	}
	n := 0
	for _, src := range srcs {
		f, _ := Parse("t", src)
		checkEachString(f.Blocks, func(s *String) {
			n++
			raw := string(src[s.Range.Start.Offset:s.Range.End.Offset])
			for i := 0; i < len(s.Value); i++ {
				off := checkSrcOffset(src, s, i)
				require.True(t, s.Range.Contains(off), "offset %d of %s outside the string", i, raw)
				if src[off] != '\\' || s.Quote == 'L' {
					require.Equal(t, s.Value[i], src[off], "byte %d of %s", i, raw)
				}
			}
			end := checkSrcOffset(src, s, len(s.Value))
			if s.Quote == 'L' {
				assert.Equal(t, s.Range.End.Offset-3, end, raw)
			} else {
				assert.Equal(t, s.Range.End.Offset-1, end, raw)
			}
		})
	}
	assert.Greater(t, n, 50)
}

func checkEachString(blocks []*Block, fn func(*String)) {
	var walk func(Node)
	walk = func(n Node) {
		switch v := n.(type) {
		case *String:
			fn(v)
		case *Object:
			for _, p := range v.Props {
				walk(p.Value)
			}
		case *Array:
			for _, e := range v.Elems {
				walk(e)
			}
		case *Call:
			for _, a := range v.Args {
				walk(a.Value)
			}
		}
	}
	for _, b := range blocks {
		if b.Body != nil {
			walk(b.Body)
		}
	}
}

func TestCheckDurationsAndQuantities(t *testing.T) {
	for _, s := range []string{"0", "30s", "500ms", "1h30m", "7d", "1.5h", "2d12h", "10us", "10µs"} {
		assert.True(t, checkIsDuration(s), s)
	}
	for _, s := range []string{"", "30", "30 s", "-5s", "5sec", "1y", "s", ".s", "1h 30m"} {
		assert.False(t, checkIsDuration(s), s)
	}
	for _, s := range []string{"250m", "2", "1.5", "256Mi", "1Gi", "512M", "1e3", ".5", "100k"} {
		assert.True(t, checkQuantityRE.MatchString(s), s)
	}
	for _, s := range []string{"256MB", "250 m", "-1", "1GiB", "", "m", "1.2.3"} {
		assert.False(t, checkQuantityRE.MatchString(s), s)
	}
}

// TestCheckPartialFiles: every prefix of the examples (cut at each line)
// checks without panicking and with ranges inside the file.
func TestCheckPartialFiles(t *testing.T) {
	for _, fn := range repoKumeoFiles(t) {
		src, err := os.ReadFile(fn)
		require.NoError(t, err)
		for i := 0; i < len(src); i++ {
			if src[i] != '\n' && i%7 != 0 {
				continue
			}
			checkInvariants(t, src[:i])
		}
	}
}

// checkInvariants parses and checks src and asserts what must hold for any
// input: no panic, sorted diagnostics with codes and ranges inside src.
func checkInvariants(t testing.TB, src []byte) {
	f, _ := Parse("f.kumeo", src)
	diags := Builtin().Check(f)
	for i, d := range diags {
		if d.Code == "" || d.Summary == "" || d.Detail == "" || d.Severity == 0 || d.Code == CodeCheckFailed {
			t.Fatalf("bad diagnostic %+v", d)
		}
		if d.Range.Start.Offset < 0 || d.Range.End.Offset > len(src) || d.Range.Start.Offset > d.Range.End.Offset {
			t.Fatalf("range %v outside the source (%d bytes): %s", d.Range, len(src), d)
		}
		if i > 0 && diags[i-1].Range.Start.Offset > d.Range.Start.Offset {
			t.Fatalf("diagnostics not sorted: %s before %s", diags[i-1], d)
		}
	}
}

// TestCheckExprCache: a cached result is reused and gives the same
// diagnostics as a fresh compilation.
func TestCheckExprCache(t *testing.T) {
	src := []byte(`workflow W { source: NATS("in") target: NATS("out") agents: [ DataProcessor(id: "a", when: "x >") ] }`)
	first := checkFile(t, "t.kumeo", src)
	checkExprCache.Lock()
	_, cached := checkExprCache.m["x >"]
	checkExprCache.Unlock()
	assert.True(t, cached)
	assert.Equal(t, first, checkFile(t, "t.kumeo", src))
	require.Len(t, first, 1)
	assert.Equal(t, CodeInvalidExpr, first[0].Code)
}

func TestCheckBuiltinNamedFields(t *testing.T) {
	src := wrapAgents(`DataProcessor(id: "a", when: "type == 'card' && count > 3 && len(items) > 0 && now() > date")`)
	assert.Empty(t, checkFile(t, "t.kumeo", []byte(src)))
}

// TestCheckExprSyntax: the operators of the language reference compile;
// mistakes do not.
func TestCheckExprSyntax(t *testing.T) {
	for _, tt := range []struct {
		expr string
		ok   bool
	}{
		{"amount > 1000 && currency in ['EUR', 'USD']", true},
		{"a ?? b", true},
		{"review?.decision == 'rejected'", true},
		{"!(a || b) && c % 2 == 0 && d != e && f <= g", true},
		{"input.urgency in ['low', 'medium', 'high']", true},
		{"x not in [1, 2]", true},
		{"amount % 2 == 0 && amount / 4 >= 1.5 && amount * 2 + 1 != 3 && amount - 1 <= 2 && -amount < 0 && amount > 9007199254740992", true},
		{"(amount / 2) % 2 == 1", false}, // a float % an int, whatever amount is
		{"'a' % 2 == 0", false},
		{"2.5 % 2 == 0", false},
		{"amount >", false},
		{"a = 1", false},
		{"(a && b", false},
		{"'a' + 1", false},
	} {
		t.Run(tt.expr, func(t *testing.T) {
			src := wrapAgents(fmt.Sprintf("DataProcessor(id: \"a\", when: %q)", tt.expr))
			diags := checkFile(t, "t.kumeo", []byte(src))
			if tt.ok {
				assert.Empty(t, diags)
			} else {
				require.Len(t, diags, 1)
				assert.Equal(t, CodeInvalidExpr, diags[0].Code)
			}
		})
	}
}

func wrapAgents(agents string) string {
	return "workflow W {\n  source: NATS(\"in\")\n  target: NATS(\"out\")\n  agents: [\n    " + agents + "\n  ]\n}\n"
}

func TestCheckNil(t *testing.T) {
	assert.Nil(t, Builtin().Check(nil))
	assert.Empty(t, Builtin().Check(&File{}))
}

func FuzzCheck(f *testing.F) {
	for _, fn := range repoKumeoFiles(f) {
		src, err := os.ReadFile(fn)
		require.NoError(f, err)
		f.Add(src)
	}
	f.Add(genWorkflow(9))
	f.Fuzz(func(t *testing.T, src []byte) {
		checkInvariants(t, src)
	})
}

func BenchmarkCheck1000(b *testing.B) {
	src := genWorkflow(1000)
	f, diags := Parse("gen.kumeo", src)
	require.Empty(b, diags)
	require.Empty(b, Builtin().Check(f))
	// The editor re-checks the file after every change: expressions that did
	// not change come from the compile cache.
	b.Run("check", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			Builtin().Check(f)
		}
	})
	// A file seen for the first time: every expression is compiled.
	b.Run("check-cold", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			checkExprCache.Lock()
			clear(checkExprCache.m)
			checkExprCache.Unlock()
			Builtin().Check(f)
		}
	})
	b.Run("parse+check+graph", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			f, _ := Parse("gen.kumeo", src)
			Builtin().Check(f)
			Builtin().Graph(f)
		}
	})
}

// specFiles are the files that declare the constructors of the language;
// only they may spell a type's name.
var specFiles = []string{"dsl/spec_builtin.go"}

// No Go code outside the spec declarations names a constructor type in a
// string literal: code asks the spec (a capability, a constant the spec
// file declares) instead of testing a name.
func TestTypeNamesOnlyInTheSpec(t *testing.T) {
	names := map[string]bool{}
	for _, n := range Builtin().TypeNames("") {
		names[n] = true
	}
	require.NotEmpty(t, names)
	found := typeNameLiterals(t, "..", names)
	assert.Empty(t, found, "type names written as string literals outside %v", specFiles)
}

// The walk finds a name written as a literal.
func TestTypeNamesOnlyInTheSpecDetects(t *testing.T) {
	dir := t.TempDir()
	src := "package x\n\nfunc f(t string) bool { return t == \"Router\" || t == `Timer` || t == \"Routers\" }\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "x.go"), []byte(src), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "x_test.go"), []byte("package x\n\nvar _ = \"Router\"\n"), 0o644))
	found := typeNameLiterals(t, dir, map[string]bool{"Router": true, "Timer": true})
	assert.Equal(t, []string{"x.go:3: \"Router\"", "x.go:3: `Timer`"}, found)
}

// typeNameLiterals walks the non-test Go files under root (the repository
// root: vendored, generated and frontend trees are skipped) and lists the
// string literals equal to one of names, outside specFiles.
func typeNameLiterals(t *testing.T, root string, names map[string]bool) []string {
	t.Helper()
	var found []string
	fset := token.NewFileSet()
	err := filepath.Walk(root, func(path string, d os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules" || d.Name() == "frontend" || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		for _, s := range specFiles {
			if rel == s {
				return nil
			}
		}
		f, err := goparser.ParseFile(fset, path, nil, goparser.SkipObjectResolution)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			// Type names need no escapes: the text between the quotes is the value.
			if v := lit.Value[1 : len(lit.Value)-1]; names[v] {
				found = append(found, fmt.Sprintf("%s:%d: %s", rel, fset.Position(lit.Pos()).Line, lit.Value))
			}
			return true
		})
		return nil
	})
	require.NoError(t, err)
	return found
}
