package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/klog/v2"

	"github.com/kumeo/kumeo/deploy"
	"github.com/kumeo/kumeo/deploy/image"
)

const (
	deployUsage   = "kumeo deploy FILE [--context C] [--kubeconfig K] [--namespace N] [--workflow W] [--image REF] [--dry-run] [--logs] [--push REPO [--binary PATH]] [--timeout 5m] [-o text|json]"
	rollbackUsage = "kumeo rollback FILE [--context C] [--kubeconfig K] [--namespace N] [--workflow W] [--to REVISION] [--timeout 5m]"
	statusUsage   = "kumeo status FILE [--context C] [--kubeconfig K] [--namespace N] [--workflow W] [--history] [--watch] [-o text|json]"
	undeployUsage = "kumeo undeploy FILE [--context C] [--kubeconfig K] [--namespace N] [--workflow W]"
)

// logDrain is how long deploy --logs keeps following after the rollout.
const logDrain = 1500 * time.Millisecond

// clusterFlags are the flags every cluster command takes.
type clusterFlags struct {
	fs                                      *flag.FlagSet
	context, kubeconfig, namespace, workflw *string
	image, format                           *string
	timeout                                 *time.Duration
}

func newClusterFlags(name string, stderr io.Writer) *clusterFlags {
	fs := newFlags(name, stderr)
	return &clusterFlags{fs: fs,
		context:    fs.String("context", "", "kubeconfig context (default: the current context)"),
		kubeconfig: fs.String("kubeconfig", "", "kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)"),
		namespace:  fs.String("namespace", "", "namespace (default: the deployment block's, else the workflow's name)"),
		workflw:    fs.String("workflow", "", "workflow when the file has several (default: the first)"),
		image:      fs.String("image", "", "runtime image (default: the deployment block's registry, else "+deploy.DefaultImage+")"),
		format:     fs.String("o", "text", "output format: text or json"),
		timeout:    fs.Duration("timeout", 5*time.Minute, "how long to wait for the rollout"),
	}
}

// open parses the arguments, reads the workflow, connects to the cluster
// and renders the plan.
func (cf *clusterFlags) open(ctx context.Context, args []string, stderr io.Writer, usage string) (*deploy.Cluster, *deploy.Plan, error) {
	files, err := parseArgs(cf.fs, args)
	if err != nil {
		return nil, nil, exitError(2)
	}
	if len(files) != 1 || (*cf.format != "text" && *cf.format != "json") {
		return nil, nil, usageError(stderr, usage)
	}
	f, err := readWorkflow(stderr, files[0], true)
	if err != nil {
		return nil, nil, err
	}
	// client-go logs what it retries (a broken port-forward) on stderr;
	// the commands report errors themselves.
	klog.SetLogger(logr.Discard())
	c, err := deploy.Connect(deploy.Target{Kubeconfig: *cf.kubeconfig, Context: *cf.context})
	if err != nil {
		return nil, nil, err
	}
	f.Filename = filepath.Base(f.Filename)
	p, err := c.PlanFor(ctx, f, *cf.workflw, deploy.Options{Image: *cf.image, Namespace: *cf.namespace})
	return c, p, err
}

func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// cmdDeploy shows what a deploy changes (--dry-run), or applies it, prunes
// what the workflow no longer has and waits for the rollout.
func cmdDeploy(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	cf := newClusterFlags("deploy", stderr)
	dry := cf.fs.Bool("dry-run", false, "show the change set against the cluster and apply nothing")
	logs := cf.fs.Bool("logs", false, "stream the logs of the pods the deploy starts until the rollout ends")
	push := cf.fs.String("push", "", "build the runtime image from --binary, push it to this repository and deploy it by digest")
	binary := cf.fs.String("binary", "", "static kumeo executable for --push (default: this kumeo)")
	ctx, stop := signalContext()
	defer stop()
	if _, err := parseArgs(cf.fs, args); err != nil {
		return exitError(2)
	}
	if err := pushImage(ctx, cf, *push, *binary, stdout); err != nil {
		return err
	}
	c, p, err := cf.open(ctx, args, stderr, deployUsage)
	if err != nil {
		return err
	}
	if *dry {
		cs, err := c.Diff(ctx, p)
		if err != nil {
			return err
		}
		if *cf.format == "json" {
			return printJSON(stdout, cs)
		}
		fmt.Fprintf(stdout, "Changes to %s in namespace %s on context %s:\n%s", p.Workflow, p.Namespace, c.Context, cs)
		return nil
	}
	if *logs {
		lctx, stopLogs := context.WithCancel(ctx)
		done := make(chan struct{})
		since := time.Now()
		go func() {
			defer close(done)
			c.FollowLogs(lctx, p, p.Agents(), false, since, func(l deploy.LogLine) { fmt.Fprintf(stdout, "%s | %s\n", l.Agent, l.Line) })
		}()
		// After the rollout, give the new pods' streams a moment for
		// their last lines.
		defer func() { time.AfterFunc(logDrain, stopLogs); <-done }()
	}
	return applyAndWait(ctx, c, p, cf, stdout, func(progress deploy.Progress) (*deploy.Result, error) {
		return c.Apply(ctx, p, progress)
	})
}

