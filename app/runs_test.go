package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumeo/kumeo/dsl"
	"github.com/kumeo/kumeo/engine"
	"github.com/kumeo/kumeo/engine/bus/bustest"
	"github.com/kumeo/kumeo/engine/trace"
)

// payment is a valid event for examples/card_screening.kumeo.
const payment = `{"tx_id": "tx-1", "amount": 27.5, "currency": "eur", "merchant": "m-books", "hour": 10, "country": "DE"}`

type runsHarness struct {
	t    *testing.T
	app  *App
	ws   *Workspace
	runs *Runs
	rec  *recorder
	dir  string
}

// newRunsHarness runs the services on a real embedded bus started for the
// test.
func newRunsHarness(t *testing.T) *runsHarness {
	t.Helper()
	b := bustest.Run(t)
	rec := &recorder{}
	a := New(Options{
		Emit:      rec.emit,
		Workspace: WorkspaceOptions{ConfigDir: "-", Settle: 10 * time.Millisecond},
		Runs:      RunsOptions{Bus: b, Interval: 50 * time.Millisecond},
	})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		assert.NoError(t, a.Shutdown(ctx))
	})
	return &runsHarness{t: t, app: a, ws: a.Workspace, runs: a.Runs, rec: rec, dir: t.TempDir()}
}

// open opens a copy of an example, or text when it is not a file name.
func (h *runsHarness) open(nameOrText string) string {
	h.t.Helper()
	var path string
	if strings.HasSuffix(nameOrText, ".kumeo") {
		path = copyExample(h.t, h.dir, nameOrText)
	} else {
		path = writeFile(h.t, h.dir, fmt.Sprintf("w%d.kumeo", time.Now().UnixNano()), nameOrText)
	}
	_, err := h.ws.Open(path)
	require.NoError(h.t, err)
	return path
}

func (h *runsHarness) start(path string) RunInfo {
	h.t.Helper()
	info, err := h.runs.Start(path)
	require.NoError(h.t, err)
	h.t.Logf("Runs.Start took %.1f ms", info.StartMS)
	return info
}

// metrics waits for a metrics event of run id that satisfies ok.
func (h *runsHarness) metrics(id string, ok func(MetricsEvent) bool) MetricsEvent {
	h.t.Helper()
	return h.rec.wait(h.t, MetricsEventName(id), func(p any) bool { return ok(p.(MetricsEvent)) }).(MetricsEvent)
}

func snapshot(ev MetricsEvent, agent string) (in, out uint64) {
	for _, s := range ev.Snapshots {
		if s.Agent == agent {
			return s.EventsIn, s.EventsOut
		}
	}
	return 0, 0
}

func TestRunsStartSendMetricsTraces(t *testing.T) {
	h := newRunsHarness(t)
	path := h.open("card_screening.kumeo")
	info := h.start(path)

	assert.Equal(t, "CardScreening", info.Workflow)
	assert.Equal(t, path, info.Path)
	assert.Equal(t, []string{"validate", "features", "policy", "route"}, info.Agents)
	assert.Equal(t, []SourceInfo{{Address: "payments.card.tx", Type: "NATS", Subject: "payments.card.tx"}}, info.Sources)
	assert.Empty(t, info.HTTPURL)
	assert.Equal(t, StateRunning, info.State)
	assert.Positive(t, info.StartMS)
	assert.Equal(t, []RunInfo{info}, h.runs.List())

	st := h.rec.wait(t, StatusEventName(info.ID), nil).(StatusEvent)
	assert.Equal(t, StatusEvent{ID: info.ID, State: StateRunning}, st)
	assert.Equal(t, info, h.rec.wait(t, StartedEventName, nil).(RunInfo), "every start is announced, so a window can follow runs it did not start")

	// Metrics stream before any event, all zero.
	first := h.metrics(info.ID, func(MetricsEvent) bool { return true })
	assert.Len(t, first.Snapshots, 4)
	assert.Zero(t, first.Ledger.In)

	sent, err := h.runs.Send(info.ID, "payments.card.tx", payment)
	require.NoError(t, err)
	assert.Len(t, sent.TraceID, 32)
	assert.Len(t, sent.EventID, 16)

	// The counters go up in the streamed metrics.
	ev := h.metrics(info.ID, func(ev MetricsEvent) bool { return ev.Ledger.Out == 1 && ev.Ledger.InFlight == 0 })
	assert.Equal(t, uint64(1), ev.Ledger.In)
	for _, a := range info.Agents {
		in, out := snapshot(ev, a)
		assert.Equal(t, [2]uint64{1, 1}, [2]uint64{in, out}, "agent %s", a)
	}
	assert.Greater(t, ev.TS, first.TS)

	// The event's path through the agents.
	path2, err := h.runs.Trace(info.ID, sent.TraceID)
	require.NoError(t, err)
	var hops []string
	for _, r := range path2 {
		assert.Equal(t, sent.TraceID, r.TraceID)
		hops = append(hops, r.Agent+":"+string(r.Dir))
	}
	assert.Equal(t, []string{"validate:in", "validate:out", "features:in", "features:out", "policy:in", "policy:out", "route:in", "route:out"}, hops)
	assert.Equal(t, sent.EventID, path2[0].EventID, "the sent event enters with its own id")

	recent, err := h.runs.Recent(info.ID, "validate", 10)
	require.NoError(t, err)
	require.Len(t, recent, 2)
	assert.Equal(t, trace.In, recent[0].Dir)
	assert.JSONEq(t, payment, recent[0].Payload)

	none, err := h.runs.Recent(info.ID, "nobody", 10)
	require.NoError(t, err)
	assert.NotNil(t, none)
	unknown, err := h.runs.Trace(info.ID, "0123")
	require.NoError(t, err)
	assert.NotNil(t, unknown)
	assert.Empty(t, unknown)

	// Metrics keep coming at the configured rate (>= 2/s in the app).
	n := len(h.rec.named(MetricsEventName(info.ID)))
	eventually(t, func() bool { return len(h.rec.named(MetricsEventName(info.ID))) >= n+3 }, "metrics stopped streaming")
}

