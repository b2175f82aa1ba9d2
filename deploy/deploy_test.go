package deploy

import (
	"bytes"
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
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/kumeo/kumeo/dsl"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func parse(t *testing.T, name, src string) *dsl.File {
	t.Helper()
	f, diags := dsl.Parse(name, []byte(src))
	require.False(t, diags.HasErrors(), "%v", diags)
	return f
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
			f, diags := dsl.Parse(filepath.Base(fn), src)
			require.False(t, diags.HasErrors())
			objs, err := Render(f, "", Options{LookupEnv: noEnv})
			require.NoError(t, err)
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
	f := parse(t, "shop.kumeo", sample)
	objs, err := Render(f, "Shop", Options{LookupEnv: sampleEnv})
	require.NoError(t, err)
	var kinds []string
	for _, o := range objs {
		kinds = append(kinds, o.GetObjectKind().GroupVersionKind().Kind+"/"+o.GetName())
		assert.Equal(t, ManagedBy, o.GetLabels()[LabelManagedBy])
		assert.Equal(t, "shop", o.GetLabels()[LabelWorkflow])
	}
	assert.Equal(t, []string{"Namespace/shop", "Secret/shop-env", "ConfigMap/shop-workflow", "StatefulSet/nats", "Service/nats",
		"Deployment/shop-clean", "Deployment/shop-explain", "Deployment/shop-score",
		"HorizontalPodAutoscaler/shop-clean", "HorizontalPodAutoscaler/shop-explain", "HorizontalPodAutoscaler/shop-score"}, kinds)
	assert.Equal(t, sample, objs[2].(*corev1.ConfigMap).Data["shop.kumeo"])
	assert.Equal(t, int32(3), *objs[3].(*appsv1.StatefulSet).Spec.Replicas)
	score := objs[7].(*appsv1.Deployment)
	c := score.Spec.Template.Spec.Containers[0]
	assert.Equal(t, []string{"agent", "--workflow", "/etc/kumeo/shop.kumeo", "--agent", "score", "--nats", "nats://nats.shop.svc:4222"}, c.Args)
	assert.Equal(t, "2", c.Resources.Limits.Cpu().String())
	assert.Equal(t, "1", c.Resources.Limits.Name("nvidia.com/gpu", "").String())
	assert.Equal(t, "500m", objs[6].(*appsv1.Deployment).Spec.Template.Spec.Containers[0].Resources.Requests.Cpu().String())
	assert.Equal(t, "250m", objs[5].(*appsv1.Deployment).Spec.Template.Spec.Containers[0].Resources.Requests.Cpu().String())
	assert.Equal(t, int32(2), *score.Spec.Replicas)
	require.Len(t, c.Env, 2)
	assert.Equal(t, "shop-env", c.Env[0].ValueFrom.SecretKeyRef.Name)
	assert.Equal(t, "API_TOKEN", c.Env[0].ValueFrom.SecretKeyRef.Key)
	assert.Equal(t, int32(6), objs[10].(*autoscalingv2.HorizontalPodAutoscaler).Spec.MaxReplicas)
}

func TestDeterministic(t *testing.T) {
	f := parse(t, "shop.kumeo", sample)
	a := render(t, f, Options{LookupEnv: sampleEnv})
	b := render(t, parse(t, "shop.kumeo", sample), Options{LookupEnv: sampleEnv})
	assert.Equal(t, a, b)
	j1, err := Render(f, "", Options{LookupEnv: sampleEnv})
	require.NoError(t, err)
	x, err := JSON(j1)
	require.NoError(t, err)
	y, err := JSON(j1)
	require.NoError(t, err)
	assert.Equal(t, x, y)
}

