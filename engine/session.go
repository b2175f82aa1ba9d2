package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/kumeo/kumeo/dsl"
	"github.com/kumeo/kumeo/engine/bus"
	"github.com/kumeo/kumeo/engine/endpoints"
)

// States of a session's run.
const (
	StateRunning = "running"
	StateStopped = "stopped"
	StateFailed  = "failed"
)

// Limits of what a session keeps per run.
const (
	MaxSent        = 20  // test events kept per source (SentHistory)
	MaxDeadLetters = 200 // dead letters kept per run
	MaxFinished    = 10  // stopped runs kept for inspection
)

// Errors of a session.
var (
	// ErrNoRun is returned for an unknown run id.
	ErrNoRun = errors.New("no such run")
	// ErrNotRunning is returned when a stopped run is asked to take events.
	ErrNotRunning = errors.New("run is not running")
	// ErrAlreadyRunning is returned by Start for a file or workflow that
	// already runs: two runs of one workflow would share subjects.
	ErrAlreadyRunning = errors.New("already running")
	// ErrNoSource is returned when a run has no source to publish to.
	ErrNoSource = errors.New("no such source")
	// ErrInvalidEvent is returned by Send for a payload that is not JSON.
	ErrInvalidEvent = errors.New("invalid event")
	// ErrNoDeadLetter is returned by Resend for an unknown sequence number.
	ErrNoDeadLetter = errors.New("no such dead letter")
)

// SessionOptions configure a Session.
type SessionOptions struct {
	// Bus is the embedded server every run uses. Nil starts one, as Server
	// says, on the first Start (or Bus call); Close shuts it down.
	Bus *bus.Bus
	// Server configures the bus the session starts when Bus is nil.
	Server bus.Options
	// Run holds the options every run starts with. The session sets Bus
	// and Dir (the directory of the run's file); Bus, NATSURL, Conn,
	// Listen and MQTTListen must be unset.
	Run Options
	// Interval between Metrics events; zero means 400 ms.
	Interval time.Duration
	// StopTimeout bounds how long Stop waits for events in flight; zero
	// means 10 s.
	StopTimeout time.Duration
	// Events receives what happens to the runs; nil fields drop it.
	Events SessionEvents
}

// SessionEvents are called as runs start, change state and dead-letter
// events. They are called without the session's locks held.
type SessionEvents struct {
	// Started is called for every run that starts, before its Status.
	Started func(*Job)
	// Status is called when a run starts, stops or fails by itself (err
	// then says why).
	Status func(j *Job, state, err string)
	// Metrics is called every Interval while a run runs, and once more
	// when it stops or fails.
	Metrics func(*Job)
	// DeadLetter is called for each event the run gives up on.
	DeadLetter func(*Job, DeadLetter)
}

// Session runs workflows on one embedded bus, at most one run per
// workflow, and keeps what a person testing them wants to see: each run's
// dead letters, the test events sent to each source, and the runs that
// stopped lately. The desktop app and kumeo run both use one.
type Session struct {
	opts SessionOptions

	startMu sync.Mutex // one Start at a time: the duplicate check holds

	mu     sync.Mutex
	bus    *bus.Bus
	ownBus bool
	nc     *nats.Conn // the session's own connection: test events, dead letters
	jobs   map[string]*Job
	order  []string // ids in start order
	next   int
}

// Source is what a run is started, checked or reloaded from.
type Source struct {
	// Path is the workflow's file: one run per file at a time, and
	// relative file names resolve in its directory.
	Path string
	File *dsl.File
	// Workflow names the workflow of File to run; "" is the first.
	Workflow string
	// Diagnostics are the checker's findings on File; an error among them
	// means the text cannot run.
	Diagnostics dsl.Diagnostics
}

// New returns a session after checking opts (an error wrapping ErrOptions
// names the fields that conflict). It starts nothing until the first run.
func New(opts SessionOptions) (*Session, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if opts.Interval <= 0 {
		opts.Interval = 400 * time.Millisecond
	}
	if opts.StopTimeout <= 0 {
		opts.StopTimeout = 10 * time.Second
	}
	if opts.Run.Logger == nil {
		opts.Run.Logger = slog.New(slog.DiscardHandler)
	}
	return &Session{opts: opts, jobs: map[string]*Job{}}, nil
}

func (o SessionOptions) validate() error {
	if o.Bus != nil && o.Server != (bus.Options{}) {
		return fmt.Errorf("%w: Bus and Server are set; Server configures the bus a session starts when it is given none", ErrOptions)
	}
	for _, f := range []struct {
		name string
		set  bool
	}{{"Run.Bus", o.Run.Bus != nil}, {"Run.NATSURL", o.Run.NATSURL != ""}, {"Run.Conn", o.Run.Conn != nil},
		{"Run.Listen", o.Run.Listen != ""}, {"Run.MQTTListen", o.Run.MQTTListen != ""}} {
		if f.set {
			return fmt.Errorf("%w: %s is set; a session runs everything on its bus (Bus, or Server for the one it starts)", ErrOptions, f.name)
		}
	}
	return nil
}

