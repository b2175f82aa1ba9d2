package engine

import (
	"sync"

	"github.com/kumeo/kumeo/dsl"
	"github.com/kumeo/kumeo/engine/agents"
	"github.com/kumeo/kumeo/engine/endpoints"
	"github.com/kumeo/kumeo/engine/flow"
)

// bound is the language's registry with the local engine's types bound:
// built once, never changed.
var bound = sync.OnceValues(func() (*dsl.Registry, map[string]flow.AgentType) {
	return bindTypes(dsl.Builtin(), agents.Types())
})

// bindTypes marks the runnable agent types and the endpoint types this
// engine runs in reg, and gives each agent type its spec.
func bindTypes(reg *dsl.Registry, types []flow.AgentType) (*dsl.Registry, map[string]flow.AgentType) {
	byName := make(map[string]flow.AgentType, len(types))
	var runnable []string
	for _, t := range types {
		if t.Runnable {
			runnable = append(runnable, t.Name)
		}
		if t.Spec == nil {
			t.Spec, _ = reg.Lookup(t.Name)
		}
		byName[t.Name] = t
	}
	runnable = append(runnable, endpoints.Types()...)
	return reg.WithLocalEngine(runnable...), byName
}

// Registry returns the language's constructors as the local engine runs
// them: the types it runs are marked Runnable, and checking a file with
// it reports what a local run refuses or skips. The desktop and the CLI
// give it to the checker, the graph and the editor.
func Registry() *dsl.Registry {
	reg, _ := bound()
	return reg
}

// agentType returns the factory binding of an agent type.
func agentType(name string) (flow.AgentType, bool) {
	_, byName := bound()
	t, ok := byName[name]
	return t, ok
}
