package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumeo/kumeo/dsl"
	"github.com/kumeo/kumeo/engine/bus"
	"github.com/kumeo/kumeo/engine/bus/bustest"
	"github.com/kumeo/kumeo/engine/flow"
	"github.com/kumeo/kumeo/engine/metrics"
	"github.com/kumeo/kumeo/engine/trace"
)

// Test agent types: small, deterministic behaviours the runtime must drive
// exactly. They are registered under names no workflow outside these
// tests uses.
type tagAgent struct{ key, value string }

func (a tagAgent) Process(_ context.Context, ev *flow.Event) (flow.Outcome, error) {
	ev.Data[a.key] = a.value
	return flow.Outcome{}, nil
}

type panicAgent struct{}

func (panicAgent) Process(_ context.Context, ev *flow.Event) (flow.Outcome, error) {
	if ev.Data["boom"] == true {
		panic("boom")
	}
	return flow.Outcome{}, nil
}

type failAgent struct{}

func (failAgent) Process(_ context.Context, ev *flow.Event) (flow.Outcome, error) {
	if ev.Data["bad"] == true {
		return flow.Outcome{}, errors.New("bad event")
	}
	return flow.Outcome{}, nil
}

type slowAgent struct{ d time.Duration }

func (a slowAgent) Process(ctx context.Context, ev *flow.Event) (flow.Outcome, error) {
	if ev.Data["slow"] == true {
		select {
		case <-time.After(a.d):
		case <-ctx.Done():
		}
	}
	return flow.Outcome{}, nil
}

// flakyAgent fails the first n attempts of every event.
type flakyAgent struct {
	n     int
	mu    sync.Mutex
	tries map[any]int
}

func (a *flakyAgent) Process(_ context.Context, ev *flow.Event) (flow.Outcome, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.tries[ev.Data["n"]]++
	if a.tries[ev.Data["n"]] <= a.n {
		return flow.Outcome{}, errors.New("transient")
	}
	return flow.Outcome{}, nil
}

type dropAgent struct{}

func (dropAgent) Process(_ context.Context, ev *flow.Event) (flow.Outcome, error) {
	if ev.Data["drop"] == true {
		return flow.Outcome{Action: flow.Filter, Reason: "dropped on purpose"}, nil
	}
	return flow.Outcome{}, nil
}

func init() {
	testAgent("TTag", func(c *flow.Config) (flow.Agent, error) {
		k, _, _ := c.String("key")
		v, _, _ := c.String("value")
		if k == "" {
			k = c.Agent.ID
		}
		if v == "" {
			v = "yes"
		}
		return tagAgent{k, v}, nil
	}, "key", "value")
	testAgent("TPanic", func(*flow.Config) (flow.Agent, error) { return panicAgent{}, nil })
	testAgent("TFail", func(*flow.Config) (flow.Agent, error) { return failAgent{}, nil })
	testAgent("TSlow", func(*flow.Config) (flow.Agent, error) { return slowAgent{200 * time.Millisecond}, nil })
	testAgent("TFlaky", func(c *flow.Config) (flow.Agent, error) {
		v, _ := c.Value("fail")
		n, _ := v.(float64)
		return &flakyAgent{n: int(n), tries: map[any]int{}}, nil
	}, "fail")
	testAgent("TDrop", func(*flow.Config) (flow.Agent, error) { return dropAgent{}, nil })
}

// harness runs one workflow on a real embedded server.
type harness struct {
	t   *testing.T
	bus *bus.Bus
	nc  *nats.Conn
	run *Run
}

func parse(t testing.TB, src string) *dsl.File {
	t.Helper()
	f, d := dsl.Parse("test.kumeo", []byte(src))
	require.False(t, d.HasErrors(), "%v", d)
	return f
}

