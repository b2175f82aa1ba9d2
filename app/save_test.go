package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// newSettlingWorkspace is newTestWorkspace with a watcher that waits an
// hour after a change before it reads the file: every write a test makes
// lands inside the settle window, so whatever Save notices, Save noticed on
// its own.
func newSettlingWorkspace(t *testing.T) (*Workspace, *recorder) {
	t.Helper()
	rec := &recorder{}
	ws := NewWorkspace(WorkspaceOptions{Emit: rec.emit, ConfigDir: t.TempDir(), Settle: time.Hour})
	t.Cleanup(ws.shutdown)
	return ws, rec
}

// openEdited opens a copy of flow in a new directory and types mine into it.
func openEdited(t *testing.T, ws *Workspace, mine string) string {
	t.Helper()
	path := writeFile(t, t.TempDir(), "o.kumeo", flow)
	_, err := ws.Open(path)
	require.NoError(t, err)
	_, err = ws.Update(path, mine)
	require.NoError(t, err)
	return path
}

// writeKeepingTimes writes text to path and gives the file back its
// modification time, as a write within the file system's time resolution
// (or a tool that restores times) leaves it.
func writeKeepingTimes(t *testing.T, path, text string) {
	t.Helper()
	st, err := os.Stat(path)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
	require.NoError(t, os.Chtimes(path, st.ModTime(), st.ModTime()))
	after, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, st.Size(), after.Size(), "the test needs a write of the same size")
	require.True(t, st.ModTime().Equal(after.ModTime()), "the test needs the same modification time")
}

// A save right after another program wrote the file, before the watcher
// read it, refuses: the file keeps the other program's content, the
// document keeps the user's text, and the window gets the same conflict
// as for a change the watcher sees.
func TestSaveRefusesChangeOnDisk(t *testing.T) {
	mine := flow + "// mine\n"
	tests := []struct {
		name   string
		theirs string
		write  func(t *testing.T, path, text string)
		says   []string // what the error says differs
	}{
		{
			name:   "write",
			theirs: flow + "// theirs, longer\n",
			write: func(t *testing.T, path, text string) {
				require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
			},
			says: []string{"size", "content"},
		},
		{
			name:   "rename over the file",
			theirs: strings.Replace(flow, "orders.out", "orders.done", 1),
			write:  replaceLikeAnEditor,
			says:   []string{"content"},
		},
		{
			name:   "while the save writes its temporary file",
			theirs: flow + "// theirs, meanwhile\n",
			write: func(t *testing.T, path, text string) {
				wrote := false
				beforeRename = func(_, target string) {
					if target == path && !wrote {
						wrote = true
						require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
					}
				}
				t.Cleanup(func() { beforeRename = nil })
			},
			says: []string{"size", "content"},
		},
		{
			name:   "same size and modification time",
			theirs: strings.Replace(flow, "orders.out", "orders.OUT", 1),
			write:  writeKeepingTimes,
			says:   []string{"content"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws, rec := newSettlingWorkspace(t)
			saved := 0
			ws.afterSave = func(string) { saved++ }
			path := openEdited(t, ws, mine)

			tt.write(t, path, tt.theirs)
			err := ws.Save(path)

			require.ErrorIs(t, err, ErrChangedOnDisk)
			assert.Contains(t, err.Error(), path, "the error names the file")
			for _, s := range tt.says {
				assert.Contains(t, err.Error(), s, "the error says what differs")
			}
			assert.Equal(t, tt.theirs, mustRead(t, path), "the file on disk is untouched")
			ents, err := os.ReadDir(filepath.Dir(path))
			require.NoError(t, err)
			assert.Len(t, ents, 1, "no temporary file left: %v", ents)
			assert.Zero(t, saved, "runs do not reload a save that did not happen")

			ev := rec.wait(t, EventConflict, nil).(ConflictEvent)
			assert.Equal(t, ConflictEvent{Path: path, Mine: mine, Theirs: tt.theirs, Base: flow}, ev)
			assert.Empty(t, rec.named(EventReloaded))

			doc, err := ws.Open(path)
			require.NoError(t, err)
			assert.Equal(t, mine, doc.Text, "the user's text is kept")
			assert.True(t, doc.Dirty)

			// Saving again without settling the conflict still refuses.
			require.ErrorIs(t, ws.Save(path), ErrChangedOnDisk)
			assert.Equal(t, tt.theirs, mustRead(t, path))
		})
	}
}

// A conflict the watcher reported and the user has not settled yet stops
// a save too.
func TestSaveRefusesUnresolvedConflict(t *testing.T) {
	ws, rec := newTestWorkspace(t)
	mine, theirs := flow+"// mine\n", flow+"// theirs\n"
	path := openEdited(t, ws, mine)
	replaceLikeAnEditor(t, path, theirs)
	rec.wait(t, EventConflict, nil)

	require.ErrorIs(t, ws.Save(path), ErrChangedOnDisk)
	assert.Equal(t, theirs, mustRead(t, path))
	for _, p := range rec.named(EventConflict) {
		assert.Equal(t, ConflictEvent{Path: path, Mine: mine, Theirs: theirs, Base: flow}, p)
	}
}

