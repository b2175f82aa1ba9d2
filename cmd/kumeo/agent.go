package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/kumeo/kumeo/dsl"
	"github.com/kumeo/kumeo/engine"
)

// cmdAgent runs one agent of a workflow against an external NATS server:
// it reads its input channel there and publishes its output there, with
// the same metrics and error handling as the local engine. This is what
// each agent Deployment runs in the cluster.
func cmdAgent(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("kumeo agent", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("workflow", "", "the .kumeo file")
	id := fs.String("agent", "", "id of the agent to run")
	url := fs.String("nats", os.Getenv("NATS_URL"), "NATS server URL (default $NATS_URL)")
	name := fs.String("name", "", "workflow to run when the file has several")
	concurrency := fs.Int("concurrency", 0, "events handled in parallel (default 2 × CPUs)")
	if _, err := parseArgs(fs, args); err != nil {
		return exitError(2)
	}
	if *file == "" || *id == "" || *url == "" {
		fmt.Fprintln(stderr, "usage: kumeo agent --workflow FILE --agent ID --nats URL")
		return exitError(2)
	}
	src, err := os.ReadFile(*file)
	if err != nil {
		return err
	}
	f, diags := dsl.Parse(*file, src)
	if diags.HasErrors() {
		for _, d := range diags.Errors() {
			fmt.Fprintln(stderr, d.String())
		}
		return exitError(1)
	}
	w := f.Workflow(*name)
	if w == nil || w.Agent(*id) == nil {
		return fmt.Errorf("no agent %q in %s", *id, *file)
	}
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	run, err := engine.Start(ctx, f, *name, engine.Options{NATSURL: *url, Only: []string{*id}, Concurrency: *concurrency, Logger: log})
	if err != nil {
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
	log.Info("agent running", "workflow", run.Plan().Name, "agent", *id, "nats", *url)
	select {
	case <-ctx.Done():
	case <-run.Fault(): // exit so the cluster restarts the agent
	}
	sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err = run.Stop(sctx)
	for _, s := range run.Snapshots() {
		log.Info("agent stopped", "agent", s.Agent, "in", s.EventsIn, "out", s.EventsOut, "filtered", s.Filtered, "dead_lettered", s.DeadLettered)
	}
	if ferr := run.Err(); ferr != nil {
		return ferr
	}
	return err
}
