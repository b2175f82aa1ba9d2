package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kumeo/kumeo/deploy"
	"github.com/kumeo/kumeo/dsl/document"
	"github.com/kumeo/kumeo/dsl/subject"
	"github.com/kumeo/kumeo/engine/bus/bustest"
	"github.com/kumeo/kumeo/engine/metrics"
	"github.com/kumeo/kumeo/internal/k8stest"
)

const screeningSrc = `workflow Screening {
  source: NATS("in.tx")
  target: NATS("out.tx")
  agents: [
    DataProcessor(id: "validate", config: { required_fields: ["id"] }),
    DataProcessor(id: "enrich", config: { features: ["id", "big: amount > 10"] }),
    Router(id: "route", rules: { "default": "target.out.tx" })
  ]
  deployment: { namespace: "screening" }
}
`

// newTestDeploy returns a Deploy service on kubeconfig, recording its
// events, and the open document screening.kumeo holding src.
func newTestDeploy(t *testing.T, kubeconfig, src string) (*Deploy, *Workspace, *recorder, string) {
	t.Helper()
	ws, _ := newTestWorkspace(t)
	rec := &recorder{}
	d := NewDeploy(ws, DeployOptions{Emit: rec.emit, Kubeconfig: kubeconfig, RolloutTimeout: time.Minute})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		assert.NoError(t, d.shutdown(ctx))
	})
	path := writeFile(t, t.TempDir(), "screening.kumeo", src)
	_, err := ws.Open(path)
	require.NoError(t, err)
	return d, ws, rec, path
}

// writeKubeconfig writes a kubeconfig whose contexts all reach server.
func writeKubeconfig(t *testing.T, server string, contexts ...string) string {
	t.Helper()
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["c"] = &clientcmdapi.Cluster{Server: server}
	cfg.AuthInfos["u"] = &clientcmdapi.AuthInfo{Token: "t"}
	for _, c := range contexts {
		cfg.Contexts[c] = &clientcmdapi.Context{Cluster: "c", AuthInfo: "u"}
	}
	cfg.CurrentContext = contexts[0]
	path := filepath.Join(t.TempDir(), "kubeconfig")
	require.NoError(t, clientcmd.WriteToFile(*cfg, path))
	return path
}

// closedPort is a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// wireCode is the code the window receives for err.
func wireCode(t *testing.T, err error) document.Code {
	t.Helper()
	require.Error(t, err)
	var w struct {
		Code    document.Code `json:"code"`
		Message string        `json:"message"`
	}
	require.NoError(t, json.Unmarshal([]byte(document.WireError(err)), &w), "not a coded error: %v", err)
	assert.Equal(t, err.Error(), w.Message)
	return w.Code
}

// Each error of package deploy reaches the window with its code and its
// own message; errors.Is still finds the deploy error.
func TestDeployErrorsCoded(t *testing.T) {
	for _, c := range deployCodes {
		t.Run(string(c.code), func(t *testing.T) {
			err := coded(fmt.Errorf("context %q: %w: the details", "prod", c.err))
			assert.Equal(t, c.code, wireCode(t, err))
			assert.ErrorIs(t, err, c.err)
			assert.Contains(t, err.Error(), "the details")
		})
	}
	plain := errors.New("something else")
	assert.Equal(t, plain, coded(plain))
	assert.Equal(t, "something else", document.WireError(coded(plain)))
}

