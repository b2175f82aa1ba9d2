package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kumeo/kumeo/engine/bus"
)

// ErrOutputsNotStored is returned (wrapped) when the outputs stream of a
// durable run did not confirm that it stored the events published before
// an acknowledgement; the acknowledgement is then not sent.
var ErrOutputsNotStored = errors.New("engine: the outputs stream did not confirm the outputs")

// A durable run captures what it sends to its targets and dead letters in
// a stream of its own, so that an event whose source message is
// acknowledged never loses its outputs to a crash: before each
// acknowledgement the run publishes a marker to that stream on the
// connection its outputs went out on and waits for the stream's answer.
// The stream stores what one connection sends in order, so the answer
// means every output published before the marker is stored (written to
// the store's files, which a killed process does not lose).

// OutputsStream is the name of the stream holding a durable run's outputs
// and dead letters.
func OutputsStream(workflow string) string {
	return strings.TrimSuffix(streamName(workflow), "_SOURCES") + "_OUTPUTS"
}

// markSubject is the subject of the markers; the stream keeps one of
// them (the rest are duplicates by id).
func markSubject(workflow string) string { return "kumeo.mark." + workflow }

// outputSubjects is every subject the outputs stream captures.
func outputSubjects(p *Plan) []string {
	seen := map[string]bool{}
	var subjects []string
	for _, t := range p.Targets {
		if t.Subject != "" && !seen[t.Subject] {
			seen[t.Subject] = true
			subjects = append(subjects, t.Subject)
		}
	}
	if p.DLQ != "" && !seen[p.DLQ] {
		subjects = append(subjects, p.DLQ)
	}
	sort.Strings(subjects)
	return subjects
}

// outputStore is a durable run's outputs stream and its markers.
type outputStore struct {
	r       *Run
	subject string
	inbox   string
	sub     *nats.Subscription
	replies chan *nats.Msg

	mu        sync.Mutex // one marker at a time
	started   atomic.Uint64
	confirmed uint64 // the last marker the stream answered
}

// syncOutputs creates or updates the outputs stream of a durable run for
// the plan's targets.
func (r *Run) syncOutputs(ctx context.Context, p *Plan) error {
	if r.opts.DataDir == "" {
		return nil
	}
	js, err := jetstream.New(r.nc)
	if err != nil {
		return err
	}
	storage := jetstream.FileStorage
	if r.bus != nil {
		storage = r.bus.StorageType()
	}
	name := OutputsStream(p.Name)
	subjects := append(outputSubjects(p), markSubject(p.Name))
	if _, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: name, Subjects: subjects, Storage: storage, Retention: jetstream.LimitsPolicy,
		Description: "the outputs and dead letters of workflow " + p.Name,
	}); err != nil {
		return fmt.Errorf("engine: durable outputs stream %s (subjects %s): %w", name, strings.Join(subjects, ", "), err)
	}
	if r.outputs != nil {
		return nil
	}
	o := &outputStore{r: r, subject: markSubject(p.Name), inbox: nats.NewInbox(), replies: make(chan *nats.Msg, 8)}
	o.sub, err = r.nc.ChanSubscribe(o.inbox+".*", o.replies)
	if err != nil {
		return err
	}
	r.outputs = o
	return r.nc.Flush()
}

// stored waits until every output published before the call is stored.
// A marker sent after the call began covers it, so concurrent callers
// share one round trip.
func (o *outputStore) stored(timeout time.Duration) error {
	ticket := o.started.Load() + 1
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.confirmed >= ticket {
		return nil
	}
	n := o.started.Add(1)
	reply := fmt.Sprintf("%s.%d", o.inbox, n)
	hdr := bus.AppendHeaderStart(nil)
	hdr = bus.AppendHeader(hdr, jetstream.MsgIDHeader, "kumeo-mark")
	hdr = bus.AppendHeaderEnd(hdr)
	var err error
	if o.r.out != nil {
		err = o.r.out.PublishRequest(o.subject, reply, hdr, nil)
	} else {
		h := nats.Header{}
		h.Set(jetstream.MsgIDHeader, "kumeo-mark")
		err = o.r.nc.PublishMsg(&nats.Msg{Subject: o.subject, Reply: reply, Header: h})
	}
	if err != nil {
		return fmt.Errorf("%w: %w", ErrOutputsNotStored, err)
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		select {
		case m := <-o.replies:
			if m.Subject != reply {
				continue // the answer to a marker that timed out
			}
			var ack struct {
				Error *struct {
					Description string `json:"description"`
				} `json:"error"`
			}
			if err := json.Unmarshal(m.Data, &ack); err != nil {
				return fmt.Errorf("%w: %w", ErrOutputsNotStored, err)
			}
			if ack.Error != nil {
				return fmt.Errorf("%w: %s", ErrOutputsNotStored, ack.Error.Description)
			}
			o.confirmed = n
			return nil
		case <-deadline.C:
			return fmt.Errorf("%w: no answer within %s", ErrOutputsNotStored, timeout)
		}
	}
}

func (o *outputStore) close() {
	if o != nil && o.sub != nil {
		o.sub.Unsubscribe()
	}
}

