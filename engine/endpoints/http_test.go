package endpoints_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumeo/kumeo/engine/bus/bustest"
	"github.com/kumeo/kumeo/engine/endpoints"
	"github.com/kumeo/kumeo/engine/trace"
)

type response struct {
	status int
	header http.Header
	body   map[string]any
}

func do(t *testing.T, method, url string, body []byte) response {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	r := response{status: resp.StatusCode, header: resp.Header}
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &r.body), "JSON body: %s", raw)
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	return r
}

func TestHTTPSource(t *testing.T) {
	nc := conn(t)
	e := source(t, `HTTP("/orders", {method: "POST"})`, endpoints.Options{HTTPListen: "127.0.0.1:0"})
	src := e.Adapter.(*endpoints.HTTPSource)
	got := collect(t, nc, e.Subject)
	start(t, e, nc)
	base := src.Server().URL()
	require.NotEmpty(t, base, "own server listens")
	url := base + "/orders"

	t.Run("accepted", func(t *testing.T) {
		body := []byte(`{"id": 7, "amount": 12.5}`)
		r := do(t, http.MethodPost, url, body)
		require.Equal(t, http.StatusAccepted, r.status, "%v", r.body)
		eventID, traceID := r.body["event_id"], r.body["trace_id"]
		assert.Len(t, eventID, 16)
		assert.Len(t, traceID, 32)
		assert.Equal(t, eventID, r.header.Get(trace.HeaderEventID))
		assert.Equal(t, traceID, r.header.Get(trace.HeaderTraceID))

		m := next(t, got)
		assert.Equal(t, "kumeo.W.in.http.orders", m.Subject)
		assert.Equal(t, body, m.Data)
		span, ok := trace.Extract(m.Header)
		require.True(t, ok)
		assert.Equal(t, eventID, span.EventID)
		assert.Equal(t, traceID, span.TraceID)
		assert.Equal(t, 0, span.Hop)
		assert.Equal(t, `HTTP("/orders")`, span.From)
	})
	t.Run("new trace per event", func(t *testing.T) {
		a := do(t, http.MethodPost, url, []byte(`{}`))
		b := do(t, http.MethodPost, url+"/", []byte(` {"x":[1]} `)) // trailing slash is the same path
		require.Equal(t, http.StatusAccepted, a.status)
		require.Equal(t, http.StatusAccepted, b.status, "%v", b.body)
		assert.NotEqual(t, a.body["trace_id"], b.body["trace_id"])
		next(t, got)
		next(t, got)
	})
	for _, tc := range []struct {
		name, body string
		error      string
	}{
		{"not json", `hello`, "not valid JSON"},
		{"array", `[1, 2]`, "is a JSON array, not an object"},
		{"string", `"x"`, "is a JSON string, not an object"},
		{"empty", ``, "body is empty"},
		{"truncated", `{"a": `, "not valid JSON"},
	} {
		t.Run("400 "+tc.name, func(t *testing.T) {
			r := do(t, http.MethodPost, url, []byte(tc.body))
			assert.Equal(t, http.StatusBadRequest, r.status)
			assert.Contains(t, r.body["error"], tc.error)
			assert.Contains(t, r.body["expected"], "a JSON object")
		})
	}
	t.Run("405", func(t *testing.T) {
		r := do(t, http.MethodGet, url, nil)
		assert.Equal(t, http.StatusMethodNotAllowed, r.status)
		assert.Equal(t, "POST", r.header.Get("Allow"))
		assert.Contains(t, r.body["error"], "method GET not allowed")
		assert.Contains(t, r.body["expected"], "POST with a JSON object body")
	})
	t.Run("413", func(t *testing.T) {
		big := append([]byte(`{"pad":"`), bytes.Repeat([]byte("x"), endpoints.DefaultMaxBody)...)
		big = append(big, `"}`...)
		r := do(t, http.MethodPost, url, big)
		assert.Equal(t, http.StatusRequestEntityTooLarge, r.status)
		assert.Contains(t, r.body["error"], "larger than 1048576 bytes")
	})
	t.Run("404", func(t *testing.T) {
		r := do(t, http.MethodPost, base+"/other", []byte(`{}`))
		assert.Equal(t, http.StatusNotFound, r.status)
		assert.Equal(t, []any{"/orders"}, r.body["paths"])
	})
	t.Run("stats", func(t *testing.T) {
		s := e.Stats()
		assert.Equal(t, int64(3), s.Delivered)
		assert.Equal(t, int64(7), s.Rejected) // 5 bad bodies, 405, 413
		assert.Equal(t, int64(0), s.Failed)
		assert.Equal(t, s.Received, s.Delivered+s.Rejected)
	})
	select {
	case m := <-got:
		t.Fatalf("refused request was published: %q", m.Data)
	default:
	}
}

