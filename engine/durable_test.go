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
	testAgent("TPause", func(*flow.Config) (flow.Agent, error) { return pauseAgent{}, nil })
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
	run, err := Start(context.Background(), parse(t, durableFlow), "", Options{Bus: b, DataDir: dir, AckWait: ackWait, Concurrency: 2})
	require.NoError(t, err)
	return run
}

// midStream runs durableFlow on a new bus with a data directory, publishes
// n events into its stream and returns once at least progress of them are
// handled, with what the flow's target received so far.
func midStream(t *testing.T, n int, ackWait time.Duration, progress int) (b *bus.Bus, dir string, got *seen, run *Run) {
	dir = t.TempDir()
	got = &seen{n: map[float64]int{}}
	b = bustest.Run(t, bustest.DataDir(dir))
	got.watch(t, b, "orders.out")
	run = startDurable(t, b, dir, ackWait)
	t.Cleanup(func() { run.Stop(context.Background()) })
	publishDurably(t, b, "orders.in", n)
	bustest.Eventually(t, 10*time.Second, func() bool { return got.distinct() >= progress }, "the first run makes progress")
	return b, dir, got, run
}

func TestDurableEngineRestartLosesNothing(t *testing.T) {
	const n = 1500
	b1, dir, got, run1 := midStream(t, n, time.Second, 100)
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
	const n = 800
	b, dir, got, run1 := midStream(t, n, 300*time.Millisecond, 50)
	run1.abort() // killed: no drain, no acks, no naks

	run2 := startDurable(t, b, dir, 300*time.Millisecond)
	t.Cleanup(func() { run2.Stop(context.Background()) })
	bustest.Eventually(t, 30*time.Second, func() bool { return got.distinct() == n }, "every event delivered after the kill (got %d of %d)", got.distinct(), n)
	bustest.Eventually(t, 10*time.Second, run2.Idle, "second run settles")
	assert.True(t, run2.Ledger().Balanced(), "%+v", run2.Ledger())
}

// consumerState reads the durable consumer of durableFlow's source.
func consumerState(t *testing.T, b *bus.Bus) *jetstream.ConsumerInfo {
	js, err := jetstream.New(bustest.Connect(t, b))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := js.Consumer(ctx, streamName("D"), "kumeo-kumeo-D-source")
	require.NoError(t, err)
	info, err := c.Info(ctx)
	require.NoError(t, err)
	return info
}

// countAcks counts what is sent to the acks subjects of durableFlow's stream.
func countAcks(t *testing.T, b *bus.Bus) func() (acks, progress int) {
	var a, p int
	nc := bustest.Connect(t, b)
	sub, err := nc.SubscribeSync("$JS.ACK." + streamName("D") + ".>")
	require.NoError(t, err)
	require.NoError(t, sub.SetPendingLimits(-1, -1))
	require.NoError(t, nc.Flush())
	return func() (int, int) {
		// After the round trip every ack the server has handled so far is
		// queued here.
		require.NoError(t, nc.Flush())
		for {
			queued, _, err := sub.Pending()
			require.NoError(t, err)
			if queued == 0 {
				return a, p
			}
			m, err := sub.NextMsg(time.Second)
			require.NoError(t, err)
			switch string(m.Data) {
			case "+ACK":
				a++
			case "+WPI":
				p++
			}
		}
	}
}

// waitAcked waits until the acks of durableFlow's consumer cover its first
// n messages and none is pending.
func waitAcked(t *testing.T, b *bus.Bus, n int) {
	bustest.Eventually(t, 10*time.Second, func() bool {
		info := consumerState(t, b)
		return info.AckFloor.Stream == uint64(n) && info.NumAckPending == 0
	}, "the acks cover every message")
}

// handleAll runs durableFlow on n events published to its stream until
// they are handled and acked, and returns how many acks were sent.
func handleAll(t *testing.T, b *bus.Bus, dir string, n int) int {
	got := &seen{n: map[float64]int{}}
	got.watch(t, b, "orders.out")
	acks := countAcks(t, b)
	run := startDurable(t, b, dir, 30*time.Second)
	t.Cleanup(func() { run.Stop(context.Background()) })
	publishDurably(t, b, "orders.in", n)
	bustest.Eventually(t, 30*time.Second, func() bool { return got.distinct() == n }, "all events handled (got %d)", got.distinct())
	waitAcked(t, b, n)
	a, _ := acks()
	return a
}

func TestDurableAcksInBatchesUpToTheLastHandled(t *testing.T) {
	dir := t.TempDir()
	const n = 3000
	a := handleAll(t, bustest.Run(t, bustest.DataDir(dir)), dir, n)
	assert.Less(t, a, n/4, "one ack covers many messages")
	assert.Positive(t, a)
}

func TestDurableKeepsAConsumerWithPerMessageAcks(t *testing.T) {
	dir := t.TempDir()
	const n = 500
	b := bustest.Run(t, bustest.DataDir(dir))
	js, err := jetstream.New(bustest.Connect(t, b))
	require.NoError(t, err)
	ctx := context.Background()
	stream, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: streamName("D"), Subjects: []string{"orders.in"}, Storage: jetstream.FileStorage})
	require.NoError(t, err)
	_, err = stream.CreateConsumer(ctx, jetstream.ConsumerConfig{Durable: "kumeo-kumeo-D-source", AckPolicy: jetstream.AckExplicitPolicy})
	require.NoError(t, err)

	assert.Equal(t, n, handleAll(t, b, dir, n), "one ack per message")
	assert.Equal(t, jetstream.AckExplicitPolicy, consumerState(t, b).Config.AckPolicy)
}

