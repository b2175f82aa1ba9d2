package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/kumeo/kumeo/dsl"
	"github.com/kumeo/kumeo/engine/trace"
)

// Job is one run of a session: the engine's Run and what the session keeps
// of it.
type Job struct {
	id   string
	path string
	run  *Run
	took time.Duration
	sub  *nats.Subscription // the workflow's dead letters
	stop chan struct{}
	done chan struct{}

	stopOnce sync.Once

	mu       sync.Mutex
	file     *dsl.File       // the text running, as of the last Start or Reload
	skipped  dsl.Diagnostics // what it goes without; ranges index file
	state    string
	err      string
	dead     []DeadLetter
	deadNext int
	sent     map[string][]Sent
}

// DeadLetter is one event a run gave up on: the original bytes, the agent
// and its error.
type DeadLetter struct {
	Seq     int    `json:"seq"` // 1-based, in arrival order within the run
	Agent   string `json:"agent"`
	Error   string `json:"error"`
	Payload string `json:"payload"`
	TraceID string `json:"traceID"`
	TS      int64  `json:"ts"`
}

// Sent is one test event in a source's history.
type Sent struct {
	EventID string `json:"eventID"`
	TraceID string `json:"traceID"`
	Payload string `json:"payload"`
	TS      int64  `json:"ts"`
}

// ID is the run's id within its session: r1, r2, ...
func (j *Job) ID() string { return j.id }

// Path is the file the run was started from.
func (j *Job) Path() string { return j.path }

// Run is the engine's run.
func (j *Job) Run() *Run { return j.run }

// Took is how long Start took, the bus start included when it was the
// session's first run.
func (j *Job) Took() time.Duration { return j.took }

// State returns running, stopped or failed, and why a failed run failed.
func (j *Job) State() (state, reason string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.state, j.err
}

// Skipped returns the text the run executes, as of its last Start or
// Reload, and what the run goes without (Run.Skipped) on that text.
func (j *Job) Skipped() (*dsl.File, dsl.Diagnostics) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.file, j.skipped
}

// DeadLetters returns the run's dead letters, oldest first (at most
// MaxDeadLetters).
func (j *Job) DeadLetters() []DeadLetter {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]DeadLetter{}, j.dead...)
}

// SentHistory returns the test events sent to a source of the run, most
// recent first (at most MaxSent); "" is the run's first source.
func (j *Job) SentHistory(address string) []Sent {
	if address == "" {
		if srcs := j.run.Plan().Sources; len(srcs) > 0 {
			address = Address(srcs[0])
		}
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]Sent{}, j.sent[address]...)
}

// Start runs src on the session's bus, unless its workflow or file runs
// already (ErrAlreadyRunning). A text that cannot run is refused with its
// diagnostics, as engine.Start refuses it.
func (s *Session) Start(ctx context.Context, src Source) (*Job, error) {
	s.startMu.Lock()
	defer s.startMu.Unlock()
	t0 := time.Now()
	if src.Diagnostics.HasErrors() {
		return nil, planFailure(src.Diagnostics.Errors())
	}
	id, err := s.reserve(src)
	if err != nil {
		return nil, err
	}
	b, nc, err := s.conn()
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", src.Path, err)
	}
	j := &Job{id: id, path: src.Path, file: src.File, stop: make(chan struct{}), done: make(chan struct{}), state: StateRunning, sent: map[string][]Sent{}}
	if err := s.subscribeDeadLetters(j, nc, src.name()); err != nil {
		return nil, fmt.Errorf("start %s: %w", src.Path, err)
	}
	opts := s.opts.Run
	opts.Bus, opts.Dir = b, src.dir()
	run, err := Start(ctx, src.File, src.Workflow, opts)
	if err != nil {
		if j.sub != nil {
			j.sub.Unsubscribe()
		}
		if errors.Is(err, ErrPlan) {
			return nil, err
		}
		return nil, fmt.Errorf("start %s: %w", src.Path, err)
	}
	j.run, j.took, j.skipped = run, time.Since(t0), run.Skipped()
	s.mu.Lock()
	s.jobs[id] = j
	s.order = append(s.order, id)
	s.pruneLocked()
	s.mu.Unlock()
	if f := s.opts.Events.Started; f != nil {
		f(j)
	}
	s.status(j, StateRunning, "")
	go s.watch(j)
	return j, nil
}

// reserve refuses a second run of src's file or workflow and returns the
// id of the new run.
func (s *Session) reserve(src Source) (string, error) {
	name := src.name()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, j := range s.jobs {
		st, _ := j.State()
		w := j.run.Plan().Name
		if st == StateRunning && (j.path == src.Path || w == name) {
			return "", fmt.Errorf("start %s: workflow %s is %w as run %s", src.Path, w, ErrAlreadyRunning, j.id)
		}
	}
	s.next++
	return fmt.Sprintf("r%d", s.next), nil
}

// subscribeDeadLetters has the session keep the workflow's dead letters.
func (s *Session) subscribeDeadLetters(j *Job, nc *nats.Conn, workflow string) error {
	if workflow == "" {
		return nil
	}
	sub, err := nc.Subscribe(DLQSubject(workflow), func(m *nats.Msg) { s.deadLetter(j, m) })
	if err != nil {
		return err
	}
	sub.SetPendingLimits(-1, -1)
	if err := nc.Flush(); err != nil {
		sub.Unsubscribe()
		return err
	}
	j.sub = sub
	return nil
}

