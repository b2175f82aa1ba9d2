package flow

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseRetry(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   any
		want RetryPolicy
	}{
		{"absent", nil, DefaultRetry(0)},
		{"count", 3.0, DefaultRetry(3)},
		{"int count", 2, DefaultRetry(2)},
		{"zero", 0.0, DefaultRetry(0)},
		{"object attempts only", map[string]any{"attempts": 3.0}, DefaultRetry(3)},
		{"full object", map[string]any{"attempts": 5.0, "backoff": "exponential", "initial": "200ms", "max": "5s", "multiplier": 3.0},
			RetryPolicy{Attempts: 5, Backoff: BackoffExponential, Initial: 200 * time.Millisecond, Max: 5 * time.Second, Multiplier: 3}},
		{"fixed", map[string]any{"attempts": 1.0, "backoff": "fixed", "initial": "1s"},
			RetryPolicy{Attempts: 1, Backoff: BackoffFixed, Initial: time.Second, Max: DefaultRetryMax, Multiplier: DefaultRetryMultiplier}},
		{"initial above default max raises max", map[string]any{"initial": "1m"},
			RetryPolicy{Backoff: BackoffExponential, Initial: time.Minute, Max: time.Minute, Multiplier: DefaultRetryMultiplier}},
		{"days", map[string]any{"initial": "1s", "max": "1d"},
			RetryPolicy{Backoff: BackoffExponential, Initial: time.Second, Max: 24 * time.Hour, Multiplier: DefaultRetryMultiplier}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseRetry(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseRetryErrors(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   any
		msg  string
	}{
		{"string", "3", `retry: expected a number of retries such as 3`},
		{"negative", -1.0, `retry: expected a number of retries`},
		{"fraction", 1.5, `retry: expected a number of retries`},
		{"list", []any{1.0}, `not a list`},
		{"bad attempts", map[string]any{"attempts": "many"}, `retry.attempts: expected a whole number of retries (0 or more), not the string "many"`},
		{"negative attempts", map[string]any{"attempts": -2.0}, `retry.attempts: expected a whole number`},
		{"bad backoff", map[string]any{"backoff": "linear"}, `retry.backoff: expected "exponential" or "fixed", not the string "linear"`},
		{"bare number initial", map[string]any{"initial": 200.0}, `retry.initial: expected a duration with a unit such as "30s" or "200ms", not the bare number 200`},
		{"bad initial", map[string]any{"initial": "soon"}, `retry.initial: expected a positive duration such as "30s" or "200ms", not "soon"`},
		{"zero initial", map[string]any{"initial": "0s"}, `retry.initial: expected a positive duration`},
		{"max below initial", map[string]any{"initial": "2s", "max": "1s"}, `retry.max: expected a duration of at least initial (2s)`},
		{"multiplier below 1", map[string]any{"multiplier": 0.5}, `retry.multiplier: expected a number of at least 1, not 0.5`},
		{"unknown key", map[string]any{"attempt": 3.0}, `retry: unknown key "attempt": expected "attempts", "backoff", "initial", "max", "multiplier"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseRetry(tt.in)
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrPolicy)
			assert.ErrorContains(t, err, tt.msg)
		})
	}
}

func TestRetryDelay(t *testing.T) {
	exp := RetryPolicy{Attempts: 10, Backoff: BackoffExponential, Initial: 100 * time.Millisecond, Max: time.Second, Multiplier: 2}
	almostOne := func() float64 { return 0.999999 }
	half := func() float64 { return 0.5 }
	for _, tt := range []struct {
		name    string
		p       RetryPolicy
		attempt int
		rnd     func() float64
		want    time.Duration
	}{
		{"first retry upper bound", exp, 1, almostOne, 99_999_900 * time.Nanosecond},
		{"first retry jittered", exp, 1, half, 50 * time.Millisecond},
		{"grows", exp, 3, half, 200 * time.Millisecond},
		{"capped at max", exp, 10, half, 500 * time.Millisecond},
		{"huge attempt stays capped", exp, 5000, half, 500 * time.Millisecond},
		{"attempt below one is the first", exp, 0, half, 50 * time.Millisecond},
		{"zero draw", exp, 4, func() float64 { return 0 }, 0},
		{"out of range draw is ignored", exp, 2, func() float64 { return 7 }, 0},
		{"fixed has no jitter", RetryPolicy{Backoff: BackoffFixed, Initial: 300 * time.Millisecond}, 9, half, 300 * time.Millisecond},
		{"zero policy", RetryPolicy{}, 1, half, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.p.Delay(tt.attempt, tt.rnd))
		})
	}
	t.Run("default source stays in bounds", func(t *testing.T) {
		for i := 0; i < 1000; i++ {
			d := exp.Delay(4, nil)
			require.GreaterOrEqual(t, d, time.Duration(0))
			require.Less(t, d, 800*time.Millisecond)
		}
	})
}

func TestParseTimeout(t *testing.T) {
	d, err := ParseTimeout("30s")
	require.NoError(t, err)
	assert.Equal(t, 30*time.Second, d)
	d, err = ParseTimeout(nil)
	require.NoError(t, err)
	assert.Zero(t, d)
	for _, tt := range []struct {
		in  any
		msg string
	}{
		{30.0, `timeout: expected a duration with a unit such as "30s" or "200ms", not the bare number 30`},
		{"30", `timeout: expected a positive duration such as "30s" or "200ms", not "30"`},
		{"-1s", `timeout: expected a positive duration`},
		{true, `timeout: expected a duration such as "30s" or "200ms", not true`},
	} {
		_, err := ParseTimeout(tt.in)
		assert.ErrorIs(t, err, ErrPolicy)
		assert.ErrorContains(t, err, tt.msg)
	}
}

func TestParseFailurePolicy(t *testing.T) {
	call := map[string]any{"$call": "LLM", "engine": "ollama/llama3"}
	for _, tt := range []struct {
		name string
		in   any
		want FailurePolicy
	}{
		{"absent is quarantine", nil, FailurePolicy{Action: ActionQuarantine, Retry: DefaultRetry(0)}},
		{"empty object", map[string]any{}, FailurePolicy{Action: ActionQuarantine, Retry: DefaultRetry(0)}},
		{"action and retry", map[string]any{"action": "quarantine", "retry": 1.0},
			FailurePolicy{Action: ActionQuarantine, Retry: DefaultRetry(1)}},
		{"drop", map[string]any{"action": "drop"}, FailurePolicy{Action: ActionDrop, Retry: DefaultRetry(0)}},
		{"retry object", map[string]any{"action": "reject", "retry": map[string]any{"attempts": 2.0, "backoff": "fixed", "initial": "1s"}},
			FailurePolicy{Action: ActionReject, Retry: RetryPolicy{Attempts: 2, Backoff: BackoffFixed, Initial: time.Second, Max: DefaultRetryMax, Multiplier: 2}}},
		{"fallback channel", map[string]any{"action": "reject", "fallback": map[string]any{"action": "reject", "channel": "plant.alerts"}},
			FailurePolicy{Action: ActionReject, Retry: DefaultRetry(0), Fallback: Fallback{Action: ActionReject, Channel: "plant.alerts"}}},
		{"fallback agent", map[string]any{"fallback": "backup"},
			FailurePolicy{Action: ActionQuarantine, Retry: DefaultRetry(0), Fallback: Fallback{Agent: "backup"}}},
		{"fallback call", map[string]any{"fallback": call},
			FailurePolicy{Action: ActionQuarantine, Retry: DefaultRetry(0), Fallback: Fallback{Call: call}}},
		{"channel error notify", map[string]any{"channel": " review.queue ", "error": "policy violated", "notify": []any{"ops"}},
			FailurePolicy{Action: ActionQuarantine, Retry: DefaultRetry(0), Channel: "review.queue", Error: "policy violated", Notify: []any{"ops"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseFailurePolicy(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseFailurePolicyErrors(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   any
		msg  string
	}{
		{"not an object", "quarantine", `on_failure: expected { action: "quarantine"|"reject"|"drop", retry: n, fallback: ... }, not the string "quarantine"`},
		{"bad action", map[string]any{"action": "ignore"}, `on_failure.action: expected one of "quarantine", "reject", "drop", not the string "ignore"`},
		{"bad retry", map[string]any{"retry": "twice"}, `on_failure: invalid error-handling setting: retry: expected a number of retries`},
		{"bad fallback action", map[string]any{"fallback": map[string]any{"action": "explode"}}, `on_failure.fallback.action: expected one of`},
		{"empty fallback object", map[string]any{"fallback": map[string]any{}}, `on_failure.fallback: expected { action, channel } with at least one of them`},
		{"fallback unknown key", map[string]any{"fallback": map[string]any{"chanel": "x"}}, `on_failure.fallback: unknown key "chanel": expected "action", "channel"`},
		{"fallback number", map[string]any{"fallback": 3.0}, `on_failure.fallback: expected an agent id, an agent call or { action, channel }, not 3`},
		{"empty channel", map[string]any{"channel": ""}, `on_failure.channel: expected a channel name`},
		{"error not a string", map[string]any{"error": 1.0}, `on_failure.error: expected an error message string, not 1`},
		{"unknown key", map[string]any{"actions": "drop"}, `on_failure: unknown key "actions"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseFailurePolicy(tt.in)
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrPolicy)
			assert.ErrorContains(t, err, tt.msg)
		})
	}
}

func TestParseFallback(t *testing.T) {
	f, err := ParseFallback(" backup_model ")
	require.NoError(t, err)
	assert.Equal(t, Fallback{Agent: "backup_model"}, f)
	f, err = ParseFallback(nil)
	require.NoError(t, err)
	assert.True(t, f.IsZero())
	_, err = ParseFallback("")
	assert.ErrorContains(t, err, "fallback: expected an agent id")
}

func BenchmarkRetryDelay(b *testing.B) {
	p := DefaultRetry(5)
	for b.Loop() {
		_ = p.Delay(3, nil)
	}
}
