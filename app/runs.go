package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/kumeo/kumeo/dsl"
	"github.com/kumeo/kumeo/engine"
	"github.com/kumeo/kumeo/engine/bus"
	"github.com/kumeo/kumeo/engine/endpoints"
	"github.com/kumeo/kumeo/engine/metrics"
	"github.com/kumeo/kumeo/engine/trace"
)

// Run states reported by StatusEvent.
const (
	StateRunning = "running"
	StateStopped = "stopped"
	StateFailed  = "failed"
)

// Limits of what Runs keeps per run.
const (
	MaxSent        = 20  // test events kept per source (SentHistory)
	MaxDeadLetters = 200 // dead letters kept per run
	MaxFinished    = 10  // stopped runs kept for inspection
)

var (
	// ErrNoRun is returned for an unknown run id.
	ErrNoRun = errors.New("no such run")
	// ErrNotRunning is returned when a stopped run is asked to take events.
	ErrNotRunning = errors.New("run is not running")
	// ErrAlreadyRunning is returned by Start for a document or workflow
	// that already runs: two runs of one workflow would share subjects.
	ErrAlreadyRunning = errors.New("already running")
	// ErrNoSource is returned by Send and Resend when the run has no
	// source to publish to.
	ErrNoSource = errors.New("no such source")
	// ErrInvalidEvent is returned by Send for a payload that is not JSON.
	ErrInvalidEvent = errors.New("invalid event")
	// ErrNoDeadLetter is returned by Resend for an unknown sequence number.
	ErrNoDeadLetter = errors.New("no such dead letter")
)

// MetricsEventName is the event carrying a run's MetricsEvent.
func MetricsEventName(id string) string { return "run:" + id + ":metrics" }

// StatusEventName is the event carrying a run's StatusEvent.
func StatusEventName(id string) string { return "run:" + id + ":status" }

// DeadLetterEventName is the event carrying each new DeadLetter of a run.
func DeadLetterEventName(id string) string { return "run:" + id + ":deadletter" }

// StartedEventName is the event carrying the RunInfo of every run that
// starts, whoever started it (the Run button, or the --run flag).
const StartedEventName = "runs:started"

// ReloadedEventName is the event carrying a ReloadedRunEvent after a hot
// reload on save.
func ReloadedEventName(id string) string { return "run:" + id + ":reloaded" }

// RunsOptions configure Runs.
type RunsOptions struct {
	// Emit receives the run events; nil drops them.
	Emit Emitter
	// Bus is the embedded server runs use. Nil starts one on the first
	// Start, shared by every run and shut down by App.Shutdown, with an
	// MQTT listener on a random loopback port so MQTT sources and targets
	// run (RunInfo.MQTTAddr says where).
	Bus *bus.Bus
	// Interval between metrics events; zero means 400 ms.
	Interval time.Duration
	// StopTimeout bounds how long Stop waits for events in flight; zero
	// means 10 s.
	StopTimeout time.Duration
	// Logger receives engine logs; nil discards them.
	Logger *slog.Logger
}

// Runs is the service that runs documents on the embedded engine and
// streams what happens: metrics, status, dead letters, traces.
type Runs struct {
	opts RunsOptions
	emit Emitter
	ws   *Workspace

	startMu sync.Mutex // one Start at a time: the duplicate check holds

	mu     sync.Mutex
	bus    *bus.Bus
	ownBus bool
	nc     *nats.Conn // the app's own connection: test events, dead letters
	runs   map[string]*run
	order  []string // ids in start order
	next   int
}

// run is one run of a document.
type run struct {
	id   string
	path string
	eng  *engine.Run
	sub  *nats.Subscription
	stop chan struct{}
	done chan struct{}

	stopOnce sync.Once

	mu       sync.Mutex
	info     RunInfo
	state    string
	err      string
	dead     []DeadLetter
	deadNext int
	sent     map[string][]Sent
}

