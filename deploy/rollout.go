package deploy

import (
	"context"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Phase is where an agent's rollout is.
type Phase string

// The phases of a rollout.
const (
	Progressing Phase = "progressing"
	Ready       Phase = "ready"
	Failed      Phase = "failed"
)

// AgentStatus is the state of one workload in the cluster: an agent's
// Deployment, or NATS.
type AgentStatus struct {
	// Agent is the agent id; empty for NATS and the endpoints.
	Agent     string `json:"agent,omitempty"`
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Desired   int32  `json:"desired"`
	Updated   int32  `json:"updated"`
	Ready     int32  `json:"ready"`
	Available int32  `json:"available"`
	Restarts  int32  `json:"restarts"`
	Phase     Phase  `json:"phase"`
	// Reason says why the rollout is failing or waiting: a container's
	// waiting reason (ImagePullBackOff, CrashLoopBackOff), an unschedulable
	// pod, a deadline.
	Reason string `json:"reason,omitempty"`
	// Logs are the last lines of a failing pod's log.
	Logs []string `json:"logs,omitempty"`
}

// failing container reasons: the rollout will not converge on its own.
var failing = map[string]bool{"CrashLoopBackOff": true, "ImagePullBackOff": true, "ErrImagePull": true,
	"CreateContainerConfigError": true, "InvalidImageName": true, "CreateContainerError": true, "RunContainerError": true}

// Status reads the workloads of a workflow now.
func (c *Cluster) Status(ctx context.Context, p *Plan) ([]AgentStatus, error) {
	sel := metav1.ListOptions{LabelSelector: LabelWorkflow + "=" + p.Workflow}
	deps, err := c.Client.AppsV1().Deployments(p.Namespace).List(ctx, sel)
	if err != nil {
		return nil, c.clusterError("list", "deployments", p.Namespace, "", err)
	}
	sts, err := c.Client.AppsV1().StatefulSets(p.Namespace).List(ctx, sel)
	if err != nil {
		return nil, c.clusterError("list", "statefulsets", p.Namespace, "", err)
	}
	pods, err := c.Client.CoreV1().Pods(p.Namespace).List(ctx, sel)
	if err != nil {
		return nil, c.clusterError("list", "pods", p.Namespace, "", err)
	}
	var out []AgentStatus
	for i := range sts.Items {
		s := &sts.Items[i]
		st := AgentStatus{Kind: "StatefulSet", Name: s.Name, Desired: deref(s.Spec.Replicas), Updated: s.Status.UpdatedReplicas,
			Ready: s.Status.ReadyReplicas, Available: s.Status.AvailableReplicas}
		st.Phase = phase(s.Generation <= s.Status.ObservedGeneration && s.Status.UpdateRevision == s.Status.CurrentRevision &&
			st.Ready == st.Desired)
		c.podReasons(ctx, &st, pods.Items, s.Spec.Selector)
		out = append(out, st)
	}
	for i := range deps.Items {
		d := &deps.Items[i]
		st := AgentStatus{Agent: p.agentOfLabels(d.Labels), Kind: "Deployment", Name: d.Name, Desired: deref(d.Spec.Replicas),
			Updated: d.Status.UpdatedReplicas, Ready: d.Status.ReadyReplicas, Available: d.Status.AvailableReplicas}
		st.Phase = phase(d.Generation <= d.Status.ObservedGeneration && st.Updated == st.Desired &&
			st.Available == st.Desired && d.Status.Replicas == st.Desired)
		for _, cond := range d.Status.Conditions {
			if cond.Type == appsv1.DeploymentProgressing && cond.Status == corev1.ConditionFalse {
				st.Phase, st.Reason = Failed, cond.Reason+": "+cond.Message
			}
		}
		c.podReasons(ctx, &st, pods.Items, d.Spec.Selector)
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Kind > out[j].Kind || out[i].Kind == out[j].Kind && out[i].Name < out[j].Name
	})
	return out, nil
}

func phase(done bool) Phase {
	if done {
		return Ready
	}
	return Progressing
}

func deref(p *int32) int32 {
	if p == nil {
		return 1
	}
	return *p
}

// podReasons adds the restarts of the workload's pods and, for a pod that
// fails, the reason and the last lines of its log.
func (c *Cluster) podReasons(ctx context.Context, st *AgentStatus, pods []corev1.Pod, sel *metav1.LabelSelector) {
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return
	}
	for i := range pods {
		pod := &pods[i]
		if !s.Matches(labels.Set(pod.Labels)) || pod.DeletionTimestamp != nil {
			continue
		}
		for _, cs := range pod.Status.ContainerStatuses {
			st.Restarts += cs.RestartCount
			if w := cs.State.Waiting; w != nil && failing[w.Reason] {
				st.Phase, st.Reason = Failed, fmt.Sprintf("pod %s: %s: %s", pod.Name, w.Reason, w.Message)
				st.Logs = c.lastLogs(ctx, pod, cs.Name, cs.RestartCount > 0)
			}
		}
		for _, cond := range pod.Status.Conditions {
			if cond.Type == corev1.PodScheduled && cond.Status == corev1.ConditionFalse && st.Reason == "" {
				st.Reason = fmt.Sprintf("pod %s: %s: %s", pod.Name, cond.Reason, cond.Message)
			}
		}
	}
}

// lastLogs returns the last 20 lines of a container's log: its previous
// run's when it restarted (where the crash is), else the current one's;
// nothing when neither can be read.
func (c *Cluster) lastLogs(ctx context.Context, pod *corev1.Pod, container string, previous bool) []string {
	n := int64(20)
	read := func(prev bool) []string {
		rc, err := c.Client.CoreV1().Pods(pod.Namespace).GetLogs(pod.Name, &corev1.PodLogOptions{Container: container, TailLines: &n, Previous: prev}).Stream(ctx)
		if err != nil {
			return nil
		}
		defer rc.Close()
		b, _ := io.ReadAll(io.LimitReader(rc, 64<<10))
		if s := strings.TrimRight(string(b), "\n"); s != "" {
			return strings.Split(s, "\n")
		}
		return nil
	}
	if previous {
		if l := read(true); l != nil {
			return l
		}
	}
	return read(false)
}

// WaitRollout polls the workflow's workloads until all are ready, one
// fails, or ctx ends, reporting each change of an agent's status.
func (c *Cluster) WaitRollout(ctx context.Context, p *Plan, progress Progress) ([]AgentStatus, error) {
	last := map[string]AgentStatus{}
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		sts, err := c.Status(ctx, p)
		if err != nil {
			return nil, err
		}
		done, failed := true, []string{}
		for _, st := range sts {
			if prev, ok := last[st.Name]; !ok || !reflect.DeepEqual(prev, st) {
				last[st.Name] = st
				progress.emit(Event{Step: "rollout", Agent: &st})
			}
			if st.Phase != Ready {
				done = false
			}
			if st.Phase == Failed {
				failed = append(failed, st.Name+": "+st.Reason)
			}
		}
		if len(failed) > 0 {
			return sts, fmt.Errorf("%w in namespace %s: %s", ErrRollout, p.Namespace, strings.Join(failed, "; "))
		}
		if done {
			return sts, nil
		}
		select {
		case <-ctx.Done():
			var waiting []string
			for _, st := range sts {
				if st.Phase != Ready {
					waiting = append(waiting, fmt.Sprintf("%s %d/%d ready %s", st.Name, st.Ready, st.Desired, st.Reason))
				}
			}
			return sts, fmt.Errorf("%w: not ready in time in namespace %s: %s", ErrRollout, p.Namespace, strings.Join(waiting, "; "))
		case <-tick.C:
		}
	}
}
