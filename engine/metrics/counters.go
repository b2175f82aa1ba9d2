package metrics

import (
	"errors"
	"fmt"
	"sync/atomic"
)

// ErrLedger reports counters that break the ledger
// in == out + filtered + dead_lettered + in_flight with in_flight >= 0:
// some event was finished more often than it was received.
var ErrLedger = errors.New("metrics: event ledger out of balance")

// Counters are the per-agent event counters. Every event an agent receives
// must end exactly once as Emitted, Filtered or DeadLettered; until then it
// is in flight. In-flight is not a counter of its own but derived as
// in - out - filtered - dead_lettered, so every Load balances the ledger
// exactly, and an event that is lost (never finished) or finished twice
// shows as in-flight stuck above zero or below it.
//
// All methods are safe for concurrent use; the zero value is ready. A
// Counters must not be copied after first use.
type Counters struct {
	in           atomic.Uint64
	out          atomic.Uint64
	filtered     atomic.Uint64
	deadLettered atomic.Uint64
	errors       atomic.Uint64
	retries      atomic.Uint64
	pending      atomic.Int64
}

// Received counts an event taken in by the agent; it is now in flight.
func (c *Counters) Received() { c.in.Add(1) }

// Emitted counts an in-flight event that finished successfully (its output,
// if any, was published). One input is one Emitted, whatever its fan-out.
func (c *Counters) Emitted() { c.out.Add(1) }

// Filtered counts an in-flight event the agent deliberately dropped.
func (c *Counters) Filtered() { c.filtered.Add(1) }

// DeadLettered counts an in-flight event that finally failed and went to
// the dead-letter subject.
func (c *Counters) DeadLettered() { c.deadLettered.Add(1) }

// Failed counts one failed attempt (an error, a timeout). It does not
// finish the event: a retry, fallback or dead letter follows.
func (c *Counters) Failed() { c.errors.Add(1) }

// Retried counts one retry attempt.
func (c *Counters) Retried() { c.retries.Add(1) }

// SetPending sets the number of events waiting for the agent (consumer lag).
func (c *Counters) SetPending(n int64) { c.pending.Store(n) }

// Load reads the counters. Completions are read before in, so a concurrent
// Received/finish pair can only make InFlight momentarily too high, never
// negative.
func (c *Counters) Load() CounterValues {
	v := CounterValues{
		Out:          c.out.Load(),
		Filtered:     c.filtered.Load(),
		DeadLettered: c.deadLettered.Load(),
		Errors:       c.errors.Load(),
		Retries:      c.retries.Load(),
		Pending:      c.pending.Load(),
	}
	v.In = c.in.Load()
	v.InFlight = int64(v.In) - int64(v.Out+v.Filtered+v.DeadLettered)
	return v
}

// CounterValues is a point-in-time read of Counters.
type CounterValues struct {
	In, Out, Filtered, DeadLettered uint64
	Errors, Retries                 uint64
	InFlight                        int64 // In - Out - Filtered - DeadLettered
	Pending                         int64
}

// Check returns an error wrapping ErrLedger if more events were finished
// than received.
func (v CounterValues) Check() error {
	if v.InFlight < 0 {
		return fmt.Errorf("%w: in=%d but out=%d + filtered=%d + dead_lettered=%d = %d",
			ErrLedger, v.In, v.Out, v.Filtered, v.DeadLettered, v.Out+v.Filtered+v.DeadLettered)
	}
	return nil
}

// Settled reports whether every received event has finished (InFlight == 0),
// the state a drained agent must reach.
func (v CounterValues) Settled() bool { return v.InFlight == 0 }
