package endpoints_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumeo/kumeo/engine/bus"
	"github.com/kumeo/kumeo/engine/bus/bustest"
	"github.com/kumeo/kumeo/engine/endpoints"
	"github.com/kumeo/kumeo/engine/trace"
)

func TestTimer(t *testing.T) {
	nc := conn(t)
	e := source(t, `Timer("5ms")`, endpoints.Options{})
	got := collect(t, nc, e.Subject)
	start(t, e, nc)

	traces := map[string]bool{}
	for want := 1; want <= 3; want++ {
		m := next(t, got)
		var tick struct {
			Tick int    `json:"tick"`
			TS   string `json:"ts"`
		}
		require.NoError(t, json.Unmarshal(m.Data, &tick), "%s", m.Data)
		assert.Equal(t, want, tick.Tick)
		ts, err := time.Parse(time.RFC3339Nano, tick.TS)
		require.NoError(t, err)
		assert.WithinDuration(t, time.Now(), ts, wait)
		span, ok := trace.Extract(m.Header)
		require.True(t, ok)
		assert.Equal(t, `Timer("5ms")`, span.From)
		traces[span.TraceID] = true
	}
	assert.Len(t, traces, 3, "a new trace per tick")

	stop(t, e)
	s := e.Stats()
	assert.GreaterOrEqual(t, s.Delivered, int64(3))
	assert.Equal(t, s.Received, s.Delivered)
}

func writeLines(t *testing.T, dir, name string, lines ...string) {
	t.Helper()
	require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(strings.Join(lines, "")), 0o644))
}

func TestFileSource(t *testing.T) {
	nc := conn(t)
	dir := t.TempDir()
	writeLines(t, dir, "events.jsonl",
		"\xef\xbb\xbf{\"n\":1}\n",
		"\n",
		"   \n",
		"{\"n\":2}\r\n",
		"not json\n",
		"{\"n\":3}") // no final newline
	e := source(t, `File("events.jsonl")`, endpoints.Options{Dir: dir})
	require.NotNil(t, e.Done())
	got := collect(t, nc, e.Subject)
	start(t, e, nc)

	select {
	case <-e.Done():
	case <-time.After(wait):
		t.Fatal("Done not closed")
	}
	require.NoError(t, e.Adapter.(endpoints.Finite).Err())

	want := []struct {
		data string
		line int
	}{{`{"n":1}`, 1}, {`{"n":2}`, 4}, {`not json`, 5}, {`{"n":3}`, 6}}
	for _, w := range want {
		m := next(t, got)
		assert.Equal(t, w.data, string(m.Data))
		assert.Equal(t, strconv.Itoa(w.line), m.Header.Get(endpoints.HeaderLine))
		_, ok := trace.Extract(m.Header)
		assert.True(t, ok)
	}
	assert.Equal(t, endpoints.Stats{Received: 4, Delivered: 4}, e.Stats())
	assert.Equal(t, int64(6), e.Adapter.(*endpoints.FileSource).Line())
}

func TestFileSourceLarge(t *testing.T) {
	nc := conn(t)
	dir := t.TempDir()
	const n = 2000
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "{\"i\":%d}\n", i)
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "big.jsonl"), []byte(b.String()), 0o644))
	e := source(t, `File("big.jsonl")`, endpoints.Options{Dir: dir})

	var msgs []*nats.Msg
	sub, err := nc.SubscribeSync(e.Subject)
	require.NoError(t, err)
	require.NoError(t, sub.SetPendingLimits(-1, -1))
	start(t, e, nc)
	<-e.Done()
	require.NoError(t, e.Adapter.(endpoints.Finite).Err())
	for range n {
		m, err := sub.NextMsg(wait)
		require.NoError(t, err)
		msgs = append(msgs, m)
	}
	for i, m := range msgs {
		require.Equal(t, fmt.Sprintf("{\"i\":%d}", i), string(m.Data), "in order")
	}
}