// RunInfo describes a started run.
type RunInfo struct {
	ID       string       `json:"id"`
	Path     string       `json:"path"`
	Workflow string       `json:"workflow"`
	Agents   []string     `json:"agents"` // agent ids in pipeline order
	Sources  []SourceInfo `json:"sources"`
	HTTPURL  string       `json:"httpURL"` // base URL of HTTP sources, "" when none
	// MQTTAddr is the host:port MQTT clients publish to when the workflow
	// has MQTT endpoints, "" otherwise.
	MQTTAddr string `json:"mqttAddr"`
	State    string `json:"state"`
	// StartMS is how long Start took, the bus start included when it was
	// the first run.
	StartMS float64 `json:"startMs"`
	// Skipped says what the run goes without (contexts, output_schema
	// checks, on_failure notifications), as warnings on the text; empty
	// when it runs all of the workflow.
	Skipped []Diag `json:"skipped"`
}

// SourceInfo is one source of a run: Address as written in the workflow
// (what Send takes), its type and the subject its events are read from.
type SourceInfo struct {
	Address string `json:"address"`
	Type    string `json:"type"`
	Subject string `json:"subject"`
}

// MetricsEvent is the payload of MetricsEventName: every agent's snapshot
// and the run's ledger.
type MetricsEvent struct {
	ID        string             `json:"id"`
	TS        int64              `json:"ts"` // milliseconds since the Unix epoch
	Snapshots []metrics.Snapshot `json:"snapshots"`
	Ledger    engine.Ledger      `json:"ledger"`
}

// StatusEvent is the payload of StatusEventName.
type StatusEvent struct {
	ID    string `json:"id"`
	State string `json:"state"` // running, stopped or failed
	Error string `json:"error"`
}

// ReloadResult says what a hot reload changed.
type ReloadResult struct {
	Kept    []string `json:"kept"`
	Changed []string `json:"changed"`
	Added   []string `json:"added"`
	Removed []string `json:"removed"`
}

// ReloadedRunEvent is the payload of ReloadedEventName: the result of the
// hot reload a save triggered, or why it failed (the old graph then keeps
// running).
type ReloadedRunEvent struct {
	ID          string       `json:"id"`
	Result      ReloadResult `json:"result"`
	Error       string       `json:"error"`
	Diagnostics []Diag       `json:"diagnostics"`
}

// SendResult identifies a test event sent to a run.
type SendResult struct {
	EventID string `json:"eventID"`
	TraceID string `json:"traceID"`
}

// Sent is one test event in a source's history.
type Sent struct {
	EventID string `json:"eventID"`
	TraceID string `json:"traceID"`
	Payload string `json:"payload"`
	TS      int64  `json:"ts"`
}

// DeadLetter is one event the run gave up on: the original bytes, the agent
// and its error.
type DeadLetter struct {
	Seq     int    `json:"seq"` // 1-based, in arrival order within the run
	Agent   string `json:"agent"`
	Error   string `json:"error"`
	Payload string `json:"payload"`
	TraceID string `json:"traceID"`
	TS      int64  `json:"ts"`
}

// PlanError is returned when a document cannot run. Its message lists the
// problems; Diagnostics holds them for the editor.
type PlanError struct {
	Path        string
	Diagnostics []Diag
}

func (e *PlanError) Error() string {
	var b strings.Builder
	b.WriteString("the workflow cannot run:")
	n := 0
	for _, d := range e.Diagnostics {
		if d.Severity != "error" {
			continue
		}
		n++
		fmt.Fprintf(&b, "\nline %d, column %d: %s", d.Line, d.Col, d.Summary)
		if d.Detail != "" {
			b.WriteString(": " + d.Detail)
		}
		fmt.Fprintf(&b, " [%s]", d.Code)
	}
	if n == 0 {
		b.WriteString(" unknown problem")
	}
	return b.String()
}

// Unwrap makes errors.Is(err, engine.ErrPlan) hold.
func (e *PlanError) Unwrap() error { return engine.ErrPlan }

