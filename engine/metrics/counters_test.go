package metrics

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCountersLedger(t *testing.T) {
	var c Counters
	for range 10 {
		c.Received()
	}
	c.Emitted()
	c.Emitted()
	c.Filtered()
	c.Failed()
	c.Retried()
	c.Failed()
	c.DeadLettered()
	c.SetPending(7)

	v := c.Load()
	assert.Equal(t, CounterValues{
		In: 10, Out: 2, Filtered: 1, DeadLettered: 1, Errors: 2, Retries: 1, InFlight: 6, Pending: 7,
	}, v)
	require.NoError(t, v.Check())
	assert.False(t, v.Settled())
	assert.Equal(t, v.In, v.Out+v.Filtered+v.DeadLettered+uint64(v.InFlight))
}

func TestCountersDetectDoubleFinish(t *testing.T) {
	var c Counters
	c.Received()
	c.Emitted()
	c.DeadLettered() // the same event finished twice
	v := c.Load()
	assert.Equal(t, int64(-1), v.InFlight)
	require.ErrorIs(t, v.Check(), ErrLedger)
	assert.Contains(t, v.Check().Error(), "in=1")
}

// TestCountersConcurrentLedger runs workers that finish every event one of
// three ways while a reader checks that no snapshot ever breaks the ledger.
func TestCountersConcurrentLedger(t *testing.T) {
	var c Counters
	const workers, each = 4, 20_000
	var wg sync.WaitGroup
	var stop atomic.Bool
	readerDone := make(chan int)
	go func() {
		reads := 0
		for !stop.Load() {
			v := c.Load()
			if v.Check() != nil || v.In != v.Out+v.Filtered+v.DeadLettered+uint64(v.InFlight) {
				readerDone <- -1
				return
			}
			reads++
		}
		readerDone <- reads
	}()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 9))
			for range each {
				c.Received()
				switch rng.IntN(10) {
				case 0:
					c.Failed()
					c.DeadLettered()
				case 1, 2:
					c.Filtered()
				default:
					c.Emitted()
				}
			}
		}()
	}
	wg.Wait()
	stop.Store(true)
	require.NotEqual(t, -1, <-readerDone, "a concurrent read broke the ledger")

	v := c.Load()
	assert.Equal(t, uint64(workers*each), v.In)
	assert.True(t, v.Settled())
	assert.Equal(t, v.In, v.Out+v.Filtered+v.DeadLettered)
	assert.Equal(t, v.DeadLettered, v.Errors)
}

func TestMeter(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }

	m := NewMeter(2 * time.Second)
	assert.Zero(t, m.Update(at(0), 0), "first sample has no rate")
	assert.InDelta(t, 200, m.Update(at(0.5), 100), 1e-9)
	assert.InDelta(t, 200, m.Update(at(1), 200), 1e-9)
	assert.InDelta(t, 150, m.Update(at(2), 300), 1e-9, "window not full yet: rate since start")
	// Window [0.5, 2.5]: baseline is the sample at 0.5 (100).
	assert.InDelta(t, 200.0/2, m.Update(at(2.5), 300), 1e-9)
	// No new events: the rate falls to zero once the baseline is the last change.
	m.Update(at(3), 300)
	m.Update(at(3.5), 300)
	m.Update(at(4), 300)
	assert.Zero(t, m.Update(at(4.5), 300))

	assert.Zero(t, m.Update(at(4.5), 300), "no time passed")
	assert.Zero(t, m.Update(at(1), 300), "clock going backwards holds time still")
	assert.Zero(t, m.Update(at(5), 10), "a counter reset starts over")
	assert.InDelta(t, 20, m.Update(at(5.5), 20), 1e-9)

	assert.Equal(t, DefaultRateWindow, NewMeter(0).window)
}

func TestMeterBoundedSamples(t *testing.T) {
	m := NewMeter(time.Hour)
	t0 := time.Unix(0, 0)
	for i := range 10 * maxMeterSamples {
		m.Update(t0.Add(time.Duration(i)*time.Second), uint64(i)*10)
	}
	assert.LessOrEqual(t, len(m.samples), maxMeterSamples)
	n := 10*maxMeterSamples - 1
	assert.InDelta(t, 10, m.Update(t0.Add(time.Duration(n)*time.Second), uint64(n)*10), 1e-9)
}

func BenchmarkCounters(b *testing.B) {
	var c Counters
	var h Histogram
	b.Run("lifecycle", func(b *testing.B) {
		for b.Loop() {
			c.Received()
			c.Emitted()
		}
	})
	b.Run("lifecycle-parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				c.Received()
				c.Emitted()
			}
		})
	})
	// What an agent pays per event: counters plus latency.
	b.Run("lifecycle+latency-parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				start := time.Now()
				c.Received()
				c.Emitted()
				h.Since(start)
			}
		})
	})
	b.Run("load", func(b *testing.B) {
		for b.Loop() {
			_ = c.Load()
		}
	})
}