func TestRunsSendErrorsAndHistory(t *testing.T) {
	h := newRunsHarness(t)
	info := h.start(h.open("card_screening.kumeo"))

	_, err := h.runs.Send(info.ID, "payments.other", payment)
	assert.ErrorIs(t, err, ErrNoSource)
	_, err = h.runs.Send(info.ID, "payments.card.tx", `{"tx_id": `)
	assert.ErrorIs(t, err, ErrInvalidEvent)
	_, err = h.runs.Send("r999", "payments.card.tx", payment)
	assert.ErrorIs(t, err, ErrNoRun)

	var last SendResult
	for i := range MaxSent + 5 {
		last, err = h.runs.Send(info.ID, "", fmt.Sprintf(`{"tx_id": "tx-%d"}`, i))
		require.NoError(t, err)
	}
	hist, err := h.runs.SentHistory(info.ID, "payments.card.tx")
	require.NoError(t, err)
	require.Len(t, hist, MaxSent)
	assert.Equal(t, last.TraceID, hist[0].TraceID, "most recent first")
	assert.Equal(t, fmt.Sprintf(`{"tx_id": "tx-%d"}`, MaxSent+4), hist[0].Payload)
	assert.Equal(t, `{"tx_id": "tx-5"}`, hist[MaxSent-1].Payload)
	first, err := h.runs.SentHistory(info.ID, "")
	require.NoError(t, err)
	assert.Equal(t, hist, first, "the first source by default")
	other, err := h.runs.SentHistory(info.ID, "payments.other")
	require.NoError(t, err)
	assert.Empty(t, other)
	assert.NotNil(t, other)
}

func TestRunsDeadLettersAndResend(t *testing.T) {
	h := newRunsHarness(t)
	info := h.start(h.open("card_screening.kumeo"))

	bad := `{"tx_id": "tx-bad", "amount": 10}`
	sent, err := h.runs.Send(info.ID, "payments.card.tx", bad)
	require.NoError(t, err)

	dl := h.rec.wait(t, DeadLetterEventName(info.ID), nil).(DeadLetter)
	assert.Equal(t, 1, dl.Seq)
	assert.Equal(t, "validate", dl.Agent)
	assert.NotEmpty(t, dl.Error)
	assert.Equal(t, bad, dl.Payload, "the original bytes")
	assert.Equal(t, sent.TraceID, dl.TraceID)
	assert.NotZero(t, dl.TS)
	list, err := h.runs.DeadLetters(info.ID)
	require.NoError(t, err)
	assert.Equal(t, []DeadLetter{dl}, list)

	require.NoError(t, h.runs.Resend(info.ID, 1))
	eventually(t, func() bool {
		l, _ := h.runs.DeadLetters(info.ID)
		return len(l) == 2
	}, "the resent event did not fail again")
	list, err = h.runs.DeadLetters(info.ID)
	require.NoError(t, err)
	assert.Equal(t, 2, list[1].Seq)
	assert.Equal(t, bad, list[1].Payload)
	assert.NotEqual(t, sent.TraceID, list[1].TraceID, "a resent event starts a new trace")
	h.metrics(info.ID, func(ev MetricsEvent) bool { return ev.Ledger.In == 2 && ev.Ledger.DeadLettered == 2 })

	assert.ErrorIs(t, h.runs.Resend(info.ID, 99), ErrNoDeadLetter)

	// Dead letters are kept after the run stops.
	require.NoError(t, h.runs.Stop(info.ID))
	list, err = h.runs.DeadLetters(info.ID)
	require.NoError(t, err)
	assert.Len(t, list, 2)
	assert.ErrorIs(t, h.runs.Resend(info.ID, 1), ErrNotRunning)
}

