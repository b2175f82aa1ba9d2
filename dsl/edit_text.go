package dsl

import (
	"bytes"
	"sort"
	"strings"
)

// TextEdit replaces the bytes [Start, End) of the original text with New.
type TextEdit struct {
	Start int    `json:"start"`
	End   int    `json:"end"`
	New   string `json:"new"`
}

// ApplyEdits applies non-overlapping edits to src.
func ApplyEdits(src []byte, edits []TextEdit) []byte {
	sorted := append([]TextEdit(nil), edits...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Start < sorted[j].Start })
	var b bytes.Buffer
	b.Grow(len(src) + 64)
	at := 0
	for _, e := range sorted {
		b.Write(src[at:e.Start])
		b.WriteString(e.New)
		at = e.End
	}
	b.Write(src[at:])
	return b.Bytes()
}

// diffEdit returns the single edit turning a into b, trimmed to the bytes
// that differ; nil when the texts are equal.
func diffEdit(a, b []byte) []TextEdit {
	if bytes.Equal(a, b) {
		return nil
	}
	p := 0
	for p < len(a) && p < len(b) && a[p] == b[p] {
		p++
	}
	s := 0
	for s < len(a)-p && s < len(b)-p && a[len(a)-1-s] == b[len(b)-1-s] {
		s++
	}
	return []TextEdit{{Start: p, End: len(a) - s, New: string(b[p : len(b)-s])}}
}

// textView answers layout questions about a source text.
type textView struct {
	f   *File
	src []byte
}

func (v textView) lineStart(off int) int {
	return bytes.LastIndexByte(v.src[:off], '\n') + 1
}

// lineEnd returns the offset of the newline ending the line holding off, or
// len(src).
func (v textView) lineEnd(off int) int {
	if i := bytes.IndexByte(v.src[off:], '\n'); i >= 0 {
		return off + i
	}
	return len(v.src)
}

func (v textView) blankBefore(off int) bool {
	return isBlank(v.src[v.lineStart(off):off])
}

func (v textView) blankAfter(off int) bool {
	return isBlank(v.src[off:v.lineEnd(off)])
}

func isBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' {
			return false
		}
	}
	return true
}

// indent returns the leading whitespace of the line holding off.
func (v textView) indent(off int) string {
	ls := v.lineStart(off)
	i := ls
	for i < len(v.src) && (v.src[i] == ' ' || v.src[i] == '\t') {
		i++
	}
	return string(v.src[ls:i])
}

// newline is the file's line ending.
func (v textView) newline() string {
	if bytes.Contains(v.src, []byte("\r\n")) {
		return "\r\n"
	}
	return "\n"
}

// tokenAt returns the index of the first token starting at or after off.
func (v textView) tokenAt(off int) int {
	return sort.Search(len(v.f.Tokens), func(i int) bool { return v.f.Tokens[i].Start >= off })
}

// seqItem is one element of a bracketed sequence: an array element, a call
// argument, or an object or block property.
type seqItem struct {
	start, end int   // the node, separator excluded
	sep        Range // separator after the node; Empty when absent
}

func (it seqItem) sepEnd() int {
	if it.sep.Empty() {
		return it.end
	}
	return it.sep.End.Offset
}

// seq is a bracketed sequence: open is just after the opening bracket and
// close is the offset of the closing one.
type seq struct {
	open, close int
	items       []seqItem
	defaultSep  string // separator for new items when none is written yet
	spaced      bool   // single-line contents are padded: { a: 1 }
}

func arraySeq(a *Array) seq {
	s := seq{open: a.Open.End.Offset, close: a.Close.Start.Offset, defaultSep: ","}
	for i, e := range a.Elems {
		it := seqItem{start: e.Rng().Start.Offset, end: e.Rng().End.Offset}
		if i < len(a.Commas) {
			it.sep = a.Commas[i]
		}
		s.items = append(s.items, it)
	}
	return s
}

func callSeq(c *Call) seq {
	s := seq{open: c.Open.End.Offset, close: c.Close.Start.Offset, defaultSep: ","}
	for _, a := range c.Args {
		s.items = append(s.items, seqItem{start: a.Range.Start.Offset, end: a.Range.End.Offset, sep: a.Comma})
	}
	return s
}