func TestFileSourceStop(t *testing.T) {
	nc := conn(t)
	dir := t.TempDir()
	writeLines(t, dir, "slow.jsonl", strings.Repeat("{}\n", 100))
	e := source(t, `File("slow.jsonl", {rate: 20})`, endpoints.Options{Dir: dir})
	got := collect(t, nc, e.Subject)
	require.NoError(t, e.Adapter.Start(context.Background(), nc))
	next(t, got) // the first line goes out at once
	stop(t, e)
	select {
	case <-e.Done():
	default:
		t.Fatal("Done not closed by Stop")
	}
	err := e.Adapter.(endpoints.Finite).Err()
	assert.ErrorIs(t, err, endpoints.ErrStopped)
	assert.Less(t, e.Stats().Delivered, int64(100))
}

func TestFileSourceLongLine(t *testing.T) {
	nc := conn(t, bustest.With(func(o *bus.Options) { o.MaxPayload = 1024 }))
	dir := t.TempDir()
	writeLines(t, dir, "long.jsonl", "{\"a\":1}\n", "{\"pad\":\""+strings.Repeat("x", 5000)+"\"}\n", "{\"a\":3}\n")
	e := source(t, `File("long.jsonl")`, endpoints.Options{Dir: dir})
	got := collect(t, nc, e.Subject)
	start(t, e, nc)
	<-e.Done()
	require.NoError(t, e.Adapter.(endpoints.Finite).Err())
	assert.Equal(t, `{"a":1}`, string(next(t, got).Data))
	m := next(t, got)
	assert.Equal(t, `{"a":3}`, string(m.Data))
	assert.Equal(t, "3", m.Header.Get(endpoints.HeaderLine))
	s := e.Stats()
	assert.Equal(t, int64(1), s.Failed)
	assert.Contains(t, s.LastError, "line 2 is longer than the bus accepts")
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return ""
	}
	require.NoError(t, err)
	return string(b)
}

func TestFileTarget(t *testing.T) {
	nc := conn(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "out", "results.jsonl")

	t.Run("periodic flush", func(t *testing.T) {
		e := target(t, `File("out/results.jsonl", {flush: "5ms"})`, endpoints.Options{Dir: dir})
		start(t, e, nc)
		require.NoError(t, nc.Publish(e.Subject, []byte(`{"n":1}`)))
		require.NoError(t, nc.Publish(e.Subject, []byte("{\n  \"n\": 2\n}"))) // compacted to one line
		require.NoError(t, nc.Publish(e.Subject, []byte("not\njson")))        // cannot be one line
		require.NoError(t, nc.Publish(e.Subject, []byte(" ")))                // empty
		bustest.Eventually(t, wait, func() bool { return readFile(t, path) == "{\"n\":1}\n{\"n\":2}\n" }, "two lines flushed")
		stop(t, e)
		s := e.Stats()
		assert.Equal(t, int64(4), s.Received)
		assert.Equal(t, int64(2), s.Delivered)
		assert.Equal(t, int64(2), s.Rejected)
	})
	t.Run("flushed on stop and appended", func(t *testing.T) {
		e := target(t, `File("out/results.jsonl", {flush: "1h"})`, endpoints.Options{Dir: dir})
		require.NoError(t, e.Adapter.Start(context.Background(), nc))
		for i := 3; i <= 5; i++ {
			require.NoError(t, nc.Publish(e.Subject, fmt.Appendf(nil, `{"n":%d}`, i)))
		}
		require.NoError(t, nc.Flush())
		bustest.Eventually(t, wait, func() bool { return e.Stats().Delivered == 3 }, "3 events written to the buffer")
		assert.Equal(t, "{\"n\":1}\n{\"n\":2}\n", readFile(t, path), "still buffered")
		stop(t, e)
		assert.Equal(t, "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n{\"n\":4}\n{\"n\":5}\n", readFile(t, path))
	})
}
