package deploy

import (
	"bytes"
	"encoding/base64"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"

	"github.com/kumeo/kumeo/dsl"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func parse(t testing.TB, name, src string) *dsl.File {
	t.Helper()
	f, diags := dsl.Parse(name, []byte(src))
	require.False(t, diags.HasErrors(), "%v", diags)
	return f
}

// inDir writes src as name in a new temporary directory with files (path
// relative to it -> content) and parses it from there.
func inDir(t testing.TB, name, src string, files map[string]string) *dsl.File {
	t.Helper()
	dir := t.TempDir()
	for p, content := range files {
		fn := filepath.Join(dir, filepath.FromSlash(p))
		require.NoError(t, os.MkdirAll(filepath.Dir(fn), 0o755))
		require.NoError(t, os.WriteFile(fn, []byte(content), 0o644))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644))
	return parse(t, filepath.Join(dir, name), src)
}

// standIns writes a small stand-in for every file f references, so the
// examples (which ship without their models) render.
func standIns(t testing.TB, f *dsl.File) {
	t.Helper()
	refs, err := ReferencedFiles(f, "")
	require.NoError(t, err)
	for _, ref := range refs {
		fn := filepath.Join(filepath.Dir(f.Filename), filepath.FromSlash(ref.Path))
		require.NoError(t, os.MkdirAll(filepath.Dir(fn), 0o755))
		require.NoError(t, os.WriteFile(fn, []byte("stand-in for "+ref.Path+"\n"), 0o644))
	}
}

// sampleFile is the sample in a directory with the model it references.
func sampleFile(t *testing.T, src string) *dsl.File {
	return inDir(t, "shop.kumeo", src, map[string]string{"m.onnx": "model bytes", "m2.onnx": "other model bytes"})
}

func noEnv(string) (string, bool) { return "", false }

func render(t *testing.T, f *dsl.File, opts Options) []byte {
	t.Helper()
	if opts.LookupEnv == nil {
		opts.LookupEnv = noEnv
	}
	objs, err := Render(f, "", opts)
	require.NoError(t, err)
	out, err := YAML(objs)
	require.NoError(t, err)
	return out
}

// decode parses rendered YAML back into typed objects.
func decode(t *testing.T, out []byte) []Object {
	t.Helper()
	var objs []Object
	for _, doc := range strings.Split(string(out), "---\n") {
		var tm metav1.TypeMeta
		require.NoError(t, yaml.Unmarshal([]byte(doc), &tm))
		var o Object
		switch tm.Kind {
		case "Namespace":
			o = &corev1.Namespace{}
		case "Secret":
			o = &corev1.Secret{}
		case "ConfigMap":
			o = &corev1.ConfigMap{}
		case "Service":
			o = &corev1.Service{}
		case "ServiceAccount":
			o = &corev1.ServiceAccount{}
		case "Role":
			o = &rbacv1.Role{}
		case "RoleBinding":
			o = &rbacv1.RoleBinding{}
		case "StatefulSet":
			o = &appsv1.StatefulSet{}
		case "Deployment":
			o = &appsv1.Deployment{}
		case "HorizontalPodAutoscaler":
			o = &autoscalingv2.HorizontalPodAutoscaler{}
		default:
			t.Fatalf("unexpected kind %q", tm.Kind)
		}
		require.NoError(t, yaml.UnmarshalStrict([]byte(doc), o))
		objs = append(objs, o)
	}
	return objs
}

