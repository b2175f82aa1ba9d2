package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumeo/kumeo/dsl"
	"github.com/kumeo/kumeo/engine/bus"
	"github.com/kumeo/kumeo/engine/bus/bustest"
)

// sessionEvents records what a session reports.
type sessionEvents struct {
	mu     sync.Mutex
	status []string // id:state
	dead   []DeadLetter
}

func (e *sessionEvents) hooks() SessionEvents {
	return SessionEvents{
		Status: func(j *Job, state, _ string) {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.status = append(e.status, j.ID()+":"+state)
		},
		DeadLetter: func(_ *Job, dl DeadLetter) {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.dead = append(e.dead, dl)
		},
	}
}

func (e *sessionEvents) statuses() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.status...)
}

// newSession returns a session on a real embedded bus started for the test.
func newSession(t *testing.T, ev *sessionEvents) *Session {
	t.Helper()
	opts := SessionOptions{Bus: bustest.Run(t), Interval: 20 * time.Millisecond}
	if ev != nil {
		opts.Events = ev.hooks()
	}
	s, err := New(opts)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		assert.NoError(t, s.Close(ctx))
	})
	return s
}

// source writes text to a file of dir and returns it as a run's source.
func source(t *testing.T, dir, name, text string) Source {
	t.Helper()
	path := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
	res := dsl.Builtin().Analyze(path, []byte(text))
	return Source{Path: path, File: res.File, Diagnostics: res.Diagnostics}
}

func TestSessionOptions(t *testing.T) {
	b := &bus.Bus{}
	tests := []struct {
		name string
		opts SessionOptions
		says string // "" when valid
	}{
		{"zero", SessionOptions{}, ""},
		{"bus", SessionOptions{Bus: b}, ""},
		{"server", SessionOptions{Server: bus.Options{MQTTListen: "127.0.0.1:0"}}, ""},
		{"bus and server", SessionOptions{Bus: b, Server: bus.Options{DataDir: "x"}}, "Bus and Server"},
		{"run on another bus", SessionOptions{Run: Options{Bus: b}}, "Run.Bus"},
		{"run on a server", SessionOptions{Run: Options{NATSURL: "nats://x"}}, "Run.NATSURL"},
		{"run listens", SessionOptions{Run: Options{Listen: "127.0.0.1:0"}}, "Run.Listen"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.opts)
			if tt.says == "" {
				assert.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrOptions)
			assert.ErrorContains(t, err, tt.says)
		})
	}
}

const sessionFlow = `workflow S {
  source: [ NATS("s.any.*"), NATS("s.in") ]
  target: NATS("s.out")
  agents: [ TTag(id: "a") ]
}`

func TestSessionOneRunPerWorkflow(t *testing.T) {
	ev := &sessionEvents{}
	s := newSession(t, ev)
	dir := t.TempDir()
	src := source(t, dir, "s.kumeo", sessionFlow)
	j, err := s.Start(context.Background(), src)
	require.NoError(t, err)
	assert.Equal(t, "r1", j.ID())
	assert.Positive(t, j.Took())

	_, err = s.Start(context.Background(), src)
	assert.ErrorIs(t, err, ErrAlreadyRunning)
	assert.ErrorContains(t, err, j.ID())
	// The same workflow from another file would share its subjects.
	_, err = s.Start(context.Background(), source(t, dir, "copy.kumeo", sessionFlow))
	assert.ErrorIs(t, err, ErrAlreadyRunning)

	require.NoError(t, s.Stop(j.ID()))
	require.NoError(t, s.Stop(j.ID()), "stopping twice is fine")
	again, err := s.Start(context.Background(), src)
	require.NoError(t, err)
	assert.NotEqual(t, j.ID(), again.ID())
	assert.Equal(t, []*Job{j, again}, s.List())
	assert.Equal(t, []*Job{again}, s.RunningFrom(src.Path))
	assert.Equal(t, []string{"r1:running", "r1:stopped", "r2:running"}, ev.statuses())

	_, err = s.Get("r999")
	assert.ErrorIs(t, err, ErrNoRun)
	_, err = s.Send(j.ID(), "", `{}`)
	assert.ErrorIs(t, err, ErrNotRunning)
}

