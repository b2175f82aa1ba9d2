package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumeo/kumeo/engine/metrics"
	"github.com/kumeo/kumeo/engine/trace"
	"github.com/kumeo/kumeo/internal/k8stest"
)

// natsServer starts the server that plays the cluster's NATS: kwok
// forwards the NATS pod's port 4222 to it.
func natsServer(t *testing.T, password string) *server.Server {
	t.Helper()
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, Username: NATSUser, Password: password, NoSigs: true})
	require.NoError(t, err)
	go s.Start()
	require.True(t, s.ReadyForConnections(10*time.Second))
	t.Cleanup(s.Shutdown)
	return s
}

// buildKumeo builds the kumeo command, as the runtime image holds it.
func buildKumeo(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "kumeo")
	cmd := exec.Command("go", "build", "-o", bin, "../cmd/kumeo")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	return bin
}

// latest keeps the newest metrics update and every update as JSON.
type latest struct {
	mu  sync.Mutex
	u   MetricsUpdate
	all bytes.Buffer
}

func (l *latest) set(u MetricsUpdate) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.u = u
	b, _ := json.Marshal(u)
	l.all.Write(b)
}

func (l *latest) agent(id string) (AgentMetrics, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, a := range l.u.Agents {
		if a.Agent == id {
			return a, true
		}
	}
	return AgentMetrics{}, false
}

func eventually(t *testing.T, d time.Duration, cond func() bool, format string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: "+format, append([]any{d}, args...)...)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// The deployed agents' metrics come back through a port-forward via the
// API server: the agents run as kumeo agent processes against the
// cluster's NATS (reached through a port-forward too), events flow, and
// the stream shows every agent's counts; killed agents turn stale.
func TestClusterMetricsStreamBack(t *testing.T) {
	const password = "nats-pw-3b9c41d7"
	ns := natsServer(t, password)
	addr := ns.Addr().String()
	kc := k8stest.Start(t, k8stest.Options{PortForwards: map[int32]string{4222: addr}})
	bin := buildKumeo(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c, err := NewCluster(k8stest.Context, kc.Config)
	require.NoError(t, err)
	f := inDir(t, "screening.kumeo", lifecycleSrc, nil)
	p, err := c.PlanFor(ctx, f, "", Options{NATSPassword: password, LookupEnv: func(n string) (string, bool) { return secretValue, true }})
	require.NoError(t, err)
	var out output
	deployAndWait(t, ctx, c, p, &out)

	var l latest
	var traceMu sync.Mutex
	traced := map[string]int{}
	onTrace := func(r trace.Record) {
		traceMu.Lock()
		defer traceMu.Unlock()
		if r.TraceID != "" && r.Payload != "" {
			traced[r.Agent]++
		}
	}
	wctx, stopWatch := context.WithCancel(ctx)
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		opts := WatchOptions{Interval: 200 * time.Millisecond, StaleAfter: 1500 * time.Millisecond, OnTrace: onTrace}
		_ = c.WatchMetrics(wctx, p, opts, l.set)
	}()
	defer func() { stopWatch(); <-watched }()

	fwd, err := c.PortForward(ctx, p.Namespace, "nats-0", 4222)
	require.NoError(t, err)
	defer fwd.Close()
	var logs []*bytes.Buffer
	var procs []*exec.Cmd
	for _, id := range []string{"validate", "enrich", "route"} {
		cmd := exec.Command(bin, "agent", "--workflow", f.Filename, "--agent", id, "--nats", "nats://"+fwd.Addr, "--listen", "")
		cmd.Env = append(os.Environ(), EnvNATSUser+"="+NATSUser, EnvNATSPassword+"="+password)
		var log bytes.Buffer
		cmd.Stdout, cmd.Stderr = &log, &log
		require.NoError(t, cmd.Start())
		procs, logs = append(procs, cmd), append(logs, &log)
	}
	defer func() {
		for _, p := range procs {
			_ = p.Process.Kill()
			_ = p.Wait()
		}
	}()
	eventually(t, 30*time.Second, func() bool {
		_, a := l.agent("validate")
		_, b := l.agent("enrich")
		_, c := l.agent("route")
		return a && b && c
	}, "every agent reports through the port-forward: %+v", &l.u)

	direct, err := nats.Connect("nats://"+addr, nats.UserInfo(NATSUser, password))
	require.NoError(t, err)
	defer direct.Close()
	arrived := make(chan *nats.Msg, 1000)
	_, err = direct.ChanSubscribe("out.tx", arrived)
	require.NoError(t, err)
	const n = 200
	for i := range n {
		require.NoError(t, direct.Publish("in.tx", fmt.Appendf(nil, `{"id": %d, "amount": %d}`, i, i)))
	}
	require.NoError(t, direct.Flush())
	eventually(t, 30*time.Second, func() bool { return len(arrived) == n }, "%d of %d events arrived", len(arrived), n)
	eventually(t, 10*time.Second, func() bool {
		v, _ := l.agent("validate")
		r, _ := l.agent("route")
		return v.EventsIn == n && r.EventsOut == n
	}, "the cluster metrics count every event: %+v", &l.u)
	eventually(t, 10*time.Second, func() bool {
		traceMu.Lock()
		defer traceMu.Unlock()
		return traced["validate"] > 0 && traced["route"] > 0
	}, "trace records come back too: %v", traced)
	r, _ := l.agent("route")
	assert.Equal(t, 1, r.Replicas)
	assert.False(t, r.Stale)
	assert.Equal(t, "Screening", r.Workflow)
	assert.NotZero(t, r.LatencyMS.P99+r.LatencyMS.Max, "latency reaches the canvas")
	l.mu.Lock()
	assert.True(t, l.u.Connected)
	assert.Contains(t, l.u.Via, "nats-0 through the API server")
	l.mu.Unlock()

	for _, p := range procs {
		require.NoError(t, p.Process.Kill())
	}
	eventually(t, 10*time.Second, func() bool {
		v, _ := l.agent("validate")
		return v.Stale && v.Replicas == 0
	}, "killed agents turn stale")
	v, _ := l.agent("validate")
	assert.Equal(t, uint64(n), v.EventsIn, "a stale agent keeps its last totals")

	// The cluster's NATS restarts: the stream reports the loss, then
	// reconnects by itself through a new port-forward.
	port := ns.Addr().(*net.TCPAddr).Port
	ns.Shutdown()
	ns.WaitForShutdown()
	eventually(t, 20*time.Second, func() bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		return !l.u.Connected && l.u.Error != ""
	}, "the lost connection is reported")
	restarted, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: port, Username: NATSUser, Password: password, NoSigs: true})
	require.NoError(t, err)
	go restarted.Start()
	defer restarted.Shutdown()
	require.True(t, restarted.ReadyForConnections(10*time.Second))
	eventually(t, 30*time.Second, func() bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		return l.u.Connected
	}, "the stream reconnects")

	shown := out.String() + l.all.String()
	for _, b := range logs {
		shown += b.String()
	}
	assert.NotContains(t, shown, password)
	assert.NotContains(t, shown, secretValue)
}