// pushImage builds the runtime image from binary and pushes it to repo
// (nothing when repo is empty), so the deploy runs it by digest: the image
// flag becomes repo@sha256:... .
func pushImage(ctx context.Context, cf *clusterFlags, repo, binary string, stdout io.Writer) error {
	if repo == "" {
		return nil
	}
	if *cf.image != "" {
		return fmt.Errorf("--push and --image both name the image; give one")
	}
	img, err := image.Build(image.Options{Binary: binary, Version: version})
	if err != nil {
		return err
	}
	ref, err := image.Push(ctx, repo, img)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "pushed   %s\n", ref)
	*cf.image = ref.String()
	return nil
}

// applyAndWait runs a deploy or rollback, then waits for the rollout,
// printing progress as it goes (text) or the result (json).
func applyAndWait(ctx context.Context, c *deploy.Cluster, p *deploy.Plan, cf *clusterFlags, stdout io.Writer,
	apply func(deploy.Progress) (*deploy.Result, error)) error {
	text := *cf.format == "text"
	progress := func(e deploy.Event) {
		if text {
			fmt.Fprintln(stdout, describeEvent(e))
		}
	}
	start := time.Now()
	res, err := apply(progress)
	if err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, *cf.timeout)
	defer cancel()
	sts, err := c.WaitRollout(wctx, p, progress)
	if !text {
		if perr := printJSON(stdout, map[string]any{"result": res, "status": sts}); perr != nil {
			return perr
		}
	} else if err == nil {
		n := res.Changes.Counts()
		fmt.Fprintf(stdout, "Deployed %s as revision %d in %s: %d created, %d updated, %d pruned; every agent ready.\n",
			p.Workflow, res.Revision, time.Since(start).Round(time.Millisecond), n[deploy.Create], n[deploy.Update], n[deploy.Prune])
	}
	return err
}

func describeEvent(e deploy.Event) string {
	switch {
	case e.Change != nil:
		s := fmt.Sprintf("%-8s %s/%s", e.Step, e.Change.Kind, e.Change.Name)
		if e.Message != "" {
			s += "  " + e.Message
		}
		return s
	case e.Agent != nil:
		a := e.Agent
		s := fmt.Sprintf("rollout  %s/%s %d/%d ready (%d updated) %s", a.Kind, a.Name, a.Ready, a.Desired, a.Updated, a.Phase)
		if a.Reason != "" {
			s += ": " + a.Reason
		}
		for _, l := range a.Logs {
			s += "\n    | " + l
		}
		return s
	}
	return e.Step + "  " + e.Message
}

// cmdRollback restores a recorded deploy (default: the one before the
// latest).
func cmdRollback(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	cf := newClusterFlags("rollback", stderr)
	to := cf.fs.Int("to", 0, "revision to restore (default: the one before the latest)")
	ctx, stop := signalContext()
	defer stop()
	c, p, err := cf.open(ctx, args, stderr, rollbackUsage)
	if err != nil {
		return err
	}
	return applyAndWait(ctx, c, p, cf, stdout, func(progress deploy.Progress) (*deploy.Result, error) {
		res, rev, err := c.Rollback(ctx, p.Workflow, p.Namespace, *to, progress)
		if err == nil && *cf.format == "text" {
			fmt.Fprintf(stdout, "Restored revision %d (deployed %s from %s).\n", rev.Revision, rev.Time.Format(time.RFC3339), rev.File)
		}
		return res, err
	})
}

