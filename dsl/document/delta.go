package document

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"unicode/utf16"

	"github.com/kumeo/kumeo/dsl"
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
			r, ok := mapSpan(o.Range, edits)
			return ok && r == e.Range && sameEdge(o, e)
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

// sameEdge reports whether a and b are equal but for their ranges.
func sameEdge(a, b Edge) bool {
	x, y := *a.GraphEdge, *b.GraphEdge
	x.Range, y.Range = dsl.Range{}, dsl.Range{}
	return x == y
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

// Delta is the graph delta the reply sends in place of the graph, or nil.
func (a Analysis) Delta() *GraphDelta { return a.delta }

// Delta is the graph delta the reply sends in place of the graph, or nil.
func (c Change) Delta() *GraphDelta { return c.delta }

// Rebuild does what the window does with the JSON reply wire to an edit
// made on the version base, whose graph was prev: it takes each unchanged
// node and edge from prev with its range moved through the reply's edits.
// It is the reference reading of the reply for tests of the protocol.
func Rebuild(prev Graph, base int, wire []byte) (Graph, error) {
	var reply struct {
		Graph *Graph       `json:"graph"`
		Edits []TextChange `json:"edits"`
		Delta *struct {
			Base  int               `json:"base"`
			Nodes []json.RawMessage `json:"nodes"`
			Edges []json.RawMessage `json:"edges"`
			Edits []TextChange      `json:"edits"`
		} `json:"graphDelta"`
	}
	if err := json.Unmarshal(wire, &reply); err != nil {
		return Graph{}, err
	}
	switch {
	case reply.Graph != nil:
		return Graph{}, errors.New("rebuild: the reply carries the whole graph next to its delta")
	case reply.Delta == nil:
		return Graph{}, errors.New("rebuild: the reply has no graph delta")
	case reply.Delta.Base != base:
		return Graph{}, fmt.Errorf("rebuild: the delta refers to version %d, expected %d", reply.Delta.Base, base)
	}
	if reply.Delta.Edits != nil {
		reply.Edits = reply.Delta.Edits
	}
	nodes, err := rebuild(prev.Nodes, reply.Delta.Nodes, func(n *Node) *Span { return &n.Range }, reply.Edits)
	if err != nil {
		return Graph{}, err
	}
	edges, err := rebuild(prev.Edges, reply.Delta.Edges, func(e *Edge) *Span { return &e.Range }, reply.Edits)
	return Graph{Nodes: nodes, Edges: edges}, err
}

// rebuild reads a delta list: an index takes that element of prev with its
// range (at rng) moved through edits, anything else is a full element.
func rebuild[T any](prev []T, raws []json.RawMessage, rng func(*T) *Span, edits []TextChange) ([]T, error) {
	out := make([]T, 0, len(raws))
	for _, raw := range raws {
		var i int
		if json.Unmarshal(raw, &i) == nil {
			if i < 0 || i >= len(prev) {
				return nil, fmt.Errorf("rebuild: index %d outside the previous graph (%d elements)", i, len(prev))
			}
			x := prev[i]
			var ok bool
			if *rng(&x), ok = mapSpan(*rng(&x), edits); !ok {
				return nil, fmt.Errorf("rebuild: the range of unchanged element %d has no image", i)
			}
			out = append(out, x)
			continue
		}
		var x T
		if err := json.Unmarshal(raw, &x); err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, nil
}

// Full counts the nodes and edges the delta sends in full (the others are
// indexes into the previous graph).
func (d *GraphDelta) Full() (nodes, edges int) {
	return countFull(d.Nodes), countFull(d.Edges)
}

func countFull(items []any) int {
	n := 0
	for _, x := range items {
		if _, ok := x.(int); !ok {
			n++
		}
	}
	return n
}
