package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/kumeo/kumeo/dsl/subject"
	"github.com/kumeo/kumeo/engine/metrics"
	"github.com/kumeo/kumeo/engine/trace"
)

// AgentMetrics is one agent's metrics in the cluster: the snapshots of
// its replicas summed (counters, in-flight events and rates), pending
// taken as the largest (replicas share one consumer), and latency merged:
// p50 and p95 weighted by the events each replica finished, p99 and max
// the largest. Stale means no replica has reported for a while.
type AgentMetrics struct {
	metrics.Snapshot
	Replicas int  `json:"replicas"`
	Stale    bool `json:"stale"`
}

// MetricsUpdate is what the deployed workflow reports now.
type MetricsUpdate struct {
	Agents    []AgentMetrics `json:"agents"`
	Connected bool           `json:"connected"`
	// Via says how the cluster's NATS is reached.
	Via string `json:"via,omitempty"`
	// Error is why the stream is not connected; it reconnects by itself.
	Error string `json:"error,omitempty"`
	// AgeMS is how old the newest snapshot is (-1 before the first).
	AgeMS int64 `json:"age_ms"`
}

// WatchOptions tune WatchMetrics.
type WatchOptions struct {
	// Interval between updates; 0 means 500 ms.
	Interval time.Duration
	// StaleAfter marks a replica stale when it has not reported for this
	// long; 0 means 3 s. Replicas silent for ten times longer are dropped.
	StaleAfter time.Duration
	// NATSURL connects there instead of port-forwarding to the workflow's
	// NATS pod (a NATS the desktop reaches directly).
	NATSURL string
	// OnTrace, when set, receives the trace records the deployed agents
	// publish (sampled events and dead letters), the records the local
	// engine's inspector shows. It must not block.
	OnTrace func(trace.Record)
}

func (o WatchOptions) withDefaults() WatchOptions {
	if o.Interval <= 0 {
		o.Interval = 500 * time.Millisecond
	}
	if o.StaleAfter <= 0 {
		o.StaleAfter = 3 * time.Second
	}
	return o
}

// WatchMetrics streams the deployed workflow's metrics to fn every
// interval until ctx ends: it port-forwards through the API server to a
// ready pod of the workflow's NATS (or connects to its external server),
// authenticates with the workflow's NATS credentials and subscribes to
// the agents' metrics snapshots, the same ones the local engine emits.
// When the connection fails it reports the error, marks agents stale as
// their data ages, and reconnects with backoff.
func (c *Cluster) WatchMetrics(ctx context.Context, p *Plan, opts WatchOptions, fn func(MetricsUpdate)) error {
	opts = opts.withDefaults()
	agg := &aggregator{opts: opts, agents: map[string]map[string]seen{}}
	backoff := 500 * time.Millisecond
	for ctx.Err() == nil {
		nc, via, closeFn, err := c.metricsConn(ctx, p, opts)
		if err == nil {
			backoff = 500 * time.Millisecond
			err = agg.stream(ctx, nc, p.Name, via, fn)
			closeFn()
		}
		if ctx.Err() != nil {
			break
		}
		fn(agg.update(time.Now(), false, via, err))
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 10*time.Second)
	}
	return nil
}

// metricsConn connects to the workflow's NATS; closeFn ends the
// connection and any port-forward.
func (c *Cluster) metricsConn(ctx context.Context, p *Plan, opts WatchOptions) (*nats.Conn, string, func(), error) {
	url, via, user, pass := opts.NATSURL, "", "", ""
	var fwd *Forward
	if url == "" && p.NATSURL != "" {
		url, via = p.NATSURL, "the workflow's external NATS "+p.NATSURL
	}
	if url == "" {
		pod, err := c.readyPod(ctx, p.Namespace, LabelWorkflow+"="+p.Workflow+","+LabelComponent+"=nats")
		if err != nil {
			return nil, "", nil, err
		}
		if fwd, err = c.PortForward(ctx, p.Namespace, pod, 4222); err != nil {
			return nil, "", nil, err
		}
		url, via = "nats://"+fwd.Addr, "pod "+pod+" through the API server"
	} else if via == "" {
		via = url
	}
	user, err := c.liveSecret(ctx, p.Namespace, NATSSecretName(p.Workflow), SecretKeyNATSUser)
	if err == nil {
		pass, err = c.liveSecret(ctx, p.Namespace, NATSSecretName(p.Workflow), SecretKeyNATSPassword)
	}
	closeFwd := func() {
		if fwd != nil {
			fwd.Close()
		}
	}
	if err != nil {
		closeFwd()
		return nil, via, nil, err
	}
	// A forward can fail half-open (the far side gone, the local socket
	// not told): pings find that out within seconds.
	nopts := []nats.Option{nats.Name("kumeo metrics"), nats.NoReconnect(), nats.Timeout(5 * time.Second),
		nats.PingInterval(2 * time.Second), nats.MaxPingsOutstanding(2)}
	if user != "" {
		nopts = append(nopts, nats.UserInfo(user, pass))
	}
	nc, err := nats.Connect(url, nopts...)
	if err != nil {
		closeFwd()
		return nil, via, nil, fmt.Errorf("connect to the workflow's NATS (%s): %w", via, err)
	}
	if fwd != nil {
		go func() { <-fwd.Done(); nc.Close() }()
	}
	return nc, via, func() { nc.Close(); closeFwd() }, nil
}

