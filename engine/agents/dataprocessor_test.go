package agents

import (
	"testing"

	"github.com/kumeo/kumeo/engine/flow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDataProcessorSteps(t *testing.T) {
	for _, tt := range []struct {
		name  string
		agent string
		in    map[string]any
		want  map[string]any
	}{
		{
			name:  "trim every top-level string",
			agent: `DataProcessor(id: "p", config: { steps: ["trim"] })`,
			in:    map[string]any{"a": "  x ", "b": "\ty\n", "n": 3.0, "nested": map[string]any{"c": " z "}, "list": []any{" w "}},
			want:  map[string]any{"a": "x", "b": "y", "n": 3.0, "nested": map[string]any{"c": " z "}, "list": []any{" w "}},
		},
		{
			name:  "lowercase",
			agent: `DataProcessor(id: "p", config: { steps: ["lowercase"] })`,
			in:    map[string]any{"a": "HeLLo Ä", "b": true},
			want:  map[string]any{"a": "hello ä", "b": true},
		},
		{
			name:  "uppercase",
			agent: `DataProcessor(id: "p", config: { steps: ["uppercase"] })`,
			in:    map[string]any{"a": "eur"},
			want:  map[string]any{"a": "EUR"},
		},
		{
			name:  "remove special chars keeps letters digits and spaces",
			agent: `DataProcessor(id: "p", config: { steps: ["remove_special_chars"] })`,
			in:    map[string]any{"a": "Café #42! (ok)", "b": "a_b-c.d@e", "c": "plain text 1", "d": "¡¿日本語?!"},
			want:  map[string]any{"a": "Café 42 ok", "b": "abcde", "c": "plain text 1", "d": "日本語"},
		},
		{
			name:  "steps run in the order given",
			agent: `DataProcessor(id: "p", config: { steps: ["remove_special_chars", "trim", "uppercase"] })`,
			in:    map[string]any{"a": "  #acme gmbh! "},
			want:  map[string]any{"a": "ACME GMBH"},
		},
		{
			name:  "config.fields limits the steps",
			agent: `DataProcessor(id: "p", config: { steps: ["trim", "lowercase"], fields: ["merchant", "card.holder", "absent", "amount"] })`,
			in:    map[string]any{"merchant": " ACME ", "currency": " EUR ", "card": map[string]any{"holder": " JANE "}, "amount": 5.0},
			want:  map[string]any{"merchant": "acme", "currency": " EUR ", "card": map[string]any{"holder": "jane"}, "amount": 5.0},
		},
		{
			name:  "steps as arguments",
			agent: `DataProcessor(id: "p", steps: ["trim"])`,
			in:    map[string]any{"a": " x "},
			want:  map[string]any{"a": "x"},
		},
		{
			name:  "nothing configured passes the event",
			agent: `DataProcessor(id: "p")`,
			in:    map[string]any{"a": " x "},
			want:  map[string]any{"a": " x "},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := mustBuild(t, tt.agent, "", "")
			ev, out, err := process(t, a, tt.in)
			require.NoError(t, err)
			assert.Equal(t, flow.Emit, out.Action)
			assert.Equal(t, tt.want, ev.Data)
		})
	}
}

