package deploy

import (
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kumeo/kumeo/dsl"
)

// DeployerName names the ServiceAccount, Role and RoleBinding RBAC
// returns.
const DeployerName = "kumeo-deployer"

// manage are the verbs deploying needs on the objects it owns.
var manage = []string{"get", "list", "watch", "create", "patch", "update", "delete"}

// DeployerRules are exactly the permissions deploying a workflow into an
// existing namespace needs: manage the objects Render returns (but the
// Namespace), follow pods and their logs, port-forward to them and read
// events. The Namespace itself is cluster-scoped: an administrator
// creates it, or the deploy code skips it when it exists.
func DeployerRules() []rbacv1.PolicyRule {
	read := []string{"get", "list", "watch"}
	return []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"configmaps", "secrets", "services"}, Verbs: manage},
		{APIGroups: []string{"apps"}, Resources: []string{"deployments", "statefulsets"}, Verbs: manage},
		{APIGroups: []string{"autoscaling"}, Resources: []string{"horizontalpodautoscalers"}, Verbs: manage},
		{APIGroups: []string{""}, Resources: []string{"pods", "pods/log"}, Verbs: read},
		{APIGroups: []string{""}, Resources: []string{"pods/portforward"}, Verbs: []string{"create"}},
		{APIGroups: []string{""}, Resources: []string{"events"}, Verbs: []string{"list", "watch"}},
	}
}

// RBAC returns a ServiceAccount, a Role with DeployerRules and a
// RoleBinding granting it, all named DeployerName in the namespace the
// workflow (empty: the first) deploys to. Bind the Role to your own user
// or group instead by editing the RoleBinding's subjects.
func RBAC(f *dsl.File, workflow string) ([]Object, error) {
	r, err := newRenderer(f, workflow, Options{})
	if err != nil {
		return nil, err
	}
	s := r.s
	m := func() metav1.ObjectMeta { return r.meta(DeployerName, "deployer") }
	return []Object{
		&corev1.ServiceAccount{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"}, ObjectMeta: m()},
		&rbacv1.Role{TypeMeta: metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "Role"}, ObjectMeta: m(), Rules: DeployerRules()},
		&rbacv1.RoleBinding{TypeMeta: metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "RoleBinding"}, ObjectMeta: m(),
			Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: DeployerName, Namespace: s.namespace}},
			RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: DeployerName}},
	}, nil
}
