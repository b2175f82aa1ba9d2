package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// inputs owns the NATS subscriptions that bring events into the process:
// the sources, and the channels of agents whose producer runs elsewhere
// (or every channel when chaining is off). Subscriptions are keyed so a
// reload keeps the ones it still needs, adds new ones before removing old
// ones, and drains what it removes: queued events are never dropped.
type inputs struct {
	r        *Run
	mu       sync.Mutex
	subs     map[string]*input
	durables map[string]*durableSource
}

type input struct {
	key      string
	subjects []string
	subs     []*nats.Subscription
	durable  string // the durable consumer it reads, if any
}

func newInputs(r *Run) *inputs {
	return &inputs{r: r, subs: map[string]*input{}, durables: map[string]*durableSource{}}
}

// want describes one subscription the current graph needs.
type want struct {
	key      string
	subjects []string
	queue    string
	channel  string // "source" or a channel name
	agent    string // the single agent it feeds; "" for the chained source entry
	durable  bool
}

func (in *inputs) wanted(g *graph) []want {
	r := in.r
	p := g.plan
	var out []want
	var srcSubjects []string
	for _, s := range p.Sources {
		srcSubjects = append(srcSubjects, s.Subjects...)
	}
	sort.Strings(srcSubjects)
	if len(g.consumers["source"]) > 0 {
		out = append(out, want{key: "source|" + strings.Join(srcSubjects, ","), subjects: srcSubjects,
			queue: queueName(p.Name, "source"), channel: "source", durable: r.opts.DataDir != ""})
	}
	for _, n := range g.order {
		if !n.local || n.ap.Input == "" {
			continue
		}
		chained := false
		for _, c := range g.consumers[n.ap.Input] {
			if c == n {
				chained = true
			}
		}
		if chained {
			continue
		}
		subjects := []string{Subject(p.Name, n.ap.Input)}
		if n.ap.Input == "source" {
			subjects = srcSubjects
		}
		out = append(out, want{key: "agent|" + n.ap.ID + "|" + strings.Join(subjects, ","), subjects: subjects,
			queue: queueName(p.Name, n.ap.ID), channel: n.ap.Input, agent: n.ap.ID, durable: r.opts.DataDir != "" && n.ap.Input == "source"})
	}
	return out
}

// sync makes the subscriptions match g.
func (in *inputs) sync(ctx context.Context, g *graph) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	keep := map[string]bool{}
	for _, w := range in.wanted(g) {
		keep[w.key] = true
		if in.subs[w.key] != nil {
			continue
		}
		sub, err := in.subscribe(ctx, g, w)
		if err != nil {
			return err
		}
		in.subs[w.key] = sub
	}
	if err := in.r.nc.Flush(); err != nil {
		return err
	}
	var errs []error
	for key, sub := range in.subs {
		if !keep[key] {
			errs = append(errs, in.drain(ctx, sub))
			delete(in.subs, key)
		}
	}
	return errors.Join(errs...)
}

// handler handles one message; it reports false when it left the message
// alone (a durable one then stays unacked and is delivered again).
func (in *inputs) handler(w want) func(*nats.Msg) bool {
	r := in.r
	return func(msg *nats.Msg) bool {
		if r.stopped.Load() && w.durable {
			return false // not acked: redelivered after a restart
		}
		g := r.g.Load()
		if w.agent == "" {
			r.enter(g, "source", g.sources, msg, true)
			return true
		}
		if n := g.nodes[w.agent]; n != nil {
			r.enter(g, w.channel, []*node{n}, msg, w.channel == "source")
		}
		return true
	}
}

func (in *inputs) subscribe(ctx context.Context, g *graph, w want) (*input, error) {
	r := in.r
	sub := &input{key: w.key, subjects: w.subjects}
	h := in.handler(w)
	if w.durable {
		return sub, in.subscribeDurable(ctx, g, w, sub, h)
	}
	for _, subject := range w.subjects {
		for i := 0; i < r.opts.Concurrency; i++ {
			s, err := r.nc.QueueSubscribe(subject, w.queue, func(m *nats.Msg) { h(m) })
			if err != nil {
				in.drain(ctx, sub)
				return nil, fmt.Errorf("engine: subscribe %s: %w", subject, err)
			}
			s.SetPendingLimits(-1, -1)
			sub.subs = append(sub.subs, s)
		}
	}
	return sub, nil
}

