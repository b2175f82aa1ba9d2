package dsl

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// update rewrites golden files: go test ./dsl -update
var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// golden compares got with the golden file at path, rewriting it with -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file; run go test ./dsl -update")
	assert.Equal(t, string(want), string(got), "golden %s differs; run go test ./dsl -update if the change is intended", path)
}