// "" is the first source with a literal subject; a source reading a
// wildcard subject cannot be published to.
func TestSessionSendSourcesAndHistory(t *testing.T) {
	s := newSession(t, nil)
	j, err := s.Start(context.Background(), source(t, t.TempDir(), "s.kumeo", sessionFlow))
	require.NoError(t, err)

	_, err = s.Send(j.ID(), "s.other", `{}`)
	assert.ErrorIs(t, err, ErrNoSource)
	_, err = s.Send(j.ID(), "s.any.*", `{}`)
	assert.ErrorIs(t, err, ErrNoSource)
	assert.ErrorContains(t, err, "wildcard")
	_, err = s.Send(j.ID(), "s.in", `{"n": `)
	assert.ErrorIs(t, err, ErrInvalidEvent)
	_, err = s.Send("r999", "s.in", `{}`)
	assert.ErrorIs(t, err, ErrNoRun)

	var last SendResult
	for i := range MaxSent + 5 {
		last, err = s.Send(j.ID(), "", fmt.Sprintf(`{"n": %d}`, i))
		require.NoError(t, err)
	}
	hist := j.SentHistory("s.in")
	require.Len(t, hist, MaxSent)
	assert.Equal(t, last.TraceID, hist[0].TraceID, "most recent first")
	assert.Equal(t, fmt.Sprintf(`{"n": %d}`, MaxSent+4), hist[0].Payload)
	assert.Equal(t, `{"n": 5}`, hist[MaxSent-1].Payload)
	assert.Empty(t, j.SentHistory(""), "the first source is the wildcard one, sent nothing")
	assert.NotNil(t, j.SentHistory("s.other"))
	eventually(t, func() bool { return j.Run().Ledger().Out == MaxSent+5 }, "the events run")
}

func TestSessionDeadLettersAndResend(t *testing.T) {
	ev := &sessionEvents{}
	s := newSession(t, ev)
	j, err := s.Start(context.Background(), source(t, t.TempDir(), "f.kumeo", `workflow F { source: NATS("f.in") agents: [ TFail(id: "a") ] }`))
	require.NoError(t, err)

	sent, err := s.Send(j.ID(), "", `{"bad": true}`)
	require.NoError(t, err)
	eventually(t, func() bool { return len(j.DeadLetters()) == 1 }, "dead-lettered")
	dl := j.DeadLetters()[0]
	assert.Equal(t, 1, dl.Seq)
	assert.Equal(t, "a", dl.Agent)
	assert.NotEmpty(t, dl.Error)
	assert.Equal(t, `{"bad": true}`, dl.Payload, "the original bytes")
	assert.Equal(t, sent.TraceID, dl.TraceID)

	require.NoError(t, s.Resend(j.ID(), 1))
	eventually(t, func() bool { return len(j.DeadLetters()) == 2 }, "the resent event did not fail again")
	second := j.DeadLetters()[1]
	assert.Equal(t, 2, second.Seq)
	assert.Equal(t, dl.Payload, second.Payload)
	assert.NotEqual(t, dl.TraceID, second.TraceID, "a resent event starts a new trace")
	assert.ErrorIs(t, s.Resend(j.ID(), 99), ErrNoDeadLetter)

	for i := range MaxDeadLetters + 10 {
		_, err := s.Send(j.ID(), "", fmt.Sprintf(`{"bad": true, "n": %d}`, i))
		require.NoError(t, err)
	}
	eventually(t, func() bool {
		l := j.DeadLetters()
		return len(l) == MaxDeadLetters && l[len(l)-1].Seq == MaxDeadLetters+12
	}, "dead letters not bounded")
	assert.Equal(t, 13, j.DeadLetters()[0].Seq, "the oldest are dropped")

	// Dead letters are kept after the run stops.
	require.NoError(t, s.Stop(j.ID()))
	assert.Len(t, j.DeadLetters(), MaxDeadLetters)
	assert.ErrorIs(t, s.Resend(j.ID(), 20), ErrNotRunning)
	ev.mu.Lock()
	defer ev.mu.Unlock()
	assert.Len(t, ev.dead, MaxDeadLetters+12, "each one reported")
}

