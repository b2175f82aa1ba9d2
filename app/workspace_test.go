package app

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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

func TestWorkspaceOpenExample(t *testing.T) {
	path := filepath.Join("..", "examples", "fraud_detection.kumeo")
	want, err := os.ReadFile(path)
	require.NoError(t, err)

	rec := &recorder{}
	ws := NewWorkspace(path, rec.emit)
	assert.Equal(t, path, ws.InitialPath())

	res, err := ws.Open(ws.InitialPath())
	require.NoError(t, err)
	assert.True(t, filepath.IsAbs(res.Path), "path %q is not absolute", res.Path)
	assert.Equal(t, "fraud_detection.kumeo", res.Name)
	assert.Equal(t, string(want), res.Text, "text must be returned byte for byte")

	events := rec.all()
	require.Len(t, events, 1)
	assert.Equal(t, EventOpened, events[0].name)
	require.Len(t, events[0].data, 1)
	assert.Equal(t, res, events[0].data[0])

	cur := ws.Current()
	require.NotNil(t, cur)
	assert.Equal(t, res, *cur)
}

func TestWorkspaceOpenKeepsBytes(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name string
		text string
	}{
		{"empty", ""},
		{"crlf", "workflow A {\r\n  // note\r\n}\r\n"},
		{"no trailing newline", "workflow A {}"},
		{"unicode", "// Prüfung ✓\nworkflow Ü {}\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".kumeo")
			require.NoError(t, os.WriteFile(path, []byte(tc.text), 0o644))

			res, err := NewWorkspace("", nil).Open(path)
			require.NoError(t, err)
			assert.Equal(t, tc.text, res.Text)
		})
	}
}

func TestWorkspaceOpenErrors(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.kumeo")
	require.NoError(t, os.WriteFile(big, make([]byte, MaxFileSize+1), 0o644))

	cases := []struct {
		name string
		path string
		want error
	}{
		{"no path", "", ErrNoPath},
		{"missing", filepath.Join(dir, "missing.kumeo"), os.ErrNotExist},
		{"directory", dir, ErrNotFile},
		{"too large", big, ErrTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			ws := NewWorkspace("", rec.emit)

			res, err := ws.Open(tc.path)
			require.Error(t, err)
			assert.True(t, errors.Is(err, tc.want), "got %v, want %v", err, tc.want)
			assert.Equal(t, OpenResult{}, res)
			assert.Empty(t, rec.all(), "a failed open must not emit")
			assert.Nil(t, ws.Current(), "a failed open must not change the current document")
		})
	}
}

func TestWorkspaceFailedOpenKeepsCurrent(t *testing.T) {
	ws := NewWorkspace("", nil)
	first, err := ws.Open(filepath.Join("..", "examples", "sensor_health.kumeo"))
	require.NoError(t, err)

	_, err = ws.Open(filepath.Join(t.TempDir(), "missing.kumeo"))
	require.Error(t, err)

	cur := ws.Current()
	require.NotNil(t, cur)
	assert.Equal(t, first, *cur)
}