// With no unsaved edits there is nothing to lose on either side: the
// refused save leaves the file alone and the document takes its content,
// as the watcher would have.
func TestSaveWithoutEditsTakesChangeOnDisk(t *testing.T) {
	ws, rec := newSettlingWorkspace(t)
	path := writeFile(t, t.TempDir(), "o.kumeo", flow)
	_, err := ws.Open(path)
	require.NoError(t, err)
	theirs := flow + "// theirs\n"
	require.NoError(t, os.WriteFile(path, []byte(theirs), 0o644))

	require.ErrorIs(t, ws.Save(path), ErrChangedOnDisk)
	assert.Equal(t, theirs, mustRead(t, path))
	ev := rec.wait(t, EventReloaded, nil).(ReloadedEvent)
	assert.Equal(t, theirs, ev.Doc.Text)
	assert.False(t, ev.Doc.Dirty)
	assert.Empty(t, rec.named(EventConflict))
	require.NoError(t, ws.Save(path), "the document now knows the file")
}

// Each save, reload, revert or Save As moves what the next save compares
// the file with, so saving again works.
func TestSaveAgain(t *testing.T) {
	tests := []struct {
		name string
		// between runs after the first save; it returns the path to save
		// next and the text that save writes.
		between func(t *testing.T, ws *Workspace, path string) (string, string)
	}{
		{"edit", func(t *testing.T, ws *Workspace, path string) (string, string) {
			_, err := ws.Update(path, flow+"// second\n")
			require.NoError(t, err)
			return path, flow + "// second\n"
		}},
		{"no edit", func(t *testing.T, ws *Workspace, path string) (string, string) {
			return path, flow + "// first\n"
		}},
		{"touched, same content", func(t *testing.T, ws *Workspace, path string) (string, string) {
			later := time.Now().Add(time.Hour)
			require.NoError(t, os.Chtimes(path, later, later))
			return path, flow + "// first\n"
		}},
		{"revert after a change on disk", func(t *testing.T, ws *Workspace, path string) (string, string) {
			require.NoError(t, os.WriteFile(path, []byte(flow+"// theirs\n"), 0o644))
			_, err := ws.Revert(path)
			require.NoError(t, err)
			_, err = ws.Update(path, flow+"// theirs\n// mine\n")
			require.NoError(t, err)
			return path, flow + "// theirs\n// mine\n"
		}},
		{"save as", func(t *testing.T, ws *Workspace, path string) (string, string) {
			next := filepath.Join(filepath.Dir(path), "copy.kumeo")
			require.NoError(t, ws.SaveAs(path, next))
			_, err := ws.Update(next, flow+"// copy\n")
			require.NoError(t, err)
			return next, flow + "// copy\n"
		}},
		{"file deleted", func(t *testing.T, ws *Workspace, path string) (string, string) {
			require.NoError(t, os.Remove(path))
			return path, flow + "// first\n"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws, rec := newSettlingWorkspace(t)
			path := openEdited(t, ws, flow+"// first\n")
			require.NoError(t, ws.Save(path))
			assert.Equal(t, flow+"// first\n", mustRead(t, path))

			next, want := tt.between(t, ws, path)
			require.NoError(t, ws.Save(next))
			assert.Equal(t, want, mustRead(t, next))
			doc, err := ws.Open(next)
			require.NoError(t, err)
			assert.False(t, doc.Dirty)
			assert.Empty(t, rec.named(EventConflict))
		})
	}
}

// After Save As the new file is the one a save compares with.
func TestSaveAsThenChangeOnDisk(t *testing.T) {
	ws, rec := newSettlingWorkspace(t)
	path := openEdited(t, ws, flow+"// mine\n")
	next := filepath.Join(filepath.Dir(path), "copy.kumeo")
	require.NoError(t, ws.SaveAs(path, next))
	_, err := ws.Update(next, flow+"// mine, more\n")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(next, []byte(flow+"// theirs\n"), 0o644))

	require.ErrorIs(t, ws.Save(next), ErrChangedOnDisk)
	assert.Equal(t, flow+"// theirs\n", mustRead(t, next))
	ev := rec.wait(t, EventConflict, nil).(ConflictEvent)
	assert.Equal(t, ConflictEvent{Path: next, Mine: flow + "// mine, more\n", Theirs: flow + "// theirs\n", Base: flow + "// mine\n"}, ev)
}

// Settling the conflict a refused save raised makes the file's content the
// one the next save compares with: the save then goes through, and a later
// change on disk is caught again.
func TestSaveAfterResolvingConflict(t *testing.T) {
	mine, theirs := flow+"// mine\n", flow+"// theirs\n"
	merged := flow + "// mine\n// theirs\n"
	for _, tt := range []struct {
		choice string
		want   string
	}{
		{"mine", mine},
		{"theirs", theirs},
		{"merge", merged},
	} {
		t.Run(tt.choice, func(t *testing.T) {
			ws, rec := newSettlingWorkspace(t)
			path := openEdited(t, ws, mine)
			require.NoError(t, os.WriteFile(path, []byte(theirs), 0o644))
			require.ErrorIs(t, ws.Save(path), ErrChangedOnDisk)
			rec.wait(t, EventConflict, nil)

			doc, err := ws.ResolveConflict(path, tt.choice, merged)
			require.NoError(t, err)
			assert.Equal(t, tt.want, doc.Text)
			require.NoError(t, ws.Save(path))
			assert.Equal(t, tt.want, mustRead(t, path))
			require.NoError(t, ws.Save(path), "a second save compares with the first")

			// Another program writes again, even keeping size and time:
			// caught again.
			writeKeepingTimes(t, path, strings.Replace(tt.want, "workflow Orders", "workflow ORDERS", 1))
			_, err = ws.Update(path, tt.want+"// more of mine\n")
			require.NoError(t, err)
			require.ErrorIs(t, ws.Save(path), ErrChangedOnDisk)
			assert.Len(t, rec.named(EventConflict), 2)
		})
	}
}