// NewRuns returns the Runs service for the documents of ws. Saving a
// document hot-reloads its running runs.
func NewRuns(ws *Workspace, opts RunsOptions) *Runs {
	if opts.Emit == nil {
		opts.Emit = Discard
	}
	if opts.Interval <= 0 {
		opts.Interval = 400 * time.Millisecond
	}
	if opts.StopTimeout <= 0 {
		opts.StopTimeout = 10 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	r := &Runs{opts: opts, emit: opts.Emit, ws: ws, runs: map[string]*run{}}
	ws.mu.Lock()
	ws.afterSave = r.reloadSaved
	ws.mu.Unlock()
	return r
}

// conn returns the bus and the app's connection, starting the bus the
// first time.
func (r *Runs) conn() (*bus.Bus, *nats.Conn, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.nc != nil {
		return r.bus, r.nc, nil
	}
	b := r.opts.Bus
	if b == nil {
		nb, err := bus.New(bus.Options{MQTTListen: "127.0.0.1:0"})
		if err != nil {
			return nil, nil, err
		}
		if err := nb.Start(); err != nil {
			return nil, nil, err
		}
		if err := nb.Ready(10 * time.Second); err != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			nb.Shutdown(ctx)
			return nil, nil, err
		}
		b = nb
		r.ownBus = true
	}
	nc, err := b.Connect(nats.Name("kumeo-app"))
	if err != nil {
		return nil, nil, err
	}
	r.bus, r.nc = b, nc
	return b, nc, nil
}

// source is what Start, Check and Reload read of a document.
type source struct {
	path  string
	file  *dsl.File
	index *textIndex
	diags dsl.Diagnostics
	ok    bool // parses without errors and has no error diagnostics
}

func (r *Runs) source(path string) (source, error) {
	w := r.ws
	w.mu.Lock()
	defer w.mu.Unlock()
	d, err := w.doc(path)
	if err != nil {
		return source{}, err
	}
	return source{path: d.Path(), file: d.File(), index: d.Index(), diags: d.Diags(), ok: d.ParseOK() && !d.Diags().HasErrors()}, nil
}

// Check returns why the document's current text cannot run: its language
// errors, or else the engine's plan errors. An empty list means it can run.
func (r *Runs) Check(path string) ([]Diag, error) {
	src, err := r.source(path)
	if err != nil {
		return nil, err
	}
	if !src.ok {
		return convertDiags(src.diags.Errors(), src.index), nil
	}
	plan, diags := engine.Compile(src.file, "", engine.PlanOptions{Dir: dirOf(src.path), Endpoints: endpoints.Options{MQTTEnabled: r.mqttEnabled()}})
	if plan != nil {
		for _, ap := range plan.Agents {
			if c, ok := ap.Agent.(interface{ Close() error }); ok {
				c.Close()
			}
		}
	}
	return convertDiags(diags.Errors(), src.index), nil
}

