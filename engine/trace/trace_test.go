package trace_test

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumeo/kumeo/engine/bus/bustest"
	"github.com/kumeo/kumeo/engine/trace"
)

func TestIDs(t *testing.T) {
	seen := make(map[string]bool)
	for range 10_000 {
		tid, eid := trace.NewTraceID(), trace.NewEventID()
		require.Len(t, tid, 32)
		require.Len(t, eid, 16)
		_, err := hex.DecodeString(tid + eid)
		require.NoError(t, err)
		require.Equal(t, strings.ToLower(tid), tid)
		require.False(t, seen[tid], "duplicate trace id")
		seen[tid] = true
	}
}

func TestSpanHeadersRoundTrip(t *testing.T) {
	root := trace.Root("orders_in")
	assert.True(t, root.Valid())
	assert.Zero(t, root.Hop)
	assert.Empty(t, root.ParentID)

	child := root.Child("enrich")
	assert.Equal(t, root.TraceID, child.TraceID)
	assert.Equal(t, root.EventID, child.ParentID)
	assert.NotEqual(t, root.EventID, child.EventID)
	assert.Equal(t, 1, child.Hop)
	assert.Equal(t, "enrich", child.From)

	h := child.Header()
	assert.Equal(t, child.TraceID, h.Get("Kumeo-Trace-Id"))
	assert.Equal(t, child.EventID, h.Get("Kumeo-Event-Id"))
	assert.Equal(t, "1", h.Get("Kumeo-Hop"))
	got, ok := trace.Extract(h)
	require.True(t, ok)
	assert.Equal(t, child, got)

	// Injecting a root over a child's headers removes the stale parent.
	root.Inject(h)
	got, ok = trace.Extract(h)
	require.True(t, ok)
	assert.Equal(t, root, got)
	assert.Empty(t, h.Values(trace.HeaderParentID))
}

