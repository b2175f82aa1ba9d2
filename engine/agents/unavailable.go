package agents

import (
	"fmt"

	"github.com/kumeo/kumeo/engine/flow"
)

// unavailable maps the agent types the local engine cannot run yet to how
// messages describe them.
var unavailable = map[string]string{
	"LLM":             "model-backed agents",
	"MLModel":         "model-backed agents",
	"BayesianNetwork": "model-backed agents",
	"HumanReview":     "human review agents",
	"HumanInLoop":     "human review agents",
	"Custom":          "WebAssembly (Custom) agents",
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
		id := typ
		if cfg != nil && cfg.Agent != nil && cfg.Agent.ID != "" {
			id = cfg.Agent.ID
		} else if cfg != nil {
			if s, ok := cfg.Args["id"].(string); ok && s != "" {
				id = s
			}
		}
		return nil, &NotAvailableError{Agent: id, Type: typ, What: what}
	}
}