// streamName is the JetStream stream capturing a workflow's sources.
func streamName(workflow string) string {
	return "KUMEO_" + strings.ToUpper(strings.NewReplacer(".", "_", "-", "_", "*", "_", ">", "_").Replace(workflow)) + "_SOURCES"
}

// subscribeDurable consumes the sources through a JetStream stream with a
// durable consumer; a message is acked only after the event is fully
// handled, so a crash or restart redelivers what was in progress. Inputs
// that share a durable consumer (one replacing another during a reload)
// share its single reader: acks are cumulative, so only one reader may
// record the order of deliveries.
func (in *inputs) subscribeDurable(ctx context.Context, g *graph, w want, sub *input, h func(*nats.Msg) bool) error {
	r := in.r
	js, err := jetstream.New(r.nc)
	if err != nil {
		return err
	}
	storage := jetstream.FileStorage
	if r.bus != nil {
		storage = r.bus.StorageType()
	}
	name := streamName(g.plan.Name)
	stream, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: name, Subjects: w.subjects, Storage: storage, Retention: jetstream.LimitsPolicy,
	})
	if err != nil {
		return fmt.Errorf("engine: durable sources stream %s: %w", name, err)
	}
	durable := "kumeo-" + strings.ReplaceAll(w.queue, ".", "-")
	sub.durable = durable
	if d := in.durables[durable]; d != nil {
		d.refs++
		d.handler.Store(&h)
		return nil
	}
	cons, perMessage, err := openConsumer(ctx, stream, jetstream.ConsumerConfig{Durable: durable, AckWait: r.opts.AckWait, MaxAckPending: 8192})
	if err != nil {
		return fmt.Errorf("engine: durable consumer %s: %w", durable, err)
	}
	d := &durableSource{r: r, cons: cons, refs: 1, quit: make(chan struct{}), work: make(chan durableMsg, 512)}
	if info := cons.CachedInfo(); info != nil {
		d.backlog = info.NumPending + uint64(info.NumAckPending)
		r.backlog.Add(d.backlog)
	}
	d.handler.Store(&h)
	d.win.Store(newAckWindow(perMessage, r.opts.AckWait/2, r.ackTo))
	in.durables[durable] = d
	d.start(r.opts.Concurrency)
	return nil
}

// openConsumer opens the durable consumer of a source stream. New
// consumers ack cumulatively: one ack covers every message up to its
// sequence. Such a consumer that still has messages out from an earlier
// run (stopped or killed mid-stream) is created again from just after its
// ack floor. This run never saw those deliveries, so its cumulative acks
// could cover them before they are handled; created again, the consumer
// delivers all of them to this run at once, in order. (A crash between the
// delete and the create leaves no consumer, and the next run reads the
// stream from its start: duplicates, nothing lost.) A consumer made with
// per-message acks is kept as it is (an ack policy cannot be changed in
// place), and perMessage reports it. cfg gives the name, ack wait, limit of
// messages out and filter; the policies are set here.
func openConsumer(ctx context.Context, stream jetstream.Stream, cfg jetstream.ConsumerConfig) (c jetstream.Consumer, perMessage bool, err error) {
	cfg.AckPolicy, cfg.DeliverPolicy = jetstream.AckAllPolicy, jetstream.DeliverAllPolicy
	name := cfg.Durable
	old, err := stream.Consumer(ctx, name)
	switch {
	case errors.Is(err, jetstream.ErrConsumerNotFound):
		c, err = stream.CreateConsumer(ctx, cfg)
		return c, false, err
	case err != nil:
		return nil, false, err
	}
	info := old.CachedInfo()
	if info.Config.AckPolicy != jetstream.AckAllPolicy || info.NumAckPending == 0 {
		kept := info.Config
		kept.AckWait, kept.MaxAckPending = cfg.AckWait, cfg.MaxAckPending
		if len(cfg.FilterSubjects) > 0 {
			kept.FilterSubject, kept.FilterSubjects = "", cfg.FilterSubjects
		}
		c, err = stream.UpdateConsumer(ctx, kept)
		return c, kept.AckPolicy != jetstream.AckAllPolicy, err
	}
	if floor := info.AckFloor.Stream; floor > 0 {
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, floor+1
	}
	if err := stream.DeleteConsumer(ctx, name); err != nil {
		return nil, false, err
	}
	c, err = stream.CreateConsumer(ctx, cfg)
	return c, false, err
}

