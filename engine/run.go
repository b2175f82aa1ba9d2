// Package engine runs Kumeo workflows on NATS: it compiles a workflow into
// a plan, binds its sources and targets, and drives its agents with exact
// per-agent metrics, traces and error handling. Consecutive agents of one
// process pass decoded events in memory (like operator chaining); sources,
// targets, the dead-letter channel and every boundary to an agent running
// elsewhere go through NATS.
package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kumeo/kumeo/dsl"
	"github.com/kumeo/kumeo/engine/bus"
	"github.com/kumeo/kumeo/engine/endpoints"
	"github.com/kumeo/kumeo/engine/flow"
	"github.com/kumeo/kumeo/engine/metrics"
	"github.com/kumeo/kumeo/engine/trace"
)

// Errors.
var (
	ErrPlan    = errors.New("engine: the workflow cannot run")
	ErrStopped = errors.New("engine: run stopped")
	ErrOptions = errors.New("engine: invalid options")
)

// Run is one running workflow.
type Run struct {
	opts    Options
	log     *slog.Logger
	bus     *bus.Bus
	ownBus  bool
	nc      *nats.Conn
	ownConn bool
	// out publishes events and dead letters (and a durable run's acks) when
	// the run is on a bus (see connectOut); nil means they go through nc.
	out     *bus.Publisher
	pub     *metrics.Publisher
	rec     *trace.Recorder
	sampler *sampler

	mu        sync.Mutex // guards reloads and the fields below
	g         atomic.Pointer[graph]
	metrics   map[string]*metrics.Agent
	inputs    *inputs
	http      *endpoints.HTTPServer
	stopped   atomic.Bool
	aborted   atomic.Bool
	inflight  sync.WaitGroup
	ledger    runLedger
	backlog   atomic.Uint64
	outputs   *outputStore // a durable run's outputs stream
	fault     runFault
	faultOnce sync.Once
	skipped   atomic.Pointer[dsl.Diagnostics]
	ctx       context.Context
	cancel    context.CancelFunc
}

// runLedger is the ledger of the whole run, counted per source event:
// every event that entered ends exactly once as delivered (at least one
// output reached a target or a downstream process), filtered or
// dead-lettered; dead-lettering wins over delivery when branches differ.
type runLedger struct {
	in, out, filtered, dead atomic.Uint64
}

// Ledger is a snapshot of the run's ledger.
type Ledger struct {
	In           uint64 `json:"events_in"`
	Out          uint64 `json:"events_out"`
	Filtered     uint64 `json:"filtered"`
	DeadLettered uint64 `json:"dead_lettered"`
	InFlight     int64  `json:"in_flight"`
}

// Balanced reports whether in == out + filtered + dead-lettered + in-flight.
func (l Ledger) Balanced() bool {
	return int64(l.In) == int64(l.Out)+int64(l.Filtered)+int64(l.DeadLettered)+l.InFlight
}

// Start compiles the named workflow of f and runs it. A plan that cannot
// run is returned as its diagnostics: the error wraps ErrPlan and the
// dsl.Diagnostics (errors.As gives them back). A run that starts says what
// it goes without in Skipped.
func Start(ctx context.Context, f *dsl.File, workflow string, opts Options) (*Run, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	opts = opts.withDefaults(f)
	r := &Run{opts: opts, log: opts.Logger, metrics: map[string]*metrics.Agent{}, fault: runFault{ch: make(chan struct{})}}
	srv, err := endpoints.NewHTTPServer(opts.HTTPListen, opts.Logger)
	if err != nil {
		return nil, err
	}
	srv.OnFail = func(err error) { r.fail(fmt.Errorf("engine: HTTP sources: %w", err)) }
	r.http = srv
	if err := r.connect(); err != nil {
		return nil, err
	}
	if err := r.connectOut(); err != nil {
		r.closeConn()
		return nil, err
	}
	plan, diags := Compile(f, workflow, r.planOptions())
	if plan == nil {
		r.closeConn()
		return nil, planFailure(diags)
	}
	r.skipped.Store(&diags)
	r.ctx, r.cancel = context.WithCancel(context.Background())
	r.rec = trace.NewRecorder(trace.Options{PerAgent: opts.TracePerAgent})
	r.sampler = newSampler(opts.TraceRate)
	r.pub = metrics.NewPublisher(r.nc, metrics.PublisherOptions{Interval: opts.MetricsInterval, Instance: opts.instance()})
	r.inputs = newInputs(r)
	g, err := r.build(plan, nil)
	if err != nil {
		r.closeConn()
		return nil, err
	}
	r.g.Store(g)
	if err := r.begin(ctx, g); err != nil {
		r.Stop(context.Background())
		return nil, err
	}
	return r, nil
}

