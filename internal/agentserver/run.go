package agentserver

import (
	"errors"
	"fmt"
	"slices"
	"sync/atomic"

	"github.com/kumeo/kumeo/engine"
	"github.com/kumeo/kumeo/engine/metrics"
)

// ErrStarting is the readiness of a process whose run has not started:
// it is connecting to NATS and binding its subscriptions.
var ErrStarting = errors.New("starting: connecting to NATS and binding subscriptions")

// RunState is the run of an agent process as the server sees it: unset
// while engine.Start is in progress, then the run.
type RunState struct {
	run      atomic.Pointer[engine.Run]
	stopping atomic.Bool
	agents   []string
}

// NewRunState returns the state of a process running the given agents
// (none: a process running just the sources and targets).
func NewRunState(agents ...string) *RunState {
	return &RunState{agents: slices.Clone(agents)}
}

// Set records the started run. engine.Start returns once the run's
// subscriptions and consumers are bound, so from here on readiness
// depends on the connection.
func (s *RunState) Set(r *engine.Run) { s.run.Store(r) }

// Live reports the run's fault, if any.
func (s *RunState) Live() error {
	if r := s.run.Load(); r != nil {
		if err := r.Err(); err != nil {
			return fmt.Errorf("run faulted: %w", err)
		}
	}
	return nil
}

// Ready reports why the process does not take events, if it does not.
func (s *RunState) Ready() error {
	r := s.run.Load()
	if r == nil {
		return ErrStarting
	}
	if err := s.Live(); err != nil {
		return err
	}
	if s.stopping.Load() {
		return ErrStopping
	}
	if nc := r.Conn(); !nc.IsConnected() {
		return fmt.Errorf("the NATS connection is %s", nc.Status())
	}
	return nil
}

// Snapshots returns the metrics of the agents this process runs.
func (s *RunState) Snapshots() []metrics.Snapshot {
	r := s.run.Load()
	if r == nil {
		return nil
	}
	var out []metrics.Snapshot
	for _, snap := range r.Snapshots() {
		if slices.Contains(s.agents, snap.Agent) {
			out = append(out, snap)
		}
	}
	return out
}

// Latency returns the latency histogram of an agent the process runs.
func (s *RunState) Latency(agent string) *metrics.HistogramSnapshot {
	r := s.run.Load()
	if r == nil || !slices.Contains(s.agents, agent) {
		return nil
	}
	return r.Latency(agent)
}

// Config is a server Config reading this state.
func (s *RunState) Config() Config {
	return Config{Live: s.Live, Ready: s.Ready, Snapshots: s.Snapshots, Latency: s.Latency}
}

// ErrStopping is the readiness of a process shutting down.
var ErrStopping = errors.New("stopping: draining events in progress")

// Stopping marks the process as shutting down: not ready from now on.
func (s *RunState) Stopping() { s.stopping.Store(true) }