// durableSource reads one durable consumer: a single reader pulls messages
// and records each in the ack window in delivery order, and the
// workers handle them and mark them done.
type durableSource struct {
	r       *Run
	consMu  sync.Mutex
	cons    jetstream.Consumer        // replaced by reopen
	win     atomic.Pointer[ackWindow] // replaced with the consumer (see reopen)
	handler atomic.Pointer[func(*nats.Msg) bool]
	refs    int
	// backlog is how many stored messages the consumer had not had acked
	// when this run opened it: events an earlier run left.
	backlog uint64

	quit    chan struct{}
	work    chan durableMsg
	fetcher sync.WaitGroup
	workers sync.WaitGroup
	busy    sync.WaitGroup // messages handed to the workers and not yet handled
	gaps    atomic.Uint64  // times deliveries were found missing
}

type durableMsg struct {
	m    jetstream.Msg
	win  *ackWindow
	slot uint64
}

func (d *durableSource) start(workers int) {
	for i := 0; i < workers; i++ {
		d.workers.Add(1)
		go func() {
			defer d.workers.Done()
			for dm := range d.work {
				m := dm.m
				if (*d.handler.Load())(&nats.Msg{Subject: m.Subject(), Header: m.Headers(), Data: m.Data()}) {
					dm.win.done(dm.slot)
				}
				d.busy.Done()
			}
		}()
	}
	d.fetcher.Add(2)
	go func() {
		defer d.fetcher.Done()
		defer close(d.work)
		d.fetch()
	}()
	go func() {
		defer d.fetcher.Done()
		progress := d.win.Load().progress
		if progress <= 0 {
			return
		}
		tick := time.NewTicker(progress / 2)
		defer tick.Stop()
		for {
			select {
			case <-d.quit:
				return
			case <-tick.C:
				if d.r.stopped.Load() {
					return
				}
				d.win.Load().keepAlive()
			}
		}
	}()
}

func (d *durableSource) fetch() {
	for d.pull() {
		// A delivery was lost on the way: opened again from its ack
		// floor, the consumer delivers it and what followed it again.
		if err := d.reopen(); err != nil {
			if !d.r.stopped.Load() {
				d.r.fail(fmt.Errorf("engine: durable sources: %w", err))
			}
			return
		}
	}
}

// pull reads the consumer until the run stops (false) or a delivery is
// found missing (true). Deliveries are numbered by the consumer, one
// after another; the client drops a delivery when the pull's buffer is
// full, and an ack covering a message this run never saw would lose it.
// So at a gap nothing more is handed to the workers.
func (d *durableSource) pull() (gap bool) {
	r := d.r
	win := d.win.Load()
	next := uint64(1)
	cons := d.consumer()
	if info := cons.CachedInfo(); info != nil {
		next = info.Delivered.Consumer + 1
	}
	// One continuous pull keeps requests for the next messages out while
	// the workers handle the last ones. Missing heartbeats are reported so
	// a consumer deleted under the run is noticed: the server answers the
	// pull requests waiting at that moment, not the ones made after.
	it, err := cons.Messages(jetstream.PullMaxMessages(1024), jetstream.PullExpiry(10*time.Second),
		jetstream.PullHeartbeat(2*time.Second), jetstream.WithMessagesErrOnMissingHeartbeat(true))
	if err != nil {
		if !r.stopped.Load() {
			r.fail(fmt.Errorf("engine: durable sources: %w", err))
		}
		return false
	}
	defer it.Stop()
	stopped := make(chan struct{})
	defer close(stopped)
	go func() {
		select {
		case <-d.quit:
			it.Stop()
		case <-stopped:
		}
	}()
	for {
		m, err := it.Next()
		if errors.Is(err, jetstream.ErrNoHeartbeat) && !r.stopped.Load() {
			if err = d.gone(); err == nil {
				continue // the pull goes on with new requests
			}
		}
		if err != nil {
			// Stop (on quit) and a closed connection end the iterator as
			// expected; anything else (the consumer deleted under the run)
			// ends the run's durable input, so the run reports it.
			if !r.stopped.Load() && !errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				r.fail(fmt.Errorf("engine: durable sources: %w", err))
			}
			return false
		}
		meta, err := m.Metadata()
		if err != nil {
			r.log.Debug("durable message without metadata", "subject", m.Subject(), "err", err)
			continue
		}
		if dropDelivery != nil && dropDelivery(meta.Sequence.Consumer) {
			continue // a test stands in for the client dropping it
		}
		if meta.Sequence.Consumer != next {
			r.log.Warn("durable sources: deliveries lost on the way; reading again from the last acknowledged message",
				"expected", next, "got", meta.Sequence.Consumer)
			d.gaps.Add(1)
			return !r.stopped.Load()
		}
		next++
		// Recorded before anything else: an unfinished message holds back
		// every cumulative ack that would cover it.
		slot := win.add(meta.Sequence.Stream, m.Reply())
		if r.stopped.Load() {
			if !r.aborted.Load() {
				m.Nak() // not handled: redeliver at once to whoever consumes next
			}
			continue
		}
		d.busy.Add(1)
		d.work <- durableMsg{m: m, win: win, slot: slot}
	}
}

