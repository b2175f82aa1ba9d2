package main

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"

	"github.com/kumeo/kumeo/deploy"
	"github.com/kumeo/kumeo/dsl"
)

// exampleWithFiles copies an example into a temporary directory with a
// stand-in for each file it references (the examples ship without their
// models), as the deploy golden files are rendered.
func exampleWithFiles(t *testing.T, name string) string {
	t.Helper()
	src, err := os.ReadFile("../../examples/" + name)
	require.NoError(t, err)
	fn := writeTemp(t, name, string(src))
	f, diags := dsl.Parse(fn, src)
	require.False(t, diags.HasErrors())
	refs, err := deploy.ReferencedFiles(f, "")
	require.NoError(t, err)
	for _, ref := range refs {
		p := filepath.Join(filepath.Dir(fn), filepath.FromSlash(ref.Path))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte("stand-in for "+ref.Path+"\n"), 0o644))
	}
	return fn
}

func TestManifests(t *testing.T) {
	fraud := exampleWithFiles(t, "fraud_detection.kumeo")
	code, out, errOut := kumeo(t, "", "manifests", fraud)
	require.Equal(t, 0, code, errOut)
	golden, err := os.ReadFile("../../deploy/testdata/fraud_detection.yaml")
	require.NoError(t, err)
	assert.Equal(t, string(golden), out)
	docs := strings.Split(out, "---\n")
	var d appsv1.Deployment
	require.NoError(t, yaml.UnmarshalStrict([]byte(docs[3]), &d))
	assert.Equal(t, "Deployment", d.Kind)
	assert.Equal(t, "fraud", d.Namespace)

	code, out, errOut = kumeo(t, "", "manifests", "-o", "json", "--workflow", "CardFraud", "--image", "example.org/k:1", fraud)
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

	missing := writeTemp(t, "m.kumeo", "workflow M {\n  source: NATS(\"a\")\n  agents: [ RuleEngine(id: \"r\", rules: \"rules/checks.yaml\") ]\n}\n")
	code, out, errOut = kumeo(t, "", "manifests", missing)
	assert.Equal(t, 1, code)
	assert.Empty(t, out)
	assert.Contains(t, errOut, "m.kumeo:3:40: referenced file cannot be read: rules/checks.yaml")
}

// TestManifestsNeverPrintSecrets sets secret values in the environment
// and checks that no output of the command shows them, in any form.
func TestManifestsNeverPrintSecrets(t *testing.T) {
	const value = "hush-hush-value"
	fn := writeTemp(t, "s.kumeo", `workflow S {
  source: HTTP("/in")
  agents: [ DataProcessor(id: "p", config: { k: "${env.KUMEO_TEST_SECRET_VAR}" }) ]
}
`)
	t.Setenv("KUMEO_TEST_SECRET_VAR", value)
	forms := []string{value, base64.StdEncoding.EncodeToString([]byte(value))}
	for _, args := range [][]string{{"manifests", fn}, {"manifests", "-o", "json", fn}, {"manifests", "--rbac", fn}} {
		code, out, errOut := kumeo(t, "", args...)
		require.Equal(t, 0, code, errOut)
		for _, form := range forms {
			assert.NotContains(t, out, form, "%v", args)
			assert.NotContains(t, errOut, form, "%v", args)
		}
		if args[1] != "--rbac" {
			assert.Contains(t, out, "KUMEO_TEST_SECRET_VAR", "the Secret keeps its keys")
			assert.Contains(t, out, "(redacted: set at deploy time)")
			assert.Contains(t, out, "s-endpoints")
		}
	}
}

func TestManifestsRBAC(t *testing.T) {
	code, out, errOut := kumeo(t, "", "manifests", "--rbac", exampleWithFiles(t, "fraud_detection.kumeo"))
	require.Equal(t, 0, code, errOut)
	docs := strings.Split(out, "---\n")
	require.Len(t, docs, 3)
	var role rbacv1.Role
	require.NoError(t, yaml.UnmarshalStrict([]byte(docs[1]), &role))
	assert.Equal(t, "Role", role.Kind)
	assert.Equal(t, "fraud", role.Namespace)
	assert.Equal(t, deploy.DeployerRules(), role.Rules)
	assert.Contains(t, docs[0], "kind: ServiceAccount")
	assert.Contains(t, docs[2], "kind: RoleBinding")
}

// TestReadmeRole keeps the Role the README shows equal to the one
// kumeo manifests --rbac prints.
func TestReadmeRole(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	text := string(readme)
	start := strings.Index(text, "```yaml\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\n")
	require.GreaterOrEqual(t, start, 0, "the README shows the Role")
	block := text[start+len("```yaml\n"):]
	block = block[:strings.Index(block, "```")]
	var role rbacv1.Role
	require.NoError(t, yaml.UnmarshalStrict([]byte(block), &role))
	assert.Equal(t, deploy.DeployerRules(), role.Rules)
	assert.Equal(t, deploy.DeployerName, role.Name)
}