func TestGoldenExamples(t *testing.T) {
	files, err := filepath.Glob("../examples/*.kumeo")
	require.NoError(t, err)
	withBlock := 0
	for _, fn := range files {
		src, err := os.ReadFile(fn)
		require.NoError(t, err)
		if bytes.Contains(src, []byte("deployment:")) {
			withBlock++
		}
		t.Run(filepath.Base(fn), func(t *testing.T) {
			f := inDir(t, filepath.Base(fn), string(src), nil)
			standIns(t, f)
			objs, err := Render(f, "", Options{LookupEnv: noEnv})
			require.NoError(t, err)
			objs = Redact(objs) // what kumeo manifests prints
			out, err := YAML(objs)
			require.NoError(t, err)
			golden := filepath.Join("testdata", strings.TrimSuffix(filepath.Base(fn), ".kumeo")+".yaml")
			if *update {
				require.NoError(t, os.WriteFile(golden, out, 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err, "run go test ./deploy -update")
			assert.Equal(t, string(want), string(out))
			back := decode(t, out)
			require.Len(t, back, len(objs))
			for i := range objs {
				assert.True(t, equality.Semantic.DeepEqual(objs[i], back[i]), "%s %s", objs[i].GetObjectKind().GroupVersionKind().Kind, objs[i].GetName())
			}
		})
	}
	assert.Positive(t, withBlock, "an example with a deployment block")
}

const sample = `workflow Shop {
  source: NATS("orders.in")
  target: NATS("orders.out")
  agents: [
    DataProcessor(id: "clean", output: "clean", config: { steps: ["trim"], token: "${env.API_TOKEN}" }),
    MLModel(id: "score", input: "clean", model: "m.onnx"),
    LLM(id: "explain", input: "score.output", prompt: "why {{score}}", engine: "openai/gpt-4o", system: "${env.OPENAI_KEY}")
  ]
  deployment: {
    namespace: "shop",
    resources: {
      default: { cpu: "250m", memory: "256Mi" },
      ml_models: { cpu: "2", memory: "4Gi", gpu: true },
      llm: { cpu: "500m", memory: "1Gi" }
    },
    scaling: { min_replicas: 2, max_replicas: 6 },
    nats: { replicas: 3 }
  }
}
`

func sampleEnv(name string) (string, bool) {
	v, ok := map[string]string{"API_TOKEN": "s3cr3t-token-value", "OPENAI_KEY": "sk-very-secret-key"}[name]
	return v, ok
}

func TestRenderSample(t *testing.T) {
	f := sampleFile(t, sample)
	objs, err := Render(f, "Shop", Options{LookupEnv: sampleEnv})
	require.NoError(t, err)
	var kinds []string
	for _, o := range objs {
		kinds = append(kinds, o.GetObjectKind().GroupVersionKind().Kind+"/"+o.GetName())
		assert.Equal(t, ManagedBy, o.GetLabels()[LabelManagedBy])
		assert.Equal(t, "shop", o.GetLabels()[LabelWorkflow])
	}
	assert.Equal(t, []string{"Namespace/shop", "Secret/shop-env", "Secret/shop-nats", "ConfigMap/shop-workflow", "StatefulSet/nats", "Service/nats",
		"Deployment/shop-clean", "Deployment/shop-explain", "Deployment/shop-score",
		"HorizontalPodAutoscaler/shop-clean", "HorizontalPodAutoscaler/shop-explain", "HorizontalPodAutoscaler/shop-score"}, kinds)
	cm := objs[3].(*corev1.ConfigMap)
	assert.Equal(t, sample, cm.Data["shop.kumeo"])
	assert.Equal(t, "model bytes", cm.Data["m.onnx"], "the model the workflow references ships with it")
	assert.Equal(t, int32(3), *objs[4].(*appsv1.StatefulSet).Spec.Replicas)
	score := objs[8].(*appsv1.Deployment)
	c := score.Spec.Template.Spec.Containers[0]
	assert.Equal(t, []string{"agent", "--workflow", "/etc/kumeo/shop.kumeo", "--nats", "nats://nats.shop.svc:4222", "--agent", "score"}, c.Args)
	assert.Equal(t, "2", c.Resources.Limits.Cpu().String())
	assert.Equal(t, "1", c.Resources.Limits.Name("nvidia.com/gpu", "").String())
	assert.Equal(t, "500m", objs[7].(*appsv1.Deployment).Spec.Template.Spec.Containers[0].Resources.Requests.Cpu().String())
	assert.Equal(t, "250m", objs[6].(*appsv1.Deployment).Spec.Template.Spec.Containers[0].Resources.Requests.Cpu().String())
	assert.Nil(t, score.Spec.Replicas, "the autoscaler owns the replica count")
	require.Len(t, c.Env, 4)
	assert.Equal(t, "shop-env", c.Env[0].ValueFrom.SecretKeyRef.Name)
	assert.Equal(t, "API_TOKEN", c.Env[0].ValueFrom.SecretKeyRef.Key)
	assert.Equal(t, int32(6), objs[11].(*autoscalingv2.HorizontalPodAutoscaler).Spec.MaxReplicas)
	assert.Equal(t, int32(2), *objs[11].(*autoscalingv2.HorizontalPodAutoscaler).Spec.MinReplicas)
}

func TestProbesPortsAndScrape(t *testing.T) {
	objs, err := Render(sampleFile(t, sample), "", Options{LookupEnv: sampleEnv})
	require.NoError(t, err)
	n := 0
	for _, o := range objs {
		d, ok := o.(*appsv1.Deployment)
		if !ok {
			continue
		}
		n++
		c := d.Spec.Template.Spec.Containers[0]
		assert.Equal(t, []corev1.ContainerPort{{Name: "metrics", ContainerPort: 9090}}, c.Ports)
		require.NotNil(t, c.ReadinessProbe)
		require.NotNil(t, c.LivenessProbe)
		assert.Equal(t, "/readyz", c.ReadinessProbe.HTTPGet.Path)
		assert.Equal(t, "metrics", c.ReadinessProbe.HTTPGet.Port.String())
		assert.Equal(t, "/healthz", c.LivenessProbe.HTTPGet.Path)
		assert.Equal(t, "metrics", c.LivenessProbe.HTTPGet.Port.String())
		ann := d.Spec.Template.Annotations
		assert.Equal(t, "true", ann["prometheus.io/scrape"])
		assert.Equal(t, "9090", ann["prometheus.io/port"])
		assert.Equal(t, "/metrics", ann["prometheus.io/path"])
	}
	assert.Equal(t, 3, n)
}

func TestNATSCredentials(t *testing.T) {
	objs, err := Render(sampleFile(t, sample), "", Options{LookupEnv: sampleEnv, NATSPassword: "n4ts-pw-from-cluster"})
	require.NoError(t, err)
	sec := objs[2].(*corev1.Secret)
	assert.Equal(t, "shop-nats", sec.Name)
	assert.Equal(t, map[string][]byte{"user": []byte("kumeo"), "password": []byte("n4ts-pw-from-cluster")}, sec.Data)
	sts := objs[4].(*appsv1.StatefulSet).Spec.Template.Spec.Containers[0]
	assert.Contains(t, strings.Join(sts.Args, " "), "--user kumeo --pass $(NATS_PASSWORD)")
	var pw *corev1.EnvVar
	for i := range sts.Env {
		if sts.Env[i].Name == "NATS_PASSWORD" {
			pw = &sts.Env[i]
		}
	}
	require.NotNil(t, pw)
	assert.Empty(t, pw.Value)
	assert.Equal(t, corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "shop-nats"}, Key: "password"}, *pw.ValueFrom.SecretKeyRef)
	c := objs[6].(*appsv1.Deployment).Spec.Template.Spec.Containers[0]
	assert.Equal(t, "NATS_USER", c.Env[2].Name)
	assert.Equal(t, "user", c.Env[2].ValueFrom.SecretKeyRef.Key)
	assert.Equal(t, "NATS_PASSWORD", c.Env[3].Name)
	assert.Equal(t, "shop-nats", c.Env[3].ValueFrom.SecretKeyRef.Name)

	a := render(t, sampleFile(t, sample), Options{LookupEnv: sampleEnv})
	assert.Contains(t, string(a), base64.StdEncoding.EncodeToString([]byte(NATSPasswordPlaceholder)), "no password: the placeholder")
	assert.Equal(t, a, render(t, sampleFile(t, sample), Options{LookupEnv: sampleEnv}))

	ext := strings.Replace(sample, "workflow Shop {", "workflow Shop {\n  nats: \"nats://bus.example:4222\"", 1)
	objs, err = Render(sampleFile(t, ext), "", Options{LookupEnv: sampleEnv})
	require.NoError(t, err)
	for _, o := range objs {
		assert.NotEqual(t, "shop-nats", o.GetName(), "an external NATS has its own credentials")
		if d, ok := o.(*appsv1.Deployment); ok {
			assert.Len(t, d.Spec.Template.Spec.Containers[0].Env, 2)
			assert.Contains(t, d.Spec.Template.Spec.Containers[0].Args, "nats://bus.example:4222")
		}
	}
}

