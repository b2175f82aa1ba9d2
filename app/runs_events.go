package app

import (
	"github.com/kumeo/kumeo/engine"
	"github.com/kumeo/kumeo/engine/metrics"
)

// What Runs sends to the window: event names, payloads, states and errors.

// Run states reported by StatusEvent, limits of what is kept per run, and
// the errors of the run service: the engine session's.
const (
	StateRunning   = engine.StateRunning
	StateStopped   = engine.StateStopped
	StateFailed    = engine.StateFailed
	MaxSent        = engine.MaxSent
	MaxDeadLetters = engine.MaxDeadLetters
	MaxFinished    = engine.MaxFinished
)

var (
	ErrNoRun          = engine.ErrNoRun
	ErrNotRunning     = engine.ErrNotRunning
	ErrAlreadyRunning = engine.ErrAlreadyRunning
	ErrNoSource       = engine.ErrNoSource
	ErrInvalidEvent   = engine.ErrInvalidEvent
	ErrNoDeadLetter   = engine.ErrNoDeadLetter
)

// MetricsEventName is the event carrying a run's MetricsEvent.
func MetricsEventName(id string) string { return "run:" + id + ":metrics" }

// StatusEventName is the event carrying a run's StatusEvent.
func StatusEventName(id string) string { return "run:" + id + ":status" }

// DeadLetterEventName is the event carrying each new DeadLetter of a run.
func DeadLetterEventName(id string) string { return "run:" + id + ":deadletter" }

// StartedEventName is the event carrying the RunInfo of every run that
// starts, whoever started it (the Run button, or the --run flag).
const StartedEventName = "runs:started"

// ReloadedEventName is the event carrying a ReloadedRunEvent after a hot
// reload on save.
func ReloadedEventName(id string) string { return "run:" + id + ":reloaded" }

// RunInfo describes a started run.
type RunInfo struct {
	ID       string       `json:"id"`
	Path     string       `json:"path"`
	Workflow string       `json:"workflow"`
	Agents   []string     `json:"agents"` // agent ids in pipeline order
	Sources  []SourceInfo `json:"sources"`
	HTTPURL  string       `json:"httpURL"` // base URL of HTTP sources, "" when none
	// MQTTAddr is the host:port MQTT clients publish to when the workflow
	// has MQTT endpoints, "" otherwise.
	MQTTAddr string `json:"mqttAddr"`
	State    string `json:"state"`
	// StartMS is how long Start took, the bus start included when it was
	// the first run.
	StartMS float64 `json:"startMs"`
	// Skipped says what the run goes without (contexts, output_schema
	// checks, on_failure notifications), as warnings on the text; empty
	// when it runs all of the workflow.
	Skipped []Diag `json:"skipped"`
}

// SourceInfo is one source of a run: Address as written in the workflow
// (what Send takes), its type and the subject its events are read from.
type SourceInfo struct {
	Address string `json:"address"`
	Type    string `json:"type"`
	Subject string `json:"subject"`
}

// MetricsEvent is the payload of MetricsEventName: every agent's snapshot
// and the run's ledger.
type MetricsEvent struct {
	ID        string             `json:"id"`
	TS        int64              `json:"ts"` // milliseconds since the Unix epoch
	Snapshots []metrics.Snapshot `json:"snapshots"`
	Ledger    engine.Ledger      `json:"ledger"`
}

// StatusEvent is the payload of StatusEventName.
type StatusEvent struct {
	ID    string `json:"id"`
	State string `json:"state"` // running, stopped or failed
	Error string `json:"error"`
}

// ReloadResult says what a hot reload changed.
type ReloadResult struct {
	Kept    []string `json:"kept"`
	Changed []string `json:"changed"`
	Added   []string `json:"added"`
	Removed []string `json:"removed"`
}

// ReloadedRunEvent is the payload of ReloadedEventName: the result of the
// hot reload a save triggered, or why it failed (the old graph then keeps
// running).
type ReloadedRunEvent struct {
	ID          string       `json:"id"`
	Result      ReloadResult `json:"result"`
	Error       string       `json:"error"`
	Diagnostics []Diag       `json:"diagnostics"`
}

// SendResult identifies a test event; Sent is one in a source's history;
// DeadLetter is one event a run gave up on.
type (
	SendResult = engine.SendResult
	Sent       = engine.Sent
	DeadLetter = engine.DeadLetter
)

// FeedResult says how many events a JSON Lines file fed into a run.
type FeedResult struct {
	Events int `json:"events"`
}
