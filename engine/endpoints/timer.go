package endpoints

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/kumeo/kumeo/engine/flow"
	"github.com/kumeo/kumeo/engine/trace"
)

// TimerSource is the ingress adapter of a Timer source: every interval it
// publishes {"tick": n, "ts": "<RFC 3339 time, UTC>"}, n counting from 1.
// Ticks missed while the runtime applies backpressure are skipped, not
// queued.
type TimerSource struct {
	name, subject string
	interval      time.Duration
	backpressure  func(context.Context) error
	publish       func(context.Context, *nats.Conn, *nats.Msg) error
	log           *slog.Logger
	counters

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

func (r *resolver) timer() error {
	if err := r.onlySource(); err != nil {
		return err
	}
	s := r.ep.Address
	d, err := flow.ParseDuration(s)
	if s == "" || err != nil {
		return r.errorf("invalid interval %q: expected a number followed by ms, s, m, h or d, such as \"5s\"", s)
	}
	if d < time.Millisecond {
		return r.errorf("invalid interval %q: expected at least 1ms", s)
	}
	r.checkOptions()
	subj := r.internal("timer", strconv.Itoa(r.ep.Index))
	r.e.Subject = subj
	r.e.Adapter = &TimerSource{name: r.e.Name, subject: subj, interval: d, backpressure: r.opts.Backpressure, publish: r.opts.publisher(), log: r.opts.logger()}
	return nil
}

// Interval returns the time between ticks.
func (t *TimerSource) Interval() time.Duration { return t.interval }

// Start starts ticking; the first tick comes one interval after Start.
func (t *TimerSource) Start(_ context.Context, nc *nats.Conn) error {
	if nc == nil {
		return fmt.Errorf("%w: %s: nil NATS connection", ErrNotStarted, t.name)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cancel != nil {
		return fmt.Errorf("%w: %s: already started", ErrNotStarted, t.name)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.cancel, t.done = cancel, make(chan struct{})
	go t.run(ctx, nc, t.done)
	return nil
}

// Stop stops ticking and waits for a tick being published.
func (t *TimerSource) Stop(ctx context.Context) error {
	t.mu.Lock()
	cancel, done := t.cancel, t.done
	t.cancel = nil
	t.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("endpoints: stop %s: %w", t.name, ctx.Err())
	}
}

func (t *TimerSource) run(ctx context.Context, nc *nats.Conn, done chan struct{}) {
	defer close(done)
	tick := time.NewTicker(t.interval)
	defer tick.Stop()
	var n int64
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			if t.backpressure != nil {
				if err := t.backpressure(ctx); err != nil {
					if ctx.Err() == nil {
						t.log.Warn("timer stopped by backpressure", "endpoint", t.name, "error", err)
					}
					return
				}
			}
			n++
			t.received.Add(1)
			data := fmt.Appendf(nil, `{"tick":%d,"ts":%q}`, n, now.UTC().Format(time.RFC3339Nano))
			msg := &nats.Msg{Subject: t.subject, Data: data, Header: trace.Root(t.name).Header()}
			if err := t.publish(ctx, nc, msg); err != nil {
				t.fail(fmt.Errorf("%s: publish: %w", t.name, err))
				t.log.Error("timer could not publish", "endpoint", t.name, "error", err)
				continue
			}
			t.delivered.Add(1)
		}
	}
}
