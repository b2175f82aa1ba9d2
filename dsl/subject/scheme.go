package subject

import "strconv"

// The scheme of the NATS subjects a workflow uses besides the sources and
// targets it declares, which keep their own:
//
//	kumeo.<workflow>.<channel>               an internal channel
//	kumeo.<workflow>.dlq                     dead letters
//	kumeo.<workflow>.in.<kind>.<name>        what an ingress adapter publishes
//	kumeo.<workflow>.out.<kind>.<index>      what an egress adapter consumes
//	kumeo.metrics.<workflow>.<agent>         metrics snapshots
//	kumeo.trace.<workflow>                   event traces
//	kumeo.journal.<workflow>                 a durable run's output batches
//
// An agent's subscriptions share the queue group kumeo.<workflow>.<agent>.
// Every subject and queue group is built here and nowhere else.

// Root starts every subject of the scheme.
const Root = "kumeo."

// MetricsPrefix starts every metrics subject; MetricsAll matches them all.
const (
	MetricsPrefix = Root + "metrics."
	MetricsAll    = MetricsPrefix + ">"
)

// Channel is the subject of an internal channel of a workflow.
func Channel(workflow, channel string) string { return Root + workflow + "." + channel }

// DLQ is the dead-letter subject of a workflow.
func DLQ(workflow string) string { return Root + workflow + ".dlq" }

// Queue is the queue group of an agent's subscriptions (channel "source"
// for the subscriptions of a workflow's sources).
func Queue(workflow, agent string) string { return Root + workflow + "." + agent }

// In is the subject an ingress adapter of the given kind publishes to.
func In(workflow, kind, name string) string { return Root + workflow + ".in." + kind + "." + name }

// Out is the subject the egress adapter of the index-th target consumes.
func Out(workflow, kind string, index int) string {
	return Root + workflow + ".out." + kind + "." + strconv.Itoa(index)
}

// Metrics is the subject of an agent's metrics snapshots.
func Metrics(workflow, agent string) string { return MetricsPrefix + workflow + "." + agent }

// WorkflowMetrics matches the metrics subjects of every agent of a
// workflow.
func WorkflowMetrics(workflow string) string { return MetricsPrefix + workflow + ".>" }

// Trace is the subject of a workflow's trace records.
func Trace(workflow string) string { return Root + "trace." + workflow }

// Journal is the subject of a durable run's output batches.
func Journal(workflow string) string { return Root + "journal." + workflow }