func TestRunsPlanErrors(t *testing.T) {
	cases := []struct {
		name string
		text string
		code string
	}{
		{"syntax", "workflow W {\n  source: NATS(\"in\"\n}\n", "K0001"},
		{"language error", "workflow W {\n  source: NATS(\"in\")\n  agents: [ DataProcessor(id: \"a\"), DataProcessor(id: \"a\") ]\n}\n", "K1003"},
		{"model agent", "// ü\nworkflow W {\n  source: NATS(\"in\")\n  agents: [ LLM(id: \"classify\", prompt: \"x\") ]\n}\n", engine.CodePlanAgent},
		{"kafka", "workflow W {\n  source: Kafka(\"t\")\n  agents: [ DataProcessor(id: \"a\") ]\n}\n", engine.CodePlanEndpoint},
		{"subworkflow", "risk_subworkflow.kumeo", engine.CodePlanSubworkflow},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newRunsHarness(t)
			path := h.open(tc.text)

			_, err := h.runs.Start(path)
			require.Error(t, err)
			assert.ErrorIs(t, err, engine.ErrPlan)
			var pe *planError
			require.True(t, errors.As(err, &pe), "%T", err)
			var plan dsl.Diagnostics
			require.True(t, errors.As(err, &plan), "the engine's diagnostics are the error")
			require.NotEmpty(t, pe.diags)
			assert.True(t, hasCode(pe.diags, tc.code), "%+v", pe.diags)
			assert.Contains(t, err.Error(), "["+tc.code+"]")
			assert.Contains(t, err.Error(), fmt.Sprintf("line %d, column %d", pe.diags[0].Line, pe.diags[0].Col))
			assert.Empty(t, h.runs.List())

			diags, err := h.runs.Check(path)
			require.NoError(t, err)
			assert.Equal(t, pe.diags, diags)
		})
	}

	h := newRunsHarness(t)
	diags, err := h.runs.Check(h.open("card_screening.kumeo"))
	require.NoError(t, err)
	assert.Empty(t, diags)
	assert.NotNil(t, diags)
	_, err = h.runs.Start(t.TempDir() + "/missing.kumeo")
	assert.ErrorIs(t, err, ErrNotOpen)
}

// What a run goes without is in its info, on the text, as warnings the
// editor showed before Run was pressed.
func TestRunsStartSaysWhatItSkips(t *testing.T) {
	h := newRunsHarness(t)
	text := "workflow W {\n  source: NATS(\"in\")\n  target: NATS(\"out\")\n  context: KnowledgeBase(\"docs/\")\n  agents: [ DataProcessor(id: \"a\") ]\n}\n"
	path := h.open(text)
	doc, err := h.ws.Open(path)
	require.NoError(t, err)
	info, err := h.runs.Start(path)
	require.NoError(t, err)
	require.Len(t, info.Skipped, 1)
	d := info.Skipped[0]
	assert.Equal(t, "warning", d.Severity)
	assert.Equal(t, dsl.CodeNotRunnable, d.Code)
	assert.Equal(t, 4, d.Line)
	assert.Equal(t, "KnowledgeBase", text[d.From:d.To])
	found := false
	for _, w := range doc.Diagnostics {
		found = found || w.Code == d.Code && w.From == d.From && w.To == d.To
	}
	assert.True(t, found, "the editor showed it before the run: %+v", doc.Diagnostics)

	h2 := newRunsHarness(t)
	info, err = h2.runs.Start(h2.open("card_screening.kumeo"))
	require.NoError(t, err)
	assert.NotNil(t, info.Skipped)
	assert.Empty(t, info.Skipped)
}