const withEndpoints = `workflow Hooks {
  source: [HTTP("/orders", { method: "POST" }), Timer("10s")]
  target: [NATS("done"), File("out/done.jsonl")]
  agents: [ DataProcessor(id: "p", steps: ["trim"]) ]
  deployment: { scaling: { min_replicas: 3, max_replicas: 5 } }
}
`

func TestEndpointsDeployment(t *testing.T) {
	objs, err := Render(parse(t, "hooks.kumeo", withEndpoints), "", Options{LookupEnv: noEnv})
	require.NoError(t, err)
	var kinds []string
	for _, o := range objs {
		kinds = append(kinds, o.GetObjectKind().GroupVersionKind().Kind+"/"+o.GetName())
	}
	assert.Equal(t, []string{"Namespace/hooks", "Secret/hooks-nats", "ConfigMap/hooks-workflow", "StatefulSet/nats", "Service/nats",
		"Deployment/hooks-endpoints", "Service/hooks-endpoints", "Deployment/hooks-p", "HorizontalPodAutoscaler/hooks-p"}, kinds,
		"the endpoints run once: no autoscaler")
	d := objs[5].(*appsv1.Deployment)
	assert.Equal(t, int32(1), *d.Spec.Replicas)
	assert.Equal(t, appsv1.RecreateDeploymentStrategyType, d.Spec.Strategy.Type, "never two endpoint processes at once")
	c := d.Spec.Template.Spec.Containers[0]
	assert.Equal(t, []string{"agent", "--workflow", "/etc/kumeo/hooks.kumeo", "--nats", "nats://nats.hooks.svc:4222", "--endpoints", "--http-listen", ":8080"}, c.Args)
	assert.Equal(t, []corev1.ContainerPort{{Name: "metrics", ContainerPort: 9090}, {Name: "http", ContainerPort: 8080}}, c.Ports)
	assert.Equal(t, "/readyz", c.ReadinessProbe.HTTPGet.Path)
	assert.Equal(t, "NATS_PASSWORD", c.Env[1].Name)
	svc := objs[6].(*corev1.Service)
	assert.Equal(t, corev1.ServiceTypeClusterIP, svc.Spec.Type)
	assert.Equal(t, []corev1.ServicePort{{Name: "http", Port: 8080, TargetPort: intstr.FromString("http")}}, svc.Spec.Ports)
	for k, v := range svc.Spec.Selector {
		assert.Equal(t, v, d.Spec.Template.Labels[k], "the Service selects the endpoints pod")
		assert.Equal(t, v, d.Spec.Selector.MatchLabels[k])
	}
	agent := objs[7].(*appsv1.Deployment)
	for k, v := range svc.Spec.Selector {
		if agent.Spec.Template.Labels[k] != v {
			return // the Service does not select agent pods
		}
	}
	t.Fatal("the endpoints Service selects agent pods")
}

