package engine

import (
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"

	"github.com/kumeo/kumeo/engine/endpoints"
)

// ErrConnClosed is the fault of a run whose NATS connection closed under
// it (the embedded server shut down, or an external server could not be
// reached again), not by Stop.
var ErrConnClosed = errors.New("engine: the NATS connection closed")

// runFault records the first reason a run cannot go on by itself.
type runFault struct {
	ch  chan struct{}
	err error // set before ch is closed
}

// Fault is closed when the run can no longer do its work by itself: its
// NATS connection closed, a source failed (a File source that could not be
// read, the HTTP listener stopped). Err says why. A run that faults keeps
// its metrics, traces and ledger; Stop still releases it.
func (r *Run) Fault() <-chan struct{} { return r.fault.ch }

// Err is the reason the run faulted, or nil.
func (r *Run) Err() error {
	select {
	case <-r.fault.ch:
		return r.fault.err
	default:
		return nil
	}
}

// fail records err as the run's fault unless the run is stopping or has
// already faulted.
func (r *Run) fail(err error) {
	if r.stopped.Load() {
		return
	}
	r.faultOnce.Do(func() {
		r.fault.err = err
		close(r.fault.ch)
		r.log.Error("run failed", "error", err)
	})
}

// connClosed is the closed handler of a connection the run opens: a
// close it did not ask for is a fault.
func (r *Run) connClosed(nc *nats.Conn) {
	if err := nc.LastError(); err != nil {
		r.fail(fmt.Errorf("%w: %w", ErrConnClosed, err))
		return
	}
	r.fail(ErrConnClosed)
}

// watchSource makes a finite source that ends with an error a fault.
func (r *Run) watchSource(e *endpoints.Endpoint) {
	f, ok := e.Adapter.(endpoints.Finite)
	if !ok {
		return
	}
	go func() {
		select {
		case <-f.Done():
			// A source stopped by a reload or Stop is not a fault.
			if err := f.Err(); err != nil && !errors.Is(err, endpoints.ErrStopped) {
				r.fail(fmt.Errorf("engine: source %s: %w", e.Name, err))
			}
		case <-r.ctx.Done():
		}
	}()
}
