package engine

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kumeo/kumeo/dsl/subject"
)

// ErrOutputsNotStored is returned (wrapped) when the outputs stream of a
// durable run did not confirm that it stored the events published before
// an acknowledgement; the acknowledgement is then not sent.
var ErrOutputsNotStored = errors.New("engine: the outputs stream did not confirm the outputs")

// A durable run keeps what it sends to its targets, and its dead letters,
// in a journal: a stream of its own whose messages each hold a batch of
// outputs (subject, headers and payload of each, in the order they were
// published). Before each acknowledgement of source messages the run
// stores the batch of outputs published since the last one and waits for
// the stream's answer, so an event whose source message is acknowledged
// never loses its outputs to a crash. One stored message per batch costs
// the store a fraction of one per output. The outputs still go to their
// subjects as they are made, for whoever subscribes.

// OutputsStream is the name of the stream holding a durable run's journal
// of outputs and dead letters.
func OutputsStream(workflow string) string {
	return strings.TrimSuffix(streamName(workflow), "_SOURCES") + "_OUTPUTS"
}

// journalSubject is the subject of a workflow's journal batches.
func journalSubject(workflow string) string { return subject.Journal(workflow) }

// outputSubjects is every subject whose messages the journal keeps.
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

// journalChunk bounds one stored batch, well under the bus's largest
// message; a single larger output is stored alone.
const journalChunk = 256 << 10

// outputStore is a durable run's journal of outputs.
type outputStore struct {
	r       *Run
	subject string
	js      jetstream.JetStream
	keep    atomic.Pointer[map[string]bool] // the subjects journaled

	bufMu sync.Mutex
	buf   []byte // records not stored yet

	mu        sync.Mutex // one store at a time
	started   atomic.Uint64
	confirmed uint64 // the last store the stream answered
}

// syncOutputs creates or updates the journal stream of a durable run and
// the subjects it keeps.
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
	if _, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: name, Subjects: []string{journalSubject(p.Name)}, Storage: storage, Retention: jetstream.LimitsPolicy,
		Description: "the outputs and dead letters of workflow " + p.Name + ", in batches",
	}); err != nil {
		return fmt.Errorf("engine: durable outputs stream %s: %w", name, err)
	}
	keep := map[string]bool{}
	for _, s := range outputSubjects(p) {
		keep[s] = true
	}
	if r.outputs == nil {
		r.outputs = &outputStore{r: r, subject: journalSubject(p.Name), js: js}
	}
	r.outputs.keep.Store(&keep)
	return nil
}

// add journals one published message if its subject is an output's. hdr
// is the encoded header block ("NATS/1.0\r\n..."), or empty.
func (o *outputStore) add(subject string, hdr, data []byte) {
	if !(*o.keep.Load())[subject] {
		return
	}
	o.bufMu.Lock()
	o.buf = appendRecord(o.buf, subject, hdr, data)
	o.bufMu.Unlock()
}

func appendRecord(b []byte, subject string, hdr, data []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(subject)))
	b = append(b, subject...)
	b = binary.AppendUvarint(b, uint64(len(hdr)))
	b = append(b, hdr...)
	b = binary.AppendUvarint(b, uint64(len(data)))
	return append(b, data...)
}

// readRecords calls fn with each record of a journal batch.
func readRecords(b []byte, fn func(subject string, hdr, data []byte) error) error {
	field := func() ([]byte, error) {
		n, k := binary.Uvarint(b)
		if k <= 0 || uint64(len(b)-k) < n {
			return nil, errors.New("engine: journal batch is cut short")
		}
		f := b[k : k+int(n)]
		b = b[k+int(n):]
		return f, nil
	}
	for len(b) > 0 {
		subject, err := field()
		if err != nil {
			return err
		}
		hdr, err := field()
		if err != nil {
			return err
		}
		data, err := field()
		if err != nil {
			return err
		}
		if err := fn(string(subject), hdr, data); err != nil {
			return err
		}
	}
	return nil
}

// stored waits until every output journaled before the call is stored. A
// store started after the call began covers it, so concurrent callers
// share one.
func (o *outputStore) stored(timeout time.Duration) error {
	ticket := o.started.Load() + 1
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.confirmed >= ticket {
		return nil
	}
	n := o.started.Add(1)
	o.bufMu.Lock()
	batch := o.buf
	o.buf = nil
	o.bufMu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for done := 0; done < len(batch); {
		end := chunkEnd(batch, done)
		if _, err := o.js.PublishMsg(ctx, &nats.Msg{Subject: o.subject, Data: batch[done:end]}); err != nil {
			// Kept for the next try, ahead of what came since.
			o.bufMu.Lock()
			o.buf = append(batch[done:len(batch):len(batch)], o.buf...)
			o.bufMu.Unlock()
			return fmt.Errorf("%w: %w", ErrOutputsNotStored, err)
		}
		done = end
	}
	o.confirmed = n
	return nil
}

// chunkEnd is where the chunk of b starting at from ends: at a record's
// end, past at least one record and, when more fit, not past journalChunk.
func chunkEnd(b []byte, from int) int {
	end := from
	for end < len(b) {
		next := end
		for i := 0; i < 3; i++ {
			n, k := binary.Uvarint(b[next:])
			next += k + int(n)
		}
		if next-from > journalChunk && end > from {
			break
		}
		end = next
	}
	return end
}

// OutputTap hands every event a run sends to its targets, and every dead
// letter, to a writer (kumeo run --output).
//
// On a durable run it reads them from the outputs journal through a durable
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
		Durable: "kumeo-tap-" + name,
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
			if err := readRecords(m.Data(), func(subject string, hdr, data []byte) error {
				msg := &nats.Msg{Subject: subject, Data: data}
				if len(hdr) > 0 {
					h, err := nats.DecodeHeadersMsg(hdr)
					if err != nil {
						return fmt.Errorf("engine: outputs: a journaled message's headers: %w", err)
					}
					msg.Header = h
				}
				return t.write(msg)
			}); err != nil {
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
