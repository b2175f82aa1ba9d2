package agents

import (
	"fmt"

	"github.com/kumeo/kumeo/dsl"

	"github.com/kumeo/kumeo/engine/flow"
)

// unavailable lists the agent types the local engine cannot run yet and
// how messages describe them.
var unavailable = []struct{ typ, what string }{
	{dsl.TypeLLM, "model-backed agents"},
	{dsl.TypeMLModel, "model-backed agents"},
	{dsl.TypeBayesianNetwork, "model-backed agents"},
	{dsl.TypeHumanReview, "human review agents"},
	{dsl.TypeHumanInLoop, "human review agents"},
	{dsl.TypeCustom, "WebAssembly (Custom) agents"},
}

// NotAvailableError is returned by the factories of agent types the local
// engine cannot run yet. It wraps flow.ErrNotAvailable.
type NotAvailableError struct {
	Agent, Type string
	What        string // "model-backed agents"
}

func (e *NotAvailableError) Error() string {
	return fmt.Sprintf("agent %q (%s): %s are not available in the local engine yet", e.Agent, e.Type, e.What)
}

// Unwrap returns flow.ErrNotAvailable.
func (e *NotAvailableError) Unwrap() error { return flow.ErrNotAvailable }

func notAvailable(typ, what string) flow.Factory {
	return func(cfg *flow.Config) (flow.Agent, error) {
		return nil, &NotAvailableError{Agent: cfg.ID(), Type: typ, What: what}
	}
}
