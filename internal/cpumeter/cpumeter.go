// Package cpumeter makes benchmarks report the CPU time the whole process
// used per operation (user + system, garbage collection included). On a
// shared, busy machine wall-clock ns/op mostly measures how often the
// benchmark waited for a core; cpu-ns/op does not.
package cpumeter

import "testing"

// Meter measures from Start to Stop.
type Meter struct {
	start int64
	ok    bool
}

// Start begins measuring and turns on allocation reporting.
func Start(b *testing.B) Meter {
	b.ReportAllocs()
	start, ok := processCPU()
	return Meter{start, ok}
}

// Stop reports cpu-ns/op over n operations (b.N when n <= 0).
func (m Meter) Stop(b *testing.B, n int) {
	if n <= 0 {
		n = b.N
	}
	if end, ok := processCPU(); m.ok && ok && n > 0 {
		b.ReportMetric(float64(end-m.start)/float64(n), "cpu-ns/op")
	}
}
