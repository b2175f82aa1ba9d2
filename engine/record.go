package engine

import (
	"sync/atomic"
	"time"

	"github.com/kumeo/kumeo/engine/trace"
)

// Recording: sampled events and dead letters are kept in the recorder
// and published on the workflow's trace subject.

func (r *Run) observe(agent string, dir trace.Direction, span trace.Span, data map[string]any, err error) {
	var payload []byte
	if data != nil {
		payload, _ = appendObject(nil, data)
	}
	r.record(agent, dir, span, "", payload, err)
}

// maxTracePayload bounds the payload carried by a published trace record.
const maxTracePayload = 4096

// record keeps an event in or out of an agent in the recorder and
// publishes it on the workflow's trace subject, so tools outside the
// process (and the desktop app watching a deployed workflow) see the same
// records. Only sampled events and dead letters are recorded.
func (r *Run) record(agent string, dir trace.Direction, span trace.Span, subject string, payload []byte, err error) {
	r.rec.Observe(agent, dir, span, subject, payload, err)
	rec := trace.Record{Span: span, TS: time.Now().UnixMilli(), Agent: agent, Dir: dir, Subject: subject, Size: len(payload)}
	if err != nil {
		rec.Error = err.Error()
	}
	if len(payload) > maxTracePayload {
		payload, rec.Truncated = payload[:maxTracePayload], true
	}
	rec.Payload = string(payload)
	buf := getBuf()
	b := rec.AppendJSON((*buf)[:0])
	if perr := r.nc.Publish(trace.Subject(r.g.Load().plan.Name), b); perr != nil {
		r.log.Debug("trace publish failed", "err", perr)
	}
	*buf = b
	putBuf(buf)
}

// sampler admits at most rate new traces per second into the recorder.
type sampler struct {
	rate   int64
	window atomic.Int64 // current second
	count  atomic.Int64
}

func newSampler(rate int) *sampler { return &sampler{rate: int64(rate)} }

// take reports whether to sample an event arriving at now (a reading of
// metrics.Now).
func (s *sampler) take(now int64) bool {
	if s.rate < 0 {
		return false
	}
	sec := now / int64(time.Second)
	if w := s.window.Load(); w != sec && s.window.CompareAndSwap(w, sec) {
		s.count.Store(0)
	}
	return s.count.Add(1) <= s.rate
}
