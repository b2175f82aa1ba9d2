package dsl

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// repoKumeoFiles returns every .kumeo file in the repository and testdata.
func repoKumeoFiles(t testing.TB) []string {
	t.Helper()
	var files []string
	for _, pattern := range []string{"../examples/*.kumeo", "testdata/*/*.kumeo", "testdata/*.kumeo"} {
		m, err := filepath.Glob(pattern)
		require.NoError(t, err)
		files = append(files, m...)
	}
	require.NotEmpty(t, files)
	return files
}

func TestParseExamples(t *testing.T) {
	files, _ := filepath.Glob("../examples/*.kumeo")
	require.NotEmpty(t, files)
	for _, fn := range files {
		t.Run(filepath.Base(fn), func(t *testing.T) {
			src, err := os.ReadFile(fn)
			require.NoError(t, err)
			f, diags := Parse(fn, src)
			require.Empty(t, diags.Errors(), "%v", diags)
			assert.NotEmpty(t, f.Blocks)
		})
	}
}
