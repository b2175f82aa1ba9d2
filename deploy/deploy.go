// Package deploy renders the Kubernetes objects that run a workflow in a
// cluster: its Namespace, the workflow text in a ConfigMap, the Secret
// holding its ${env.X} values, NATS with JetStream (unless the workflow
// names an external server), one Deployment per agent running
// `kumeo agent`, and HorizontalPodAutoscalers from the scaling settings.
// Rendering is pure: it needs no cluster and its output is deterministic.
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
