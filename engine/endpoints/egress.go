package endpoints

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
)

// subscribeTimeout bounds the wait for the server to confirm a target's
// subscription when Start's context has no deadline.
const subscribeTimeout = 10 * time.Second

// egress is the subscription every target adapter delivers from.
type egress struct {
	name, subject string

	mu     sync.Mutex
	sub    *nats.Subscription
	closed chan struct{} // closed after the last callback returned
	lost   int64         // messages dropped by a subscription already stopped
}

// start subscribes handle to the subject and waits until the server has
// the subscription, so that nothing published after Start returns is
// missed.
func (e *egress) start(ctx context.Context, nc *nats.Conn, handle nats.MsgHandler) error {
	if nc == nil {
		return fmt.Errorf("%w: %s: nil NATS connection", ErrNotStarted, e.name)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.sub != nil {
		return fmt.Errorf("%w: %s: already started", ErrNotStarted, e.name)
	}
	closed := make(chan struct{})
	sub, err := nc.Subscribe(e.subject, handle)
	if err != nil {
		return fmt.Errorf("endpoints: %s: subscribe %s: %w", e.name, e.subject, err)
	}
	sub.SetClosedHandler(func(string) { close(closed) })
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, subscribeTimeout)
		defer cancel()
	}
	if err := nc.FlushWithContext(ctx); err != nil {
		_ = sub.Unsubscribe()
		return fmt.Errorf("endpoints: %s: subscribe %s: %w", e.name, e.subject, err)
	}
	e.sub, e.closed = sub, closed
	return nil
}

// stop drains the subscription: messages the server already sent are
// still handled. It returns when the last handler call has returned, or
// when ctx ends.
func (e *egress) stop(ctx context.Context) error {
	e.mu.Lock()
	sub, closed := e.sub, e.closed
	e.sub = nil
	e.mu.Unlock()
	if sub == nil {
		return nil
	}
	if n, err := sub.Dropped(); err == nil {
		e.mu.Lock()
		e.lost += int64(n)
		e.mu.Unlock()
	}
	if err := sub.Drain(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) && !errors.Is(err, nats.ErrBadSubscription) {
		return fmt.Errorf("endpoints: %s: drain %s: %w", e.name, e.subject, err)
	}
	select {
	case <-closed:
		return nil
	case <-ctx.Done():
		_ = sub.Unsubscribe()
		return fmt.Errorf("endpoints: %s: draining %s: %w", e.name, e.subject, ctx.Err())
	}
}

// dropped returns how many messages the subscription dropped because its
// handler fell behind (a slow consumer).
func (e *egress) dropped() int64 {
	e.mu.Lock()
	sub, lost := e.sub, e.lost
	e.mu.Unlock()
	if sub != nil {
		if n, err := sub.Dropped(); err == nil {
			lost += int64(n)
		}
	}
	return lost
}