func TestHTTPSourceStopped(t *testing.T) {
	nc := conn(t)
	e := source(t, `HTTP("/in")`, endpoints.Options{})
	h := e.Adapter.(*endpoints.HTTPSource).Handler()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	r := do(t, http.MethodPost, srv.URL, []byte(`{}`))
	assert.Equal(t, http.StatusServiceUnavailable, r.status, "before Start")
	assert.Contains(t, r.body["error"], "not running")

	require.NoError(t, e.Adapter.Start(context.Background(), nc))
	r = do(t, http.MethodPost, srv.URL+"/any/path", []byte(`{}`))
	assert.Equal(t, http.StatusAccepted, r.status, "the source's own handler ignores the path")
	stop(t, e)

	r = do(t, http.MethodPost, srv.URL, []byte(`{}`))
	assert.Equal(t, http.StatusServiceUnavailable, r.status, "after Stop")
}

func TestHTTPSourceBackpressure(t *testing.T) {
	nc := conn(t)
	busy := context.DeadlineExceeded
	e := source(t, `HTTP("/in")`, endpoints.Options{Backpressure: func(context.Context) error { return busy }})
	srv := httptest.NewServer(e.Adapter.(*endpoints.HTTPSource).Handler())
	t.Cleanup(srv.Close)
	start(t, e, nc)
	r := do(t, http.MethodPost, srv.URL, []byte(`{}`))
	assert.Equal(t, http.StatusServiceUnavailable, r.status)
	assert.Equal(t, "1", r.header.Get("Retry-After"))
	assert.Equal(t, int64(1), e.Stats().Failed)
}

// hook records the requests an httptest server receives.
type hook struct {
	mu     sync.Mutex
	bodies []string
	hdrs   []http.Header
}

func (h *hook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	h.bodies = append(h.bodies, string(b))
	h.hdrs = append(h.hdrs, r.Header.Clone())
	h.mu.Unlock()
	if strings.Contains(string(b), "fail") {
		http.Error(w, "boom", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *hook) snapshot() ([]string, []http.Header) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.bodies...), append([]http.Header(nil), h.hdrs...)
}

func TestHTTPTarget(t *testing.T) {
	for _, tc := range []struct {
		name, opts string
		ordered    bool
	}{
		{"sequential", `{headers: {Authorization: "Bearer t"}, timeout: "5s"}`, true},
		{"concurrent", `{headers: {Authorization: "Bearer t"}, concurrency: 4}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nc := conn(t)
			h := &hook{}
			srv := httptest.NewServer(h)
			t.Cleanup(srv.Close)

			e := target(t, `HTTP("`+srv.URL+`/hook", `+tc.opts+`)`, endpoints.Options{})
			start(t, e, nc)
			span := trace.Root("test")
			events := []string{`{"n":1}`, `{"n":2,"fail":true}`, `{"n":3}`}
			for _, ev := range events {
				require.NoError(t, nc.PublishMsg(&nats.Msg{Subject: e.Subject, Data: []byte(ev), Header: span.Header()}))
			}
			bustest.Eventually(t, wait, func() bool {
				s := e.Stats()
				return s.Delivered+s.Failed == 3
			}, "3 deliveries")
			s := e.Stats()
			assert.Equal(t, int64(3), s.Received)
			assert.Equal(t, int64(2), s.Delivered)
			assert.Equal(t, int64(1), s.Failed)
			assert.Contains(t, s.LastError, "500 Internal Server Error: boom")

			bodies, hdrs := h.snapshot()
			if tc.ordered {
				assert.Equal(t, events, bodies)
			} else {
				assert.ElementsMatch(t, events, bodies)
			}
			for _, hd := range hdrs {
				assert.Equal(t, "application/json", hd.Get("Content-Type"))
				assert.Equal(t, "Bearer t", hd.Get("Authorization"))
				assert.Equal(t, span.TraceID, hd.Get(trace.HeaderTraceID))
			}
		})
	}
}

func TestHTTPTargetUnreachable(t *testing.T) {
	nc := conn(t)
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	e := target(t, `HTTP("`+url+`", {timeout: "2s"})`, endpoints.Options{})
	start(t, e, nc)
	require.NoError(t, nc.Publish(e.Subject, []byte(`{}`)))
	bustest.Eventually(t, wait, func() bool { return e.Stats().Failed == 1 }, "failure counted")
	assert.Contains(t, e.Stats().LastError, "connection refused")
}
