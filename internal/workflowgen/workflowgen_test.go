package workflowgen_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumeo/kumeo/dsl"
	"github.com/kumeo/kumeo/internal/workflowgen"
)

func TestFraudChecksCleanWithNAgents(t *testing.T) {
	for _, n := range []int{1, 4, 7, 500} {
		res := dsl.Builtin().Analyze("gen.kumeo", workflowgen.Fraud(n))
		require.Empty(t, res.Diagnostics, "Fraud(%d)", n)
		agents := 0
		for _, node := range res.Graph.Nodes {
			if node.Kind == "agent" {
				agents++
			}
		}
		assert.Equal(t, n, agents, "Fraud(%d)", n)
	}
}