func objectSeq(o *Object, block bool) seq {
	s := seq{open: o.Open.End.Offset, close: o.Close.Start.Offset, spaced: true}
	if !block {
		s.defaultSep = ","
	}
	for _, p := range o.Props {
		s.items = append(s.items, seqItem{start: p.Range.Start.Offset, end: p.Range.End.Offset, sep: p.Sep})
	}
	return s
}

// sepText is the separator new items get: the one already in use, else the
// default.
func (v textView) sepText(s seq) string {
	for _, it := range s.items {
		if !it.sep.Empty() {
			return string(v.src[it.sep.Start.Offset:it.sep.End.Offset])
		}
	}
	return s.defaultSep
}

// multiline reports whether the items are written one per line.
func (v textView) multiline(s seq) bool {
	if len(s.items) == 0 {
		return v.f.Pos(s.open).Line != v.f.Pos(s.close).Line
	}
	lo, _ := v.leading(s, 0)
	return v.blankBefore(lo)
}

// leading returns where item i starts once the comments written on the
// lines directly above it are included, and the boundary before them.
func (v textView) leading(s seq, i int) (lo, boundary int) {
	boundary = s.open
	if i > 0 {
		boundary = s.items[i-1].sepEnd()
	}
	lo = s.items[i].start
	boundaryLine := v.f.Pos(boundary).Line
	for k := v.tokenAt(lo) - 1; k >= 0; k-- {
		t := v.f.Tokens[k]
		if t.Start < boundary || !t.Kind.IsComment() || t.Line == boundaryLine {
			break
		}
		// A blank line between the comment and what follows detaches it.
		if bytes.Count(v.src[t.End:lo], []byte("\n")) > 1 {
			break
		}
		lo = t.Start
	}
	// A trailing comment of the previous item written on the same line as
	// its separator belongs to that item.
	if i > 0 {
		if _, prevHi := v.trailing(s, i-1); prevHi > lo {
			lo = prevHi
		}
	}
	return lo, boundary
}

// trailing returns the end of item i including its separator and a comment
// that follows on the same line.
func (v textView) trailing(s seq, i int) (hi int, withComment int) {
	hi = s.items[i].sepEnd()
	withComment = hi
	k := v.tokenAt(hi)
	if k < len(v.f.Tokens) {
		t := v.f.Tokens[k]
		if t.Kind.IsComment() && isBlank(v.src[hi:t.Start]) && !bytes.Contains(v.src[hi:t.Start], []byte("\n")) {
			withComment = t.End
		}
	}
	return hi, withComment
}

// extent returns the bytes item i owns: its leading comments, the node, its
// separator and trailing comment, widened to whole lines when the item is
// alone on its lines.
func (v textView) extent(s seq, i int) (lo, hi int, full bool) {
	lo, _ = v.leading(s, i)
	_, hi = v.trailing(s, i)
	if v.blankBefore(lo) && v.blankAfter(hi) {
		lo = v.lineStart(lo)
		hi = v.lineEnd(hi)
		if hi < len(v.src) {
			hi++
		}
		return lo, hi, true
	}
	return lo, hi, false
}

// removeItem deletes item i with its comments and separator.
func (v textView) removeItem(s seq, i int) []TextEdit {
	lo, hi, full := v.extent(s, i)
	n := len(s.items)
	if full {
		// Do not leave a blank line right after the opening bracket, right
		// before the closing one, or two blank lines in a row.
		prevBlank := lo > 0 && isBlank(v.src[v.lineStart(lo-1):lo-1])
		afterOpen := v.f.Pos(s.open).Line == v.f.Pos(lo).Line-1
		if hi < len(v.src) && isBlank(v.src[hi:v.lineEnd(hi)]) && v.lineEnd(hi) < s.close && (prevBlank || afterOpen) {
			hi = v.lineEnd(hi) + 1
		} else if prevBlank && v.lineStart(s.close) == hi && lo > 1 {
			lo = v.lineStart(lo - 1)
		}
		return []TextEdit{{Start: lo, End: hi}}
	}
	if n == 1 {
		return []TextEdit{{Start: s.open, End: s.close}}
	}
	it := s.items[i]
	if i+1 < n {
		next, _ := v.leading(s, i+1)
		return []TextEdit{{Start: lo, End: next}}
	}
	// The last item: take the previous separator (if the item has none) and
	// the space before the item.
	prev := s.items[i-1]
	start := prev.end
	if !it.sep.Empty() {
		start = prev.sepEnd()
	}
	return []TextEdit{{Start: start, End: hi}}
}

