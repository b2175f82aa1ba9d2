package dsl

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// multiAgents has multi-line agents with nested indentation and comments.
const multiAgents = `workflow W {
  agents: [
    DataProcessor(
      id: "a",
      config: {
        steps: ["trim"]
      }
    ),
    // decides
    DecisionMatrix(
      id: "b",
      rules: [
        { name: "x", condition: "a > 0" }
      ]
    ),
    LLM(
      id: "c",
      prompt: "p"
    ),
    Router(id: "d", rules: { "default": "target.out" })
  ]
}
`

func TestEditMoveKeepsIndentation(t *testing.T) {
	idx := func(i int) *int { return &i }
	up, err := ApplyOp("t", []byte(multiAgents), Op{Op: "move_agent", ID: "b", Index: idx(0)})
	require.NoError(t, err)
	assert.Equal(t, `workflow W {
  agents: [
    // decides
    DecisionMatrix(
      id: "b",
      rules: [
        { name: "x", condition: "a > 0" }
      ]
    ),
    DataProcessor(
      id: "a",
      config: {
        steps: ["trim"]
      }
    ),
    LLM(
      id: "c",
      prompt: "p"
    ),
    Router(id: "d", rules: { "default": "target.out" })
  ]
}
`, string(up.Src))

	// Moving back gives the original bytes; so does a move down and up.
	back, err := ApplyOp("t", up.Src, Op{Op: "move_agent", ID: "b", Index: idx(1)})
	require.NoError(t, err)
	assert.Equal(t, multiAgents, string(back.Src))
	down, err := ApplyOp("t", []byte(multiAgents), Op{Op: "move_agent", ID: "b", Index: idx(2)})
	require.NoError(t, err)
	assert.Contains(t, string(down.Src), "    ),\n    // decides\n    DecisionMatrix(\n      id: \"b\",\n      rules: [\n        {")
	again, err := ApplyOp("t", down.Src, Op{Op: "move_agent", ID: "b", Index: idx(1)})
	require.NoError(t, err)
	assert.Equal(t, multiAgents, string(again.Src))
}

// Moving an agent carries its comments (above it, and after it on its
// line) and keeps the list's separators as written: no comment lands on a
// neighbour's line, no separator is left after the new last agent of a list
// that had none. Every other byte stays, and moving the agent back gives
// the original text.
func TestEditMoveComments(t *testing.T) {
	list := func(items ...string) string {
		return "workflow W {\n  agents: [\n" + strings.Join(items, "\n") + "\n  ]\n}\n"
	}
	cases := []struct {
		name   string
		src    string
		id     string
		to     int
		want   string
		backTo int
	}{
		{
			name: "first agent with a trailing comment, down one",
			src:  list(`    A(id: "a"), // about a`, `    B(id: "b"),`, `    C(id: "c")`),
			id:   "a", to: 1, backTo: 0,
			want: list(`    B(id: "b"),`, `    A(id: "a"), // about a`, `    C(id: "c")`),
		},
		{
			name: "middle agent with a trailing comment, to the end",
			src:  list(`    A(id: "a"),`, `    B(id: "b"), // about b`, `    C(id: "c")`),
			id:   "b", to: 2, backTo: 1,
			want: list(`    A(id: "a"),`, `    C(id: "c"),`, `    B(id: "b") // about b`),
		},
		{
			name: "last agent with a trailing comment, up one",
			src:  list(`    A(id: "a"),`, `    B(id: "b"),`, `    C(id: "c") // about c`),
			id:   "c", to: 1, backTo: 2,
			want: list(`    A(id: "a"),`, `    C(id: "c"), // about c`, `    B(id: "b")`),
		},
		{
			name: "last agent up: no separator left after the new last one",
			src:  list(`    A(id: "a"),`, `    B(id: "b"),`, `    C(id: "c")`),
			id:   "c", to: 1, backTo: 2,
			want: list(`    A(id: "a"),`, `    C(id: "c"),`, `    B(id: "b")`),
		},
		{
			name: "last agent to the front, the one before it keeps its comment",
			src:  list(`    A(id: "a"),`, `    B(id: "b"), // about b`, `    C(id: "c")`),
			id:   "c", to: 0, backTo: 2,
			want: list(`    C(id: "c"),`, `    A(id: "a"),`, `    B(id: "b") // about b`),
		},
		{
			name: "a list with a trailing separator keeps it",
			src:  list(`    A(id: "a"),`, `    B(id: "b"),`, `    C(id: "c"), // about c`),
			id:   "c", to: 1, backTo: 2,
			want: list(`    A(id: "a"),`, `    C(id: "c"), // about c`, `    B(id: "b"),`),
		},
		{
			name: "multi-line agent with comments above and after",
			src: list(`    A(id: "a"),`, `    // b decides`, `    B(`, `      id: "b",`, `      rules: []`, `    ), // about b`,
				`    C(id: "c") // about c`),
			id: "b", to: 0, backTo: 1,
			want: list(`    // b decides`, `    B(`, `      id: "b",`, `      rules: []`, `    ), // about b`, `    A(id: "a"),`,
				`    C(id: "c") // about c`),
		},
		{
			name: "a block comment after the agent goes with it",
			src:  list(`    A(id: "a"), /* about a */`, `    B(id: "b")`),
			id:   "a", to: 1, backTo: 0,
			want: list(`    B(id: "b"),`, `    A(id: "a") /* about a */`),
		},
		{
			name: "CRLF line endings",
			src:  strings.ReplaceAll(list(`    A(id: "a"), // about a`, `    B(id: "b")`), "\n", "\r\n"),
			id:   "a", to: 1, backTo: 0,
			want: strings.ReplaceAll(list(`    B(id: "b"),`, `    A(id: "a") // about a`), "\n", "\r\n"),
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			to, back := c.to, c.backTo
			got, err := ApplyOp("t", []byte(c.src), Op{Op: "move_agent", ID: c.id, Index: &to})
			require.NoError(t, err) // ApplyOp re-parses the result
			assert.Equal(t, c.want, string(got.Src))
			assert.Equal(t, c.want, string(ApplyEdits([]byte(c.src), got.Edits)), "the edits give the same text")
			f, diags := Parse("t", got.Src)
			require.False(t, diags.HasErrors(), "%v", diags)
			assert.Equal(t, c.id, f.Workflow("").Agents[to].ID)
			again, err := ApplyOp("t", got.Src, Op{Op: "move_agent", ID: c.id, Index: &back})
			require.NoError(t, err)
			assert.Equal(t, c.src, string(again.Src), "moving it back restores the original bytes")
		})
	}
}
