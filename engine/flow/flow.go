// Package flow defines what agents, sources and targets implement, how an
// agent type is bound to its spec (AgentType) and the spec-bound Config its
// factory reads. The runtime in package engine compiles a workflow into a
// plan and drives these interfaces; agent types live in engine/agents and
// endpoints in engine/endpoints.
package flow

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kumeo/kumeo/dsl"
)

// Event is one message moving through a workflow. Data is the decoded JSON
// object; Raw is the bytes as received at the source (kept for the
// dead-letter channel). Agents may modify Data in place or replace it.
type Event struct {
	Data    map[string]any
	Raw     []byte
	ID      string
	TraceID string
	// Subject is where the event entered the workflow (a source subject or
	// endpoint address).
	Subject string
}

// Action says what happens to an event after an agent handled it.
type Action uint8

const (
	// Emit passes the (possibly changed) event to the agent's output.
	Emit Action = iota
	// Filter drops the event on purpose; it is counted as filtered.
	Filter
	// Route sends the event to Outcome.Route (Router).
	Route
)

func (a Action) String() string {
	switch a {
	case Emit:
		return "emit"
	case Filter:
		return "filter"
	case Route:
		return "route"
	}
	return fmt.Sprintf("action(%d)", a)
}

// Outcome is an agent's decision for one event.
type Outcome struct {
	Action Action
	Route  int    // index into the agent's Routes, for Action == Route
	Reason string // why an event was filtered
}

// Agent handles events. Process must be safe for concurrent use: the
// runtime calls it from several goroutines. A returned error is a failure
// that follows the agent's timeout/retry/fallback/on_failure settings;
// wrap it with Permanent when retrying cannot help (validation failures).
type Agent interface {
	Process(ctx context.Context, ev *Event) (Outcome, error)
}

// Router is implemented by agents that route events; Routes lists the
// destinations in rule order ("target.<subject>" or a channel name).
type Router interface {
	Agent
	Routes() []string
}

// Closer is implemented by agents holding resources.
type Closer interface {
	Close() error
}

// Stateful agents can export and restore their running state (statistics
// of DataNormalizer and MissingValueHandler) across a hot reload.
type Stateful interface {
	State() any
	Restore(state any)
}

// ErrPermanent marks failures that retrying cannot fix.
var ErrPermanent = errors.New("permanent failure")

type permanent struct{ err error }

func (p permanent) Error() string        { return p.err.Error() }
func (p permanent) Unwrap() []error      { return []error{p.err, ErrPermanent} }
func (p permanent) Is(target error) bool { return target == ErrPermanent }

// Permanent marks err as not worth retrying.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanent{err}
}

// Permanentf formats a permanent failure.
func Permanentf(format string, args ...any) error { return Permanent(fmt.Errorf(format, args...)) }

// IsPermanent reports whether err is marked permanent.
func IsPermanent(err error) bool { return errors.Is(err, ErrPermanent) }

// ErrNotAvailable is returned by factories of agent types the local
// engine cannot run yet.
var ErrNotAvailable = errors.New("not available yet")

// Factory builds an agent from its configuration. Errors should say which
// argument is wrong and what was expected.
type Factory func(cfg *Config) (Agent, error)

// AgentType binds an agent type of the language (its spec in dsl) to the
// factory that builds it. A type that is not Runnable has a factory that
// fails with ErrNotAvailable, so a plan using it fails clearly.
type AgentType struct {
	Name string
	// Spec declares what the factory may read; nil means the spec of the
	// same name in the registry the type is bound to.
	Spec     *dsl.TypeSpec
	New      Factory
	Runnable bool
}

// ParseDuration parses "30s", "200ms", "5m", "24h" and "2d".
func ParseDuration(s string) (time.Duration, error) {
	if n := len(s); n > 1 && s[n-1] == 'd' {
		d, err := time.ParseDuration(s[:n-1] + "h")
		if err != nil {
			return 0, fmt.Errorf("invalid duration %q: expected a number followed by ms, s, m, h or d", s)
		}
		return d * 24, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q: expected a number followed by ms, s, m, h or d", s)
	}
	return d, nil
}
