package document

import (
	"bytes"
	"unicode/utf8"

	"github.com/kumeo/kumeo/dsl"
)

// diffEdits returns small edits that turn a into b, where b is a with only
// the whitespace between tokens changed (the formatter's promise): each gap
// or token that differs becomes one edit, trimmed to the bytes that differ.
// When the token streams do not line up, it falls back to one edit covering
// everything between the common prefix and suffix.
func diffEdits(filename string, a, b []byte) []dsl.TextEdit {
	fa, da := dsl.Parse(filename, a)
	fb, db := dsl.Parse(filename, b)
	if da.HasErrors() || db.HasErrors() || len(fa.Tokens) != len(fb.Tokens) {
		return appendEdit(nil, a, 0, len(a), b)
	}
	var edits []dsl.TextEdit
	pa, pb := 0, 0
	for i, ta := range fa.Tokens {
		tb := fb.Tokens[i]
		if ta.Kind != tb.Kind {
			return appendEdit(nil, a, 0, len(a), b)
		}
		edits = appendEdit(edits, a, pa, ta.Start, b[pb:tb.Start])
		edits = appendEdit(edits, a, ta.Start, ta.End, b[tb.Start:tb.End])
		pa, pb = ta.End, tb.End
	}
	return appendEdit(edits, a, pa, len(a), b[pb:])
}

// appendEdit appends the edit replacing a[start:end] with repl, if they
// differ, trimmed to the differing bytes (on character boundaries).
func appendEdit(edits []dsl.TextEdit, a []byte, start, end int, repl []byte) []dsl.TextEdit {
	old := a[start:end]
	if bytes.Equal(old, repl) {
		return edits
	}
	p := 0
	for p < len(old) && p < len(repl) && old[p] == repl[p] {
		p++
	}
	for p > 0 && (p < len(old) && !utf8.RuneStart(old[p]) || p < len(repl) && !utf8.RuneStart(repl[p])) {
		p--
	}
	s := 0
	for s < len(old)-p && s < len(repl)-p && old[len(old)-1-s] == repl[len(repl)-1-s] {
		s++
	}
	for s > 0 && (!utf8.RuneStart(old[len(old)-s]) || !utf8.RuneStart(repl[len(repl)-s])) {
		s--
	}
	e := dsl.TextEdit{Start: start + p, End: end - s, New: string(repl[p : len(repl)-s])}
	if n := len(edits); n > 0 && edits[n-1].End == e.Start {
		edits[n-1].End = e.End
		edits[n-1].New += e.New
		return edits
	}
	return append(edits, e)
}
