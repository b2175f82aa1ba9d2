package metrics

import (
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBucketLayout(t *testing.T) {
	values := []uint64{0, 1, 31, 32, 33, 63, 64, 65, 1000, 1 << 20, 1<<20 + 1, 123456789, 1<<maxExp - 1}
	for i := 0; i < 20000; i++ {
		values = append(values, rand.Uint64N(1<<maxExp))
	}
	for _, v := range values {
		i := bucketOf(v)
		require.True(t, i >= 0 && i < numBuckets, "bucket %d of %d out of range", i, v)
		lo, hi := bucketBounds(i)
		require.True(t, lo <= v && v < hi, "value %d not in its bucket [%d,%d)", v, lo, hi)
		if v >= subCount {
			require.LessOrEqual(t, float64(hi-lo)/float64(lo), 1.0/subCount, "bucket of %d too wide", v)
		} else {
			require.Equal(t, lo+1, hi, "small values are exact")
		}
	}
	// Buckets tile the range with no gaps or overlaps.
	for i := 1; i < numBuckets; i++ {
		_, prevHi := bucketBounds(i - 1)
		lo, _ := bucketBounds(i)
		require.Equal(t, prevHi, lo, "gap before bucket %d", i)
	}
	_, hi := bucketBounds(numBuckets - 1)
	assert.Equal(t, uint64(1)<<maxExp, hi)
	assert.Equal(t, numBuckets-1, bucketOf(math.MaxUint64), "overflow goes to the last bucket")
}

// exactQuantile is the nearest-rank quantile of sorted values.
func exactQuantile(sorted []uint64, q float64) uint64 {
	rank := int(math.Ceil(q * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

func TestQuantilesWithinErrorBound(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 100_000
	dists := []struct {
		name string
		gen  func() uint64
	}{
		{"constant", func() uint64 { return 250_000 }},
		{"small exact", func() uint64 { return rng.Uint64N(32) }},
		{"uniform 0-10ms", func() uint64 { return rng.Uint64N(uint64(10 * time.Millisecond)) }},
		{"exponential mean 200us", func() uint64 { return uint64(rng.ExpFloat64() * float64(200*time.Microsecond)) }},
		{"lognormal", func() uint64 { return uint64(math.Exp(rng.NormFloat64()*1.5 + 12)) }},
		{"bimodal 60us/40ms", func() uint64 {
			if rng.IntN(100) < 97 {
				return uint64(60*time.Microsecond) + rng.Uint64N(uint64(10*time.Microsecond))
			}
			return uint64(40*time.Millisecond) + rng.Uint64N(uint64(5*time.Millisecond))
		}},
		{"wide 1ns-1h", func() uint64 { return uint64(math.Exp(rng.Float64() * math.Log(float64(time.Hour)))) }},
	}
	quantiles := []float64{0.001, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999, 0.9999, 1}
	for _, d := range dists {
		t.Run(d.name, func(t *testing.T) {
			var h Histogram
			vals := make([]uint64, n)
			var sum uint64
			for i := range vals {
				vals[i] = d.gen()
				sum += vals[i]
				h.Record(time.Duration(vals[i]))
			}
			slices.Sort(vals)
			s := h.Snapshot()
			require.Equal(t, uint64(n), s.Count)
			assert.Equal(t, sum, s.Sum)
			assert.Equal(t, vals[0], s.Min)
			assert.Equal(t, vals[n-1], s.Max)
			assert.Equal(t, time.Duration(vals[0]), s.Quantile(0))
			for _, q := range quantiles {
				exact := float64(exactQuantile(vals, q))
				got := float64(s.Quantile(q))
				// +1 ns covers the integer midpoint of odd-width buckets.
				assert.InDelta(t, exact, got, exact*RelativeError+1, "q=%v exact=%v got=%v", q, exact, got)
			}
		})
	}
}

func TestHistogramEmptyAndOverflow(t *testing.T) {
	var h Histogram
	s := h.Snapshot()
	assert.Zero(t, s.Count)
	assert.Zero(t, s.Quantile(0.99))
	assert.Zero(t, s.Mean())
	assert.Equal(t, LatencySummary{}, Summarize(s))

	h.Record(-time.Second)
	h.Record(2 * time.Hour)
	s = h.Snapshot()
	assert.Equal(t, uint64(0), s.Min, "negative durations count as zero")
	assert.Equal(t, 2*time.Hour, time.Duration(s.Max), "max stays exact past the last bucket")
	assert.Equal(t, 2*time.Hour, s.Quantile(1))
	assert.Equal(t, time.Hour, s.Mean())
}

func TestHistogramConcurrentRecord(t *testing.T) {
	var h Histogram
	const workers, each = 8, 10_000
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				h.Record(time.Duration(w*each + i))
			}
		}()
	}
	wg.Wait()
	s := h.Snapshot()
	const total = workers * each
	assert.Equal(t, uint64(total), s.Count)
	assert.Equal(t, uint64(total*(total-1)/2), s.Sum)
	assert.Equal(t, uint64(0), s.Min)
	assert.Equal(t, uint64(total-1), s.Max)
}

func TestHistogramMerge(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var a, b, all Histogram
	for i := 0; i < 50_000; i++ {
		v := time.Duration(rng.ExpFloat64() * float64(time.Millisecond))
		all.Record(v)
		if i%3 == 0 {
			a.Record(v)
		} else {
			b.Record(v)
		}
	}
	want := all.Snapshot()

	merged := a.Snapshot().Merge(b.Snapshot())
	assert.Equal(t, want, merged, "merging snapshots equals recording everything in one")

	var live Histogram
	live.Merge(&a)
	live.Merge(&b)
	assert.Equal(t, want, live.Snapshot(), "merging live histograms equals recording everything in one")

	var empty Histogram
	assert.Equal(t, want, want.Merge(empty.Snapshot()))
	assert.Equal(t, want, empty.Snapshot().Merge(want))
}

func TestHistogramSubIsInterval(t *testing.T) {
	var h Histogram
	for range 1000 {
		h.Record(10 * time.Millisecond)
	}
	first := h.Snapshot()
	for range 100 {
		h.Record(100 * time.Microsecond)
	}
	d := h.Snapshot().Sub(first)
	assert.Equal(t, uint64(100), d.Count)
	assert.Equal(t, uint64(100*100*time.Microsecond), d.Sum)
	assert.InDelta(t, float64(100*time.Microsecond), float64(d.Quantile(0.99)), float64(100*time.Microsecond)*RelativeError+1)
	assert.InDelta(t, float64(100*time.Microsecond), float64(d.Max), float64(100*time.Microsecond)/subCount+1,
		"interval max comes from its own buckets, not the all-time max")
	assert.LessOrEqual(t, d.Min, d.Max)

	none := h.Snapshot().Sub(h.Snapshot())
	assert.Zero(t, none.Count)
	assert.Zero(t, none.Quantile(0.5))
	assert.Equal(t, h.Snapshot(), h.Snapshot().Sub(nil))
}

func BenchmarkHistogramRecord(b *testing.B) {
	var h Histogram
	vals := make([]time.Duration, 1024)
	for i := range vals {
		vals[i] = time.Duration(rand.ExpFloat64() * float64(200*time.Microsecond))
	}
	b.Run("serial", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			h.Record(vals[i&1023])
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				h.Record(vals[i&1023])
				i++
			}
		})
	})
}

func BenchmarkHistogramSnapshotQuantiles(b *testing.B) {
	var h Histogram
	for range 100_000 {
		h.Record(time.Duration(rand.ExpFloat64() * float64(200*time.Microsecond)))
	}
	for b.Loop() {
		_ = Summarize(h.Snapshot())
	}
}
