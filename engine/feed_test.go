package engine

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumeo/kumeo/engine/bus/bustest"
)

func writeLines(t *testing.T, path string, from, n int) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	require.NoError(t, err)
	w := bufio.NewWriter(f)
	for i := from; i < from+n; i++ {
		fmt.Fprintf(w, "{\"n\": %d, \"pad\": \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}\n", i)
		if i%1000 == 999 {
			w.WriteString("\n") // blank lines are not events
		}
	}
	require.NoError(t, w.Flush())
	require.NoError(t, f.Close())
}

// More events than the server queues for a stream (100,000), fed as fast
// as the file reads: every one is stored once, and a second feed of the
// same file takes it up where the first one stopped.
func TestDurableFeedStoresEveryLineAndResumes(t *testing.T) {
	const n = 120000
	dir := t.TempDir()
	input := filepath.Join(t.TempDir(), "events.jsonl")
	writeLines(t, input, 0, n)
	b := bustest.Run(t, bustest.DataDir(dir))
	got := &seen{n: map[float64]int{}}
	got.watch(t, b, "orders.out")
	run, err := Start(context.Background(), parse(t, `workflow D {
  source: NATS("orders.in")
  target: NATS("orders.out")
  agents: [ TTag(id: "done") ]
}`), "", Options{Bus: b, DataDir: dir})
	require.NoError(t, err)
	t.Cleanup(func() { run.Stop(context.Background()) })

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := run.Feed(ctx, input)
	require.NoError(t, err)
	assert.Equal(t, FeedResult{Published: n, Lines: n}, res)

	js, err := jetstream.New(bustest.Connect(t, b))
	require.NoError(t, err)
	stream, err := js.Stream(ctx, streamName("D"))
	require.NoError(t, err)
	assert.Equal(t, uint64(n), stream.CachedInfo().State.Msgs, "every line stored once")
	bustest.Eventually(t, time.Minute, func() bool { return got.distinct() == n }, "every event handled")

	// The same file again: nothing to publish. Then grown by ten lines:
	// just those.
	res, err = run.Feed(ctx, input)
	require.NoError(t, err)
	assert.Equal(t, 0, res.Published)
	assert.Equal(t, n+1, res.ResumedLine)
	writeLines(t, input, n, 10)
	res, err = run.Feed(ctx, input)
	require.NoError(t, err)
	assert.Equal(t, 10, res.Published)
	assert.Equal(t, n+1, res.ResumedLine)
	assert.Equal(t, n+10, res.Lines)
	info, err := stream.Info(ctx)
	require.NoError(t, err)
	assert.Equal(t, uint64(n+10), info.State.Msgs)
	bustest.Eventually(t, 30*time.Second, func() bool { return got.distinct() == n+10 }, "the new events handled")
	bustest.Eventually(t, 10*time.Second, func() bool {
		p, err := run.Pending(ctx)
		return err == nil && p == 0
	}, "nothing left pending")

	// A different file at the same path starts from its beginning.
	require.NoError(t, os.Remove(input))
	writeLines(t, input, 1000000, 5)
	res, err = run.Feed(ctx, input)
	require.NoError(t, err)
	assert.Equal(t, FeedResult{Published: 5, Lines: 5}, res)
}
