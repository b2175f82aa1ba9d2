package deploy

import (
	"context"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Event reports the progress of a deploy: one object applied or pruned,
// or an agent's rollout moving on.
type Event struct {
	Step    string       `json:"step"` // apply, prune, record, rollout
	Change  *Change      `json:"change,omitempty"`
	Agent   *AgentStatus `json:"agent,omitempty"`
	Message string       `json:"message,omitempty"`
}

// Progress receives events; it may be nil.
type Progress func(Event)

func (p Progress) emit(e Event) {
	if p != nil {
		p(e)
	}
}

// Result is what a deploy did.
type Result struct {
	Changes  *ChangeSet `json:"changes"`
	Revision int        `json:"revision"`
}

// Apply deploys the plan: it computes the change set, server-side applies
// the objects in order (namespace; service accounts, secrets and config;
// NATS; agents; autoscalers), waiting for each stage's requests before the
// next, prunes the workflow's objects the plan no longer has, and records
// the deploy in the cluster's history. It does not wait for the rollout
// (see WaitRollout).
func (c *Cluster) Apply(ctx context.Context, p *Plan, progress Progress) (*Result, error) {
	cs, err := c.Diff(ctx, p)
	if err != nil {
		return nil, err
	}
	byStage := map[int][]*Change{}
	maxStage := 0
	for i := range cs.Changes {
		ch := &cs.Changes[i]
		if ch.Action == Prune {
			continue
		}
		st := kinds[kindIndex(ch.Kind)].stage
		byStage[st] = append(byStage[st], ch)
		maxStage = max(maxStage, st)
	}
	for st := 0; st <= maxStage; st++ {
		list := byStage[st]
		err := forEach(ctx, len(list), 16, func(ctx context.Context, i int) error {
			return c.applyChange(ctx, list[i], progress)
		})
		if err != nil {
			return nil, err
		}
	}
	if err := c.prune(ctx, cs, progress); err != nil {
		return nil, err
	}
	rev, err := c.record(ctx, p, cs)
	if err != nil {
		return nil, err
	}
	progress.emit(Event{Step: "record", Message: fmt.Sprintf("recorded as revision %d", rev)})
	return &Result{Changes: cs, Revision: rev}, nil
}

func (c *Cluster) applyChange(ctx context.Context, ch *Change, progress Progress) error {
	if ch.Action == Unchanged {
		return nil
	}
	_, err := c.applyOne(ctx, ch.obj, false)
	if err != nil {
		return err
	}
	progress.emit(Event{Step: "apply", Change: ch})
	return nil
}

// prune deletes the live objects the change set marks for pruning, later
// stages first (autoscalers before the deployments they scale).
func (c *Cluster) prune(ctx context.Context, cs *ChangeSet, progress Progress) error {
	for i := range cs.Changes {
		ch := &cs.Changes[i]
		if ch.Action != Prune {
			continue
		}
		bg := metav1.DeletePropagationBackground
		err := c.resource(ch.Kind, ch.Namespace).Delete(ctx, ch.Name, metav1.DeleteOptions{PropagationPolicy: &bg})
		if err != nil && !apierrors.IsNotFound(err) {
			return c.clusterError("delete", strings.ToLower(ch.Kind), ch.Namespace, ch.Name, err)
		}
		progress.emit(Event{Step: "prune", Change: ch})
	}
	return nil
}

// Undeploy deletes every object of the workflow, its deploy history
// included, and its namespace when kumeo created it.
func (c *Cluster) Undeploy(ctx context.Context, workflow, namespace string, progress Progress) error {
	p := &Plan{Workflow: workflow, Namespace: namespace, agentIDs: map[string]string{}}
	live, err := c.liveObjects(ctx, p)
	if err != nil {
		return err
	}
	records, err := c.history(ctx, workflow, namespace)
	if err != nil {
		return err
	}
	cs := &ChangeSet{Workflow: workflow, Namespace: namespace}
	var ns *unstructured.Unstructured
	for _, u := range live {
		if u.GetKind() == "Namespace" {
			ns = u
			continue
		}
		cs.Changes = append(cs.Changes, Change{Kind: u.GetKind(), Namespace: u.GetNamespace(), Name: u.GetName(), Agent: p.agentOf(u), Action: Prune})
	}
	for _, r := range records {
		cs.Changes = append(cs.Changes, Change{Kind: "ConfigMap", Namespace: namespace, Name: r.object, Action: Prune})
	}
	sortChanges(cs.Changes)
	if err := c.prune(ctx, cs, progress); err != nil {
		return err
	}
	if ns != nil {
		err := c.resource("Namespace", "").Delete(ctx, ns.GetName(), metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			return c.clusterError("delete", "namespace", "", ns.GetName(), err)
		}
		progress.emit(Event{Step: "prune", Change: &Change{Kind: "Namespace", Name: ns.GetName(), Action: Prune}})
	}
	return nil
}
