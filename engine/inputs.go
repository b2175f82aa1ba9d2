package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
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
	r    *Run
	mu   sync.Mutex
	subs map[string]*input
}

type input struct {
	key      string
	subjects []string
	subs     []*nats.Subscription
	quit     chan struct{} // stops the durable workers
	workers  sync.WaitGroup
}

func newInputs(r *Run) *inputs { return &inputs{r: r, subs: map[string]*input{}} }

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

func (in *inputs) handler(w want) func(*nats.Msg) {
	r := in.r
	return func(msg *nats.Msg) {
		if r.stopped.Load() && w.durable {
			return // not acked: redelivered after a restart
		}
		g := r.g.Load()
		if w.agent == "" {
			r.enter(g, "source", g.sources, msg, true)
			return
		}
		n := g.nodes[w.agent]
		if n == nil {
			return
		}
		r.enter(g, w.channel, []*node{n}, msg, w.channel == "source")
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
			s, err := r.nc.QueueSubscribe(subject, w.queue, h)
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
// handled, so a crash or restart redelivers what was in progress.
func (in *inputs) subscribeDurable(ctx context.Context, g *graph, w want, sub *input, h func(*nats.Msg)) error {
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
	cons, err := stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable: durable, AckPolicy: jetstream.AckExplicitPolicy, AckWait: r.opts.AckWait,
		MaxAckPending: 8192, DeliverPolicy: jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return fmt.Errorf("engine: durable consumer %s: %w", durable, err)
	}
	// Each worker pulls its own batches and acks each message once its
	// event is fully handled. Pulling (rather than a push callback that
	// waits for a free worker) keeps heartbeats and flow control out of
	// the handlers' way when the machine is saturated.
	sub.quit = make(chan struct{})
	for i := 0; i < r.opts.Concurrency; i++ {
		sub.workers.Add(1)
		go func() {
			defer sub.workers.Done()
			for {
				select {
				case <-sub.quit:
					return
				default:
				}
				batch, err := cons.Fetch(256, jetstream.FetchMaxWait(500*time.Millisecond))
				if err != nil {
					if r.stopped.Load() {
						return
					}
					r.log.Debug("durable fetch", "err", err)
					select {
					case <-sub.quit:
						return
					case <-time.After(50 * time.Millisecond):
					}
					continue
				}
				for m := range batch.Messages() {
					if r.stopped.Load() {
						if !r.aborted.Load() {
							m.Nak() // not handled: redeliver at once to whoever consumes next
						}
						continue
					}
					h(&nats.Msg{Subject: m.Subject(), Header: m.Headers(), Data: m.Data()})
					r.ack(m)
				}
				if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) && !r.stopped.Load() {
					r.log.Debug("durable batch", "err", err)
				}
			}
		}()
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
	if sub.quit != nil {
		close(sub.quit)
		done := make(chan struct{})
		go func() { sub.workers.Wait(); close(done) }()
		select {
		case <-done:
		case <-ctx.Done():
			errs = append(errs, ctx.Err())
		}
	}
	return errors.Join(errs...)
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
