package deploy

import (
	"path/filepath"
	"regexp"
	"sort"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/kumeo/kumeo/dsl"
)

// Resource classes of the deployment block's resources object.
const (
	classDefault = "default"
	classML      = "ml_models"
	classLLM     = "llm"
)

// classOf maps agent types to the resource class they run in; others use
// the default class.
var classOf = map[string]string{
	dsl.TypeMLModel:         classML,
	dsl.TypeBayesianNetwork: classML,
	dsl.TypeLLM:             classLLM,
}

// settings are the deployment block of one workflow, resolved.
type settings struct {
	namespace   string
	image       string
	natsURL     string // external NATS; empty renders one
	natsReplica int32
	resources   map[string]corev1.ResourceRequirements
	minReplicas int32
	maxReplicas int32 // 0: no autoscaling
	targetCPU   int32
	env         []string          // ${env.X} names, sorted
	envDefault  map[string]string // X -> d for ${env.X:-d}
}

var envRef = regexp.MustCompile(`\$\{env\.([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?\}`)

// readSettings resolves the deployment block of w; a missing block gives
// the defaults.
func readSettings(f *dsl.File, w *dsl.Workflow) (*settings, error) {
	s := &settings{namespace: dnsName(w.Name), natsURL: w.NATS, natsReplica: 1, minReplicas: 1, targetCPU: 80,
		resources: map[string]corev1.ResourceRequirements{}}
	s.env, s.envDefault = envNames(f.Text(w.Block.Range))
	p := w.Block.Get("deployment")
	if p == nil {
		return s, nil
	}
	d, ok := p.Value.(*dsl.Object)
	if !ok {
		return nil, errAt(f, p.Value.Rng(), ErrInvalid, "deployment must be an object { namespace, resources, scaling, ... }")
	}
	if v, ok := d.Value("namespace").(*dsl.String); ok {
		s.namespace = dnsName(v.Text())
	}
	if reg, ok := d.Value("registry").(*dsl.Object); ok {
		if v, ok := reg.Value("kumeo").(*dsl.String); ok && v.Text() != "" {
			s.image = v.Text() + "/kumeo:latest"
		}
	}
	if err := s.readResources(f, d); err != nil {
		return nil, err
	}
	if err := s.readScaling(f, d); err != nil {
		return nil, err
	}
	if n, ok := d.Value("nats").(*dsl.Object); ok {
		if err := intSetting(f, n, "replicas", 1, &s.natsReplica); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// envNames returns the sorted names of the ${env.X} references in text
// and the default written for each, if any.
func envNames(text string) ([]string, map[string]string) {
	defaults := map[string]string{}
	seen := map[string]bool{}
	var out []string
	for _, m := range envRef.FindAllStringSubmatch(text, -1) {
		if !seen[m[1]] {
			seen[m[1]] = true
			out = append(out, m[1])
		}
		if _, ok := defaults[m[1]]; !ok && m[2] != "" {
			defaults[m[1]] = m[2][2:]
		}
	}
	sort.Strings(out)
	return out, defaults
}

func (s *settings) readResources(f *dsl.File, d *dsl.Object) error {
	p := d.Get("resources")
	if p == nil {
		return nil
	}
	r, ok := p.Value.(*dsl.Object)
	if !ok {
		return errAt(f, p.Value.Rng(), ErrInvalid, "resources must be an object { default: { cpu, memory }, ml_models: {...}, llm: {...} }")
	}
	for _, c := range r.Props {
		req, err := requirements(f, c.Value)
		if err != nil {
			return err
		}
		s.resources[c.Key] = req
	}
	return nil
}

// requirements reads { cpu: "250m", memory: "256Mi", gpu: true } as
// equal requests and limits.
func requirements(f *dsl.File, n dsl.Node) (corev1.ResourceRequirements, error) {
	var req corev1.ResourceRequirements
	o, ok := n.(*dsl.Object)
	if !ok {
		return req, errAt(f, n.Rng(), ErrInvalid, `resource class must be an object such as { cpu: "500m", memory: "1Gi" }`)
	}
	list := corev1.ResourceList{}
	for _, key := range []string{"cpu", "memory"} {
		p := o.Get(key)
		if p == nil {
			continue
		}
		str, isStr := p.Value.(*dsl.String)
		num, isNum := p.Value.(*dsl.Number)
		text := ""
		switch {
		case isStr:
			text = str.Text()
		case isNum:
			text = num.Text
		}
		q, err := resource.ParseQuantity(text)
		if text == "" || err != nil {
			return req, errAt(f, p.Value.Rng(), ErrInvalid, "%s %s is not a Kubernetes quantity; expected e.g. \"500m\", \"2\", \"1Gi\"", key, f.Text(p.Value.Rng()))
		}
		list[corev1.ResourceName(key)] = q
	}
	if b, ok := o.Value("gpu").(*dsl.Bool); ok && b.Value {
		list["nvidia.com/gpu"] = resource.MustParse("1")
	}
	if len(list) > 0 {
		req.Requests = list
		req.Limits = list.DeepCopy()
	}
	return req, nil
}

func (s *settings) readScaling(f *dsl.File, d *dsl.Object) error {
	p := d.Get("scaling")
	if p == nil {
		return nil
	}
	o, ok := p.Value.(*dsl.Object)
	if !ok {
		return errAt(f, p.Value.Rng(), ErrInvalid, "scaling must be an object { min_replicas, max_replicas }")
	}
	if err := intSetting(f, o, "min_replicas", 1, &s.minReplicas); err != nil {
		return err
	}
	if err := intSetting(f, o, "max_replicas", s.minReplicas, &s.maxReplicas); err != nil {
		return err
	}
	if err := intSetting(f, o, "target_cpu", 1, &s.targetCPU); err != nil {
		return err
	}
	if o.Get("max_replicas") == nil {
		s.maxReplicas = 0
	}
	return nil
}

// intSetting reads o.key as a whole number >= min into dst when present.
func intSetting(f *dsl.File, o *dsl.Object, key string, min int32, dst *int32) error {
	p := o.Get(key)
	if p == nil {
		return nil
	}
	n, ok := p.Value.(*dsl.Number)
	if !ok || n.Value != float64(int32(n.Value)) || int32(n.Value) < min {
		return errAt(f, p.Value.Rng(), ErrInvalid, "%s is %s; expected a whole number >= %d", key, f.Text(p.Value.Rng()), min)
	}
	*dst = int32(n.Value)
	return nil
}

// agentResources is the agent's class resources, overridden by its own
// deployment: { resources: {...} } or deployment: { cpu, memory }.
func (s *settings) agentResources(f *dsl.File, a *dsl.Agent) (corev1.ResourceRequirements, error) {
	class := classOf[a.Type]
	if class == "" {
		class = classDefault
	}
	req, ok := s.resources[class]
	if !ok {
		req = s.resources[classDefault]
	}
	if a.Call == nil {
		return req, nil
	}
	d, ok := a.Call.Value("deployment").(*dsl.Object)
	if !ok {
		return req, nil
	}
	var n dsl.Node = d
	if p := d.Get("resources"); p != nil {
		n = p.Value
	}
	return requirements(f, n)
}

func fileBase(f *dsl.File) string {
	if f.Filename == "" {
		return "workflow.kumeo"
	}
	return filepath.Base(f.Filename)
}