func TestDataProcessorRequired(t *testing.T) {
	a := mustBuild(t, `DataProcessor(id: "p", config: { steps: ["trim"], required_fields: ["tx_id", "amount", "card.bin", "note"] })`, "", "")
	for _, tt := range []struct {
		name string
		in   map[string]any
		msg  string
	}{
		{"all present", map[string]any{"tx_id": "1", "amount": 0.0, "card": map[string]any{"bin": "4111"}, "note": ""}, ""},
		{"empty string after trim is present", map[string]any{"tx_id": "  ", "amount": 1.0, "card": map[string]any{"bin": "4"}, "note": " "}, ""},
		{"one missing", map[string]any{"tx_id": "1", "amount": 1.0, "card": map[string]any{"bin": "4"}}, `missing required field "note"`},
		{"null is missing, nested too", map[string]any{"tx_id": nil, "amount": 1.0, "card": map[string]any{}, "note": "x"}, `missing required fields "tx_id", "card.bin"`},
		{"every missing field is named", map[string]any{}, `missing required fields "tx_id", "amount", "card.bin", "note"`},
		{"nested parent not an object", map[string]any{"tx_id": "1", "amount": 1.0, "card": "4111", "note": "x"}, `missing required field "card.bin"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := process(t, a, tt.in)
			if tt.msg == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.True(t, flow.IsPermanent(err))
			assert.ErrorIs(t, err, ErrInvalidEvent)
			assert.ErrorContains(t, err, tt.msg)
		})
	}
}

func TestDataProcessorSchema(t *testing.T) {
	const schemaJSON = `{"type": "object", "required": ["amount", "currency"],
	  "properties": {"amount": {"type": "number", "minimum": 0}, "currency": {"type": "string", "enum": ["EUR", "USD"]}}}`
	const schemaYAML = "type: object\nrequired: [amount]\nproperties:\n  amount: { type: number, minimum: 0 }\n  currency: { $ref: 'defs/currency.json' }\n"
	dir := writeFiles(t, map[string]string{
		"schemas/tx.json":            schemaJSON,
		"schemas/tx.yaml":            schemaYAML,
		"schemas/defs/currency.json": `{"type": "string", "enum": ["EUR", "USD"]}`,
		"bad.json":                   `{"type": "nonsense"}`,
		"broken.json":                `{"type": `,
	})
	good := map[string]any{"amount": 10.0, "currency": "EUR"}
	bad := map[string]any{"amount": -1.0, "currency": "JPY"}
	for _, tt := range []struct {
		name, agent, extra string
		wantMsg            []string
	}{
		{"named schema file", `DataProcessor(id: "p", config: { schema: "schemas.tx" })`, `schemas: { tx: "schemas/tx.json" }`,
			[]string{"at '/amount'", "minimum", "at '/currency'"}},
		{"named inline schema", `DataProcessor(id: "p", config: { schema: "schemas.tx" })`,
			`schemas: { tx: { type: "object", properties: { amount: { type: "number", minimum: 0 }, currency: { enum: ["EUR", "USD"] } } } }`,
			[]string{"at '/amount'", "at '/currency'"}},
		{"file path", `DataProcessor(id: "p", config: { schema: "schemas/tx.json" })`, "", []string{"at '/amount'"}},
		{"yaml file with a relative $ref", `DataProcessor(id: "p", config: { schema: "schemas/tx.yaml" })`, "", []string{"at '/amount'", "at '/currency'"}},
		{"inline object", `DataProcessor(id: "p", config: { schema: { type: "object", properties: { amount: { minimum: 0 } } } })`, "", []string{"at '/amount'"}},
		{"schema as argument", `DataProcessor(id: "p", schema: "schemas/tx.json")`, "", []string{"at '/amount'"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := mustBuild(t, tt.agent, tt.extra, dir)
			_, _, err := process(t, a, copyMap(good))
			assert.NoError(t, err)
			_, _, err = process(t, a, copyMap(bad))
			require.Error(t, err)
			assert.True(t, flow.IsPermanent(err))
			assert.ErrorIs(t, err, ErrInvalidEvent)
			assert.ErrorContains(t, err, "schema: ")
			for _, m := range tt.wantMsg {
				assert.ErrorContains(t, err, m)
			}
			assert.NotContains(t, err.Error(), "\n")
		})
	}
	t.Run("missing property", func(t *testing.T) {
		a := mustBuild(t, `DataProcessor(id: "p", config: { schema: "schemas/tx.json" })`, "", dir)
		_, _, err := process(t, a, map[string]any{"amount": 1.0})
		assert.ErrorContains(t, err, "missing property 'currency'")
	})
	t.Run("config errors", func(t *testing.T) {
		for _, tt := range []struct {
			name, agent, extra, msg string
		}{
			{"unknown named schema", `DataProcessor(id: "p", config: { schema: "schemas.txx" })`, `schemas: { tx: "schemas/tx.json", user: "u.json" }`,
				`agent "p" (DataProcessor): config.schema: unknown schema "txx": the workflow's schemas are "tx", "user"`},
			{"no schemas object", `DataProcessor(id: "p", config: { schema: "schemas.tx" })`, "",
				`config.schema: unknown schema "tx": the workflow has no schemas object`},
			{"missing file", `DataProcessor(id: "p", config: { schema: "nope.json" })`, "", `config.schema: cannot read the schema file`},
			{"broken json", `DataProcessor(id: "p", config: { schema: "broken.json" })`, "", `config.schema: cannot read the schema file`},
			{"invalid schema", `DataProcessor(id: "p", config: { schema: "bad.json" })`, "", `config.schema: invalid JSON Schema`},
			{"wrong kind", `DataProcessor(id: "p", config: { schema: 3 })`, "", `config.schema: expected "schemas.<name>", a JSON Schema file or an inline schema object, not the number 3`},
			{"named schema of wrong kind", `DataProcessor(id: "p", config: { schema: "schemas.tx" })`, `schemas: { tx: 3 }`, `schemas.tx: expected a file name or an inline schema object`},
		} {
			t.Run(tt.name, func(t *testing.T) {
				_, err := build(t, tt.agent, tt.extra, dir)
				require.Error(t, err)
				assert.ErrorIs(t, err, ErrInvalidConfig)
				assert.ErrorContains(t, err, tt.msg)
			})
		}
	})
}

