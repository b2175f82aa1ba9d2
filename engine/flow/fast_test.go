package flow

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The fast path must give exactly what expr's VM gives, or defer to it.
func TestFastPathAgreesWithVM(t *testing.T) {
	globals := map[string]any{"limits": map[string]any{"block": 5000.0, "review": 1500}, "currencies": []any{"EUR", "USD"}}
	exprs := []string{
		"amount > 1000", "amount >= config.limits.review", "amount < 10 || amount > config.limits.block",
		"hour >= 0 && hour < 6", "!(hour >= 0 && hour < 6)", "not large",
		"currency in ['EUR', 'USD', 'GBP']", "currency in config.currencies", "n in [1, 2, 3]", "n in [1, 'a', true, nil]", "flag in [true]", "hour in [3, 2.5 + 0.5]",
		"country != 'DE'", "country == nil", "missing == nil", "missing ?? 'x'", "(urgency ?? 'low') == 'high'",
		"review?.decision == 'rejected'", "review.decision", "a.b.c > 1",
		"amount / 10000", "amount * 2 + 1", "n % 2", "n / 0", "amount - -3", "-amount",
		"name + '!'", "name < 'm'", "flag && amount > 1", "flag || missing",
		"amount > 'x'", "nan > 1", "nan == nan", "large && night && foreign", "score >= 0 && score <= 1",
		"type == 'card'", "count > 3",
		"currency == 'USD' ? amount * 0.92 : (currency == 'GBP' ? amount * 1.17 : amount)",
		"(amount > 2500 ? 0.45 : amount / 10000) + (hour < 6 ? 0.2 : 0)", "flag ? 1 : missing",
	}
	envs := []map[string]any{
		{"amount": 1234.5, "hour": 3.0, "currency": "EUR", "country": "FR", "n": 2.0, "name": "kumeo", "flag": true, "large": true, "night": true, "foreign": false, "score": 0.4, "type": "card", "count": 4.0},
		{"amount": 9000.0, "hour": 14.0, "currency": "JPY", "country": "DE", "n": 7.0, "name": "a", "flag": false, "review": map[string]any{"decision": "rejected"}, "urgency": "high", "a": map[string]any{"b": map[string]any{"c": 2.0}}},
		{"amount": "lots", "hour": nil, "currency": 3.0, "n": 1, "large": "yes", "nan": math.NaN(), "review": nil},
		{},
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 200; i++ {
		envs = append(envs, map[string]any{
			"amount": r.Float64() * 10000, "hour": float64(r.IntN(24)), "n": float64(r.IntN(5)),
			"currency": []any{"EUR", "USD", "JPY", nil, 3.0}[r.IntN(5)], "flag": r.IntN(2) == 0, "large": r.IntN(3) == 0,
		})
	}
	fastUsed := 0
	for _, src := range exprs {
		e, err := CompileExpr(src, globals)
		require.NoError(t, err, src)
		if e.fast != nil {
			fastUsed++
		}
		for i, env := range envs {
			want, wantErr := e.run(env)
			got, gotErr := e.Eval(env)
			if wantErr != nil {
				assert.Error(t, gotErr, "%s on env %d: the VM fails, the fast path must too", src, i)
				continue
			}
			require.NoError(t, gotErr, "%s on env %d", src, i)
			if f, ok := want.(float64); ok && math.IsNaN(f) {
				assert.True(t, math.IsNaN(got.(float64)))
				continue
			}
			assert.Equal(t, fmt.Sprintf("%T %v", want, want), fmt.Sprintf("%T %v", got, got), "%s on env %d", src, i)
		}
	}
	assert.Greater(t, fastUsed, len(exprs)*3/4, "most expressions use the fast path")
}

func BenchmarkExprVM(b *testing.B) {
	e, _ := CompileExpr("score >= config.t && large && night", map[string]any{"t": 0.7})
	data := map[string]any{"score": 0.8, "large": true, "night": true}
	for b.Loop() {
		if _, err := e.run(data); err != nil {
			b.Fatal(err)
		}
	}
}
