package document

import (
	"fmt"
	"sort"
	"unicode/utf8"
)

// Index converts the byte offsets the language package reports into the
// positions the UI works with. It is the only place that conversion happens.
//
// Offsets sent to the UI are UTF-16 code units, because that is what
// JavaScript strings, and so CodeMirror, count. Lines and columns are
// 1-based, the column counted in UTF-16 code units from the line's start.
// Invalid UTF-8 bytes count one unit each: JSON encoding turns each of them
// into one U+FFFD, so that is the string the UI holds.
//
// The UI's text is the JavaScript string the JSON text decodes to, so a
// "\r\n" counts two units here. CodeMirror counts every line break as one
// position; a frontend that keeps "\r\n" in its document maps the two itself.
type Index struct {
	size  int
	lines []int  // byte offset of the first byte of every line
	wide  []wide // every character that is not one byte and one unit, in order
}

// wide is a character whose UTF-8 size differs from its UTF-16 size.
type wide struct {
	start int // byte offset
	u16   int // UTF-16 offset of start
	bytes int
	units int
}

func NewIndex(src []byte) *Index {
	x := &Index{size: len(src), lines: []int{0}}
	shift := 0 // bytes minus units so far
	for i := 0; i < len(src); {
		c := src[i]
		if c < utf8.RuneSelf {
			if c == '\n' {
				x.lines = append(x.lines, i+1)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(src[i:])
		units := 1
		if r >= 0x10000 {
			units = 2
		}
		if n != units {
			x.wide = append(x.wide, wide{start: i, u16: i - shift, bytes: n, units: units})
			shift += n - units
		}
		i += n
	}
	return x
}

// utf16 returns the UTF-16 offset of byte offset b. Offsets outside the text
// are clamped to it; an offset inside a multi-byte character gives the
// character's start.
func (x *Index) utf16(b int) int {
	b = min(max(b, 0), x.size)
	i := sort.Search(len(x.wide), func(i int) bool { return x.wide[i].start > b }) - 1
	if i < 0 {
		return b
	}
	w := x.wide[i]
	if b < w.start+w.bytes {
		return w.u16
	}
	return w.u16 + w.units + b - (w.start + w.bytes)
}

// lineCol returns the 1-based line and UTF-16 column of byte offset b.
func (x *Index) lineCol(b int) (line, col int) {
	b = min(max(b, 0), x.size)
	l := sort.Search(len(x.lines), func(i int) bool { return x.lines[i] > b }) - 1
	return l + 1, x.utf16(b) - x.utf16(x.lines[l]) + 1
}

// span converts a byte range to a UTF-16 span.
func (x *Index) span(start, end int) Span {
	return Span{From: x.utf16(start), To: x.utf16(end)}
}

// byteOffset returns the byte offset of UTF-16 offset u, the inverse of
// utf16; ok is false when u is outside the text or splits a character
// (between the two units of a surrogate pair).
func (x *Index) byteOffset(u int) (b int, ok bool) {
	if u < 0 {
		return 0, false
	}
	i := sort.Search(len(x.wide), func(i int) bool { return x.wide[i].u16 > u }) - 1
	if i < 0 {
		b = u
	} else {
		w := x.wide[i]
		switch {
		case u == w.u16:
			b = w.start
		case u < w.u16+w.units:
			return 0, false
		default:
			b = w.start + w.bytes + u - (w.u16 + w.units)
		}
	}
	if b > x.size {
		return 0, false
	}
	return b, true
}

// applyTextChanges returns src with the changes made (UTF-16 offsets into
// src as x indexes it, sorted and not overlapping). A change that does not
// fit src is refused with what was wrong, and src is left alone.
func applyTextChanges(src []byte, x *Index, changes []TextChange) ([]byte, error) {
	var out []byte
	prev := 0 // byte offset in src copied up to
	prevTo := 0
	for i, c := range changes {
		if c.From > c.To || c.From < prevTo {
			return nil, fmt.Errorf("text change %d: range %d–%d is reversed or overlaps the one before (which ends at %d); changes must be sorted and apart", i+1, c.From, c.To, prevTo)
		}
		from, ok1 := x.byteOffset(c.From)
		to, ok2 := x.byteOffset(c.To)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("text change %d: range %d–%d is outside the text (%d UTF-16 units) or splits a character", i+1, c.From, c.To, x.utf16(x.size))
		}
		if out == nil {
			out = make([]byte, 0, len(src)+len(c.Insert)+64)
		}
		out = append(append(out, src[prev:from]...), c.Insert...)
		prev, prevTo = to, c.To
	}
	if out == nil {
		return src, nil
	}
	return append(out, src[prev:]...), nil
}