// cmdStatus prints the state of each workload of a deployed workflow and,
// with --history, its recorded deploys.
func cmdStatus(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	cf := newClusterFlags("status", stderr)
	history := cf.fs.Bool("history", false, "also list the recorded deploys")
	watch := cf.fs.Bool("watch", false, "stream the deployed agents' live metrics (through a port-forward to the workflow's NATS) until interrupted")
	ctx, stop := signalContext()
	defer stop()
	c, p, err := cf.open(ctx, args, stderr, statusUsage)
	if err != nil {
		return err
	}
	if *watch {
		return watchMetrics(ctx, c, p, *cf.format == "json", stdout)
	}
	sts, err := c.Status(ctx, p)
	if err != nil {
		return err
	}
	var hist []deploy.Revision
	if *history {
		if hist, err = c.History(ctx, p.Workflow, p.Namespace); err != nil {
			return err
		}
	}
	if *cf.format == "json" {
		for i := range hist {
			hist[i].Objects, hist[i].Source = nil, ""
		}
		return printJSON(stdout, map[string]any{"status": sts, "history": hist})
	}
	if len(sts) == 0 {
		fmt.Fprintf(stdout, "%s is not deployed in namespace %s on context %s.\n", p.Workflow, p.Namespace, c.Context)
	}
	for _, s := range sts {
		fmt.Fprintf(stdout, "%-12s %-32s %d/%d ready  %-11s restarts %d  %s\n", s.Kind, s.Name, s.Ready, s.Desired, s.Phase, s.Restarts, s.Reason)
	}
	for _, r := range hist {
		fmt.Fprintf(stdout, "revision %d  %s  %s  %s\n", r.Revision, r.Time.Format(time.RFC3339), r.File, summary(r.Summary))
	}
	return nil
}

// watchMetrics prints the cluster's metrics every second: a table per
// update (text) or one JSON object per line.
func watchMetrics(ctx context.Context, c *deploy.Cluster, p *deploy.Plan, asJSON bool, stdout io.Writer) error {
	last := time.Time{}
	return c.WatchMetrics(ctx, p, deploy.WatchOptions{}, func(u deploy.MetricsUpdate) {
		if asJSON {
			_ = json.NewEncoder(stdout).Encode(u)
			return
		}
		if time.Since(last) < time.Second && u.Connected {
			return
		}
		last = time.Now()
		state := "connected via " + u.Via
		if !u.Connected {
			state = "reconnecting: " + u.Error
		}
		fmt.Fprintf(stdout, "%s  %s\n", time.Now().Format("15:04:05"), state)
		fmt.Fprintf(stdout, "  %-20s %8s %10s %10s %8s %8s %8s %9s %9s\n", "agent", "replicas", "in", "out", "dead", "errors", "pending", "p50 ms", "p99 ms")
		for _, a := range u.Agents {
			stale := ""
			if a.Stale {
				stale = "  (stale)"
			}
			fmt.Fprintf(stdout, "  %-20s %8d %10d %10d %8d %8d %8d %9.2f %9.2f%s\n", a.Agent, a.Replicas, a.EventsIn, a.EventsOut,
				a.DeadLettered, a.Errors, a.Pending, a.LatencyMS.P50, a.LatencyMS.P99, stale)
		}
	})
}

func summary(m map[deploy.Action]int) string {
	var parts []string
	for _, a := range []deploy.Action{deploy.Create, deploy.Update, deploy.Prune} {
		if m[a] > 0 {
			parts = append(parts, fmt.Sprintf("%d %sd", m[a], strings.TrimSuffix(string(a), "e")))
		}
	}
	if len(parts) == 0 {
		return "no change"
	}
	return strings.Join(parts, ", ")
}

// cmdUndeploy deletes every object of a deployed workflow.
func cmdUndeploy(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	cf := newClusterFlags("undeploy", stderr)
	ctx, stop := signalContext()
	defer stop()
	c, p, err := cf.open(ctx, args, stderr, undeployUsage)
	if err != nil {
		return err
	}
	return c.Undeploy(ctx, p.Workflow, p.Namespace, func(e deploy.Event) { fmt.Fprintln(stdout, describeEvent(e)) })
}
