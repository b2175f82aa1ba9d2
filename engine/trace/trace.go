// Package trace follows events through a workflow.
//
// Every event carries its trace in NATS headers: the trace id stays the
// same from the source to the last sink, each event gets its own event id,
// and hop information says which agent emitted it and how far it is from
// the source. A Recorder keeps the recent events in and out of each agent
// and the path of each recent trace, bounded, for inspection.
package trace

import (
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go"

	"github.com/kumeo/kumeo/dsl/subject"
)

// Header names carried on every event.
const (
	HeaderTraceID  = "Kumeo-Trace-Id"  // 32 hex digits, the same along the whole path
	HeaderEventID  = "Kumeo-Event-Id"  // 16 hex digits, new for every emitted event
	HeaderParentID = "Kumeo-Parent-Id" // event id of the input this event came from
	HeaderHop      = "Kumeo-Hop"       // 0 at the source, +1 per agent
	HeaderFrom     = "Kumeo-From"      // agent or source that emitted the event
)

// Subject returns the subject event traces of a workflow are published on.
func Subject(workflow string) string { return subject.Trace(workflow) }

// Span is one event's place in its trace.
type Span struct {
	TraceID  string `json:"trace_id"`
	EventID  string `json:"event_id"`
	ParentID string `json:"parent_id,omitempty"`
	Hop      int    `json:"hop"`
	From     string `json:"from,omitempty"`
}

// NewTraceID returns a random 128-bit id as 32 lowercase hex digits (the
// W3C trace-context format).
func NewTraceID() string {
	var b [32]byte
	putHex(b[:16], rand.Uint64())
	putHex(b[16:], rand.Uint64())
	return string(b[:])
}

// NewEventID returns a random 64-bit id as 16 lowercase hex digits.
func NewEventID() string {
	var b [16]byte
	putHex(b[:], rand.Uint64())
	return string(b[:])
}

// Root starts a new trace for an event entering the workflow at from (a
// source).
func Root(from string) Span {
	// Both ids from one string: one allocation instead of two.
	var b [48]byte
	putHex(b[:16], rand.Uint64())
	putHex(b[16:32], rand.Uint64())
	putHex(b[32:], rand.Uint64())
	ids := string(b[:])
	return Span{TraceID: ids[:32], EventID: ids[32:], From: from}
}

// putHex writes x into dst[:16] as 16 lowercase hex digits, most
// significant first (what hex encoding its big-endian bytes gives).
func putHex(dst []byte, x uint64) {
	const digits = "0123456789abcdef"
	_ = dst[15]
	for i := 15; i >= 0; i-- {
		dst[i] = digits[x&0xf]
		x >>= 4
	}
}

// Child returns the span of an event that agent from emits while handling
// the event s: same trace, new event id, s as parent, one hop further.
func (s Span) Child(from string) Span {
	return Span{TraceID: s.TraceID, EventID: NewEventID(), ParentID: s.EventID, Hop: s.Hop + 1, From: from}
}

// Valid reports whether s has a trace id and an event id.
func (s Span) Valid() bool { return s.TraceID != "" && s.EventID != "" }

// Extract reads a span from headers. ok is false when there is no trace id;
// a missing or malformed hop reads as 0. Header names match exactly first,
// then regardless of case.
func Extract(h nats.Header) (s Span, ok bool) {
	if h == nil {
		return Span{}, false
	}
	s.TraceID = get(h, HeaderTraceID)
	if s.TraceID == "" {
		return Span{}, false
	}
	s.EventID = get(h, HeaderEventID)
	s.ParentID = get(h, HeaderParentID)
	s.From = get(h, HeaderFrom)
	if hop, err := strconv.Atoi(get(h, HeaderHop)); err == nil && hop >= 0 {
		s.Hop = hop
	}
	return s, true
}

// get reads header key, falling back to a case-insensitive match (NATS
// headers are case-sensitive, but bridges from HTTP may change the case).
func get(h nats.Header, key string) string {
	if v := h.Get(key); v != "" {
		return v
	}
	for k, v := range h {
		if len(v) > 0 && strings.EqualFold(k, key) {
			return v[0]
		}
	}
	return ""
}

// FromMsg extracts the span of m, or starts a new trace at from when m has
// none (an event from outside Kumeo). ok says whether m carried a trace.
func FromMsg(m *nats.Msg, from string) (s Span, ok bool) {
	if m != nil {
		if s, ok = Extract(m.Header); ok {
			if s.EventID == "" {
				s.EventID = NewEventID()
			}
			return s, true
		}
	}
	return Root(from), false
}

// Inject writes s into h, replacing any trace headers already there.
// Empty fields are removed rather than written.
func (s Span) Inject(h nats.Header) {
	set := func(k, v string) {
		if v == "" {
			h.Del(k)
		} else {
			h.Set(k, v)
		}
	}
	set(HeaderTraceID, s.TraceID)
	set(HeaderEventID, s.EventID)
	set(HeaderParentID, s.ParentID)
	set(HeaderFrom, s.From)
	h.Set(HeaderHop, strconv.Itoa(s.Hop))
}

// Header returns new headers holding s.
func (s Span) Header() nats.Header {
	h := make(nats.Header, 5)
	s.Inject(h)
	return h
}