func TestNoEndpointsProcessForNATSOnly(t *testing.T) {
	objs, err := Render(sampleFile(t, sample), "", Options{LookupEnv: sampleEnv})
	require.NoError(t, err)
	for _, o := range objs {
		assert.NotEqual(t, "shop-endpoints", o.GetName(), "agents read and publish NATS endpoints themselves")
	}
	timer := strings.Replace(withEndpoints, `HTTP("/orders", { method: "POST" }), `, "", 1)
	objs, err = Render(parse(t, "hooks.kumeo", timer), "", Options{LookupEnv: noEnv})
	require.NoError(t, err)
	var names []string
	for _, o := range objs {
		names = append(names, o.GetObjectKind().GroupVersionKind().Kind+"/"+o.GetName())
	}
	assert.Contains(t, names, "Deployment/hooks-endpoints")
	assert.NotContains(t, names, "Service/hooks-endpoints", "no HTTP source, no Service")
}

func TestDeterministic(t *testing.T) {
	f := sampleFile(t, sample)
	a := render(t, f, Options{LookupEnv: sampleEnv})
	b := render(t, sampleFile(t, sample), Options{LookupEnv: sampleEnv})
	assert.Equal(t, a, b)
	j1, err := Render(f, "", Options{LookupEnv: sampleEnv})
	require.NoError(t, err)
	x, err := JSON(j1)
	require.NoError(t, err)
	y, err := JSON(j1)
	require.NoError(t, err)
	assert.Equal(t, x, y)
}

