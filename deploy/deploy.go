// Package deploy renders the Kubernetes objects that run a workflow in a
// cluster: its Namespace, the workflow text and the files it references in
// a ConfigMap, the Secret holding its ${env.X} values, NATS with JetStream
// and its credentials in a Secret (unless the workflow names an external
// server), one Deployment per agent running `kumeo agent`, one Deployment
// running the sources and targets (`kumeo agent --endpoints`) with a
// Service for HTTP sources, and HorizontalPodAutoscalers from the scaling
// settings. Rendering is pure: it needs no cluster and its output is
// deterministic.
package deploy

import (
	"errors"
	"fmt"
	"os"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kumeo/kumeo/dsl"
)

// Errors returned by Render, wrapped with where and what was expected.
var (
	ErrNoWorkflow = errors.New("no such workflow")
	ErrInvalid    = errors.New("invalid deployment setting")
	ErrMissingEnv = errors.New("environment variable not set")
)

// Labels and annotations every rendered object carries.
const (
	LabelName      = "app.kubernetes.io/name"
	LabelInstance  = "app.kubernetes.io/instance"
	LabelComponent = "app.kubernetes.io/component"
	LabelManagedBy = "app.kubernetes.io/managed-by"
	LabelWorkflow  = "kumeo.dev/workflow"
	LabelAgent     = "kumeo.dev/agent"
	// AnnotationHash is on each agent pod template: a digest of exactly
	// what the agent depends on, so a change rolls only affected pods.
	AnnotationHash = "kumeo.dev/content-hash"
	// ManagedBy is the value of LabelManagedBy.
	ManagedBy = "kumeo"
	// Prometheus scrape annotations on the pod templates of agents and
	// endpoints.
	AnnotationScrape = "prometheus.io/scrape"
	AnnotationPort   = "prometheus.io/port"
	AnnotationPath   = "prometheus.io/path"
)

// Ports and paths of the `kumeo agent` containers.
const (
	// MetricsPort serves /healthz, /readyz and /metrics (port name
	// PortNameMetrics); the probes and scrape annotations use it.
	MetricsPort     = 9090
	PortNameMetrics = "metrics"
	// HTTPPort is where the endpoints container's HTTP sources listen
	// (port name PortNameHTTP); the endpoints Service forwards to it.
	HTTPPort     = 8080
	PortNameHTTP = "http"
	PathHealth   = "/healthz"
	PathReady    = "/readyz"
	PathMetrics  = "/metrics"
)

// NATS credentials: the Secret NATSSecretName(workflow) holds the user and
// password NATS requires of every client.
const (
	NATSUser              = "kumeo"
	SecretKeyNATSUser     = "user"
	SecretKeyNATSPassword = "password"
	// EnvNATSUser and EnvNATSPassword are the variables `kumeo agent`
	// reads them from.
	EnvNATSUser     = "NATS_USER"
	EnvNATSPassword = "NATS_PASSWORD"
	// NATSPasswordPlaceholder stands for the password when Options leave
	// it empty; the deploy code replaces it.
	NATSPasswordPlaceholder = "kumeo-placeholder-set-nats-password-at-deploy-time"
)

// DefaultImage is the runtime image when the deployment block names no
// registry and Options no image.
const DefaultImage = "ghcr.io/kumeo/kumeo:latest"

// Options tune a render.
type Options struct {
	// Image is the runtime image; empty means the deployment block's
	// registry.kumeo + "/kumeo:latest", else DefaultImage.
	Image string
	// LookupEnv returns the value of an environment variable for the
	// workflow's ${env.X} references; nil means os.LookupEnv.
	LookupEnv func(name string) (string, bool)
	// Namespace, when set, replaces the deployment block's namespace (and
	// the default, the workflow's name), as kubectl's --namespace does.
	Namespace string
	// NATSPassword is the password of the rendered NATS server, kept in
	// the Secret NATSSecretName(workflow). Empty renders
	// NATSPasswordPlaceholder, so output stays deterministic; the deploy
	// code passes the cluster's existing value or a fresh random one.
	NATSPassword string
	// ReadFile reads the files the workflow references (see
	// ReferencedFiles); nil means os.ReadFile. Names are the workflow
	// file's directory joined with the path as written.
	ReadFile func(name string) ([]byte, error)
}

// Object is one rendered Kubernetes object.
type Object interface {
	runtime.Object
	metav1.Object
}

// errAt formats an error with the file position of a node.
func errAt(f *dsl.File, r dsl.Range, err error, format string, args ...any) error {
	return fmt.Errorf("%s:%d:%d: %w: %s", f.Filename, r.Start.Line, r.Start.Column, err, fmt.Sprintf(format, args...))
}

func errNoWorkflow(f *dsl.File, workflow string) error {
	return fmt.Errorf("%s: %w %q; expected the name of a workflow block in the file", f.Filename, ErrNoWorkflow, workflow)
}

// dnsName turns s into a DNS-1123 label: lower case letters, digits and
// '-', at most 63 characters, starting and ending with an alphanumeric.
func dnsName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	out := strings.Trim(b.String(), "-")
	if len(out) > 63 {
		out = strings.TrimRight(out[:63], "-")
	}
	if out == "" {
		out = "kumeo"
	}
	return out
}

func (o Options) lookup() func(string) (string, bool) {
	if o.LookupEnv != nil {
		return o.LookupEnv
	}
	return os.LookupEnv
}
