package app

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Once quiet, no service reaches the window: not the metrics stream of a
// run, not its stop, not the file watcher.
func TestAppQuietStopsEvents(t *testing.T) {
	c := countChecks(t)
	h := newRunsHarness(t)
	path := h.open("card_screening.kumeo")
	info := h.start(path)
	src, err := os.ReadFile(path)
	require.NoError(t, err)
	_, err = h.ws.Update(path, string(src)+"// unsaved\n")
	require.NoError(t, err)
	h.metrics(info.ID, func(MetricsEvent) bool { return true })

	h.app.Quiet()
	n := len(h.rec.all())
	// A change on disk under unsaved edits would report a conflict.
	before := c.count(path)
	replaceLikeAnEditor(t, path, string(src)+"// theirs\n")
	eventually(t, func() bool { return c.count(path) > before }, "the change was never checked")
	// Stop returns after the run's last metrics and status were sent.
	require.NoError(t, h.runs.Stop(info.ID))
	assert.Len(t, h.rec.all(), n)
	assert.Equal(t, StateStopped, h.runs.List()[0].State, "runs still stop")
}

func TestAppShutdownIsQuietAndRepeatable(t *testing.T) {
	h := newRunsHarness(t)
	info := h.start(h.open("card_screening.kumeo"))
	h.metrics(info.ID, func(MetricsEvent) bool { return true })
	n := len(h.rec.all())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	require.NoError(t, h.app.Shutdown(ctx))
	require.NoError(t, h.app.Shutdown(ctx), "a second shutdown (window close, then process exit) is fine")
	assert.Len(t, h.rec.all(), n)
	assert.Equal(t, StateStopped, h.runs.List()[0].State)
}

func TestWorkspaceAnalyze(t *testing.T) {
	ws, rec := newTestWorkspace(t)
	path := writeFile(t, t.TempDir(), "o.kumeo", flow)
	doc, err := ws.Open(path)
	require.NoError(t, err)

	a, err := ws.Analyze(path, flow+"// merged\n")
	require.NoError(t, err)
	assert.True(t, a.ParseOK)
	assert.Equal(t, doc.Version, a.Version)
	assert.Equal(t, doc.Graph, a.Graph)

	broken := flow + "workflow {"
	a, err = ws.Analyze(path, broken)
	require.NoError(t, err)
	assert.False(t, a.ParseOK)
	require.NotEmpty(t, a.Diagnostics)
	assert.Equal(t, "error", a.Diagnostics[0].Severity)
	assert.GreaterOrEqual(t, a.Diagnostics[0].From, u16(flow), "offsets are UTF-16 units of the analyzed text")

	// The document is untouched.
	doc2, err := ws.Open(path)
	require.NoError(t, err)
	assert.Equal(t, flow, doc2.Text)
	assert.Equal(t, doc.Version, doc2.Version)
	assert.Empty(t, rec.named(EventReloaded))

	// A file that is not open can be analyzed too.
	a, err = ws.Analyze(writeFile(t, t.TempDir(), "n.kumeo", flow), flow)
	require.NoError(t, err)
	assert.True(t, a.ParseOK)
	_, err = ws.Analyze("", flow)
	assert.ErrorIs(t, err, ErrNoPath)
}
