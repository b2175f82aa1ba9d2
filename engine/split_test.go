package engine

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumeo/kumeo/engine/bus/bustest"
)

// TestEndpointsRunOnceInSplitRun runs a workflow the way a cluster does:
// one process for the sources and targets, one per agent. Only the
// endpoints process listens for HTTP events, and each agent reading the
// source gets every event.
func TestEndpointsRunOnceInSplitRun(t *testing.T) {
	b := bustest.Run(t, bustest.TCP())
	src := `workflow S {
	  source: HTTP("/in", { method: "POST" })
	  target: NATS("out")
	  agents: [ TTag(id: "a", input: "source", output: "target.out"), TTag(id: "b", input: "source", output: "target.out") ]
	}`
	startRun := func(o Options) *Run {
		o.NATSURL = b.ClientURL()
		run, err := Start(context.Background(), parse(t, src), "", o)
		require.NoError(t, err)
		t.Cleanup(func() { run.Stop(context.Background()) })
		return run
	}
	ends := startRun(Options{Endpoints: EndpointsOnly})
	a := startRun(Options{Endpoints: EndpointsElsewhere, Only: []string{"a"}})
	bRun := startRun(Options{Endpoints: EndpointsElsewhere, Only: []string{"b"}})
	require.NotEmpty(t, ends.HTTPURL())
	assert.Empty(t, a.HTTPURL(), "an agent process opens no HTTP source")
	assert.Empty(t, bRun.HTTPURL())

	h := &harness{t: t, bus: b, nc: bustest.Connect(t, b)}
	out := h.collect("out")
	const n = 25
	for i := 0; i < n; i++ {
		resp, err := http.Post(ends.HTTPURL()+"/in", "application/json", strings.NewReader(fmt.Sprintf(`{"n": %d}`, i)))
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusAccepted, resp.StatusCode)
	}
	bustest.Soon(t, func() bool { return len(out()) == 2*n }, "got %d of %d", len(out()), 2*n)
	assert.Equal(t, uint64(n), snapshot(a, "a").EventsIn)
	assert.Equal(t, uint64(n), snapshot(bRun, "b").EventsIn)
	assert.Equal(t, uint64(0), snapshot(ends, "a").EventsIn, "the endpoints process runs no agent")
}

func TestEndpointModeOptions(t *testing.T) {
	_, err := Start(context.Background(), parse(t, `workflow W { source: NATS("in") agents: [ TTag(id: "a") ] }`), "",
		Options{Endpoints: EndpointsOnly, Only: []string{"a"}})
	require.ErrorIs(t, err, ErrOptions)
	assert.Contains(t, err.Error(), "runs no agent")
	assert.Equal(t, "nats://redacted@h:4222,nats://h2:4222", RedactURL("nats://kumeo:hunter2@h:4222,nats://h2:4222"))
}
