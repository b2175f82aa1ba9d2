// Package bench holds the engine benchmark: the comparison program is
// cmd/enginebench (make bench-engine); these tests check that the Kumeo
// workflow and the Go baseline route every generated event where the
// workload says, and the benchmarks give the engine's closed-loop
// throughput under go test -bench.
package bench

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumeo/kumeo/bench/internal/baseline"
	"github.com/kumeo/kumeo/bench/internal/loadgen"
	"github.com/kumeo/kumeo/bench/internal/workload"
	"github.com/kumeo/kumeo/dsl"
	"github.com/kumeo/kumeo/engine"
	"github.com/kumeo/kumeo/engine/bus"
)

const workflowFile = "../examples/fraud_bench.kumeo"

func startBus(t testing.TB, tcp bool) *bus.Bus {
	t.Helper()
	o := bus.Options{}
	if tcp {
		o.Listen, o.PreferTCP = "127.0.0.1:0", true
	}
	b, err := bus.New(o)
	require.NoError(t, err)
	require.NoError(t, b.Start())
	require.NoError(t, b.Ready(30*time.Second))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = b.Shutdown(ctx)
	})
	return b
}

func startEngine(t testing.TB, b *bus.Bus) *engine.Run {
	t.Helper()
	src, err := os.ReadFile(workflowFile)
	require.NoError(t, err)
	f, diags := dsl.Parse(workflowFile, src)
	require.False(t, diags.HasErrors(), "%v", diags)
	run, err := engine.Start(context.Background(), f, workload.Workflow, engine.Options{Bus: b})
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = run.Stop(ctx)
	})
	return run
}

func startBaseline(t testing.TB, b *bus.Bus) {
	t.Helper()
	p, err := baseline.Start(func() (*nats.Conn, error) { return b.Connect() })
	require.NoError(t, err)
	t.Cleanup(p.Stop)
}

// checkRoutes publishes every template once and waits until each has
// arrived exactly once, at the target (or the dead-letter subject) the
// workload expects.
func checkRoutes(t *testing.T, nc *nats.Conn) {
	ts := workload.Templates(1000, 11)
	var mu sync.Mutex
	got := map[int][]workload.Route{}
	subjects := map[workload.Route]string{workload.Dead: workload.DLQSubject}
	for i, s := range workload.TargetSubjects {
		subjects[workload.Route(i)] = s
	}
	for r, subject := range subjects {
		sub, err := nc.Subscribe(subject, func(m *nats.Msg) {
			slot, _, ok := workload.ParseID(m.Data)
			assert.True(t, ok, "%s: %s", subject, m.Data)
			mu.Lock()
			got[slot] = append(got[slot], r)
			mu.Unlock()
		})
		require.NoError(t, err)
		require.NoError(t, sub.SetPendingLimits(-1, -1))
	}
	require.NoError(t, nc.Flush())
	for i, tpl := range ts {
		b := append([]byte(nil), tpl.JSON...)
		workload.PutID(b[workload.IDOff:], i, uint64(i))
		require.NoError(t, nc.Publish(workload.SourceSubject, b))
	}
	require.NoError(t, nc.Flush())
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) == len(ts)
	}, 30*time.Second, 10*time.Millisecond, "every event arrives")
	time.Sleep(50 * time.Millisecond) // a duplicate would arrive by now
	mu.Lock()
	defer mu.Unlock()
	for i, tpl := range ts {
		assert.Equal(t, []workload.Route{tpl.Want}, got[i], "event %d: %s", i, tpl.JSON)
	}
}

func TestEngineRoutesLikeExpected(t *testing.T) {
	b := startBus(t, false)
	run := startEngine(t, b)
	nc, err := b.Connect()
	require.NoError(t, err)
	checkRoutes(t, nc)
	require.Eventually(t, run.Idle, 10*time.Second, 10*time.Millisecond)
	l := run.Ledger()
	assert.True(t, l.Balanced(), "%+v", l)
	assert.EqualValues(t, 1000, l.In)
}

func TestBaselineRoutesLikeExpected(t *testing.T) {
	b := startBus(t, false)
	startBaseline(t, b)
	nc, err := b.Connect()
	require.NoError(t, err)
	checkRoutes(t, nc)
}

// benchLoop runs a closed loop of 1000 events in flight for b.N events.
func benchLoop(b *testing.B, nc *nats.Conn) {
	opts := loadgen.Options{InFlight: 1000, Warmup: 500 * time.Millisecond, Duration: 10 * time.Minute,
		Events: uint64(b.N), Templates: workload.Templates(4096, 1),
		OnMeasure: func(start bool) {
			if start {
				b.ResetTimer()
			} else {
				b.StopTimer()
			}
		}}
	res, err := loadgen.RunNATS(nc, opts)
	require.NoError(b, err)
	b.ReportMetric(res.EPS, "events/s")
	b.ReportMetric(res.P50ms, "p50-ms")
	b.ReportMetric(res.P99ms, "p99-ms")
	if res.Mismatched+res.Unknown > 0 {
		b.Fatalf("%d misrouted, %d unknown", res.Mismatched, res.Unknown)
	}
}

// BenchmarkEngine is variant (a) of make bench-engine under go test.
func BenchmarkEngine(b *testing.B) {
	for _, tc := range []struct {
		name string
		tcp  bool
	}{{"inproc", false}, {"tcp", true}} {
		b.Run(tc.name, func(b *testing.B) {
			bs := startBus(b, tc.tcp)
			startEngine(b, bs)
			nc, err := bs.Connect()
			require.NoError(b, err)
			benchLoop(b, nc)
		})
	}
}

// BenchmarkBaseline is variant (c) of make bench-engine under go test.
func BenchmarkBaseline(b *testing.B) {
	bs := startBus(b, true)
	startBaseline(b, bs)
	nc, err := bs.Connect()
	require.NoError(b, err)
	benchLoop(b, nc)
}