// secrets are values no rendered object may show outside a Secret's data.
var secrets = []string{"s3cr3t-token-value", "sk-very-secret-key", "n4ts-pw-9b1f27"}

// leaks returns where in out a secret, or its base64, appears.
func leaks(out string) []string {
	var found []string
	for _, v := range secrets {
		for _, form := range []string{v, base64.StdEncoding.EncodeToString([]byte(v))} {
			if strings.Contains(out, form) {
				found = append(found, form)
			}
		}
	}
	return found
}

func TestSecretNeverLeaks(t *testing.T) {
	src := strings.Replace(sample, `agents: [`, `source: HTTP("/hook")
  agents: [`, 1)
	src = strings.Replace(src, `source: NATS("orders.in")`, ``, 1)
	f := sampleFile(t, src)
	objs, err := Render(f, "", Options{LookupEnv: sampleEnv, NATSPassword: "n4ts-pw-9b1f27"})
	require.NoError(t, err)
	inSecrets := 0
	for _, o := range objs {
		y, err := YAML([]Object{o})
		require.NoError(t, err)
		j, err := JSON([]Object{o})
		require.NoError(t, err)
		if sec, ok := o.(*corev1.Secret); ok {
			for _, v := range sec.Data {
				if len(leaks(string(v))) > 0 {
					inSecrets++
				}
			}
			c := sec.DeepCopy()
			c.Data = nil
			y, err = YAML([]Object{c})
			require.NoError(t, err)
			j, err = JSON([]Object{c})
			require.NoError(t, err)
		}
		assert.Empty(t, leaks(string(y)), "%s %s", o.GetObjectKind().GroupVersionKind().Kind, o.GetName())
		assert.Empty(t, leaks(string(j)), "%s %s", o.GetObjectKind().GroupVersionKind().Kind, o.GetName())
	}
	assert.Equal(t, 3, inSecrets, "each value is in a Secret's data")

	red := Redact(objs)
	for _, format := range []func([]Object) ([]byte, error){YAML, JSON} {
		out, err := format(red)
		require.NoError(t, err)
		assert.Empty(t, leaks(string(out)), "redacted output")
		assert.Contains(t, string(out), RedactedValue)
		assert.Contains(t, string(out), "API_TOKEN", "the keys stay")
	}
	assert.Equal(t, "n4ts-pw-9b1f27", string(objs[2].(*corev1.Secret).Data["password"]), "Redact copies; the render keeps its values")

	_, err = Render(f, "", Options{LookupEnv: noEnv})
	require.ErrorIs(t, err, ErrMissingEnv)
	assert.Contains(t, err.Error(), "API_TOKEN")

	withDefault := strings.Replace(sample, "${env.API_TOKEN}", "${env.API_TOKEN:-fallback-token}", 1)
	withDefault = strings.Replace(withDefault, "${env.OPENAI_KEY}", "${env.OPENAI_KEY:-}", 1)
	objs, err = Render(sampleFile(t, withDefault), "", Options{LookupEnv: noEnv})
	require.NoError(t, err)
	assert.Equal(t, "fallback-token", string(objs[1].(*corev1.Secret).Data["API_TOKEN"]))
	assert.Empty(t, objs[1].(*corev1.Secret).Data["OPENAI_KEY"])
}

