package metrics

import (
	_ "embed"
	"errors"
	"fmt"
	"math"
	"sync/atomic"
	"time"

	"github.com/kumeo/kumeo/dsl/subject"
)

// SubjectPrefix starts every metrics subject; SubjectAll matches them all.
const (
	SubjectPrefix = subject.MetricsPrefix
	SubjectAll    = subject.MetricsAll
)

// ErrInvalidName reports a workflow or agent name that cannot be a NATS
// subject token.
var ErrInvalidName = errors.New("metrics: invalid name")

// Subject returns the subject an agent's snapshots are published on:
// kumeo.metrics.<workflow>.<agent>.
func Subject(workflow, agent string) string {
	return subject.Metrics(workflow, agent)
}

// WorkflowSubjects matches the metrics subjects of every agent of a
// workflow: kumeo.metrics.<workflow>.>.
func WorkflowSubjects(workflow string) string { return subject.WorkflowMetrics(workflow) }

// SnapshotSchema is the JSON Schema of Snapshot, for consumers outside Go.
//
//go:embed snapshot.schema.json
var SnapshotSchema []byte

// Snapshot is one agent's metrics at one moment, as published on
// Subject(workflow, agent) as JSON. The local engine and agents running in
// a cluster produce the same schema (see SnapshotSchema).
//
// Counters are totals since the agent started. The ledger
// events_in == events_out + filtered + dead_lettered + in_flight
// holds in every snapshot. rate_per_s is events received per second over
// a sliding window. latency_ms covers the events finished since the
// previous snapshot (count says how many; all zero when none).
type Snapshot struct {
	Workflow string `json:"workflow"`
	Agent    string `json:"agent"`
	// Instance names the process that took the snapshot when an agent
	// runs as several replicas (kumeo agent in a cluster); empty locally.
	Instance     string         `json:"instance,omitempty"`
	TS           int64          `json:"ts"` // milliseconds since the Unix epoch
	EventsIn     uint64         `json:"events_in"`
	EventsOut    uint64         `json:"events_out"`
	Filtered     uint64         `json:"filtered"`
	DeadLettered uint64         `json:"dead_lettered"`
	Errors       uint64         `json:"errors"`
	Retries      uint64         `json:"retries"`
	InFlight     int64          `json:"in_flight"`
	Pending      int64          `json:"pending"`
	RatePerS     float64        `json:"rate_per_s"`
	LatencyMS    LatencySummary `json:"latency_ms"`
}

// LatencySummary holds latency quantiles in milliseconds (microsecond
// precision) and the number of observations they summarize.
type LatencySummary struct {
	Count uint64  `json:"count"`
	P50   float64 `json:"p50"`
	P95   float64 `json:"p95"`
	P99   float64 `json:"p99"`
	Max   float64 `json:"max"`
}

// Summarize computes a LatencySummary of s.
func Summarize(s *HistogramSnapshot) LatencySummary {
	if s == nil || s.Count == 0 {
		return LatencySummary{}
	}
	return LatencySummary{
		Count: s.Count,
		P50:   ms(s.Quantile(0.50)),
		P95:   ms(s.Quantile(0.95)),
		P99:   ms(s.Quantile(0.99)),
		Max:   ms(time.Duration(s.Max)),
	}
}

func ms(d time.Duration) float64 {
	return math.Round(float64(d)/float64(time.Microsecond)) / 1000
}

// Ledger returns the counter part of the snapshot, to check the invariant.
func (s Snapshot) Ledger() CounterValues {
	return CounterValues{
		In: s.EventsIn, Out: s.EventsOut, Filtered: s.Filtered, DeadLettered: s.DeadLettered,
		Errors: s.Errors, Retries: s.Retries, InFlight: s.InFlight, Pending: s.Pending,
	}
}

// Agent holds the live metrics of one agent of one workflow: event
// counters and the latency histogram of finished events. Record into it
// from the agent's handlers; a Publisher turns it into Snapshots.
type Agent struct {
	Counters
	Latency Histogram

	workflow, name string
	pendingFn      atomic.Pointer[func() int64]
}

// NewAgent returns the metrics of agent name in workflow. Both names must
// be valid NATS subject tokens.
func NewAgent(workflow, name string) (*Agent, error) {
	if !subject.ValidToken(workflow) {
		return nil, fmt.Errorf("%w: workflow %q: want a non-empty name without '.', '*', '>' or spaces", ErrInvalidName, workflow)
	}
	if !subject.ValidToken(name) {
		return nil, fmt.Errorf("%w: agent %q in workflow %q: want a non-empty name without '.', '*', '>' or spaces", ErrInvalidName, name, workflow)
	}
	return &Agent{workflow: workflow, name: name}, nil
}

// Workflow returns the workflow name.
func (a *Agent) Workflow() string { return a.workflow }

// Name returns the agent name.
func (a *Agent) Name() string { return a.name }

// Subject returns the subject this agent's snapshots are published on.
func (a *Agent) Subject() string { return Subject(a.workflow, a.name) }

// SetPendingFunc makes every snapshot first set Pending from f (for example
// a consumer's lag). Nil removes it.
func (a *Agent) SetPendingFunc(f func() int64) {
	if f == nil {
		a.pendingFn.Store(nil)
		return
	}
	a.pendingFn.Store(&f)
}

// Snapshot returns the agent's totals at now with latency over every event
// finished so far and no rate. Publisher snapshots cover intervals instead.
func (a *Agent) Snapshot(now time.Time) Snapshot {
	return a.snapshot(now, a.Latency.Snapshot(), 0)
}

func (a *Agent) snapshot(now time.Time, lat *HistogramSnapshot, rate float64) Snapshot {
	if f := a.pendingFn.Load(); f != nil {
		a.SetPending((*f)())
	}
	v := a.Load()
	return Snapshot{
		Workflow:     a.workflow,
		Agent:        a.name,
		TS:           now.UnixMilli(),
		EventsIn:     v.In,
		EventsOut:    v.Out,
		Filtered:     v.Filtered,
		DeadLettered: v.DeadLettered,
		Errors:       v.Errors,
		Retries:      v.Retries,
		InFlight:     v.InFlight,
		Pending:      v.Pending,
		RatePerS:     math.Round(rate*1000) / 1000,
		LatencyMS:    Summarize(lat),
	}
}
