package deploy

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kumeo/kumeo/internal/k8stest"
	"github.com/kumeo/kumeo/internal/workflowgen"
)

// bindRole gives user a Role with rules in ns, as an administrator would.
func bindRole(t *testing.T, ctx context.Context, kc *k8stest.Cluster, ns, user string, rules []rbacv1.PolicyRule) {
	t.Helper()
	rbac := kc.Client.RbacV1()
	_, err := rbac.Roles(ns).Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: user}, Rules: rules}, metav1.CreateOptions{})
	require.NoError(t, err)
	_, err = rbac.RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: user},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.UserKind, Name: user, APIGroup: rbacv1.GroupName}},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: user}}, metav1.CreateOptions{})
	require.NoError(t, err)
}

// A user holding only the shipped Role in a namespace an administrator
// made deploys, watches the rollout and reads the history; a user whose
// Role lacks one permission gets an error naming it.
func TestDeployWithTheShippedRole(t *testing.T) {
	kc := k8stest.Start(t, k8stest.Options{Users: []string{"deployer", "partial"}})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	_, err := kc.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "screening"}}, metav1.CreateOptions{})
	require.NoError(t, err)
	bindRole(t, ctx, kc, "screening", "deployer", DeployerRules())
	var partial []rbacv1.PolicyRule
	for _, r := range DeployerRules() {
		if r.Resources[0] == "deployments" {
			r.Verbs = []string{"get", "list", "watch"}
		}
		partial = append(partial, r)
	}
	bindRole(t, ctx, kc, "screening", "partial", partial)

	kubeconfig, err := kc.KubeconfigFor("deployer")
	require.NoError(t, err)
	c, err := Connect(Target{Kubeconfig: kubeconfig, Context: k8stest.Context})
	require.NoError(t, err)
	var out output
	p := planOf(t, ctx, c, lifecycleSrc)
	cs, err := c.Diff(ctx, p)
	require.NoError(t, err)
	assert.Equal(t, map[string]Action{"validate": Create, "enrich": Create, "route": Create}, cs.Agents)
	res := deployAndWait(t, ctx, c, p, &out)
	assert.Equal(t, 1, res.Revision)
	assert.Contains(t, out.String(), "managed outside kumeo", "the namespace is the administrator's")
	hist, err := c.History(ctx, p.Workflow, p.Namespace)
	require.NoError(t, err)
	assert.Len(t, hist, 1)

	kubeconfig, err = kc.KubeconfigFor("partial")
	require.NoError(t, err)
	c2, err := Connect(Target{Kubeconfig: kubeconfig, Context: k8stest.Context})
	require.NoError(t, err)
	p2 := planOf(t, ctx, c2, strings.Replace(lifecycleSrc, `"big: amount > 10"`, `"big: amount > 20"`, 1))
	_, err = c2.Apply(ctx, p2, nil)
	require.Error(t, err)
	assert.True(t, errors.Is(err, ErrForbidden), "%v", err)
	for _, want := range []string{"cannot patch", "deployment screening-", "namespace screening", "User \"partial\"", "kumeo manifests --rbac"} {
		assert.Contains(t, err.Error(), want)
	}
}

// Every example and a generated 50-agent workflow pass the API server's
// server-side dry run, object by object.
func TestServerDryRunOfEveryExample(t *testing.T) {
	kc := k8stest.Start(t, k8stest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c, err := NewCluster(k8stest.Context, kc.Config)
	require.NoError(t, err)
	files, err := filepath.Glob("../examples/*.kumeo")
	require.NoError(t, err)
	srcs := map[string][]byte{"generated_50.kumeo": workflowgen.Fraud(50)}
	for _, fn := range files {
		b, err := os.ReadFile(fn)
		require.NoError(t, err)
		srcs[filepath.Base(fn)] = b
	}
	for name, src := range srcs {
		t.Run(name, func(t *testing.T) {
			f := inDir(t, name, string(src), nil)
			standIns(t, f)
			p, err := c.PlanFor(ctx, f, "", Options{LookupEnv: func(string) (string, bool) { return "x", true }})
			require.NoError(t, err)
			cs, err := c.Diff(ctx, p)
			require.NoError(t, err)
			require.Len(t, cs.Changes, len(p.Objects))
			for _, ch := range cs.Changes {
				assert.Equal(t, Create, ch.Action, "%s/%s", ch.Kind, ch.Name)
				assert.Empty(t, ch.Note, "%s/%s was checked by the server", ch.Kind, ch.Name)
			}
		})
	}
}
