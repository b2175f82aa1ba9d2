package deploy

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"net/url"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Errors of the cluster operations, wrapped with what failed and where.
var (
	ErrUnreachable  = errors.New("cluster not reachable")
	ErrUnauthorized = errors.New("credentials rejected")
	ErrForbidden    = errors.New("permission denied")
	ErrKubeconfig   = errors.New("kubeconfig")
	ErrRollout      = errors.New("rollout failed")
	ErrNoHistory    = errors.New("no such deploy")
)

// FieldManager owns the fields kumeo applies (server-side apply).
const FieldManager = "kumeo"

// Target selects a cluster the way kubectl does: the kubeconfig files
// named by Kubeconfig, else $KUBECONFIG, else ~/.kube/config; the context
// named by Context, else the current one.
type Target struct {
	Kubeconfig string
	Context    string
}

// Cluster is a connection to one cluster as one user.
type Cluster struct {
	// Context and Server name the cluster in messages.
	Context, Server string
	Config          *rest.Config
	Client          kubernetes.Interface
	Dynamic         dynamic.Interface
}

// Connect loads the kubeconfig and builds clients; it does not contact
// the cluster.
func Connect(t Target) (*Cluster, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if t.Kubeconfig != "" {
		rules.ExplicitPath = t.Kubeconfig
	}
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: t.Context})
	raw, err := cc.RawConfig()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKubeconfig, err)
	}
	name := t.Context
	if name == "" {
		name = raw.CurrentContext
	}
	if _, ok := raw.Contexts[name]; !ok || name == "" {
		return nil, fmt.Errorf("%w: no context %q in %s; expected one of: %s", ErrKubeconfig, name,
			strings.Join(rules.GetLoadingPrecedence(), ":"), strings.Join(slices.Sorted(maps.Keys(raw.Contexts)), ", "))
	}
	cfg, err := cc.ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("%w: context %q: %v", ErrKubeconfig, name, err)
	}
	cfg.QPS, cfg.Burst = 100, 200
	cfg.UserAgent = "kumeo"
	return NewCluster(name, cfg)
}

// NewCluster builds clients for a rest configuration.
func NewCluster(context string, cfg *rest.Config) (*Cluster, error) {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &Cluster{Context: context, Server: cfg.Host, Config: cfg, Client: cs, Dynamic: dyn}, nil
}

// Contexts lists the contexts of the kubeconfig t selects, sorted, and
// the current one.
func Contexts(t Target) (names []string, current string, err error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if t.Kubeconfig != "" {
		rules.ExplicitPath = t.Kubeconfig
	}
	raw, err := rules.Load()
	if err != nil {
		return nil, "", fmt.Errorf("%w: %v", ErrKubeconfig, err)
	}
	return slices.Sorted(maps.Keys(raw.Contexts)), raw.CurrentContext, nil
}

// kinds are the resources a render produces, in apply order.
var kinds = []struct {
	kind     string
	gvr      schema.GroupVersionResource
	cluster  bool // cluster-scoped
	stage    int  // apply stage: namespace, config, NATS, agents, autoscalers
	workload bool
}{
	{"Namespace", schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}, true, 0, false},
	{"Secret", schema.GroupVersionResource{Version: "v1", Resource: "secrets"}, false, 1, false},
	{"ConfigMap", schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}, false, 1, false},
	{"Service", schema.GroupVersionResource{Version: "v1", Resource: "services"}, false, 2, false},
	{"StatefulSet", schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "statefulsets"}, false, 2, true},
	{"Deployment", schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}, false, 3, true},
	{"HorizontalPodAutoscaler", schema.GroupVersionResource{Group: "autoscaling", Version: "v2", Resource: "horizontalpodautoscalers"}, false, 4, false},
}

func kindIndex(kind string) int {
	for i, k := range kinds {
		if k.kind == kind {
			return i
		}
	}
	return -1
}

// clusterError turns a client error into one that says what failed, on
// which cluster, and what to do.
func (c *Cluster) clusterError(verb, resource, namespace, name string, err error) error {
	if err == nil {
		return nil
	}
	where := resource
	if name != "" {
		where += " " + name
	}
	if namespace != "" {
		where += " in namespace " + namespace
	}
	var ue *url.Error
	var ne net.Error
	switch {
	case apierrors.IsForbidden(err):
		return fmt.Errorf("%w: cannot %s %s on context %q: %s; expected a role granting it (kumeo manifests --rbac prints one)",
			ErrForbidden, verb, where, c.Context, statusMessage(err))
	case apierrors.IsUnauthorized(err):
		return fmt.Errorf("%w: the API server %s (context %q) refused the credentials (expired or revoked?): %s",
			ErrUnauthorized, c.Server, c.Context, statusMessage(err))
	case errors.As(err, &ue), errors.As(err, &ne):
		return fmt.Errorf("%w: %s (context %q) while trying to %s %s: %v", ErrUnreachable, c.Server, c.Context, verb, where, err)
	}
	return fmt.Errorf("%s %s: %w", verb, where, err)
}

func statusMessage(err error) string {
	var se apierrors.APIStatus
	if errors.As(err, &se) {
		return se.Status().Message
	}
	return err.Error()
}
