package agents

import (
	"errors"
	"testing"

	"github.com/kumeo/kumeo/engine/flow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const policyRules = `DecisionMatrix(
      id: "policy",
      rules: [
        { name: "score_range", condition: "score >= 0 && score <= 1", error: "score out of range" },
        { name: "currency", condition: "currency in config.currencies", error: "unsupported currency" },
        { condition: "amount < 10000" }
      ],
      on_failure: { action: "quarantine", retry: 1 }
    )`

func TestDecisionMatrix(t *testing.T) {
	a := mustBuild(t, policyRules, `config: { currencies: ["EUR", "USD"] }`, "")
	assert.Equal(t, []string{"score_range", "currency", "rule 3"}, a.(*RuleChecker).Rules())
	for _, tt := range []struct {
		name   string
		in     map[string]any
		failed []RuleViolation
	}{
		{"all hold", map[string]any{"score": 0.5, "currency": "EUR", "amount": 10.0}, nil},
		{"one fails", map[string]any{"score": 1.5, "currency": "EUR", "amount": 10.0},
			[]RuleViolation{{"score_range", "score out of range"}}},
		{"every failing rule is listed", map[string]any{"score": 1.5, "currency": "JPY", "amount": 20000.0},
			[]RuleViolation{{"score_range", "score out of range"}, {"currency", "unsupported currency"}, {"rule 3", `condition "amount < 10000" is false`}}},
		{"evaluation error counts as failed", map[string]any{"currency": "EUR", "amount": 10.0},
			[]RuleViolation{{"score_range", "cannot evaluate condition: expression \"score >= 0 && score <= 1\": invalid operation: <nil> >= int (1:7)"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ev, out, err := process(t, a, tt.in)
			if tt.failed == nil {
				require.NoError(t, err)
				assert.Equal(t, flow.Outcome{Action: flow.Emit}, out)
				assert.Equal(t, tt.in, ev.Data)
				return
			}
			require.Error(t, err)
			assert.True(t, flow.IsPermanent(err))
			assert.ErrorIs(t, err, ErrInvalidEvent)
			var re *RulesError
			require.True(t, errors.As(err, &re))
			assert.Equal(t, tt.failed, re.Violations)
			for _, v := range tt.failed {
				assert.ErrorContains(t, err, v.Rule+" ("+v.Message+")")
			}
		})
	}
}

func TestRulesErrorMessage(t *testing.T) {
	one := &RulesError{Violations: []RuleViolation{{"a", "bad a"}}}
	assert.Equal(t, "rule failed: a (bad a)", one.Error())
	two := &RulesError{Violations: []RuleViolation{{"a", "bad a"}, {"b", "bad b"}}}
	assert.Equal(t, "2 rules failed: a (bad a); b (bad b)", two.Error())
}

func TestRuleFiles(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"rules.yaml": "- name: positive\n  condition: amount > 0\n  error: amount must be positive\n- name: small\n  condition: amount < 100\n",
		"wrapped.json": `{"rules": [{"name": "positive", "condition": "amount > 0", "error": "amount must be positive"},
		                             {"name": "small", "condition": "amount < 100", "description": "documentation only"}]}`,
		"policy.dmx":    "rules:\n  - { name: positive, condition: 'amount > 0', error: amount must be positive }\n  - { name: small, condition: 'amount < 100' }\n",
		"base.yaml":     "- { name: positive, condition: 'amount > 0', error: amount must be positive }\n",
		"nested.yaml":   "- base.yaml\n- { name: small, condition: 'amount < 100' }\n",
		"self.yaml":     "- self.yaml\n",
		"scalar.yaml":   "42\n",
		"noRules.yaml":  "other: 1\n",
		"badRule.yaml":  "- { name: x, condition: 'a >' }\n",
		"broken.json":   "[",
		"constant.yaml": "- { name: off, condition: false, error: disabled }\n- { name: on, condition: true }\n",
	})
	for _, tt := range []struct {
		name, agent string
	}{
		{"RuleEngine YAML file", `RuleEngine(id: "re", rules: "rules.yaml")`},
		{"RuleEngine JSON file with a rules key", `RuleEngine(id: "re", rules: "wrapped.json")`},
		{"RuleEngine inline list", `RuleEngine(id: "re", rules: [ { name: "positive", condition: "amount > 0", error: "amount must be positive" }, { name: "small", condition: "amount < 100" } ])`},
		{"DecisionMatrix matrix file of another extension", `DecisionMatrix(id: "dm", matrix: "policy.dmx")`},
		{"DecisionMatrix rules as a file name", `DecisionMatrix(id: "dm", rules: "rules.yaml")`},
		{"file names inside lists", `DecisionMatrix(id: "dm", rules: ["nested.yaml"])`},
		{"mixed list", `RuleEngine(id: "re", rules: ["base.yaml", { name: "small", condition: "amount < 100" }])`},
		{"rules in the config object", `RuleEngine(id: "re", config: { rules: "rules.yaml" })`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := mustBuild(t, tt.agent, "", dir)
			assert.Equal(t, []string{"positive", "small"}, a.(*RuleChecker).Rules())
			_, _, err := process(t, a, map[string]any{"amount": 50.0})
			assert.NoError(t, err)
			_, _, err = process(t, a, map[string]any{"amount": -1.0})
			assert.ErrorContains(t, err, "rule failed: positive (amount must be positive)")
			_, _, err = process(t, a, map[string]any{"amount": 500.0})
			assert.ErrorContains(t, err, `rule failed: small (condition "amount < 100" is false)`)
		})
	}
	t.Run("constant conditions", func(t *testing.T) {
		a := mustBuild(t, `RuleEngine(id: "re", rules: "constant.yaml")`, "", dir)
		_, _, err := process(t, a, map[string]any{})
		assert.EqualError(t, err, "rule failed: off (disabled)")
	})
	t.Run("config errors", func(t *testing.T) {
		for _, tt := range []struct {
			name, agent, msg string
		}{
			{"DecisionMatrix without rules", `DecisionMatrix(id: "dm")`, `agent "dm" (DecisionMatrix): rules: missing: expected rules: [ { name, condition, error } ] or matrix: "rules.yaml"`},
			{"both rules and matrix", `DecisionMatrix(id: "dm", matrix: "rules.yaml", rules: [])`, `matrix: give either rules: [...] or matrix: "file", not both`},
			{"matrix not a string", `DecisionMatrix(id: "dm", matrix: ["a"])`, `matrix: expected the name of a rules file (JSON or YAML), not a list`},
			{"RuleEngine without rules", `RuleEngine(id: "re")`, `agent "re" (RuleEngine): rules: missing: expected rules: "rules.yaml"`},
			{"empty list", `RuleEngine(id: "re", rules: [])`, `rules: expected at least one rule`},
			{"rules wrong kind", `RuleEngine(id: "re", rules: 3)`, `rules: expected a list of rules [ { name, condition, error } ] or a rules file name, not the number 3`},
			{"missing file", `RuleEngine(id: "re", rules: "nope.yaml")`, `rules: cannot read the rules file: open`},
			{"broken file", `RuleEngine(id: "re", rules: "broken.json")`, `rules: cannot read the rules file: broken.json`},
			{"scalar file", `RuleEngine(id: "re", rules: "scalar.yaml")`, `rules: expected the file "scalar.yaml" to hold a list of rules or { rules: [...] }, not the number 42`},
			{"object without rules", `RuleEngine(id: "re", rules: "noRules.yaml")`, `rules: expected the file "noRules.yaml" to hold a list of rules or { rules: [...] }`},
			{"bad rule in a file", `RuleEngine(id: "re", rules: "badRule.yaml")`, `rules (badRule.yaml)[0].condition: expression "a >"`},
			{"file includes itself", `RuleEngine(id: "re", rules: "self.yaml")`, `rule files include each other too deeply at "self.yaml"`},
			{"empty file name", `RuleEngine(id: "re", rules: " ")`, `rules: expected a rules file name, not an empty string`},
			{"rule not an object", `RuleEngine(id: "re", rules: [3])`, `rules[0]: expected a rule { name: "x", condition: "amount > 0", error: "message" } or a rules file name, not the number 3`},
			{"unknown key", `RuleEngine(id: "re", rules: [ { name: "a", condition: "true", eror: "x" } ])`, `rules[0]: unknown key "eror": a rule has "name", "condition", "error", "description"`},
			{"no condition", `RuleEngine(id: "re", rules: [ { name: "a" } ])`, `rules[0]: rule "a" has no condition: expected condition: "amount > 0"`},
			{"condition wrong kind", `RuleEngine(id: "re", rules: [ { condition: 3 } ])`, `rules[0].condition: expected an expression string such as "amount > 0", not the number 3`},
			{"bad condition", `DecisionMatrix(id: "dm", rules: [ { name: "a", condition: "amount >" } ])`, `rules[0].condition: expression "amount >"`},
			{"empty condition", `DecisionMatrix(id: "dm", rules: [ { name: "a", condition: "" } ])`, `rules[0].condition: expected an expression such as "amount > 1000", not an empty string`},
			{"name wrong kind", `DecisionMatrix(id: "dm", rules: [ { name: 1, condition: "true" } ])`, `rules[0].name: expected a rule name, not the number 1`},
			{"duplicate name", `DecisionMatrix(id: "dm", rules: [ { name: "a", condition: "true" }, { name: "a", condition: "false" } ])`, `rules[1].name: duplicate rule name "a"`},
			{"error wrong kind", `DecisionMatrix(id: "dm", rules: [ { name: "a", condition: "true", error: 2 } ])`, `rules[0].error: expected an error message string, not the number 2`},
		} {
			t.Run(tt.name, func(t *testing.T) {
				_, err := build(t, tt.agent, "", dir)
				require.Error(t, err)
				assert.ErrorIs(t, err, ErrInvalidConfig)
				assert.ErrorContains(t, err, tt.msg)
				assert.NotContains(t, err.Error(), "\n")
			})
		}
	})
}
