package agents

import (
	"encoding/json"
	"math"
	"sort"
)

// welford is a running count, mean and sum of squared deviations
// (Welford's algorithm: stable for long streams).
type welford struct {
	n    int64
	mean float64
	m2   float64
}

func (w *welford) add(x float64) {
	w.n++
	d := x - w.mean
	w.mean += d / float64(w.n)
	w.m2 += d * (x - w.mean)
}

// std is the population standard deviation.
func (w *welford) std() float64 {
	if w.n < 2 {
		return 0
	}
	return math.Sqrt(w.m2 / float64(w.n))
}

// p2 estimates the median of a stream in constant space with the P²
// algorithm (Jain and Chlamtac, 1985): five markers whose heights follow
// the minimum, the quartiles, the median and the maximum. The first five
// values give the exact median; later estimates are typically within a
// few percent of the sample median for smooth distributions.
type p2 struct {
	n    int64
	q    [5]float64 // marker heights; the first n values, sorted, while n < 5
	pos  [5]float64 // actual marker positions (1-based)
	want [5]float64 // desired marker positions
}

var p2Step = [5]float64{0, 0.25, 0.5, 0.75, 1}

func (m *p2) add(x float64) {
	if m.n < 5 {
		i := int(m.n)
		for i > 0 && m.q[i-1] > x {
			m.q[i] = m.q[i-1]
			i--
		}
		m.q[i] = x
		m.n++
		if m.n == 5 {
			m.pos = [5]float64{1, 2, 3, 4, 5}
			m.want = [5]float64{1, 2, 3, 4, 5}
		}
		return
	}
	m.n++
	var k int
	switch {
	case x < m.q[0]:
		m.q[0], k = x, 0
	case x >= m.q[4]:
		m.q[4], k = x, 3
	default:
		for k = 0; k < 3 && x >= m.q[k+1]; k++ {
		}
	}
	for i := k + 1; i < 5; i++ {
		m.pos[i]++
	}
	for i := range m.want {
		m.want[i] += p2Step[i]
	}
	for i := 1; i < 4; i++ {
		d := m.want[i] - m.pos[i]
		if d >= 1 && m.pos[i+1]-m.pos[i] > 1 || d <= -1 && m.pos[i-1]-m.pos[i] < -1 {
			s := math.Copysign(1, d)
			h := m.parabolic(i, s)
			if m.q[i-1] < h && h < m.q[i+1] {
				m.q[i] = h
			} else {
				j := i + int(s)
				m.q[i] += s * (m.q[j] - m.q[i]) / (m.pos[j] - m.pos[i])
			}
			m.pos[i] += s
		}
	}
}

func (m *p2) parabolic(i int, s float64) float64 {
	q, n := &m.q, &m.pos
	return q[i] + s/(n[i+1]-n[i-1])*((n[i]-n[i-1]+s)*(q[i+1]-q[i])/(n[i+1]-n[i])+(n[i+1]-n[i]-s)*(q[i]-q[i-1])/(n[i]-n[i-1]))
}

// value returns the median estimate; ok is false before the first value.
func (m *p2) value() (float64, bool) {
	switch {
	case m.n == 0:
		return 0, false
	case m.n >= 5:
		return m.q[2], true
	case m.n%2 == 1:
		return m.q[m.n/2], true
	}
	return (m.q[m.n/2-1] + m.q[m.n/2]) / 2, true
}

// modeCounters is the number of distinct values a mode estimate tracks.
const modeCounters = 128

// modeCount tracks the most frequent value of a stream with the
// Space-Saving algorithm: at most modeCounters counters; an unseen value
// takes over the smallest counter (its count plus one). Counts are exact
// while there are no more distinct values than counters, and any value
// more frequent than 1/modeCounters of the stream is always kept.
type modeCount struct {
	vals   []any // string, float64 or bool
	counts []int64
	index  map[any]int
	best   int // index of the largest count, -1 when empty
}