// Replicas of one agent are summed; latency merges by weight.
func TestMergeReplicas(t *testing.T) {
	now := time.Now()
	snap := func(inst string, in uint64, p50, p99 float64, count uint64) metrics.Snapshot {
		return metrics.Snapshot{Workflow: "W", Agent: "a", Instance: inst, EventsIn: in, EventsOut: in, RatePerS: float64(in),
			Pending: int64(in), LatencyMS: metrics.LatencySummary{Count: count, P50: p50, P95: p50, P99: p99, Max: p99}}
	}
	got := merge("a", []seen{
		{snap("x", 10, 1, 5, 1), now},
		{snap("y", 30, 3, 9, 3), now},
		{snap("z", 100, 50, 500, 10), now.Add(-10 * time.Second)}, // stale
	}, now, 3*time.Second)
	assert.Equal(t, 2, got.Replicas)
	assert.False(t, got.Stale)
	assert.Equal(t, uint64(140), got.EventsIn, "totals include the stale replica's")
	assert.Equal(t, 40.0, got.RatePerS, "rates only the live replicas'")
	assert.Equal(t, int64(100), got.Pending)
	assert.InDelta(t, 2.5, got.LatencyMS.P50, 1e-9)
	assert.Equal(t, 9.0, got.LatencyMS.P99)
	assert.Equal(t, uint64(4), got.LatencyMS.Count)
}