// begin starts what moves events: targets first, then what reads the
// sources (a durable run's stream among them), then the sources, so that
// nothing is published before there is something to take it.
func (r *Run) begin(ctx context.Context, g *graph) error {
	if err := r.syncOutputs(ctx, g.plan); err != nil {
		return err
	}
	if err := r.startAdapters(ctx, g, nil, dsl.RoleTarget); err != nil {
		return err
	}
	if err := r.inputs.sync(ctx, g); err != nil {
		return err
	}
	if err := r.startAdapters(ctx, g, nil, dsl.RoleSource); err != nil {
		return err
	}
	if err := r.serveHTTP(g); err != nil {
		return err
	}
	return r.pub.Start()
}

// planFailure is the error of a plan that cannot run: its diagnostics,
// which errors.As gives back, wrapped with ErrPlan.
func planFailure(diags dsl.Diagnostics) error {
	if !diags.HasErrors() {
		diags = append(diags[:len(diags):len(diags)], dsl.Diagnostic{Severity: dsl.SevError, Summary: "unknown problem"})
	}
	return fmt.Errorf("%w: %w", ErrPlan, diags)
}

// Skipped says what the run goes without (contexts, output_schema checks,
// on_failure notifications): the warnings of its plan, as of the last
// Start or Reload.
func (r *Run) Skipped() dsl.Diagnostics {
	if d := r.skipped.Load(); d != nil {
		return *d
	}
	return nil
}

func (r *Run) planOptions() PlanOptions {
	po := PlanOptions{Dir: r.opts.Dir}
	po.Endpoints.Dir = r.opts.Dir
	po.Endpoints.HTTP = r.http
	po.Endpoints.Logger = r.log
	po.Endpoints.MQTTEnabled = r.bus != nil && r.bus.MQTTAddr() != ""
	if r.opts.DataDir != "" {
		// Sources publish on the run's connection: one JetStream context
		// serves every event.
		js, jsErr := jetstream.New(r.nc)
		po.Endpoints.Publish = func(ctx context.Context, _ *nats.Conn, m *nats.Msg) error {
			if jsErr != nil {
				return jsErr
			}
			if _, err := js.PublishMsg(ctx, m); err != nil {
				return fmt.Errorf("engine: the sources stream did not store the event: %w", err)
			}
			return nil
		}
	}
	return po
}

// connect establishes the NATS connection the run uses.
func (r *Run) connect() error {
	o := r.opts
	switch {
	case o.Conn != nil:
		r.nc = o.Conn
		return nil
	case o.NATSURL != "":
		nopts := append([]nats.Option{nats.Name("kumeo"), nats.MaxReconnects(-1)}, o.NATSOptions...)
		nc, err := nats.Connect(o.NATSURL, append(nopts, nats.ClosedHandler(r.connClosed))...)
		if err != nil {
			return fmt.Errorf("engine: connect to %s: %w", RedactURL(o.NATSURL), err)
		}
		r.nc, r.ownConn = nc, true
		return nil
	case o.Bus == nil:
		b, err := startBus(bus.Options{DataDir: o.DataDir, Listen: o.Listen, MQTTListen: o.MQTTListen})
		if err != nil {
			return err
		}
		r.bus, r.ownBus = b, true
	default:
		r.bus = o.Bus
	}
	nc, err := r.bus.Connect(nats.ClosedHandler(r.connClosed))
	if err != nil {
		return err
	}
	r.nc, r.ownConn = nc, true
	return nil
}

// connectOut opens the publisher that sends events and dead letters with
// headers the engine encodes itself, which costs a fraction of building
// them from a nats.Header map for every event. It needs the embedded bus.
// A durable run acks its source messages on the same connection (see ack),
// so the server has an event's outputs before its ack.
func (r *Run) connectOut() error {
	if r.bus == nil {
		return nil
	}
	out, err := r.bus.ConnectPublisher("kumeo-out", func(err error) {
		r.fail(fmt.Errorf("%w: %w", ErrConnClosed, err))
	})
	if err != nil {
		return err
	}
	r.out = out
	return nil
}

// ackTo sends an ack (or a progress signal) for durable source messages
// once their events are fully handled, on the connection their outputs went
// out on: one connection keeps the outputs ahead of the ack, so an acked
// event's outputs are never lost. When that connection has failed nothing
// is acked and JetStream delivers the messages again.
//
// A durable run first has its outputs stream confirm that it stored every
// output published so far; without that answer the ack is not sent (a
// later one covers the same messages, or JetStream delivers them again).
func (r *Run) ackTo(reply string, payload []byte) {
	if reply == "" {
		return
	}
	if r.outputs != nil && bytes.Equal(payload, ackPayload) {
		if err := r.outputs.stored(5 * time.Second); err != nil {
			r.log.Warn("source messages left unacknowledged", "err", err)
			return
		}
	}
	if r.out != nil {
		_ = r.out.Publish(reply, nil, payload)
		return
	}
	_ = r.nc.Publish(reply, payload)
}

func (r *Run) closeConn() {
	if r.out != nil {
		r.out.Close()
	}
	if r.ownConn && r.nc != nil {
		r.nc.Close()
	}
	if r.ownBus && r.bus != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		r.bus.Shutdown(ctx)
	}
}

