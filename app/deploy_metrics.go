package app

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/kumeo/kumeo/deploy"
)

// ClusterMetricsEventName is the event carrying each ClusterMetricsEvent
// of a metrics watch (see Deploy.WatchMetrics).
func ClusterMetricsEventName(id string) string { return "deploy:" + id + ":metrics" }

// MetricsWatch describes a started metrics watch.
type MetricsWatch struct {
	ID        string `json:"id"`
	Workflow  string `json:"workflow"`
	Namespace string `json:"namespace"`
	Context   string `json:"context"`
}

// ClusterMetricsEvent is the payload of ClusterMetricsEventName: the
// deployed workflow's metrics in the schema of a local run's snapshots,
// each agent's replicas merged (with how many reported, and whether its
// numbers are stale), and the state of the connection.
type ClusterMetricsEvent struct {
	ID        string                `json:"id"`
	TS        int64                 `json:"ts"` // milliseconds since the Unix epoch
	Snapshots []deploy.AgentMetrics `json:"snapshots"`
	Connected bool                  `json:"connected"`
	// Via says how the cluster's NATS is reached; Error why it is not
	// (the watch reconnects by itself).
	Via   string `json:"via,omitempty"`
	Error string `json:"error,omitempty"`
	// AgeMS is how old the newest snapshot is (-1 before the first).
	AgeMS int64 `json:"ageMs"`
}

// WatchMetrics streams the metrics of the document's workflow as deployed
// in the cluster, the snapshots its agents publish to the cluster's NATS
// (reached through the API server), as ClusterMetricsEventName events
// until StopMetrics.
func (d *Deploy) WatchMetrics(t DeployTarget) (MetricsWatch, error) {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	tg, err := d.open(ctx, t)
	cancel()
	if err != nil {
		return MetricsWatch{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return MetricsWatch{}, fmt.Errorf("deploy: %w: the app is closing", ErrNoDeploy)
	}
	d.seq++
	w := MetricsWatch{ID: "m" + strconv.Itoa(d.seq), Workflow: tg.workflow, Namespace: tg.p.Namespace, Context: tg.c.Context}
	wctx, wcancel := context.WithCancel(context.Background())
	d.watches[w.ID] = wcancel
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		_ = tg.c.WatchMetrics(wctx, tg.p, deploy.WatchOptions{Interval: d.opts.MetricsInterval}, func(u deploy.MetricsUpdate) {
			d.emit(ClusterMetricsEventName(w.ID), ClusterMetricsEvent{ID: w.ID, TS: time.Now().UnixMilli(), Snapshots: nonNil(u.Agents),
				Connected: u.Connected, Via: u.Via, Error: u.Error, AgeMS: u.AgeMS})
		})
	}()
	return w, nil
}

// StopMetrics ends a metrics watch; stopping one that ended does nothing.
func (d *Deploy) StopMetrics(id string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if cancel, ok := d.watches[id]; ok {
		cancel()
		delete(d.watches, id)
	}
	return nil
}