func TestSessionCheckAndPlanFailures(t *testing.T) {
	s := newSession(t, nil)
	dir := t.TempDir()
	tests := []struct{ name, text, code string }{
		{"language error", "workflow W {\n  source: NATS(\"in\")\n  agents: [ DataProcessor(id: \"a\"), DataProcessor(id: \"a\") ]\n}\n", "K1003"},
		{"plan error", "workflow W {\n  source: Kafka(\"t\")\n  agents: [ DataProcessor(id: \"a\") ]\n}\n", CodePlanEndpoint},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := source(t, dir, "w.kumeo", tt.text)
			diags := s.Check(src)
			require.True(t, diags.HasErrors())
			codes := []string{}
			for _, d := range diags {
				codes = append(codes, d.Code)
			}
			assert.Contains(t, codes, tt.code)
			_, err := s.Start(context.Background(), src)
			assert.ErrorIs(t, err, ErrPlan)
			var got dsl.Diagnostics
			require.ErrorAs(t, err, &got)
			assert.Equal(t, diags, got.Errors())
			assert.Empty(t, s.List())
		})
	}
	assert.Empty(t, s.Check(source(t, dir, "ok.kumeo", sessionFlow)))
}

// A relative file name not found as it is resolves in the directory of
// the run's file; each line is an event of its own trace.
func TestSessionFeed(t *testing.T) {
	s := newSession(t, nil)
	dir := t.TempDir()
	j, err := s.Start(context.Background(), source(t, dir, "s.kumeo", sessionFlow))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "events.jsonl"), []byte("{\"n\": 1}\n\n{\"n\": 2}\nnot json\n"), 0o644))

	_, err = s.Feed(context.Background(), j.ID(), "", "missing.jsonl")
	assert.Error(t, err)
	res, err := s.Feed(context.Background(), j.ID(), "", "events.jsonl")
	require.NoError(t, err)
	assert.Equal(t, 3, res.Published)
	eventually(t, func() bool { l := j.Run().Ledger(); return l.Out == 2 && l.DeadLettered == 1 }, "fed: %+v", j.Run().Ledger())
	// The session hears of a dead letter on the bus, after the run counts it.
	eventually(t, func() bool { return len(j.DeadLetters()) == 1 }, "the dead letter reached the session: %d", len(j.DeadLetters()))
	l := j.Run().Ledger()
	assert.Equal(t, uint64(2), l.Out, "no more events came out")
	assert.Equal(t, uint64(1), l.DeadLettered, "no more dead letters")
	_, err = s.Feed(context.Background(), j.ID(), "s.any.*", "events.jsonl")
	assert.ErrorIs(t, err, ErrNoSource)
}

// Without a bus given, the session starts one on the first Start and
// Close shuts it down.
func TestSessionOwnBus(t *testing.T) {
	s, err := New(SessionOptions{Server: bus.Options{MQTTListen: "127.0.0.1:0"}})
	require.NoError(t, err)
	assert.True(t, s.MQTTEnabled())
	j, err := s.Start(context.Background(), source(t, t.TempDir(), "s.kumeo", sessionFlow))
	require.NoError(t, err)
	assert.NotEmpty(t, s.MQTTAddr())
	b, err := s.Bus()
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	require.NoError(t, s.Close(ctx))
	st, _ := j.State()
	assert.Equal(t, StateStopped, st)
	_, err = b.Connect()
	assert.Error(t, err, "the bus is shut down")
}
