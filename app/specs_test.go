package app

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// specsFixture is the frontend's copy of what Workspace.Specs returns,
// used by its unit tests and the demo backend.
const specsFixture = "../frontend/src/lib/testdata/specs.json"

// The frontend's specs fixture is generated from Go: go test ./app -run
// TestSpecsFixture -update rewrites it, and the test fails while it differs
// from what the desktop sends the frontend at start-up.
func TestSpecsFixture(t *testing.T) {
	b, err := json.MarshalIndent((&Workspace{}).Specs(), "", " ")
	require.NoError(t, err)
	b = append(b, '\n')
	if *update {
		require.NoError(t, os.WriteFile(specsFixture, b, 0o644))
	}
	want, err := os.ReadFile(filepath.FromSlash(specsFixture))
	require.NoError(t, err)
	assert.Equal(t, string(b), string(want), "%s is out of date: run go test ./app -run TestSpecsFixture -update", specsFixture)
}
