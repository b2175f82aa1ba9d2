package dsl

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// allKumeoFiles returns every .kumeo file in examples/ and anywhere under
// testdata/, found at test time so new files are picked up.
func allKumeoFiles(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob("../examples/*.kumeo")
	require.NoError(t, err)
	err = filepath.WalkDir("testdata", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(path, ".kumeo") {
			files = append(files, path)
		}
		return nil
	})
	require.NoError(t, err)
	require.NotEmpty(t, files)
	return files
}

// TestRoundTrip checks, for every .kumeo file in the repository, that the
// tokens and the gaps between them are the source byte for byte, and, for
// files that parse, that formatting only moves whitespace, keeps every
// comment, is idempotent and re-parses to the same syntax tree.
func TestRoundTrip(t *testing.T) {
	for _, fn := range allKumeoFiles(t) {
		t.Run(filepath.ToSlash(fn), func(t *testing.T) {
			src, err := os.ReadFile(fn)
			require.NoError(t, err)
			f, diags := Parse(fn, src)
			require.NoError(t, checkTokensCover(src, f.Tokens))
			assert.Equal(t, string(src), string(printTokens(f)), "print(parse(x)) != x")
			if diags.HasErrors() {
				out, fdiags := Format(fn, src)
				assert.Nil(t, out, "a file with syntax errors must not be rewritten")
				assert.Equal(t, diags, fdiags)
				return
			}
			require.NoError(t, checkFormatted(fn, f))
		})
	}
}

// checkFormatted formats the parsed file f and checks the formatter's
// invariants; it returns the first violation.
func checkFormatted(name string, f *File) error {
	out := FormatFile(f)
	g, diags := Parse(name, out)
	if diags.HasErrors() {
		return fmt.Errorf("formatted output does not parse: %v\n%s", diags.Errors(), out)
	}
	if err := checkTokensCover(out, g.Tokens); err != nil {
		return fmt.Errorf("formatted output: %w", err)
	}
	if a, b := tokenTexts(f.Src, f.Tokens), tokenTexts(out, g.Tokens); !equalStrings(a, b) {
		return fmt.Errorf("formatting changed the tokens:\n%q\n%q", a, b)
	}
	if a, b := commentTexts(f.Src, f.Tokens), commentTexts(out, g.Tokens); !equalStrings(a, b) {
		return fmt.Errorf("formatting changed the comments:\n%q\n%q", a, b)
	}
	if a, b := fileShape(f), fileShape(g); a != b {
		return fmt.Errorf("formatting changed the syntax tree:\n%s\n%s", a, b)
	}
	if again := FormatFile(g); !bytes.Equal(again, out) {
		return fmt.Errorf("formatting is not idempotent:\n%s\n---\n%s", out, again)
	}
	return checkCanonicalGaps(out, g.Tokens)
}

// printTokens writes the file back from its tokens and the gaps between
// them; for any input it must return the source unchanged.
func printTokens(f *File) []byte {
	var b bytes.Buffer
	prev := 0
	for _, t := range f.Tokens {
		b.Write(f.Src[prev:t.Start])
		b.Write(f.Src[t.Start:t.End])
		prev = t.End
	}
	b.Write(f.Src[prev:])
	return b.Bytes()
}

// checkTokensCover checks that toks are ordered, non-empty (but for the
// final EOF), separated only by whitespace, positioned at their line and
// column, and end with a TokEOF at the end of src.
func checkTokensCover(src []byte, toks []Token) error {
	if len(toks) == 0 || toks[len(toks)-1].Kind != TokEOF || toks[len(toks)-1].Start != len(src) {
		return fmt.Errorf("tokens must end with EOF at offset %d", len(src))
	}
	li := newLineIndex(src)
	prev := 0
	for i, t := range toks {
		if t.Start < prev || t.End < t.Start || t.End > len(src) {
			return fmt.Errorf("token %d (%v) has range %d-%d after offset %d", i, t.Kind, t.Start, t.End, prev)
		}
		if t.Kind != TokEOF && t.End == t.Start {
			return fmt.Errorf("token %d (%v) at %d is empty", i, t.Kind, t.Start)
		}
		gap := src[prev:t.Start]
		if prev == 0 {
			gap = bytes.TrimPrefix(gap, fmtBOM)
		}
		if len(bytes.Trim(gap, " \t\r\n\f\v")) != 0 {
			return fmt.Errorf("gap before token %d at %d holds %q", i, t.Start, gap)
		}
		if p := li.pos(t.Start); p.Line != t.Line || p.Column != t.Col {
			return fmt.Errorf("token %d at %d says %d:%d, is at %d:%d", i, t.Start, t.Line, t.Col, p.Line, p.Column)
		}
		prev = t.End
	}
	return nil
}

// tokenTexts returns the text of every token but EOF; a line comment's
// trailing whitespace, which the formatter drops, is not included.
func tokenTexts(src []byte, toks []Token) []string {
	out := make([]string, 0, len(toks))
	for _, t := range toks {
		switch t.Kind {
		case TokEOF:
		case TokLineComment:
			out = append(out, strings.TrimRight(t.Text(src), " \t\r\f\v"))
		default:
			out = append(out, t.Text(src))
		}
	}
	return out
}

