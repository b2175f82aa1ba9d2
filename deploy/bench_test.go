package deploy

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kumeo/kumeo/internal/k8stest"
	"github.com/kumeo/kumeo/internal/workflowgen"
)

// benchCluster starts a cluster and prepares the generated 50-agent
// workflow for it.
func benchCluster(b *testing.B) (*Cluster, func(ns string) *Plan) {
	kc := k8stest.Start(b, k8stest.Options{})
	c, err := NewCluster(k8stest.Context, kc.Config)
	require.NoError(b, err)
	f := inDir(b, "generated.kumeo", string(workflowgen.Fraud(50)), nil)
	standIns(b, f)
	return c, func(ns string) *Plan {
		p, err := c.PlanFor(context.Background(), f, "", Options{Namespace: ns})
		require.NoError(b, err)
		return p
	}
}

// Render and server-side dry-run diff of a 50-agent workflow against a
// cluster where it runs (target < 1 s).
func BenchmarkRenderDiff50Agents(b *testing.B) {
	c, plan := benchCluster(b)
	ctx := context.Background()
	_, err := c.Apply(ctx, plan("bench"), nil)
	require.NoError(b, err)
	b.ResetTimer()
	for b.Loop() {
		cs, err := c.Diff(ctx, plan("bench"))
		require.NoError(b, err)
		require.True(b, cs.Empty())
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/diff")
}

// One-click deploy of a 50-agent workflow into a new namespace until every
// agent is Available (target < 10 s).
func BenchmarkDeploy50Agents(b *testing.B) {
	c, plan := benchCluster(b)
	ctx := context.Background()
	i := 0
	b.ResetTimer()
	for b.Loop() {
		i++
		p := plan(fmt.Sprintf("bench-%d", i))
		start := time.Now()
		_, err := c.Apply(ctx, p, nil)
		require.NoError(b, err)
		applied := time.Since(start)
		wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		_, err = c.WaitRollout(wctx, p, nil)
		cancel()
		require.NoError(b, err)
		b.Logf("applied in %s, every agent Available after %s", applied.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/deploy")
}
