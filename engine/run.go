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
	"math/rand/v2"
	"strconv"
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

// Headers written on dead-lettered messages (the body is the original
// event bytes).
const (
	HeaderError    = "Kumeo-Error"
	HeaderAgent    = "Kumeo-Agent"
	HeaderWorkflow = "Kumeo-Workflow"
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
	r.pub = metrics.NewPublisher(r.nc, metrics.PublisherOptions{Interval: opts.MetricsInterval})
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
		nc, err := nats.Connect(o.NATSURL, nats.Name("kumeo"), nats.MaxReconnects(-1), nats.ClosedHandler(r.connClosed))
		if err != nil {
			return fmt.Errorf("engine: connect to %s: %w", o.NATSURL, err)
		}
		r.nc, r.ownConn = nc, true
		return nil
	case o.Bus == nil:
		b, err := bus.New(bus.Options{DataDir: o.DataDir, Listen: o.Listen, MQTTListen: o.MQTTListen})
		if err != nil {
			return err
		}
		if err := b.Start(); err != nil {
			return err
		}
		if err := b.Ready(10 * time.Second); err != nil {
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
	for _, s := range g.plan.Sources {
		if s.Type == "HTTP" {
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

// graph is the executable form of a plan; reloads swap it atomically.
type graph struct {
	plan      *Plan
	nodes     map[string]*node
	order     []*node
	consumers map[string][]*node // local consumers per channel
	remote    map[string]bool    // channels with consumers outside this process
	outlets   map[string]*outlet // every channel agents emit or route to
	sources   []*node            // consumers["source"]
}

// outlet is what forwarding an event on a channel needs to know, worked
// out once per graph rather than for every event.
type outlet struct {
	ch       string
	subject  string  // Subject(workflow, ch)
	local    []*node // consumers chained in memory
	publish  bool    // published too: consumers elsewhere, or none declared
	consumed bool    // the plan has consumers for it
}

// outlet returns the outlet of channel ch.
func (g *graph) outlet(ch string) *outlet {
	if o := g.outlets[ch]; o != nil {
		return o
	}
	return g.newOutlet(ch) // not reached: build makes every channel's
}

func (g *graph) newOutlet(ch string) *outlet {
	local := g.consumers[ch]
	consumed := len(g.plan.Consumers[ch]) > 0
	return &outlet{ch: ch, subject: Subject(g.plan.Name, ch), local: local,
		publish: g.remote[ch] || len(local) == 0 && !consumed, consumed: consumed}
}

// node runs one agent.
type node struct {
	ap    *AgentPlan
	m     *metrics.Agent
	out   *outlet // of ap.Output
	local bool
}

func (r *Run) isLocal(id string) bool {
	if len(r.opts.Only) == 0 {
		return true
	}
	for _, x := range r.opts.Only {
		if x == id {
			return true
		}
	}
	return false
}

// build turns a plan into a graph, reusing metrics (and, for unchanged
// agents, instances) of the previous graph.
func (r *Run) build(p *Plan, prev *graph) (*graph, error) {
	g := &graph{plan: p, nodes: map[string]*node{}, consumers: map[string][]*node{}, remote: map[string]bool{}}
	for _, ap := range p.Agents {
		m := r.metrics[ap.ID]
		if m == nil {
			var err error
			m, err = metrics.NewAgent(p.Name, ap.ID)
			if err != nil {
				return nil, fmt.Errorf("%w: agent %q: %v", ErrPlan, ap.ID, err)
			}
		}
		n := &node{ap: ap, m: m, local: r.isLocal(ap.ID)}
		g.nodes[ap.ID] = n
		g.order = append(g.order, n)
	}
	// A consumer is chained (called in memory) when it runs here and every
	// producer of its channel runs here too.
	localProducer := map[string]bool{"source": true}
	remoteProducer := map[string]bool{}
	for _, n := range g.order {
		chans := []string{n.ap.Output}
		for _, d := range n.ap.Routes {
			if d.Channel != "" {
				chans = append(chans, d.Channel)
			}
		}
		for _, ch := range chans {
			if n.local {
				localProducer[ch] = true
			} else {
				remoteProducer[ch] = true
			}
		}
	}
	for ch, aps := range p.Consumers {
		for _, ap := range aps {
			n := g.nodes[ap.ID]
			if n.local && !r.opts.NoChain && localProducer[ch] && !remoteProducer[ch] {
				g.consumers[ch] = append(g.consumers[ch], n)
			} else {
				g.remote[ch] = true
			}
		}
	}
	g.sources = g.consumers["source"]
	g.outlets = map[string]*outlet{}
	for ch := range p.Consumers {
		g.outlets[ch] = g.newOutlet(ch)
	}
	for _, n := range g.order {
		chans := []string{n.ap.Output}
		for _, d := range n.ap.Routes {
			chans = append(chans, d.Channel)
		}
		for _, d := range n.ap.Sink {
			chans = append(chans, d.Channel)
		}
		for _, ch := range chans {
			if g.outlets[ch] == nil {
				g.outlets[ch] = g.newOutlet(ch)
			}
		}
		n.out = g.outlets[n.ap.Output]
	}
	for _, n := range g.order {
		if !n.local {
			continue
		}
		if r.metrics[n.ap.ID] == nil {
			r.metrics[n.ap.ID] = n.m
			if err := r.pub.Register(n.m); err != nil {
				return nil, err
			}
		}
	}
	return g, nil
}

// outcome flags of handling one event along all its branches.
const (
	fDelivered uint8 = 1 << iota
	fFiltered
	fDead
)

// enter handles an event arriving on a subject: a source event (channel
// "source") or an event of an internal channel. It returns when every
// local branch has finished.
func (r *Run) enter(g *graph, ch string, targets []*node, msg *nats.Msg, countRun bool) {
	r.inflight.Add(1)
	defer r.inflight.Done()
	if countRun {
		r.ledger.in.Add(1)
	}
	span, _ := trace.FromMsg(msg, ch)
	data, err := decodeObject(msg.Data)
	var flags uint8
	if err != nil {
		who := ch
		if len(targets) == 1 {
			who = targets[0].ap.ID
			targets[0].m.Received()
			targets[0].m.Failed()
			targets[0].m.DeadLettered()
		}
		r.deadLetter(g, who, "", msg.Data, span, fmt.Errorf("malformed event: %v", err))
		flags = fDead
	} else {
		ev := &flow.Event{Data: data, Raw: msg.Data, ID: span.EventID, TraceID: span.TraceID, Subject: msg.Subject}
		now := metrics.Now()
		sampled := r.sampler.take(now)
		flags = r.dispatch(g, targets, ev, span, sampled, now)
	}
	if countRun {
		r.finish(flags)
	}
}

func (r *Run) finish(flags uint8) {
	switch {
	case flags&fDead != 0:
		r.ledger.dead.Add(1)
	case flags&fDelivered != 0:
		r.ledger.out.Add(1)
	default:
		r.ledger.filtered.Add(1)
	}
}

// dispatch hands an event to several consumers, copying it for all but
// the last so branches cannot see each other's changes. now is a recent
// reading of metrics.Now, passed along the chain of agents so the clock is
// read once per agent call.
func (r *Run) dispatch(g *graph, to []*node, ev *flow.Event, span trace.Span, sampled bool, now int64) uint8 {
	var flags uint8
	for i, n := range to {
		e := ev
		if i < len(to)-1 {
			e = cloneEvent(ev)
		}
		if i > 0 {
			now = metrics.Now()
		}
		flags |= r.handle(g, n, e, span, sampled, now)
	}
	return flags
}

// handle runs one agent on one event, which reached it at start (a
// reading of metrics.Now), and forwards the result.
func (r *Run) handle(g *graph, n *node, ev *flow.Event, span trace.Span, sampled bool, start int64) uint8 {
	ap := n.ap
	n.m.Received()
	if sampled {
		r.observe(ap.ID, trace.In, span, ev.Data, nil)
	}
	in := ev
	if ap.Field != "" {
		sub, err := selectField(ev.Data, ap.Field)
		if err != nil {
			n.m.Failed()
			n.m.Latency.RecordSince(start)
			return r.failed(g, n, ev, span, sampled, flow.Permanent(err))
		}
		in = &flow.Event{Data: sub, Raw: ev.Raw, ID: ev.ID, TraceID: ev.TraceID, Subject: ev.Subject}
	}
	out, err := r.execute(n, in)
	now := n.m.Latency.RecordSince(start)
	if err != nil {
		return r.failed(g, n, ev, span, sampled, err)
	}
	// Sampled events get a span per hop for the inspector; the others keep
	// their trace id and get a new event id only where they leave the
	// process.
	child := span
	if sampled {
		child = span.Child(ap.ID)
	}
	switch out.Action {
	case flow.Filter:
		n.m.Filtered()
		if sampled {
			r.observe(ap.ID, trace.Out, child, nil, errors.New("filtered: "+out.Reason))
		}
		return fFiltered
	case flow.Route:
		n.m.Emitted()
		if sampled {
			r.observe(ap.ID, trace.Out, child, in.Data, nil)
		}
		if out.Route < 0 || out.Route >= len(ap.Routes) {
			return fFiltered
		}
		return r.deliver(g, ap.Routes[out.Route], in, child, sampled, now)
	}
	n.m.Emitted()
	if sampled {
		r.observe(ap.ID, trace.Out, child, in.Data, nil)
	}
	return r.emit(g, n, in, child, sampled, now)
}

// emit sends an agent's output to its consumers or sinks.
func (r *Run) emit(g *graph, n *node, ev *flow.Event, span trace.Span, sampled bool, now int64) uint8 {
	if n.out.consumed {
		return r.forward(g, n.out, ev, span, sampled, now)
	}
	var flags uint8
	for i, d := range n.ap.Sink {
		e := ev
		if i < len(n.ap.Sink)-1 && d.Target == nil {
			e = cloneEvent(ev)
		}
		flags |= r.deliver(g, d, e, span, sampled, now)
	}
	if len(n.ap.Sink) == 0 {
		flags |= fDelivered
	}
	return flags
}

func (r *Run) deliver(g *graph, d Destination, ev *flow.Event, span trace.Span, sampled bool, now int64) uint8 {
	if d.Target != nil {
		if err := r.publish(d.Target.Subject, ev, span); err != nil {
			r.log.Error("publish to target failed", "subject", d.Target.Subject, "err", err)
			r.deadLetter(g, "target", "", ev.Raw, span, err)
			return fDead
		}
		return fDelivered
	}
	return r.forward(g, g.outlet(d.Channel), ev, span, sampled, now)
}

// forward passes an event on a channel to its local consumers in memory and
// publishes it once for consumers running elsewhere.
func (r *Run) forward(g *graph, o *outlet, ev *flow.Event, span trace.Span, sampled bool, now int64) uint8 {
	local := o.local
	var flags uint8
	if o.publish {
		e := ev
		if len(local) > 0 {
			e = cloneEvent(ev)
		}
		if err := r.publish(o.subject, e, span); err != nil {
			r.deadLetter(g, o.ch, "", ev.Raw, span, err)
			return fDead
		}
		flags |= fDelivered
		if len(local) > 0 {
			now = metrics.Now() // the local consumers get it after the publish
		}
	}
	if len(local) > 0 {
		flags |= r.dispatch(g, local, ev, span, sampled, now)
	}
	return flags
}

// execute runs the agent with its when condition, timeout, retries and
// panic recovery.
func (r *Run) execute(n *node, ev *flow.Event) (flow.Outcome, error) {
	ap := n.ap
	if ap.When != nil {
		ok, err := ap.When.Bool(ev.Data)
		if err != nil {
			n.m.Failed()
			return flow.Outcome{}, flow.Permanent(err)
		}
		if !ok {
			return flow.Outcome{Action: flow.Emit}, nil // passes through unchanged
		}
	}
	policy := ap.Retry
	if ap.Failure.Retry.Attempts > policy.Attempts {
		policy = ap.Failure.Retry
	}
	attempts := 1 + policy.Attempts
	for attempt := 1; ; attempt++ {
		out, err := r.call(ap, ev)
		if err == nil {
			return out, nil
		}
		n.m.Failed()
		if flow.IsPermanent(err) || attempt >= attempts || r.stopped.Load() {
			return out, err
		}
		n.m.Retried()
		if d := policy.Delay(attempt, rand.Float64); d > 0 {
			select {
			case <-time.After(d):
			case <-r.ctx.Done():
				return out, err
			}
		}
	}
}

// call runs the agent once, enforcing the timeout and turning a panic into
// an error.
func (r *Run) call(ap *AgentPlan, ev *flow.Event) (out flow.Outcome, err error) {
	if ap.Timeout <= 0 {
		return safeProcess(r.ctx, ap, ev)
	}
	ctx, cancel := context.WithTimeout(r.ctx, ap.Timeout)
	defer cancel()
	// The agent works on a copy so an attempt that overruns cannot change
	// the event a retry or the dead-letter channel sees.
	work := cloneEvent(ev)
	type result struct {
		out flow.Outcome
		err error
	}
	done := make(chan result, 1)
	go func() {
		o, e := safeProcess(ctx, ap, work)
		done <- result{o, e}
	}()
	select {
	case res := <-done:
		if res.err == nil {
			ev.Data = work.Data
		}
		return res.out, res.err
	case <-ctx.Done():
		return flow.Outcome{}, fmt.Errorf("agent %q timed out after %s", ap.ID, ap.Timeout)
	}
}

func safeProcess(ctx context.Context, ap *AgentPlan, ev *flow.Event) (out flow.Outcome, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = flow.Permanent(fmt.Errorf("agent %q panicked: %v", ap.ID, p))
		}
	}()
	return ap.Agent.Process(ctx, ev)
}

// failed applies the fallback agent and on_failure policy to an event the
// agent finally failed on.
func (r *Run) failed(g *graph, n *node, ev *flow.Event, span trace.Span, sampled bool, err error) uint8 {
	ap := n.ap
	if sampled {
		r.observe(ap.ID, trace.Out, span, nil, err)
	}
	// A fallback agent (the agent's fallback argument, or the one named by
	// on_failure.fallback) gets the event as it arrived.
	for _, id := range []string{ap.Fallback, ap.Failure.Fallback.Agent} {
		if id == "" {
			continue
		}
		if fb := g.nodes[id]; fb != nil && fb.local && fb != n {
			n.m.Emitted() // handed to the fallback agent
			return r.handle(g, fb, ev, span, sampled, metrics.Now())
		}
	}
	action, channel := ap.Failure.Action, ap.Failure.Channel
	if fb := ap.Failure.Fallback; fb.Channel != "" {
		channel = fb.Channel
		if fb.Action != "" {
			action = fb.Action
		}
	}
	if action == flow.ActionDrop {
		n.m.Filtered()
		return fFiltered
	}
	if ap.Failure.Error != "" {
		err = fmt.Errorf("%s: %w", ap.Failure.Error, err)
	}
	n.m.DeadLettered()
	r.deadLetter(g, ap.ID, channel, ev.Raw, span, err)
	return fDead
}

// deadLetter publishes the original bytes with the reason in headers on
// the workflow's dead-letter subject, or on the on_failure fallback
// channel when one is given.
func (r *Run) deadLetter(g *graph, agent, channel string, raw []byte, span trace.Span, cause error) {
	subject := g.plan.DLQ
	if channel != "" {
		subject = Subject(g.plan.Name, channel)
		if t := findTarget(g.plan, channel); t != nil {
			subject = t.Subject
		}
	}
	var err error
	if r.out != nil {
		buf := getBuf()
		h := appendDeadLetterHeaders((*buf)[:0], span, cause.Error(), agent, g.plan.Name)
		err = r.out.Publish(subject, h, raw)
		if err == nil && r.outputs != nil {
			r.outputs.add(subject, h, raw)
		}
		*buf = h
		putBuf(buf)
	} else {
		h := span.Header()
		h.Set(HeaderError, cause.Error())
		h.Set(HeaderAgent, agent)
		h.Set(HeaderWorkflow, g.plan.Name)
		err = r.nc.PublishMsg(&nats.Msg{Subject: subject, Header: h, Data: raw})
		if err == nil && r.outputs != nil {
			r.outputs.add(subject, encodeHeader(h), raw)
		}
	}
	if err != nil {
		r.log.Error("dead-letter publish failed", "subject", subject, "err", err)
	}
	r.record(agent, trace.Out, span, subject, raw, cause)
}

// publish encodes an event and publishes it with its trace headers.
func (r *Run) publish(subject string, ev *flow.Event, span trace.Span) error {
	if r.out != nil {
		return r.publishOut(subject, ev, span)
	}
	buf := getBuf()
	b, err := appendObject((*buf)[:0], ev.Data)
	if err != nil {
		putBuf(buf)
		return err
	}
	var err2 error
	if span.Hop == 0 && span.ParentID == "" {
		// Unsampled events carry just their trace and event ids: two header
		// lines written into a pooled, pre-keyed header, which keeps the
		// cost of tracing every event small for us and for consumers.
		h := idHeaders.Get().(nats.Header)
		h[trace.HeaderTraceID][0] = span.TraceID
		h[trace.HeaderEventID][0] = span.EventID
		err2 = r.nc.PublishMsg(&nats.Msg{Subject: subject, Header: h, Data: b})
		if err2 == nil && r.outputs != nil {
			r.outputs.add(subject, encodeHeader(h), b)
		}
		idHeaders.Put(h) // PublishMsg has copied the headers into its buffer
	} else {
		h := getHeader()
		span.Inject(h)
		err2 = r.nc.PublishMsg(&nats.Msg{Subject: subject, Header: h, Data: b})
		if err2 == nil && r.outputs != nil {
			r.outputs.add(subject, encodeHeader(h), b)
		}
		putHeader(h)
	}
	*buf = b
	putBuf(buf)
	return err2
}

// publishOut is publish on r.out: the headers and the encoded event are
// written into one buffer.
func (r *Run) publishOut(subject string, ev *flow.Event, span trace.Span) error {
	buf := getBuf()
	b := appendEventHeaders((*buf)[:0], span)
	n := len(b)
	b, err := appendObject(b, ev.Data)
	if err == nil {
		err = r.out.Publish(subject, b[:n], b[n:])
	}
	if err == nil && r.outputs != nil {
		r.outputs.add(subject, b[:n], b[n:])
	}
	*buf = b
	putBuf(buf)
	return err
}

// encodeHeader is h as a message's header block.
func encodeHeader(h nats.Header) []byte {
	b := bus.AppendHeaderStart(nil)
	for k, vs := range h {
		for _, v := range vs {
			b = bus.AppendHeader(b, k, v)
		}
	}
	return bus.AppendHeaderEnd(b)
}

// appendEventHeaders appends the headers of an event published with span,
// the ones publish sets through nc: an unsampled event (hop 0, no parent)
// carries just its trace and event ids, any other span all of its fields.
func appendEventHeaders(dst []byte, span trace.Span) []byte {
	dst = bus.AppendHeaderStart(dst)
	if span.Hop == 0 && span.ParentID == "" {
		dst = bus.AppendHeader(dst, trace.HeaderTraceID, span.TraceID)
		dst = bus.AppendHeader(dst, trace.HeaderEventID, span.EventID)
	} else {
		dst = appendSpanHeaders(dst, span)
	}
	return bus.AppendHeaderEnd(dst)
}

// appendDeadLetterHeaders appends the headers of a dead letter: the span
// and the reason, as deadLetter sets them through nc.
func appendDeadLetterHeaders(dst []byte, span trace.Span, reason, agent, workflow string) []byte {
	dst = bus.AppendHeaderStart(dst)
	dst = appendSpanHeaders(dst, span)
	dst = bus.AppendHeader(dst, HeaderError, reason)
	dst = bus.AppendHeader(dst, HeaderAgent, agent)
	dst = bus.AppendHeader(dst, HeaderWorkflow, workflow)
	return bus.AppendHeaderEnd(dst)
}

// appendSpanHeaders appends the headers span.Inject sets on an empty
// header: every non-empty id and the hop.
func appendSpanHeaders(dst []byte, span trace.Span) []byte {
	for _, h := range [...]struct{ k, v string }{
		{trace.HeaderTraceID, span.TraceID},
		{trace.HeaderEventID, span.EventID},
		{trace.HeaderParentID, span.ParentID},
		{trace.HeaderFrom, span.From},
	} {
		if h.v != "" {
			dst = bus.AppendHeader(dst, h.k, h.v)
		}
	}
	var hop [20]byte
	return bus.AppendHeader(dst, trace.HeaderHop, string(strconv.AppendInt(hop[:0], int64(span.Hop), 10)))
}

var idHeaders = sync.Pool{New: func() any {
	return nats.Header{trace.HeaderTraceID: make([]string, 1), trace.HeaderEventID: make([]string, 1)}
}}

var headerPool = sync.Pool{New: func() any { return nats.Header{} }}

func getHeader() nats.Header { return headerPool.Get().(nats.Header) }

func putHeader(h nats.Header) {
	clear(h)
	headerPool.Put(h)
}

func (r *Run) observe(agent string, dir trace.Direction, span trace.Span, data map[string]any, err error) {
	var payload []byte
	if data != nil {
		payload, _ = appendObject(nil, data)
	}
	r.record(agent, dir, span, "", payload, err)
}

// maxTracePayload bounds the payload carried by a published trace record.
const maxTracePayload = 4096

// record keeps an event in or out of an agent in the recorder and
// publishes it on the workflow's trace subject, so tools outside the
// process (and the desktop app watching a deployed workflow) see the same
// records. Only sampled events and dead letters are recorded.
func (r *Run) record(agent string, dir trace.Direction, span trace.Span, subject string, payload []byte, err error) {
	r.rec.Observe(agent, dir, span, subject, payload, err)
	rec := trace.Record{Span: span, TS: time.Now().UnixMilli(), Agent: agent, Dir: dir, Subject: subject, Size: len(payload)}
	if err != nil {
		rec.Error = err.Error()
	}
	if len(payload) > maxTracePayload {
		payload, rec.Truncated = payload[:maxTracePayload], true
	}
	rec.Payload = string(payload)
	buf := getBuf()
	b := rec.AppendJSON((*buf)[:0])
	if perr := r.nc.Publish(trace.Subject(r.g.Load().plan.Name), b); perr != nil {
		r.log.Debug("trace publish failed", "err", perr)
	}
	*buf = b
	putBuf(buf)
}

func selectField(data map[string]any, field string) (map[string]any, error) {
	cur := data
	for _, part := range splitField(field) {
		v, ok := cur[part]
		if !ok {
			return nil, fmt.Errorf("input field %q is missing", field)
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("input field %q is %T, expected an object", field, v)
		}
		cur = m
	}
	return cur, nil
}

func splitField(f string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(f); i++ {
		if i == len(f) || f[i] == '/' {
			if i > start {
				out = append(out, f[start:i])
			}
			start = i + 1
		}
	}
	return out
}

// sampler admits at most rate new traces per second into the recorder.
type sampler struct {
	rate   int64
	window atomic.Int64 // current second
	count  atomic.Int64
}

func newSampler(rate int) *sampler { return &sampler{rate: int64(rate)} }

// take reports whether to sample an event arriving at now (a reading of
// metrics.Now).
func (s *sampler) take(now int64) bool {
	if s.rate < 0 {
		return false
	}
	sec := now / int64(time.Second)
	if w := s.window.Load(); w != sec && s.window.CompareAndSwap(w, sec) {
		s.count.Store(0)
	}
	return s.count.Add(1) <= s.rate
}

// cloneEvent deep-copies an event's data.
func cloneEvent(ev *flow.Event) *flow.Event {
	c := *ev
	c.Data = cloneMap(ev.Data)
	return &c
}

func cloneMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = cloneValue(v)
	}
	return out
}

func cloneValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return cloneMap(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = cloneValue(e)
		}
		return out
	}
	return v
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

func getBuf() *[]byte { return bufPool.Get().(*[]byte) }
func putBuf(b *[]byte) {
	if cap(*b) <= 64<<10 { // do not keep what one big event grew
		bufPool.Put(b)
	}
}

// queueName is the queue group of an agent's input subscription.
func queueName(workflow, agent string) string { return "kumeo." + workflow + "." + agent }