// longAgent takes twice the tests' ack wait (1 s) for every event.
type longAgent struct{}

func (longAgent) Process(ctx context.Context, ev *flow.Event) (flow.Outcome, error) {
	select {
	case <-time.After(2 * time.Second):
	case <-ctx.Done():
	}
	return flow.Outcome{}, nil
}

func init() {
	testAgent("TLong", func(*flow.Config) (flow.Agent, error) { return longAgent{}, nil })
}

func TestDurableSlowEventsAreNotDeliveredTwice(t *testing.T) {
	dir := t.TempDir()
	const n = 6
	got := &seen{n: map[float64]int{}}
	b := bustest.Run(t, bustest.DataDir(dir))
	got.watch(t, b, "orders.out")
	acks := countAcks(t, b)
	// Each event takes 2 s, twice the ack wait of 1 s; with two workers the
	// last ones wait 4 s for theirs. The ack wait leaves a loaded machine
	// half a second of slack for each progress signal.
	slow := `workflow D {
  source: NATS("orders.in")
  target: NATS("orders.out")
  agents: [ TLong(id: "work") ]
}`
	run, err := Start(context.Background(), parse(t, slow), "", Options{Bus: b, DataDir: dir, AckWait: time.Second, Concurrency: 2})
	require.NoError(t, err)
	t.Cleanup(func() { run.Stop(context.Background()) })
	publishDurably(t, b, "orders.in", n)
	bustest.Eventually(t, 20*time.Second, func() bool { return got.distinct() == n }, "all events handled (got %d)", got.distinct())
	bustest.Eventually(t, 10*time.Second, func() bool { return consumerState(t, b).AckFloor.Stream == n }, "every message acked")
	got.mu.Lock()
	total := got.total
	got.mu.Unlock()
	assert.Equal(t, n, total, "no event was delivered again while it was being handled")
	assert.Zero(t, consumerState(t, b).NumRedelivered)
	_, p := acks()
	assert.Positive(t, p, "progress was signalled")
}

// A reload that changes the sources replaces the durable input; the new one
// shares the consumer's single reader with the old one while both exist, so
// the cumulative acks still never pass an unfinished message.
func TestDurableReloadUnderLoadLosesNothing(t *testing.T) {
	const n = 2000
	b, _, got, run := midStream(t, n, 30*time.Second, 100)

	edited := `workflow D {
  source: [ NATS("orders.in"), NATS("orders.extra") ]
  target: NATS("orders.out")
  agents: [ TPause(id: "work"), TTag(id: "done") ]
}`
	_, err := run.Reload(context.Background(), parse(t, edited), "")
	require.NoError(t, err)
	require.Len(t, run.inputs.durables, 1, "one reader for the consumer")
	assert.Less(t, got.distinct(), n, "reloaded mid-stream")

	bustest.Eventually(t, 30*time.Second, func() bool { return got.distinct() == n }, "all events handled across the reload (got %d)", got.distinct())
	waitAcked(t, b, n)
	bustest.Eventually(t, 10*time.Second, run.Idle, "the run settles")
	assert.True(t, run.Ledger().Balanced(), "%+v", run.Ledger())
}

// A delivery lost between the server and the reader (the client drops
// messages when a pull's buffer is full) must not be covered by a
// cumulative ack of the messages after it: the reader notices the gap in
// the consumer's delivery numbers and reads again from the ack floor.
func TestDurableLostDeliveryIsReadAgain(t *testing.T) {
	var dropped sync.Map
	dropDelivery = func(seq uint64) bool {
		// Once each: one delivery early on, and a run of them later.
		if seq == 37 || (seq >= 700 && seq < 720) {
			_, again := dropped.LoadOrStore(seq, true)
			return !again
		}
		return false
	}
	t.Cleanup(func() { dropDelivery = nil })

	const n = 2000
	dir := t.TempDir()
	got := &seen{n: map[float64]int{}}
	b := bustest.Run(t, bustest.DataDir(dir))
	got.watch(t, b, "orders.out")
	run := startDurable(t, b, dir, time.Minute)
	t.Cleanup(func() { run.Stop(context.Background()) })
	publishDurably(t, b, "orders.in", n)

	// The ack wait is a minute: every event arriving within the test's
	// time came from reading again, not from JetStream's redelivery.
	bustest.Eventually(t, 20*time.Second, func() bool { return got.distinct() == n }, "every event arrives")
	bustest.Eventually(t, 10*time.Second, func() bool {
		p, err := run.Pending(context.Background())
		return err == nil && p == 0
	}, "nothing is left pending")
	var gaps uint64
	run.inputs.mu.Lock()
	for _, d := range run.inputs.durables {
		gaps += d.gaps.Load()
	}
	run.inputs.mu.Unlock()
	assert.GreaterOrEqual(t, gaps, uint64(2), "both losses were noticed")
}