// A run takes the document's current text, saved or not.
func TestRunsStartUnsavedText(t *testing.T) {
	h := newRunsHarness(t)
	path := h.open("card_screening.kumeo")
	doc, err := h.ws.Open(path)
	require.NoError(t, err)
	_, err = h.ws.Update(path, strings.Replace(doc.Text, `source: NATS("payments.card.tx")`, `source: NATS("payments.card.unsaved")`, 1))
	require.NoError(t, err)

	info := h.start(path)
	assert.Equal(t, "payments.card.unsaved", info.Sources[0].Subject)
	_, err = h.runs.Send(info.ID, "payments.card.unsaved", payment)
	require.NoError(t, err)
	h.metrics(info.ID, func(ev MetricsEvent) bool { return ev.Ledger.Out == 1 })
}

func TestRunsRefusesSecondRun(t *testing.T) {
	h := newRunsHarness(t)
	path := h.open("card_screening.kumeo")
	info := h.start(path)

	_, err := h.runs.Start(path)
	assert.ErrorIs(t, err, ErrAlreadyRunning)
	assert.Contains(t, err.Error(), info.ID)

	// The same workflow from another file would share its subjects.
	other := writeFile(t, h.dir, "copy.kumeo", mustRead(t, path))
	_, err = h.ws.Open(other)
	require.NoError(t, err)
	_, err = h.runs.Start(other)
	assert.ErrorIs(t, err, ErrAlreadyRunning)

	require.NoError(t, h.runs.Stop(info.ID))
	again := h.start(path)
	assert.NotEqual(t, info.ID, again.ID)
	assert.Len(t, h.runs.List(), 2)
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, _, err := readDoc(path)
	require.NoError(t, err)
	return string(b)
}

func TestRunsReload(t *testing.T) {
	h := newRunsHarness(t)
	path := h.open("card_screening.kumeo")
	info := h.start(path)
	doc, err := h.ws.Open(path)
	require.NoError(t, err)

	edited := strings.Replace(doc.Text, `"amount > 0"`, `"amount >= 1"`, 1)
	require.NotEqual(t, doc.Text, edited)
	_, err = h.ws.Update(path, edited)
	require.NoError(t, err)
	res, err := h.runs.Reload(info.ID)
	require.NoError(t, err)
	assert.Equal(t, []string{"policy"}, res.Changed)
	assert.ElementsMatch(t, []string{"validate", "features", "route"}, res.Kept)
	assert.Empty(t, res.Added)
	assert.NotNil(t, res.Added)

	// A text that cannot run leaves the old graph running.
	_, err = h.ws.Update(path, strings.Replace(edited, `DecisionMatrix(`, `LLM(prompt: "x", `, 1))
	require.NoError(t, err)
	_, err = h.runs.Reload(info.ID)
	var pe *planError
	require.True(t, errors.As(err, &pe), "%v", err)
	assert.Equal(t, engine.CodePlanAgent, pe.diags[0].Code)
	_, err = h.ws.Update(path, "workflow {")
	require.NoError(t, err)
	_, err = h.runs.Reload(info.ID)
	assert.ErrorIs(t, err, engine.ErrPlan)

	_, err = h.runs.Send(info.ID, "", payment)
	require.NoError(t, err)
	h.metrics(info.ID, func(ev MetricsEvent) bool { return ev.Ledger.Out == 1 })
}

func TestRunsHotReloadOnSave(t *testing.T) {
	h := newRunsHarness(t)
	path := h.open("card_screening.kumeo")
	info := h.start(path)
	doc, err := h.ws.Open(path)
	require.NoError(t, err)

	c, err := h.ws.Apply(path, `{"op":"add_agent","after":"route","agent":"DataProcessor(id: \"audit\")"}`, doc.Version)
	require.NoError(t, err)
	require.Contains(t, c.Text, `"audit"`)
	require.NoError(t, h.ws.Save(path))

	ev := h.rec.wait(t, ReloadedEventName(info.ID), nil).(ReloadedRunEvent)
	assert.Empty(t, ev.Error)
	assert.Equal(t, []string{"audit"}, ev.Result.Added)
	assert.Contains(t, h.runs.List()[0].Agents, "audit")

	// A save that cannot run reports why; the run keeps going.
	_, err = h.ws.Update(path, strings.Replace(c.Text, `DataProcessor(id: "audit")`, `LLM(id: "audit", prompt: "x")`, 1))
	require.NoError(t, err)
	require.NoError(t, h.ws.Save(path))
	ev = h.rec.wait(t, ReloadedEventName(info.ID), func(p any) bool { return p.(ReloadedRunEvent).Error != "" }).(ReloadedRunEvent)
	require.NotEmpty(t, ev.Diagnostics)
	assert.Equal(t, engine.CodePlanAgent, ev.Diagnostics[0].Code)
	assert.Equal(t, StateRunning, h.runs.List()[0].State)
}