func (m *modeCount) add(v any) {
	if m.index == nil {
		m.index = make(map[any]int)
		m.best = -1
	}
	i, ok := m.index[v]
	switch {
	case ok:
		m.counts[i]++
	case len(m.vals) < modeCounters:
		i = len(m.vals)
		m.vals = append(m.vals, v)
		m.counts = append(m.counts, 1)
		m.index[v] = i
	default:
		i = 0
		for j, c := range m.counts {
			if c < m.counts[i] {
				i = j
			}
		}
		delete(m.index, m.vals[i])
		m.vals[i] = v
		m.counts[i]++
		m.index[v] = i
	}
	if m.best < 0 || m.counts[i] > m.counts[m.best] {
		m.best = i
	}
}

func (m *modeCount) value() (any, bool) {
	if m.best < 0 || len(m.vals) == 0 {
		return nil, false
	}
	return m.vals[m.best], true
}

// modeKey returns the comparable key of a categorical value: numbers as
// float64 (so 3 and 3.0 are one value), strings and booleans as they are.
// Objects and lists are not counted.
func modeKey(v any) (any, bool) {
	switch x := v.(type) {
	case string, bool, float64:
		return x, true
	case json.Number:
		if f, err := x.Float64(); err == nil {
			return f, true
		}
		return string(x), true
	}
	if f, ok := toFloat(v); ok {
		return f, true
	}
	return nil, false
}

// FieldStats is the exported running state of one field, as returned by
// State of DataNormalizer and MissingValueHandler and accepted by Restore.
// Only the parts the agent's method needs are set.
type FieldStats struct {
	// Count, Mean and M2 are Welford's running count, mean and sum of
	// squared deviations.
	Count  int64        `json:"count"`
	Mean   float64      `json:"mean"`
	M2     float64      `json:"m2"`
	Median *MedianState `json:"median,omitempty"`
	Mode   []ValueCount `json:"mode,omitempty"`
}

// MedianState is the P² median estimator's markers.
type MedianState struct {
	N    int64      `json:"n"`
	Q    [5]float64 `json:"q"`
	Pos  [5]float64 `json:"pos"`
	Want [5]float64 `json:"want"`
}

// ValueCount is one tracked value of a mode estimate and its count.
type ValueCount struct {
	Value any   `json:"value"`
	Count int64 `json:"count"`
}

func (w welford) export() FieldStats { return FieldStats{Count: w.n, Mean: w.mean, M2: w.m2} }

func (s FieldStats) welford() welford { return welford{n: s.Count, mean: s.Mean, m2: s.M2} }

func (m *p2) export() *MedianState {
	st := MedianState{N: m.n, Q: m.q, Pos: m.pos, Want: m.want}
	return &st
}

func (s *MedianState) p2() p2 { return p2{n: s.N, q: s.Q, pos: s.Pos, want: s.Want} }

func (m *modeCount) export() []ValueCount {
	out := make([]ValueCount, len(m.vals))
	for i, v := range m.vals {
		out[i] = ValueCount{Value: v, Count: m.counts[i]}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Count > out[j].Count })
	return out
}

func restoreMode(vcs []ValueCount) modeCount {
	var m modeCount
	for _, vc := range vcs {
		k, ok := modeKey(vc.Value)
		if !ok || vc.Count <= 0 || len(m.vals) == modeCounters {
			continue
		}
		if _, dup := m.index[k]; dup {
			continue
		}
		m.add(k)
		m.counts[len(m.counts)-1] = vc.Count
	}
	m.best = -1
	for i, c := range m.counts {
		if m.best < 0 || c > m.counts[m.best] {
			m.best = i
		}
	}
	return m
}

// savedFields returns the per-field statistics of a state saved by State,
// given as an S or a pointer to one; any other state gives none, so every
// field starts afresh.
func savedFields[S any](state any, fields func(S) map[string]FieldStats) map[string]FieldStats {
	switch s := state.(type) {
	case S:
		return fields(s)
	case *S:
		if s != nil {
			return fields(*s)
		}
	}
	return nil
}
