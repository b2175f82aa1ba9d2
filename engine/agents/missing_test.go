package agents

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/kumeo/kumeo/engine/flow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// feed runs events through an agent and returns the outputs.
func feed(t *testing.T, a flow.Agent, events ...map[string]any) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, e := range events {
		ev, _, err := process(t, a, e)
		require.NoError(t, err)
		out = append(out, ev.Data)
	}
	return out
}

func TestMissingValueHandler(t *testing.T) {
	for _, tt := range []struct {
		name   string
		agent  string
		events []map[string]any
		want   []map[string]any
	}{
		{
			name:   "mean by default, absent and null are missing",
			agent:  `MissingValueHandler(id: "fill", config: { fields: ["temp", "hum"] })`,
			events: []map[string]any{{"temp": 10.0, "hum": 50.0}, {"temp": 20.0}, {"temp": nil, "hum": nil}},
			want:   []map[string]any{{"temp": 10.0, "hum": 50.0}, {"temp": 20.0, "hum": 50.0}, {"temp": 15.0, "hum": 50.0}},
		},
		{
			name:   "nothing seen yet leaves the field missing",
			agent:  `MissingValueHandler(id: "fill", strategy: "mean_imputation", config: { fields: ["temp"] })`,
			events: []map[string]any{{"other": 1.0}, {"temp": 4}, {}},
			want:   []map[string]any{{"other": 1.0}, {"temp": 4}, {"temp": 4.0}},
		},
		{
			name:   "value fills until a value has been seen",
			agent:  `MissingValueHandler(id: "fill", strategy: "mean_imputation", config: { fields: ["temp"], value: 21 })`,
			events: []map[string]any{{}, {"temp": 30.0}, {}},
			want:   []map[string]any{{"temp": 21.0}, {"temp": 30.0}, {"temp": 30.0}},
		},
		{
			name:   "median",
			agent:  `MissingValueHandler(id: "fill", strategy: "median_imputation", config: { fields: ["v"] })`,
			events: []map[string]any{{"v": 1.0}, {"v": 100.0}, {}, {"v": 3.0}, {}},
			want:   []map[string]any{{"v": 1.0}, {"v": 100.0}, {"v": 50.5}, {"v": 3.0}, {"v": 3.0}},
		},
		{
			name:   "mode of strings",
			agent:  `MissingValueHandler(id: "fill", strategy: "mode_imputation", config: { fields: ["country"] })`,
			events: []map[string]any{{"country": "DE"}, {"country": "FR"}, {"country": "FR"}, {}},
			want:   []map[string]any{{"country": "DE"}, {"country": "FR"}, {"country": "FR"}, {"country": "FR"}},
		},
		{
			name:   "mode treats 3 and 3.0 as one value and skips objects",
			agent:  `MissingValueHandler(id: "fill", strategy: "mode_imputation", config: { fields: ["n"] })`,
			events: []map[string]any{{"n": 2.0}, {"n": 3}, {"n": 3.0}, {"n": map[string]any{}}, {"n": []any{}}, {}},
			want:   []map[string]any{{"n": 2.0}, {"n": 3}, {"n": 3.0}, {"n": map[string]any{}}, {"n": []any{}}, {"n": 3.0}},
		},
		{
			name:   "constant",
			agent:  `MissingValueHandler(id: "fill", strategy: "constant", config: { fields: ["a", "b.c"], value: "unknown" })`,
			events: []map[string]any{{"a": "x"}, {"b": map[string]any{"c": nil}}},
			want:   []map[string]any{{"a": "x", "b": map[string]any{"c": "unknown"}}, {"a": "unknown", "b": map[string]any{"c": "unknown"}}},
		},
		{
			name:   "constant number and boolean",
			agent:  `MissingValueHandler(id: "fill", strategy: "constant", config: { fields: ["n"], value: 0 })`,
			events: []map[string]any{{}},
			want:   []map[string]any{{"n": 0.0}},
		},
		{
			name:   "fields not listed are untouched",
			agent:  `MissingValueHandler(id: "fill", config: { fields: ["a"] })`,
			events: []map[string]any{{"a": 1.0, "b": nil}, {"b": nil}},
			want:   []map[string]any{{"a": 1.0, "b": nil}, {"a": 1.0, "b": nil}},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := mustBuild(t, tt.agent, "", "")
			assert.Equal(t, tt.want, feed(t, a, tt.events...))
		})
	}
	t.Run("not a number fails mean and median permanently", func(t *testing.T) {
		for _, s := range []string{"mean_imputation", "median_imputation"} {
			a := mustBuild(t, fmt.Sprintf(`MissingValueHandler(id: "fill", strategy: %q, config: { fields: ["v"] })`, s), "", "")
			_, _, err := process(t, a, map[string]any{"v": "n/a"})
			require.Error(t, err)
			assert.True(t, flow.IsPermanent(err))
			assert.ErrorIs(t, err, ErrInvalidEvent)
			assert.ErrorContains(t, err, fmt.Sprintf(`field "v": expected a number for %s, got the string "n/a"`, s))
		}
	})
}

