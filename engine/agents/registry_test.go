package agents

import (
	"errors"
	"testing"

	"github.com/kumeo/kumeo/dsl"
	"github.com/kumeo/kumeo/engine/flow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEveryAgentTypeHasAFactory(t *testing.T) {
	names := dsl.Builtin().TypeNames(dsl.CatAgent)
	require.NotEmpty(t, names)
	bound := map[string]flow.AgentType{}
	for _, typ := range Types() {
		require.NotContains(t, bound, typ.Name, "bound twice")
		bound[typ.Name] = typ
	}
	assert.Len(t, bound, len(names), "every bound type has a spec")
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			typ, ok := bound[name]
			require.True(t, ok, "agent type %s has no factory", name)
			unavailableType := false
			for _, u := range unavailable {
				unavailableType = unavailableType || u.typ == name
			}
			assert.Equal(t, !unavailableType, typ.Runnable, "Runnable in the palette")
			if unavailableType {
				_, err := typ.New(flow.NewConfig(specOf(t, name), nil, nil))
				assert.ErrorIs(t, err, flow.ErrNotAvailable)
			}
		})
	}
}

func TestModelBackedAgentsFailClearly(t *testing.T) {
	for _, tt := range []struct {
		agent, msg string
	}{
		{`MLModel(id: "score", model: "m.onnx")`, `agent "score" (MLModel): model-backed agents are not available in the local engine yet`},
		{`LLM(id: "summary", engine: "ollama/llama3", prompt: "hi")`, `agent "summary" (LLM): model-backed agents are not available in the local engine yet`},
		{`BayesianNetwork("risk.bif")`, `agent "BayesianNetwork" (BayesianNetwork): model-backed agents are not available in the local engine yet`},
		{`HumanReview(id: "officer")`, `agent "officer" (HumanReview): human review agents are not available in the local engine yet`},
		{`HumanInLoop(id: "officer")`, `agent "officer" (HumanInLoop): human review agents are not available in the local engine yet`},
		{`Custom(id: "fft", module: "fft.wasm")`, `agent "fft" (Custom): WebAssembly (Custom) agents are not available in the local engine yet`},
	} {
		t.Run(tt.agent, func(t *testing.T) {
			a, err := build(t, tt.agent, "", "")
			assert.Nil(t, a)
			require.Error(t, err)
			assert.ErrorIs(t, err, flow.ErrNotAvailable)
			assert.EqualError(t, err, tt.msg)
			var na *NotAvailableError
			assert.True(t, errors.As(err, &na))
		})
	}
	t.Run("id from arguments without a syntax tree", func(t *testing.T) {
		_, err := factoryOf(t, "MLModel")(flow.NewConfig(specOf(t, "MLModel"), map[string]any{"id": "score"}, nil))
		assert.EqualError(t, err, `agent "score" (MLModel): model-backed agents are not available in the local engine yet`)
	})
}

func TestConfigErrorShape(t *testing.T) {
	_, err := build(t, `Router(id: "r", rules: ["x"])`, "", "")
	var ce *ConfigError
	require.True(t, errors.As(err, &ce))
	assert.Equal(t, "r", ce.Agent)
	assert.Equal(t, "Router", ce.Type)
	assert.Equal(t, "rules", ce.Arg)
	assert.ErrorIs(t, err, ErrInvalidConfig)

	// Without an explicit id the resolved id (the type name) is used.
	_, err = build(t, `DataNormalizer()`, "", "")
	assert.ErrorContains(t, err, `agent "DataNormalizer" (DataNormalizer): config.fields: missing`)
}

// The example workflows shipped with the project build wherever their
// agent types are available.
func TestExampleAgentsBuild(t *testing.T) {
	for _, agent := range []string{
		`DataProcessor(id: "validate", input: "source", output: "tx.valid", config: { required_fields: ["tx_id", "amount", "currency", "merchant"], steps: ["trim"] })`,
		`DataProcessor(id: "features", config: { features: ["amount", "merchant", "night: hour >= 0 && hour < 6", "large: amount > 2500"] })`,
		policyRules,
		fraudRouter,
		`MissingValueHandler(id: "fill", strategy: "median_imputation", config: { fields: ["temp", "vibration"] })`,
		`DataNormalizer(id: "norm", config: { fields: { temp: { min: -40, max: 150 }, vibration: { min: 0, max: 50 } } })`,
		`DecisionMatrix(id: "limits", rules: [ { name: "temp", condition: "temp < 0.85", error: "overheating" }, { name: "vibration", condition: "peak_hz < 120 || vibration < 0.4", error: "bearing wear" } ], on_failure: { action: "reject", fallback: { action: "reject", channel: "plant.alerts" } })`,
	} {
		t.Run(agent[:20], func(t *testing.T) {
			mustBuild(t, agent, `config: { thresholds: { block: 0.92, review: 0.7 }, currencies: ["EUR"] }`, "")
		})
	}
}

func TestEventsWithoutData(t *testing.T) {
	for _, tt := range []struct {
		agent string
		want  flow.Outcome
		data  map[string]any
		msg   string
	}{
		{`Router(id: "r", rules: { "kind == 'a'": "a", "default": "b" })`, flow.Outcome{Action: flow.Route, Route: 1}, nil, ""},
		{`DecisionMatrix(id: "d", rules: [ { name: "has_kind", condition: "kind != nil", error: "no kind" } ])`, flow.Outcome{}, nil, "rule failed: has_kind (no kind)"},
		{`DataProcessor(id: "p", config: { steps: ["trim"], required_fields: ["a"] })`, flow.Outcome{}, map[string]any{}, `missing required field "a"`},
		{`DataNormalizer(id: "n", config: { fields: ["a"] })`, flow.Outcome{Action: flow.Emit}, nil, ""},
		{`MissingValueHandler(id: "m", strategy: "constant", config: { fields: ["a"], value: 1 })`, flow.Outcome{Action: flow.Emit}, map[string]any{"a": 1.0}, ""},
	} {
		t.Run(tt.agent[:12], func(t *testing.T) {
			a := mustBuild(t, tt.agent, "", "")
			ev, out, err := process(t, a, nil)
			if tt.msg != "" {
				assert.ErrorContains(t, err, tt.msg)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, out)
			assert.Equal(t, tt.data, ev.Data)
		})
	}
}
