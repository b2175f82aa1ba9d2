package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/kumeo/kumeo/dsl"
	"github.com/kumeo/kumeo/engine"
	"github.com/kumeo/kumeo/engine/bus"
	"github.com/kumeo/kumeo/engine/metrics"
)

// hasDiag reports whether list holds a diagnostic with d's code and range.
func hasDiag(list dsl.Diagnostics, d dsl.Diagnostic) bool {
	for _, x := range list {
		if x.Code == d.Code && x.Range == d.Range {
			return true
		}
	}
	return false
}

// runFlags are the flags of kumeo run.
type runFlags struct {
	input, output, durable, listen, mqtt, httpListen, workflow string
	fsync, showMetrics, noChain                                bool
	timeout                                                    time.Duration
}

func parseRunFlags(args []string, stderr io.Writer) (runFlags, string, error) {
	var o runFlags
	fs := flag.NewFlagSet("kumeo run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.input, "input", "", "JSON Lines file whose events are published to the first source")
	fs.StringVar(&o.output, "output", "", "write every event reaching a target (and dead letters) to this JSON Lines file")
	fs.StringVar(&o.durable, "durable", "", "durable mode: JetStream file store in this directory")
	fs.BoolVar(&o.fsync, "fsync", false, "with --durable, sync every write to disk (and the --output file), so a machine crash loses nothing acknowledged either")
	fs.StringVar(&o.listen, "listen", "", "also accept NATS clients on this loopback address, e.g. 127.0.0.1:4222")
	fs.StringVar(&o.mqtt, "mqtt", "", "MQTT listener address (default: 127.0.0.1:0 when the workflow has MQTT endpoints)")
	fs.StringVar(&o.httpListen, "http", "127.0.0.1:0", "address HTTP sources listen on")
	fs.StringVar(&o.workflow, "workflow", "", "workflow to run when the file has several")
	fs.BoolVar(&o.showMetrics, "metrics", false, "print every metrics snapshot as a JSON line on stdout")
	fs.BoolVar(&o.noChain, "no-chain", false, "send every agent-to-agent hop through NATS")
	fs.DurationVar(&o.timeout, "timeout", 0, "stop after this long (0: until the input is drained or Ctrl-C)")
	files, err := parseArgs(fs, args)
	if err != nil {
		return o, "", exitError(2)
	}
	if len(files) != 1 {
		fmt.Fprintln(stderr, "usage: kumeo run FILE [--input events.jsonl] [--output out.jsonl] [--durable DIR] [--listen 127.0.0.1:4222] [--metrics]")
		return o, "", exitError(2)
	}
	return o, files[0], nil
}

func cmdRun(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	o, fn, err := parseRunFlags(args, stderr)
	if err != nil {
		return err
	}
	src, err := os.ReadFile(fn)
	if err != nil {
		return err
	}
	res := engine.Registry().Analyze(fn, src)
	for _, d := range res.Diagnostics {
		fmt.Fprintln(stderr, d.String())
	}
	if res.Diagnostics.HasErrors() {
		return exitError(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if o.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.timeout)
		defer cancel()
	}
	s, job, err := startRun(ctx, o, res, stderr)
	if s != nil {
		defer func() {
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			s.Close(sctx)
		}()
	}
	if err != nil {
		return err
	}
	return serveRun(ctx, o, s, job, stdout, stderr)
}

// startRun starts the session's bus and the run, and says where clients
// reach them and what the run refuses or goes without (unless the checker
// said it about the same text already).
func startRun(ctx context.Context, o runFlags, res *dsl.Result, stderr io.Writer) (*engine.Session, *engine.Job, error) {
	bopts := bus.Options{DataDir: o.durable, Listen: o.listen, MQTTListen: o.mqtt, SyncAlways: o.fsync && o.durable != ""}
	if bopts.MQTTListen == "" && usesMQTT(res.File, o.workflow) {
		bopts.MQTTListen = "127.0.0.1:0"
	}
	s, err := engine.New(engine.SessionOptions{Server: bopts, StopTimeout: 15 * time.Second,
		Run: engine.Options{DataDir: o.durable, HTTPListen: o.httpListen, NoChain: o.noChain}})
	if err != nil {
		return nil, nil, err
	}
	b, err := s.Bus()
	if err != nil {
		return s, nil, err
	}
	if o.listen != "" {
		fmt.Fprintf(stderr, "NATS clients can connect to %s\n", b.ClientURL())
	}
	if a := b.MQTTAddr(); a != "" {
		fmt.Fprintf(stderr, "MQTT clients can connect to %s\n", a)
	}
	job, err := s.Start(ctx, engine.Source{Path: res.File.Filename, File: res.File, Workflow: o.workflow})
	var diags dsl.Diagnostics
	if err != nil {
		errors.As(err, &diags)
	} else {
		diags = job.Run().Skipped()
	}
	for _, d := range diags {
		if !hasDiag(res.Diagnostics, d) {
			fmt.Fprintln(stderr, d.String())
		}
	}
	if errors.Is(err, engine.ErrPlan) {
		return s, nil, exitError(1)
	}
	if err != nil {
		return s, nil, err
	}
	for _, src := range job.Run().Plan().Sources {
		if src.Type == dsl.TypeHTTP {
			fmt.Fprintf(stderr, "HTTP source %s listening on %s%s\n", src.Name, job.Run().HTTPURL(), src.Decl.Address)
		}
	}
	return s, job, nil
}

// serveRun feeds the input, writes the outputs and metrics, waits until
// the run is done (drained, interrupted or failed), stops it and reports.
func serveRun(ctx context.Context, o runFlags, s *engine.Session, job *engine.Job, stdout, stderr io.Writer) error {
	run := job.Run()
	b, err := s.Bus()
	if err != nil {
		return err
	}
	nc, err := b.Connect()
	if err != nil {
		return err
	}
	defer nc.Close()
	out, tap, err := tapOutputs(ctx, o, nc, run.Plan())
	if err != nil {
		return err
	}
	if o.showMetrics {
		sub, err := nc.Subscribe(metrics.WorkflowSubjects(run.Plan().Name), func(m *nats.Msg) {
			fmt.Fprintln(stdout, string(m.Data))
		})
		if err != nil {
			return err
		}
		defer sub.Unsubscribe()
	}
	fed := waitRun(ctx, o, run, stdout, stderr)
	stopErr := s.Stop(job.ID())
	if out != nil {
		tctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		tapErr := tap.Close(tctx)
		if err := errors.Join(tapErr, out.close()); err != nil {
			return err
		}
	}
	report(o, run, fed, stderr)
	if err := run.Err(); err != nil {
		return err
	}
	if l := run.Ledger(); !l.Balanced() {
		return fmt.Errorf("ledger out of balance: %+v", l)
	}
	return stopErr
}

// tapOutputs opens the --output file and has the run's outputs written to
// it. A durable run's outputs are read from its outputs stream, so the
// file gets every output the run acknowledged an event for, also those an
// earlier run stored and had not written when it died.
func tapOutputs(ctx context.Context, o runFlags, nc *nats.Conn, plan *engine.Plan) (*jsonlWriter, *engine.OutputTap, error) {
	if o.output == "" {
		return nil, nil, nil
	}
	out, err := newJSONLWriter(o.output)
	if err != nil {
		return nil, nil, err
	}
	sync := out.flush
	if o.fsync {
		sync = out.sync
	}
	tap, err := engine.TapOutputs(ctx, nc, plan, o.durable != "", "output", out.write, sync)
	if err != nil {
		out.close()
		return nil, nil, err
	}
	return out, tap, nil
}

// waitRun feeds the input and waits until the run has handled it (or,
// without an input, until a finite source is done or the run is
// interrupted or fails), drawing the table on a terminal meanwhile.
func waitRun(ctx context.Context, o runFlags, run *engine.Run, stdout, stderr io.Writer) engine.FeedResult {
	var fed engine.FeedResult
	var inputDone chan error
	if o.input != "" {
		inputDone = make(chan error, 1)
		go func() {
			res, err := run.Feed(ctx, o.input)
			fed = res
			inputDone <- err
		}()
	}
	finite := run.Done()
	tty := isTerminal(stdout) && !o.showMetrics
	ticker := time.NewTicker(500 * time.Millisecond)
	defer ticker.Stop()
	for drained := false; !drained; {
		select {
		case <-ctx.Done():
			drained = true
		case <-run.Fault():
			drained = true
		case err := <-inputDone:
			if err != nil {
				fmt.Fprintf(stderr, "kumeo run: input: %v\n", err)
			}
			inputDone = nil
			if finite == nil {
				drained = waitDrained(ctx, run, uint64(fed.Published), o.durable != "")
			}
		case <-finite:
			finite = nil
			if inputDone == nil {
				drained = waitIdle(ctx, run)
			}
		case <-ticker.C:
			if tty {
				fmt.Fprint(stdout, "\033[H\033[2J")
				printTable(stdout, run.Snapshots(), run.Ledger())
			}
		}
	}
	return fed
}

// report prints the run's table and what its input and backlog were.
func report(o runFlags, run *engine.Run, fed engine.FeedResult, stderr io.Writer) {
	fmt.Fprintln(stderr)
	printTable(stderr, run.Snapshots(), run.Ledger())
	if o.durable != "" {
		fmt.Fprintf(stderr, "durable: %d events came from the backlog of an earlier run\n", run.Backlog())
	}
	if o.input == "" {
		return
	}
	if fed.ResumedLine > 0 {
		fmt.Fprintf(stderr, "input: %d events published from line %d (byte %d) on, where an earlier run stopped; %d lines of %s stored in all\n",
			fed.Published, fed.ResumedLine, fed.ResumedOffset, fed.Lines, o.input)
	} else {
		fmt.Fprintf(stderr, "input: %d events published from %s\n", fed.Published, o.input)
	}
}

// usesMQTT reports whether the workflow declares MQTT endpoints.
func usesMQTT(f *dsl.File, name string) bool {
	w := f.Workflow(name)
	if w == nil {
		return false
	}
	for _, e := range append(append([]*dsl.Endpoint{}, w.Sources...), w.Targets...) {
		if e.Type == dsl.TypeMQTT {
			return true
		}
	}
	return false
}

// waitDrained waits until the run took in the n events it was fed and
// finished them; a durable run waits until every event stored in its
// sources stream is handled and acknowledged, the backlog an earlier run
// left included.
func waitDrained(ctx context.Context, run *engine.Run, n uint64, durable bool) bool {
	for ctx.Err() == nil {
		l := run.Ledger()
		// A durable run counts what is stored rather than what was sent:
		// the stream keeps one copy of an event sent twice.
		if (durable || l.In >= n) && l.InFlight == 0 {
			pending, err := run.Pending(ctx)
			if err == nil && pending == 0 && run.Ledger().InFlight == 0 {
				return true
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}

// waitIdle waits until the run has taken in nothing new for a while and
// has nothing in flight; a durable run also until its sources stream holds
// nothing unhandled.
func waitIdle(ctx context.Context, run *engine.Run) bool {
	stable := 0
	var last uint64
	for ctx.Err() == nil && stable < 20 {
		l := run.Ledger()
		if l.InFlight == 0 && l.In == last {
			stable++
		} else {
			stable = 0
		}
		last = l.In
		time.Sleep(5 * time.Millisecond)
		if stable == 20 {
			if pending, err := run.Pending(ctx); err != nil || pending > 0 {
				stable = 0
			}
		}
	}
	return true
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// printTable prints the per-agent ledger, rate and latency.
func printTable(w io.Writer, snaps []metrics.Snapshot, l engine.Ledger) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "agent\tin\tout\tfiltered\tdead\terrors\tretries\tin-flight\trate/s\tp50 ms\tp99 ms\t")
	sort.SliceStable(snaps, func(i, j int) bool { return false })
	for _, s := range snaps {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%.0f\t%.3f\t%.3f\t\n", s.Agent, s.EventsIn, s.EventsOut, s.Filtered, s.DeadLettered,
			s.Errors, s.Retries, s.InFlight, s.RatePerS, s.LatencyMS.P50, s.LatencyMS.P99)
	}
	fmt.Fprintf(tw, "workflow\t%d\t%d\t%d\t%d\t\t\t%d\t\t\t\t\n", l.In, l.Out, l.Filtered, l.DeadLettered, l.InFlight)
	tw.Flush()
}

// jsonlWriter appends events to a JSON Lines file; dead letters are
// written as {"dead_letter": {...}} objects with their reason.
type jsonlWriter struct {
	mu sync.Mutex
	f  *os.File
	w  *bufio.Writer
}

func newJSONLWriter(path string) (*jsonlWriter, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	return &jsonlWriter{f: f, w: bufio.NewWriter(f)}, nil
}

func (j *jsonlWriter) write(m *nats.Msg) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if reason := m.Header.Get(engine.HeaderError); reason != "" {
		rec, _ := json.Marshal(map[string]any{"dead_letter": map[string]any{
			"subject": m.Subject, "agent": m.Header.Get(engine.HeaderAgent), "error": reason, "payload": string(m.Data),
		}})
		j.w.Write(rec)
	} else {
		j.w.Write(bytes.TrimSpace(m.Data))
	}
	return j.w.WriteByte('\n')
}

// flush hands what was written to the operating system, which keeps it
// when the process is killed.
func (j *jsonlWriter) flush() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.w.Flush()
}

// sync flushes and then has the file written to disk.
func (j *jsonlWriter) sync() error {
	if err := j.flush(); err != nil {
		return err
	}
	return j.f.Sync()
}

func (j *jsonlWriter) close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.w.Flush(); err != nil {
		return err
	}
	if err := j.f.Sync(); err != nil {
		return err
	}
	return j.f.Close()
}