func TestMissingValueHandlerStateRestore(t *testing.T) {
	for _, strategy := range []string{"mean_imputation", "median_imputation", "mode_imputation"} {
		t.Run(strategy, func(t *testing.T) {
			agent := fmt.Sprintf(`MissingValueHandler(id: "fill", strategy: %q, config: { fields: ["v", "w"] })`, strategy)
			a := mustBuild(t, agent, "", "")
			for i := 0; i < 40; i++ {
				feed(t, a, map[string]any{"v": float64(i % 7), "w": float64(i * i % 11)})
			}
			st := a.(flow.Stateful).State()

			b := mustBuild(t, agent, "", "")
			b.(flow.Stateful).Restore(st)
			assert.Equal(t, st, b.(flow.Stateful).State())
			assert.Equal(t, feed(t, a, map[string]any{}), feed(t, b, map[string]any{}))

			raw, err := json.Marshal(st)
			require.NoError(t, err)
			var back ImputerState
			require.NoError(t, json.Unmarshal(raw, &back))
			c := mustBuild(t, agent, "", "")
			c.(flow.Stateful).Restore(&back)
			assert.Equal(t, feed(t, b, map[string]any{}), feed(t, c, map[string]any{}))
		})
	}
	t.Run("other strategies' state is ignored", func(t *testing.T) {
		mean := mustBuild(t, `MissingValueHandler(id: "fill", config: { fields: ["v"] })`, "", "")
		feed(t, mean, map[string]any{"v": 5.0})
		median := mustBuild(t, `MissingValueHandler(id: "fill", strategy: "median_imputation", config: { fields: ["v"] })`, "", "")
		median.(flow.Stateful).Restore(mean.(flow.Stateful).State())
		median.(flow.Stateful).Restore(42)
		median.(flow.Stateful).Restore((*ImputerState)(nil))
		assert.Equal(t, []map[string]any{{}}, feed(t, median, map[string]any{}))
	})
	t.Run("constant keeps no state", func(t *testing.T) {
		a := mustBuild(t, `MissingValueHandler(id: "fill", strategy: "constant", config: { fields: ["v"], value: 1 })`, "", "")
		assert.Empty(t, a.(flow.Stateful).State().(ImputerState).Fields)
	})
}

func TestMissingValueHandlerConcurrent(t *testing.T) {
	for _, strategy := range []string{"mean_imputation", "median_imputation", "mode_imputation"} {
		t.Run(strategy, func(t *testing.T) {
			a := mustBuild(t, fmt.Sprintf(`MissingValueHandler(id: "fill", strategy: %q, config: { fields: ["v", "w"] })`, strategy), "", "")
			concurrently(8, 400, func(w, i int) {
				ev := &flow.Event{Data: map[string]any{"w": float64(w)}}
				if i%2 == 0 {
					ev.Data["v"] = 3.0
				}
				_, err := a.Process(context.Background(), ev)
				assert.NoError(t, err)
				if i%2 == 1 && i > 1 {
					assert.Equal(t, 3.0, ev.Data["v"])
				}
				if i%100 == 0 {
					a.(flow.Stateful).Restore(a.(flow.Stateful).State())
				}
			})
		})
	}
}

func TestMissingValueHandlerConfigErrors(t *testing.T) {
	assertConfigErrors(t, []configErrorCase{
		{"unknown strategy", `MissingValueHandler(id: "m", strategy: "mean", config: { fields: ["a"] })`,
			`agent "m" (MissingValueHandler): strategy: expected one of "mean_imputation", "median_imputation", "mode_imputation", "constant", not the string "mean"`},
		{"strategy in config", `MissingValueHandler(id: "m", config: { strategy: 1, fields: ["a"] })`, `config.strategy: expected one of`},
		{"no fields", `MissingValueHandler(id: "m")`, `config.fields: missing: expected the fields to fill, e.g. fields: ["temp", "vibration"]`},
		{"empty fields", `MissingValueHandler(id: "m", config: { fields: [] })`, `config.fields: missing`},
		{"fields wrong kind", `MissingValueHandler(id: "m", config: { fields: { a: 1 } })`, `config.fields: expected a list of field names`},
		{"bad field name", `MissingValueHandler(id: "m", config: { fields: ["a."] })`, `config.fields[0]: invalid field name "a."`},
		{"constant without value", `MissingValueHandler(id: "m", strategy: "constant", config: { fields: ["a"] })`, `config.value: missing: strategy "constant" fills missing fields with config.value`},
		{"value wrong kind", `MissingValueHandler(id: "m", strategy: "constant", config: { fields: ["a"], value: [1] })`, `config.value: expected a number, string or boolean to fill missing fields with, not a list`},
		{"string value for mean", `MissingValueHandler(id: "m", config: { fields: ["a"], value: "x" })`, `config.value: expected a number for strategy "mean_imputation", not the string "x"`},
	})
}
