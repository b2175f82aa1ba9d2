package endpoints

import (
	"sync"
	"sync/atomic"
)

// Stats counts what an adapter did. At any moment
// Received == Delivered + Rejected + Failed + the events in flight.
type Stats struct {
	// Received counts events taken in: HTTP requests, file lines, timer
	// ticks (sources) or messages from the bus (targets).
	Received int64 `json:"received"`
	// Delivered counts events published to the bus (sources) or delivered
	// outside (targets).
	Delivered int64 `json:"delivered"`
	// Rejected counts events refused because they were malformed: HTTP
	// requests answered 4xx, events a File target cannot write as one line.
	Rejected int64 `json:"rejected"`
	// Failed counts events lost to errors: publish errors, non-2xx answers
	// from an HTTP target, write errors.
	Failed int64 `json:"failed"`
	// LastError is the most recent rejection or failure.
	LastError string `json:"last_error,omitempty"`
}

type counters struct {
	received, delivered, rejected, failed atomic.Int64

	mu      sync.Mutex
	lastErr string
}

func (c *counters) fail(err error) {
	c.failed.Add(1)
	c.setErr(err)
}

func (c *counters) reject(err error) {
	c.rejected.Add(1)
	c.setErr(err)
}

func (c *counters) setErr(err error) {
	c.mu.Lock()
	c.lastErr = err.Error()
	c.mu.Unlock()
}

// Stats returns a snapshot of the counters.
func (c *counters) Stats() Stats {
	c.mu.Lock()
	last := c.lastErr
	c.mu.Unlock()
	// Read the outcome counters before received, so that a concurrent
	// event is never counted as handled but not received.
	s := Stats{Delivered: c.delivered.Load(), Rejected: c.rejected.Load(), Failed: c.failed.Load(), LastError: last}
	s.Received = c.received.Load()
	return s
}