func hashes(t *testing.T, src string) map[string]string {
	t.Helper()
	objs, err := Render(sampleFile(t, src), "", Options{LookupEnv: sampleEnv})
	require.NoError(t, err)
	out := map[string]string{}
	for _, o := range objs {
		if d, ok := o.(*appsv1.Deployment); ok {
			out[d.Name] = d.Spec.Template.Annotations[AnnotationHash]
			require.NotEmpty(t, out[d.Name])
		}
	}
	return out
}

func TestContentHash(t *testing.T) {
	before := hashes(t, sample)
	require.Len(t, before, 3)

	agent := hashes(t, strings.Replace(sample, `model: "m.onnx"`, `model: "m2.onnx"`, 1))
	assert.NotEqual(t, before["shop-score"], agent["shop-score"])
	assert.Equal(t, before["shop-clean"], agent["shop-clean"])
	assert.Equal(t, before["shop-explain"], agent["shop-explain"])

	shared := hashes(t, strings.Replace(sample, `NATS("orders.out")`, `NATS("orders.done")`, 1))
	for name := range before {
		assert.NotEqual(t, before[name], shared[name], name)
	}

	res := hashes(t, strings.Replace(sample, `ml_models: { cpu: "2"`, `ml_models: { cpu: "3"`, 1))
	for name := range before {
		assert.NotEqual(t, before[name], res[name], name, "the deployment block is shared text")
	}

	// A file's content counts for the agents that reference it.
	objs, err := Render(inDir(t, "shop.kumeo", sample, map[string]string{"m.onnx": "model bytes, retrained"}), "", Options{LookupEnv: sampleEnv})
	require.NoError(t, err)
	for _, o := range objs {
		if d, ok := o.(*appsv1.Deployment); ok {
			got := d.Spec.Template.Annotations[AnnotationHash]
			if d.Name == "shop-score" {
				assert.NotEqual(t, before[d.Name], got)
			} else {
				assert.Equal(t, before[d.Name], got, d.Name)
			}
		}
	}

	// Secret values are not in the hash: changing them changes nothing.
	other := func(name string) (string, bool) { return "another-" + name, true }
	objs, err = Render(sampleFile(t, sample), "", Options{LookupEnv: other, NATSPassword: "changed"})
	require.NoError(t, err)
	for _, o := range objs {
		if d, ok := o.(*appsv1.Deployment); ok {
			assert.Equal(t, before[d.Name], d.Spec.Template.Annotations[AnnotationHash], d.Name)
		}
	}
}

func TestErrors(t *testing.T) {
	f := sampleFile(t, sample)
	_, err := Render(f, "Nope", Options{LookupEnv: sampleEnv})
	require.ErrorIs(t, err, ErrNoWorkflow)
	assert.Contains(t, err.Error(), `"Nope"`)

	bad := strings.Replace(sample, `memory: "4Gi"`, `memory: "lots"`, 1)
	_, err = Render(sampleFile(t, bad), "", Options{LookupEnv: sampleEnv})
	require.ErrorIs(t, err, ErrInvalid)
	assert.Contains(t, err.Error(), "shop.kumeo:13:")
	assert.Contains(t, err.Error(), `"lots"`)
	assert.Contains(t, err.Error(), "expected")

	bad = strings.Replace(sample, `max_replicas: 6`, `max_replicas: 1`, 1)
	_, err = Render(sampleFile(t, bad), "", Options{LookupEnv: sampleEnv})
	require.ErrorIs(t, err, ErrInvalid)
	assert.Contains(t, err.Error(), "max_replicas")
}

func TestDefaultsWithoutBlock(t *testing.T) {
	src := "workflow Tiny {\n  source: NATS(\"a\")\n  agents: [ DataProcessor(id: \"p\") ]\n}\n"
	objs := decode(t, render(t, parse(t, "tiny.kumeo", src), Options{Image: "example.org/kumeo:1"}))
	require.Len(t, objs, 6)
	assert.Equal(t, "tiny", objs[0].GetName())
	d := objs[5].(*appsv1.Deployment)
	assert.Equal(t, "example.org/kumeo:1", d.Spec.Template.Spec.Containers[0].Image)
	assert.Equal(t, int32(1), *d.Spec.Replicas)
}

