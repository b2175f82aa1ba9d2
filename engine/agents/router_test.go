package agents

import (
	"context"
	"testing"

	"github.com/kumeo/kumeo/engine/flow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const fraudRouter = `Router(
      id: "route",
      rules: {
        "score >= config.thresholds.block": "target.alerts.block",
        "score >= config.thresholds.review || (large && night)": target.alerts.review,
        "default": "target.out.cleared"
      }
    )`

func TestRouter(t *testing.T) {
	const globals = `config: { thresholds: { block: 0.92, review: 0.7 } }`
	a := mustBuild(t, fraudRouter, globals, "")
	r, ok := a.(flow.Router)
	require.True(t, ok, "Router implements flow.Router")
	assert.Equal(t, []string{"target.alerts.block", "target.alerts.review", "target.out.cleared"}, r.Routes())
	for _, tt := range []struct {
		name string
		in   map[string]any
		want int
	}{
		{"first rule wins", map[string]any{"score": 0.95, "large": true, "night": true}, 0},
		{"second rule", map[string]any{"score": 0.8}, 1},
		{"second rule by its other branch", map[string]any{"score": 0.1, "large": true, "night": true}, 1},
		{"default", map[string]any{"score": 0.1, "large": true, "night": false}, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ev, out, err := process(t, a, tt.in)
			require.NoError(t, err)
			assert.Equal(t, flow.Outcome{Action: flow.Route, Route: tt.want}, out)
			assert.Equal(t, tt.in, ev.Data, "the event is not changed")
		})
	}
}

func TestRouterOrderAndDefault(t *testing.T) {
	for _, tt := range []struct {
		name   string
		agent  string
		routes []string
		in     map[string]any
		want   flow.Outcome
	}{
		{
			name:   "rule order is the written order, not alphabetical",
			agent:  `Router(id: "r", rules: { "z > 0": "zeta", "a > 0": "alpha" })`,
			routes: []string{"zeta", "alpha"},
			in:     map[string]any{"z": 1.0, "a": 1.0},
			want:   flow.Outcome{Action: flow.Route, Route: 0},
		},
		{
			name:   "default written first is still last",
			agent:  `Router(id: "r", rules: { "default": "other", "kind == 'a'": "target.out.a", "kind == 'b'": "target.out.b" })`,
			routes: []string{"target.out.a", "target.out.b", "other"},
			in:     map[string]any{"kind": "b"},
			want:   flow.Outcome{Action: flow.Route, Route: 1},
		},
		{
			name:   "default catches the rest",
			agent:  `Router(id: "r", rules: { "default": "other", "kind == 'a'": "target.out.a" })`,
			routes: []string{"target.out.a", "other"},
			in:     map[string]any{"kind": "z"},
			want:   flow.Outcome{Action: flow.Route, Route: 1},
		},
		{
			name:   "no match without default filters",
			agent:  `Router(id: "r", rules: { "kind == 'a'": "target.out.a" })`,
			routes: []string{"target.out.a"},
			in:     map[string]any{"kind": "z"},
			want:   flow.Outcome{Action: flow.Filter, Reason: NoMatchReason},
		},
		{
			name:   "missing field in a nil-safe rule is false",
			agent:  `Router(id: "r", rules: { "review?.decision == 'ok'": "ok", "default": "rest" })`,
			routes: []string{"ok", "rest"},
			in:     map[string]any{},
			want:   flow.Outcome{Action: flow.Route, Route: 1},
		},
		{
			name:   "escaped and single-quoted keys",
			agent:  `Router(id: "r", rules: { "tag == \"a\"": "a", 'tag == "b"': "b" })`,
			routes: []string{"a", "b"},
			in:     map[string]any{"tag": "b"},
			want:   flow.Outcome{Action: flow.Route, Route: 1},
		},
		{
			name:   "rules in the config object",
			agent:  `Router(id: "r", config: { rules: { "b > 0": "b", "a > 0": "a" } })`,
			routes: []string{"b", "a"},
			in:     map[string]any{"a": 1.0, "b": 0.0},
			want:   flow.Outcome{Action: flow.Route, Route: 1},
		},
		{
			name:   "same destination twice keeps one route per rule",
			agent:  `Router(id: "r", rules: { "a > 0": "x", "b > 0": "x", "default": "x" })`,
			routes: []string{"x", "x", "x"},
			in:     map[string]any{"a": 0.0, "b": 1.0},
			want:   flow.Outcome{Action: flow.Route, Route: 1},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := mustBuild(t, tt.agent, "", "")
			assert.Equal(t, tt.routes, a.(flow.Router).Routes())
			_, out, err := process(t, a, tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, out)
		})
	}
}

func TestRouterEvalError(t *testing.T) {
	a := mustBuild(t, `Router(id: "r", rules: { "score > 0.5": "high", "default": "low" })`, "", "")
	_, _, err := process(t, a, map[string]any{})
	require.Error(t, err)
	assert.True(t, flow.IsPermanent(err))
	assert.ErrorIs(t, err, ErrInvalidEvent)
	assert.ErrorContains(t, err, `rule "score > 0.5"`)
	assert.NotContains(t, err.Error(), "\n")
}

func TestRouterWithoutSyntaxTree(t *testing.T) {
	for _, tt := range []struct {
		name  string
		rules any
		msg   string
		want  []string
	}{
		{"one rule and default", map[string]any{"a > 1": "x", "default": "y"}, "", []string{"x", "y"}},
		{"two rules have no order", map[string]any{"a > 1": "x", "b > 1": "y"}, `rules: the order of 2 rules is unknown`, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a, err := factoryOf(t, "Router")(flow.NewConfig(specOf(t, "Router"), map[string]any{"id": "r", "rules": tt.rules}, nil))
			if tt.msg != "" {
				assert.ErrorContains(t, err, tt.msg)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, a.(flow.Router).Routes())
			out, err := a.Process(context.Background(), &flow.Event{Data: map[string]any{"a": 2.0}})
			require.NoError(t, err)
			assert.Equal(t, 0, out.Route)
		})
	}
}

func TestRouterConfigErrors(t *testing.T) {
	assertConfigErrors(t, []configErrorCase{
		{"no rules", `Router(id: "r")`, `agent "r" (Router): rules: missing: expected rules: { "amount > 1000": "target.<subject>", "default": "..." }`},
		{"rules array", `Router(id: "r", rules: ["a > 1"])`, `rules: expected an object of rules`},
		{"empty rules", `Router(id: "r", rules: {})`, `rules: expected at least one rule`},
		{"bad expression", `Router(id: "r", rules: { "a >": "x" })`, `rules["a >"]: expression "a >"`},
		{"destination not a string", `Router(id: "r", rules: { "a > 1": 3 })`, `rules["a > 1"]: expected "target.<subject>" or a channel name, not the number 3`},
		{"empty destination", `Router(id: "r", rules: { "a > 1": "" })`, `rules["a > 1"]: expected "target.<subject>" or a channel name`},
		{"two defaults", `Router(id: "r", rules: { "default": "a", " default ": "b" })`, `rules: more than one "default" rule`},
	})
}
