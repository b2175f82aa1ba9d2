package deploy

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kumeo/kumeo/internal/k8stest"
)

const secretValue = "s3cr3t-value-7f1d2e"

const lifecycleSrc = `// three agents and a secret
workflow Screening {
  source: NATS("in.tx")
  target: NATS("out.tx")
  config: { api_key: "${env.API_KEY}" }
  agents: [
    DataProcessor(id: "validate", config: { required_fields: ["id"] }),
    DataProcessor(id: "enrich", config: { features: ["id", "big: amount > 10"] }),
    Router(id: "route", rules: { "default": "target.out.tx" })
  ]
  deployment: { namespace: "screening" }
}
`

// output collects everything a deploy shows a user, to search it for the
// secret's value.
type output struct{ strings.Builder }

func (o *output) add(v any) {
	b, _ := json.Marshal(v)
	o.Write(b)
	o.WriteByte('\n')
}

func (o *output) progress(e Event) { o.add(e) }

func planOf(t *testing.T, ctx context.Context, c *Cluster, src string) *Plan {
	t.Helper()
	f := parse(t, "screening.kumeo", src)
	p, err := c.PlanFor(ctx, f, "", Options{LookupEnv: func(n string) (string, bool) {
		return secretValue, n == "API_KEY"
	}})
	require.NoError(t, err)
	return p
}

func podUIDs(t *testing.T, ctx context.Context, c *Cluster, ns string) map[string]string {
	t.Helper()
	pods, err := c.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: LabelAgent})
	require.NoError(t, err)
	out := map[string]string{}
	for _, p := range pods.Items {
		if p.DeletionTimestamp == nil {
			out[p.Labels[LabelAgent]] += string(p.UID) + " "
		}
	}
	return out
}

func deployAndWait(t *testing.T, ctx context.Context, c *Cluster, p *Plan, out *output) *Result {
	t.Helper()
	res, err := c.Apply(ctx, p, out.progress)
	require.NoError(t, err)
	out.add(res)
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	sts, err := c.WaitRollout(wctx, p, out.progress)
	require.NoError(t, err)
	for _, s := range sts {
		assert.Equal(t, Ready, s.Phase, "%s", s.Name)
	}
	return res
}

