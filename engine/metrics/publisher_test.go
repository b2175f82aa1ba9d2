package metrics_test

import (
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumeo/kumeo/engine/bus/bustest"
	"github.com/kumeo/kumeo/engine/metrics"
)

func TestNewAgentValidatesNames(t *testing.T) {
	for _, tc := range []struct{ workflow, agent string }{
		{"", "a"}, {"wf", ""}, {"w.f", "a"}, {"wf", "a*"}, {"wf", ">"}, {"wf", "a b"},
	} {
		_, err := metrics.NewAgent(tc.workflow, tc.agent)
		require.ErrorIs(t, err, metrics.ErrInvalidName, "%q/%q", tc.workflow, tc.agent)
	}
	a, err := metrics.NewAgent("orders", "fraud_check")
	require.NoError(t, err)
	assert.Equal(t, "kumeo.metrics.orders.fraud_check", a.Subject())
	assert.Equal(t, "orders", a.Workflow())
	assert.Equal(t, "fraud_check", a.Name())
}

// TestSnapshotJSONMatchesSchema checks that the JSON field names are the
// documented snake_case ones and that the embedded schema lists exactly
// those fields.
func TestSnapshotJSONMatchesSchema(t *testing.T) {
	a, err := metrics.NewAgent("wf", "agent")
	require.NoError(t, err)
	a.Received()
	a.Latency.Record(1500 * time.Microsecond)
	data, err := json.Marshal(a.Snapshot(time.UnixMilli(1700000000123)))
	require.NoError(t, err)

	var got map[string]any
	require.NoError(t, json.Unmarshal(data, &got))
	want := []string{"workflow", "agent", "ts", "events_in", "events_out", "filtered", "dead_lettered",
		"errors", "retries", "in_flight", "pending", "rate_per_s", "latency_ms"}
	assert.ElementsMatch(t, want, slices.Collect(maps.Keys(got)))
	assert.ElementsMatch(t, []string{"count", "p50", "p95", "p99", "max"},
		slices.Collect(maps.Keys(got["latency_ms"].(map[string]any))))
	assert.Equal(t, 1700000000123.0, got["ts"])
	assert.Equal(t, 1.0, got["in_flight"])

	var schema struct {
		Required   []string `json:"required"`
		Properties map[string]struct {
			Required   []string       `json:"required"`
			Properties map[string]any `json:"properties"`
		} `json:"properties"`
	}
	require.NoError(t, json.Unmarshal(metrics.SnapshotSchema, &schema))
	assert.ElementsMatch(t, want, schema.Required)
	// instance is optional: only replicated agents name theirs.
	assert.ElementsMatch(t, append(want, "instance"), slices.Collect(maps.Keys(schema.Properties)))
	lat := schema.Properties["latency_ms"]
	assert.ElementsMatch(t, []string{"count", "p50", "p95", "p99", "max"}, lat.Required)
	assert.ElementsMatch(t, lat.Required, slices.Collect(maps.Keys(lat.Properties)))

	// Every tag is snake_case.
	for _, typ := range []reflect.Type{reflect.TypeOf(metrics.Snapshot{}), reflect.TypeOf(metrics.LatencySummary{})} {
		for f := range typ.Fields() {
			tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			assert.Equal(t, strings.ToLower(tag), tag, "%s.%s", typ.Name(), f.Name)
		}
	}
}

func TestSnapshotValues(t *testing.T) {
	a, err := metrics.NewAgent("wf", "a")
	require.NoError(t, err)
	for range 5 {
		a.Received()
	}
	a.Emitted()
	a.Filtered()
	a.DeadLettered()
	a.Failed()
	a.Retried()
	pending := int64(42)
	a.SetPendingFunc(func() int64 { return pending })
	for range 99 {
		a.Latency.Record(2 * time.Millisecond)
	}
	a.Latency.Record(80 * time.Millisecond)

	now := time.UnixMilli(1234)
	s := a.Snapshot(now)
	assert.Equal(t, metrics.Snapshot{
		Workflow: "wf", Agent: "a", TS: 1234,
		EventsIn: 5, EventsOut: 1, Filtered: 1, DeadLettered: 1, Errors: 1, Retries: 1,
		InFlight: 2, Pending: 42,
		LatencyMS: metrics.LatencySummary{Count: 100, P50: s.LatencyMS.P50, P95: s.LatencyMS.P95, P99: s.LatencyMS.P99, Max: 80},
	}, s)
	for _, q := range []float64{s.LatencyMS.P50, s.LatencyMS.P95, s.LatencyMS.P99} {
		assert.InDelta(t, 2.0, q, 2.0*metrics.RelativeError+0.001)
	}
	require.NoError(t, s.Ledger().Check())

	a.SetPendingFunc(nil)
	a.SetPending(3)
	assert.Equal(t, int64(3), a.Snapshot(now).Pending)
}

// collector gathers snapshots from a NATS subscription.
type collector struct {
	mu    sync.Mutex
	snaps []metrics.Snapshot
	errs  []error
}

func (c *collector) handle(m *nats.Msg) {
	var s metrics.Snapshot
	err := json.Unmarshal(m.Data, &s)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil || m.Subject != metrics.Subject(s.Workflow, s.Agent) {
		c.errs = append(c.errs, err)
		return
	}
	c.snaps = append(c.snaps, s)
}

