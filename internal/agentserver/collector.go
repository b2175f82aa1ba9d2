package agentserver

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kumeo/kumeo/engine/metrics"
)

// Metric names; every one has the labels workflow and agent.
const (
	MetricEventsIn     = "kumeo_agent_events_in_total"
	MetricEventsOut    = "kumeo_agent_events_out_total"
	MetricFiltered     = "kumeo_agent_filtered_total"
	MetricDeadLettered = "kumeo_agent_dead_lettered_total"
	MetricErrors       = "kumeo_agent_errors_total"
	MetricRetries      = "kumeo_agent_retries_total"
	MetricInFlight     = "kumeo_agent_in_flight"
	MetricPending      = "kumeo_agent_pending"
	MetricLatency      = "kumeo_agent_latency_seconds"
)

// agentCollector turns the engine's snapshots into Prometheus metrics at
// each scrape, so the numbers are the ones the snapshots carry.
type agentCollector struct {
	snapshots                              func() []metrics.Snapshot
	latencyOf                              func(agent string) *metrics.HistogramSnapshot
	in, out, filtered, dead, errs, retries *prometheus.Desc
	inFlight, pending, latency             *prometheus.Desc
}

func newAgentCollector(snapshots func() []metrics.Snapshot, latency func(string) *metrics.HistogramSnapshot) *agentCollector {
	labels := []string{"workflow", "agent"}
	d := func(name, help string) *prometheus.Desc { return prometheus.NewDesc(name, help, labels, nil) }
	return &agentCollector{
		snapshots: snapshots,
		latencyOf: latency,
		in:        d(MetricEventsIn, "Events the agent received."),
		out:       d(MetricEventsOut, "Events the agent handled and passed on."),
		filtered:  d(MetricFiltered, "Events the agent dropped on purpose."),
		dead:      d(MetricDeadLettered, "Events sent to the dead-letter channel."),
		errs:      d(MetricErrors, "Failed attempts to handle an event."),
		retries:   d(MetricRetries, "Attempts retried after a failure."),
		inFlight:  d(MetricInFlight, "Events being handled now."),
		pending:   d(MetricPending, "Events waiting for the agent (consumer lag)."),
		latency: prometheus.NewDesc(MetricLatency, "Time to handle an event, over every event finished since the process started.",
			labels, nil),
	}
}

func (c *agentCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.in, c.out, c.filtered, c.dead, c.errs, c.retries, c.inFlight, c.pending, c.latency} {
		ch <- d
	}
}

func (c *agentCollector) Collect(ch chan<- prometheus.Metric) {
	if c.snapshots == nil {
		return
	}
	for _, s := range c.snapshots() {
		lv := []string{s.Workflow, s.Agent}
		counter := func(d *prometheus.Desc, v uint64) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), lv...)
		}
		counter(c.in, s.EventsIn)
		counter(c.out, s.EventsOut)
		counter(c.filtered, s.Filtered)
		counter(c.dead, s.DeadLettered)
		counter(c.errs, s.Errors)
		counter(c.retries, s.Retries)
		ch <- prometheus.MustNewConstMetric(c.inFlight, prometheus.GaugeValue, float64(s.InFlight), lv...)
		ch <- prometheus.MustNewConstMetric(c.pending, prometheus.GaugeValue, float64(s.Pending), lv...)
		ch <- c.latencySummary(s, lv)
	}
}

// latencySummary is the agent's latency as a Prometheus summary: the
// quantiles of its snapshot (0.5, 0.95, 0.99 and 1 for the maximum), with
// the histogram's exact count and sum when there is one.
func (c *agentCollector) latencySummary(s metrics.Snapshot, lv []string) prometheus.Metric {
	l := s.LatencyMS
	count, sum := l.Count, float64(l.Count)*l.P50/1000 // estimated without the histogram
	if c.latencyOf != nil {
		if h := c.latencyOf(s.Agent); h != nil {
			l = metrics.Summarize(h)
			count, sum = h.Count, time.Duration(h.Sum).Seconds()
		}
	}
	return prometheus.MustNewConstSummary(c.latency, count, sum, map[float64]float64{
		0.5: l.P50 / 1000, 0.95: l.P95 / 1000, 0.99: l.P99 / 1000, 1: l.Max / 1000,
	}, lv...)
}