func TestDataProcessorRules(t *testing.T) {
	a := mustBuild(t, `DataProcessor(id: "p", config: { rules: [ { name: "positive", condition: "amount > 0", error: "amount must be positive" } ] })`, "", "")
	_, _, err := process(t, a, map[string]any{"amount": 5.0})
	assert.NoError(t, err)
	_, _, err = process(t, a, map[string]any{"amount": -5.0})
	assert.True(t, flow.IsPermanent(err))
	assert.ErrorContains(t, err, "positive (amount must be positive)")
}

func TestDataProcessorFeatures(t *testing.T) {
	const extra = `config: { thresholds: { large: 2500 } }`
	for _, tt := range []struct {
		name  string
		agent string
		in    map[string]any
		want  map[string]any
	}{
		{
			name:  "output holds exactly the features",
			agent: `DataProcessor(id: "f", config: { features: ["amount", "merchant", "night: hour >= 0 && hour < 6", "large: amount > config.thresholds.large"] })`,
			in:    tx(),
			want:  map[string]any{"amount": 1234.56, "merchant": "ACME Online Store GmbH", "night": true, "large": false},
		},
		{
			name:  "absent copied field is left out",
			agent: `DataProcessor(id: "f", config: { features: ["tx_id", "missing", "nulled"] })`,
			in:    map[string]any{"tx_id": "a", "nulled": nil},
			want:  map[string]any{"tx_id": "a"},
		},
		{
			name:  "nested names read and write nested fields",
			agent: `DataProcessor(id: "f", config: { features: ["card.bin", "geo.high_risk: country in ['XX', 'YY']"] })`,
			in:    map[string]any{"card": map[string]any{"bin": "4111", "number": "secret"}, "country": "XX"},
			want:  map[string]any{"card": map[string]any{"bin": "4111"}, "geo": map[string]any{"high_risk": true}},
		},
		{
			name:  "features see the input after the steps, not each other",
			agent: `DataProcessor(id: "f", config: { steps: ["trim", "uppercase"], features: ["cur: currency", "a: amount * 2", "b: a ?? 'unset'"] })`,
			in:    map[string]any{"currency": " eur ", "amount": 2.0},
			want:  map[string]any{"cur": "EUR", "a": 4.0, "b": "unset"},
		},
		{
			name:  "a computed feature replacing an input field does not change what others see",
			agent: `DataProcessor(id: "f", config: { features: ["amount: amount * 2", "orig: amount", "tx_id", "nulled"] })`,
			in:    map[string]any{"amount": 3.0, "tx_id": "a", "nulled": nil, "other": "x"},
			want:  map[string]any{"amount": 6.0, "orig": 3.0, "tx_id": "a"},
		},
		{
			name:  "whitespace around name and colon",
			agent: `DataProcessor(id: "f", config: { features: ["  spaced :  amount + 1", " plain  "] })`,
			in:    map[string]any{"amount": 1.0, "plain": "p"},
			want:  map[string]any{"spaced": 2.0, "plain": "p"},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := mustBuild(t, tt.agent, extra, "")
			ev, out, err := process(t, a, tt.in)
			require.NoError(t, err)
			assert.Equal(t, flow.Emit, out.Action)
			assert.Equal(t, tt.want, ev.Data)
		})
	}
	t.Run("evaluation error is permanent and names the feature", func(t *testing.T) {
		a := mustBuild(t, `DataProcessor(id: "f", config: { features: ["double: amount * 2"] })`, "", "")
		_, _, err := process(t, a, map[string]any{"amount": "ten"})
		require.Error(t, err)
		assert.True(t, flow.IsPermanent(err))
		assert.ErrorIs(t, err, ErrInvalidEvent)
		assert.ErrorContains(t, err, `feature "double": expression "amount * 2": invalid operation: string * int`)
	})
	t.Run("non-finite result fails", func(t *testing.T) {
		a := mustBuild(t, `DataProcessor(id: "f", config: { features: ["scaled: amount * n"] })`, "", "")
		_, _, err := process(t, a, map[string]any{"amount": 1e308, "n": 10.0})
		require.Error(t, err)
		assert.True(t, flow.IsPermanent(err))
		assert.ErrorContains(t, err, `feature "scaled": expression "amount * n" gave +Inf, which JSON cannot carry`)
	})
	t.Run("division by zero fails naming the divisor", func(t *testing.T) {
		a := mustBuild(t, `DataProcessor(id: "f", config: { features: ["ratio: amount / n"] })`, "", "")
		_, _, err := process(t, a, map[string]any{"amount": 1.0, "n": 0.0})
		require.Error(t, err)
		assert.True(t, flow.IsPermanent(err))
		assert.ErrorContains(t, err, `feature "ratio": expression "amount / n": amount / n: n is 0, cannot divide by zero`)
	})
	t.Run("validation happens before features", func(t *testing.T) {
		a := mustBuild(t, `DataProcessor(id: "f", config: { required_fields: ["amount"], features: ["amount"] })`, "", "")
		_, _, err := process(t, a, map[string]any{"x": 1.0})
		assert.ErrorContains(t, err, `missing required field "amount"`)
	})
	t.Run("nil data", func(t *testing.T) {
		a := mustBuild(t, `DataProcessor(id: "f", config: { features: ["a: 1 + 1"] })`, "", "")
		ev, _, err := process(t, a, nil)
		require.NoError(t, err)
		assert.Equal(t, map[string]any{"a": 2}, ev.Data)
	})
}