func start(t *testing.T, src string, opts Options) *harness {
	t.Helper()
	h := &harness{t: t}
	if opts.Bus == nil {
		h.bus = bustest.Run(t)
		opts.Bus = h.bus
	} else {
		h.bus = opts.Bus
	}
	var err error
	h.nc, err = h.bus.Connect()
	require.NoError(t, err)
	t.Cleanup(h.nc.Close)
	if opts.MetricsInterval == 0 {
		opts.MetricsInterval = 50 * time.Millisecond
	}
	run, err := Start(context.Background(), parse(t, src), "", opts)
	require.NoError(t, err)
	h.run = run
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		run.Stop(ctx)
	})
	return h
}

// collect subscribes to subject and returns a function reading what
// arrived so far.
func (h *harness) collect(subject string) func() []*nats.Msg {
	var mu sync.Mutex
	var msgs []*nats.Msg
	sub, err := h.nc.Subscribe(subject, func(m *nats.Msg) {
		mu.Lock()
		msgs = append(msgs, m)
		mu.Unlock()
	})
	require.NoError(h.t, err)
	sub.SetPendingLimits(-1, -1)
	require.NoError(h.t, h.nc.Flush())
	h.t.Cleanup(func() { sub.Unsubscribe() })
	return func() []*nats.Msg {
		mu.Lock()
		defer mu.Unlock()
		return append([]*nats.Msg(nil), msgs...)
	}
}

func (h *harness) publish(subject string, events ...map[string]any) {
	for _, e := range events {
		b, err := json.Marshal(e)
		require.NoError(h.t, err)
		require.NoError(h.t, h.nc.Publish(subject, b))
	}
	require.NoError(h.t, h.nc.Flush())
}

// eventually polls cond until it holds (never sleeping a fixed time).
var eventually = bustest.Soon

// assertSettled checks the ledger of the run and of every agent balances
// with nothing in flight.
func (h *harness) assertSettled() {
	h.t.Helper()
	eventually(h.t, h.run.Idle, "run never became idle: %+v", h.run.Ledger())
	l := h.run.Ledger()
	assert.True(h.t, l.Balanced(), "run ledger %+v", l)
	assert.Zero(h.t, l.InFlight)
	for _, s := range h.run.Snapshots() {
		v := s.Ledger()
		assert.NoError(h.t, v.Check(), "agent %s", s.Agent)
		assert.Zero(h.t, s.InFlight, "agent %s in flight", s.Agent)
	}
}

func snapshot(r *Run, agent string) metrics.Snapshot {
	for _, s := range r.Snapshots() {
		if s.Agent == agent {
			return s
		}
	}
	return metrics.Snapshot{}
}

const chainFlow = `workflow W {
  source: NATS("in")
  target: NATS("out")
  agents: [
    TTag(id: "a"),
    TTag(id: "b", key: "stage", value: "two"),
  ]
}`

func TestChainDeliversEveryEvent(t *testing.T) {
	for _, noChain := range []bool{false, true} {
		t.Run(fmt.Sprintf("nochain=%v", noChain), func(t *testing.T) {
			h := start(t, chainFlow, Options{NoChain: noChain})
			out := h.collect("out")
			const n = 500
			for i := 0; i < n; i++ {
				h.publish("in", map[string]any{"n": i})
			}
			eventually(t, func() bool { return len(out()) == n }, "got %d of %d", len(out()), n)
			seen := map[float64]bool{}
			for _, m := range out() {
				var e map[string]any
				require.NoError(t, json.Unmarshal(m.Data, &e))
				assert.Equal(t, "yes", e["a"])
				assert.Equal(t, "two", e["stage"])
				seen[e["n"].(float64)] = true
				span, ok := trace.Extract(m.Header)
				assert.True(t, ok && span.TraceID != "", "trace id carried to the target")
			}
			assert.Len(t, seen, n, "every event exactly once")
			h.assertSettled()
			l := h.run.Ledger()
			assert.Equal(t, uint64(n), l.In)
			assert.Equal(t, uint64(n), l.Out)
			assert.Equal(t, uint64(n), snapshot(h.run, "b").EventsOut)
		})
	}
}