func TestRunsStop(t *testing.T) {
	h := newRunsHarness(t)
	info := h.start(h.open("card_screening.kumeo"))
	_, err := h.runs.Send(info.ID, "", payment)
	require.NoError(t, err)
	h.metrics(info.ID, func(ev MetricsEvent) bool { return ev.Ledger.Out == 1 })

	require.NoError(t, h.runs.Stop(info.ID))
	st := h.rec.wait(t, StatusEventName(info.ID), func(p any) bool { return p.(StatusEvent).State != StateRunning }).(StatusEvent)
	assert.Equal(t, StatusEvent{ID: info.ID, State: StateStopped}, st)
	evs := h.rec.named(MetricsEventName(info.ID))
	last := evs[len(evs)-1].(MetricsEvent)
	assert.Equal(t, uint64(1), last.Ledger.Out, "the last metrics are sent on stop")

	n := len(h.rec.all())
	require.NoError(t, h.runs.Stop(info.ID), "stopping twice is fine")
	assert.Len(t, h.rec.all(), n, "and emits nothing")
	assert.Equal(t, StateStopped, h.runs.List()[0].State)

	_, err = h.runs.Send(info.ID, "", payment)
	assert.ErrorIs(t, err, ErrNotRunning)
	_, err = h.runs.Reload(info.ID)
	assert.ErrorIs(t, err, ErrNotRunning)
	recent, err := h.runs.Recent(info.ID, "validate", 0)
	require.NoError(t, err)
	assert.Len(t, recent, 2, "records stay after the stop")

	assert.ErrorIs(t, h.runs.Stop("r999"), ErrNoRun)
	_, err = h.runs.Recent("r999", "validate", 1)
	assert.ErrorIs(t, err, ErrNoRun)
	_, err = h.runs.Trace("r999", "x")
	assert.ErrorIs(t, err, ErrNoRun)
	_, err = h.runs.DeadLetters("r999")
	assert.ErrorIs(t, err, ErrNoRun)
	_, err = h.runs.SentHistory("r999", "")
	assert.ErrorIs(t, err, ErrNoRun)
}

func TestRunsHTTPSource(t *testing.T) {
	h := newRunsHarness(t)
	path := h.open("workflow Web {\n  source: HTTP(\"/orders\")\n  target: NATS(\"orders.out\")\n  agents: [ DataProcessor(id: \"a\") ]\n}\n")
	info := h.start(path)
	assert.True(t, strings.HasPrefix(info.HTTPURL, "http://127.0.0.1:"), info.HTTPURL)
	require.Len(t, info.Sources, 1)
	assert.Equal(t, "/orders", info.Sources[0].Address)
	assert.Equal(t, "HTTP", info.Sources[0].Type)

	_, err := h.runs.Send(info.ID, "/orders", `{"id": 1}`)
	require.NoError(t, err)
	h.metrics(info.ID, func(ev MetricsEvent) bool { return ev.Ledger.Out == 1 })
}

