package deploy

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
)

// Action is what a deploy does to one object.
type Action string

// The actions of a change set.
const (
	Create    Action = "create"
	Update    Action = "update"
	Prune     Action = "prune"
	Unchanged Action = "unchanged"
)

// Change is one object of a change set.
type Change struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	// Agent is the id of the workflow agent the object belongs to; empty
	// for what the workflow's agents share (namespace, config, NATS).
	Agent  string `json:"agent,omitempty"`
	Action Action `json:"action"`
	// Fields are the paths of the fields an update changes. Values are
	// never shown: a Secret's change names only its keys.
	Fields []string `json:"fields,omitempty"`
	// Note says why the server could not check the object, if it could not.
	Note string `json:"note,omitempty"`

	obj *unstructured.Unstructured // desired state (nil for prune)
}

// ChangeSet is what a deploy would change in the cluster, object by
// object, and per workflow agent.
type ChangeSet struct {
	Workflow  string   `json:"workflow"`
	Namespace string   `json:"namespace"`
	Changes   []Change `json:"changes"`
	// Agents maps each agent id of the workflow (and of the live cluster)
	// to the action on its objects: create, update, prune or unchanged.
	Agents map[string]Action `json:"agents"`
}

// Empty reports whether applying the change set would change nothing.
func (cs *ChangeSet) Empty() bool {
	for _, c := range cs.Changes {
		if c.Action != Unchanged {
			return false
		}
	}
	return true
}

// Counts returns how many objects each action touches.
func (cs *ChangeSet) Counts() map[Action]int {
	m := map[Action]int{}
	for _, c := range cs.Changes {
		m[c.Action]++
	}
	return m
}

// String renders the change set as text, kapp-style: one line per object
// that changes, then a summary.
func (cs *ChangeSet) String() string {
	var b strings.Builder
	for _, c := range cs.Changes {
		if c.Action == Unchanged {
			continue
		}
		sign := map[Action]string{Create: "+", Update: "~", Prune: "-"}[c.Action]
		name := c.Kind + "/" + c.Name
		if c.Namespace != "" {
			name = c.Namespace + " " + name
		}
		fmt.Fprintf(&b, "%s %-7s %s", sign, c.Action, name)
		if c.Agent != "" {
			fmt.Fprintf(&b, "  (agent %s)", c.Agent)
		}
		if len(c.Fields) > 0 {
			fmt.Fprintf(&b, "  fields: %s", strings.Join(c.Fields, ", "))
		}
		if c.Note != "" {
			fmt.Fprintf(&b, "  [%s]", c.Note)
		}
		b.WriteByte('\n')
	}
	n := cs.Counts()
	fmt.Fprintf(&b, "%d to create, %d to update, %d to prune, %d unchanged\n", n[Create], n[Update], n[Prune], n[Unchanged])
	return b.String()
}

// Plan is a rendered workflow ready to be compared with and applied to a
// cluster.
type Plan struct {
	Workflow string // DNS name: the kumeo.dev/workflow label
	// Name is the workflow's name in the file and its NATS subjects.
	Name string
	// NATSURL is the workflow's external NATS server, if it names one.
	NATSURL   string
	Namespace string
	Objects   []*unstructured.Unstructured
	// File and Source are the workflow file's name and text, kept in the
	// deploy's record.
	File   string
	Source []byte

	agentIDs map[string]string // kumeo.dev/agent label -> agent id
}

// NewPlan prepares rendered objects for the cluster. agents are the
// workflow's agent ids, so changes are reported by id.
func NewPlan(objs []Object, agents []string) (*Plan, error) {
	p := &Plan{agentIDs: map[string]string{}}
	for _, a := range agents {
		p.agentIDs[dnsName(a)] = a
	}
	for _, o := range objs {
		u, err := toUnstructured(o)
		if err != nil {
			return nil, err
		}
		if kindIndex(u.GetKind()) < 0 {
			return nil, fmt.Errorf("deploy: cannot apply a %s (%s): expected one of the kinds a render produces", u.GetKind(), u.GetName())
		}
		if w := u.GetLabels()[LabelWorkflow]; w != "" {
			p.Workflow = w
		}
		if u.GetKind() == "Namespace" {
			p.Namespace = u.GetName()
		} else if p.Namespace == "" {
			p.Namespace = u.GetNamespace()
		}
		p.Objects = append(p.Objects, u)
	}
	if p.Workflow == "" || p.Namespace == "" {
		return nil, fmt.Errorf("deploy: the objects carry no %s label or namespace; expected the output of Render", LabelWorkflow)
	}
	return p, nil
}

func toUnstructured(o runtime.Object) (*unstructured.Unstructured, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
	if err != nil {
		return nil, err
	}
	delete(m, "status")
	if md, ok := m["metadata"].(map[string]any); ok {
		delete(md, "creationTimestamp")
	}
	return &unstructured.Unstructured{Object: m}, nil
}