func TestMalformedEventsAreDeadLettered(t *testing.T) {
	h := start(t, chainFlow, Options{})
	dlq := h.collect(DLQSubject("W"))
	out := h.collect("out")
	require.NoError(t, h.nc.Publish("in", []byte(`{"n": 1,`)))
	require.NoError(t, h.nc.Publish("in", []byte(`[1,2]`)))
	h.publish("in", map[string]any{"n": 2})
	eventually(t, func() bool { return len(dlq()) == 2 && len(out()) == 1 }, "dlq %d out %d", len(dlq()), len(out()))
	var bodies []string
	for _, m := range dlq() {
		bodies = append(bodies, string(m.Data))
		assert.Contains(t, m.Header.Get(HeaderError), "malformed event")
	}
	assert.ElementsMatch(t, []string{`{"n": 1,`, `[1,2]`}, bodies, "original bytes kept")
	h.assertSettled()
	l := h.run.Ledger()
	assert.Equal(t, Ledger{In: 3, Out: 1, DeadLettered: 2}, l)
}

func TestAgentPanicIsRecoveredPerEvent(t *testing.T) {
	h := start(t, `workflow W { source: NATS("in") target: NATS("out") agents: [ TPanic(id: "p"), TTag(id: "after") ] }`, Options{})
	dlq := h.collect(DLQSubject("W"))
	out := h.collect("out")
	h.publish("in", map[string]any{"n": 1, "boom": true}, map[string]any{"n": 2}, map[string]any{"n": 3, "boom": true})
	eventually(t, func() bool { return len(dlq()) == 2 && len(out()) == 1 }, "dlq %d out %d", len(dlq()), len(out()))
	assert.Contains(t, dlq()[0].Header.Get(HeaderError), "panicked")
	assert.Equal(t, "p", dlq()[0].Header.Get(HeaderAgent))
	h.assertSettled()
	s := snapshot(h.run, "p")
	assert.Equal(t, uint64(3), s.EventsIn)
	assert.Equal(t, uint64(2), s.DeadLettered)
	assert.Equal(t, uint64(1), s.EventsOut)
}

func TestTimeoutWithRetries(t *testing.T) {
	h := start(t, `workflow W { source: NATS("in") target: NATS("out")
	  agents: [ TSlow(id: "s", timeout: "20ms", retry: { attempts: 2, backoff: "exponential", initial: "1ms" }) ] }`, Options{})
	dlq := h.collect(DLQSubject("W"))
	out := h.collect("out")
	h.publish("in", map[string]any{"n": 1, "slow": true}, map[string]any{"n": 2})
	eventually(t, func() bool { return len(dlq()) == 1 && len(out()) == 1 }, "dlq %d out %d", len(dlq()), len(out()))
	assert.Contains(t, dlq()[0].Header.Get(HeaderError), "timed out")
	h.assertSettled()
	s := snapshot(h.run, "s")
	assert.Equal(t, uint64(2), s.Retries, "two retries after the first attempt")
	assert.Equal(t, uint64(3), s.Errors, "three timed-out attempts")
	assert.Equal(t, uint64(1), s.DeadLettered)
}

func TestRetryRecovers(t *testing.T) {
	h := start(t, `workflow W { source: NATS("in") target: NATS("out") agents: [ TFlaky(id: "f", fail: 2, retry: 3) ] }`, Options{})
	out := h.collect("out")
	h.publish("in", map[string]any{"n": 1}, map[string]any{"n": 2})
	eventually(t, func() bool { return len(out()) == 2 }, "out %d", len(out()))
	h.assertSettled()
	s := snapshot(h.run, "f")
	assert.Equal(t, uint64(4), s.Retries)
	assert.Equal(t, uint64(2), s.EventsOut)
	assert.Zero(t, s.DeadLettered)
}