func TestExtract(t *testing.T) {
	for _, tc := range []struct {
		name string
		h    nats.Header
		want trace.Span
		ok   bool
	}{
		{name: "nil"},
		{name: "no trace", h: nats.Header{"Other": {"x"}}},
		{name: "minimal", h: nats.Header{trace.HeaderTraceID: {"t1"}}, want: trace.Span{TraceID: "t1"}, ok: true},
		{name: "bad hop", h: nats.Header{trace.HeaderTraceID: {"t1"}, trace.HeaderHop: {"x"}}, want: trace.Span{TraceID: "t1"}, ok: true},
		{name: "negative hop", h: nats.Header{trace.HeaderTraceID: {"t1"}, trace.HeaderHop: {"-3"}}, want: trace.Span{TraceID: "t1"}, ok: true},
		{
			name: "other case",
			h:    nats.Header{"kumeo-trace-id": {"t1"}, "KUMEO-EVENT-ID": {"e1"}, "kumeo-hop": {"4"}, "kumeo-from": {"a"}},
			want: trace.Span{TraceID: "t1", EventID: "e1", Hop: 4, From: "a"},
			ok:   true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := trace.Extract(tc.h)
			assert.Equal(t, tc.ok, ok)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestFromMsg(t *testing.T) {
	s, ok := trace.FromMsg(&nats.Msg{Subject: "ext"}, "webhook")
	assert.False(t, ok)
	assert.True(t, s.Valid())
	assert.Equal(t, "webhook", s.From)

	s, ok = trace.FromMsg(nil, "src")
	assert.False(t, ok)
	assert.True(t, s.Valid())

	in := trace.Root("src").Child("a")
	s, ok = trace.FromMsg(&nats.Msg{Header: in.Header()}, "ignored")
	assert.True(t, ok)
	assert.Equal(t, in, s)

	s, ok = trace.FromMsg(&nats.Msg{Header: nats.Header{trace.HeaderTraceID: {"t"}}}, "x")
	assert.True(t, ok)
	assert.Equal(t, "t", s.TraceID)
	assert.NotEmpty(t, s.EventID, "a trace without event id gets one")
}

// TestHeadersCarriedOverNATS passes an event through three agents over a
// real bus and checks every hop keeps the trace and records its parent.
func TestHeadersCarriedOverNATS(t *testing.T) {
	b := bustest.Run(t)
	nc := bustest.Connect(t, b)
	agents := []string{"a", "b", "c"}
	for i, name := range agents {
		next := fmt.Sprintf("kumeo.wf.ch%d", i+1)
		_, err := nc.Subscribe(fmt.Sprintf("kumeo.wf.ch%d", i), func(m *nats.Msg) {
			in, _ := trace.FromMsg(m, name)
			out := nats.NewMsg(next)
			out.Data = m.Data
			in.Child(name).Inject(out.Header)
			_ = nc.PublishMsg(out)
		})
		require.NoError(t, err)
	}
	sink := make(chan *nats.Msg, 1)
	_, err := nc.ChanSubscribe("kumeo.wf.ch3", sink)
	require.NoError(t, err)
	require.NoError(t, nc.Flush())

	root := trace.Root("source")
	m := nats.NewMsg("kumeo.wf.ch0")
	m.Data = []byte(`{"id":1}`)
	root.Inject(m.Header)
	require.NoError(t, nc.PublishMsg(m))

	select {
	case got := <-sink:
		s, ok := trace.Extract(got.Header)
		require.True(t, ok)
		assert.Equal(t, root.TraceID, s.TraceID)
		assert.Equal(t, 3, s.Hop)
		assert.Equal(t, "c", s.From)
		assert.NotEqual(t, root.EventID, s.ParentID, "parent is the previous hop's event")
		assert.Equal(t, `{"id":1}`, string(got.Data))
	case <-time.After(10 * time.Second):
		t.Fatal("event did not reach the sink")
	}
}

func TestRecorderRingPerAgent(t *testing.T) {
	r := trace.NewRecorder(trace.Options{PerAgent: 10})
	for i := range 25 {
		r.Observe("a", trace.In, trace.Root("src"), "s", fmt.Appendf(nil, "%d", i), nil)
	}
	r.Observe("b", trace.Out, trace.Root("src"), "s", nil, nil)

	recent := r.Recent("a", 0)
	require.Len(t, recent, 10, "ring keeps PerAgent records")
	for i, rec := range recent {
		assert.Equal(t, fmt.Sprint(15+i), rec.Payload, "oldest first")
		assert.Equal(t, "a", rec.Agent)
		assert.Equal(t, trace.In, rec.Dir)
	}
	last3 := r.Recent("a", 3)
	assert.Equal(t, recent[7:], last3)
	assert.Len(t, r.Recent("b", 100), 1)
	assert.Nil(t, r.Recent("nobody", 5))
	assert.Equal(t, []string{"a", "b"}, r.Agents())
}

func TestRecorderTracePath(t *testing.T) {
	now := time.UnixMilli(1000)
	r := trace.NewRecorder(trace.Options{PerAgent: 4, Now: func() time.Time { return now }})
	root := trace.Root("src")
	a := root.Child("a")
	r.Observe("a", trace.In, root, "kumeo.wf.in", []byte("raw"), nil)
	r.Observe("a", trace.Out, a, "kumeo.wf.mid", []byte("enriched"), nil)
	r.Observe("b", trace.In, a, "kumeo.wf.mid", []byte("enriched"), nil)
	r.Observe("b", trace.DeadLetter, a.Child("b"), "kumeo.wf.dlq", []byte("enriched"), errors.New("timeout after 3 retries"))
	r.Observe("a", trace.In, trace.Root("src"), "kumeo.wf.in", []byte("other"), nil)

	path, dropped := r.Trace(root.TraceID)
	require.Len(t, path, 4)
	assert.Zero(t, dropped)
	var steps []string
	for i, rec := range path {
		steps = append(steps, rec.Agent+":"+string(rec.Dir))
		assert.Equal(t, root.TraceID, rec.TraceID)
		assert.Equal(t, int64(1000), rec.TS)
		if i > 0 {
			assert.Greater(t, rec.Seq, path[i-1].Seq)
		}
	}
	assert.Equal(t, []string{"a:in", "a:out", "b:in", "b:dlq"}, steps)
	assert.Equal(t, "raw", path[0].Payload)
	assert.Equal(t, "timeout after 3 retries", path[3].Error)
	assert.Equal(t, 1, path[2].Hop)

	// Agent a's ring (4) drops its oldest record: the path keeps the hop
	// but no longer its payload.
	for range 4 {
		r.Observe("a", trace.In, trace.Root("src"), "kumeo.wf.in", []byte("more"), nil)
	}
	path, _ = r.Trace(root.TraceID)
	require.Len(t, path, 4)
	assert.Empty(t, path[0].Payload)
	assert.Equal(t, 3, path[0].Size)
	assert.Equal(t, "enriched", path[2].Payload)

	nothing, _ := r.Trace("unknown")
	assert.Nil(t, nothing)
}

func TestRecorderBounds(t *testing.T) {
	r := trace.NewRecorder(trace.Options{MaxTraces: 3, MaxHops: 2})
	var ids []string
	for range 5 {
		s := trace.Root("src")
		ids = append(ids, s.TraceID)
		for range 4 {
			r.Observe("a", trace.In, s, "x", nil, nil)
		}
	}
	assert.Equal(t, []string{ids[4], ids[3], ids[2]}, r.Traces(0), "oldest traces forgotten first")
	assert.Equal(t, []string{ids[4]}, r.Traces(1))
	for _, id := range ids[:2] {
		p, _ := r.Trace(id)
		assert.Nil(t, p)
	}
	p, dropped := r.Trace(ids[4])
	assert.Len(t, p, 2)
	assert.Equal(t, 2, dropped)

	r.Reset()
	assert.Empty(t, r.Agents())
	assert.Empty(t, r.Traces(0))
}

func TestRecorderPayloadClipping(t *testing.T) {
	r := trace.NewRecorder(trace.Options{MaxPayload: 5})
	r.Observe("a", trace.In, trace.Span{}, "x", []byte("abcdefgh"), nil)
	r.Observe("a", trace.In, trace.Span{}, "x", []byte("abcdé"), nil) // é is 2 bytes at 4..5
	r.Observe("a", trace.In, trace.Span{}, "x", []byte("abc"), nil)
	r.Add(trace.Record{Agent: "a", Payload: "0123456789"})
	recs := r.Recent("a", 0)
	require.Len(t, recs, 4)
	assert.Equal(t, "abcde", recs[0].Payload)
	assert.True(t, recs[0].Truncated)
	assert.Equal(t, 8, recs[0].Size)
	assert.Equal(t, "abcd", recs[1].Payload, "never cut inside a UTF-8 sequence")
	assert.True(t, recs[1].Truncated)
	assert.Equal(t, "abc", recs[2].Payload)
	assert.False(t, recs[2].Truncated)
	assert.Equal(t, "01234", recs[3].Payload)
	assert.NotZero(t, recs[3].Seq)
	assert.NotZero(t, recs[3].TS)

	none := trace.NewRecorder(trace.Options{MaxPayload: -1})
	none.Observe("a", trace.Out, trace.Span{}, "x", []byte("secret"), nil)
	rec := none.Recent("a", 1)[0]
	assert.Empty(t, rec.Payload)
	assert.True(t, rec.Truncated)
	assert.Equal(t, 6, rec.Size)
}

func TestRecorderConcurrent(t *testing.T) {
	r := trace.NewRecorder(trace.Options{PerAgent: 50, MaxTraces: 100})
	const writers, each = 4, 2000
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for range 2 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				for _, a := range r.Agents() {
					recs := r.Recent(a, 0)
					for i := 1; i < len(recs); i++ {
						if recs[i].Seq <= recs[i-1].Seq {
							t.Errorf("agent %s records out of order", a)
							return
						}
					}
				}
				for _, id := range r.Traces(5) {
					r.Trace(id)
				}
			}
		}()
	}
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			agent := fmt.Sprintf("agent%d", w%2)
			for range each {
				s := trace.Root("src")
				r.Observe(agent, trace.In, s, "x", []byte("payload"), nil)
				r.Observe(agent, trace.Out, s.Child(agent), "y", []byte("payload"), nil)
			}
		}()
	}
	wg.Wait()
	close(stop)
	readers.Wait()
	assert.Len(t, r.Recent("agent0", 0), 50)
	assert.Len(t, r.Traces(0), 100)
	// A writer descheduled between its two records can find its trace
	// evicted by the other writers in between, and its Out record then
	// starts the trace again alone; every other trace has both records.
	complete := 0
	for _, id := range r.Traces(0) {
		p, _ := r.Trace(id)
		require.NotEmpty(t, p)
		require.LessOrEqual(t, len(p), 2)
		if len(p) == 2 {
			assert.Equal(t, trace.In, p[0].Dir)
			assert.Equal(t, trace.Out, p[1].Dir)
			complete++
		} else {
			assert.Equal(t, trace.Out, p[0].Dir)
		}
	}
	assert.Greater(t, complete, 50, "most traces have their in and out record")
}

func BenchmarkRecorderObserve(b *testing.B) {
	r := trace.NewRecorder(trace.Options{})
	payload := []byte(strings.Repeat("x", 200))
	spans := make([]trace.Span, 4096)
	for i := range spans {
		spans[i] = trace.Root("src")
	}
	b.Run("serial", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			r.Observe("agent", trace.In, spans[i&4095], "kumeo.wf.in", payload, nil)
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				r.Observe("agent", trace.In, spans[i&4095], "kumeo.wf.in", payload, nil)
				i++
			}
		})
	})
}

func BenchmarkSpanPropagation(b *testing.B) {
	in := trace.Root("src").Header()
	for b.Loop() {
		s, _ := trace.Extract(in)
		out := make(nats.Header, 5)
		s.Child("agent").Inject(out)
	}
}
