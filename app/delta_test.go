package app

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumeo/kumeo/internal/workflowgen"
)

// rebuildGraph does what the window does with the reply wire to an edit made
// on the document at version base, whose graph was prev: it takes each
// unchanged node and edge from prev with its range moved through the edits.
func rebuildGraph(t *testing.T, prev Graph, base int, wire []byte) Graph {
	t.Helper()
	var reply struct {
		Graph *Graph `json:"graph"`
		Edits []TextChange
		Delta *struct {
			Base  int               `json:"base"`
			Nodes []json.RawMessage `json:"nodes"`
			Edges []json.RawMessage `json:"edges"`
			Edits []TextChange      `json:"edits"`
		} `json:"graphDelta"`
	}
	require.NoError(t, json.Unmarshal(wire, &reply))
	require.Nil(t, reply.Graph, "a delta replaces the graph")
	require.NotNil(t, reply.Delta)
	require.Equal(t, base, reply.Delta.Base)
	if reply.Delta.Edits != nil {
		reply.Edits = reply.Delta.Edits
	}
	return Graph{
		Nodes: rebuild(t, prev.Nodes, reply.Delta.Nodes, func(n *Node) *Span { return &n.Range }, reply.Edits),
		Edges: rebuild(t, prev.Edges, reply.Delta.Edges, func(e *Edge) *Span { return &e.Range }, reply.Edits),
	}
}

// rebuild reads a delta list: an index takes that element of prev with its
// range (at rng) moved through edits, anything else is a full element.
func rebuild[T any](t *testing.T, prev []T, raws []json.RawMessage, rng func(*T) *Span, edits []TextChange) []T {
	t.Helper()
	out := []T{}
	for _, raw := range raws {
		var i int
		if json.Unmarshal(raw, &i) == nil {
			x := prev[i]
			var ok bool
			*rng(&x), ok = mapSpan(*rng(&x), edits)
			require.True(t, ok, "an unchanged element's range has an image")
			out = append(out, x)
			continue
		}
		var x T
		require.NoError(t, json.Unmarshal(raw, &x))
		out = append(out, x)
	}
	return out
}

func TestMapPos(t *testing.T) {
	// "abcdef": replace "cd" (2..4) by "XYZ", insert "😀" (two units) at 5.
	edits := []TextChange{{From: 2, To: 4, Insert: "XYZ"}, {From: 5, To: 5, Insert: "😀"}}
	for _, tc := range []struct {
		p, want int
		ok      bool
	}{
		{0, 0, true}, {2, 2, true}, // at an edit's start: not moved
		{3, 0, false}, // inside a replaced range: no image
		{4, 5, true},  // at its end: moved by +1
		{5, 6, true},  // at an insertion: stays before it
		{6, 9, true},  // after both: +1 +2
	} {
		q, ok := mapPos(tc.p, edits)
		assert.Equal(t, tc.ok, ok, "p=%d", tc.p)
		if ok {
			assert.Equal(t, tc.want, q, "p=%d", tc.p)
		}
	}
}

// A rename in a large workflow sends the few nodes and edges it changed, not
// the graph.
func TestApplySendsOnlyChangedNodes(t *testing.T) {
	ws, _ := newTestWorkspace(t)
	path := writeFile(t, t.TempDir(), "big.kumeo", string(workflowgen.Fraud(100)))
	doc, err := ws.Open(path)
	require.NoError(t, err)
	c, err := ws.Apply(path, `{"op":"rename_agent","workflow":"GeneratedFraud","id":"prep_7","to":"prep_7x"}`, doc.Version)
	require.NoError(t, err)
	wire, err := json.Marshal(c)
	require.NoError(t, err)
	assert.Equal(t, c.Graph, rebuildGraph(t, doc.Graph, doc.Version, wire))
	full := countOf[Node](c.delta.Nodes) + countOf[Edge](c.delta.Edges)
	// The renamed node and the whole-workflow node holding it, and the edges
	// into and out of the renamed node.
	assert.LessOrEqual(t, full, 8, "nodes and edges sent in full")
	assert.Less(t, len(wire), 16<<10, fmt.Sprintf("reply of %d bytes", len(wire)))
	whole, err := json.Marshal(c.Graph)
	require.NoError(t, err)
	// The diagnostics go in full (here, one per model agent, which does
	// not run locally); the graph goes as a delta.
	diags, err := json.Marshal(c.Diagnostics)
	require.NoError(t, err)
	assert.Less(t, (len(wire)-len(diags))*10, len(whole), "the delta is a small part of the full graph")
}

// Typing answers with a delta too, carrying the text change it moved ranges
// through; while the text does not parse, with the whole (last good) graph.
func TestUpdateSendsGraphDelta(t *testing.T) {
	ws, _ := newTestWorkspace(t)
	src := "// Prüfung ✓ — 😀\n" + string(workflowgen.Fraud(20))
	path := writeFile(t, t.TempDir(), "big.kumeo", src)
	doc, err := ws.Open(path)
	require.NoError(t, err)

	typed := strings.Replace(src, `id: "prep_3"`, `id: "prep_3x"`, 1)
	a, err := ws.Update(path, typed)
	require.NoError(t, err)
	wire, err := json.Marshal(a)
	require.NoError(t, err)
	assert.Equal(t, a.Graph, rebuildGraph(t, doc.Graph, doc.Version, wire))
	node(t, a.Graph, "GeneratedFraud/agent/prep_3x")

	// Broken, then fixed: no delta across a text that did not parse.
	broken, err := ws.Update(path, typed+"{")
	require.NoError(t, err)
	require.False(t, broken.ParseOK)
	wire, err = json.Marshal(broken)
	require.NoError(t, err)
	assert.NotContains(t, string(wire), "graphDelta")
	fixed, err := ws.Update(path, src)
	require.NoError(t, err)
	wire, err = json.Marshal(fixed)
	require.NoError(t, err)
	assert.NotContains(t, string(wire), "graphDelta")
	assert.Equal(t, doc.Graph, fixed.Graph)
}

// countOf counts the items of a delta list that are a T: a node or edge sent
// in full, or (int) an index into the previous graph.
func countOf[T any](items []any) int {
	n := 0
	for _, x := range items {
		if _, ok := x.(T); ok {
			n++
		}
	}
	return n
}