func TestDataProcessorConfigFile(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"dp.yaml":   "steps: [trim]\nrequired_fields: [a]\nfeatures: [a, 'b: a + \"!\"']\n",
		"list.yaml": "- trim\n",
	})
	a := mustBuild(t, `DataProcessor(id: "p", config: "dp.yaml")`, "", dir)
	ev, _, err := process(t, a, map[string]any{"a": " x "})
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"a": "x", "b": "x!"}, ev.Data)

	_, err = build(t, `DataProcessor(id: "p", config: "missing.yaml")`, "", dir)
	assert.ErrorContains(t, err, `agent "p" (DataProcessor): config: cannot read the config file`)
	_, err = build(t, `DataProcessor(id: "p", config: "list.yaml")`, "", dir)
	assert.ErrorContains(t, err, `config: expected the file "list.yaml" to hold an object of settings, not a list`)
}

func TestDataProcessorConfigErrors(t *testing.T) {
	assertConfigErrors(t, []configErrorCase{
		{"steps not a list", `DataProcessor(id: "p", config: { steps: "trim" })`,
			`agent "p" (DataProcessor): config.steps: expected a list of steps such as ["trim", "lowercase"], not the string "trim"`},
		{"unknown step", `DataProcessor(id: "p", config: { steps: ["trim", "strip"] })`,
			`config.steps[1]: unknown step the string "strip": expected one of "trim", "lowercase", "uppercase", "remove_special_chars"`},
		{"step not a string", `DataProcessor(id: "p", config: { steps: [1] })`, `config.steps[0]: unknown step the number 1`},
		{"fields not a list", `DataProcessor(id: "p", config: { steps: ["trim"], fields: "a" })`, `config.fields: expected a list of field names`},
		{"empty fields", `DataProcessor(id: "p", config: { steps: ["trim"], fields: [] })`, `config.fields: expected at least one field for the steps`},
		{"required not a list", `DataProcessor(id: "p", config: { required_fields: "a" })`, `config.required_fields: expected a list of field names`},
		{"required element", `DataProcessor(id: "p", config: { required_fields: ["a", 2] })`, `config.required_fields[1]: expected a field name, not the number 2`},
		{"required empty name", `DataProcessor(id: "p", config: { required_fields: [""] })`, `config.required_fields[0]: expected a field name, not the string ""`},
		{"features not a list", `DataProcessor(id: "p", config: { features: "a" })`, `config.features: expected a list of features`},
		{"no features", `DataProcessor(id: "p", config: { features: [] })`, `config.features: expected at least one feature`},
		{"feature not a string", `DataProcessor(id: "p", config: { features: [{ a: 1 }] })`, `config.features[0]: expected "name" (copy a field) or "name: expression" (compute one), not an object`},
		{"feature syntax", `DataProcessor(id: "p", config: { features: ["a b"] })`, `config.features[0]: expected "name" (copy a field) or "name: expression" (compute one), not "a b"`},
		{"feature starts with digit", `DataProcessor(id: "p", config: { features: ["1a"] })`, `config.features[0]: expected "name"`},
		{"feature empty expr", `DataProcessor(id: "p", config: { features: ["a:  "] })`, `config.features[0]: expected an expression such as "amount > 1000", not an empty string`},
		{"feature bad expr", `DataProcessor(id: "p", config: { features: ["a", "big: amount >> 3"] })`, `config.features[1]: expression "amount >> 3"`},
		{"duplicate feature", `DataProcessor(id: "p", config: { features: ["a", "a: 1"] })`, `config.features[1]: duplicate feature "a"`},
		{"rules wrong kind", `DataProcessor(id: "p", config: { rules: 3 })`, `config.rules: expected a list of rules`},
	})
}