func TestSecretNeverLeaks(t *testing.T) {
	f := parse(t, "shop.kumeo", sample)
	objs, err := Render(f, "", Options{LookupEnv: sampleEnv})
	require.NoError(t, err)
	for _, secret := range []string{"s3cr3t-token-value", "sk-very-secret-key"} {
		for _, o := range objs {
			y, err := YAML([]Object{o})
			require.NoError(t, err)
			if sec, ok := o.(*corev1.Secret); ok {
				assert.Contains(t, [][]byte{sec.Data["API_TOKEN"], sec.Data["OPENAI_KEY"]}, []byte(secret))
				continue
			}
			assert.NotContains(t, string(y), secret, "%s %s", o.GetObjectKind().GroupVersionKind().Kind, o.GetName())
			j, err := JSON([]Object{o})
			require.NoError(t, err)
			assert.NotContains(t, string(j), secret)
		}
	}
	_, err = Render(f, "", Options{LookupEnv: noEnv})
	require.ErrorIs(t, err, ErrMissingEnv)
	assert.Contains(t, err.Error(), "API_TOKEN")

	withDefault := strings.Replace(sample, "${env.API_TOKEN}", "${env.API_TOKEN:-fallback-token}", 1)
	withDefault = strings.Replace(withDefault, "${env.OPENAI_KEY}", "${env.OPENAI_KEY:-}", 1)
	objs, err = Render(parse(t, "shop.kumeo", withDefault), "", Options{LookupEnv: noEnv})
	require.NoError(t, err)
	assert.Equal(t, "fallback-token", string(objs[1].(*corev1.Secret).Data["API_TOKEN"]))
	assert.Empty(t, objs[1].(*corev1.Secret).Data["OPENAI_KEY"])
}

func hashes(t *testing.T, src string) map[string]string {
	t.Helper()
	objs, err := Render(parse(t, "shop.kumeo", src), "", Options{LookupEnv: sampleEnv})
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
}

func TestErrors(t *testing.T) {
	f := parse(t, "shop.kumeo", sample)
	_, err := Render(f, "Nope", Options{LookupEnv: sampleEnv})
	require.ErrorIs(t, err, ErrNoWorkflow)
	assert.Contains(t, err.Error(), `"Nope"`)

	bad := strings.Replace(sample, `memory: "4Gi"`, `memory: "lots"`, 1)
	_, err = Render(parse(t, "shop.kumeo", bad), "", Options{LookupEnv: sampleEnv})
	require.ErrorIs(t, err, ErrInvalid)
	assert.Contains(t, err.Error(), "shop.kumeo:13:")
	assert.Contains(t, err.Error(), `"lots"`)
	assert.Contains(t, err.Error(), "expected")

	bad = strings.Replace(sample, `max_replicas: 6`, `max_replicas: 1`, 1)
	_, err = Render(parse(t, "shop.kumeo", bad), "", Options{LookupEnv: sampleEnv})
	require.ErrorIs(t, err, ErrInvalid)
	assert.Contains(t, err.Error(), "max_replicas")
}

func TestDefaultsWithoutBlock(t *testing.T) {
	src := "workflow Tiny {\n  source: NATS(\"a\")\n  agents: [ DataProcessor(id: \"p\") ]\n}\n"
	objs := decode(t, render(t, parse(t, "tiny.kumeo", src), Options{Image: "example.org/kumeo:1"}))
	require.Len(t, objs, 5)
	assert.Equal(t, "tiny", objs[0].GetName())
	d := objs[4].(*appsv1.Deployment)
	assert.Equal(t, "example.org/kumeo:1", d.Spec.Template.Spec.Containers[0].Image)
	assert.Equal(t, int32(1), *d.Spec.Replicas)
}

func TestAgentOverride(t *testing.T) {
	src := strings.Replace(sample, `MLModel(id: "score", input: "clean", model: "m.onnx")`,
		`MLModel(id: "score", input: "clean", model: "m.onnx", deployment: { resources: { cpu: "3", memory: "8Gi" } })`, 1)
	objs, err := Render(parse(t, "shop.kumeo", src), "", Options{LookupEnv: sampleEnv})
	require.NoError(t, err)
	res := objs[7].(*appsv1.Deployment).Spec.Template.Spec.Containers[0].Resources
	assert.Equal(t, "3", res.Requests.Cpu().String())
	assert.Equal(t, "8Gi", res.Limits.Memory().String())
	assert.Equal(t, "250m", objs[5].(*appsv1.Deployment).Spec.Template.Spec.Containers[0].Resources.Requests.Cpu().String())
}
