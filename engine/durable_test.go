package engine

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumeo/kumeo/engine/bus"
	"github.com/kumeo/kumeo/engine/bus/bustest"
	"github.com/kumeo/kumeo/engine/flow"
)

type pauseAgent struct{}

func (pauseAgent) Process(ctx context.Context, ev *flow.Event) (flow.Outcome, error) {
	select {
	case <-time.After(time.Millisecond):
	case <-ctx.Done():
	}
	return flow.Outcome{}, nil
}

func init() {
	flow.RegisterAgent("TPause", func(*flow.Config) (flow.Agent, error) { return pauseAgent{}, nil })
}

const durableFlow = `workflow D {
  source: NATS("orders.in")
  target: NATS("orders.out")
  agents: [ TPause(id: "work"), TTag(id: "done") ]
}`

// seen collects the distinct event numbers arriving on a subject of one or
// more buses.
type seen struct {
	mu    sync.Mutex
	n     map[float64]int
	total int
}

func (s *seen) watch(t *testing.T, b *bus.Bus, subject string) {
	nc := bustest.Connect(t, b)
	sub, err := nc.Subscribe(subject, func(m *nats.Msg) {
		var e map[string]any
		if json.Unmarshal(m.Data, &e) != nil {
			return
		}
		s.mu.Lock()
		s.n[e["n"].(float64)]++
		s.total++
		s.mu.Unlock()
	})
	require.NoError(t, err)
	sub.SetPendingLimits(-1, -1)
	require.NoError(t, nc.Flush())
}

func (s *seen) distinct() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.n)
}

func publishDurably(t *testing.T, b *bus.Bus, subject string, n int) {
	nc := bustest.Connect(t, b)
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	for i := 0; i < n; i++ {
		data, _ := json.Marshal(map[string]any{"n": i, "pad": "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"})
		_, err := js.PublishAsync(subject, data)
		require.NoError(t, err)
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(20 * time.Second):
		t.Fatal("publishing did not complete")
	}
}

func startDurable(t *testing.T, b *bus.Bus, dir string, ackWait time.Duration) *Run {
	run, diags, err := Start(context.Background(), parse(t, durableFlow), "", Options{Bus: b, DataDir: dir, AckWait: ackWait, Concurrency: 2})
	require.NoError(t, err, "%v", diags)
	return run
}

func TestDurableEngineRestartLosesNothing(t *testing.T) {
	dir := t.TempDir()
	const n = 1500
	got := &seen{n: map[float64]int{}}

	b1 := bustest.Run(t, bustest.DataDir(dir))
	got.watch(t, b1, "orders.out")
	run1 := startDurable(t, b1, dir, time.Second)
	publishDurably(t, b1, "orders.in", n)
	bustest.Eventually(t, 10*time.Second, func() bool { return got.distinct() >= 100 }, "first run makes progress")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, run1.Stop(ctx))
	l1 := run1.Ledger()
	assert.True(t, l1.Balanced(), "%+v", l1)
	assert.Less(t, got.distinct(), n, "the first run was stopped mid-stream")
	bustest.Shutdown(t, b1)

	// A new server on the same data directory, a new run: the rest arrives.
	b2 := bustest.Run(t, bustest.DataDir(dir))
	got.watch(t, b2, "orders.out")
	run2 := startDurable(t, b2, dir, time.Second)
	t.Cleanup(func() { run2.Stop(context.Background()) })
	bustest.Eventually(t, 30*time.Second, func() bool { return got.distinct() == n }, "all %d events delivered across the restart (got %d)", n, got.distinct())
	bustest.Eventually(t, 10*time.Second, run2.Idle, "second run settles")
	l2 := run2.Ledger()
	assert.True(t, l2.Balanced(), "%+v", l2)
	for _, s := range run2.Snapshots() {
		assert.NoError(t, s.Ledger().Check(), s.Agent)
	}
}

func TestDurableSubscriberKilledMidStream(t *testing.T) {
	dir := t.TempDir()
	const n = 800
	got := &seen{n: map[float64]int{}}
	b := bustest.Run(t, bustest.DataDir(dir))
	got.watch(t, b, "orders.out")
	run1 := startDurable(t, b, dir, 300*time.Millisecond)
	publishDurably(t, b, "orders.in", n)
	bustest.Eventually(t, 10*time.Second, func() bool { return got.distinct() >= 50 }, "first run makes progress")
	run1.abort() // killed: no drain, no acks, no naks

	run2 := startDurable(t, b, dir, 300*time.Millisecond)
	t.Cleanup(func() { run2.Stop(context.Background()) })
	bustest.Eventually(t, 30*time.Second, func() bool { return got.distinct() == n }, "every event delivered after the kill (got %d of %d)", got.distinct(), n)
	bustest.Eventually(t, 10*time.Second, run2.Idle, "second run settles")
	assert.True(t, run2.Ledger().Balanced(), "%+v", run2.Ledger())
}