// seen is a replica's last snapshot and when it arrived.
type seen struct {
	s  metrics.Snapshot
	at time.Time
}

type aggregator struct {
	opts   WatchOptions
	mu     sync.Mutex
	agents map[string]map[string]seen // agent -> instance -> last
	last   time.Time
}

// stream subscribes on nc and reports every interval until the
// connection closes or ctx ends.
func (a *aggregator) stream(ctx context.Context, nc *nats.Conn, workflow, via string, fn func(MetricsUpdate)) error {
	closed := make(chan struct{})
	nc.SetClosedHandler(func(*nats.Conn) { close(closed) })
	sub, err := nc.Subscribe(subject.WorkflowMetrics(workflow), func(m *nats.Msg) {
		var s metrics.Snapshot
		if json.Unmarshal(m.Data, &s) == nil && s.Agent != "" {
			a.add(s, time.Now())
		}
	})
	if err == nil && a.opts.OnTrace != nil {
		var tsub *nats.Subscription
		tsub, err = nc.Subscribe(trace.Subject(workflow), func(m *nats.Msg) {
			var r trace.Record
			if json.Unmarshal(m.Data, &r) == nil {
				a.opts.OnTrace(r)
			}
		})
		if err == nil {
			defer tsub.Unsubscribe()
		}
	}
	if err == nil {
		err = nc.Flush()
	}
	if err != nil {
		return fmt.Errorf("subscribe to the workflow's metrics: %w", err)
	}
	defer sub.Unsubscribe()
	tick := time.NewTicker(a.opts.Interval)
	defer tick.Stop()
	fn(a.update(time.Now(), true, via, nil))
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-closed:
			if err := nc.LastError(); err != nil {
				return fmt.Errorf("the connection to the workflow's NATS closed: %w", err)
			}
			return fmt.Errorf("the connection to the workflow's NATS (%s) closed", via)
		case <-tick.C:
			fn(a.update(time.Now(), true, via, nil))
		}
	}
}

func (a *aggregator) add(s metrics.Snapshot, now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	m := a.agents[s.Agent]
	if m == nil {
		m = map[string]seen{}
		a.agents[s.Agent] = m
	}
	m[s.Instance] = seen{s: s, at: now}
	a.last = now
}

// update merges the replicas of every agent as of now.
func (a *aggregator) update(now time.Time, connected bool, via string, err error) MetricsUpdate {
	a.mu.Lock()
	defer a.mu.Unlock()
	u := MetricsUpdate{Connected: connected, Via: via, AgeMS: -1}
	if err != nil {
		u.Error = err.Error()
	}
	if !a.last.IsZero() {
		u.AgeMS = now.Sub(a.last).Milliseconds()
	}
	for agent, replicas := range a.agents {
		var list []seen
		for inst, r := range replicas {
			if now.Sub(r.at) > 10*a.opts.StaleAfter {
				delete(replicas, inst)
				continue
			}
			list = append(list, r)
		}
		if len(list) > 0 {
			u.Agents = append(u.Agents, merge(agent, list, now, a.opts.StaleAfter))
		}
	}
	sort.Slice(u.Agents, func(i, j int) bool { return u.Agents[i].Agent < u.Agents[j].Agent })
	return u
}

func merge(agent string, list []seen, now time.Time, staleAfter time.Duration) AgentMetrics {
	out := AgentMetrics{Snapshot: metrics.Snapshot{Agent: agent}, Stale: true}
	var weight uint64
	for _, r := range list {
		s := r.s
		out.Workflow = s.Workflow
		out.TS = max(out.TS, s.TS)
		out.EventsIn += s.EventsIn
		out.EventsOut += s.EventsOut
		out.Filtered += s.Filtered
		out.DeadLettered += s.DeadLettered
		out.Errors += s.Errors
		out.Retries += s.Retries
		out.InFlight += s.InFlight
		out.Pending = max(out.Pending, s.Pending)
		if now.Sub(r.at) > staleAfter {
			continue // its totals count; its rate and latency are old
		}
		out.Replicas++
		out.Stale = false
		out.RatePerS += s.RatePerS
		l := s.LatencyMS
		out.LatencyMS.Count += l.Count
		out.LatencyMS.P50 += l.P50 * float64(l.Count)
		out.LatencyMS.P95 += l.P95 * float64(l.Count)
		out.LatencyMS.P99 = max(out.LatencyMS.P99, l.P99)
		out.LatencyMS.Max = max(out.LatencyMS.Max, l.Max)
		weight += l.Count
	}
	if weight > 0 {
		out.LatencyMS.P50 /= float64(weight)
		out.LatencyMS.P95 /= float64(weight)
	}
	return out
}
