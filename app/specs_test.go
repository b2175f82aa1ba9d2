package app

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
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
	if got := string(b); got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		i := 0
		for i < len(gl) && i < len(wl) && gl[i] == wl[i] {
			i++
		}
		line := func(l []string) string {
			if i < len(l) {
				return l[i]
			}
			return "(end of file)"
		}
		assert.Fail(t, "the specs fixture is out of date", "%s line %d is %q, Go gives %q: run go test ./app -run TestSpecsFixture -update",
			specsFixture, i+1, line(wl), line(gl))
	}
}
