package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/yaml"
)

func TestManifests(t *testing.T) {
	code, out, errOut := kumeo(t, "", "manifests", "../../examples/fraud_detection.kumeo")
	require.Equal(t, 0, code, errOut)
	golden, err := os.ReadFile("../../deploy/testdata/fraud_detection.yaml")
	require.NoError(t, err)
	assert.Equal(t, string(golden), out)
	docs := strings.Split(out, "---\n")
	var d appsv1.Deployment
	require.NoError(t, yaml.UnmarshalStrict([]byte(docs[3]), &d))
	assert.Equal(t, "Deployment", d.Kind)
	assert.Equal(t, "fraud", d.Namespace)

	code, out, errOut = kumeo(t, "", "manifests", "-o", "json", "--workflow", "CardFraud", "--image", "example.org/k:1", "../../examples/fraud_detection.kumeo")
	require.Equal(t, 0, code, errOut)
	var list struct {
		Kind  string            `json:"kind"`
		Items []json.RawMessage `json:"items"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &list))
	assert.Equal(t, "List", list.Kind)
	assert.Len(t, list.Items, len(docs))
	assert.Contains(t, out, `"image": "example.org/k:1"`)
}

func TestManifestsErrors(t *testing.T) {
	code, _, errOut := kumeo(t, "", "manifests", "--workflow", "Nope", "../../examples/fraud_detection.kumeo")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, `no such workflow "Nope"`)

	code, _, errOut = kumeo(t, "", "manifests", "-o", "xml", "../../examples/fraud_detection.kumeo")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "usage: kumeo manifests")

	// A file the checker rejects renders nothing; the checker's error says
	// where and what was expected.
	bad := writeTemp(t, "bad.kumeo", "workflow B {\n  source: NATS(\"a\")\n  agents: [ Router(id: \"r\", rules: 3) ]\n}\n")
	code, out, errOut := kumeo(t, "", "manifests", bad)
	assert.Equal(t, 1, code)
	assert.Empty(t, out)
	assert.Contains(t, errOut, "bad.kumeo:3:36: error")
	assert.Contains(t, errOut, "[K1007]")

	fn := writeTemp(t, "s.kumeo", "workflow S {\n  source: NATS(\"a\")\n  agents: [ DataProcessor(id: \"p\", config: { k: \"${env.KUMEO_TEST_UNSET_VAR}\" }) ]\n}\n")
	code, out, errOut = kumeo(t, "", "manifests", fn)
	assert.Equal(t, 1, code)
	assert.Empty(t, out)
	assert.Contains(t, errOut, "KUMEO_TEST_UNSET_VAR")

	t.Setenv("KUMEO_TEST_UNSET_VAR", "hush-hush-value")
	code, out, errOut = kumeo(t, "", "manifests", fn)
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, 1, strings.Count(out, "aHVzaC1odXNoLXZhbHVl"), "the value, base64, only in the Secret")
	assert.NotContains(t, out, "hush-hush-value")
	assert.NotContains(t, errOut, "hush-hush-value")
}
