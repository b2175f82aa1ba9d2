package engine

import (
	"sync"

	"github.com/kumeo/kumeo/dsl"
	"github.com/kumeo/kumeo/engine/agents"
	"github.com/kumeo/kumeo/engine/flow"
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
