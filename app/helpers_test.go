package app

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumeo/kumeo/dsl/document"
	"github.com/kumeo/kumeo/engine/bus/bustest"
)

type event struct {
	name string
	data []any
}

// recorder is an Emitter that keeps every event for inspection.
type recorder struct {
	mu     sync.Mutex
	events []event
}

func (r *recorder) emit(name string, data ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, event{name: name, data: data})
}

func (r *recorder) all() []event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]event(nil), r.events...)
}

// named returns the payloads of the events called name, in order.
func (r *recorder) named(name string) []any {
	var out []any
	for _, e := range r.all() {
		if e.name == name && len(e.data) == 1 {
			out = append(out, e.data[0])
		}
	}
	return out
}

// wait polls until some event called name satisfies ok (nil: any) and
// returns its payload.
func (r *recorder) wait(t *testing.T, name string, ok func(any) bool) any {
	t.Helper()
	var found any
	bustest.Soon(t, func() bool {
		for _, p := range r.named(name) {
			if ok == nil || ok(p) {
				found = p
				return true
			}
		}
		return false
	}, "no %s event", name)
	return found
}

// eventually polls cond until it holds (never sleeping a fixed time).
var eventually = bustest.Soon

// newTestWorkspace returns a Workspace recording its events, with its
// recent list in a temporary directory and a short settle time.
func newTestWorkspace(t *testing.T) (*Workspace, *recorder) {
	t.Helper()
	rec := &recorder{}
	ws := NewWorkspace(WorkspaceOptions{Emit: rec.emit, ConfigDir: t.TempDir(), Settle: 10 * time.Millisecond})
	t.Cleanup(ws.shutdown)
	return ws, rec
}

// writeFile writes a file in dir and returns its path.
func writeFile(t testing.TB, dir, name, text string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
	return path
}

// copyExample copies an example workflow into dir.
func copyExample(t testing.TB, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "examples", name))
	require.NoError(t, err)
	return writeFile(t, dir, name, string(b))
}

// u16 returns the UTF-16 length of a string, as JavaScript counts it.
func u16(s string) int { return len(utf16.Encode([]rune(s))) }

// applyChanges applies UI text changes (UTF-16 offsets into old, not
// overlapping) the way CodeMirror does.
func applyChanges(t *testing.T, old string, changes []TextChange) string {
	t.Helper()
	units := utf16.Encode([]rune(old))
	var out []uint16
	pos := 0
	for _, c := range changes {
		require.GreaterOrEqual(t, c.From, pos, "changes overlap or are out of order: %+v", changes)
		require.LessOrEqual(t, c.To, len(units))
		out = append(out, units[pos:c.From]...)
		out = append(out, utf16.Encode([]rune(c.Insert))...)
		pos = c.To
	}
	out = append(out, units[pos:]...)
	return string(utf16.Decode(out))
}

// sliceU16 returns s[from:to] counted in UTF-16 units, as JavaScript's
// slice does.
func sliceU16(s string, from, to int) string {
	units := utf16.Encode([]rune(s))
	return string(utf16.Decode(units[from:to]))
}

// assertRebuilds checks that the window, rebuilding the graph from the
// reply wire to an edit made on version base whose graph was prev, gets the
// graph want as the window sees it (its JSON: the byte ranges of the
// language package stay in Go).
func assertRebuilds(t *testing.T, want, prev Graph, base int, wire []byte, msgAndArgs ...any) {
	t.Helper()
	got, err := document.Rebuild(prev, base, wire)
	require.NoError(t, err)
	w, err := json.Marshal(want)
	require.NoError(t, err)
	g, err := json.Marshal(got)
	require.NoError(t, err)
	assert.JSONEq(t, string(w), string(g), msgAndArgs...)
}
