package flow

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExprFoldsConfig(t *testing.T) {
	globals := map[string]any{"thresholds": map[string]any{"block": 0.9}}
	e, err := CompileExpr("score >= config.thresholds.block && currency in ['EUR', 'USD']", globals)
	require.NoError(t, err)
	for _, tt := range []struct {
		data map[string]any
		want bool
	}{
		{map[string]any{"score": 0.95, "currency": "EUR"}, true},
		{map[string]any{"score": 0.5, "currency": "EUR"}, false},
		{map[string]any{"score": 0.95, "currency": "JPY"}, false},
	} {
		got, err := e.Bool(tt.data)
		require.NoError(t, err)
		assert.Equal(t, tt.want, got, "%v", tt.data)
	}
}

func TestExprNilSafeAndErrors(t *testing.T) {
	e, err := CompileExpr("review?.decision == 'rejected' || (urgency ?? 'low') == 'high'", nil)
	require.NoError(t, err)
	got, err := e.Bool(map[string]any{"urgency": "high"})
	require.NoError(t, err)
	assert.True(t, got)
	got, err = e.Bool(map[string]any{"review": map[string]any{"decision": "rejected"}})
	require.NoError(t, err)
	assert.True(t, got)

	_, err = CompileExpr("a >", nil)
	assert.Error(t, err)

	n, err := CompileExpr("amount * 2", nil)
	require.NoError(t, err)
	_, err = n.Bool(map[string]any{"amount": 2.0})
	assert.ErrorContains(t, err, "expected true or false")
}

func TestExprFieldsNamedLikeBuiltins(t *testing.T) {
	e, err := CompileExpr("type == 'card' && count > 3 && len(tags) == 2", nil)
	require.NoError(t, err)
	got, err := e.Bool(map[string]any{"type": "card", "count": 4.0, "tags": []any{"a", "b"}})
	require.NoError(t, err)
	assert.True(t, got)
}

func TestPermanent(t *testing.T) {
	err := Permanent(fmt.Errorf("missing field %q", "x"))
	assert.True(t, IsPermanent(err))
	assert.True(t, IsPermanent(fmt.Errorf("wrapped: %w", err)))
	assert.False(t, IsPermanent(errors.New("transient")))
	assert.Nil(t, Permanent(nil))
}

func TestParseDuration(t *testing.T) {
	d, err := ParseDuration("2d")
	require.NoError(t, err)
	assert.Equal(t, 48*time.Hour, d)
	d, err = ParseDuration("250ms")
	require.NoError(t, err)
	assert.Equal(t, 250*time.Millisecond, d)
	_, err = ParseDuration("soon")
	assert.ErrorContains(t, err, "expected a number followed by")
}

func BenchmarkExpr(b *testing.B) {
	e, _ := CompileExpr("score >= config.t && large && night", map[string]any{"t": 0.7})
	data := map[string]any{"score": 0.8, "large": true, "night": true}
	for b.Loop() {
		if _, err := e.Bool(data); err != nil {
			b.Fatal(err)
		}
	}
}
