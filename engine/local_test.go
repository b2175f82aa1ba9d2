package engine

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumeo/kumeo/engine/bus/bustest"
)

// Inputs the checker accepts run as it describes them: a reference to an
// agent reads its output whatever its channel is called, a source's
// address is the source, a channel nothing in the workflow produces
// carries what other systems publish on it (on_failure channels
// included), and when: false turns an agent off.
func TestRunWiresInputsAsTheCheckerReadsThem(t *testing.T) {
	for _, durable := range []bool{false, true} {
		t.Run(fmt.Sprintf("durable=%v", durable), func(t *testing.T) {
			opts := Options{}
			if durable {
				dir := t.TempDir()
				opts = Options{Bus: bustest.Run(t, bustest.DataDir(dir)), DataDir: dir}
			}
			wireInputs(t, opts)
		})
	}
}

func wireInputs(t *testing.T, opts Options) {
	h := start(t, `workflow W {
  source: NATS("in")
  target: NATS("out")
  agents: [
    TTag(id: "a", input: "in", output: "a.custom"),
    TTag(id: "b", input: a.output, when: false),
    TFail(id: "c", input: b.output, output: "target.out", on_failure: { channel: "failed" }),
    TTag(id: "d", input: "failed", output: "target.out"),
    TTag(id: "e", input: "elsewhere", output: "target.out")
  ]
}`, opts)
	out := h.collect("out")
	h.publish("in", map[string]any{"n": 1.0}, map[string]any{"n": 2.0, "bad": true})
	h.publish(Subject("W", "elsewhere"), map[string]any{"n": 3.0})
	eventually(t, func() bool { return len(out()) == 3 }, "got %d of 3", len(out()))
	h.assertSettled()
	got := map[float64]map[string]any{}
	for _, m := range out() {
		var e map[string]any
		require.NoError(t, json.Unmarshal(m.Data, &e))
		got[e["n"].(float64)] = e
	}
	assert.Equal(t, "yes", got[1]["a"], "a read the source by its address")
	assert.NotContains(t, got[1], "b", "when: false passed the event on untouched")
	assert.Equal(t, "yes", got[2]["d"], "d read c's on_failure channel")
	assert.Equal(t, "yes", got[3]["e"], "e read what was published on its channel")
}
