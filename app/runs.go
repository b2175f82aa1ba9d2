package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/kumeo/kumeo/dsl"
	"github.com/kumeo/kumeo/dsl/document"
	"github.com/kumeo/kumeo/engine"
	"github.com/kumeo/kumeo/engine/bus"
	"github.com/kumeo/kumeo/engine/trace"
)

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

// Runs is the service that runs documents on the embedded engine (an
// engine.Session) and streams what happens: metrics, status, dead letters,
// traces.
type Runs struct {
	emit Emitter
	ws   *Workspace
	s    *engine.Session
}

// NewRuns returns the Runs service for the documents of ws. Saving a
// document hot-reloads its running runs.
func NewRuns(ws *Workspace, opts RunsOptions) *Runs {
	if opts.Emit == nil {
		opts.Emit = Discard
	}
	r := &Runs{emit: opts.Emit, ws: ws}
	so := engine.SessionOptions{Bus: opts.Bus, Run: engine.Options{Logger: opts.Logger}, Interval: opts.Interval, StopTimeout: opts.StopTimeout,
		Events: engine.SessionEvents{Started: r.started, Status: r.status, Metrics: r.metrics, DeadLetter: r.deadLetter}}
	if so.Bus == nil {
		so.Server = bus.Options{MQTTListen: "127.0.0.1:0"}
	}
	s, err := engine.New(so)
	if err != nil {
		panic(err) // not reached: the options above are consistent
	}
	r.s = s
	ws.onSaved(r.reloadSaved)
	return r
}

func (r *Runs) started(j *engine.Job) { r.emit(StartedEventName, r.info(j)) }

func (r *Runs) status(j *engine.Job, state, reason string) {
	r.emit(StatusEventName(j.ID()), StatusEvent{ID: j.ID(), State: state, Error: reason})
}

func (r *Runs) metrics(j *engine.Job) {
	r.emit(MetricsEventName(j.ID()), MetricsEvent{ID: j.ID(), TS: time.Now().UnixMilli(), Snapshots: j.Run().Snapshots(), Ledger: j.Run().Ledger()})
}

func (r *Runs) deadLetter(j *engine.Job, dl engine.DeadLetter) {
	r.emit(DeadLetterEventName(j.ID()), dl)
}

// source is the document at path as the engine takes it.
func (r *Runs) source(path string) (engine.Source, error) {
	abs, f, diags, _, err := r.ws.source(path) // a text that does not parse has errors
	if err != nil {
		return engine.Source{}, err
	}
	return engine.Source{Path: abs, File: f, Diagnostics: diags}, nil
}

// Check returns why the document's current text cannot run: its language
// errors, or else the engine's plan errors. An empty list means it can run.
func (r *Runs) Check(path string) ([]Diag, error) {
	src, err := r.source(path)
	if err != nil {
		return nil, err
	}
	return convertDiags(r.s.Check(src), document.NewIndex(src.File.Src)), nil
}

