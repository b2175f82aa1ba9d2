package agents

import (
	"context"
	"encoding/json"
	"math"
	"testing"

	"github.com/kumeo/kumeo/engine/flow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDataNormalizerMinMax(t *testing.T) {
	a := mustBuild(t, `DataNormalizer(id: "norm", config: { fields: { temp: { min: -40, max: 160 }, vibration: { min: 0, max: 50 }, "m.x": { min: 0, max: 10 } } })`, "", "")
	for _, tt := range []struct {
		name string
		in   map[string]any
		want map[string]any
	}{
		{"scaled", map[string]any{"temp": 60.0, "vibration": 12.5, "id": "s1"}, map[string]any{"temp": 0.5, "vibration": 0.25, "id": "s1"}},
		{"bounds map to 0 and 1", map[string]any{"temp": -40.0, "vibration": 50}, map[string]any{"temp": 0.0, "vibration": 1.0}},
		{"clamped", map[string]any{"temp": 1000.0, "vibration": -3.0}, map[string]any{"temp": 1.0, "vibration": 0.0}},
		{"absent and null are left alone", map[string]any{"vibration": nil}, map[string]any{"vibration": nil}},
		{"integer and json.Number inputs", map[string]any{"temp": int64(160), "vibration": json.Number("25")}, map[string]any{"temp": 1.0, "vibration": 0.5}},
		{"nested field", map[string]any{"m": map[string]any{"x": 5.0}}, map[string]any{"m": map[string]any{"x": 0.5}}},
		{"non-finite left as is", map[string]any{"temp": math.Inf(1)}, map[string]any{"temp": math.Inf(1)}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ev, out, err := process(t, a, tt.in)
			require.NoError(t, err)
			assert.Equal(t, flow.Emit, out.Action)
			assert.Equal(t, tt.want, ev.Data)
		})
	}
	t.Run("not a number fails permanently", func(t *testing.T) {
		_, _, err := process(t, a, map[string]any{"temp": "hot"})
		require.Error(t, err)
		assert.True(t, flow.IsPermanent(err))
		assert.ErrorIs(t, err, ErrInvalidEvent)
		assert.ErrorContains(t, err, `field "temp": expected a number to normalise, got the string "hot"`)
	})
	t.Run("min-max keeps no state", func(t *testing.T) {
		st := a.(flow.Stateful).State().(NormalizerState)
		assert.Empty(t, st.Fields)
	})
}

func TestDataNormalizerZScore(t *testing.T) {
	for _, agent := range []string{
		`DataNormalizer(id: "z", config: { fields: ["x"] })`,
		`DataNormalizer(id: "z", method: "z_score", config: { fields: ["x"] })`,
		`DataNormalizer(id: "z", config: { method: "z_score", fields: { x: {} } })`,
		`DataNormalizer(id: "z", config: { fields: { x: null } })`,
	} {
		t.Run(agent, func(t *testing.T) {
			a := mustBuild(t, agent, "", "")
			// Statistics include the value itself; the first value has no
			// spread yet and maps to 0.
			var got []float64
			for _, x := range []float64{2, 4, 4, 4, 5, 5, 7, 9} {
				ev, _, err := process(t, a, map[string]any{"x": x})
				require.NoError(t, err)
				got = append(got, ev.Data["x"].(float64))
			}
			assert.Equal(t, 0.0, got[0])
			assert.InDelta(t, 1.0, got[1], 1e-12) // mean 3, std 1
			// After all eight values: mean 5, population std 2.
			assert.InDelta(t, 2.0, got[7], 1e-12)
			st := a.(flow.Stateful).State().(NormalizerState)
			require.Contains(t, st.Fields, "x")
			assert.Equal(t, int64(8), st.Fields["x"].Count)
			assert.InDelta(t, 5.0, st.Fields["x"].Mean, 1e-12)
			assert.InDelta(t, 32.0, st.Fields["x"].M2, 1e-9)
		})
	}
}

func TestDataNormalizerMixedFields(t *testing.T) {
	a := mustBuild(t, `DataNormalizer(id: "n", config: { fields: { bounded: { min: 0, max: 10 }, free: {} } })`, "", "")
	ev, _, err := process(t, a, map[string]any{"bounded": 5.0, "free": 100.0})
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"bounded": 0.5, "free": 0.0}, ev.Data)
	assert.Equal(t, []string{"free"}, keys(a.(flow.Stateful).State().(NormalizerState).Fields))
}