func TestDeployContexts(t *testing.T) {
	kc := writeKubeconfig(t, "https://"+closedPort(t), "staging", "prod", "dev")
	d, _, _, _ := newTestDeploy(t, kc, screeningSrc)
	got, err := d.Contexts()
	require.NoError(t, err)
	assert.Equal(t, ClusterContexts{Contexts: []string{"dev", "prod", "staging"}, Current: "staging"}, got)

	bad := filepath.Join(t.TempDir(), "kubeconfig")
	require.NoError(t, os.WriteFile(bad, []byte("apiVersion: v1\nkind: Config\ncontexts: [oops"), 0o644))
	d2, _, _, path := newTestDeploy(t, bad, screeningSrc)
	_, err = d2.Contexts()
	assert.Equal(t, CodeKubeconfig, wireCode(t, err))
	_, err = d2.Preview(DeployTarget{Path: path})
	assert.Equal(t, CodeKubeconfig, wireCode(t, err))

	d3, _, _, path := newTestDeploy(t, kc, screeningSrc)
	_, err = d3.Preview(DeployTarget{Path: path, Context: "nope"})
	assert.Equal(t, CodeKubeconfig, wireCode(t, err))
	assert.Contains(t, err.Error(), `"nope"`)
	assert.Contains(t, err.Error(), "dev, prod, staging")
}

// The document's current text is what is deployed: unsaved errors stop
// a preview and a deploy before any cluster is contacted.
func TestDeployRefusesTextWithErrors(t *testing.T) {
	kc := writeKubeconfig(t, "https://"+closedPort(t), "c")
	d, ws, rec, path := newTestDeploy(t, kc, screeningSrc)
	_, err := ws.Update(path, strings.Replace(screeningSrc, `"target.out.tx"`, `"target.nowhere"`, 1))
	require.NoError(t, err)
	for name, call := range map[string]func() error{
		"preview": func() error { _, err := d.Preview(DeployTarget{Path: path}); return err },
		"start":   func() error { _, err := d.Start(DeployTarget{Path: path}); return err },
	} {
		err := call()
		assert.Equal(t, CodeNotDeployable, wireCode(t, err), name)
		assert.Contains(t, err.Error(), "line 7, column", name)
	}
	assert.Empty(t, rec.all(), "no job started")

	_, err = d.Preview(DeployTarget{Path: path + ".missing"})
	assert.Equal(t, document.CodeNotOpen, document.CodeOf(err))
	_, err = d.JobStatus("d1")
	assert.Equal(t, CodeNoDeploy, wireCode(t, err))
}

// A cluster that does not answer is reported as unreachable, naming it.
func TestDeployUnreachable(t *testing.T) {
	addr := closedPort(t)
	kc := writeKubeconfig(t, "https://"+addr, "c")
	d, _, _, path := newTestDeploy(t, kc, screeningSrc)
	_, err := d.Preview(DeployTarget{Path: path})
	assert.Equal(t, CodeUnreachable, wireCode(t, err))
	assert.Contains(t, err.Error(), addr)
}

// statusOf waits for the job's final status.
func statusOf(t *testing.T, rec *recorder, id string) DeployStatus {
	t.Helper()
	final := func(p any) bool {
		s := p.(DeployStatus)
		return s.State == DeployDone || s.State == DeployFailed || s.State == DeployCancelled
	}
	var s DeployStatus
	bustest.Eventually(t, 2*time.Minute, func() bool {
		for _, p := range rec.named(DeployStatusEventName(id)) {
			if final(p) {
				s = p.(DeployStatus)
				return true
			}
		}
		return false
	}, "job %s did not end", id)
	return s
}

func agentActions(t *testing.T, d *Deploy, target DeployTarget) map[string]deploy.Action {
	t.Helper()
	p, err := d.Preview(target)
	require.NoError(t, err)
	return p.Changes.Agents
}

