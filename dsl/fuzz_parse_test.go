package dsl

import (
	"bytes"
	"fmt"
	"os"
	"testing"
)

// fuzzSeeds adds every .kumeo file in the repository and a few tricky
// inputs to the fuzz corpus. Crashers found by the fuzzer are kept under
// testdata/fuzz/<FuzzName>/ and replayed by go test.
func fuzzSeeds(f *testing.F) {
	for _, fn := range allKumeoFiles(f) {
		src, err := os.ReadFile(fn)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	for _, s := range []string{
		"",
		"\xEF\xBB\xBF",
		"\xEF\xBB\xBFworkflow A {}",
		"workflow A {}",
		"workflow A {\r\n\ta: 1\r\n}",
		"workflow A { // c \r\n}",
		"workflow A { a: /* */ 1 /**/ }",
		"workflow A { a: \"\"\"\"\"\"\"\" }",
		"workflow A { a: \"\"\"x\n\"\"\", b: '\\'' }",
		"workflow A { a: -1.5e-3, b: 1e, c: 1.x }",
		"workflow A { a: F(x=1, y: 2, 3,) } workflow B {}",
		"integration { workflow: A; use: B; }",
		"workflow A { a: [[[[{ b: (1) }]]]] }",
		"workflow A { a: x . y . z }",
		"workflow A { a: F(/* c */) } // end",
		"workflow A {} /* unterminated",
		"workflow A { a: \"unterminated }",
		"workflow A { a: \"\\u00e9\\q\" }",
		"workflow A { \xff: 1 }",
		"workflow A { a: 1 } }",
		"// only a comment",
		"/**/workflow/**/A/**/{/**/a/**/:/**/1/**/}/**/",
		"workflow A{a:F(b:{c:[1,{d:2}]})}",
	} {
		f.Add([]byte(s))
	}
}

// FuzzParse checks that Parse and ParseValue never panic, that their tokens
// and gaps cover the input exactly, and that a file that parses re-parses
// from its printed tokens to the same tree.
func FuzzParse(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, src []byte) {
		file, diags := Parse("fuzz.kumeo", src)
		if err := checkTokensCover(src, file.Tokens); err != nil {
			t.Fatal(err)
		}
		printed := printTokens(file)
		if !bytes.Equal(printed, src) {
			t.Fatalf("print(parse(x)) != x:\n%q\n%q", src, printed)
		}
		for _, d := range diags {
			if d.Range.Start.Offset < 0 || d.Range.End.Offset > len(src) || d.Range.Start.Offset > d.Range.End.Offset {
				t.Fatalf("diagnostic range %v outside the input: %v", d.Range, d)
			}
		}
		if err := checkRanges(file); err != nil {
			t.Fatal(err)
		}
		if !diags.HasErrors() {
			again, diags2 := Parse("fuzz.kumeo", printed)
			if diags2.HasErrors() {
				t.Fatalf("printed file does not parse: %v", diags2)
			}
			if a, b := fileShape(file), fileShape(again); a != b {
				t.Fatalf("re-parse changed the tree:\n%s\n%s", a, b)
			}
		}

		n, vf, vdiags := ParseValue("fuzz", src)
		if err := checkTokensCover(src, vf.Tokens); err != nil {
			t.Fatal(err)
		}
		if (n == nil) != vdiags.HasErrors() {
			t.Fatalf("ParseValue returned node %v with diagnostics %v", n, vdiags)
		}
		if n != nil {
			if err := checkNodeRanges(vf, n, 0, len(src)); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// FuzzFormat checks that formatting never panics and, for files that
// parse, only moves whitespace, keeps the tree, and is idempotent.
func FuzzFormat(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, src []byte) {
		out, diags := Format("fuzz.kumeo", src)
		if diags.HasErrors() {
			if out != nil {
				t.Fatalf("a file with syntax errors was rewritten: %v", diags)
			}
			return
		}
		file, _ := Parse("fuzz.kumeo", src)
		if err := checkFormatted("fuzz.kumeo", file); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzFormatFragment checks FormatFragment on single values at several
// depths: no panics, a parseable result with the same tokens and tree, and
// idempotence.
func FuzzFormatFragment(f *testing.F) {
	for _, s := range []string{
		"Router(id: \"r\",\nrules: {\"a > 1\": \"x\"})",
		"LLM(\nid: \"a\", // c\n  config: {\n t: 1 })",
		"[\nLLM(id: \"x\"),\n\n\nF()\n]",
		"{a:1,\n\n\nb:2}",
		"// lead\nF(a=1)",
		"F(a) // trail",
		"F(a,\r\nb)",
		"\"x\"",
		"x . y",
		"\"\"\"\n  long\n\"\"\"",
		"F(",
	} {
		for _, indent := range []int{0, 1, 3} {
			f.Add(s, indent)
		}
	}
	f.Fuzz(func(t *testing.T, src string, indent int) {
		if indent < -4 || indent > 64 {
			indent %= 64
		}
		out, err := FormatFragment(src, indent)
		n, vf, diags := ParseValue("fuzz", []byte(src))
		if diags.HasErrors() {
			if err == nil || out != "" {
				t.Fatalf("fragment with syntax errors formatted: %q", out)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		m, of, odiags := ParseValue("fuzz", []byte(out))
		if odiags.HasErrors() {
			t.Fatalf("formatted fragment does not parse: %v\n%q", odiags, out)
		}
		if a, b := tokenTexts(vf.Src, vf.Tokens), tokenTexts(of.Src, of.Tokens); !equalStrings(a, b) {
			t.Fatalf("formatting changed the tokens:\n%q\n%q", a, b)
		}
		if !astEqual(n, m) {
			t.Fatalf("formatting changed the tree:\n%s\n%s", nodeShape(n), nodeShape(m))
		}
		again, err := FormatFragment(out, indent)
		if err != nil || again != out {
			t.Fatalf("not idempotent (%v):\n%q\n%q", err, out, again)
		}
	})
}

// checkRanges checks that every block and node of f has a range inside its
// parent's, with line and column matching the offset.
func checkRanges(f *File) error {
	for _, b := range f.Blocks {
		if b.Body == nil {
			continue // the parser stopped inside this block
		}
		if err := checkRange(f, b.Range, 0, len(f.Src)); err != nil {
			return fmt.Errorf("block %s: %w", b.Name, err)
		}
		if err := checkNodeRanges(f, b.Body, b.Range.Start.Offset, b.Range.End.Offset); err != nil {
			return err
		}
	}
	return nil
}

func checkNodeRanges(f *File, n Node, lo, hi int) error {
	r := n.Rng()
	if err := checkRange(f, r, lo, hi); err != nil {
		return fmt.Errorf("%s: %w", nodeShape(n), err)
	}
	lo, hi = r.Start.Offset, r.End.Offset
	var kids []Node
	switch v := n.(type) {
	case *Call:
		for _, a := range v.Args {
			kids = append(kids, a.Value)
		}
	case *Object:
		for _, p := range v.Props {
			if err := checkRange(f, p.Range, lo, hi); err != nil {
				return fmt.Errorf("property %q: %w", p.Key, err)
			}
			kids = append(kids, p.Value)
		}
	case *Array:
		kids = v.Elems
	case *String, *Number, *Bool, *Null, *Path:
		tok := f.Text(r)
		if _, ok := n.(*String); ok && len(tok) < 2 {
			return fmt.Errorf("string range %v holds %q", r, tok)
		}
	}
	for _, k := range kids {
		if err := checkNodeRanges(f, k, lo, hi); err != nil {
			return err
		}
	}
	return nil
}

func checkRange(f *File, r Range, lo, hi int) error {
	if r.Start.Offset < lo || r.End.Offset > hi || r.Start.Offset > r.End.Offset {
		return fmt.Errorf("range %d-%d outside %d-%d", r.Start.Offset, r.End.Offset, lo, hi)
	}
	if p := f.Pos(r.Start.Offset); p != r.Start {
		return fmt.Errorf("start %+v, want %+v", r.Start, p)
	}
	if p := f.Pos(r.End.Offset); p != r.End {
		return fmt.Errorf("end %+v, want %+v", r.End, p)
	}
	return nil
}
