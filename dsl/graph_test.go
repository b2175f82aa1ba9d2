package dsl

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func graphOf(t *testing.T, src string) *Graph {
	t.Helper()
	f, diags := Parse("t.kumeo", []byte(src))
	require.False(t, diags.HasErrors(), "%v", diags)
	return Builtin().Graph(f)
}

// edgeSet renders edges as "from -kind-> to" lines, sorted by appearance.
func edgeSet(g *Graph) []string {
	var out []string
	for _, e := range g.Edges {
		out = append(out, e.From+" -"+e.Kind+"-> "+e.To)
	}
	return out
}

func TestGraphGolden(t *testing.T) {
	files, _ := filepath.Glob("../examples/*.kumeo")
	more, _ := filepath.Glob("testdata/graph/*.kumeo")
	files = append(files, more...)
	require.NotEmpty(t, files)
	for _, fn := range files {
		t.Run(filepath.Base(fn), func(t *testing.T) {
			src, err := os.ReadFile(fn)
			require.NoError(t, err)
			f, diags := Parse(filepath.Base(fn), src)
			require.False(t, diags.HasErrors(), "%v", diags)
			g := Builtin().Graph(f)
			out, err := json.MarshalIndent(g, "", "  ")
			require.NoError(t, err)
			golden(t, filepath.Join("testdata/graph", strings.TrimSuffix(filepath.Base(fn), ".kumeo")+".json"), append(out, '\n'))
			// Deterministic: a second build is identical.
			again, _ := json.MarshalIndent(Builtin().Graph(f), "", "  ")
			assert.Equal(t, string(out), string(again))
		})
	}
}

func TestGraphEdges(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"default chain", `workflow W { source: NATS("in") target: NATS("out") agents: [ DataProcessor(id: "a"), DataProcessor(id: "b") ] }`,
			[]string{"W/source/NATS:in -data-> W/agent/a", "W/agent/a -data-> W/agent/b", "W/agent/b -sink-> W/target/NATS:out"}},
		{"explicit channels and path input", `workflow W { source: NATS("in") agents: [ DataProcessor(id: "a", output: "x.y"), DataProcessor(id: "b", input: "x.y/f"), LLM(id: "c", input: a.output) ] }`,
			[]string{"W/source/NATS:in -data-> W/agent/a", "W/agent/a -data-> W/agent/b"}},
		{"object join", `workflow W { source: NATS("in") agents: [ DataProcessor(id: "a"), DataProcessor(id: "b"), MLModel(id: "m", input: { x: a.output, y: "b.output" }) ] }`,
			[]string{"W/source/NATS:in -data-> W/agent/a", "W/agent/a -data-> W/agent/b", "W/agent/a -data-> W/agent/m", "W/agent/b -data-> W/agent/m"}},
		{"router to targets and channel", `workflow W { source: NATS("in") target: [NATS("hi"), NATS("lo")]
			agents: [ Router(id: "r", rules: { "x > 1": "target.hi", "x > 0": "mid", "default": "target.lo" }), DataProcessor(id: "m", input: "mid") ] }`,
			[]string{"W/source/NATS:in -data-> W/agent/r", "W/agent/r -data-> W/agent/m", "W/agent/r -route-> W/target/NATS:hi", "W/agent/r -route-> W/target/NATS:lo",
				"W/agent/m -sink-> W/target/NATS:hi", "W/agent/m -sink-> W/target/NATS:lo"}},
		{"fallback and dead letter", `workflow W { source: NATS("in") agents: [ LLM(id: "a", prompt: "x", fallback: "b", on_failure: { action: "reject" }), LLM(id: "b", prompt: "y", input: null) ] }`,
			[]string{"W/source/NATS:in -data-> W/agent/a", "W/agent/a -fallback-> W/agent/b", "W/agent/a -deadletter-> W/deadletter"}},
		{"preprocessors feed agents", `workflow W { source: MQTT("t") preprocessors: [ MissingValueHandler(id: "p") ] agents: [ DataNormalizer(id: "n") ] }`,
			[]string{"W/source/MQTT:t -data-> W/agent/p", "W/agent/p -data-> W/agent/n"}},
		{"expression input", `workflow W { source: NATS("in") agents: [ DataProcessor(id: "a", output: "r.x"), DataProcessor(id: "b", output: "s.y"), LLM(id: "c", input: "r.x ?? s.y") ] }`,
			[]string{"W/source/NATS:in -data-> W/agent/a", "W/agent/a -data-> W/agent/b", "W/agent/a -data-> W/agent/c", "W/agent/b -data-> W/agent/c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, edgeSet(graphOf(t, tt.src)))
		})
	}
}

func TestGraphStableIDs(t *testing.T) {
	a := graphOf(t, `workflow W { source: NATS("in") agents: [ DataProcessor(id: "a"), LLM(id: "b", prompt: "p") ] }`)
	b := graphOf(t, `// comment
workflow W {
  source: NATS("in")
  agents: [
    DataProcessor(id: "z"),
    DataProcessor(id: "a"),
    LLM(id: "b", prompt: "changed")
  ]
}`)
	ids := func(g *Graph) map[string]bool {
		m := map[string]bool{}
		for _, n := range g.Nodes {
			m[n.ID] = true
		}
		return m
	}
	for id := range ids(a) {
		assert.True(t, ids(b)[id], "node %s lost its id after an unrelated edit", id)
	}
}

func TestGraphSubworkflowGroup(t *testing.T) {
	src, err := os.ReadFile("../examples/risk_subworkflow.kumeo")
	require.NoError(t, err)
	f, _ := Parse("x", src)
	g := Builtin().Graph(f)
	var group *GraphNode
	for _, n := range g.Nodes {
		if n.Kind == NodeSubworkflow {
			group = n
		}
	}
	require.NotNil(t, group)
	assert.Equal(t, "RiskScore", group.ID)
	children := 0
	for _, n := range g.Nodes {
		if n.Parent == "RiskScore" {
			children++
		}
	}
	assert.Equal(t, 2, children)
	assert.Contains(t, edgeSet(g), "Payments/agent/prep -mapping-> RiskScore")
	assert.Contains(t, edgeSet(g), "RiskScore -mapping-> Payments/target/NATS:payments.scored")
	assert.Contains(t, edgeSet(g), "RiskScore/agent/risk -data-> RiskScore/agent/clamp")
}
