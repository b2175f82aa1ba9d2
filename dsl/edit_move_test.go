package dsl

import (
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