func TestFallbackAndOnFailure(t *testing.T) {
	h := start(t, `workflow W {
	  source: NATS("in")
	  target: [NATS("out"), NATS("quarantine")]
	  agents: [
	    TFail(id: "strict", fallback: "lenient"),
	    TTag(id: "lenient", input: null, output: "target.out"),
	    TFail(id: "second", input: "strict.output", on_failure: { action: "drop" }),
	    TFail(id: "third", input: "strict.output", on_failure: { action: "reject", fallback: { action: "reject", channel: "quarantine" } }, output: "target.out"),
	  ]
	}`, Options{})
	out := h.collect("out")
	q := h.collect("quarantine")
	h.publish("in", map[string]any{"n": 1, "bad": true})
	eventually(t, func() bool { return len(out()) == 1 }, "out %d", len(out()))
	var e map[string]any
	require.NoError(t, json.Unmarshal(out()[0].Data, &e))
	assert.Equal(t, "yes", e["lenient"], "the fallback agent handled the event")
	assert.Empty(t, q())
	h.assertSettled()
	assert.Equal(t, uint64(1), snapshot(h.run, "strict").EventsOut, "handed to the fallback counts as out")
}

func TestOnFailureDropAndFallbackChannel(t *testing.T) {
	h := start(t, `workflow W {
	  source: NATS("in")
	  target: [NATS("out"), NATS("quarantine")]
	  agents: [
	    TFail(id: "dropper", on_failure: { action: "drop" }, output: "target.out"),
	    TFail(id: "rejecter", input: "source", on_failure: { action: "reject", fallback: { action: "reject", channel: "quarantine" } }, output: "target.out"),
	  ]
	}`, Options{})
	out := h.collect("out")
	q := h.collect("quarantine")
	h.publish("in", map[string]any{"n": 1, "bad": true})
	eventually(t, func() bool { return len(q()) == 1 }, "quarantine %d", len(q()))
	assert.Contains(t, q()[0].Header.Get(HeaderError), "bad event")
	h.assertSettled()
	assert.Empty(t, out())
	assert.Equal(t, uint64(1), snapshot(h.run, "dropper").Filtered)
	assert.Equal(t, uint64(1), snapshot(h.run, "rejecter").DeadLettered)
	l := h.run.Ledger()
	assert.Equal(t, uint64(1), l.DeadLettered, "dead-lettering wins over a filtered branch")
}

func TestFilterAndWhen(t *testing.T) {
	h := start(t, `workflow W { source: NATS("in") target: NATS("out")
	  agents: [ TDrop(id: "d"), TTag(id: "t", when: "n > 1") ] }`, Options{})
	out := h.collect("out")
	h.publish("in", map[string]any{"n": 1}, map[string]any{"n": 2}, map[string]any{"n": 3, "drop": true})
	eventually(t, func() bool { return len(out()) == 2 }, "out %d", len(out()))
	tagged := 0
	for _, m := range out() {
		var e map[string]any
		require.NoError(t, json.Unmarshal(m.Data, &e))
		if e["t"] == "yes" {
			tagged++
			assert.Equal(t, 2.0, e["n"])
		}
	}
	assert.Equal(t, 1, tagged, "when false passes the event through unchanged")
	h.assertSettled()
	assert.Equal(t, Ledger{In: 3, Out: 2, Filtered: 1}, h.run.Ledger())
}

func TestFieldSelection(t *testing.T) {
	h := start(t, `workflow W { source: NATS("in") target: NATS("out")
	  agents: [ TTag(id: "a", output: "x.y"), TTag(id: "b", input: "x.y/inner") ] }`, Options{})
	out := h.collect("out")
	dlq := h.collect(DLQSubject("W"))
	h.publish("in", map[string]any{"inner": map[string]any{"v": 1}}, map[string]any{"inner": 3})
	eventually(t, func() bool { return len(out()) == 1 && len(dlq()) == 1 }, "out %d dlq %d", len(out()), len(dlq()))
	var e map[string]any
	require.NoError(t, json.Unmarshal(out()[0].Data, &e))
	assert.Equal(t, map[string]any{"v": 1.0, "b": "yes"}, e)
	assert.Contains(t, dlq()[0].Header.Get(HeaderError), "expected an object")
	h.assertSettled()
}