// Against a real API server: preview, deploy with progress events, an
// unsaved edit previewed as one agent's update, history, rollback.
func TestDeployLifecycleOnCluster(t *testing.T) {
	kc := k8stest.Start(t, k8stest.Options{})
	kubeconfig, err := kc.KubeconfigFor("admin")
	require.NoError(t, err)
	d, ws, rec, path := newTestDeploy(t, kubeconfig, screeningSrc)
	target := DeployTarget{Path: path, Context: k8stest.Context}

	p, err := d.Preview(target)
	require.NoError(t, err)
	assert.Equal(t, "Screening", p.Workflow)
	assert.Equal(t, "screening", p.Namespace)
	assert.Equal(t, k8stest.Context, p.Context)
	assert.Equal(t, map[string]deploy.Action{"validate": deploy.Create, "enrich": deploy.Create, "route": deploy.Create}, p.Changes.Agents)
	for _, c := range p.Changes.Changes {
		assert.Equal(t, deploy.Create, c.Action, "%s/%s", c.Kind, c.Name)
	}
	assert.Contains(t, p.Text, "+ create  screening Deployment/screening-enrich  (agent enrich)")

	job, err := d.Start(target)
	require.NoError(t, err)
	_, err = d.Start(target)
	assert.Equal(t, CodeDeployBusy, wireCode(t, err), "one job at a time per target")
	s := statusOf(t, rec, job.ID)
	require.Equal(t, DeployDone, s.State, s.Error)
	assert.Equal(t, 1, s.Revision)
	last, err := d.JobStatus(job.ID)
	require.NoError(t, err)
	assert.Equal(t, s, last, "a finished job's outcome can be read")
	states := []string{}
	for _, p := range rec.named(DeployStatusEventName(job.ID)) {
		states = append(states, p.(DeployStatus).State)
	}
	assert.Equal(t, []string{DeployApplying, DeployRollingOut, DeployDone}, states)
	ready := map[string]bool{}
	applied := 0
	for _, p := range rec.named(DeployEventName(job.ID)) {
		e := p.(DeployEvent)
		if e.Step == "apply" {
			applied++
		}
		if e.Agent != nil && e.Agent.Phase == deploy.Ready {
			ready[e.Agent.Agent] = true
		}
	}
	assert.Equal(t, len(p.Changes.Changes), applied, "one apply event per object")
	assert.True(t, ready["validate"] && ready["enrich"] && ready["route"], "every agent reported ready: %v", ready)

	// An unsaved edit of one agent: only it changes.
	_, err = ws.Update(path, strings.Replace(screeningSrc, "amount > 10", "amount > 20", 1))
	require.NoError(t, err)
	assert.Equal(t, map[string]deploy.Action{"validate": deploy.Unchanged, "enrich": deploy.Update, "route": deploy.Unchanged}, agentActions(t, d, target))
	job2, err := d.Start(target)
	require.NoError(t, err)
	require.Equal(t, DeployDone, statusOf(t, rec, job2.ID).State)

	hist, err := d.History(target)
	require.NoError(t, err)
	require.Len(t, hist, 2)
	assert.Equal(t, "screening.kumeo", hist[0].File)
	assert.Equal(t, map[string]int{"create": len(p.Changes.Changes)}, hist[0].Summary, "the first deploy created every object")
	assert.Equal(t, map[string]int{"update": 2, "unchanged": len(p.Changes.Changes) - 2}, hist[1].Summary, "the agent and the workflow text changed")
	src, err := d.RevisionSource(target, 1)
	require.NoError(t, err)
	assert.Equal(t, screeningSrc, src)
	_, err = d.RevisionSource(target, 9)
	assert.Equal(t, CodeNoHistory, wireCode(t, err))

	job3, err := d.Rollback(target, 1)
	require.NoError(t, err)
	s3 := statusOf(t, rec, job3.ID)
	require.Equal(t, DeployDone, s3.State, s3.Error)
	assert.Equal(t, 3, s3.Revision)
	assert.Equal(t, deploy.Update, agentActions(t, d, target)["enrich"], "the cluster runs revision 1 again")
	sts, err := d.Status(target)
	require.NoError(t, err)
	require.Len(t, sts, 4, "NATS and three agents")
	for _, st := range sts {
		assert.Equal(t, deploy.Ready, st.Phase, st.Name)
	}
}