// Without a bus given, Runs starts one on the first Start and App.Shutdown
// stops it. A new document from the template runs as it is.
func TestRunsOwnBusAndTemplate(t *testing.T) {
	rec := &recorder{}
	a := New(Options{Emit: rec.emit, Workspace: WorkspaceOptions{ConfigDir: "-"}, Runs: RunsOptions{Interval: 50 * time.Millisecond}})
	done := false
	t.Cleanup(func() {
		if !done {
			a.Shutdown(context.Background())
		}
	})
	doc, err := a.Workspace.NewFromTemplate(t.TempDir(), "first flow")
	require.NoError(t, err)

	info, err := a.Runs.Start(doc.Path)
	require.NoError(t, err)
	t.Logf("Runs.Start with the bus start took %.1f ms", info.StartMS)
	_, err = a.Runs.Send(info.ID, "first_flow.in", `{"id": 1}`)
	require.NoError(t, err)
	_, err = a.Runs.Send(info.ID, "first_flow.in", `{"name": "no id"}`)
	require.NoError(t, err)
	rec.wait(t, MetricsEventName(info.ID), func(p any) bool {
		l := p.(MetricsEvent).Ledger
		return l.Out == 1 && l.DeadLettered == 1
	})
	// The dead letter reaches the run service on the bus, after the run
	// counts it.
	eventually(t, func() bool { l, _ := a.Runs.DeadLetters(info.ID); return len(l) == 1 }, "the dead letter was listed")
	dls, err := a.Runs.DeadLetters(info.ID)
	require.NoError(t, err)
	require.Len(t, dls, 1)
	assert.Equal(t, `{"name": "no id"}`, dls[0].Payload)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	n := len(rec.all())
	require.NoError(t, a.Shutdown(ctx))
	done = true
	assert.Equal(t, StateStopped, a.Runs.List()[0].State)
	assert.Len(t, rec.all(), n, "the window may be gone: shutdown reports nothing")
}

// BenchmarkRunsStart measures starting (and stopping) a run of the card
// screening example on an already running bus.
func BenchmarkRunsStart(b *testing.B) {
	bs := bustest.Run(b)
	a := New(Options{Workspace: WorkspaceOptions{ConfigDir: "-"}, Runs: RunsOptions{Bus: bs}})
	b.Cleanup(func() { a.Shutdown(context.Background()) })
	path := copyExample(b, b.TempDir(), "card_screening.kumeo")
	_, err := a.Workspace.Open(path)
	require.NoError(b, err)
	for b.Loop() {
		info, err := a.Runs.Start(path)
		require.NoError(b, err)
		require.NoError(b, a.Runs.Stop(info.ID))
	}
}

// BenchmarkRunsStartColdBus measures the first Start of an app: the
// embedded bus starts with it.
func BenchmarkRunsStartColdBus(b *testing.B) {
	path := copyExample(b, b.TempDir(), "card_screening.kumeo")
	for b.Loop() {
		a := New(Options{Workspace: WorkspaceOptions{ConfigDir: "-"}})
		_, err := a.Workspace.Open(path)
		require.NoError(b, err)
		_, err = a.Runs.Start(path)
		require.NoError(b, err)
		require.NoError(b, a.Shutdown(context.Background()))
	}
}

func TestRunsFeedFile(t *testing.T) {
	h := newRunsHarness(t)
	info := h.start(h.open("card_screening.kumeo"))
	_, err := h.runs.Feed(info.ID, "", "missing.jsonl")
	assert.Error(t, err)
	res, err := h.runs.Feed(info.ID, "", "../examples/data/card_payments.jsonl")
	require.NoError(t, err)
	assert.Equal(t, 201, res.Events)
	ev := h.metrics(info.ID, func(e MetricsEvent) bool {
		return e.Ledger.In == 201 && e.Ledger.InFlight == 0
	})
	assert.Equal(t, engine.Ledger{In: 201, Out: 190, DeadLettered: 11}, ev.Ledger, "the malformed line and the events failing validation or policy are dead-lettered")
	dead, err := h.runs.DeadLetters(info.ID)
	require.NoError(t, err)
	assert.Len(t, dead, 11)
}

// A run whose source fails fails by itself: the failed status carries the
// engine's reason, once, and the run is released (a new run of the same
// workflow can start).
func TestRunsFailByThemselves(t *testing.T) {
	if _, err := os.Stat("/proc/self/mem"); err != nil {
		t.Skip("no /proc/self/mem to read from")
	}
	h := newRunsHarness(t)
	// /proc/self/mem opens as a regular file and fails on its first read.
	path := h.open(`workflow F { source: File("/proc/self/mem") target: NATS("f.out") agents: [ DataProcessor(id: "a") ] }`)
	info := h.start(path)
	st := h.rec.wait(t, StatusEventName(info.ID), func(p any) bool { return p.(StatusEvent).State != StateRunning }).(StatusEvent)
	assert.Equal(t, StateFailed, st.State)
	assert.Contains(t, st.Error, "/proc/self/mem")
	assert.Contains(t, st.Error, "source")

	eventually(t, func() bool {
		runs := h.runs.List()
		return len(runs) == 1 && runs[0].State == StateFailed
	}, "the run is listed as failed")
	_, err := h.runs.Send(info.ID, "", payment)
	assert.ErrorIs(t, err, ErrNotRunning)

	// Released: stopping it again changes nothing and a new run starts.
	require.NoError(t, h.runs.Stop(info.ID))
	var statuses []StatusEvent
	for _, p := range h.rec.named(StatusEventName(info.ID)) {
		statuses = append(statuses, p.(StatusEvent))
	}
	assert.Equal(t, []StatusEvent{{ID: info.ID, State: StateRunning}, st}, statuses, "one failed status, no stopped after it")
	assert.Equal(t, StateFailed, h.runs.List()[0].State)
	again, err := h.runs.Start(path)
	require.NoError(t, err)
	assert.NotEqual(t, info.ID, again.ID)
}