// Start runs the document's current text, saved or not, on the embedded
// engine and starts streaming its events. A text that cannot run returns a
// *PlanError.
func (r *Runs) Start(path string) (RunInfo, error) {
	r.startMu.Lock()
	defer r.startMu.Unlock()
	t0 := time.Now()
	src, err := r.source(path)
	if err != nil {
		return RunInfo{}, err
	}
	if !src.ok {
		return RunInfo{}, &PlanError{Path: src.path, Diagnostics: convertDiags(src.diags.Errors(), src.index)}
	}
	name := ""
	if wf := src.file.Workflow(""); wf != nil {
		name = wf.Name
	}
	r.mu.Lock()
	for _, x := range r.runs {
		x.mu.Lock()
		active, w := x.state == StateRunning, x.info.Workflow
		x.mu.Unlock()
		if active && (x.path == src.path || w == name) {
			r.mu.Unlock()
			return RunInfo{}, fmt.Errorf("start %s: workflow %s is %w as run %s", src.path, w, ErrAlreadyRunning, x.id)
		}
	}
	r.next++
	id := fmt.Sprintf("r%d", r.next)
	r.mu.Unlock()

	b, nc, err := r.conn()
	if err != nil {
		return RunInfo{}, fmt.Errorf("start %s: %w", src.path, err)
	}
	x := &run{id: id, path: src.path, stop: make(chan struct{}), done: make(chan struct{}), state: StateRunning, sent: map[string][]Sent{}}
	if name != "" {
		x.sub, err = nc.Subscribe(engine.DLQSubject(name), func(m *nats.Msg) { r.deadLetter(x, m) })
		if err != nil {
			return RunInfo{}, fmt.Errorf("start %s: %w", src.path, err)
		}
		x.sub.SetPendingLimits(-1, -1)
		if err := nc.Flush(); err != nil {
			x.sub.Unsubscribe()
			return RunInfo{}, fmt.Errorf("start %s: %w", src.path, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	eng, diags, err := engine.Start(ctx, src.file, "", engine.Options{Bus: b, Dir: dirOf(src.path), Logger: r.opts.Logger})
	if err != nil {
		if x.sub != nil {
			x.sub.Unsubscribe()
		}
		if errors.Is(err, engine.ErrPlan) {
			return RunInfo{}, &PlanError{Path: src.path, Diagnostics: convertDiags(diags.Errors(), src.index)}
		}
		return RunInfo{}, fmt.Errorf("start %s: %w", src.path, err)
	}
	x.eng = eng
	x.info = runInfo(id, src.path, eng, b.MQTTAddr())
	x.info.Skipped = convertDiags(diags, src.index)
	x.info.StartMS = float64(time.Since(t0).Microseconds()) / 1000
	info := x.info

	r.mu.Lock()
	r.runs[id] = x
	r.order = append(r.order, id)
	r.pruneLocked()
	r.mu.Unlock()

	r.emit(StartedEventName, info)
	r.emit(StatusEventName(id), StatusEvent{ID: id, State: StateRunning})
	go r.stream(x)
	return info, nil
}

// runInfo describes eng's current plan.
func runInfo(id, path string, eng *engine.Run, mqttAddr string) RunInfo {
	p := eng.Plan()
	info := RunInfo{ID: id, Path: path, Workflow: p.Name, Agents: []string{}, Sources: []SourceInfo{}, HTTPURL: eng.HTTPURL(), State: StateRunning, Skipped: []Diag{}}
	for _, ap := range p.Agents {
		info.Agents = append(info.Agents, ap.ID)
	}
	mqtt := false
	for _, s := range p.Sources {
		info.Sources = append(info.Sources, SourceInfo{Address: address(s), Type: s.Type, Subject: s.Subject})
		mqtt = mqtt || s.Type == "MQTT"
	}
	for _, t := range p.Targets {
		mqtt = mqtt || t.Type == "MQTT"
	}
	if mqtt {
		info.MQTTAddr = mqttAddr
	}
	return info
}

func address(e *endpoints.Endpoint) string {
	if e.Decl != nil {
		return e.Decl.Address
	}
	return e.Subject
}

// pruneLocked forgets the oldest finished runs beyond MaxFinished; r.mu
// must be held.
func (r *Runs) pruneLocked() {
	finished := 0
	for i := len(r.order) - 1; i >= 0; i-- {
		x := r.runs[r.order[i]]
		x.mu.Lock()
		active := x.state == StateRunning
		x.mu.Unlock()
		if active {
			continue
		}
		if finished++; finished > MaxFinished {
			delete(r.runs, x.id)
			r.order = append(r.order[:i], r.order[i+1:]...)
		}
	}
}

// stream emits the run's metrics every Interval until it stops. A run
// that cannot go on by itself (its connection closed, a source failed, its
// HTTP listener stopped) is reported failed with the engine's reason, then
// released.
func (r *Runs) stream(x *run) {
	defer close(x.done)
	t := time.NewTicker(r.opts.Interval)
	defer t.Stop()
	for {
		select {
		case <-x.stop:
			return
		case <-t.C:
			r.emitMetrics(x)
		case <-x.eng.Fault():
			r.emitMetrics(x)
			if r.fail(x, x.eng.Err()) {
				// Stop (once this returns) releases what the run still
				// holds; the failed state and its reason stay.
				go r.Stop(x.id)
			}
			return
		}
	}
}

// fail marks a running run failed and emits its status; it reports whether
// the run was running.
func (r *Runs) fail(x *run, err error) bool {
	msg := "the run stopped by itself"
	if err != nil {
		msg = err.Error()
	}
	x.mu.Lock()
	failed := x.state == StateRunning
	if failed {
		x.state, x.err, x.info.State = StateFailed, msg, StateFailed
	}
	x.mu.Unlock()
	if failed {
		r.opts.Logger.Error("run failed", "run", x.id, "error", msg)
		r.emit(StatusEventName(x.id), StatusEvent{ID: x.id, State: StateFailed, Error: msg})
	}
	return failed
}

func (r *Runs) emitMetrics(x *run) {
	r.emit(MetricsEventName(x.id), MetricsEvent{ID: x.id, TS: time.Now().UnixMilli(), Snapshots: x.eng.Snapshots(), Ledger: x.eng.Ledger()})
}

// deadLetter records a message of the run's dead-letter subject.
func (r *Runs) deadLetter(x *run, m *nats.Msg) {
	dl := DeadLetter{Agent: m.Header.Get(engine.HeaderAgent), Error: m.Header.Get(engine.HeaderError),
		Payload: string(m.Data), TS: time.Now().UnixMilli()}
	if s, ok := trace.Extract(m.Header); ok {
		dl.TraceID = s.TraceID
	}
	x.mu.Lock()
	x.deadNext++
	dl.Seq = x.deadNext
	x.dead = append(x.dead, dl)
	if len(x.dead) > MaxDeadLetters {
		x.dead = append(x.dead[:0:0], x.dead[len(x.dead)-MaxDeadLetters:]...)
	}
	x.mu.Unlock()
	r.emit(DeadLetterEventName(x.id), dl)
}

func (r *Runs) get(id string) (*run, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	x := r.runs[id]
	if x == nil {
		return nil, fmt.Errorf("run %q: %w", id, ErrNoRun)
	}
	return x, nil
}

// running returns the run if it is still taking events.
func (r *Runs) running(id string) (*run, error) {
	x, err := r.get(id)
	if err != nil {
		return nil, err
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.state != StateRunning {
		return nil, fmt.Errorf("run %s: %w (%s)", id, ErrNotRunning, x.state)
	}
	return x, nil
}

// Stop stops the run: it takes no more events, finishes the ones in flight
// and emits its last metrics and the stopped status. Its records, traces and
// dead letters stay available. Stopping a stopped run does nothing.
func (r *Runs) Stop(id string) error {
	x, err := r.get(id)
	if err != nil {
		return err
	}
	x.stopOnce.Do(func() { err = r.stopRun(x) })
	return err
}

func (r *Runs) stopRun(x *run) error {
	close(x.stop)
	<-x.done
	ctx, cancel := context.WithTimeout(context.Background(), r.opts.StopTimeout)
	defer cancel()
	err := x.eng.Stop(ctx)
	if x.sub != nil {
		// Dead letters the run published before it stopped are on their way
		// to the app's connection: a round trip brings them in, then the
		// subscription drains them.
		r.mu.Lock()
		nc := r.nc
		r.mu.Unlock()
		nc.FlushTimeout(2 * time.Second)
		x.sub.Drain()
	}
	r.emitMetrics(x)
	st := StatusEvent{ID: x.id, State: StateStopped}
	if err != nil {
		st.State, st.Error = StateFailed, err.Error()
		err = fmt.Errorf("stop %s: %w", x.id, err)
	}
	x.mu.Lock()
	if x.state == StateFailed {
		// It failed by itself and was reported then: it keeps that reason.
		x.mu.Unlock()
		return err
	}
	x.state, x.err, x.info.State = st.State, st.Error, st.State
	x.mu.Unlock()
	r.emit(StatusEventName(x.id), st)
	return err
}

// List returns every run still known, running or recently stopped, in
// start order.
func (r *Runs) List() []RunInfo {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]RunInfo, 0, len(r.order))
	for _, id := range r.order {
		x := r.runs[id]
		x.mu.Lock()
		out = append(out, x.info)
		x.mu.Unlock()
	}
	return out
}

// Reload applies the document's current text to the running run: agents
// whose definition did not change keep running, changed ones are rebuilt,
// queued events are kept. When the text cannot run, the old graph keeps
// running and the error (a *PlanError) says why.
func (r *Runs) Reload(id string) (ReloadResult, error) {
	x, err := r.running(id)
	if err != nil {
		return ReloadResult{}, err
	}
	src, err := r.source(x.path)
	if err != nil {
		return ReloadResult{}, err
	}
	if !src.ok {
		return ReloadResult{}, &PlanError{Path: src.path, Diagnostics: convertDiags(src.diags.Errors(), src.index)}
	}
	x.mu.Lock()
	wf := x.info.Workflow
	x.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, diags, err := x.eng.Reload(ctx, src.file, wf)
	if err != nil {
		if errors.Is(err, engine.ErrPlan) {
			pe := &PlanError{Path: src.path, Diagnostics: convertDiags(diags.Errors(), src.index)}
			if len(pe.Diagnostics) == 0 {
				return ReloadResult{}, fmt.Errorf("reload %s: %w", id, err)
			}
			return ReloadResult{}, pe
		}
		return ReloadResult{}, fmt.Errorf("reload %s: %w", id, err)
	}
	info := runInfo(id, x.path, x.eng, r.mqttAddr())
	info.Skipped = convertDiags(diags, src.index)
	x.mu.Lock()
	info.StartMS, info.State = x.info.StartMS, x.state
	x.info = info
	x.mu.Unlock()
	return ReloadResult{Kept: nonNil(res.Kept), Changed: nonNil(res.Changed), Added: nonNil(res.Added), Removed: nonNil(res.Removed)}, nil
}

// reloadSaved hot-reloads the running runs of a saved document and reports
// each outcome with ReloadedEventName.
func (r *Runs) reloadSaved(path string) {
	r.mu.Lock()
	var ids []string
	for _, id := range r.order {
		x := r.runs[id]
		x.mu.Lock()
		if x.path == path && x.state == StateRunning {
			ids = append(ids, id)
		}
		x.mu.Unlock()
	}
	r.mu.Unlock()
	for _, id := range ids {
		res, err := r.Reload(id)
		ev := ReloadedRunEvent{ID: id, Result: res, Diagnostics: []Diag{}}
		if err != nil {
			ev.Error = err.Error()
			var pe *PlanError
			if errors.As(err, &pe) {
				ev.Diagnostics = pe.Diagnostics
			}
		}
		r.emit(ReloadedEventName(id), ev)
	}
}

// Send publishes a test event to the run's source with the given address
// (as written in the workflow; "" means the first source), starting a new
// trace, and remembers it in the source's history.
func (r *Runs) Send(id, sourceAddress, payload string) (SendResult, error) {
	x, err := r.running(id)
	if err != nil {
		return SendResult{}, err
	}
	ep, err := x.source(sourceAddress)
	if err != nil {
		return SendResult{}, err
	}
	if !json.Valid([]byte(payload)) {
		return SendResult{}, fmt.Errorf("send to %s: %w: the payload is not valid JSON", ep.Name, ErrInvalidEvent)
	}
	span := trace.Root(ep.Name)
	if err := r.publish(&nats.Msg{Subject: ep.Subject, Data: []byte(payload), Header: span.Header()}); err != nil {
		return SendResult{}, fmt.Errorf("send to %s: %w", ep.Name, err)
	}
	addr := address(ep)
	x.mu.Lock()
	h := append([]Sent{{EventID: span.EventID, TraceID: span.TraceID, Payload: payload, TS: time.Now().UnixMilli()}}, x.sent[addr]...)
	if len(h) > MaxSent {
		h = h[:MaxSent]
	}
	x.sent[addr] = h
	x.mu.Unlock()
	return SendResult{EventID: span.EventID, TraceID: span.TraceID}, nil
}

// source finds the run's source by address; "" is the first source whose
// subject has no wildcard.
func (x *run) source(addr string) (*endpoints.Endpoint, error) {
	for _, s := range x.eng.Plan().Sources {
		if addr == "" && !strings.ContainsAny(s.Subject, "*>") || addr != "" && (address(s) == addr || s.Subject == addr) {
			if strings.ContainsAny(s.Subject, "*>") {
				return nil, fmt.Errorf("run %s: source %s reads the wildcard subject %s: %w to publish to", x.id, s.Name, s.Subject, ErrNoSource)
			}
			return s, nil
		}
	}
	if addr == "" {
		return nil, fmt.Errorf("run %s: %w: no source with a literal subject", x.id, ErrNoSource)
	}
	return nil, fmt.Errorf("run %s: %w %q", x.id, ErrNoSource, addr)
}

// mqttEnabled says whether runs get an MQTT listener: the bus Runs starts
// has one; a bus given in RunsOptions may.
func (r *Runs) mqttEnabled() bool {
	r.mu.Lock()
	b := r.bus
	r.mu.Unlock()
	if b == nil {
		b = r.opts.Bus
	}
	return b == nil || b.MQTTAddr() != ""
}

// mqttAddr is the bus's MQTT listener, "" without one.
func (r *Runs) mqttAddr() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.bus == nil {
		return ""
	}
	return r.bus.MQTTAddr()
}

func (r *Runs) publish(m *nats.Msg) error {
	r.mu.Lock()
	nc := r.nc
	r.mu.Unlock()
	if err := nc.PublishMsg(m); err != nil {
		return err
	}
	return nc.FlushTimeout(5 * time.Second)
}

// SentHistory returns the test events sent to a source of the run, most
// recent first (at most MaxSent).
func (r *Runs) SentHistory(id, sourceAddress string) ([]Sent, error) {
	x, err := r.get(id)
	if err != nil {
		return nil, err
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	key := sourceAddress
	if key == "" && len(x.info.Sources) > 0 {
		key = x.info.Sources[0].Address
	}
	return append([]Sent{}, x.sent[key]...), nil
}

// Recent returns up to n of the agent's most recent event records, oldest
// first (all it keeps when n <= 0).
func (r *Runs) Recent(id, agent string, n int) ([]trace.Record, error) {
	x, err := r.get(id)
	if err != nil {
		return nil, err
	}
	return nonNil(x.eng.Recorder().Recent(agent, n)), nil
}

// Trace returns the recorded path of one trace through the run, in order.
func (r *Runs) Trace(id, traceID string) ([]trace.Record, error) {
	x, err := r.get(id)
	if err != nil {
		return nil, err
	}
	path, _ := x.eng.Recorder().Trace(traceID)
	return nonNil(path), nil
}

// DeadLetters returns the run's dead letters, oldest first (at most
// MaxDeadLetters).
func (r *Runs) DeadLetters(id string) ([]DeadLetter, error) {
	x, err := r.get(id)
	if err != nil {
		return nil, err
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	return append([]DeadLetter{}, x.dead...), nil
}

// Resend publishes a dead letter's original bytes again to the run's first
// source, as a new event.
func (r *Runs) Resend(id string, seq int) error {
	x, err := r.running(id)
	if err != nil {
		return err
	}
	x.mu.Lock()
	var payload []byte
	found := false
	for _, d := range x.dead {
		if d.Seq == seq {
			payload, found = []byte(d.Payload), true
			break
		}
	}
	x.mu.Unlock()
	if !found {
		return fmt.Errorf("run %s: %w %d", id, ErrNoDeadLetter, seq)
	}
	ep, err := x.source("")
	if err != nil {
		return err
	}
	if err := r.publish(&nats.Msg{Subject: ep.Subject, Data: payload}); err != nil {
		return fmt.Errorf("resend to %s: %w", ep.Name, err)
	}
	return nil
}

// shutdown stops every run and the bus Runs started.
func (r *Runs) shutdown(ctx context.Context) error {
	r.mu.Lock()
	ids := append([]string(nil), r.order...)
	r.mu.Unlock()
	var errs []error
	for _, id := range ids {
		errs = append(errs, r.Stop(id))
	}
	r.mu.Lock()
	nc, b, own := r.nc, r.bus, r.ownBus
	r.nc, r.bus, r.ownBus = nil, nil, false
	r.mu.Unlock()
	if nc != nil {
		nc.Close()
	}
	if own && b != nil {
		errs = append(errs, b.Shutdown(ctx))
	}
	return errors.Join(errs...)
}

func dirOf(path string) string { return filepath.Dir(path) }

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
