package app

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// checks counts the watcher's checks per file.
type checks struct {
	mu sync.Mutex
	n  map[string]int
}

func countChecks(t *testing.T) *checks {
	c := &checks{n: map[string]int{}}
	checked = func(path string) {
		c.mu.Lock()
		c.n[path]++
		c.mu.Unlock()
	}
	t.Cleanup(func() { checked = nil })
	return c
}

func (c *checks) count(path string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[path]
}

// replaceLikeAnEditor writes text to path the way many editors do: a new
// file renamed over the old one.
func replaceLikeAnEditor(t *testing.T, path, text string) {
	t.Helper()
	tmp := path + ".swp"
	require.NoError(t, os.WriteFile(tmp, []byte(text), 0o644))
	require.NoError(t, os.Rename(tmp, path))
}

func TestWatchReloadsWithoutLocalEdits(t *testing.T) {
	for _, how := range []string{"write", "rename"} {
		t.Run(how, func(t *testing.T) {
			ws, rec := newTestWorkspace(t)
			path := writeFile(t, t.TempDir(), "o.kumeo", flow)
			doc, err := ws.Open(path)
			require.NoError(t, err)

			theirs := strings.Replace(flow, "orders.out", "orders.shipped", 1)
			if how == "write" {
				require.NoError(t, os.WriteFile(path, []byte(theirs), 0o644))
			} else {
				replaceLikeAnEditor(t, path, theirs)
			}

			// A plain write truncates first: a reader may see the empty file
			// before the new content, so wait for the content.
			ev := rec.wait(t, EventReloaded, func(p any) bool { return p.(ReloadedEvent).Doc.Text == theirs }).(ReloadedEvent)
			assert.Greater(t, ev.Doc.Version, doc.Version)
			assert.False(t, ev.Doc.Dirty)
			assert.Empty(t, rec.named(EventConflict))

			now, err := ws.Open(path)
			require.NoError(t, err)
			assert.Equal(t, theirs, now.Text)

			// Still followed after the rename replaced the file.
			again := theirs + "// again\n"
			require.NoError(t, os.WriteFile(path, []byte(again), 0o644))
			rec.wait(t, EventReloaded, func(p any) bool { return p.(ReloadedEvent).Doc.Text == again })
		})
	}
}

func TestWatchConflictWithLocalEdits(t *testing.T) {
	for _, choice := range []string{"mine", "theirs", "merge"} {
		t.Run(choice, func(t *testing.T) {
			ws, rec := newTestWorkspace(t)
			path := writeFile(t, t.TempDir(), "o.kumeo", flow)
			_, err := ws.Open(path)
			require.NoError(t, err)
			mine := flow + "// mine\n"
			a, err := ws.Update(path, mine)
			require.NoError(t, err)

			theirs := flow + "// theirs\n"
			replaceLikeAnEditor(t, path, theirs)
			ev := rec.wait(t, EventConflict, nil).(ConflictEvent)
			assert.Equal(t, ConflictEvent{Path: path, Mine: mine, Theirs: theirs, Base: flow}, ev)
			assert.Empty(t, rec.named(EventReloaded), "never a silent overwrite")

			doc, err := ws.Open(path)
			require.NoError(t, err)
			assert.Equal(t, mine, doc.Text, "nothing changes until the user chooses")
			assert.Equal(t, a.Version, doc.Version)

			merged := flow + "// mine\n// theirs\n"
			doc, err = ws.ResolveConflict(path, choice, merged)
			require.NoError(t, err)
			switch choice {
			case "mine":
				assert.Equal(t, mine, doc.Text)
				assert.Equal(t, a.Version, doc.Version)
				assert.True(t, doc.Dirty, "the file still holds theirs")
			case "theirs":
				assert.Equal(t, theirs, doc.Text)
				assert.Equal(t, a.Version+1, doc.Version)
				assert.False(t, doc.Dirty)
			case "merge":
				assert.Equal(t, merged, doc.Text)
				assert.Equal(t, a.Version+1, doc.Version)
				assert.True(t, doc.Dirty)
			}
			_, err = ws.ResolveConflict(path, choice, merged)
			assert.ErrorIs(t, err, ErrNoConflict)

			// The same content on disk is not reported twice; a save then
			// writes the resolved text.
			require.NoError(t, ws.Save(path))
			got, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, doc.Text, string(got))
			assert.Len(t, rec.named(EventConflict), 1)
		})
	}
}

func TestResolveConflictRefusesUnknownChoice(t *testing.T) {
	ws, rec := newTestWorkspace(t)
	path := writeFile(t, t.TempDir(), "o.kumeo", flow)
	_, err := ws.Open(path)
	require.NoError(t, err)
	_, err = ws.Update(path, flow+"// mine\n")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, []byte(flow+"// theirs\n"), 0o644))
	rec.wait(t, EventConflict, nil)
	_, err = ws.ResolveConflict(path, "both", "")
	assert.ErrorIs(t, err, ErrInvalidName)
}

// Saves of our own, the layout sidecar and temporary files never read as
// changes from outside.
func TestWatchIgnoresOwnSaves(t *testing.T) {
	c := countChecks(t)
	ws, rec := newTestWorkspace(t)
	dir := t.TempDir()
	path := writeFile(t, dir, "o.kumeo", flow)
	_, err := ws.Open(path)
	require.NoError(t, err)

	for i := range 3 {
		_, err = ws.Update(path, flow+strings.Repeat("// edit\n", i+1))
		require.NoError(t, err)
		before := c.count(path)
		require.NoError(t, ws.Save(path))
		eventually(t, func() bool { return c.count(path) > before }, "the save was never checked")
		require.NoError(t, ws.SetLayout(path, map[string]Pos{"x": {X: float64(i)}}))
	}
	assert.Empty(t, rec.named(EventReloaded))
	assert.Empty(t, rec.named(EventConflict))

	// An outside change after all that is still noticed.
	require.NoError(t, os.WriteFile(path, []byte(flow), 0o644))
	rec.wait(t, EventReloaded, nil)
}

func TestWatchStopsOnClose(t *testing.T) {
	ws, rec := newTestWorkspace(t)
	dir := t.TempDir()
	a := writeFile(t, dir, "a.kumeo", flow)
	b := writeFile(t, dir, "b.kumeo", flow)
	_, err := ws.Open(a)
	require.NoError(t, err)
	_, err = ws.Open(b)
	require.NoError(t, err)
	require.NoError(t, ws.Close(a))

	require.NoError(t, os.WriteFile(a, []byte(flow+"// a\n"), 0o644))
	require.NoError(t, os.WriteFile(b, []byte(flow+"// b\n"), 0o644))
	ev := rec.wait(t, EventReloaded, nil).(ReloadedEvent)
	assert.Equal(t, b, ev.Doc.Path, "the closed file is not followed, the other one is")
	assert.Len(t, rec.named(EventReloaded), 1)
	ws.mu.Lock()
	assert.Equal(t, map[string]int{filepath.Dir(a): 1}, ws.watch.dirs)
	ws.mu.Unlock()
}