func TestMetricsPublished(t *testing.T) {
	h := start(t, chainFlow, Options{MetricsInterval: 20 * time.Millisecond})
	snaps := h.collect(metrics.Subject("W", "a"))
	h.publish("in", map[string]any{"n": 1})
	eventually(t, func() bool {
		for _, m := range snaps() {
			var s metrics.Snapshot
			if json.Unmarshal(m.Data, &s) == nil && s.EventsIn == 1 && s.EventsOut == 1 {
				return true
			}
		}
		return false
	}, "no snapshot with the event")
	eventually(t, func() bool { return len(snaps()) >= 3 }, "snapshots keep coming")
}

func TestTraceRecorded(t *testing.T) {
	h := start(t, chainFlow, Options{})
	out := h.collect("out")
	h.publish("in", map[string]any{"n": 7})
	eventually(t, func() bool { return len(out()) == 1 }, "out")
	span, ok := trace.Extract(out()[0].Header)
	require.True(t, ok)
	path, _ := h.run.Recorder().Trace(span.TraceID)
	var agents []string
	for _, r := range path {
		agents = append(agents, r.Agent+":"+string(r.Dir))
	}
	assert.Equal(t, []string{"a:in", "a:out", "b:in", "b:out"}, agents)
	recent := h.run.Recorder().Recent("b", 10)
	require.NotEmpty(t, recent)
	assert.Contains(t, recent[len(recent)-1].Payload, `"stage":"two"`)
}

func TestPlanErrors(t *testing.T) {
	b := bustest.Run(t)
	tests := []struct {
		name, src, code, contains string
	}{
		{"model-backed agent", `workflow W { source: NATS("in") agents: [ LLM(id: "classify", prompt: "x") ] }`, CodePlanAgent, "classify"},
		{"unknown type", `workflow W { source: NATS("in") agents: [ TTagg(id: "a") ] }`, CodePlanAgent, "TTag"},
		{"no source", `workflow W { agents: [ TTag(id: "a") ] }`, CodePlanEndpoint, "source"},
		{"kafka", `workflow W { source: Kafka("t") agents: [ TTag(id: "a") ] }`, CodePlanEndpoint, "Kafka"},
		{"cycle", `workflow W { source: NATS("in") agents: [ TTag(id: "a", input: "b.output"), TTag(id: "b", input: "a.output") ] }`, CodePlanInput, ""},
		{"bad when", `workflow W { source: NATS("in") agents: [ TTag(id: "a", when: "n >") ] }`, CodePlanExpression, "n >"},
		{"router to unknown target", `workflow W { source: NATS("in") target: NATS("x") agents: [ Router(id: "r", rules: { "default": "target.y" }) ] }`, CodePlanInput, "target.y"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Start(context.Background(), parse(t, tt.src), "", Options{Bus: b})
			require.ErrorIs(t, err, ErrPlan)
			var diags dsl.Diagnostics
			require.ErrorAs(t, err, &diags, "the plan failure is its diagnostics")
			require.True(t, diags.HasErrors())
			found := false
			for _, d := range diags {
				if strings.Contains(d.Summary+d.Detail, tt.contains) {
					found = true
				}
			}
			assert.True(t, found, "%v", diags)
		})
	}
}

func TestHotReloadUnderLoad(t *testing.T) {
	h := start(t, chainFlow, Options{})
	out := h.collect("out")
	var published atomic.Int64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			b, _ := json.Marshal(map[string]any{"n": i})
			if h.nc.Publish("in", b) == nil {
				published.Add(1)
			}
			if i%100 == 0 {
				h.nc.Flush()
			}
		}
	}()
	eventually(t, func() bool { return len(out()) > 200 }, "traffic flows")
	edited := strings.Replace(chainFlow, `value: "two"`, `value: "three"`, 1)
	res, err := h.run.Reload(context.Background(), parse(t, edited), "")
	require.NoError(t, err)
	assert.Equal(t, []string{"a"}, res.Kept)
	assert.Equal(t, []string{"b"}, res.Changed)
	eventually(t, func() bool {
		msgs := out()
		var e map[string]any
		return json.Unmarshal(msgs[len(msgs)-1].Data, &e) == nil && e["stage"] == "three"
	}, "the new definition takes effect")
	close(stop)
	<-done
	require.NoError(t, h.nc.Flush())
	n := int(published.Load())
	eventually(t, func() bool { return len(out()) == n }, "got %d of %d", len(out()), n)
	h.assertSettled()
}

