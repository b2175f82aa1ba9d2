// Command serve serves the built frontend with the real app services behind
// it, for browser tests driven from outside Go (Playwright). It prints the
// base URL as its first line of output and serves until interrupted.
//
//	go run ./internal/e2e/cmd/serve --dist frontend/dist --workspace DIR --listen 127.0.0.1:0
//
// -generate writes generated workflows into the workspace first, for the
// performance runs: -generate big500.kumeo=500,big2000.kumeo=2000 writes
// two files with 500 and 2,000 agents (see internal/workflowgen).
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
	flag.Parse()
	if err := generateFiles(*workspace, *generate); err != nil {
		log.Fatal(err)
	}
	if err := run(*dist, *workspace, *listen, *open, *config, *metrics); err != nil {
		log.Fatal(err)
	}
}

func run(dist, workspace, listen, open, config string, metrics time.Duration) error {
	if config == "" {
		tmp, err := os.MkdirTemp("", "kumeo-e2e-config-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		config = tmp
	}
	s, err := e2e.New(e2e.Options{Dist: dist, Workspace: workspace, ConfigDir: config, InitialPath: open, MetricsInterval: metrics})
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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
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
