package endpoints_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumeo/kumeo/engine/bus/bustest"
	"github.com/kumeo/kumeo/engine/endpoints"
)

func TestSet(t *testing.T) {
	nc := conn(t)
	dir := t.TempDir()
	w := workflow(t, `
		source: [HTTP("/a"), HTTP("/b", {method: "PUT"}), NATS("raw.>"), Timer("1h")]
		target: [File("out.jsonl"), NATS("results")]
	`)
	s, err := endpoints.Resolve(w, endpoints.Options{Dir: dir, HTTPListen: "127.0.0.1:0"})
	require.NoError(t, err)
	require.Len(t, s.Sources, 4)
	require.Len(t, s.Targets, 2)
	assert.Equal(t, []string{"kumeo.W.in.http.a", "kumeo.W.in.http.b", "raw.>", "kumeo.W.in.timer.3"}, s.Subjects())
	assert.Nil(t, s.Done(), "endless sources")

	got := collect(t, nc, "kumeo.W.in.http.*")
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	require.NoError(t, s.Start(ctx, nc))
	t.Cleanup(func() { _ = s.Stop(context.Background()) })

	base := s.HTTP.URL()
	require.NotEmpty(t, base)
	assert.Equal(t, []string{"/a", "/b"}, s.HTTP.Paths())
	assert.Equal(t, http.StatusAccepted, do(t, http.MethodPost, base+"/a", []byte(`{"a":1}`)).status)
	assert.Equal(t, http.StatusAccepted, do(t, http.MethodPut, base+"/b", []byte(`{"b":1}`)).status)
	assert.Equal(t, "kumeo.W.in.http.a", next(t, got).Subject)
	assert.Equal(t, "kumeo.W.in.http.b", next(t, got).Subject)

	// The same handler, served elsewhere (as the desktop app does).
	hs := httptest.NewServer(s.HTTP.Handler())
	t.Cleanup(hs.Close)
	assert.Equal(t, http.StatusAccepted, do(t, http.MethodPost, hs.URL+"/a", []byte(`{}`)).status)
	next(t, got)

	require.NoError(t, s.StopSources(ctx))
	assert.Equal(t, http.StatusNotFound, do(t, http.MethodPost, hs.URL+"/a", []byte(`{}`)).status, "path gone after StopSources")

	require.NoError(t, nc.Publish(s.Targets[0].Subject, []byte(`{"done":true}`)))
	require.NoError(t, nc.Flush())
	require.NoError(t, s.Stop(ctx))
	assert.Equal(t, "{\"done\":true}\n", readFile(t, filepath.Join(dir, "out.jsonl")), "target wrote before stopping")
	assert.Empty(t, s.HTTP.URL(), "listener closed")
}

func TestSetDone(t *testing.T) {
	nc := conn(t)
	dir := t.TempDir()
	writeLines(t, dir, "a.jsonl", "{}\n{}\n")
	writeLines(t, dir, "b.jsonl", "{}\n")
	s, err := endpoints.Resolve(workflow(t, `source: [File("a.jsonl"), File("b.jsonl")]`), endpoints.Options{Dir: dir})
	require.NoError(t, err)
	done := s.Done()
	require.NotNil(t, done)
	sub, err := nc.SubscribeSync("kumeo.W.in.file.*")
	require.NoError(t, err)
	require.NoError(t, s.Start(context.Background(), nc))
	t.Cleanup(func() { _ = s.Stop(context.Background()) })
	select {
	case <-done:
	case <-time.After(wait):
		t.Fatal("Set.Done not closed after both files")
	}
	require.NoError(t, s.Err())
	bustest.Eventually(t, wait, func() bool { n, _, _ := sub.Pending(); return n == 3 }, "3 lines published")
}

func TestResolveConflicts(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "in.jsonl"), nil, 0o644))
	for _, tc := range []struct {
		name, body string
		contains   []string
		is         error
	}{
		{"same http path", `source: [HTTP("/a"), HTTP("/a/")]`, []string{`sources HTTP("/a") and HTTP("/a/")`}, endpoints.ErrConflict},
		{"target feeds source", `source: NATS("orders.>")
			target: NATS("orders.scored")`, []string{`target NATS("orders.scored") publishes on orders.scored, which source NATS("orders.>") consumes`}, endpoints.ErrConflict},
		{"every error reported", `source: [Kafka("k"), NATS("a..b")]
			target: Timer("1s")`, []string{"Kafka sources", `"a..b"`, "Timer can only be a source"}, endpoints.ErrUnsupported},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := endpoints.Resolve(workflow(t, tc.body), endpoints.Options{Dir: dir})
			require.Error(t, err)
			assert.ErrorIs(t, err, tc.is)
			for _, c := range tc.contains {
				assert.Contains(t, err.Error(), c)
			}
		})
	}
}
