package engine

import (
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumeo/kumeo/engine/bus/bustest"
	"github.com/kumeo/kumeo/engine/trace"
)

// TestEncodedHeadersMatchNATSHeaders checks that the headers the run
// encodes itself (appendEventHeaders, appendDeadLetterHeaders) reach a
// subscriber exactly as the nats.Header the run builds on a connection of
// its own (Options.Conn, NATSURL), sent with PublishMsg:
// for ordinary spans and for values from outside with white space and
// line breaks in them.
func TestEncodedHeadersMatchNATSHeaders(t *testing.T) {
	b := bustest.Run(t)
	nc := bustest.Connect(t, b)
	p, err := b.ConnectPublisher("test", nil)
	require.NoError(t, err)
	t.Cleanup(func() { p.Close() })
	got := make(chan *nats.Msg, 2)
	_, err = nc.ChanSubscribe("hdr", got)
	require.NoError(t, err)
	require.NoError(t, nc.Flush())

	root := trace.Root("source")
	spans := map[string]trace.Span{
		"root":            root,
		"child":           root.Child("validate"),
		"grandchild":      root.Child("validate").Child("features"),
		"padded ids":      {TraceID: "  0af7651916cd43dd\r\n8448eb211c80319c ", EventID: "\tb7ad6b71\t"},
		"odd fields":      {TraceID: "t", EventID: "e", ParentID: " p\n", Hop: 3, From: "agent\r\nx"},
		"empty event id":  {TraceID: "t"},
		"empty and hop":   {TraceID: "t", Hop: 2},
		"unicode":         {TraceID: "ünï", EventID: "cødé ✓", ParentID: "x", From: "‽"},
		"blank from":      {TraceID: "t", EventID: "e", ParentID: "p", From: "  ", Hop: 1},
		"negative hop":    {TraceID: "t", EventID: "e", Hop: -1},
		"parent, no hops": {TraceID: "t", EventID: "e", ParentID: "p"},
	}
	reasons := []string{"malformed event: invalid character '}' looking for beginning of value", "", "  line one\nline two\r\n", "ünïcødé\x00\x7f"}
	exchange := func(name string, want nats.Header, hdr []byte) {
		t.Helper()
		require.NoError(t, nc.PublishMsg(&nats.Msg{Subject: "hdr", Header: want, Data: []byte(`{"a":1}`)}))
		require.NoError(t, p.Publish("hdr", hdr, []byte(`{"a":1}`)))
		var ref, mine *nats.Msg
		for _, m := range []**nats.Msg{&ref, &mine} {
			select {
			case *m = <-got:
			case <-time.After(10 * time.Second):
				t.Fatal("message not delivered")
			}
		}
		assert.Equal(t, ref.Header, mine.Header, name)
		assert.Equal(t, ref.Data, mine.Data, name)
	}
	for name, span := range spans {
		// publish's header through nc.
		want := nats.Header{}
		if span.Hop == 0 && span.ParentID == "" {
			want[trace.HeaderTraceID] = []string{span.TraceID}
			want[trace.HeaderEventID] = []string{span.EventID}
		} else {
			span.Inject(want)
		}
		exchange(name, want, appendEventHeaders(nil, span))

		// deadLetter's header through nc.
		for _, reason := range reasons {
			want := span.Header()
			want.Set(HeaderError, reason)
			want.Set(HeaderAgent, "policy")
			want.Set(HeaderWorkflow, "FraudBench")
			exchange(name+" dead letter", want, appendDeadLetterHeaders(nil, span, reason, "policy", "FraudBench"))
		}
	}
}
