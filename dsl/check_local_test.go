package dsl

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// localRunnable are the types the local engine runs. The engine marks them
// itself (engine/agents, engine/endpoints); engine/agree_test.go checks
// the checker against the engine's real plans.
var localRunnable = []string{"DataProcessor", "Router", "DecisionMatrix", "RuleEngine", "DataNormalizer", "MissingValueHandler",
	"NATS", "HTTP", "Timer", "File", "MQTT"}

// localRegistry is the registry as a linked engine binds it.
func localRegistry() *Registry { return Builtin().WithLocalEngine(localRunnable...) }

// checkLocal checks src as a program with a local engine does.
func checkLocal(t testing.TB, name string, src []byte) Diagnostics {
	t.Helper()
	f, diags := Parse(name, src)
	require.Empty(t, diags.Errors(), "syntax errors in %s: %v", name, diags)
	return localRegistry().Check(f)
}

// TestCheckLocalCorpus checks every file of testdata/local, as a program
// with a local engine does, against its golden output: a k2012_ file must
// report K2012 on the constructs it names, an ok_ file nothing.
func TestCheckLocalCorpus(t *testing.T) {
	files, err := filepath.Glob("testdata/local/*.kumeo")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, fn := range files {
		base := filepath.Base(fn)
		t.Run(strings.TrimSuffix(base, ".kumeo"), func(t *testing.T) {
			src, err := os.ReadFile(fn)
			require.NoError(t, err)
			diags := checkLocal(t, base, src)
			golden(t, strings.TrimSuffix(fn, ".kumeo")+".golden", formatDiags(diags))
			if strings.HasPrefix(base, "ok_") {
				assert.Empty(t, diags)
				return
			}
			assert.False(t, diags.HasErrors(), "constructs that do not run locally are valid: %s", formatDiags(diags))
			var codes []string
			for _, d := range diags {
				codes = append(codes, d.Code)
			}
			assert.Contains(t, codes, CodeNotRunnable)
		})
	}
}

// Examples check with warnings only about what does not run locally, and
// with nothing at all without a local engine.
func TestCheckLocalExamples(t *testing.T) {
	examples, err := filepath.Glob("../examples/*.kumeo")
	require.NoError(t, err)
	require.NotEmpty(t, examples)
	check := func(t *testing.T, checkFile func(testing.TB, string, []byte) Diagnostics) map[string]Diagnostics {
		out := map[string]Diagnostics{}
		for _, fn := range examples {
			src, err := os.ReadFile(fn)
			require.NoError(t, err)
			out[filepath.Base(fn)] = checkFile(t, filepath.Base(fn), src)
		}
		return out
	}
	for name, diags := range check(t, checkFile) {
		assert.Empty(t, diags, "%s without a local engine", name)
	}
	warned := 0
	for name, diags := range check(t, checkLocal) {
		for _, d := range diags {
			assert.Equal(t, CodeNotRunnable, d.Code, "%s: %s", name, d.String())
			assert.Equal(t, SevWarning, d.Severity, "%s: %s", name, d.String())
			warned++
		}
	}
	assert.NotZero(t, warned, "some examples use model-backed agents")
}
