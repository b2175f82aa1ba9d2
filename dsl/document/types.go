package document

import (
	"github.com/kumeo/kumeo/dsl"
)

// The types below are what the UI receives. Every offset in them is a UTF-16
// code-unit offset into the document's text (see Index).

// Span is a half-open range [From, To) of UTF-16 offsets.
type Span struct {
	From int `json:"from"`
	To   int `json:"to"`
}

// Graph is dsl.Graph with its ranges converted to UTF-16 spans.
type Graph struct {
	Nodes []Node `json:"nodes"`
	Edges []Edge `json:"edges"`
}

// Node is a dsl.GraphNode as the window receives it: its Range, a UTF-16
// span, hides the byte range of the embedded node.
type Node struct {
	*dsl.GraphNode
	Range Span `json:"range"`
}

// Edge is a dsl.GraphEdge as the window receives it: its Range, a UTF-16
// span, hides the byte range of the embedded edge.
type Edge struct {
	*dsl.GraphEdge
	Range Span `json:"range"`
}

// Diag is one diagnostic: From/To is its subject, Line/Col where it starts.
type Diag struct {
	Severity    string   `json:"severity"` // "error", "warning" or "info"
	Code        string   `json:"code"`
	Summary     string   `json:"summary"`
	Detail      string   `json:"detail"`
	From        int      `json:"from"`
	To          int      `json:"to"`
	Line        int      `json:"line"`
	Col         int      `json:"col"`
	Suggestions []string `json:"suggestions"`
}

// Pos is a node position on the canvas.
type Pos struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

// Analysis is the language view of a text the user typed. While the text
// does not parse, Graph is the last graph of a text that did (its spans
// refer to that text) and ParseOK is false.
type Analysis struct {
	Version     int    `json:"version"`
	Graph       Graph  `json:"graph"`
	Diagnostics []Diag `json:"diagnostics"`
	ParseOK     bool   `json:"parseOK"`
	// delta, when set, is sent in place of Graph (see MarshalJSON).
	delta *GraphDelta
}

// TextChange replaces [From, To) of the previous text with Insert; the
// changes of one Change do not overlap and all refer to the previous text,
// as CodeMirror's change specs do.
type TextChange struct {
	From   int    `json:"from"`
	To     int    `json:"to"`
	Insert string `json:"insert"`
}

// Change is the outcome of an edit made in Go (a canvas action, format): the
// new text, the smallest changes that turn the previous text into it, and the
// language view of the new text.
type Change struct {
	Version int `json:"version"`
	// Text is the new text. It stays out of the reply: the window has the
	// previous text and Edits, and checks the result against Length; a
	// large workflow would otherwise cross the bridge twice per edit.
	Text string `json:"-"`
	// Length is the new text's length in UTF-16 code units.
	Length int          `json:"length"`
	Edits  []TextChange `json:"edits"`
	// delta, when set, is sent in place of Graph (see MarshalJSON).
	delta       *GraphDelta
	Graph       Graph  `json:"graph"`
	Diagnostics []Diag `json:"diagnostics"`
	ParseOK     bool   `json:"parseOK"`
	// Layout, when the edit moved a canvas position (a rename carries the
	// agent's to its new node id), is the document's layout after it; the
	// window takes it as it is.
	Layout map[string]Pos `json:"layout,omitempty"`
}

// convertGraph converts g, whose ranges index the text x was built from.
func convertGraph(g *dsl.Graph, x *Index) Graph {
	out := Graph{Nodes: []Node{}, Edges: []Edge{}}
	if g == nil {
		return out
	}
	out.Nodes = make([]Node, 0, len(g.Nodes))
	for _, n := range g.Nodes {
		out.Nodes = append(out.Nodes, Node{GraphNode: n, Range: x.span(n.Range.Start.Offset, n.Range.End.Offset)})
	}
	out.Edges = make([]Edge, 0, len(g.Edges))
	for _, e := range g.Edges {
		out.Edges = append(out.Edges, Edge{GraphEdge: e, Range: x.span(e.Range.Start.Offset, e.Range.End.Offset)})
	}
	return out
}

// Diagnostics converts diagnostics whose ranges index the text of x.
func Diagnostics(ds dsl.Diagnostics, x *Index) []Diag {
	out := make([]Diag, 0, len(ds))
	for _, d := range ds {
		line, col := x.lineCol(d.Range.Start.Offset)
		sugg := d.Suggestions
		if sugg == nil {
			sugg = []string{}
		}
		out = append(out, Diag{
			Severity: d.Severity.String(), Code: d.Code, Summary: d.Summary, Detail: d.Detail,
			From: x.utf16(d.Range.Start.Offset), To: x.utf16(d.Range.End.Offset),
			Line: line, Col: col, Suggestions: sugg,
		})
	}
	return out
}

// convertEdits converts byte edits against the text of x.
func convertEdits(edits []dsl.TextEdit, x *Index) []TextChange {
	out := make([]TextChange, 0, len(edits))
	for _, e := range edits {
		out = append(out, TextChange{From: x.utf16(e.Start), To: x.utf16(e.End), Insert: e.New})
	}
	return out
}