func (c *collector) latest(agent string) (metrics.Snapshot, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var last metrics.Snapshot
	n := 0
	for _, s := range c.snaps {
		if s.Agent == agent {
			last, n = s, n+1
		}
	}
	return last, n
}

func TestPublisherOverNATS(t *testing.T) {
	b := bustest.Run(t)
	sub := bustest.Connect(t, b)
	var col collector
	_, err := sub.Subscribe(metrics.SubjectAll, col.handle)
	require.NoError(t, err)
	require.NoError(t, sub.Flush())

	src, err := metrics.NewAgent("orders", "source")
	require.NoError(t, err)
	check, err := metrics.NewAgent("orders", "check")
	require.NoError(t, err)

	pub := metrics.NewPublisher(bustest.Connect(t, b), metrics.PublisherOptions{Interval: 10 * time.Millisecond})
	require.NoError(t, pub.Register(src))
	require.NoError(t, pub.Register(check))
	require.ErrorIs(t, pub.Register(src), metrics.ErrDuplicateAgent)
	require.NoError(t, pub.Start())
	require.ErrorIs(t, pub.Start(), metrics.ErrPublisherState)

	for range 10 {
		check.Received()
		check.Latency.Record(time.Millisecond)
	}
	for range 9 {
		check.Emitted()
	}
	bustest.Soon(t, func() bool {
		s, _ := col.latest("check")
		return s.EventsIn == 10 && s.EventsOut == 9
	}, "snapshot with the recorded counts published")
	s, _ := col.latest("check")
	assert.Equal(t, "orders", s.Workflow)
	assert.Equal(t, int64(1), s.InFlight)
	require.NoError(t, s.Ledger().Check())

	// Snapshots keep coming at the interval, for idle agents too.
	_, before := col.latest("source")
	bustest.Soon(t, func() bool {
		_, n := col.latest("source")
		return n >= before+3
	}, "periodic snapshots")

	// Stop publishes the final state.
	check.Emitted()
	pub.Unregister(src)
	require.NoError(t, pub.Stop())
	require.ErrorIs(t, pub.Stop(), metrics.ErrPublisherState)
	require.NoError(t, sub.Flush())
	bustest.Soon(t, func() bool {
		s, _ := col.latest("check")
		return s.InFlight == 0 && s.EventsOut == 10
	}, "final snapshot after Stop")

	col.mu.Lock()
	defer col.mu.Unlock()
	assert.Empty(t, col.errs)
}

func TestPublisherIntervalsAndRate(t *testing.T) {
	clock := time.Unix(5000, 0)
	now := func() time.Time { return clock }
	a, err := metrics.NewAgent("wf", "a")
	require.NoError(t, err)
	p := metrics.NewPublisher(nil, metrics.PublisherOptions{Now: now, RateWindow: 10 * time.Second})
	require.NoError(t, p.Register(a))

	for range 100 {
		a.Received()
		a.Emitted()
		a.Latency.Record(10 * time.Millisecond)
	}
	first := p.Collect()
	require.Len(t, first, 1)
	assert.Equal(t, uint64(100), first[0].LatencyMS.Count)
	assert.InDelta(t, 10.0, first[0].LatencyMS.P99, 10*metrics.RelativeError+0.001)
	assert.Zero(t, first[0].RatePerS)

	clock = clock.Add(time.Second)
	for range 50 {
		a.Received()
		a.Emitted()
		a.Latency.Record(time.Millisecond)
	}
	second := p.Collect()[0]
	assert.Equal(t, uint64(50), second.LatencyMS.Count, "latency covers only the new interval")
	assert.InDelta(t, 1.0, second.LatencyMS.P99, 1*metrics.RelativeError+0.001)
	assert.InDelta(t, 1.0, second.LatencyMS.Max, 1.0/32+0.001)
	assert.InDelta(t, 50.0, second.RatePerS, 1e-9)
	assert.Equal(t, time.Unix(5001, 0).UnixMilli(), second.TS)

	clock = clock.Add(time.Second)
	idle := p.Collect()[0]
	assert.Equal(t, metrics.LatencySummary{}, idle.LatencyMS, "no events finished: empty latency")
	assert.InDelta(t, 25.0, idle.RatePerS, 1e-9)
	assert.Equal(t, uint64(150), idle.EventsIn)
}

// A replica's publisher names its process in every snapshot; a local one
// names none.
func TestPublisherInstance(t *testing.T) {
	for _, inst := range []string{"screening-enrich-7d9f-x2k4q", ""} {
		p := metrics.NewPublisher(nil, metrics.PublisherOptions{Instance: inst})
		a, err := metrics.NewAgent("wf", "a")
		require.NoError(t, err)
		require.NoError(t, p.Register(a))
		snaps := p.Collect()
		require.Len(t, snaps, 1)
		assert.Equal(t, inst, snaps[0].Instance)
		data, err := json.Marshal(snaps[0])
		require.NoError(t, err)
		assert.Equal(t, inst != "", strings.Contains(string(data), `"instance"`))
	}
}