// deadLetter records a message of the run's dead-letter subject.
func (s *Session) deadLetter(j *Job, m *nats.Msg) {
	dl := DeadLetter{Agent: m.Header.Get(HeaderAgent), Error: m.Header.Get(HeaderError),
		Payload: string(m.Data), TS: time.Now().UnixMilli()}
	if sp, ok := trace.Extract(m.Header); ok {
		dl.TraceID = sp.TraceID
	}
	j.mu.Lock()
	j.deadNext++
	dl.Seq = j.deadNext
	j.dead = append(j.dead, dl)
	if len(j.dead) > MaxDeadLetters {
		j.dead = append(j.dead[:0:0], j.dead[len(j.dead)-MaxDeadLetters:]...)
	}
	j.mu.Unlock()
	if f := s.opts.Events.DeadLetter; f != nil {
		f(j, dl)
	}
}

// pruneLocked forgets the oldest finished runs beyond MaxFinished; s.mu
// must be held.
func (s *Session) pruneLocked() {
	finished := 0
	for i := len(s.order) - 1; i >= 0; i-- {
		j := s.jobs[s.order[i]]
		if st, _ := j.State(); st == StateRunning {
			continue
		}
		if finished++; finished > MaxFinished {
			delete(s.jobs, j.id)
			s.order = append(s.order[:i], s.order[i+1:]...)
		}
	}
}

// watch reports the run's metrics every Interval until it stops. A run
// that cannot go on by itself (its connection closed, a source failed, its
// HTTP listener stopped) is reported failed with the engine's reason, then
// released.
func (s *Session) watch(j *Job) {
	defer close(j.done)
	t := time.NewTicker(s.opts.Interval)
	defer t.Stop()
	for {
		select {
		case <-j.stop:
			return
		case <-t.C:
			s.metrics(j)
		case <-j.run.Fault():
			s.metrics(j)
			if s.fail(j, j.run.Err()) {
				// Stop (once this returns) releases what the run still
				// holds; the failed state and its reason stay.
				go s.Stop(j.id)
			}
			return
		}
	}
}

func (s *Session) metrics(j *Job) {
	if f := s.opts.Events.Metrics; f != nil {
		f(j)
	}
}

func (s *Session) status(j *Job, state, reason string) {
	if f := s.opts.Events.Status; f != nil {
		f(j, state, reason)
	}
}

// fail marks a running run failed and reports it; it says whether the run
// was running.
func (s *Session) fail(j *Job, err error) bool {
	msg := "the run stopped by itself"
	if err != nil {
		msg = err.Error()
	}
	j.mu.Lock()
	failed := j.state == StateRunning
	if failed {
		j.state, j.err = StateFailed, msg
	}
	j.mu.Unlock()
	if failed {
		s.opts.Run.Logger.Error("run failed", "run", j.id, "error", msg)
		s.status(j, StateFailed, msg)
	}
	return failed
}

// Stop stops the run: it takes no more events, finishes the ones in flight
// and reports its last metrics and the stopped status. Its records, traces
// and dead letters stay available. Stopping a stopped run does nothing.
func (s *Session) Stop(id string) error {
	j, err := s.Get(id)
	if err != nil {
		return err
	}
	j.stopOnce.Do(func() { err = s.stopJob(j) })
	return err
}

func (s *Session) stopJob(j *Job) error {
	close(j.stop)
	<-j.done
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.StopTimeout)
	defer cancel()
	err := j.run.Stop(ctx)
	if j.sub != nil {
		// Dead letters the run published before it stopped are on their way
		// to the session's connection: a round trip brings them in, then the
		// subscription drains them.
		s.mu.Lock()
		nc := s.nc
		s.mu.Unlock()
		if nc != nil {
			nc.FlushTimeout(2 * time.Second)
		}
		j.sub.Drain()
	}
	s.metrics(j)
	state, reason := StateStopped, ""
	if err != nil {
		state, reason = StateFailed, err.Error()
		err = fmt.Errorf("stop %s: %w", j.id, err)
	}
	j.mu.Lock()
	if j.state == StateFailed {
		// It failed by itself and was reported then: it keeps that reason.
		j.mu.Unlock()
		return err
	}
	j.state, j.err = state, reason
	j.mu.Unlock()
	s.status(j, state, reason)
	return err
}

// Reload applies src, the run's file as it is now, to the running run (see
// Run.Reload): when it cannot run, the old graph keeps running and the
// error says why.
func (s *Session) Reload(ctx context.Context, id string, src Source) (*ReloadResult, error) {
	j, err := s.running(id)
	if err != nil {
		return nil, err
	}
	if src.Diagnostics.HasErrors() {
		return nil, planFailure(src.Diagnostics.Errors())
	}
	res, err := j.run.Reload(ctx, src.File, j.run.Plan().Name)
	if err != nil {
		return nil, fmt.Errorf("reload %s: %w", id, err)
	}
	j.mu.Lock()
	j.file, j.skipped = src.File, j.run.Skipped()
	j.mu.Unlock()
	return res, nil
}
