package app

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func payloads(pins []Pin) []string {
	out := []string{}
	for _, p := range pins {
		out = append(out, p.Payload)
	}
	return out
}

// Pins are kept per workflow file and source, most recently pinned first,
// and survive a restart (a new Workspace on the same config directory).
func TestPinsPerFileAndSourceAcrossRestarts(t *testing.T) {
	config, dir := t.TempDir(), t.TempDir()
	flow := filepath.Join(dir, "flow.kumeo")
	other := filepath.Join(dir, "other.kumeo")
	ws := NewWorkspace(WorkspaceOptions{ConfigDir: config, Dir: dir})

	got, err := ws.Pins(flow, "payments.in")
	require.NoError(t, err)
	assert.Equal(t, []Pin{}, got, "nothing pinned: an empty list, not null")

	_, err = ws.Pin(flow, "payments.in", `{"a": 1}`)
	require.NoError(t, err)
	_, err = ws.Pin(flow, "payments.in", `{"b": 2}`)
	require.NoError(t, err)
	_, err = ws.Pin("flow.kumeo", "other.in", `{"c": 3}`) // relative to the workspace directory
	require.NoError(t, err)
	_, err = ws.Pin(other, "payments.in", `{"d": 4}`)
	require.NoError(t, err)
	got, err = ws.Pin(flow, "payments.in", `{"a": 1}`)
	require.NoError(t, err)
	assert.Equal(t, []string{`{"a": 1}`, `{"b": 2}`}, payloads(got), "pinning again moves it first, once")
	assert.NotZero(t, got[0].TS)

	restarted := NewWorkspace(WorkspaceOptions{ConfigDir: config})
	for _, c := range []struct {
		file, source string
		want         []string
	}{
		{flow, "payments.in", []string{`{"a": 1}`, `{"b": 2}`}},
		{flow, "other.in", []string{`{"c": 3}`}},
		{other, "payments.in", []string{`{"d": 4}`}},
		{other, "other.in", []string{}},
	} {
		got, err := restarted.Pins(c.file, c.source)
		require.NoError(t, err)
		assert.Equal(t, c.want, payloads(got), "%s %s", c.file, c.source)
	}

	got, err = restarted.Unpin(flow, "payments.in", `{"a": 1}`)
	require.NoError(t, err)
	assert.Equal(t, []string{`{"b": 2}`}, payloads(got))
	got, err = restarted.Unpin(flow, "payments.in", `{"never": 0}`)
	require.NoError(t, err)
	assert.Equal(t, []string{`{"b": 2}`}, payloads(got), "unpinning what is not pinned changes nothing")
	_, err = restarted.Unpin(other, "payments.in", `{"d": 4}`)
	require.NoError(t, err)

	again := NewWorkspace(WorkspaceOptions{ConfigDir: config})
	got, err = again.Pins(flow, "payments.in")
	require.NoError(t, err)
	assert.Equal(t, []string{`{"b": 2}`}, payloads(got))

	// The file on disk: no empty entries left behind, no temporary files.
	var f pinsFile
	b, err := os.ReadFile(filepath.Join(config, "pins.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &f))
	assert.Equal(t, 1, f.Version)
	assert.NotContains(t, f.Pins, other)
	entries, err := os.ReadDir(config)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "only pins.json: %v", entries)
}

func TestPinRefusals(t *testing.T) {
	ws := NewWorkspace(WorkspaceOptions{ConfigDir: "-"})
	path := filepath.Join(t.TempDir(), "flow.kumeo")
	_, err := ws.Pin(path, "in", `{oops`)
	assert.ErrorIs(t, err, ErrInvalidEvent)
	_, err = ws.Pin("", "in", `{}`)
	assert.ErrorIs(t, err, ErrNoPath)

	for i := range MaxPins {
		_, err := ws.Pin(path, "in", `{"n": `+itoa(i)+`}`)
		require.NoError(t, err)
	}
	got, err := ws.Pin(path, "in", `{"n": "one too many"}`)
	assert.ErrorIs(t, err, ErrTooManyPins)
	assert.Len(t, got, MaxPins, "the pins stay")
	_, err = ws.Pin(path, "in", `{"n": 3}`)
	assert.NoError(t, err, "re-pinning one already pinned is not one more")
}

// A pins file that cannot be written leaves the pins as they were.
func TestPinsWriteFailureKeepsThePins(t *testing.T) {
	config := t.TempDir()
	path := filepath.Join(t.TempDir(), "flow.kumeo")
	ws := NewWorkspace(WorkspaceOptions{ConfigDir: config})
	_, err := ws.Pin(path, "in", `{"kept": true}`)
	require.NoError(t, err)
	// pins.json becomes a directory: the atomic write refuses to replace it.
	require.NoError(t, os.Remove(filepath.Join(config, "pins.json")))
	require.NoError(t, os.Mkdir(filepath.Join(config, "pins.json"), 0o755))
	got, err := ws.Pin(path, "in", `{"lost": true}`)
	assert.Error(t, err)
	assert.Equal(t, []string{`{"kept": true}`}, payloads(got))
	got, err = ws.Unpin(path, "in", `{"kept": true}`)
	assert.Error(t, err)
	assert.Equal(t, []string{`{"kept": true}`}, payloads(got))
	got, err = ws.Pins(path, "in")
	require.NoError(t, err)
	assert.Equal(t, []string{`{"kept": true}`}, payloads(got))

	// A first pin of another source that cannot be written leaves nothing.
	_, err = ws.Pin(path, "new", `{}`)
	assert.Error(t, err)
	got, _ = ws.Pins(path, "new")
	assert.Empty(t, got)
}

// An unreadable pins file is an empty store, not an error.
func TestPinsCorruptFile(t *testing.T) {
	config := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(config, "pins.json"), []byte("{not json"), 0o644))
	ws := NewWorkspace(WorkspaceOptions{ConfigDir: config})
	path := filepath.Join(t.TempDir(), "flow.kumeo")
	got, err := ws.Pins(path, "in")
	require.NoError(t, err)
	assert.Empty(t, got)
	got, err = ws.Pin(path, "in", `[1]`)
	require.NoError(t, err)
	assert.Equal(t, []string{`[1]`}, payloads(got))
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }
