package agentserver

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumeo/kumeo/dsl"
	"github.com/kumeo/kumeo/engine"
	"github.com/kumeo/kumeo/engine/bus/bustest"
)

const workflow = `workflow W {
  source: NATS("in")
  target: NATS("out")
  agents: [ Router(id: "r", rules: { "kind == 'a'": "target.out" }) ]
}
`

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(body)
}

// scrape reads /metrics and returns the value of each sample of name by
// its agent label.
func scrape(t *testing.T, base, name string) map[string]float64 {
	t.Helper()
	code, body := get(t, base+PathMetrics)
	require.Equal(t, http.StatusOK, code)
	parser := expfmt.NewTextParser(model.LegacyValidation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(body))
	require.NoError(t, err)
	out := map[string]float64{}
	fam := families[name]
	if fam == nil {
		return out
	}
	for _, m := range fam.Metric {
		agent := ""
		for _, l := range m.Label {
			if l.GetName() == "agent" {
				agent = l.GetValue()
			}
		}
		switch {
		case m.Counter != nil:
			out[agent] = m.Counter.GetValue()
		case m.Gauge != nil:
			out[agent] = m.Gauge.GetValue()
		case m.Summary != nil:
			out[agent] = float64(m.Summary.GetSampleCount())
			out[agent+"/sum"] = m.Summary.GetSampleSum()
		}
	}
	return out
}

func startServer(t *testing.T, cfg Config) string {
	t.Helper()
	s := New(cfg)
	require.NoError(t, s.Start("127.0.0.1:0"))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		assert.NoError(t, s.Shutdown(ctx))
	})
	return "http://" + s.Addr()
}

func TestAgentProcessEndpoints(t *testing.T) {
	b := bustest.Run(t, bustest.TCP())
	state := NewRunState("r")
	base := startServer(t, state.Config())

	code, body := get(t, base+PathReady)
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Contains(t, body, "starting")
	code, _ = get(t, base+PathHealth)
	assert.Equal(t, http.StatusOK, code, "alive while starting")

	f, diags := dsl.Parse("w.kumeo", []byte(workflow))
	require.False(t, diags.HasErrors(), "%v", diags)
	run, err := engine.Start(context.Background(), f, "", engine.Options{NATSURL: b.ClientURL(), Only: []string{"r"}, Endpoints: engine.EndpointsElsewhere})
	require.NoError(t, err)
	t.Cleanup(func() { run.Stop(context.Background()) })
	state.Set(run)
	code, body = get(t, base+PathReady)
	assert.Equal(t, http.StatusOK, code, body)
	assert.Empty(t, scrape(t, base, MetricEventsIn)["r"])

	nc := bustest.Connect(t, b)
	for _, ev := range []string{`{"kind":"a"}`, `{"kind":"a"}`, `{"kind":"a"}`, `{"kind":"z"}`, `{"kind":"z"}`, `not json`} {
		require.NoError(t, nc.Publish("in", []byte(ev)))
	}
	require.NoError(t, nc.Flush())
	bustest.Soon(t, func() bool {
		return scrape(t, base, MetricEventsIn)["r"] == 6 && scrape(t, base, MetricInFlight)["r"] == 0
	}, "six events in")
	assert.Equal(t, 3.0, scrape(t, base, MetricEventsOut)["r"])
	assert.Equal(t, 2.0, scrape(t, base, MetricFiltered)["r"])
	assert.Equal(t, 1.0, scrape(t, base, MetricDeadLettered)["r"])
	assert.Equal(t, 1.0, scrape(t, base, MetricErrors)["r"])
	lat := scrape(t, base, MetricLatency)
	assert.Equal(t, 5.0, lat["r"], "latency observations of the events handled")
	assert.Positive(t, lat["r/sum"])
	assert.Less(t, lat["r/sum"], 5.0, "seconds, not nanoseconds")
	_, body = get(t, base+PathMetrics)
	assert.Contains(t, body, "go_goroutines ")
	assert.Contains(t, body, "process_cpu_seconds_total ")
	assert.Contains(t, body, `kumeo_agent_latency_seconds{agent="r",workflow="W",quantile="0.99"}`)

	bustest.Shutdown(t, b) // the server goes away: not ready, then the run faults
	bustest.Soon(t, func() bool { c, _ := get(t, base+PathReady); return c == http.StatusServiceUnavailable }, "not ready without NATS")
	_, body = get(t, base+PathReady)
	assert.Contains(t, body, "not ready: the NATS connection is RECONNECTING")

	run.Conn().Close() // given up: the run faults, and the process is not alive
	bustest.Soon(t, func() bool { c, _ := get(t, base+PathHealth); return c == http.StatusServiceUnavailable }, "not alive once the run faulted")
	_, body = get(t, base+PathHealth)
	assert.Contains(t, body, "not alive: run faulted: engine: the NATS connection closed")
}

func TestLivenessFollowsFault(t *testing.T) {
	fault := error(nil)
	base := startServer(t, Config{Live: func() error { return fault }})
	code, body := get(t, base+PathHealth)
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, "alive\n", body)
	fault = engine.ErrConnClosed
	code, body = get(t, base+PathHealth)
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Contains(t, body, "the NATS connection closed")
	code, _ = get(t, base+"/nope")
	assert.Equal(t, http.StatusNotFound, code)
}