// The embedded bus going away under a run fails it too.
func TestRunsFailWhenTheBusGoes(t *testing.T) {
	b := bustest.Run(t)
	rec := &recorder{}
	a := New(Options{Emit: rec.emit, Workspace: WorkspaceOptions{ConfigDir: "-", Settle: 10 * time.Millisecond},
		Runs: RunsOptions{Bus: b, Interval: time.Hour}})
	t.Cleanup(func() { a.Shutdown(context.Background()) })
	path := copyExample(t, t.TempDir(), "card_screening.kumeo")
	_, err := a.Workspace.Open(path)
	require.NoError(t, err)
	info, err := a.Runs.Start(path)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, b.Shutdown(ctx))
	st := rec.wait(t, StatusEventName(info.ID), func(p any) bool { return p.(StatusEvent).State != StateRunning }).(StatusEvent)
	assert.Equal(t, StateFailed, st.State)
	assert.Contains(t, st.Error, "connection")
}

// The app's own bus has an MQTT listener: a workflow with an MQTT source
// runs, and a real MQTT client's messages reach its agents.
func TestRunsMQTTOnTheAppBus(t *testing.T) {
	rec := &recorder{}
	a := New(Options{Emit: rec.emit, Workspace: WorkspaceOptions{ConfigDir: "-", Settle: 10 * time.Millisecond},
		Runs: RunsOptions{Interval: 50 * time.Millisecond}})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		assert.NoError(t, a.Shutdown(ctx))
	})
	path := writeFile(t, t.TempDir(), "mqtt.kumeo", `workflow Plant {
  source: MQTT("plant/+/telemetry")
  target: NATS("plant.checked")
  agents: [ DataProcessor(id: "check") ]
}`)
	_, err := a.Workspace.Open(path)
	require.NoError(t, err)
	diags, err := a.Runs.Check(path)
	require.NoError(t, err)
	assert.Empty(t, diags, "the workflow can run on the app's bus")
	info, err := a.Runs.Start(path)
	require.NoError(t, err)
	require.NotEmpty(t, info.MQTTAddr, "the run says where MQTT clients connect")
	require.Len(t, info.Sources, 1)
	assert.Equal(t, "MQTT", info.Sources[0].Type)

	o := mqtt.NewClientOptions().AddBroker("tcp://" + info.MQTTAddr).SetClientID("kumeo-app-test").SetConnectTimeout(10 * time.Second)
	c := mqtt.NewClient(o)
	tok := c.Connect()
	require.True(t, tok.WaitTimeout(10*time.Second), "connect timed out")
	require.NoError(t, tok.Error())
	t.Cleanup(func() { c.Disconnect(100) })
	tok = c.Publish("plant/p7/telemetry", 1, false, `{"temp": 71.5}`)
	require.True(t, tok.WaitTimeout(10*time.Second), "publish timed out")
	require.NoError(t, tok.Error())

	rec.wait(t, MetricsEventName(info.ID), func(p any) bool {
		in, out := snapshot(p.(MetricsEvent), "check")
		return in == 1 && out == 1
	})
	// A run of a workflow without MQTT does not advertise the listener.
	other := writeFile(t, t.TempDir(), "nats.kumeo", `workflow N { source: NATS("n.in") target: NATS("n.out") agents: [ DataProcessor(id: "a") ] }`)
	_, err = a.Workspace.Open(other)
	require.NoError(t, err)
	plain, err := a.Runs.Start(other)
	require.NoError(t, err)
	assert.Empty(t, plain.MQTTAddr)
}
