package app

import (
	"encoding/json"
	"maps"
	"unicode/utf16"
)

// A canvas edit changes a few nodes of a graph that may have thousands, and
// it moves the text ranges of everything after it by the same amount. The
// reply to an edit therefore carries the graph as a delta against the graph
// the window already has: each node or edge that is the previous one with
// the same ID, with its range moved through the edits, is sent as that
// previous one's index; every other one in full. The window moves ranges
// by the same rule (mapPos), so it rebuilds exactly the graph below.

// GraphDelta is a graph told as changes to a previous graph. Each element of
// Nodes (and Edges) is either a number, the index of the unchanged element
// in the previous graph, or a full Node (Edge).
type GraphDelta struct {
	// Base is the document version whose graph the delta refers to.
	Base  int   `json:"base"`
	Nodes []any `json:"nodes"`
	Edges []any `json:"edges"`
	// Edits are the text changes ranges move through, when the reply does
	// not carry them itself (an Update or Edit: the window made them).
	Edits []TextChange `json:"edits,omitempty"`
}

// mapPos moves the UTF-16 offset p of the previous text through edits
// (sorted, non-overlapping, in previous-text offsets): past every edit that
// ends at or before p, and not by edits that start at or after it. An
// offset strictly inside a replaced range has no image: ok is false.
func mapPos(p int, edits []TextChange) (q int, ok bool) {
	shift := 0
	for _, e := range edits {
		if p <= e.From {
			break
		}
		if p < e.To {
			return 0, false
		}
		shift += utf16Len(e.Insert) - (e.To - e.From)
	}
	return p + shift, true
}

// utf16Len is the length of s in UTF-16 code units; an invalid byte counts
// as the one U+FFFD it becomes in JSON.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// mapSpan moves s through edits; ok is false when either end has no image.
func mapSpan(s Span, edits []TextChange) (Span, bool) {
	from, ok1 := mapPos(s.From, edits)
	to, ok2 := mapPos(s.To, edits)
	return Span{From: from, To: to}, ok1 && ok2
}

// graphDelta tells next as changes to prev, the graph of the text that
// edits turned into next's text.
func graphDelta(base int, prev, next Graph, edits []TextChange) *GraphDelta {
	return &GraphDelta{
		Base: base,
		Nodes: delta(prev.Nodes, next.Nodes, func(n Node) string { return n.ID }, func(o, n Node) bool {
			r, ok := mapSpan(o.Range, edits)
			return ok && r == n.Range && sameNode(o, n)
		}),
		Edges: delta(prev.Edges, next.Edges, func(e Edge) string { return e.ID }, func(o, e Edge) bool {
			var ok bool
			o.Range, ok = mapSpan(o.Range, edits)
			return ok && o == e
		}),
	}
}

// delta lists next, each element that unchanged says is the element of
// prev with the same id replaced by that element's index in prev.
func delta[T any](prev, next []T, id func(T) string, unchanged func(old, new T) bool) []any {
	at := make(map[string]int, len(prev))
	for i, x := range prev {
		at[id(x)] = i
	}
	out := make([]any, len(next))
	for i, x := range next {
		out[i] = x
		if j, found := at[id(x)]; found && unchanged(prev[j], x) {
			out[i] = j
		}
	}
	return out
}

// sameNode reports whether a and b are equal but for their ranges.
func sameNode(a, b Node) bool {
	return a.ID == b.ID && a.Kind == b.Kind && a.Type == b.Type && a.Label == b.Label && a.Workflow == b.Workflow &&
		a.Parent == b.Parent && a.AgentID == b.AgentID && a.Stage == b.Stage && a.Index == b.Index &&
		a.Known == b.Known && maps.Equal(a.Props, b.Props)
}

// MarshalJSON sends the graph delta in place of the graph when there is one.
func (c Change) MarshalJSON() ([]byte, error) {
	type plain Change // without this method
	if c.delta == nil {
		return json.Marshal(plain(c))
	}
	// Graph here hides the embedded one; nil, it is left out.
	return json.Marshal(struct {
		plain
		Graph *Graph      `json:"graph,omitempty"`
		Delta *GraphDelta `json:"graphDelta"`
	}{plain: plain(c), Delta: c.delta})
}

// MarshalJSON sends the graph delta in place of the graph when there is one.
func (a Analysis) MarshalJSON() ([]byte, error) {
	type plain Analysis // without this method
	if a.delta == nil {
		return json.Marshal(plain(a))
	}
	return json.Marshal(struct {
		plain
		Graph *Graph      `json:"graph,omitempty"`
		Delta *GraphDelta `json:"graphDelta"`
	}{plain: plain(a), Delta: a.delta})
}