func TestAgentOverride(t *testing.T) {
	src := strings.Replace(sample, `MLModel(id: "score", input: "clean", model: "m.onnx")`,
		`MLModel(id: "score", input: "clean", model: "m.onnx", deployment: { resources: { cpu: "3", memory: "8Gi" } })`, 1)
	objs, err := Render(sampleFile(t, src), "", Options{LookupEnv: sampleEnv})
	require.NoError(t, err)
	res := objs[8].(*appsv1.Deployment).Spec.Template.Spec.Containers[0].Resources
	assert.Equal(t, "3", res.Requests.Cpu().String())
	assert.Equal(t, "8Gi", res.Limits.Memory().String())
	assert.Equal(t, "250m", objs[6].(*appsv1.Deployment).Spec.Template.Spec.Containers[0].Resources.Requests.Cpu().String())
}

const withFiles = `workflow Files {
  source: File("samples/in.jsonl")
  target: NATS("out")
  context: BayesianNetwork("models/risk.bif")
  models: { scorer: { file: "models/scorer.onnx", type: "onnx" } }
  schemas: { order: "schemas/order.json" }
  agents: [
    DataProcessor(id: "check", schema: "schemas.order", rules: "rules/checks.yaml"),
    MLModel(id: "score", model: "models.scorer"),
    MLModel(id: "legacy", model: { file: "models/legacy.onnx", type: "onnx" }),
    RuleEngine(id: "policy", rules: "rules/checks.yaml"),
    DecisionMatrix(id: "matrix", matrix: "rules/matrix.yaml"),
    Custom(id: "plug", module: "/opt/plugins/fft.wasm")
  ]
}
`

func filesOf(extra map[string]string) map[string]string {
	files := map[string]string{
		"samples/in.jsonl":   "{\"n\": 1}\n",
		"models/risk.bif":    "network risk {}\n",
		"models/scorer.onnx": "\x08\x07\x12\x00\xff\xfe onnx",
		"models/legacy.onnx": "legacy",
		"schemas/order.json": `{"type": "object"}`,
		"rules/checks.yaml":  "- name: positive\n",
		"rules/matrix.yaml":  "- name: matrix\n",
	}
	for k, v := range extra {
		files[k] = v
	}
	return files
}

func TestFilesInConfigMap(t *testing.T) {
	f := inDir(t, "files.kumeo", withFiles, filesOf(nil))
	refs, err := ReferencedFiles(f, "")
	require.NoError(t, err)
	var paths []string
	for _, r := range refs {
		paths = append(paths, r.Path+"@"+r.Agent)
	}
	assert.Equal(t, []string{"models/legacy.onnx@legacy", "models/risk.bif@", "models/scorer.onnx@", "rules/checks.yaml@",
		"rules/matrix.yaml@matrix", "samples/in.jsonl@", "schemas/order.json@"}, paths,
		"a file two agents share counts for all; absolute paths are the image's")

	objs := decode(t, render(t, f, Options{}))
	cm := objs[2].(*corev1.ConfigMap)
	assert.Equal(t, "- name: positive\n", cm.Data["rules__checks.yaml"])
	assert.Equal(t, []byte("\x08\x07\x12\x00\xff\xfe onnx"), cm.BinaryData["models__scorer.onnx"], "binary files go in binaryData")
	assert.NotContains(t, cm.Data, "models__scorer.onnx")
	var legacy, matrix *appsv1.Deployment
	for _, o := range objs {
		switch o.GetName() {
		case "files-legacy":
			legacy = o.(*appsv1.Deployment)
		case "files-matrix":
			matrix = o.(*appsv1.Deployment)
		}
	}
	require.NotNil(t, legacy)
	items := legacy.Spec.Template.Spec.Volumes[0].ConfigMap.Items
	assert.Contains(t, items, corev1.KeyToPath{Key: "models__legacy.onnx", Path: "models/legacy.onnx"}, "the file at its relative path under /etc/kumeo")
	assert.Contains(t, items, corev1.KeyToPath{Key: "files.kumeo", Path: "files.kumeo"})
	assert.Contains(t, items, corev1.KeyToPath{Key: "models__scorer.onnx", Path: "models/scorer.onnx"}, "workflow-level files go to every agent")
	assert.NotContains(t, items, corev1.KeyToPath{Key: "rules__matrix.yaml", Path: "rules/matrix.yaml"}, "another agent's file is not mounted")
	assert.Contains(t, matrix.Spec.Template.Spec.Volumes[0].ConfigMap.Items, corev1.KeyToPath{Key: "rules__matrix.yaml", Path: "rules/matrix.yaml"})
	assert.Equal(t, "/etc/kumeo", legacy.Spec.Template.Spec.Containers[0].VolumeMounts[0].MountPath)
}

