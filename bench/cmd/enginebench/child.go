package main

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/kumeo/kumeo/bench/internal/baseline"
	"github.com/kumeo/kumeo/bench/internal/loadgen"
	"github.com/kumeo/kumeo/bench/internal/workload"
	"github.com/kumeo/kumeo/dsl"
	"github.com/kumeo/kumeo/engine"
	"github.com/kumeo/kumeo/engine/bus"
)

// runChild runs one variant in this process and prints its result.
func runChild(c config) error {
	v, ok := findVariant(c.child)
	if !ok {
		return fmt.Errorf("unknown variant %q", c.child)
	}
	opts := loadgen.Options{
		InFlight:  c.inflight,
		Warmup:    c.warmup,
		Duration:  c.duration,
		Templates: workload.Templates(c.templates, c.seed),
	}
	var cpu cpuWindow
	opts.OnMeasure = func(start bool) {
		cpu.mark(start, selfCPU())
		if c.profileDir == "" {
			return
		}
		if !start {
			pprof.StopCPUProfile()
			return
		}
		f, err := os.Create(profilePath(c.profileDir, v.name))
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "enginebench: cpu profile: %v\n", err)
		}
	}
	var res childResult
	var err error
	switch v.system {
	case "kumeo", "durable":
		res, err = runKumeo(c, v, opts)
	case "baseline":
		res, err = runBaseline(v, opts)
	case "distributed":
		res, err = runDistributed(c, opts)
	default:
		err = fmt.Errorf("variant %q does not run in a child", v.name)
	}
	if err != nil {
		res.Error = err.Error()
	}
	if v.system == "distributed" {
		res.LoadgenCPUSeconds = cpu.seconds()
		res.LoadgenRSSMB = selfRSSMB()
	} else {
		res.CPUSeconds = cpu.seconds()
	}
	printResult(os.Stdout, res)
	return nil
}

// newBus starts an embedded server: in-process connections only
// ("inproc"), a loopback listener that Connect then uses ("tcp":
// PreferTCP), or a listener that only the load generator uses ("gentcp").
func newBus(conn, dataDir string) (*bus.Bus, error) {
	o := bus.Options{DataDir: dataDir}
	switch conn {
	case "tcp":
		o.Listen, o.PreferTCP = "127.0.0.1:0", true
	case "gentcp":
		o.Listen = "127.0.0.1:0"
	}
	b, err := bus.New(o)
	if err != nil {
		return nil, err
	}
	if err := b.Start(); err != nil {
		return nil, err
	}
	if err := b.Ready(60 * time.Second); err != nil {
		return nil, err
	}
	return b, nil
}

func shutdown(b *bus.Bus) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_ = b.Shutdown(ctx)
}

// runKumeo runs the workflow on the engine with default options (chained
// agents, 2 × GOMAXPROCS workers, default trace sampling and metrics),
// durable when the variant asks for it.
func runKumeo(c config, v variant, opts loadgen.Options) (childResult, error) {
	src, err := os.ReadFile(c.workflow)
	if err != nil {
		return childResult{}, err
	}
	f, diags := dsl.Parse(c.workflow, src)
	if diags.HasErrors() {
		return childResult{}, fmt.Errorf("%s: %v", c.workflow, diags)
	}
	var dataDir string
	if v.system == "durable" {
		if dataDir, err = os.MkdirTemp("", "enginebench-durable-*"); err != nil {
			return childResult{}, err
		}
		defer os.RemoveAll(dataDir)
	}
	b, err := newBus(v.conn, dataDir)
	if err != nil {
		return childResult{}, err
	}
	defer shutdown(b)
	// The GC setting kumeo run and kumeo agent use (GOGC still overrides).
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	ctx := context.Background()
	run, err := engine.Start(ctx, f, workload.Workflow, engine.Options{Bus: b, DataDir: dataDir})
	if err != nil {
		return childResult{}, err
	}
	connect := b.Connect
	if v.conn == "gentcp" {
		connect = b.ConnectTCP
	}
	nc, err := connect(nats.Name("enginebench"))
	if err != nil {
		run.Stop(ctx)
		return childResult{}, err
	}
	defer nc.Close()
	res, runErr := loadgen.RunNATS(nc, opts)
	out := childResult{Result: res}
	l := run.Ledger()
	out.Ledger = map[string]any{"in": l.In, "out": l.Out, "filtered": l.Filtered, "dead_lettered": l.DeadLettered, "in_flight": l.InFlight}
	for _, s := range run.Snapshots() {
		out.Agents = append(out.Agents, agentStat{ID: s.Agent, In: s.EventsIn, Errors: s.Errors, P50ms: s.LatencyMS.P50, P99ms: s.LatencyMS.P99})
	}
	stopCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := run.Stop(stopCtx); err != nil && runErr == nil {
		runErr = fmt.Errorf("stop: %w", err)
	}
	return out, runErr
}

// runBaseline runs the hand-written pipeline on its own embedded server.
func runBaseline(v variant, opts loadgen.Options) (childResult, error) {
	b, err := newBus(v.conn, "")
	if err != nil {
		return childResult{}, err
	}
	defer shutdown(b)
	p, err := baseline.Start(func() (*nats.Conn, error) { return b.Connect(nats.Name("baseline")) })
	if err != nil {
		return childResult{}, err
	}
	defer p.Stop()
	nc, err := b.Connect(nats.Name("enginebench"))
	if err != nil {
		return childResult{}, err
	}
	defer nc.Close()
	res, err := loadgen.RunNATS(nc, opts)
	return childResult{Result: res}, err
}

// cpuWindow is the CPU time a process used during the measured window.
type cpuWindow struct{ start, end time.Duration }

func (w *cpuWindow) mark(start bool, t time.Duration) {
	if start {
		w.start = t
	} else {
		w.end = t
	}
}

func (w *cpuWindow) seconds() float64 { return (w.end - w.start).Seconds() }

// selfCPU is the user + system CPU time of this process so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// selfRSSMB is this process's peak RSS so far in MiB.
func selfRSSMB() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return float64(ru.Maxrss) / 1024 // KiB on Linux
}