// Start runs the document's current text, saved or not, on the embedded
// engine and starts streaming its events. A text that cannot run returns
// its diagnostics as the error (errors.As gives the dsl.Diagnostics back).
func (r *Runs) Start(path string) (RunInfo, error) {
	src, err := r.source(path)
	if err != nil {
		return RunInfo{}, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	j, err := r.s.Start(ctx, src)
	if err != nil {
		return RunInfo{}, cannotRun(err, src.File)
	}
	return r.info(j), nil
}

// info describes a run's current plan.
func (r *Runs) info(j *engine.Job) RunInfo {
	eng := j.Run()
	p := eng.Plan()
	state, _ := j.State()
	f, skipped := j.Skipped()
	info := RunInfo{ID: j.ID(), Path: j.Path(), Workflow: p.Name, Agents: []string{}, Sources: []SourceInfo{}, HTTPURL: eng.HTTPURL(),
		State: state, StartMS: float64(j.Took().Microseconds()) / 1000, Skipped: convertDiags(skipped, document.NewIndex(f.Src))}
	for _, ap := range p.Agents {
		info.Agents = append(info.Agents, ap.ID)
	}
	mqtt := false
	for _, s := range p.Sources {
		info.Sources = append(info.Sources, SourceInfo{Address: engine.Address(s), Type: s.Type, Subject: s.Subject})
		mqtt = mqtt || s.Type == dsl.TypeMQTT
	}
	for _, t := range p.Targets {
		mqtt = mqtt || t.Type == dsl.TypeMQTT
	}
	if mqtt {
		info.MQTTAddr = r.s.MQTTAddr()
	}
	return info
}

// planError is a text that cannot run as the window shows it: the
// engine's error (its diagnostics, and ErrPlan) with a message in the
// editor's lines and columns.
type planError struct {
	err   error
	diags []Diag
}

// cannotRun returns err as a *planError when it carries error diagnostics
// on the text of f, and as it is otherwise.
func cannotRun(err error, f *dsl.File) error {
	var diags dsl.Diagnostics
	if !errors.As(err, &diags) || !diags.HasErrors() {
		return err
	}
	return &planError{err: err, diags: convertDiags(diags.Errors(), document.NewIndex(f.Src))}
}

func (e *planError) Error() string {
	var b strings.Builder
	b.WriteString("the workflow cannot run:")
	for _, d := range e.diags {
		fmt.Fprintf(&b, "\nline %d, column %d: %s", d.Line, d.Col, d.Summary)
		if d.Detail != "" {
			b.WriteString(": " + d.Detail)
		}
		fmt.Fprintf(&b, " [%s]", d.Code)
	}
	return b.String()
}

func (e *planError) Unwrap() error { return e.err }

// Stop stops the run: it takes no more events, finishes the ones in flight
// and emits its last metrics and the stopped status. Its records, traces and
// dead letters stay available. Stopping a stopped run does nothing.
func (r *Runs) Stop(id string) error { return r.s.Stop(id) }

// List returns every run still known, running or recently stopped, in
// start order.
func (r *Runs) List() []RunInfo {
	jobs := r.s.List()
	out := make([]RunInfo, 0, len(jobs))
	for _, j := range jobs {
		out = append(out, r.info(j))
	}
	return out
}

// Reload applies the document's current text to the running run: agents
// whose definition did not change keep running, changed ones are rebuilt,
// queued events are kept. When the text cannot run, the old graph keeps
// running and the error says why.
func (r *Runs) Reload(id string) (ReloadResult, error) {
	j, err := r.s.Get(id)
	if err != nil {
		return ReloadResult{}, err
	}
	src, err := r.source(j.Path())
	if err != nil {
		return ReloadResult{}, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := r.s.Reload(ctx, id, src)
	if err != nil {
		return ReloadResult{}, cannotRun(err, src.File)
	}
	return ReloadResult{Kept: nonNil(res.Kept), Changed: nonNil(res.Changed), Added: nonNil(res.Added), Removed: nonNil(res.Removed)}, nil
}

// reloadSaved hot-reloads the running runs of a saved document and reports
// each outcome with ReloadedEventName.
func (r *Runs) reloadSaved(path string) {
	for _, j := range r.s.RunningFrom(path) {
		res, err := r.Reload(j.ID())
		ev := ReloadedRunEvent{ID: j.ID(), Result: res, Diagnostics: []Diag{}}
		if err != nil {
			ev.Error = err.Error()
			var pe *planError
			if errors.As(err, &pe) {
				ev.Diagnostics = pe.diags
			}
		}
		r.emit(ReloadedEventName(j.ID()), ev)
	}
}

// Send publishes a test event to the run's source with the given address
// (as written in the workflow; "" means the first source), starting a new
// trace, and remembers it in the source's history.
func (r *Runs) Send(id, sourceAddress, payload string) (SendResult, error) {
	return r.s.Send(id, sourceAddress, payload)
}

// Feed publishes every non-empty line of a JSON Lines file, as written, to
// the run's source with the given address ("" is the first source), each
// as a new trace. Lines that are not JSON objects are sent too: the run
// dead-letters them with the reason, as it would in production. A relative
// file name is resolved against the workflow's directory.
func (r *Runs) Feed(id, sourceAddress, file string) (FeedResult, error) {
	res, err := r.s.Feed(context.Background(), id, sourceAddress, file)
	return FeedResult{Events: res.Published}, err
}

// SentHistory returns the test events sent to a source of the run, most
// recent first (at most MaxSent).
func (r *Runs) SentHistory(id, sourceAddress string) ([]Sent, error) {
	j, err := r.s.Get(id)
	if err != nil {
		return nil, err
	}
	return j.SentHistory(sourceAddress), nil
}

// Recent returns up to n of the agent's most recent event records, oldest
// first (all it keeps when n <= 0).
func (r *Runs) Recent(id, agent string, n int) ([]trace.Record, error) {
	j, err := r.s.Get(id)
	if err != nil {
		return nil, err
	}
	return nonNil(j.Run().Recorder().Recent(agent, n)), nil
}

// Trace returns the recorded path of one trace through the run, in order.
func (r *Runs) Trace(id, traceID string) ([]trace.Record, error) {
	j, err := r.s.Get(id)
	if err != nil {
		return nil, err
	}
	path, _ := j.Run().Recorder().Trace(traceID)
	return nonNil(path), nil
}

// DeadLetters returns the run's dead letters, oldest first (at most
// MaxDeadLetters).
func (r *Runs) DeadLetters(id string) ([]DeadLetter, error) {
	j, err := r.s.Get(id)
	if err != nil {
		return nil, err
	}
	return j.DeadLetters(), nil
}

// Resend publishes a dead letter's original bytes again to the run's first
// source, as a new event.
func (r *Runs) Resend(id string, seq int) error { return r.s.Resend(id, seq) }

// shutdown stops every run and the bus Runs started.
func (r *Runs) shutdown(ctx context.Context) error { return r.s.Close(ctx) }

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
