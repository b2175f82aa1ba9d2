package metrics

import "time"

// epoch anchors Now. time.Since on a time that carries a monotonic reading
// reads the monotonic clock only, which is about half the cost of
// time.Now (wall and monotonic): the engine reads the clock around every
// agent call, so this shows in its cost per event.
var epoch = time.Now()

// Now is a monotonic clock in nanoseconds, comparable only with itself.
func Now() int64 { return int64(time.Since(epoch)) }

// RecordSince records the time from start (a reading of Now) until now and
// returns now, so the next measurement can start from it without reading
// the clock again.
func (h *Histogram) RecordSince(start int64) int64 {
	now := Now()
	h.Record(time.Duration(now - start))
	return now
}