// A cancelled job ends as cancelled, and Shutdown waits for jobs.
func TestDeployCancel(t *testing.T) {
	kc := k8stest.Start(t, k8stest.Options{})
	kubeconfig, err := kc.KubeconfigFor("admin")
	require.NoError(t, err)
	// Cancelled at once, the job stops while it applies (or, on a very
	// fast machine, may already be done).
	d, _, rec, path := newTestDeploy(t, kubeconfig, screeningSrc)
	job, err := d.Start(DeployTarget{Path: path})
	require.NoError(t, err)
	require.NoError(t, d.Cancel(job.ID))
	s := statusOf(t, rec, job.ID)
	t.Logf("the cancelled job ended %s: %s", s.State, s.Error)
	assert.Contains(t, []string{DeployCancelled, DeployDone}, s.State, "a job cancelled after it finished stays done")
	if s.State == DeployCancelled {
		assert.Empty(t, s.Code)
	}
	assert.Empty(t, d.Jobs())
	assert.NoError(t, d.Cancel(job.ID), "cancelling a finished job does nothing")
}

// The canvas' cluster metrics: a watch streams the snapshots the deployed
// agents publish to the workflow's NATS (here an external server the
// workflow names), each agent's replicas merged, until stopped.
func TestDeployWatchMetrics(t *testing.T) {
	kc := k8stest.Start(t, k8stest.Options{})
	kubeconfig, err := kc.KubeconfigFor("admin")
	require.NoError(t, err)
	ns, err := natsserver.NewServer(&natsserver.Options{Host: "127.0.0.1", Port: -1, NoSigs: true})
	require.NoError(t, err)
	go ns.Start()
	require.True(t, ns.ReadyForConnections(10*time.Second))
	t.Cleanup(ns.Shutdown)
	src := strings.Replace(screeningSrc, "workflow Screening {\n", "workflow Screening {\n  nats: \""+ns.ClientURL()+"\"\n", 1)
	d, _, rec, path := newTestDeploy(t, kubeconfig, src)
	d.opts.MetricsInterval = 100 * time.Millisecond

	w, err := d.WatchMetrics(DeployTarget{Path: path})
	require.NoError(t, err)
	assert.Equal(t, MetricsWatch{ID: w.ID, Workflow: "Screening", Namespace: "screening", Context: k8stest.Context}, w)
	rec.wait(t, ClusterMetricsEventName(w.ID), func(p any) bool { return p.(ClusterMetricsEvent).Connected })
	nc, err := nats.Connect(ns.ClientURL())
	require.NoError(t, err)
	defer nc.Close()
	for i, inst := range []string{"pod-a", "pod-b"} {
		b, err := json.Marshal(metrics.Snapshot{Workflow: "Screening", Agent: "enrich", Instance: inst, EventsIn: uint64(10 * (i + 1)), RatePerS: 2})
		require.NoError(t, err)
		require.NoError(t, nc.Publish(subject.Metrics("Screening", "enrich"), b))
	}
	require.NoError(t, nc.Flush())
	ev := rec.wait(t, ClusterMetricsEventName(w.ID), func(p any) bool {
		e := p.(ClusterMetricsEvent)
		return len(e.Snapshots) == 1 && e.Snapshots[0].Replicas == 2
	}).(ClusterMetricsEvent)
	assert.True(t, ev.Connected)
	assert.Contains(t, ev.Via, ns.ClientURL())
	assert.Equal(t, "enrich", ev.Snapshots[0].Agent)
	assert.Equal(t, uint64(30), ev.Snapshots[0].EventsIn, "the replicas' counters are summed")
	assert.InDelta(t, 4.0, ev.Snapshots[0].RatePerS, 0.001)
	b, err := json.Marshal(ev)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"rate_per_s":4`, "the window reads a local run's snapshot schema")

	require.NoError(t, d.StopMetrics(w.ID))
	n := len(rec.named(ClusterMetricsEventName(w.ID)))
	eventually(t, func() bool {
		m := len(rec.named(ClusterMetricsEventName(w.ID)))
		stopped := m == n
		n = m
		return stopped
	}, "events keep coming after StopMetrics")
	require.NoError(t, d.StopMetrics(w.ID), "stopping twice does nothing")
}
