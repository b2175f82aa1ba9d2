package engine

import (
	"strconv"
	"sync"

	"github.com/nats-io/nats.go"

	"github.com/kumeo/kumeo/engine/bus"
	"github.com/kumeo/kumeo/engine/flow"
	"github.com/kumeo/kumeo/engine/trace"
)

// Wire encoding: events and dead letters leave the run as NATS messages
// whose headers are written straight into pooled buffers.

// Headers written on dead-lettered messages (the body is the original
// event bytes).
const (
	HeaderError    = "Kumeo-Error"
	HeaderAgent    = "Kumeo-Agent"
	HeaderWorkflow = "Kumeo-Workflow"
)

// deadLetter publishes the original bytes with the reason in headers on
// the workflow's dead-letter subject, or on the on_failure fallback
// channel when one is given.
func (r *Run) deadLetter(g *graph, agent, channel string, raw []byte, span trace.Span, cause error) {
	subject := g.plan.DLQ
	if channel != "" {
		subject = Subject(g.plan.Name, channel)
		if t := findTarget(g.plan, channel); t != nil {
			subject = t.Subject
		}
	}
	var err error
	if r.out != nil {
		buf := getBuf()
		h := appendDeadLetterHeaders((*buf)[:0], span, cause.Error(), agent, g.plan.Name)
		err = r.out.Publish(subject, h, raw)
		if err == nil && r.outputs != nil {
			r.outputs.add(subject, h, raw)
		}
		*buf = h
		putBuf(buf)
	} else {
		h := span.Header()
		h.Set(HeaderError, cause.Error())
		h.Set(HeaderAgent, agent)
		h.Set(HeaderWorkflow, g.plan.Name)
		err = r.nc.PublishMsg(&nats.Msg{Subject: subject, Header: h, Data: raw})
		if err == nil && r.outputs != nil {
			r.outputs.add(subject, encodeHeader(h), raw)
		}
	}
	if err != nil {
		r.log.Error("dead-letter publish failed", "subject", subject, "err", err)
	}
	r.record(agent, trace.Out, span, subject, raw, cause)
}

// publish encodes an event and publishes it with its trace headers.
func (r *Run) publish(subject string, ev *flow.Event, span trace.Span) error {
	if r.out != nil {
		return r.publishOut(subject, ev, span)
	}
	buf := getBuf()
	b, err := appendObject((*buf)[:0], ev.Data)
	if err != nil {
		putBuf(buf)
		return err
	}
	var err2 error
	if span.Hop == 0 && span.ParentID == "" {
		// Unsampled events carry just their trace and event ids: two header
		// lines written into a pooled, pre-keyed header, which keeps the
		// cost of tracing every event small for us and for consumers.
		h := idHeaders.Get().(nats.Header)
		h[trace.HeaderTraceID][0] = span.TraceID
		h[trace.HeaderEventID][0] = span.EventID
		err2 = r.nc.PublishMsg(&nats.Msg{Subject: subject, Header: h, Data: b})
		if err2 == nil && r.outputs != nil {
			r.outputs.add(subject, encodeHeader(h), b)
		}
		idHeaders.Put(h) // PublishMsg has copied the headers into its buffer
	} else {
		h := getHeader()
		span.Inject(h)
		err2 = r.nc.PublishMsg(&nats.Msg{Subject: subject, Header: h, Data: b})
		if err2 == nil && r.outputs != nil {
			r.outputs.add(subject, encodeHeader(h), b)
		}
		putHeader(h)
	}
	*buf = b
	putBuf(buf)
	return err2
}

// publishOut is publish on r.out: the headers and the encoded event are
// written into one buffer.
func (r *Run) publishOut(subject string, ev *flow.Event, span trace.Span) error {
	buf := getBuf()
	b := appendEventHeaders((*buf)[:0], span)
	n := len(b)
	b, err := appendObject(b, ev.Data)
	if err == nil {
		err = r.out.Publish(subject, b[:n], b[n:])
	}
	if err == nil && r.outputs != nil {
		r.outputs.add(subject, b[:n], b[n:])
	}
	*buf = b
	putBuf(buf)
	return err
}

// encodeHeader is h as a message's header block.
func encodeHeader(h nats.Header) []byte {
	b := bus.AppendHeaderStart(nil)
	for k, vs := range h {
		for _, v := range vs {
			b = bus.AppendHeader(b, k, v)
		}
	}
	return bus.AppendHeaderEnd(b)
}

// appendEventHeaders appends the headers of an event published with span,
// the ones publish sets through nc: an unsampled event (hop 0, no parent)
// carries just its trace and event ids, any other span all of its fields.
func appendEventHeaders(dst []byte, span trace.Span) []byte {
	dst = bus.AppendHeaderStart(dst)
	if span.Hop == 0 && span.ParentID == "" {
		dst = bus.AppendHeader(dst, trace.HeaderTraceID, span.TraceID)
		dst = bus.AppendHeader(dst, trace.HeaderEventID, span.EventID)
	} else {
		dst = appendSpanHeaders(dst, span)
	}
	return bus.AppendHeaderEnd(dst)
}

// appendDeadLetterHeaders appends the headers of a dead letter: the span
// and the reason, as deadLetter sets them through nc.
func appendDeadLetterHeaders(dst []byte, span trace.Span, reason, agent, workflow string) []byte {
	dst = bus.AppendHeaderStart(dst)
	dst = appendSpanHeaders(dst, span)
	dst = bus.AppendHeader(dst, HeaderError, reason)
	dst = bus.AppendHeader(dst, HeaderAgent, agent)
	dst = bus.AppendHeader(dst, HeaderWorkflow, workflow)
	return bus.AppendHeaderEnd(dst)
}

// appendSpanHeaders appends the headers span.Inject sets on an empty
// header: every non-empty id and the hop.
func appendSpanHeaders(dst []byte, span trace.Span) []byte {
	for _, h := range [...]struct{ k, v string }{
		{trace.HeaderTraceID, span.TraceID},
		{trace.HeaderEventID, span.EventID},
		{trace.HeaderParentID, span.ParentID},
		{trace.HeaderFrom, span.From},
	} {
		if h.v != "" {
			dst = bus.AppendHeader(dst, h.k, h.v)
		}
	}
	var hop [20]byte
	return bus.AppendHeader(dst, trace.HeaderHop, string(strconv.AppendInt(hop[:0], int64(span.Hop), 10)))
}

var idHeaders = sync.Pool{New: func() any {
	return nats.Header{trace.HeaderTraceID: make([]string, 1), trace.HeaderEventID: make([]string, 1)}
}}

var headerPool = sync.Pool{New: func() any { return nats.Header{} }}

func getHeader() nats.Header { return headerPool.Get().(nats.Header) }

func putHeader(h nats.Header) {
	clear(h)
	headerPool.Put(h)
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

func getBuf() *[]byte { return bufPool.Get().(*[]byte) }

func putBuf(b *[]byte) {
	if cap(*b) <= 64<<10 { // do not keep what one big event grew
		bufPool.Put(b)
	}
}
