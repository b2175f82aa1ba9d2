package engine

// The built-in agent types register themselves with engine/flow.
import _ "github.com/kumeo/kumeo/engine/agents"