// insertItem inserts text so it becomes item number at. trail is an
// optional comment written after the item on the same line.
func (v textView) insertItem(s seq, at int, text, trail string) []TextEdit {
	edits := v.insertItemRaw(s, at, text, trail)
	// A line comment ending an insertion must not swallow what follows it
	// on the same line.
	for i, e := range edits {
		if !strings.HasPrefix(trail, "//") || !strings.Contains(e.New, trail) {
			continue
		}
		if !strings.HasSuffix(e.New, "\n") && !v.blankAfter(e.End) {
			edits[i].New += v.newline() + v.indent(e.End)
		}
	}
	return edits
}

func (v textView) insertItemRaw(s seq, at int, text, trail string) []TextEdit {
	nl := v.newline()
	sep := v.sepText(s)
	if trail != "" {
		trail = " " + trail
	}
	if len(s.items) == 0 {
		inner := v.src[s.open:s.close]
		if !v.multiline(s) && isBlank(inner) {
			if s.spaced {
				return []TextEdit{{Start: s.open, End: s.close, New: " " + text + " "}}
			}
			return []TextEdit{{Start: s.open, End: s.close, New: text}}
		}
		closeIndent := v.indent(s.close)
		child := closeIndent + "  "
		if isBlank(inner) {
			return []TextEdit{{Start: s.open, End: s.close, New: nl + child + indentRest(text, child, nl) + trail + nl + closeIndent}}
		}
		// Comments inside the brackets stay; the item goes after them.
		if v.blankBefore(s.close) {
			at := v.lineStart(s.close)
			return []TextEdit{{Start: at, End: at, New: child + indentRest(text, child, nl) + trail + nl}}
		}
		return []TextEdit{{Start: s.close, End: s.close, New: nl + child + indentRest(text, child, nl) + trail + nl + closeIndent}}
	}
	if at == 0 {
		lo, _ := v.leading(s, 0)
		if v.multiline(s) {
			ls := v.lineStart(lo)
			ind := v.indent(s.items[0].start)
			return []TextEdit{{Start: ls, End: ls, New: ind + indentRest(text, ind, nl) + sep + trail + nl}}
		}
		return []TextEdit{{Start: lo, End: lo, New: indentRest(text, v.indent(lo), nl) + sep + trail + " "}}
	}
	// Insert after item at-1, giving it a separator if it has none.
	prev := s.items[at-1]
	var edits []TextEdit
	newSep := sep
	if prev.sep.Empty() {
		if sep != "" {
			edits = append(edits, TextEdit{Start: prev.end, End: prev.end, New: sep})
		}
		newSep = "" // the new item takes prev's place as the last one
	} else if at == len(s.items) && !v.multiline(s) {
		newSep = sep // a trailing separator stays trailing
	}
	if v.multiline(s) {
		ind := v.indent(prev.start)
		_, hi, full := v.extent(s, at-1)
		if full {
			return append(edits, TextEdit{Start: hi, End: hi, New: ind + indentRest(text, ind, nl) + newSep + trail + nl})
		}
		return append(edits, TextEdit{Start: hi, End: hi, New: nl + ind + indentRest(text, ind, nl) + newSep + trail})
	}
	text = indentRest(text, v.indent(prev.start), nl)
	if prev.sep.Empty() {
		return append(edits, TextEdit{Start: prev.end, End: prev.end, New: " " + text + newSep + trail})
	}
	if at == len(s.items) {
		return append(edits, TextEdit{Start: prev.sepEnd(), End: prev.sepEnd(), New: " " + text + newSep + trail})
	}
	return append(edits, TextEdit{Start: prev.sepEnd(), End: prev.sepEnd(), New: " " + text + newSep})
}

// indentRest indents every line of text after the first by ind, relative
// to the canonical indentation the fragment formatter produced at depth 0.
func indentRest(text, ind, nl string) string {
	if !strings.Contains(text, "\n") {
		return text
	}
	text = strings.ReplaceAll(text, "\r\n", "\n")
	lines := strings.Split(text, "\n")
	for i := 1; i < len(lines); i++ {
		if lines[i] != "" {
			lines[i] = ind + lines[i]
		}
	}
	return strings.Join(lines, nl)
}