// commentTexts returns the text of every comment, as tokenTexts does.
func commentTexts(src []byte, toks []Token) []string {
	var out []string
	for _, t := range toks {
		if t.Kind.IsComment() {
			out = append(out, strings.TrimRight(t.Text(src), " \t\r\f\v"))
		}
	}
	return out
}

// checkCanonicalGaps checks the whitespace rules every formatted file
// obeys: no leading blank lines, no trailing whitespace, at most one blank
// line in a row, one final line break and indentation made of spaces.
func checkCanonicalGaps(out []byte, toks []Token) error {
	if len(toks) == 1 {
		return nil
	}
	start := 0
	if bytes.HasPrefix(out, fmtBOM) {
		start = len(fmtBOM)
	}
	if toks[0].Start != start {
		return fmt.Errorf("output starts with whitespace")
	}
	prev := toks[0].End
	for i, t := range toks[1:] {
		gap := string(out[prev:t.Start])
		prev = t.End
		if t.Kind == TokEOF {
			if gap != "\n" && gap != "\r\n" {
				return fmt.Errorf("output ends with %q, want one line break", gap)
			}
			break
		}
		lines := strings.Split(strings.ReplaceAll(gap, "\r\n", "\n"), "\n")
		if len(lines) > 3 {
			return fmt.Errorf("gap before token %d holds more than one blank line", i+1)
		}
		for k, l := range lines {
			last := k == len(lines)-1
			switch {
			case len(lines) == 1 && l != "" && l != " ":
				return fmt.Errorf("gap before token %d is %q, want one space or none", i+1, l)
			case len(lines) > 1 && !last && l != "":
				return fmt.Errorf("trailing whitespace %q before token %d", l, i+1)
			case len(lines) > 1 && last && strings.Trim(l, " ") != "":
				return fmt.Errorf("indentation %q before token %d is not spaces", l, i+1)
			}
		}
	}
	return nil
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// fileShape renders the syntax tree of f without ranges, one block per
// line, so two files compare equal when they differ only in layout.
func fileShape(f *File) string {
	var b strings.Builder
	for _, bl := range f.Blocks {
		fmt.Fprintf(&b, "%s %q ", bl.Kind, bl.Name)
		writeShape(&b, bl.Body)
		b.WriteByte('\n')
	}
	return b.String()
}

// nodeShape renders a value without ranges; see fileShape.
func nodeShape(n Node) string {
	var b strings.Builder
	writeShape(&b, n)
	return b.String()
}

// astEqual reports whether two values are the same tree, ignoring ranges.
func astEqual(a, b Node) bool { return nodeShape(a) == nodeShape(b) }

func writeShape(b *strings.Builder, n Node) {
	sep := func(r Range) string {
		if r.Empty() {
			return ""
		}
		return ","
	}
	switch v := n.(type) {
	case nil:
		b.WriteString("<nil>")
	case *String:
		fmt.Fprintf(b, "(str %c %s)", v.Quote, strconv.Quote(v.Value))
	case *Number:
		fmt.Fprintf(b, "(num %s)", v.Text)
	case *Bool:
		fmt.Fprintf(b, "(bool %t)", v.Value)
	case *Null:
		b.WriteString("(null)")
	case *Path:
		fmt.Fprintf(b, "(path %s)", strings.Join(v.Parts, "."))
	case *Call:
		fmt.Fprintf(b, "(call %s", v.Name)
		for _, a := range v.Args {
			if a.Name != "" {
				fmt.Fprintf(b, " %s%c", a.Name, a.Assign)
			} else {
				b.WriteByte(' ')
			}
			writeShape(b, a.Value)
			b.WriteString(sep(a.Comma))
		}
		b.WriteByte(')')
	case *Object:
		b.WriteString("(obj")
		for _, p := range v.Props {
			fmt.Fprintf(b, " %s:", strconv.Quote(p.Key))
			if p.KeyQuoted {
				b.WriteString("q:")
			}
			writeShape(b, p.Value)
			b.WriteString(sep(p.Sep))
		}
		b.WriteByte(')')
	case *Array:
		b.WriteString("(arr")
		for i, e := range v.Elems {
			b.WriteByte(' ')
			writeShape(b, e)
			if i < len(v.Commas) {
				b.WriteString(sep(v.Commas[i]))
			}
		}
		b.WriteByte(')')
	default:
		fmt.Fprintf(b, "(%T)", n)
	}
}

func TestAstEqual(t *testing.T) {
	parse := func(s string) Node {
		n, _, d := ParseValue("x", []byte(s))
		require.False(t, d.HasErrors(), "%v", d)
		return n
	}
	tests := []struct {
		a, b  string
		equal bool
	}{
		{`LLM(id: "a", x: [1, 2])`, "LLM( id : \"a\" ,\n x:[ 1,2 ] )", true},
		{`{ a: 1, b: a.b }`, "{a:1,b:a . b}", true},
		{`LLM(id: "a")`, `LLM(id="a")`, false},
		{`{ a: 1 }`, `{ "a": 1 }`, false},
		{`[1, 2]`, `[1, 2,]`, false},
		{`"a"`, `'a'`, false},
		{`1.0`, `1`, false},
		{`x.y`, `"x.y"`, false},
	}
	for _, tt := range tests {
		t.Run(tt.a+" vs "+tt.b, func(t *testing.T) {
			assert.Equal(t, tt.equal, astEqual(parse(tt.a), parse(tt.b)))
		})
	}
}