// Agents are the ids of the workflow's agents, sorted.
func (p *Plan) Agents() []string {
	out := make([]string, 0, len(p.agentIDs))
	for _, id := range p.agentIDs {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

func (p *Plan) agentOf(u *unstructured.Unstructured) string { return p.agentOfLabels(u.GetLabels()) }

// agentOfLabels is the agent id an object's labels name, or "".
func (p *Plan) agentOfLabels(labels map[string]string) string {
	l := labels[LabelAgent]
	if l == "" {
		return ""
	}
	if id, ok := p.agentIDs[l]; ok {
		return id
	}
	return l
}

// resource is the dynamic client for an object's kind in its namespace.
func (c *Cluster) resource(kind, namespace string) dynamic.ResourceInterface {
	k := kinds[kindIndex(kind)]
	if k.cluster {
		return c.Dynamic.Resource(k.gvr)
	}
	return c.Dynamic.Resource(k.gvr).Namespace(namespace)
}

// Diff compares the plan with the cluster: a server-side dry-run apply of
// every object, compared field by field with the live object, and the
// live objects of the workflow that the plan no longer has.
func (c *Cluster) Diff(ctx context.Context, p *Plan) (*ChangeSet, error) {
	live, err := c.liveObjects(ctx, p)
	if err != nil {
		return nil, err
	}
	nsExists := live[key("Namespace", "", p.Namespace)] != nil || c.namespaceUsable(ctx, p.Namespace)
	changes := make([]Change, len(p.Objects))
	err = forEach(ctx, len(p.Objects), 16, func(ctx context.Context, i int) error {
		u := p.Objects[i]
		ch, err := c.diffOne(ctx, u, live[key(u.GetKind(), u.GetNamespace(), u.GetName())], nsExists)
		ch.Agent = p.agentOf(u)
		changes[i] = ch
		return err
	})
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, u := range p.Objects {
		want[key(u.GetKind(), u.GetNamespace(), u.GetName())] = true
	}
	var pruned []Change
	for k, u := range live {
		if !want[k] && u.GetKind() != "Namespace" {
			pruned = append(pruned, Change{Kind: u.GetKind(), Namespace: u.GetNamespace(), Name: u.GetName(), Agent: p.agentOf(u), Action: Prune})
		}
	}
	sortChanges(pruned)
	cs := &ChangeSet{Workflow: p.Workflow, Namespace: p.Namespace, Changes: append(changes, pruned...), Agents: map[string]Action{}}
	for _, ch := range cs.Changes {
		if ch.Agent != "" {
			cs.Agents[ch.Agent] = mergeAction(cs.Agents[ch.Agent], ch.Action)
		}
	}
	for _, id := range p.agentIDs {
		if _, ok := cs.Agents[id]; !ok {
			cs.Agents[id] = Unchanged
		}
	}
	return cs, nil
}

// sortChanges orders changes for pruning: later apply stages first.
func sortChanges(cs []Change) {
	sort.Slice(cs, func(i, j int) bool { return changeLess(cs[i], cs[j]) })
}

func changeLess(a, b Change) bool {
	ia, ib := kindIndex(a.Kind), kindIndex(b.Kind)
	if ia != ib {
		return kinds[ia].stage > kinds[ib].stage || kinds[ia].stage == kinds[ib].stage && ia < ib
	}
	return a.Name < b.Name
}

// mergeAction is the action shown on an agent's node when its objects
// change in different ways: create and prune win over update.
func mergeAction(have, next Action) Action {
	rank := map[Action]int{"": 0, Unchanged: 1, Update: 2, Prune: 3, Create: 3}
	if rank[next] > rank[have] {
		return next
	}
	return have
}

// diffOne dry-runs the apply of u and compares the result with live.
func (c *Cluster) diffOne(ctx context.Context, u, live *unstructured.Unstructured, nsExists bool) (Change, error) {
	ch := Change{Kind: u.GetKind(), Namespace: u.GetNamespace(), Name: u.GetName(), obj: u}
	probe := u
	if !nsExists && u.GetNamespace() != "" {
		// The namespace is created by this deploy: check the object in
		// the default namespace, which the server can dry-run into.
		probe = u.DeepCopy()
		probe.SetNamespace(metav1.NamespaceDefault)
	}
	dry, err := c.applyOne(ctx, probe, true)
	if err != nil && u.GetKind() == "Namespace" && errors.Is(err, ErrForbidden) && c.namespaceUsable(ctx, u.GetName()) {
		// A namespace-scoped role: an administrator made the namespace.
		ch.Action, ch.Note = Unchanged, "namespace managed outside kumeo"
		return ch, nil
	}
	if err != nil {
		if apierrors.IsForbidden(err) && probe != u {
			ch.Note = "not checked by the server: its namespace does not exist yet"
			err = nil
		} else {
			return ch, err
		}
	}
	if live == nil {
		ch.Action = Create
		return ch, nil
	}
	ch.Fields = changedFields(normalize(live.Object), normalize(dry.Object), "")
	ch.Action = Unchanged
	if len(ch.Fields) > 0 {
		ch.Action = Update
	}
	return ch, nil
}

// applyOne server-side applies u (a dry run when dry) as the kumeo field
// manager, taking over conflicting fields as kubectl apply --server-side
// --force-conflicts does.
func (c *Cluster) applyOne(ctx context.Context, u *unstructured.Unstructured, dry bool) (*unstructured.Unstructured, error) {
	data, err := u.MarshalJSON()
	if err != nil {
		return nil, err
	}
	force := true
	opts := metav1.PatchOptions{FieldManager: FieldManager, Force: &force}
	verb := "patch" // server-side apply is a patch
	if dry {
		opts.DryRun = []string{metav1.DryRunAll}
		verb = "patch (dry run)"
	}
	out, err := c.resource(u.GetKind(), u.GetNamespace()).Patch(ctx, u.GetName(), types.ApplyPatchType, data, opts)
	return out, c.clusterError(verb, strings.ToLower(u.GetKind()), u.GetNamespace(), u.GetName(), err)
}

// liveObjects lists the cluster's objects labelled for the workflow, by
// kind/namespace/name.
func (c *Cluster) liveObjects(ctx context.Context, p *Plan) (map[string]*unstructured.Unstructured, error) {
	out := map[string]*unstructured.Unstructured{}
	var mu sync.Mutex
	sel := metav1.ListOptions{LabelSelector: LabelWorkflow + "=" + p.Workflow + "," + LabelManagedBy + "=" + ManagedBy}
	err := forEach(ctx, len(kinds), len(kinds), func(ctx context.Context, i int) error {
		k := kinds[i]
		if k.kind == "Namespace" {
			ns, err := c.resource(k.kind, "").Get(ctx, p.Namespace, metav1.GetOptions{})
			switch {
			case err == nil && ns.GetLabels()[LabelWorkflow] == p.Workflow:
				mu.Lock()
				out[key(k.kind, "", p.Namespace)] = ns
				mu.Unlock()
				return nil
			case err == nil, apierrors.IsNotFound(err), apierrors.IsForbidden(err):
				return nil // not ours, not there, or not ours to see
			}
			return c.clusterError("get", "namespace", "", p.Namespace, err)
		}
		list, err := c.resource(k.kind, p.Namespace).List(ctx, sel)
		if err != nil {
			return c.clusterError("list", k.gvr.Resource, p.Namespace, "", err)
		}
		mu.Lock()
		defer mu.Unlock()
		for j := range list.Items {
			u := &list.Items[j]
			if u.GetLabels()[LabelHistory] != "" {
				continue // deploy records are not part of the workflow
			}
			u.SetKind(k.kind)
			out[key(k.kind, u.GetNamespace(), u.GetName())] = u
		}
		return nil
	})
	return out, err
}

// namespaceUsable reports whether the namespace exists, for a user who
// may not read namespaces: a namespaced request there succeeds.
func (c *Cluster) namespaceUsable(ctx context.Context, ns string) bool {
	_, err := c.Client.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	if err == nil {
		return true
	}
	if !apierrors.IsForbidden(err) {
		return false
	}
	_, err = c.Client.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{Limit: 1})
	return err == nil
}

func key(kind, ns, name string) string { return kind + "/" + ns + "/" + name }

// normalize drops what the server owns from an object before comparing.
func normalize(m map[string]any) map[string]any {
	m = runtime.DeepCopyJSON(m)
	delete(m, "status")
	if md, ok := m["metadata"].(map[string]any); ok {
		for _, k := range []string{"managedFields", "resourceVersion", "generation", "uid", "creationTimestamp", "selfLink"} {
			delete(md, k)
		}
		if an, ok := md["annotations"].(map[string]any); ok {
			delete(an, "deployment.kubernetes.io/revision")
			if len(an) == 0 {
				delete(md, "annotations")
			}
		}
	}
	return m
}

// changedFields lists the paths where a and b differ, leaves first.
func changedFields(a, b any, path string) []string {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if !aok || !bok {
		if reflect.DeepEqual(a, b) {
			return nil
		}
		return []string{strings.TrimPrefix(path, ".")}
	}
	keys := map[string]bool{}
	for k := range am {
		keys[k] = true
	}
	for k := range bm {
		keys[k] = true
	}
	var out []string
	for _, k := range slicesSorted(keys) {
		out = append(out, changedFields(am[k], bm[k], path+"."+k)...)
	}
	return out
}

func slicesSorted(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// forEach runs fn(i) for i in [0,n) with at most par at once and returns
// the first error.
func forEach(parent context.Context, n, par int, fn func(context.Context, int) error) error {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for i := range n {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := fn(ctx, i); err != nil {
				once.Do(func() { first = err; cancel() })
			}
		}()
	}
	wg.Wait()
	if first == nil {
		// Cancelled before every item started: the results are incomplete.
		first = parent.Err()
	}
	return first
}