// Bus returns the session's bus, starting it the first time.
func (s *Session) Bus() (*bus.Bus, error) {
	b, _, err := s.conn()
	return b, err
}

// conn returns the bus and the session's connection, starting the bus the
// first time.
func (s *Session) conn() (*bus.Bus, *nats.Conn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.nc != nil {
		return s.bus, s.nc, nil
	}
	b := s.opts.Bus
	if b == nil {
		nb, err := startBus(s.opts.Server)
		if err != nil {
			return nil, nil, err
		}
		b = nb
		s.ownBus = true
	}
	nc, err := b.Connect(nats.Name("kumeo-session"))
	if err != nil {
		return nil, nil, err
	}
	s.bus, s.nc = b, nc
	return b, nc, nil
}

// startBus starts an embedded server and waits until it takes clients.
func startBus(o bus.Options) (*bus.Bus, error) {
	b, err := bus.New(o)
	if err != nil {
		return nil, err
	}
	if err := b.Start(); err != nil {
		return nil, err
	}
	if err := b.Ready(10 * time.Second); err != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		b.Shutdown(ctx)
		return nil, err
	}
	return b, nil
}

// MQTTEnabled says whether runs get an MQTT listener: the bus of the
// session has one, or will have when the session starts it.
func (s *Session) MQTTEnabled() bool {
	s.mu.Lock()
	b := s.bus
	s.mu.Unlock()
	if b == nil {
		b = s.opts.Bus
	}
	if b == nil {
		return s.opts.Server.MQTTListen != ""
	}
	return b.MQTTAddr() != ""
}

// MQTTAddr is the bus's MQTT listener, "" without one or before the bus
// starts.
func (s *Session) MQTTAddr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.bus == nil {
		return ""
	}
	return s.bus.MQTTAddr()
}

// Check returns why src cannot run: its language errors, or else the
// errors of its plan. An empty list means it can run.
func (s *Session) Check(src Source) dsl.Diagnostics {
	if src.Diagnostics.HasErrors() {
		return src.Diagnostics.Errors()
	}
	plan, diags := Compile(src.File, src.Workflow, PlanOptions{Dir: src.dir(), Endpoints: endpoints.Options{MQTTEnabled: s.MQTTEnabled()}})
	if plan != nil {
		for _, ap := range plan.Agents {
			closeAgent(ap.Agent)
		}
	}
	return diags.Errors()
}

// dir is where the run's relative file names resolve.
func (src Source) dir() string {
	if src.Path == "" {
		return ""
	}
	return filepath.Dir(src.Path)
}

// name is the name of the workflow src runs, "" when it has none.
func (src Source) name() string {
	if wf := src.File.Workflow(src.Workflow); wf != nil {
		return wf.Name
	}
	return ""
}

// Get returns the run with the given id, running or recently stopped.
func (s *Session) Get(id string) (*Job, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j := s.jobs[id]
	if j == nil {
		return nil, fmt.Errorf("run %q: %w", id, ErrNoRun)
	}
	return j, nil
}

// running returns the run if it is still taking events.
func (s *Session) running(id string) (*Job, error) {
	j, err := s.Get(id)
	if err != nil {
		return nil, err
	}
	if st, _ := j.State(); st != StateRunning {
		return nil, fmt.Errorf("run %s: %w (%s)", id, ErrNotRunning, st)
	}
	return j, nil
}

// List returns every run still known, running or recently stopped, in
// start order.
func (s *Session) List() []*Job {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*Job, 0, len(s.order))
	for _, id := range s.order {
		out = append(out, s.jobs[id])
	}
	return out
}

// RunningFrom returns the runs of the file at path that are running.
func (s *Session) RunningFrom(path string) []*Job {
	var out []*Job
	for _, j := range s.List() {
		if st, _ := j.State(); st == StateRunning && j.path == path {
			out = append(out, j)
		}
	}
	return out
}

// Close stops every run and the bus the session started.
func (s *Session) Close(ctx context.Context) error {
	var errs []error
	for _, j := range s.List() {
		errs = append(errs, s.Stop(j.id))
	}
	s.mu.Lock()
	nc, b, own := s.nc, s.bus, s.ownBus
	s.nc, s.bus, s.ownBus = nil, nil, false
	s.mu.Unlock()
	if nc != nil {
		nc.Close()
	}
	if own && b != nil {
		errs = append(errs, b.Shutdown(ctx))
	}
	return errors.Join(errs...)
}