// Conn is the run's NATS connection: its subscriptions, metrics and
// traces. On a bus, events and dead letters go out on a publisher of
// their own (see connectOut).
func (r *Run) Conn() *nats.Conn { return r.nc }

// Bus is the embedded server the run uses, nil with an external NATS.
func (r *Run) Bus() *bus.Bus { return r.bus }

// Plan is the plan currently running.
func (r *Run) Plan() *Plan { return r.g.Load().plan }

// Recorder holds recent events and trace paths.
func (r *Run) Recorder() *trace.Recorder { return r.rec }

// Snapshots returns the current metrics of every agent.
func (r *Run) Snapshots() []metrics.Snapshot {
	now := time.Now()
	g := r.g.Load()
	out := make([]metrics.Snapshot, 0, len(g.order))
	for _, n := range g.order {
		out = append(out, n.m.Snapshot(now))
	}
	return out
}

// Ledger returns the run's ledger.
func (r *Run) Ledger() Ledger {
	// Read the finishing counters first so in-flight is never negative.
	out := r.ledger.out.Load()
	f := r.ledger.filtered.Load()
	d := r.ledger.dead.Load()
	in := r.ledger.in.Load()
	return Ledger{In: in, Out: out, Filtered: f, DeadLettered: d, InFlight: int64(in) - int64(out) - int64(f) - int64(d)}
}

// Backlog is how many source events a durable run found stored and not
// yet handled when it started: what an earlier run on the same data
// directory left (stopped, or killed). Zero without a data directory.
func (r *Run) Backlog() uint64 { return r.backlog.Load() }

// Pending is how many source events of a durable run are stored and not
// yet acknowledged as fully handled: the backlog still ahead of the run
// plus the events in flight. Zero without a data directory.
func (r *Run) Pending(ctx context.Context) (uint64, error) {
	if r.opts.DataDir == "" {
		return 0, nil
	}
	return r.inputs.pending(ctx)
}

// Idle reports whether no event is being handled.
func (r *Run) Idle() bool { return r.Ledger().InFlight == 0 }

// serveHTTP starts the HTTP listener when the workflow has HTTP sources.
func (r *Run) serveHTTP(g *graph) error {
	if r.opts.Endpoints == EndpointsElsewhere {
		return nil
	}
	for _, s := range g.plan.Sources {
		if s.Type == dsl.TypeHTTP {
			return r.http.Start()
		}
	}
	return nil
}

// HTTPURL is the base URL of the workflow's HTTP sources, "" when it has
// none.
func (r *Run) HTTPURL() string { return r.http.URL() }

// abort simulates a crash: the connection goes away at once, nothing is
// drained, acked or flushed.
func (r *Run) abort() {
	r.stopped.Store(true)
	r.aborted.Store(true)
	if r.cancel != nil {
		r.cancel()
	}
	if r.out != nil {
		r.out.Close()
	}
	r.nc.Close()
}

// Stop stops taking events, waits for the ones being handled (until ctx is
// done), flushes outputs and releases the connection.
func (r *Run) Stop(ctx context.Context) error {
	if r.stopped.Swap(true) {
		return nil
	}
	var errs []error
	g := r.g.Load()
	errs = append(errs, r.stopAdapters(ctx, g, nil, true))
	if r.http != nil {
		errs = append(errs, r.http.Shutdown(ctx))
	}
	if r.inputs != nil {
		errs = append(errs, r.inputs.close(ctx))
	}
	done := make(chan struct{})
	go func() { r.inflight.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		errs = append(errs, fmt.Errorf("engine: stop: %w while events were in flight", ctx.Err()))
	}
	if r.cancel != nil {
		r.cancel()
	}
	errs = append(errs, r.flushOut())
	if r.nc != nil && !r.nc.IsClosed() {
		errs = append(errs, r.nc.FlushTimeout(5*time.Second))
	}
	errs = append(errs, r.stopAdapters(ctx, g, nil, false))
	if r.pub != nil {
		r.pub.PublishNow()
		errs = append(errs, r.pub.Stop())
	}
	if g != nil {
		for _, n := range g.order {
			if c, ok := n.ap.Agent.(flow.Closer); ok {
				errs = append(errs, c.Close())
			}
		}
	}
	errs = append(errs, r.flushOut())
	if r.nc != nil && !r.nc.IsClosed() {
		errs = append(errs, r.nc.FlushTimeout(5*time.Second))
	}
	r.closeConn()
	return errors.Join(errs...)
}

// flushOut waits until the server has every event published so far.
func (r *Run) flushOut() error {
	if r.out == nil {
		return nil
	}
	select {
	case <-r.out.Done():
		return nil // closed under the run: reported as its fault
	default:
	}
	return r.out.Flush(5 * time.Second)
}

// Latency returns the latency histogram of an agent this process runs
// (every event it finished since the run started), nil for any other.
func (r *Run) Latency(agent string) *metrics.HistogramSnapshot {
	n := r.g.Load().nodes[agent]
	if n == nil || !n.local {
		return nil
	}
	return n.m.Latency.Snapshot()
}
