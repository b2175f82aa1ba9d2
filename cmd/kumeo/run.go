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

func cmdRun(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("kumeo run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	input := fs.String("input", "", "JSON Lines file whose events are published to the first source")
	output := fs.String("output", "", "write every event reaching a target (and dead letters) to this JSON Lines file")
	durable := fs.String("durable", "", "durable mode: JetStream file store in this directory")
	fsync := fs.Bool("fsync", false, "with --durable, sync every write to disk (and the --output file), so a machine crash loses nothing acknowledged either")
	listen := fs.String("listen", "", "also accept NATS clients on this loopback address, e.g. 127.0.0.1:4222")
	mqtt := fs.String("mqtt", "", "MQTT listener address (default: 127.0.0.1:0 when the workflow has MQTT endpoints)")
	httpListen := fs.String("http", "127.0.0.1:0", "address HTTP sources listen on")
	workflow := fs.String("workflow", "", "workflow to run when the file has several")
	showMetrics := fs.Bool("metrics", false, "print every metrics snapshot as a JSON line on stdout")
	noChain := fs.Bool("no-chain", false, "send every agent-to-agent hop through NATS")
	timeout := fs.Duration("timeout", 0, "stop after this long (0: until the input is drained or Ctrl-C)")
	files, err := parseArgs(fs, args)
	if err != nil {
		return exitError(2)
	}
	if len(files) != 1 {
		fmt.Fprintln(stderr, "usage: kumeo run FILE [--input events.jsonl] [--output out.jsonl] [--durable DIR] [--listen 127.0.0.1:4222] [--metrics]")
		return exitError(2)
	}
	fn := files[0]
	src, err := os.ReadFile(fn)
	if err != nil {
		return err
	}
	res := dsl.Analyze(fn, src)
	for _, d := range res.Diagnostics {
		fmt.Fprintln(stderr, d.String())
	}
	if res.Diagnostics.HasErrors() {
		return exitError(1)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *timeout)
		defer cancel()
	}

	bopts := bus.Options{DataDir: *durable, Listen: *listen, MQTTListen: *mqtt, SyncAlways: *fsync && *durable != ""}
	if bopts.MQTTListen == "" && usesMQTT(res.File, *workflow) {
		bopts.MQTTListen = "127.0.0.1:0"
	}
	b, err := bus.New(bopts)
	if err != nil {
		return err
	}
	if err := b.Start(); err != nil {
		return err
	}
	if err := b.Ready(10 * time.Second); err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		b.Shutdown(sctx)
	}()
	if *listen != "" {
		fmt.Fprintf(stderr, "NATS clients can connect to %s\n", b.ClientURL())
	}
	if a := b.MQTTAddr(); a != "" {
		fmt.Fprintf(stderr, "MQTT clients can connect to %s\n", a)
	}

	run, err := engine.Start(ctx, res.File, *workflow, engine.Options{Bus: b, DataDir: *durable, HTTPListen: *httpListen, NoChain: *noChain})
	// What the run refuses or goes without, unless the checker said it
	// about the same text already.
	var diags dsl.Diagnostics
	if err != nil {
		errors.As(err, &diags)
	} else {
		diags = run.Skipped()
	}
	for _, d := range diags {
		if !hasDiag(res.Diagnostics, d) {
			fmt.Fprintln(stderr, d.String())
		}
	}
	if err != nil {
		if errors.Is(err, engine.ErrPlan) {
			return exitError(1)
		}
		return err
	}
	plan := run.Plan()
	for _, s := range plan.Sources {
		if s.Type == "HTTP" {
			fmt.Fprintf(stderr, "HTTP source %s listening on %s%s\n", s.Name, run.HTTPURL(), s.Decl.Address)
		}
	}

	nc, err := b.Connect()
	if err != nil {
		return err
	}
	defer nc.Close()
	var out *jsonlWriter
	var tap *engine.OutputTap
	if *output != "" {
		out, err = newJSONLWriter(*output)
		if err != nil {
			return err
		}
		// A durable run's outputs are read from its outputs stream, so the
		// file gets every output the run acknowledged an event for, also
		// those an earlier run stored and had not written when it died.
		sync := out.flush
		if *fsync {
			sync = out.sync
		}
		tap, err = engine.TapOutputs(ctx, nc, plan, *durable != "", "output", out.write, sync)
		if err != nil {
			out.close()
			return err
		}
	}
	if *showMetrics {
		sub, err := nc.Subscribe("kumeo.metrics."+plan.Name+".>", func(m *nats.Msg) {
			fmt.Fprintln(stdout, string(m.Data))
		})
		if err != nil {
			return err
		}
		defer sub.Unsubscribe()
	}

	var fed engine.FeedResult
	inputDone := make(chan error, 1)
	if *input != "" {
		go func() {
			res, err := run.Feed(ctx, *input)
			fed = res
			inputDone <- err
		}()
	} else {
		inputDone = nil
	}
	finite := run.Done()
	tty := isTerminal(stdout) && !*showMetrics
	ticker := time.NewTicker(500 * time.Millisecond)
	defer ticker.Stop()
	drained := false
	for !drained {
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
				drained = waitDrained(ctx, run, uint64(fed.Published), *durable != "")
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
		if *input == "" && run.Done() == nil && ctx.Err() == nil && run.Err() == nil {
			continue // serve until interrupted
		}
	}
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	stopErr := run.Stop(sctx)
	if out != nil {
		tctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		tapErr := tap.Close(tctx)
		if err := errors.Join(tapErr, out.close()); err != nil {
			return err
		}
	}
	fmt.Fprintln(stderr)
	printTable(stderr, run.Snapshots(), run.Ledger())
	if *durable != "" {
		fmt.Fprintf(stderr, "durable: %d events came from the backlog of an earlier run\n", run.Backlog())
	}
	if *input != "" {
		if fed.ResumedLine > 0 {
			fmt.Fprintf(stderr, "input: %d events published from line %d (byte %d) on, where an earlier run stopped; %d lines of %s stored in all\n",
				fed.Published, fed.ResumedLine, fed.ResumedOffset, fed.Lines, *input)
		} else {
			fmt.Fprintf(stderr, "input: %d events published from %s\n", fed.Published, *input)
		}
	}
	if err := run.Err(); err != nil {
		return err
	}
	l := run.Ledger()
	if !l.Balanced() {
		return fmt.Errorf("ledger out of balance: %+v", l)
	}
	return stopErr
}

// usesMQTT reports whether the workflow declares MQTT endpoints.
func usesMQTT(f *dsl.File, name string) bool {
	w := f.Workflow(name)
	if w == nil {
		return false
	}
	for _, e := range append(append([]*dsl.Endpoint{}, w.Sources...), w.Targets...) {
		if e.Type == "MQTT" {
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