func TestRemoveSpecialAllocatesOnlyOnChange(t *testing.T) {
	s := "plain text 123 Ünïcode"
	assert.Equal(t, 0.0, testing.AllocsPerRun(100, func() { _ = removeSpecial(s) }))
	assert.Equal(t, "ab", removeSpecial("a\x00b\xff"))
}

func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Top-level features are made in place of the input; the result must be
// what the general path (a new object) gives.
func TestDataProcessorInPlaceMatchesNewObject(t *testing.T) {
	agent := `DataProcessor(id: "f", config: { features: ["tx_id", "amount", "cur: currency ?? 'EUR'", "big: amount > 100", "amount_x2: amount * 2", "nulled"] })`
	inputs := []map[string]any{
		tx(),
		{"tx_id": "a", "amount": 150.0, "currency": nil, "nulled": nil, "extra": []any{1.0}},
		{"amount": 5.0, "big": "input field named like a feature", "amount_x2": 1.0},
		{},
	}
	for i, in := range inputs {
		flat := mustBuild(t, agent, "", "").(*DataProcessor)
		general := mustBuild(t, agent, "", "").(*DataProcessor)
		require.True(t, flat.flat)
		general.flat = false
		ev1, out1, err1 := process(t, flat, cloneData(in))
		ev2, out2, err2 := process(t, general, cloneData(in))
		assert.Equal(t, err2, err1, "input %d", i)
		assert.Equal(t, out2, out1, "input %d", i)
		assert.Equal(t, ev2.Data, ev1.Data, "input %d", i)
	}
}

func cloneData(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