// OutputTap hands every event a run sends to its targets, and every dead
// letter, to a writer (kumeo run --output).
//
// On a durable run it reads them from the outputs stream through a durable
// consumer named after the tap: the writer gets them in order, and one is
// acknowledged only after sync returned for it, so a tap opened again
// after a crash (or by the next run on the same data directory) goes on
// with what was not yet written, possibly a few again, none missing.
// Otherwise it subscribes to the subjects, and what it has not written when
// the process dies is lost with it.
type OutputTap struct {
	nc    *nats.Conn
	plan  *Plan
	write func(*nats.Msg) error
	sync  func() error

	mu   sync.Mutex // serializes write for the subscriptions
	subs []*nats.Subscription

	cons jetstream.Consumer
	quit chan struct{}
	done chan struct{}
	err  error
}

// TapOutputs starts a tap named name on the outputs of plan, on nc (a
// connection of the caller's, so that the tap outlives the run and writes
// what the run left when it stopped); durable says whether the run has a
// data directory. write is called for each message, one at a time; sync
// makes what was written durable (a flush, an fsync if the caller wants)
// before the messages are acknowledged.
func TapOutputs(ctx context.Context, nc *nats.Conn, p *Plan, durable bool, name string, write func(*nats.Msg) error, sync func() error) (*OutputTap, error) {
	t := &OutputTap{nc: nc, plan: p, write: write, sync: sync}
	if !durable {
		for _, s := range outputSubjects(p) {
			sub, err := nc.Subscribe(s, func(m *nats.Msg) {
				t.mu.Lock()
				defer t.mu.Unlock()
				if err := t.write(m); err != nil && t.err == nil {
					t.err = err
				}
			})
			if err != nil {
				t.unsubscribe()
				return nil, err
			}
			sub.SetPendingLimits(-1, -1)
			t.subs = append(t.subs, sub)
		}
		return t, nc.Flush()
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	stream, err := js.Stream(ctx, OutputsStream(p.Name))
	if err != nil {
		return nil, fmt.Errorf("engine: outputs stream: %w", err)
	}
	t.cons, err = t.open(ctx, stream, name)
	if err != nil {
		return nil, err
	}
	t.quit, t.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(t.done)
		t.err = t.read(stream, name)
	}()
	return t, nil
}

func (t *OutputTap) open(ctx context.Context, stream jetstream.Stream, name string) (jetstream.Consumer, error) {
	c, _, err := openConsumer(ctx, stream, jetstream.ConsumerConfig{
		Durable: "kumeo-tap-" + name, FilterSubjects: outputSubjects(t.plan),
		AckWait: 30 * time.Second, MaxAckPending: 8192,
	})
	if err != nil {
		return nil, fmt.Errorf("engine: outputs consumer %s: %w", name, err)
	}
	return c, nil
}

// read writes what the consumer delivers, batch by batch: write each
// message, sync, then acknowledge the batch's last one (which covers the
// batch). A batch is pulled with one request into room for twice its
// size, so no delivery can be dropped on the way; should the consumer's
// delivery numbers jump anyway, the consumer is opened again from what
// was acknowledged, and nothing unwritten is covered by an ack.
func (t *OutputTap) read(stream jetstream.Stream, name string) error {
	next := uint64(0)
	if info := t.cons.CachedInfo(); info != nil {
		next = info.Delivered.Consumer + 1
	}
	for {
		select {
		case <-t.quit:
			return nil
		default:
		}
		batch, err := t.cons.Fetch(512, jetstream.FetchMaxWait(100*time.Millisecond))
		if err != nil {
			if t.nc.IsClosed() {
				return nil
			}
			return fmt.Errorf("engine: outputs: %w", err)
		}
		var last jetstream.Msg
		gap := false
		for m := range batch.Messages() {
			meta, err := m.Metadata()
			if err != nil {
				continue
			}
			if meta.Sequence.Consumer != next {
				gap = true
				break
			}
			next++
			if err := t.write(&nats.Msg{Subject: m.Subject(), Header: m.Headers(), Data: m.Data()}); err != nil {
				return err
			}
			last = m
		}
		if last != nil {
			if err := t.sync(); err != nil {
				return err
			}
			if err := last.Ack(); err != nil && !t.nc.IsClosed() {
				return fmt.Errorf("engine: outputs: %w", err)
			}
		}
		if gap {
			for range batch.Messages() {
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			t.nc.Flush() // the ack first
			c, err := t.open(ctx, stream, name)
			cancel()
			if err != nil {
				return err
			}
			t.cons, next = c, c.CachedInfo().Delivered.Consumer+1
		}
	}
}

// Close stops the tap. A durable one first writes everything the outputs
// stream holds for it (the run should be stopped by then, so that nothing
// more arrives), or gives up when ctx ends: what it did not write stays in
// the stream for the next tap of the same name.
func (t *OutputTap) Close(ctx context.Context) error {
	if t.cons == nil {
		err := t.nc.Flush()
		t.unsubscribe()
		t.mu.Lock()
		defer t.mu.Unlock()
		return errors.Join(err, t.err, t.sync())
	}
	var left uint64
	for {
		select {
		case <-t.done:
			return t.err
		default:
		}
		info, err := t.cons.Info(ctx)
		if err == nil {
			left = info.NumPending + uint64(info.NumAckPending)
			if left == 0 {
				break
			}
		}
		select {
		case <-ctx.Done():
			close(t.quit)
			<-t.done
			return errors.Join(t.err, fmt.Errorf("engine: outputs: %d events not written yet; they stay in stream %s: %w", left, OutputsStream(t.plan.Name), ctx.Err()))
		case <-time.After(10 * time.Millisecond):
		}
	}
	close(t.quit)
	<-t.done
	return t.err
}

func (t *OutputTap) unsubscribe() {
	for _, s := range t.subs {
		s.Unsubscribe()
	}
	t.subs = nil
}