func TestDataNormalizerStateRestore(t *testing.T) {
	const agent = `DataNormalizer(id: "z", config: { fields: ["x", "y"] })`
	a := mustBuild(t, agent, "", "")
	for _, x := range []float64{1, 2, 3, 4} {
		_, _, err := process(t, a, map[string]any{"x": x, "y": x * 10})
		require.NoError(t, err)
	}
	st := a.(flow.Stateful).State()

	b := mustBuild(t, agent, "", "")
	b.(flow.Stateful).Restore(st)
	assert.Equal(t, st, b.(flow.Stateful).State())
	p := st.(NormalizerState)
	b.(flow.Stateful).Restore(&p)
	assert.Equal(t, st, b.(flow.Stateful).State())

	// The same next value normalises the same way in both.
	ea, _, _ := process(t, a, map[string]any{"x": 10.0})
	eb, _, _ := process(t, b, map[string]any{"x": 10.0})
	assert.Equal(t, ea.Data, eb.Data)

	// A state survives JSON (e.g. kept on disk).
	raw, err := json.Marshal(st)
	require.NoError(t, err)
	var back NormalizerState
	require.NoError(t, json.Unmarshal(raw, &back))
	c := mustBuild(t, agent, "", "")
	c.(flow.Stateful).Restore(back)
	assert.Equal(t, st, c.(flow.Stateful).State())

	// Unknown states and fields that became min-max are ignored.
	d := mustBuild(t, `DataNormalizer(id: "z", config: { fields: { x: { min: 0, max: 1 }, y: {} } })`, "", "")
	d.(flow.Stateful).Restore(st)
	d.(flow.Stateful).Restore("nonsense")
	d.(flow.Stateful).Restore((*NormalizerState)(nil))
	assert.Equal(t, NormalizerState{Fields: map[string]FieldStats{"y": p.Fields["y"]}}, d.(flow.Stateful).State())
}

func TestDataNormalizerConcurrent(t *testing.T) {
	a := mustBuild(t, `DataNormalizer(id: "z", config: { fields: { x: {}, y: { min: 0, max: 100 } } })`, "", "")
	const workers, per = 8, 500
	concurrently(workers, per, func(w, i int) {
		ev := &flow.Event{Data: map[string]any{"x": float64(i % 10), "y": float64(w)}}
		_, err := a.Process(context.Background(), ev)
		assert.NoError(t, err)
		if i%100 == 0 {
			_ = a.(flow.Stateful).State()
		}
	})
	st := a.(flow.Stateful).State().(NormalizerState)
	assert.Equal(t, int64(workers*per), st.Fields["x"].Count)
	assert.InDelta(t, 4.5, st.Fields["x"].Mean, 1e-9)
}

func TestDataNormalizerConfigErrors(t *testing.T) {
	assertConfigErrors(t, []configErrorCase{
		{"no fields", `DataNormalizer(id: "n")`, `agent "n" (DataNormalizer): config.fields: missing: expected a list of fields to z-score, or { field: { min, max } } for min-max`},
		{"fields wrong kind", `DataNormalizer(id: "n", config: { fields: "x" })`, `config.fields: expected a list of fields or { field: { min, max } }, not the string "x"`},
		{"empty list", `DataNormalizer(id: "n", config: { fields: [] })`, `config.fields: expected at least one field`},
		{"empty object", `DataNormalizer(id: "n", config: { fields: {} })`, `config.fields: expected at least one field`},
		{"list element", `DataNormalizer(id: "n", config: { fields: ["x", 1] })`, `config.fields[1]: expected a field name, not the number 1`},
		{"unknown method", `DataNormalizer(id: "n", method: "minmax", config: { fields: ["x"] })`, `method: expected one of "min_max", "z_score", not the string "minmax"`},
		{"min_max without bounds list", `DataNormalizer(id: "n", config: { method: "min_max", fields: ["x"] })`, `config.fields: method "min_max" needs bounds: expected { field: { min: 0, max: 100 } }, not a list of names`},
		{"min_max without bounds object", `DataNormalizer(id: "n", config: { method: "min_max", fields: { x: {} } })`, `config.fields.x: method "min_max" needs bounds`},
		{"z_score with bounds", `DataNormalizer(id: "n", config: { method: "z_score", fields: { x: { min: 0, max: 1 } } })`, `config.fields.x: method "z_score" uses running statistics, not bounds`},
		{"bounds wrong kind", `DataNormalizer(id: "n", config: { fields: { x: [0, 1] } })`, `config.fields.x: expected { min: 0, max: 100 } or {}, not a list`},
		{"missing max", `DataNormalizer(id: "n", config: { fields: { x: { min: 0 } } })`, `config.fields.x.max: expected a number, not null`},
		{"min not a number", `DataNormalizer(id: "n", config: { fields: { x: { min: "0", max: 1 } } })`, `config.fields.x.min: expected a number, not the string "0"`},
		{"max not above min", `DataNormalizer(id: "n", config: { fields: { x: { min: 5, max: 5 } } })`, `config.fields.x: expected max greater than min, got min 5 and max 5`},
		{"unknown bound key", `DataNormalizer(id: "n", config: { fields: { x: { min: 0, maximum: 5 } } })`, `config.fields.x: unknown key "maximum": expected { min, max }`},
		{"bad field name", `DataNormalizer(id: "n", config: { fields: ["a..b"] })`, `config.fields: invalid field name "a..b"`},
	})
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
