package document

import (
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumeo/kumeo/dsl"
)

func TestTextIndexUTF16(t *testing.T) {
	cases := []struct {
		name string
		text string
	}{
		{"empty", ""},
		{"ascii", "workflow A {}\n"},
		{"two-byte", "// Prüfung\nworkflow Ü {}"},
		{"three-byte", "// ✓ ok ✓\n"},
		{"astral", "// 😀 and 𝄞\nx"},
		{"mixed lines", "é\n😀\n✓\r\nz"},
		{"invalid utf-8", "a\xffb\xe2\x82c"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			x := NewIndex([]byte(tc.text))
			for b := 0; b <= len(tc.text); b++ {
				start := b
				for start > 0 && start < len(tc.text) && !utf8.RuneStart(tc.text[start]) {
					start--
				}
				// A valid character's continuation bytes map to its start;
				// every byte of invalid UTF-8 is a character of its own.
				want := u16(tc.text[:start])
				if start != b {
					if r, n := utf8.DecodeRuneInString(tc.text[start:]); r == utf8.RuneError && n == 1 {
						want = u16(tc.text[:b])
					}
				}
				assert.Equal(t, want, x.utf16(b), "byte offset %d", b)
			}
			assert.Equal(t, 0, x.utf16(-5), "clamped below")
			assert.Equal(t, u16(tc.text), x.utf16(len(tc.text)+5), "clamped above")
		})
	}
}

func TestTextIndexLineCol(t *testing.T) {
	text := "é\n😀x\n✓\r\nz"
	x := NewIndex([]byte(text))
	cases := []struct {
		offset    int
		line, col int
	}{
		{0, 1, 1},
		{2, 1, 2},                         // after é: one unit
		{3, 2, 1},                         // start of line 2
		{strings.Index(text, "x"), 2, 3},  // after the astral character: two units
		{strings.Index(text, "\r"), 3, 2}, // after ✓
		{strings.Index(text, "z"), 4, 1},  // after CRLF
		{len(text), 4, 2},
	}
	for _, tc := range cases {
		line, col := x.lineCol(tc.offset)
		assert.Equal(t, [2]int{tc.line, tc.col}, [2]int{line, col}, "offset %d", tc.offset)
	}
}

// Diagnostics and graph ranges are converted so that slicing the text as
// JavaScript does gives the same text the byte range covers.
func TestConvertOnNonASCIIText(t *testing.T) {
	src := "// Zahlungsprüfung ✓ 😀\nworkflow Zahlung {\n  source: NATS(\"zahlungen.eingang\")\n  agents: [\n    Nope(id: \"prüfer\")\n  ]\n}\n"
	res := dsl.Builtin().Analyze("x.kumeo", []byte(src))
	x := NewIndex([]byte(src))

	diags := Diagnostics(res.Diagnostics, x)
	require.NotEmpty(t, diags)
	for i, d := range diags {
		r := res.Diagnostics[i].Range
		assert.Equal(t, src[r.Start.Offset:r.End.Offset], sliceU16(src, d.From, d.To), "diagnostic %s", d.Code)
		assert.Equal(t, r.Start.Line, d.Line)
		lineStart := strings.LastIndex(src[:r.Start.Offset], "\n") + 1
		assert.Equal(t, u16(src[lineStart:r.Start.Offset])+1, d.Col)
		assert.NotNil(t, d.Suggestions)
	}

	g := convertGraph(res.Graph, x)
	require.Len(t, g.Nodes, len(res.Graph.Nodes))
	for i, n := range g.Nodes {
		r := res.Graph.Nodes[i].Range
		assert.Equal(t, src[r.Start.Offset:r.End.Offset], sliceU16(src, n.Range.From, n.Range.To), "node %s", n.ID)
	}
	for i, e := range g.Edges {
		r := res.Graph.Edges[i].Range
		assert.Equal(t, src[r.Start.Offset:r.End.Offset], sliceU16(src, e.Range.From, e.Range.To), "edge %s", e.ID)
	}
	agent := g.Nodes[len(g.Nodes)-1]
	for _, n := range g.Nodes {
		if n.Kind == dsl.NodeAgent {
			agent = n
		}
	}
	assert.Equal(t, `Nope(id: "prüfer")`, sliceU16(src, agent.Range.From, agent.Range.To))
}

func TestConvertGraphNil(t *testing.T) {
	g := convertGraph(nil, NewIndex(nil))
	assert.NotNil(t, g.Nodes)
	assert.NotNil(t, g.Edges)
}

func TestTextIndexByteOffset(t *testing.T) {
	for _, text := range []string{"", "ascii only\n", "é\n😀x\n✓\r\nz", "a\xffb\xe2\x82c😀"} {
		x := NewIndex([]byte(text))
		// Every character start (an invalid byte is a character) maps back
		// to its byte offset.
		for b := 0; b <= len(text); {
			got, ok := x.byteOffset(x.utf16(b))
			if assert.True(t, ok, "%q offset %d", text, b) {
				assert.Equal(t, b, got, "%q offset %d", text, b)
			}
			if b == len(text) {
				break
			}
			_, n := utf8.DecodeRuneInString(text[b:])
			b += n
		}
		_, ok := x.byteOffset(x.utf16(len(text)) + 1)
		assert.False(t, ok, "past the end")
		_, ok = x.byteOffset(-1)
		assert.False(t, ok)
	}
	// Between the two units of a surrogate pair.
	x := NewIndex([]byte("a😀b"))
	_, ok := x.byteOffset(2)
	assert.False(t, ok)
	b, ok := x.byteOffset(3)
	assert.True(t, ok)
	assert.Equal(t, 5, b)
}

func TestDiffEditsFallback(t *testing.T) {
	a := []byte("é1 workflow")
	b := []byte("é2 workflow")
	edits := appendEdit(nil, a, 0, len(a), b)
	require.Len(t, edits, 1)
	assert.Equal(t, "2", edits[0].New)
	assert.Equal(t, string(b), string(dsl.ApplyEdits(a, edits)))

	// Differing in the last byte of a character: the edit covers it whole.
	a, b = []byte("xé"), []byte("xè")
	edits = appendEdit(nil, a, 0, len(a), b)
	require.Len(t, edits, 1)
	assert.Equal(t, dsl.TextEdit{Start: 1, End: 3, New: "è"}, edits[0])
}

// u16 returns the UTF-16 length of a string, as JavaScript counts it.
func u16(s string) int { return len(utf16.Encode([]rune(s))) }

// sliceU16 returns s[from:to] counted in UTF-16 units, as JavaScript's
// slice does.
func sliceU16(s string, from, to int) string {
	units := utf16.Encode([]rune(s))
	return string(utf16.Decode(units[from:to]))
}
