// Package dsl implements the Kumeo workflow language: a lossless lexer and
// parser whose syntax tree keeps the byte range of every node, diagnostics,
// a semantic checker, the graph model shown on the canvas, a formatter, and
// round-trip edit operations that change only the bytes they must.
package dsl

import (
	"fmt"
	"sort"
)

// Pos is a position in a source file. Offset is a byte offset; Line and
// Column are 1-based, Column counting bytes.
type Pos struct {
	Offset int `json:"offset"`
	Line   int `json:"line"`
	Column int `json:"column"`
}

// Range is the half-open byte range [Start, End) of a node.
type Range struct {
	Start Pos `json:"start"`
	End   Pos `json:"end"`
}

// String renders the range as line:col-line:col.
func (r Range) String() string {
	return fmt.Sprintf("%d:%d-%d:%d", r.Start.Line, r.Start.Column, r.End.Line, r.End.Column)
}

// Empty reports whether the range covers no bytes and has no position.
func (r Range) Empty() bool { return r.Start.Line == 0 }

// Contains reports whether the byte offset lies inside the range.
func (r Range) Contains(offset int) bool {
	return offset >= r.Start.Offset && offset < r.End.Offset
}

// Span returns a range from the start of a to the end of b.
func Span(a, b Range) Range { return Range{Start: a.Start, End: b.End} }

// lineIndex maps byte offsets to line/column positions.
type lineIndex struct {
	starts []int // byte offset of the first byte of every line
}

func newLineIndex(src []byte) *lineIndex {
	starts := make([]int, 1, len(src)/32+1)
	for i, b := range src {
		if b == '\n' {
			starts = append(starts, i+1)
		}
	}
	return &lineIndex{starts: starts}
}

func (li *lineIndex) pos(offset int) Pos {
	line := sort.Search(len(li.starts), func(i int) bool { return li.starts[i] > offset }) - 1
	if line < 0 {
		line = 0
	}
	return Pos{Offset: offset, Line: line + 1, Column: offset - li.starts[line] + 1}
}

func (li *lineIndex) rng(start, end int) Range {
	return Range{Start: li.pos(start), End: li.pos(end)}
}
