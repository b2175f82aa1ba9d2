package agents

import (
	"errors"
	"fmt"
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

// Every runnable type, built with each of its settings given, reads only
// what its spec declares (build fails the test otherwise), and every value
// of an enum its spec lists builds.
func TestFactoriesReadOnlyTheirSpec(t *testing.T) {
	dir := writeFiles(t, map[string]string{"rules.yaml": "- { name: a, condition: \"x > 1\", error: big }\n", "s.json": `{"type": "object"}`})
	typical := map[string][]string{
		"DataProcessor": {`DataProcessor(id: "a", config: { steps: ["trim"], fields: ["x"], required_fields: ["x"], schema: "s.json", features: ["x", "y: x + 1"], rules: "rules.yaml" })`},
		"Router":        {`Router(id: "a", rules: { "x > 1": "big", "default": "small" })`},
		"DecisionMatrix": {`DecisionMatrix(id: "a", rules: [ { name: "r", condition: "x > 1", error: "e" } ])`,
			`DecisionMatrix(id: "a", matrix: "rules.yaml")`},
		"RuleEngine":          {`RuleEngine(id: "a", rules: "rules.yaml")`},
		"DataNormalizer":      {`DataNormalizer(id: "a", config: { fields: { x: { min: 0, max: 1 } } })`},
		"MissingValueHandler": {`MissingValueHandler(id: "a", config: { fields: ["x"], value: 1 })`},
	}
	enums := 0
	for _, typ := range Types() {
		if !typ.Runnable {
			continue
		}
		t.Run(typ.Name, func(t *testing.T) {
			require.NotEmpty(t, typical[typ.Name], "no typical configuration for %s", typ.Name)
			for _, agent := range typical[typ.Name] {
				mustBuild(t, agent, "", dir)
			}
			spec := specOf(t, typ.Name)
			for _, as := range append(append([]dsl.ArgSpec{}, spec.Args...), spec.ConfigKeys...) {
				for _, v := range as.Enum {
					enums++
					fields := `fields: ["x"], value: 1`
					if v == "min_max" {
						fields = `fields: { x: { min: 0, max: 1 } }`
					}
					mustBuild(t, fmt.Sprintf(`%s(id: "a", %s: %q, config: { %s })`, typ.Name, as.Name, v, fields), "", dir)
				}
			}
		})
	}
	assert.NotZero(t, enums, "the strategy and method enums are built")
}

// A factory that reads a setting its spec does not declare is caught.
func TestUndeclaredReadIsCaught(t *testing.T) {
	cfg := configFor(t, `Router(id: "r", rules: { "default": "x" }, threshold: 3)`, "", "")
	v, ok := cfg.Value("threshold")
	assert.False(t, ok, "an undeclared setting reads as absent")
	assert.Nil(t, v)
	cfg.Node("strategy")
	assert.Equal(t, []string{"threshold", "strategy"}, cfg.Undeclared())
}

// The clean-up steps the spec lists are the ones DataProcessor implements.
func TestStepsAgreeWithTheSpec(t *testing.T) {
	steps := specOf(t, "DataProcessor").Caps.Steps
	require.NotEmpty(t, steps)
	assert.Len(t, stepOf, len(steps))
	for _, s := range steps {
		assert.Contains(t, stepOf, s)
	}
}
