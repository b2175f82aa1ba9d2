package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/kumeo/kumeo/dsl"
	"github.com/kumeo/kumeo/engine"
	"github.com/kumeo/kumeo/internal/agentserver"
)

const agentUsage = "kumeo agent --workflow FILE (--agent ID | --endpoints) --nats URL [--listen ADDR] [--http-listen ADDR]"

// agentConfig is what one `kumeo agent` process runs.
type agentConfig struct {
	file, agent, natsURL, name string
	endpoints                  bool   // the sources and targets instead of an agent
	listen                     string // health, readiness and metrics; "" for none
	httpListen                 string // HTTP sources (with endpoints)
	concurrency                int
	getenv                     func(string) string
}

// cmdAgent runs one agent of a workflow against an external NATS server:
// it reads its input channel there and publishes its output there, with
// the same metrics and error handling as the local engine. This is what
// each agent Deployment runs in the cluster; with --endpoints it runs the
// workflow's sources and targets instead, once for the whole cluster.
func cmdAgent(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("agent", stderr)
	c := agentConfig{getenv: os.Getenv}
	fs.StringVar(&c.file, "workflow", "", "the .kumeo file")
	fs.StringVar(&c.agent, "agent", "", "id of the agent to run")
	fs.BoolVar(&c.endpoints, "endpoints", false, "run the workflow's sources and targets and no agent")
	fs.StringVar(&c.natsURL, "nats", os.Getenv("NATS_URL"), "NATS server URL (default $NATS_URL); credentials come from $NATS_USER and $NATS_PASSWORD, or the file $NATS_CREDS")
	fs.StringVar(&c.name, "name", "", "workflow to run when the file has several")
	fs.StringVar(&c.listen, "listen", agentserver.DefaultListen, `address of /healthz, /readyz and /metrics ("" for none)`)
	fs.StringVar(&c.httpListen, "http-listen", defaultHTTPListen, "address HTTP sources listen on (with --endpoints)")
	fs.IntVar(&c.concurrency, "concurrency", 0, "events handled in parallel (default 2 × CPUs)")
	if _, err := parseArgs(fs, args); err != nil {
		return exitError(2)
	}
	if c.file == "" || c.natsURL == "" || (c.agent == "") == !c.endpoints {
		return usageError(stderr, agentUsage)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return runAgent(ctx, c, stderr)
}

// defaultHTTPListen is where a cluster's HTTP sources listen: every
// interface, so the endpoints Service reaches them.
const defaultHTTPListen = ":8080"

// runAgent runs c until ctx is done or the run faults (the process then
// exits so the cluster restarts it). Logs go to stderr as JSON.
func runAgent(ctx context.Context, c agentConfig, stderr io.Writer) error {
	f, err := readAgentWorkflow(c, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	auth, err := natsAuth(c.getenv)
	if err != nil {
		return err
	}
	opts := engine.Options{NATSURL: c.natsURL, NATSOptions: auth.options, Only: []string{c.agent},
		Endpoints: engine.EndpointsElsewhere, Concurrency: c.concurrency, Logger: log}
	role := "agent " + c.agent
	if c.endpoints {
		opts.Only, opts.Endpoints, opts.HTTPListen, role = nil, engine.EndpointsOnly, c.httpListen, "sources and targets"
	}
	state := agentserver.NewRunState(opts.Only...)
	srv, err := startAgentServer(c.listen, state, log)
	if err != nil {
		return err
	}
	defer shutdownServer(srv, log)
	log.Info("connecting", "nats", engine.RedactURL(c.natsURL), "auth", auth.kind, "runs", role)
	run, err := engine.Start(ctx, f, c.name, opts)
	if err != nil {
		return startError(err, stderr)
	}
	state.Set(run)
	log.Info("agent running", "workflow", run.Plan().Name, "runs", role, "nats", engine.RedactURL(c.natsURL), "http", run.HTTPURL())
	select {
	case <-ctx.Done():
	case <-run.Fault(): // exit so the cluster restarts the agent
	}
	state.Stopping()
	return stopAgent(run, log)
}

// readAgentWorkflow reads and parses the workflow file and checks that it
// has the agent to run.
func readAgentWorkflow(c agentConfig, stderr io.Writer) (*dsl.File, error) {
	src, err := os.ReadFile(c.file)
	if err != nil {
		return nil, err
	}
	f, diags := dsl.Parse(c.file, src)
	if diags.HasErrors() {
		for _, d := range diags.Errors() {
			fmt.Fprintln(stderr, d.String())
		}
		return nil, exitError(1)
	}
	w := f.Workflow(c.name)
	if w == nil {
		return nil, fmt.Errorf("%s: no workflow %q; expected the name of a workflow block in the file", c.file, c.name)
	}
	if !c.endpoints && w.Agent(c.agent) == nil {
		return nil, fmt.Errorf("%s: no agent %q in workflow %s; expected the id of one of its agents", c.file, c.agent, w.Name)
	}
	return f, nil
}

func startAgentServer(listen string, state *agentserver.RunState, log *slog.Logger) (*agentserver.Server, error) {
	if listen == "" {
		return nil, nil
	}
	cfg := state.Config()
	cfg.Logger = log
	srv := agentserver.New(cfg)
	if err := srv.Start(listen); err != nil {
		return nil, err
	}
	log.Info("serving health, readiness and metrics", "addr", srv.Addr())
	return srv, nil
}

func shutdownServer(srv *agentserver.Server, log *slog.Logger) {
	if srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		log.Warn("agent HTTP server shutdown", "err", err)
	}
}

// startError reports a run that could not start: a plan's diagnostics
// (exit 1), or the error.
func startError(err error, stderr io.Writer) error {
	var pd dsl.Diagnostics
	errors.As(err, &pd)
	for _, d := range pd.Errors() {
		fmt.Fprintln(stderr, d.String())
	}
	if errors.Is(err, engine.ErrPlan) {
		return exitError(1)
	}
	return err
}

func stopAgent(run *engine.Run, log *slog.Logger) error {
	sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := run.Stop(sctx)
	for _, s := range run.Snapshots() {
		log.Info("agent stopped", "agent", s.Agent, "in", s.EventsIn, "out", s.EventsOut, "filtered", s.Filtered, "dead_lettered", s.DeadLettered)
	}
	if ferr := run.Err(); ferr != nil {
		return ferr
	}
	return err
}
