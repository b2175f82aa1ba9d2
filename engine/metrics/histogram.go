package metrics

import (
	"math"
	"math/bits"
	"sync/atomic"
	"time"
)

// Bucket layout (log-linear, like HdrHistogram): values 0..31 ns have a
// bucket each; above that every power of two is split into 32 equal
// buckets. A bucket is at most 1/32 of its lower bound wide, and a
// quantile is reported as its bucket's midpoint, so it is within
// RelativeError of the exact sample quantile. Values of 2^42 ns (about
// 73 minutes) and more share the last bucket; Max stays exact.
const (
	subBits    = 5
	subCount   = 1 << subBits
	maxExp     = 42
	numBuckets = (maxExp - subBits + 1) * subCount
)

// RelativeError bounds |estimate-exact|/exact for Quantile (below the
// 73-minute overflow bucket): half the widest relative bucket width.
const RelativeError = 1.0 / (2 * subCount)

func bucketOf(v uint64) int {
	if v < subCount {
		return int(v)
	}
	e := bits.Len64(v) - 1
	if e >= maxExp {
		return numBuckets - 1
	}
	shift := e - subBits
	return (shift+1)*subCount + int(v>>shift) - subCount
}

// bucketBounds returns the half-open range [lo, hi) of bucket i.
func bucketBounds(i int) (lo, hi uint64) {
	if i < subCount {
		return uint64(i), uint64(i) + 1
	}
	shift := i/subCount - 1
	lo = uint64(subCount+i%subCount) << shift
	return lo, lo + 1<<shift
}

// Histogram records durations into fixed log-linear buckets. Record is
// lock-free (one atomic add per bucket and sum, plus a compare-and-swap
// only when a new minimum or maximum is seen). The zero value is ready to
// use; a Histogram must not be copied after first use.
type Histogram struct {
	counts [numBuckets]atomic.Uint64
	sum    atomic.Uint64
	minInv atomic.Uint64 // ^min, so that the zero value means "no minimum yet"
	max    atomic.Uint64
}

// Record adds one observation. Negative durations count as zero.
func (h *Histogram) Record(d time.Duration) {
	v := uint64(max(d, 0))
	h.counts[bucketOf(v)].Add(1)
	h.sum.Add(v)
	h.observeMinMax(v, v)
}

func (h *Histogram) observeMinMax(lo, hi uint64) {
	for inv := ^lo; ; {
		cur := h.minInv.Load()
		if inv <= cur || h.minInv.CompareAndSwap(cur, inv) {
			break
		}
	}
	for {
		cur := h.max.Load()
		if hi <= cur || h.max.CompareAndSwap(cur, hi) {
			break
		}
	}
}

// Since records the time elapsed since start.
func (h *Histogram) Since(start time.Time) { h.Record(time.Since(start)) }

// Merge adds every observation of o into h (for example replicas of one
// agent). o may be recorded into concurrently.
func (h *Histogram) Merge(o *Histogram) {
	s := o.Snapshot()
	h.mergeSnapshot(s)
}

func (h *Histogram) mergeSnapshot(s *HistogramSnapshot) {
	if s.Count == 0 {
		return
	}
	for i, c := range s.counts {
		if c != 0 {
			h.counts[i].Add(c)
		}
	}
	h.sum.Add(s.Sum)
	h.observeMinMax(s.Min, s.Max)
}

// Snapshot copies the current state. Observations recorded concurrently
// may or may not be included.
func (h *Histogram) Snapshot() *HistogramSnapshot {
	s := &HistogramSnapshot{counts: make([]uint64, numBuckets)}
	for i := range h.counts {
		c := h.counts[i].Load()
		s.counts[i] = c
		s.Count += c
	}
	s.Sum = h.sum.Load()
	if s.Count > 0 {
		s.Min = ^h.minInv.Load()
		s.Max = h.max.Load()
	}
	return s
}

// HistogramSnapshot is an immutable copy of a Histogram, in nanoseconds.
type HistogramSnapshot struct {
	counts   []uint64
	Count    uint64
	Sum      uint64
	Min, Max uint64
}

// Quantile returns the q-quantile (0 <= q <= 1) by nearest rank: the
// midpoint of the bucket holding the ceil(q*Count)-th smallest
// observation, clamped to [Min, Max]. It is 0 for an empty snapshot.
func (s *HistogramSnapshot) Quantile(q float64) time.Duration {
	if s == nil || s.Count == 0 {
		return 0
	}
	if q <= 0 {
		return time.Duration(s.Min)
	}
	if q >= 1 {
		return time.Duration(s.Max)
	}
	rank := uint64(math.Ceil(q * float64(s.Count)))
	rank = max(rank, 1)
	var seen uint64
	for i, c := range s.counts {
		seen += c
		if seen >= rank {
			lo, hi := bucketBounds(i)
			mid := lo + (hi-1-lo)/2
			return time.Duration(min(max(mid, s.Min), s.Max))
		}
	}
	return time.Duration(s.Max)
}

// Mean returns the average observation, or 0 when empty.
func (s *HistogramSnapshot) Mean() time.Duration {
	if s == nil || s.Count == 0 {
		return 0
	}
	return time.Duration(s.Sum / s.Count)
}

// Merge returns a snapshot holding the observations of both.
func (s *HistogramSnapshot) Merge(o *HistogramSnapshot) *HistogramSnapshot {
	switch {
	case o == nil || o.Count == 0:
		return s.clone()
	case s == nil || s.Count == 0:
		return o.clone()
	}
	m := s.clone()
	for i, c := range o.counts {
		m.counts[i] += c
	}
	m.Count += o.Count
	m.Sum += o.Sum
	m.Min = min(m.Min, o.Min)
	m.Max = max(m.Max, o.Max)
	return m
}

// Sub returns the observations in s that are not in prev, an earlier
// snapshot of the same Histogram: the observations of one interval. Min and
// Max of the result are bucket bounds clamped to s's exact Min and Max.
func (s *HistogramSnapshot) Sub(prev *HistogramSnapshot) *HistogramSnapshot {
	if prev == nil || prev.Count == 0 {
		return s.clone()
	}
	d := &HistogramSnapshot{counts: make([]uint64, numBuckets)}
	first, last := -1, -1
	for i := range s.counts {
		var c uint64
		if s.counts[i] > prev.counts[i] {
			c = s.counts[i] - prev.counts[i]
		}
		d.counts[i] = c
		d.Count += c
		if c != 0 {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if d.Count == 0 {
		return d
	}
	if s.Sum > prev.Sum {
		d.Sum = s.Sum - prev.Sum
	}
	lo, _ := bucketBounds(first)
	_, hi := bucketBounds(last)
	d.Min = min(max(lo, s.Min), s.Max)
	d.Max = max(min(hi-1, s.Max), d.Min)
	return d
}

func (s *HistogramSnapshot) clone() *HistogramSnapshot {
	if s == nil {
		return &HistogramSnapshot{counts: make([]uint64, numBuckets)}
	}
	c := *s
	c.counts = append([]uint64(nil), s.counts...)
	if c.counts == nil {
		c.counts = make([]uint64, numBuckets)
	}
	return &c
}
