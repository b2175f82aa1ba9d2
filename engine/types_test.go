package engine

import (
	"sync"
	"testing"

	"github.com/kumeo/kumeo/dsl"
	"github.com/kumeo/kumeo/engine/agents"
	"github.com/kumeo/kumeo/engine/endpoints"
	"github.com/kumeo/kumeo/engine/flow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testTypes are agent types only the tests run (TTag, TFail, ...).
var testTypes []flow.AgentType

// testAgent adds an agent type to the engine the tests run, with a spec
// declaring the arguments every agent takes and args.
func testAgent(name string, f flow.Factory, args ...string) {
	var specs []dsl.ArgSpec
	for _, a := range args {
		specs = append(specs, dsl.ArgSpec{Name: a, Kind: dsl.ArgAny, Positional: -1})
	}
	spec := dsl.NewAgentSpec(name, "A test agent.", specs...)
	testTypes = append(testTypes, flow.AgentType{Name: name, Spec: &spec, New: f, Runnable: true})
}

// The tests' engine runs the built-in types and testTypes; the test types
// have no spec in the registry the checker reads.
func init() {
	bound = sync.OnceValues(func() (*dsl.Registry, map[string]flow.AgentType) {
		return bindTypes(dsl.Builtin(), append(agents.Types(), testTypes...))
	})
}

// The registry the desktop and the CLI get marks exactly the types this
// engine runs: the palette and the checker say what a local run does.
func TestRegistryMarksWhatTheEngineRuns(t *testing.T) {
	reg := Registry()
	require.True(t, reg.LocalEngine())
	want := map[string]bool{}
	for _, typ := range agents.Types() {
		want[typ.Name] = typ.Runnable
	}
	for _, name := range endpoints.Types() {
		want[name] = true
	}
	for _, spec := range reg.Types("") {
		assert.Equal(t, want[spec.Name], spec.Runnable, spec.Name)
	}
	assert.False(t, dsl.Builtin().LocalEngine(), "the language alone has no local engine")
	for _, spec := range dsl.Builtin().Types("") {
		assert.False(t, spec.Runnable, spec.Name)
	}
}
