package main

import (
	"context"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kumeo/kumeo/internal/k8stest"
)

const cliSecret = "cli-secret-5e0a9b"

const cliWorkflow = `workflow Orders {
  source: NATS("orders.in")
  target: NATS("orders.out")
  config: { token: "${env.ORDERS_TOKEN}" }
  agents: [
    DataProcessor(id: "check", config: { required_fields: ["id"] }),
    Router(id: "route", rules: { "default": "target.orders.out" })
  ]
  deployment: { namespace: "orders" }
}
`

// kubeconfigTo writes a kubeconfig with one context, ctx, for server.
func kubeconfigTo(t *testing.T, server, ctx string) string {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["c"] = &clientcmdapi.Cluster{Server: server}
	cfg.AuthInfos["u"] = &clientcmdapi.AuthInfo{Token: "t"}
	cfg.Contexts[ctx] = &clientcmdapi.Context{Cluster: "c", AuthInfo: "u"}
	cfg.CurrentContext = ctx
	path := filepath.Join(t.TempDir(), "kubeconfig")
	require.NoError(t, clientcmd.WriteToFile(*cfg, path))
	return path
}

// A cluster nobody listens on, and a context the kubeconfig lacks, give
// errors that say so.
func TestDeployErrors(t *testing.T) {
	fn := writeTemp(t, "orders.kumeo", cliWorkflow)
	t.Setenv("ORDERS_TOKEN", cliSecret)
	kc := kubeconfigTo(t, "https://127.0.0.1:1", "prod")
	code, _, errOut := kumeo(t, "", "deploy", fn, "--kubeconfig", kc, "--dry-run")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "cluster not reachable: https://127.0.0.1:1 (context \"prod\")")

	code, _, errOut = kumeo(t, "", "deploy", fn, "--kubeconfig", kc, "--context", "staging")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, `no context "staging"`)
	assert.Contains(t, errOut, "expected one of: prod")
	assert.NotContains(t, errOut, cliSecret)

	code, _, errOut = kumeo(t, "", "deploy")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "usage: kumeo deploy FILE")
}

// The CLI round trip on a real API server: dry run, deploy, status with
// history, a change, rollback, undeploy; no output shows the secret.
func TestDeployCommands(t *testing.T) {
	cluster := k8stest.Start(t, k8stest.Options{PodLogs: []string{"agent started", "listening on orders.in"}})
	kc, err := cluster.KubeconfigFor("admin")
	require.NoError(t, err)
	t.Setenv("KUBECONFIG", kc)
	t.Setenv("ORDERS_TOKEN", cliSecret)
	fn := writeTemp(t, "orders.kumeo", cliWorkflow)
	var shown strings.Builder
	run := func(want int, args ...string) string {
		t.Helper()
		code, out, errOut := kumeo(t, "", args...)
		shown.WriteString(out + errOut)
		require.Equal(t, want, code, "kumeo %s\n%s%s", strings.Join(args, " "), out, errOut)
		return out
	}
	out := run(0, "deploy", fn, "--dry-run")
	assert.Contains(t, out, "+ create  orders Deployment/orders-check  (agent check)")
	assert.Contains(t, out, "0 to update, 0 to prune")

	out = run(0, "deploy", fn, "--context", k8stest.Context, "--timeout", "90s", "--logs")
	assert.Contains(t, out, "Deployed orders as revision 1")
	for _, l := range []string{"check | agent started\n", "check | listening on orders.in\n", "route | agent started\n"} {
		assert.Contains(t, out, l, "the new pods' logs")
	}
	assert.Contains(t, out, "every agent ready")

	out = run(0, "deploy", fn, "--dry-run")
	assert.Contains(t, out, "0 to create, 0 to update, 0 to prune")

	out = run(0, "status", fn, "--history")
	assert.Contains(t, out, "orders-check")
	assert.Contains(t, out, "1/1 ready")
	assert.Contains(t, out, "revision 1")

	require.NoError(t, os.WriteFile(fn, []byte(strings.Replace(cliWorkflow, `["id"]`, `["id", "qty"]`, 1)), 0o644))
	out = run(0, "deploy", fn, "--dry-run")
	assert.Contains(t, out, "~ update  orders Deployment/orders-check  (agent check)  fields: ")
	assert.NotContains(t, out, "orders-route")
	run(0, "deploy", fn)

	out = run(0, "rollback", fn, "--to", "1")
	assert.Contains(t, out, "Restored revision 1")
	assert.Contains(t, out, "as revision 3")

	// --push builds the runtime image, pushes it and deploys it by digest.
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	repo := strings.TrimPrefix(srv.URL, "http://") + "/acme/kumeo"
	out = run(0, "deploy", fn, "--push", repo, "--binary", tinyStatic(t))
	_, digest, ok := strings.Cut(strings.Fields(strings.SplitN(out, "\n", 2)[0])[1], "@")
	require.True(t, ok, out)
	d, err := cluster.Client.AppsV1().Deployments("orders").Get(context.Background(), "orders-check", metav1.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, repo+"@"+digest, d.Spec.Template.Spec.Containers[0].Image)
	code, _, errOut := kumeo(t, "", "deploy", fn, "--push", repo, "--image", "x/y:1")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "--push and --image both name the image")

	run(0, "undeploy", fn)
	out = run(0, "status", fn)
	assert.Contains(t, out, "not deployed")
	assert.NotContains(t, shown.String(), cliSecret)
}