// Deploy to a real API server, change one agent, remove one, roll back:
// each step changes exactly what it should, and the secret's value never
// shows.
func TestDeployLifecycle(t *testing.T) {
	kc := k8stest.Start(t, k8stest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	c, err := NewCluster(k8stest.Context, kc.Config)
	require.NoError(t, err)
	var out output

	p1 := planOf(t, ctx, c, lifecycleSrc)
	cs, err := c.Diff(ctx, p1)
	require.NoError(t, err)
	out.add(cs)
	out.WriteString(cs.String())
	for _, ch := range cs.Changes {
		assert.Equal(t, Create, ch.Action, "%s/%s", ch.Kind, ch.Name)
	}
	assert.Equal(t, map[string]Action{"validate": Create, "enrich": Create, "route": Create}, cs.Agents)

	res := deployAndWait(t, ctx, c, p1, &out)
	assert.Equal(t, 1, res.Revision)
	again, err := c.Diff(ctx, p1)
	require.NoError(t, err)
	assert.True(t, again.Empty(), "a second diff of the same file changes nothing:\n%s", again)

	// One agent's config changes: only its Deployment (and the shared
	// workflow text) change, and only its pods roll.
	before := podUIDs(t, ctx, c, p1.Namespace)
	p2 := planOf(t, ctx, c, strings.Replace(lifecycleSrc, `"big: amount > 10"`, `"big: amount > 20"`, 1))
	cs2, err := c.Diff(ctx, p2)
	require.NoError(t, err)
	out.add(cs2)
	assert.Equal(t, map[string]Action{"validate": Unchanged, "enrich": Update, "route": Unchanged}, cs2.Agents, "%s", cs2)
	for _, ch := range cs2.Changes {
		if ch.Action != Unchanged {
			assert.Contains(t, []string{"screening-enrich", "screening-workflow"}, ch.Name, "%s", cs2)
		}
	}
	deployAndWait(t, ctx, c, p2, &out)
	after := podUIDs(t, ctx, c, p1.Namespace)
	assert.Equal(t, before["validate"], after["validate"])
	assert.Equal(t, before["route"], after["route"])
	assert.NotEqual(t, before["enrich"], after["enrich"])

	// An agent removed from the file is pruned.
	p3 := planOf(t, ctx, c, strings.Replace(lifecycleSrc,
		`    DataProcessor(id: "enrich", config: { features: ["id", "big: amount > 10"] }),`+"\n", "", 1))
	cs3, err := c.Diff(ctx, p3)
	require.NoError(t, err)
	out.add(cs3)
	assert.Equal(t, Prune, cs3.Agents["enrich"], "%s", cs3)
	deployAndWait(t, ctx, c, p3, &out)
	_, err = c.Client.AppsV1().Deployments(p1.Namespace).Get(ctx, "screening-enrich", metav1.GetOptions{})
	assert.True(t, err != nil, "the removed agent's Deployment was pruned")

	// Rollback restores the previous revision: the agent is back.
	res4, rev, err := c.Rollback(ctx, p1.Workflow, p1.Namespace, 0, out.progress)
	require.NoError(t, err)
	assert.Equal(t, 2, rev.Revision)
	assert.Equal(t, 4, res4.Revision)
	assert.Equal(t, Create, res4.Changes.Agents["enrich"], "%s", res4.Changes)
	_, err = c.WaitRollout(ctx, p2, out.progress)
	require.NoError(t, err)
	d, err := c.Client.AppsV1().Deployments(p1.Namespace).Get(ctx, "screening-enrich", metav1.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, int32(1), d.Status.ReadyReplicas)

	hist, err := c.History(ctx, p1.Workflow, p1.Namespace)
	require.NoError(t, err)
	assert.Len(t, hist, 4)
	out.add(hist)
	assertNoSecret(t, ctx, c, p1.Namespace, out.String())
}

// assertNoSecret fails if the secret's value appears in what the deploy
// showed, or anywhere in the cluster but the Secret's data.
func assertNoSecret(t *testing.T, ctx context.Context, c *Cluster, ns, shown string) {
	t.Helper()
	assert.NotContains(t, shown, secretValue)
	cms, err := c.Client.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	for _, cm := range cms.Items {
		b, _ := json.Marshal(cm)
		assert.NotContains(t, string(b), secretValue, "config map %s", cm.Name)
		for _, v := range cm.BinaryData {
			if r, err := decodeRecord(v); err == nil {
				b, _ := json.Marshal(r)
				assert.NotContains(t, string(b), secretValue, "deploy record %s", cm.Name)
			}
		}
	}
	deps, err := c.Client.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	b, _ := json.Marshal(deps)
	assert.NotContains(t, string(b), secretValue, "deployments")
	sec, err := c.Client.CoreV1().Secrets(ns).Get(ctx, "screening-env", metav1.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, secretValue, string(sec.Data["API_KEY"]), "the value is in the Secret")
}

// A pod that crash-loops fails the rollout with the container's reason
// and the last lines of its log, read through the API server.
func TestRolloutReportsFailingPod(t *testing.T) {
	kc := k8stest.Start(t, k8stest.Options{PodLogs: []string{"starting agent enrich", "panic: model file not found"}})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := NewCluster(k8stest.Context, kc.Config)
	require.NoError(t, err)
	var out output
	p := planOf(t, ctx, c, lifecycleSrc)
	deployAndWait(t, ctx, c, p, &out)

	// Play the kubelet: the enrich container keeps crashing.
	pods, err := c.Client.CoreV1().Pods(p.Namespace).List(ctx, metav1.ListOptions{LabelSelector: LabelAgent + "=enrich"})
	require.NoError(t, err)
	require.Len(t, pods.Items, 1)
	pod := pods.Items[0]
	for i := range pod.Status.Conditions {
		if pod.Status.Conditions[i].Type == corev1.PodReady || pod.Status.Conditions[i].Type == corev1.ContainersReady {
			pod.Status.Conditions[i].Status = corev1.ConditionFalse
		}
	}
	pod.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "agent", Image: "x", RestartCount: 3,
		State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: "back-off 40s restarting failed container"}}}}
	_, err = c.Client.CoreV1().Pods(p.Namespace).UpdateStatus(ctx, &pod, metav1.UpdateOptions{})
	require.NoError(t, err)

	wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
	defer wcancel()
	sts, err := c.WaitRollout(wctx, p, out.progress)
	require.ErrorIs(t, err, ErrRollout)
	assert.Contains(t, err.Error(), "CrashLoopBackOff")
	var enrich *AgentStatus
	for i := range sts {
		if sts[i].Agent == "enrich" {
			enrich = &sts[i]
		}
	}
	require.NotNil(t, enrich)
	assert.Equal(t, Failed, enrich.Phase)
	assert.Equal(t, int32(3), enrich.Restarts)
	assert.Equal(t, []string{"starting agent enrich", "panic: model file not found"}, enrich.Logs)
	for _, s := range sts {
		if s.Agent != "enrich" {
			assert.NotEqual(t, Failed, s.Phase, s.Name)
		}
	}
}

// An autoscaler owns an agent's replica count: a later deploy does not
// scale the agent back.
func TestRedeployKeepsAutoscaledReplicas(t *testing.T) {
	kc := k8stest.Start(t, k8stest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := NewCluster(k8stest.Context, kc.Config)
	require.NoError(t, err)
	scaled := strings.Replace(lifecycleSrc, `deployment: { namespace: "screening" }`,
		`deployment: { namespace: "screening", scaling: { min_replicas: 1, max_replicas: 4 } }`, 1)
	var out output
	p := planOf(t, ctx, c, scaled)
	deployAndWait(t, ctx, c, p, &out)
	deps := c.Client.AppsV1().Deployments(p.Namespace)
	sc, err := deps.GetScale(ctx, "screening-route", metav1.GetOptions{})
	require.NoError(t, err)
	sc.Spec.Replicas = 3
	_, err = deps.UpdateScale(ctx, "screening-route", sc, metav1.UpdateOptions{})
	require.NoError(t, err)

	p2 := planOf(t, ctx, c, strings.Replace(scaled, `"default": "target.out.tx"`, `"amount > 5": "target.out.tx", "default": "target.out.tx"`, 1))
	cs, err := c.Diff(ctx, p2)
	require.NoError(t, err)
	assert.Equal(t, Update, cs.Agents["route"], "%s", cs)
	for _, ch := range cs.Changes {
		assert.NotContains(t, ch.Fields, "spec.replicas", "%s/%s", ch.Kind, ch.Name)
	}
	deployAndWait(t, ctx, c, p2, &out)
	d, err := deps.Get(ctx, "screening-route", metav1.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, int32(3), *d.Spec.Replicas)
}
