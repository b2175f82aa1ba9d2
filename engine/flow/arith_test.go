package flow

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every arithmetic and comparison operator on numbers as events carry
// them: decoded from JSON, so float64 whatever was written, next to int
// literals and config values (float64 too, as dsl.Interface gives them).
func TestExprArithmeticOnJSONNumbers(t *testing.T) {
	var ev map[string]any
	require.NoError(t, json.Unmarshal([]byte(`{"amount": 10, "odd": 7, "neg": -7, "half": 2.5, "zero": 0,
		"big": 9007199254740992, "huge": 1e300, "two": 2, "name": "kumeo", "flag": true, "obj": {"a": 1}}`), &ev))
	globals := map[string]any{"n": 3.0, "f": 0.5, "z": 0.0}
	for _, tt := range []struct {
		src  string
		want any
	}{
		{"amount + 1", 11.0}, {"amount + half", 12.5}, {"neg + config.n", -4.0}, {"big + 1", 9007199254740992.0},
		{"amount - 15", -5.0}, {"neg - neg", 0.0}, {"half - config.f", 2.0},
		{"amount * 3", 30.0}, {"neg * half", -17.5}, {"amount * config.f", 5.0},
		{"amount / 4", 2.5}, {"odd / two", 3.5}, {"neg / 2", -3.5}, {"amount / config.n", 10.0 / 3}, {"big / 2", 4503599627370496.0},
		{"amount % 2", 0.0}, {"odd % 2", 1.0}, {"neg % 2", -1.0}, {"odd % -2", 1.0}, {"neg % two", -1.0},
		{"amount % config.n", 1.0}, {"config.n % 2", 1.0}, {"big % 2", 0.0}, {"big % 7", 4.0}, {"huge % 2", 0.0},
		{"(odd % 4) % 2", 1.0}, {"(amount / 4) * 2", 5.0}, {"7 % 2", 1}, {"amount % 2 == 0", true}, {"odd % 2 == 0", false},
		{"-amount", -10.0}, {"-neg", 7.0}, {"-half + 1", -1.5},
		{"amount == 10", true}, {"amount == 10.0", true}, {"half == 2.5", true}, {"big == 9007199254740992", true}, {"amount == config.n", false},
		{"amount != 10", false}, {"neg != -7", false}, {"half != config.f", true},
		{"amount < 11", true}, {"neg < -7", false}, {"half < config.n", true},
		{"amount <= 10", true}, {"neg <= -8", false}, {"big <= 9007199254740992", true},
		{"amount > 9.5", true}, {"neg > -7.5", true}, {"config.n > half", true},
		{"amount >= 10", true}, {"neg >= 0", false}, {"huge >= 1e300", true},
	} {
		t.Run(tt.src, func(t *testing.T) {
			e, err := CompileExpr(tt.src, globals)
			require.NoError(t, err)
			got, err := e.Eval(ev)
			require.NoError(t, err)
			assert.Equal(t, fmt.Sprintf("%T %v", tt.want, tt.want), fmt.Sprintf("%T %v", got, got))
			vm, err := e.run(ev)
			require.NoError(t, err)
			assert.Equal(t, got, vm, "the fast path and the VM agree")
		})
	}
}

// % and / on values they cannot take fail with a message naming the
// operand, never a panic and never a silent Inf or NaN.
func TestExprArithmeticErrors(t *testing.T) {
	var ev map[string]any
	require.NoError(t, json.Unmarshal([]byte(`{"amount": 10, "half": 2.5, "zero": 0, "name": "kumeo", "obj": {"a": 1}, "tx": {"amount": 4.5}}`), &ev))
	globals := map[string]any{"z": 0.0, "f": 0.5}
	for _, tt := range []struct{ src, want string }{
		{"half % 2", "half % 2: half is 2.5, % needs whole numbers"},
		{"amount % half", "amount % half: half is 2.5, % needs whole numbers"},
		{"tx.amount % 2 == 0", "tx.amount % 2: tx.amount is 4.5, % needs whole numbers"},
		{"amount % config.f", "amount % config.f: config.f is 0.5, % needs whole numbers"},
		{"name % 2", `name % 2: name is the string "kumeo", % needs whole numbers`},
		{"missing % 2", "missing % 2: missing is missing (null), % needs whole numbers"},
		{"obj % 2", "obj % 2: obj is an object, % needs whole numbers"},
		{"amount % zero", "amount % zero: zero is 0, cannot divide by zero"},
		{"amount % 0", "amount % 0: 0 is 0, cannot divide by zero"},
		{"amount % config.z", "amount % config.z: config.z is 0, cannot divide by zero"},
		{"amount / zero", "amount / zero: zero is 0, cannot divide by zero"},
		{"amount / 0", "amount / 0: 0 is 0, cannot divide by zero"},
		{"(amount + 1) / (zero * 2) > 1", "(amount + 1) / (zero * 2): zero * 2 is 0, cannot divide by zero"},
		{"name / 2", `name / 2: name is the string "kumeo", / needs numbers`},
		{"(amount % 3) % zero", "amount % 3 % zero: zero is 0, cannot divide by zero"},
	} {
		t.Run(tt.src, func(t *testing.T) {
			e, err := CompileExpr(tt.src, globals)
			require.NoError(t, err)
			_, err = e.Eval(ev)
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrArithmetic)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// Operands of known types keep expr's rules: its compile errors are the
// checker's, so what the checker rejects, the engine rejects too.
func TestExprArithmeticKnownTypes(t *testing.T) {
	for _, src := range []string{"'a' % 2", "2.5 % 2", "amount % 'x'", "'a' / 2", "(amount / 2) % 2"} {
		_, err := CompileExpr(src, nil)
		assert.Error(t, err, src)
	}
	e, err := CompileExpr("len(tags) % 2", nil)
	require.NoError(t, err)
	got, err := e.Eval(map[string]any{"tags": []any{"a", "b", "c"}})
	require.NoError(t, err)
	assert.Equal(t, 1, got)
	e, err = CompileExpr("count % 2 == 1", nil)
	require.NoError(t, err)
	got, err = e.Eval(map[string]any{"count": 3.0})
	require.NoError(t, err, "a field named like a builtin is a field")
	assert.Equal(t, true, got)
}