func TestFileErrors(t *testing.T) {
	files := filesOf(nil)
	delete(files, "rules/matrix.yaml")
	_, err := Render(inDir(t, "files.kumeo", withFiles, files), "", Options{})
	require.ErrorIs(t, err, ErrFileMissing)
	assert.Contains(t, err.Error(), "files.kumeo:12:")
	assert.Contains(t, err.Error(), "rules/matrix.yaml")
	assert.Contains(t, err.Error(), "expected the file next to the workflow")

	big := strings.Repeat("x", MaxConfigMapBytes-300)
	_, err = Render(inDir(t, "files.kumeo", withFiles, filesOf(map[string]string{"models/legacy.onnx": big})), "", Options{})
	require.ErrorIs(t, err, ErrFileTooBig)
	assert.Contains(t, err.Error(), "files.kumeo:10:")
	assert.Contains(t, err.Error(), "1048576 bytes (1 MiB)")
	assert.Contains(t, err.Error(), "models/")

	_, err = Render(inDir(t, "files.kumeo", strings.Replace(withFiles, `"rules/matrix.yaml"`, `"../matrix.yaml"`, 1), filesOf(nil)), "", Options{})
	require.ErrorIs(t, err, ErrFilePath)
	assert.Contains(t, err.Error(), `"../matrix.yaml"`)
}

func TestRBAC(t *testing.T) {
	objs, err := RBAC(sampleFile(t, sample), "")
	require.NoError(t, err)
	require.Len(t, objs, 3)
	role := objs[1].(*rbacv1.Role)
	assert.Equal(t, "shop", role.Namespace)
	assert.Equal(t, DeployerName, role.Name)
	type grant struct{ group, resource, verb string }
	got := map[grant]bool{}
	for _, r := range role.Rules {
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				for _, v := range r.Verbs {
					got[grant{g, res, v}] = true
				}
			}
		}
	}
	want := map[grant]bool{}
	for _, gr := range [][2]string{{"", "configmaps"}, {"", "secrets"}, {"", "services"}, {"apps", "deployments"}, {"apps", "statefulsets"}, {"autoscaling", "horizontalpodautoscalers"}} {
		for _, v := range []string{"get", "list", "watch", "create", "patch", "update", "delete"} {
			want[grant{gr[0], gr[1], v}] = true
		}
	}
	for _, v := range []string{"get", "list", "watch"} {
		want[grant{"", "pods", v}] = true
		want[grant{"", "pods/log", v}] = true
	}
	want[grant{"", "pods/portforward", "create"}] = true
	want[grant{"", "events", "list"}] = true
	want[grant{"", "events", "watch"}] = true
	assert.Equal(t, want, got)

	// Every kind Render returns but the Namespace is covered.
	objs2, err := Render(parse(t, "hooks.kumeo", withEndpoints), "", Options{LookupEnv: noEnv})
	require.NoError(t, err)
	for _, o := range objs2[1:] {
		kind := strings.ToLower(o.GetObjectKind().GroupVersionKind().Kind) + "s"
		assert.True(t, got[grant{o.GetObjectKind().GroupVersionKind().Group, kind, "patch"}], kind)
	}
	binding := objs[2].(*rbacv1.RoleBinding)
	assert.Equal(t, DeployerName, binding.RoleRef.Name)
	assert.Equal(t, "shop", binding.Subjects[0].Namespace)
	out, err := YAML(objs)
	require.NoError(t, err)
	assert.Len(t, decode(t, out), 3)
}
