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
	f     *dsl.File
	w     *dsl.Workflow
	s     *settings
	opts  Options
	base  string // workflow DNS name
	files []shippedFile
}

// Render returns the objects that run workflow (empty: the first one) of
// f in a cluster, in apply order: Namespace, env Secret, NATS Secret,
// ConfigMap, NATS StatefulSet and headless Service, endpoints Deployment
// and Service, agent Deployments sorted by id, HPAs.
func Render(f *dsl.File, workflow string, opts Options) ([]Object, error) {
	r, err := newRenderer(f, workflow, opts)
	if err != nil {
		return nil, err
	}
	s := r.s
	if r.files, err = r.readFiles(); err != nil {
		return nil, err
	}
	objs := []Object{r.namespace()}
	if len(s.env) > 0 {
		sec, err := r.secret()
		if err != nil {
			return nil, err
		}
		objs = append(objs, sec)
	}
	if r.ownNATS() {
		objs = append(objs, r.natsSecret())
	}
	objs = append(objs, r.configMap())
	if r.ownNATS() {
		objs = append(objs, r.natsStatefulSet(), r.natsService())
	}
	if r.hasEndpoints() {
		objs = append(objs, r.endpointsDeployment())
		if port := r.httpSources(); port {
			objs = append(objs, r.endpointsService())
		}
	}
	agents, hpas, err := r.agentDeployments()
	if err != nil {
		return nil, err
	}
	return append(append(objs, agents...), hpas...), nil
}

// agentDeployments renders one Deployment per agent, sorted by id, and
// their HPAs when scaling has a maximum.
func (r *renderer) agentDeployments() (deps, hpas []Object, err error) {
	agents := r.w.AllAgents()
	sort.SliceStable(agents, func(i, j int) bool { return agents[i].ID < agents[j].ID })
	for _, a := range agents {
		d, err := r.deployment(a)
		if err != nil {
			return nil, nil, err
		}
		deps = append(deps, d)
		if r.s.maxReplicas > 0 {
			hpas = append(hpas, r.hpa(d))
		}
	}
	return deps, hpas, nil
}

// newRenderer reads the workflow's deployment settings and applies the
// options that override them.
func newRenderer(f *dsl.File, workflow string, opts Options) (*renderer, error) {
	w := f.Workflow(workflow)
	if w == nil {
		return nil, errNoWorkflow(f, workflow)
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
	return &renderer{f: f, w: w, s: s, opts: opts, base: dnsName(w.Name)}, nil
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

// ownNATS reports whether the render includes a NATS server (the workflow
// names no external one).
func (r *renderer) ownNATS() bool { return r.s.natsURL == "" }

// NATSSecretName is the name of the Secret holding the NATS credentials
// of a workflow (its DNS name, as in the other object names).
func NATSSecretName(workflowDNS string) string { return workflowDNS + "-nats" }

func (r *renderer) natsSecret() Object {
	pass := r.opts.NATSPassword
	if pass == "" {
		pass = NATSPasswordPlaceholder
	}
	return &corev1.Secret{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: r.meta(NATSSecretName(r.base), "nats"), Type: corev1.SecretTypeOpaque,
		Data: map[string][]byte{SecretKeyNATSUser: []byte(NATSUser), SecretKeyNATSPassword: []byte(pass)}}
}

// natsEnv is the env of a container that needs the NATS credentials:
// only references to the Secret, never the values.
func (r *renderer) natsEnv() []corev1.EnvVar {
	if !r.ownNATS() {
		return nil
	}
	ref := func(env, key string) corev1.EnvVar {
		return corev1.EnvVar{Name: env, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: NATSSecretName(r.base)}, Key: key}}}
	}
	return []corev1.EnvVar{ref(EnvNATSUser, SecretKeyNATSUser), ref(EnvNATSPassword, SecretKeyNATSPassword)}
}

func (r *renderer) configMapName() string { return r.base + "-workflow" }

func (r *renderer) configMap() Object {
	cm := &corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: r.meta(r.configMapName(), "workflow"),
		Data:       map[string]string{fileBase(r.f): string(r.f.Src)}}
	for _, sf := range r.files {
		if isText(sf.data) {
			cm.Data[sf.key] = string(sf.data)
			continue
		}
		if cm.BinaryData == nil {
			cm.BinaryData = map[string][]byte{}
		}
		cm.BinaryData[sf.key] = sf.data
	}
	return cm
}

// workflowVolume mounts the ConfigMap at workflowDir with the workflow
// and each file the agent (nil: none) or the workflow itself references
// at its relative path, so paths resolve as next to the workflow file.
func (r *renderer) workflowVolume(a *dsl.Agent) corev1.Volume {
	items := []corev1.KeyToPath{{Key: fileBase(r.f), Path: fileBase(r.f)}}
	for _, sf := range r.files {
		if sf.Agent == "" || a != nil && sf.Agent == a.ID {
			items = append(items, corev1.KeyToPath{Key: sf.key, Path: sf.Path})
		}
	}
	return corev1.Volume{Name: "workflow", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
		LocalObjectReference: corev1.LocalObjectReference{Name: r.configMapName()}, Items: items}}}
}

func (r *renderer) natsURL() string {
	if r.s.natsURL != "" {
		return r.s.natsURL
	}
	return fmt.Sprintf("nats://nats.%s.svc:4222", r.s.namespace)
}

// agentHash digests what the agent depends on: the workflow text with
// every other agent's call left out, the files it and the workflow
// reference, and its own pod spec. The pod spec names Secrets and their
// keys, never their values, so the hash holds no secret.
func (r *renderer) agentHash(a *dsl.Agent, pod corev1.PodSpec) string {
	h := sha256.New()
	src := r.f.Src
	var others []dsl.Range
	for _, o := range r.w.AllAgents() {
		if a != nil && o != a && o.Node != nil {
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
	for _, sf := range r.files {
		if sf.Agent == "" || a != nil && sf.Agent == a.ID {
			sum := sha256.Sum256(sf.data)
			fmt.Fprintf(h, "\x00%s\x00%x", sf.Path, sum)
		}
	}
	fmt.Fprintf(h, "\x00%s", pod.String())
	return hex.EncodeToString(h.Sum(nil))[:16]
}
