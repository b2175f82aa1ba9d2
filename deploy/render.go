package deploy

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kumeo/kumeo/dsl"
)

// renderer holds what every object of one render shares.
type renderer struct {
	f    *dsl.File
	w    *dsl.Workflow
	s    *settings
	opts Options
	base string // workflow DNS name
}

// Render returns the objects that run workflow (empty: the first one) of
// f in a cluster, in apply order: Namespace, Secret, ConfigMap, NATS
// StatefulSet and headless Service, agent Deployments sorted by id, HPAs.
func Render(f *dsl.File, workflow string, opts Options) ([]Object, error) {
	w := f.Workflow(workflow)
	if w == nil {
		return nil, fmt.Errorf("%s: %w %q; expected the name of a workflow block in the file", f.Filename, ErrNoWorkflow, workflow)
	}
	s, err := readSettings(f, w)
	if err != nil {
		return nil, err
	}
	if s.image == "" {
		s.image = DefaultImage
	}
	if opts.Image != "" {
		s.image = opts.Image
	}
	if opts.Namespace != "" {
		s.namespace = opts.Namespace
	}
	r := &renderer{f: f, w: w, s: s, opts: opts, base: dnsName(w.Name)}
	objs := []Object{r.namespace()}
	if len(s.env) > 0 {
		sec, err := r.secret()
		if err != nil {
			return nil, err
		}
		objs = append(objs, sec)
	}
	objs = append(objs, r.configMap())
	if s.natsURL == "" {
		objs = append(objs, r.natsStatefulSet(), r.natsService())
	}
	agents := append(append([]*dsl.Agent(nil), w.Preprocessors...), w.Agents...)
	sort.SliceStable(agents, func(i, j int) bool { return agents[i].ID < agents[j].ID })
	var hpas []Object
	for _, a := range agents {
		d, err := r.deployment(a)
		if err != nil {
			return nil, err
		}
		objs = append(objs, d)
		if s.maxReplicas > 0 {
			hpas = append(hpas, r.hpa(d))
		}
	}
	return append(objs, hpas...), nil
}

func (r *renderer) meta(name, component string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: r.s.namespace, Labels: map[string]string{
		LabelName:      "kumeo",
		LabelInstance:  r.base,
		LabelComponent: component,
		LabelManagedBy: ManagedBy,
		LabelWorkflow:  r.base,
	}}
}

func (r *renderer) namespace() Object {
	m := r.meta(r.s.namespace, "namespace")
	m.Namespace = ""
	return &corev1.Namespace{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"}, ObjectMeta: m}
}

func (r *renderer) secretName() string { return r.base + "-env" }

func (r *renderer) secret() (Object, error) {
	data := map[string][]byte{}
	lookup := r.opts.lookup()
	for _, name := range r.s.env {
		v, ok := lookup(name)
		if !ok {
			v, ok = r.s.envDefault[name]
		}
		if !ok {
			return nil, fmt.Errorf("%s: %w: the workflow %s uses ${env.%s}; expected it set in the environment of the render or a default written ${env.NAME:-default}", r.f.Filename, ErrMissingEnv, r.w.Name, name)
		}
		data[name] = []byte(v)
	}
	return &corev1.Secret{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: r.meta(r.secretName(), "env"), Type: corev1.SecretTypeOpaque, Data: data}, nil
}

func (r *renderer) configMapName() string { return r.base + "-workflow" }

func (r *renderer) configMap() Object {
	return &corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: r.meta(r.configMapName(), "workflow"),
		Data:       map[string]string{fileBase(r.f): string(r.f.Src)}}
}

func (r *renderer) natsURL() string {
	if r.s.natsURL != "" {
		return r.s.natsURL
	}
	return fmt.Sprintf("nats://nats.%s.svc:4222", r.s.namespace)
}

// agentHash digests what the agent depends on: the workflow text with
// every other agent's call left out, and its own pod spec.
func (r *renderer) agentHash(a *dsl.Agent, pod corev1.PodSpec) string {
	h := sha256.New()
	src := r.f.Src
	var others []dsl.Range
	for _, o := range append(append([]*dsl.Agent(nil), r.w.Preprocessors...), r.w.Agents...) {
		if o != a && o.Node != nil {
			others = append(others, o.Node.Rng())
		}
	}
	sort.Slice(others, func(i, j int) bool { return others[i].Start.Offset < others[j].Start.Offset })
	last := 0
	for _, rg := range others {
		h.Write(src[last:rg.Start.Offset])
		last = rg.End.Offset
	}
	h.Write(src[last:])
	fmt.Fprintf(h, "\x00%s", pod.String())
	return hex.EncodeToString(h.Sum(nil))[:16]
}
