// Command serve serves the built frontend with the real app services behind
// it, for browser tests driven from outside Go (Playwright). It prints the
// base URL as its first line of output and serves until interrupted.
//
//	go run ./internal/e2e/cmd/serve --dist frontend/dist --workspace DIR --listen 127.0.0.1:0
//
// -generate writes generated workflows into the workspace first, for the
// performance runs: -generate big500.kumeo=500,big2000.kumeo=2000 writes
// two files with 500 and 2,000 agents (see internal/workflowgen).
//
// -k8s starts a real Kubernetes control plane first (internal/k8stest; the
// binaries are in $KUMEO_K8S_BIN) and points the Deploy service at its
// admin kubeconfig, whose one context is kumeo-test. The cluster stops
// with the server.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/kumeo/kumeo/internal/e2e"
	"github.com/kumeo/kumeo/internal/k8stest"
	"github.com/kumeo/kumeo/internal/workflowgen"
)

func main() {
	dist := flag.String("dist", "frontend/dist", "frontend build directory")
	workspace := flag.String("workspace", ".", "directory relative paths resolve against")
	listen := flag.String("listen", "127.0.0.1:0", "address to serve on")
	open := flag.String("open", "", "file Workspace.InitialPath reports")
	config := flag.String("config", "", "directory of the recent-files list (default: a temporary directory)")
	metrics := flag.Duration("metrics-interval", 0, "interval between run metrics events (default: the app's)")
	generate := flag.String("generate", "", "generated workflows to write into the workspace first: name.kumeo=AGENTS[,...]")
	k8s := flag.Bool("k8s", false, "start a Kubernetes test cluster ($"+k8stest.EnvBin+") and deploy to it (context "+k8stest.Context+")")
	flag.Parse()
	if err := generateFiles(*workspace, *generate); err != nil {
		log.Fatal(err)
	}
	opts := e2e.Options{Dist: *dist, Workspace: *workspace, ConfigDir: *config, InitialPath: *open, MetricsInterval: *metrics}
	if err := run(*listen, opts, *k8s); err != nil {
		log.Fatal(err)
	}
}

func run(listen string, opts e2e.Options, k8s bool) error {
	// Signals are caught from the start: one that comes while the cluster
	// starts ends the server as cleanly as one that comes later.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if opts.ConfigDir == "" {
		tmp, err := os.MkdirTemp("", "kumeo-e2e-config-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		opts.ConfigDir = tmp
	}
	if k8s {
		stopCluster, kubeconfig, err := startCluster()
		if err != nil {
			return err
		}
		defer stopCluster()
		opts.Kubeconfig = kubeconfig
	}
	s, err := e2e.New(opts)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	fmt.Printf("http://%s/\n", ln.Addr())
	os.Stdout.Sync()

	srv := &http.Server{Handler: s}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err = <-errc:
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	cerr := s.Close(sctx)
	srv.Shutdown(sctx)
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return errors.Join(err, cerr)
}

// startCluster starts a test cluster in a temporary directory and returns
// how to stop it and its admin kubeconfig.
func startCluster() (stop func(), kubeconfig string, err error) {
	dir, err := os.MkdirTemp("", "kumeo-e2e-k8s-")
	if err != nil {
		return nil, "", err
	}
	c, err := k8stest.New(dir, k8stest.Options{})
	if err != nil {
		os.RemoveAll(dir)
		return nil, "", fmt.Errorf("-k8s: %w", err)
	}
	stop = func() {
		c.Stop()
		os.RemoveAll(dir)
	}
	kubeconfig, err = c.KubeconfigFor("admin")
	if err != nil {
		stop()
		return nil, "", err
	}
	return stop, kubeconfig, nil
}

// generateFiles writes each name=agents of spec into dir.
func generateFiles(dir, spec string) error {
	for item := range strings.SplitSeq(spec, ",") {
		if item = strings.TrimSpace(item); item == "" {
			continue
		}
		name, count, ok := strings.Cut(item, "=")
		n, err := strconv.Atoi(count)
		if !ok || err != nil || n < 1 || name == "" || filepath.Base(name) != name {
			return fmt.Errorf("-generate: expected name.kumeo=AGENTS, got %q", item)
		}
		if err := os.WriteFile(filepath.Join(dir, name), workflowgen.Fraud(n), 0o644); err != nil {
			return err
		}
	}
	return nil
}