// dropDelivery, set by tests, loses the deliveries it returns true for
// as the client does when a pull's buffer overflows.
var dropDelivery func(consumerSeq uint64) bool

// reopen waits for the workers to handle what they were given, acks it,
// and opens the consumer again from its ack floor with a new window.
func (d *durableSource) reopen() error {
	d.busy.Wait()
	old := d.win.Load()
	old.stop()
	old.flush()
	if d.r.out != nil {
		d.r.out.Flush(5 * time.Second)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	info := d.consumer().CachedInfo()
	cfg := info.Config
	js, err := jetstream.New(d.r.nc)
	if err != nil {
		return err
	}
	st, err := js.Stream(ctx, info.Stream)
	if err != nil {
		return err
	}
	cons, perMessage, err := openConsumer(ctx, st, jetstream.ConsumerConfig{Durable: cfg.Durable, AckWait: cfg.AckWait, MaxAckPending: cfg.MaxAckPending})
	if err != nil {
		return err
	}
	d.consMu.Lock()
	d.cons = cons
	d.consMu.Unlock()
	d.win.Store(newAckWindow(perMessage, old.progress, d.r.ackTo))
	return nil
}

func (d *durableSource) consumer() jetstream.Consumer {
	d.consMu.Lock()
	defer d.consMu.Unlock()
	return d.cons
}

// gone reports the consumer's error when it no longer exists, nil when it
// does (the heartbeats were only late).
func (d *durableSource) gone() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := d.consumer().Info(ctx); errors.Is(err, jetstream.ErrConsumerNotFound) {
		return err
	}
	return nil
}

// close stops fetching, lets the workers finish what was fetched and acks
// what they finished.
func (d *durableSource) close(ctx context.Context) error {
	close(d.quit)
	done := make(chan struct{})
	go func() { d.fetcher.Wait(); d.workers.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		return ctx.Err()
	}
	win := d.win.Load()
	win.stop()
	if !d.r.aborted.Load() {
		win.flush()
	}
	return nil
}

// drain stops a subscription after the messages already queued for it are
// handled.
func (in *inputs) drain(ctx context.Context, sub *input) error {
	var errs []error
	for _, s := range sub.subs {
		errs = append(errs, s.Drain())
	}
	for _, s := range sub.subs {
		for s.IsValid() {
			select {
			case <-ctx.Done():
				return errors.Join(append(errs, ctx.Err())...)
			case <-time.After(2 * time.Millisecond):
			}
		}
	}
	if d := in.durables[sub.durable]; d != nil {
		if d.refs--; d.refs == 0 {
			delete(in.durables, sub.durable)
			errs = append(errs, d.close(ctx))
		}
	}
	return errors.Join(errs...)
}

// pending is how many messages the durable consumers have stored and not
// had acked yet: not delivered, or delivered and not yet fully handled.
func (in *inputs) pending(ctx context.Context) (uint64, error) {
	in.mu.Lock()
	ds := make([]*durableSource, 0, len(in.durables))
	for _, d := range in.durables {
		ds = append(ds, d)
	}
	in.mu.Unlock()
	var n uint64
	for _, d := range ds {
		info, err := d.consumer().Info(ctx)
		if err != nil {
			return 0, fmt.Errorf("engine: durable consumer: %w", err)
		}
		n += info.NumPending + uint64(info.NumAckPending)
	}
	return n, nil
}

func (in *inputs) close(ctx context.Context) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	var errs []error
	for key, sub := range in.subs {
		errs = append(errs, in.drain(ctx, sub))
		delete(in.subs, key)
	}
	return errors.Join(errs...)
}
