package agents

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestP2MedianExactForFewValues(t *testing.T) {
	for _, tt := range []struct {
		in   []float64
		want float64
	}{
		{[]float64{7}, 7},
		{[]float64{7, 1}, 4},
		{[]float64{5, 1, 3}, 3},
		{[]float64{4, 1, 3, 2}, 2.5},
		{[]float64{9, 1, 5, 3, 7}, 5},
	} {
		var m p2
		_, ok := m.value()
		require.False(t, ok)
		for _, x := range tt.in {
			m.add(x)
		}
		got, ok := m.value()
		require.True(t, ok)
		assert.Equal(t, tt.want, got, "%v", tt.in)
	}
}

func TestP2MedianTracksDistributions(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, tt := range []struct {
		name string
		draw func() float64
		tol  float64 // relative to the spread of the data
	}{
		{"uniform", func() float64 { return r.Float64() * 100 }, 0.02},
		{"normal", func() float64 { return 50 + 10*r.NormFloat64() }, 0.02},
		{"exponential", func() float64 { return r.ExpFloat64() * 10 }, 0.03},
		{"sorted ascending", func() float64 { return 0 }, 0}, // replaced below
	} {
		t.Run(tt.name, func(t *testing.T) {
			const n = 20000
			xs := make([]float64, n)
			for i := range xs {
				if tt.name == "sorted ascending" {
					xs[i] = float64(i)
				} else {
					xs[i] = tt.draw()
				}
			}
			var m p2
			for _, x := range xs {
				m.add(x)
			}
			sorted := append([]float64(nil), xs...)
			sort.Float64s(sorted)
			exact := (sorted[n/2-1] + sorted[n/2]) / 2
			spread := sorted[n-1] - sorted[0]
			got, _ := m.value()
			tol := tt.tol
			if tol == 0 {
				tol = 0.02
			}
			assert.InDelta(t, exact, got, tol*spread, "exact %g estimate %g", exact, got)
		})
	}
}

func TestWelford(t *testing.T) {
	var w welford
	assert.Equal(t, 0.0, w.std())
	for _, x := range []float64{2, 4, 4, 4, 5, 5, 7, 9} {
		w.add(x)
	}
	assert.Equal(t, int64(8), w.n)
	assert.InDelta(t, 5.0, w.mean, 1e-12)
	assert.InDelta(t, 2.0, w.std(), 1e-12)
	// Stable with a large offset.
	var big welford
	for _, x := range []float64{1e9 + 4, 1e9 + 7, 1e9 + 13, 1e9 + 16} {
		big.add(x)
	}
	assert.InDelta(t, math.Sqrt(22.5), big.std(), 1e-6)
}

func TestModeCount(t *testing.T) {
	t.Run("exact while few distinct values", func(t *testing.T) {
		var m modeCount
		_, ok := m.value()
		require.False(t, ok)
		for _, v := range []any{"a", "b", "b", "c", "b", "a"} {
			m.add(v)
		}
		v, ok := m.value()
		require.True(t, ok)
		assert.Equal(t, "b", v)
	})
	t.Run("ties keep the first to reach the count", func(t *testing.T) {
		var m modeCount
		for _, v := range []any{"x", "y", "y", "x"} {
			m.add(v)
		}
		v, _ := m.value()
		assert.Equal(t, "y", v)
	})
	t.Run("a frequent value survives many distinct ones", func(t *testing.T) {
		var m modeCount
		for i := 0; i < 100000; i++ {
			if i%5 == 0 {
				m.add("hot")
			} else {
				m.add(fmt.Sprint("cold", i))
			}
		}
		v, _ := m.value()
		assert.Equal(t, "hot", v)
		assert.LessOrEqual(t, len(m.vals), modeCounters)
		assert.Len(t, m.index, len(m.vals))
	})
	t.Run("export and restore", func(t *testing.T) {
		var m modeCount
		for _, v := range []any{1.0, 2.0, 2.0, "x", true} {
			m.add(v)
		}
		r := restoreMode(m.export())
		v, _ := r.value()
		assert.Equal(t, 2.0, v)
		assert.Equal(t, []ValueCount{{2.0, 2}, {1.0, 1}, {"x", 1}, {true, 1}}, r.export())
		// JSON numbers come back as float64; duplicates and bad counts are skipped.
		r = restoreMode([]ValueCount{{"a", 1}, {"a", 5}, {[]any{}, 3}, {"b", 0}, {"c", 2}})
		v, _ = r.value()
		assert.Equal(t, "c", v)
	})
}
