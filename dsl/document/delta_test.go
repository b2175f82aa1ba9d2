package document

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumeo/kumeo/dsl"
	"github.com/kumeo/kumeo/internal/workflowgen"
)

// assertRebuilds checks that the window, rebuilding the graph from the
// reply wire to an edit made on version base whose graph was prev, gets the
// graph want as the window sees it (its JSON: the byte ranges of the
// language package stay in Go).
func assertRebuilds(t *testing.T, want, prev Graph, base int, wire []byte, msgAndArgs ...any) {
	t.Helper()
	got, err := Rebuild(prev, base, wire)
	require.NoError(t, err)
	w, err := json.Marshal(want)
	require.NoError(t, err)
	g, err := json.Marshal(got)
	require.NoError(t, err)
	assert.JSONEq(t, string(w), string(g), msgAndArgs...)
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
	d := New(dsl.Builtin(), "big.kumeo", 1, workflowgen.Fraud(100))
	prev, version := d.Graph(), d.Version()
	op, err := dsl.ParseOp([]byte(`{"op":"rename_agent","workflow":"GeneratedFraud","id":"prep_7","to":"prep_7x"}`))
	require.NoError(t, err)
	c, err := d.Apply(op, version)
	require.NoError(t, err)
	wire, err := json.Marshal(c)
	require.NoError(t, err)
	assertRebuilds(t, c.Graph, prev, version, wire)
	nodes, edges := c.Delta().Full()
	full := nodes + edges
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
	src := "// Prüfung ✓ — 😀\n" + string(workflowgen.Fraud(20))
	d := New(dsl.Builtin(), "big.kumeo", 1, []byte(src))
	prev, version := d.Graph(), d.Version()

	typed := strings.Replace(src, `id: "prep_3"`, `id: "prep_3x"`, 1)
	a := d.Update([]byte(typed))
	wire, err := json.Marshal(a)
	require.NoError(t, err)
	assertRebuilds(t, a.Graph, prev, version, wire)
	assert.True(t, hasNode(a.Graph, "GeneratedFraud/agent/prep_3x"))

	// Broken, then fixed: no delta across a text that did not parse.
	broken := d.Update([]byte(typed + "{"))
	require.False(t, broken.ParseOK)
	wire, err = json.Marshal(broken)
	require.NoError(t, err)
	assert.NotContains(t, string(wire), "graphDelta")
	fixed := d.Update([]byte(src))
	wire, err = json.Marshal(fixed)
	require.NoError(t, err)
	assert.NotContains(t, string(wire), "graphDelta")
	assert.Equal(t, prev, fixed.Graph)
}

func hasNode(g Graph, id string) bool {
	for _, n := range g.Nodes {
		if n.ID == id {
			return true
		}
	}
	return false
}