// TestAgentsInSeparateProcesses runs each agent as its own Run (as
// `kumeo agent` does in the cluster): events cross NATS between them.
func TestAgentsInSeparateProcesses(t *testing.T) {
	b := bustest.Run(t, bustest.TCP())
	src := `workflow W { source: NATS("in") target: NATS("out") agents: [ TTag(id: "a"), TTag(id: "b"), TTag(id: "c") ] }`
	var runs []*Run
	for _, id := range []string{"a", "b", "c"} {
		run, err := Start(context.Background(), parse(t, src), "", Options{NATSURL: b.ClientURL(), Only: []string{id}})
		require.NoError(t, err)
		runs = append(runs, run)
		t.Cleanup(func() { run.Stop(context.Background()) })
	}
	h := &harness{t: t, bus: b, nc: bustest.Connect(t, b)}
	out := h.collect("out")
	const n = 300
	for i := 0; i < n; i++ {
		h.publish("in", map[string]any{"n": i})
	}
	eventually(t, func() bool { return len(out()) == n }, "got %d of %d", len(out()), n)
	var e map[string]any
	require.NoError(t, json.Unmarshal(out()[0].Data, &e))
	assert.Equal(t, map[string]any{"n": e["n"], "a": "yes", "b": "yes", "c": "yes"}, e)
	for i, id := range []string{"a", "b", "c"} {
		s := snapshot(runs[i], id)
		assert.Equal(t, uint64(n), s.EventsIn, id)
		assert.Equal(t, uint64(n), s.EventsOut, id)
		assert.Len(t, runs[i].Snapshots(), 3, "every run knows the plan")
	}
}

func TestOnFailureChannelErrorAndFallbackAgent(t *testing.T) {
	h := start(t, `workflow W {
	  source: NATS("in")
	  target: [NATS("out"), NATS("held")]
	  agents: [
	    TFail(id: "a", on_failure: { channel: "held", error: "payment held" }, output: "target.out"),
	    TFail(id: "b", input: "source", on_failure: { fallback: "rescue" }, output: "target.out"),
	    TTag(id: "rescue", input: null, output: "target.out"),
	  ]
	}`, Options{})
	held := h.collect("held")
	out := h.collect("out")
	h.publish("in", map[string]any{"n": 1, "bad": true})
	eventually(t, func() bool { return len(held()) == 1 && len(out()) == 1 }, "held %d out %d", len(held()), len(out()))
	assert.Equal(t, "payment held: bad event", held()[0].Header.Get(HeaderError))
	var e map[string]any
	require.NoError(t, json.Unmarshal(out()[0].Data, &e))
	assert.Equal(t, "yes", e["rescue"], "on_failure.fallback naming an agent hands the event to it")
	h.assertSettled()
}

func TestTracePublished(t *testing.T) {
	h := start(t, chainFlow, Options{})
	records := h.collect(trace.Subject("W"))
	out := h.collect("out")
	h.publish("in", map[string]any{"n": 1})
	eventually(t, func() bool { return len(out()) == 1 && len(records()) >= 4 }, "records %d", len(records()))
	span, ok := trace.Extract(out()[0].Header)
	require.True(t, ok)
	var path []string
	for _, m := range records() {
		var rec trace.Record
		require.NoError(t, json.Unmarshal(m.Data, &rec))
		assert.Equal(t, span.TraceID, rec.TraceID)
		path = append(path, rec.Agent+":"+string(rec.Dir))
	}
	assert.Equal(t, []string{"a:in", "a:out", "b:in", "b:out"}, path)
}
