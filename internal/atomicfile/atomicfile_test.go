package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "a.txt")
	tests := []struct {
		name  string
		setup func(t *testing.T)
		data  string
		mode  os.FileMode
	}{
		{"new file", func(*testing.T) {}, "one", 0o644},
		{"keeps the mode", func(t *testing.T) { require.NoError(t, os.Chmod(name, 0o600)) }, "two", 0o600},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.setup(t)
			require.NoError(t, Write(name, []byte(tt.data)))
			b, err := os.ReadFile(name)
			require.NoError(t, err)
			assert.Equal(t, tt.data, string(b))
			st, err := os.Stat(name)
			require.NoError(t, err)
			assert.Equal(t, tt.mode, st.Mode().Perm())
		})
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary file left")
}

func TestWriteRefusals(t *testing.T) {
	dir := t.TempDir()
	assert.ErrorIs(t, Write(dir, []byte("x")), ErrNotFile)
	assert.Error(t, Write(filepath.Join(dir, "missing", "x"), []byte("x")))

	// A failed check leaves the file as it was and no temporary file.
	name := filepath.Join(dir, "b.txt")
	require.NoError(t, Write(name, []byte("old")))
	stop := errors.New("stop")
	var seen string
	_, err := WriteChecked(name, []byte("new"), func(tmp string) error {
		seen = tmp
		b, err := os.ReadFile(tmp)
		require.NoError(t, err)
		assert.Equal(t, "new", string(b), "the data is on disk before the check")
		return stop
	})
	assert.ErrorIs(t, err, stop)
	b, err := os.ReadFile(name)
	require.NoError(t, err)
	assert.Equal(t, "old", string(b))
	_, err = os.Stat(seen)
	assert.True(t, os.IsNotExist(err), "the temporary file is removed")
}
