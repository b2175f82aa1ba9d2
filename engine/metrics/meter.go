package metrics

import (
	"sync"
	"time"
)

// DefaultRateWindow is the window a Meter averages over by default.
const DefaultRateWindow = 3 * time.Second

const maxMeterSamples = 64

// Meter turns a monotonically increasing total (such as events received)
// into a rate per second over a sliding window. It costs nothing on the
// hot path: the total is sampled when the rate is wanted. The rate covers
// the span from the newest sample at least one window old (or the first
// sample) to now, so it falls to exactly zero about one window after the
// total stops moving. Safe for concurrent use.
type Meter struct {
	window time.Duration

	mu      sync.Mutex
	samples []meterSample // oldest first; samples[0] is the baseline
}

type meterSample struct {
	t time.Time
	n uint64
}

// NewMeter returns a meter averaging over window (DefaultRateWindow if <= 0).
func NewMeter(window time.Duration) *Meter {
	if window <= 0 {
		window = DefaultRateWindow
	}
	return &Meter{window: window}
}

// Update records total at now and returns the rate per second over the
// window ending at now (or over the time since the first sample, if that
// is shorter). The first call returns 0.
func (m *Meter) Update(now time.Time, total uint64) float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	if n := len(m.samples); n > 0 && now.Before(m.samples[n-1].t) {
		now = m.samples[n-1].t // clock went backwards: hold time still
	}
	if n := len(m.samples); n > 0 && total < m.samples[n-1].n {
		m.samples = m.samples[:0] // the counter was reset: start over
	}
	m.samples = append(m.samples, meterSample{now, total})
	// Keep one sample at or before the window start as the baseline.
	start := now.Add(-m.window)
	drop := 0
	for drop+1 < len(m.samples) && !m.samples[drop+1].t.After(start) {
		drop++
	}
	if extra := len(m.samples) - drop - maxMeterSamples; extra > 0 {
		drop += extra
	}
	if drop > 0 {
		m.samples = append(m.samples[:0], m.samples[drop:]...)
	}
	base := m.samples[0]
	dt := now.Sub(base.t).Seconds()
	if dt <= 0 {
		return 0
	}
	return float64(total-base.n) / dt
}
