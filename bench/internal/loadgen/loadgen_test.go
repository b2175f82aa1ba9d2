package loadgen

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumeo/kumeo/bench/internal/baseline"
	"github.com/kumeo/kumeo/bench/internal/workload"
)

// pipe is an in-memory system under test: workers run the baseline stages
// on each sent event and report where it ended up. route, when set,
// overrides that (to test misroute detection).
type pipe struct {
	in       chan []byte
	inFlight atomic.Int64
	maxSeen  atomic.Int64
}

func startPipe(d **Driver, workers int, route func(workload.Route) workload.Route) *pipe {
	p := &pipe{in: make(chan []byte, 1<<16)}
	target := map[string]workload.Route{workload.DLQSubject: workload.Dead}
	for i, s := range workload.TargetSubjects {
		target[s] = workload.Route(i)
	}
	subjects, stages := baseline.Stages()
	for range workers {
		go func() {
			for data := range p.in {
				subject := subjects[0]
				for hop := 0; hop < len(stages) && subject == subjects[hop]; hop++ {
					subject, data, _ = baseline.Handle(stages[hop], data)
				}
				r := target[subject]
				if route != nil {
					r = route(r)
				}
				p.inFlight.Add(-1)
				(*d).Arrive(r, data)
			}
		}()
	}
	return p
}

func (p *pipe) send(b []byte) error {
	if n := p.inFlight.Add(1); n > p.maxSeen.Load() {
		p.maxSeen.Store(n)
	}
	p.in <- append([]byte(nil), b...)
	return nil
}

func TestClosedLoop(t *testing.T) {
	for _, w := range []int{1, 64} {
		var d *Driver
		p := startPipe(&d, 4, nil)
		defer close(p.in)
		var err error
		d, err = New(Options{InFlight: w, Warmup: 50 * time.Millisecond, Duration: 200 * time.Millisecond,
			Templates: workload.Templates(256, 1)}, p.send)
		require.NoError(t, err)
		res, err := d.Run()
		require.NoError(t, err)
		assert.Positive(t, res.Events)
		assert.Zero(t, res.Mismatched)
		assert.Zero(t, res.Unknown)
		assert.Zero(t, res.Lost, "the drain waits for every event in flight")
		assert.LessOrEqual(t, p.maxSeen.Load(), int64(w), "never more than W in flight")
		var sum uint64
		for _, n := range res.Routes {
			sum += n
		}
		assert.Equal(t, res.Events, sum)
		assert.Positive(t, res.P99ms)
		assert.LessOrEqual(t, res.P50ms, res.P99ms)
	}
}

func TestMisroutesAreCounted(t *testing.T) {
	var d *Driver
	p := startPipe(&d, 2, func(workload.Route) workload.Route { return workload.Cleared })
	defer close(p.in)
	var err error
	d, err = New(Options{InFlight: 8, Duration: 100 * time.Millisecond, Templates: workload.Templates(256, 1)}, p.send)
	require.NoError(t, err)
	res, err := d.Run()
	require.NoError(t, err)
	assert.Positive(t, res.Mismatched)
}

func TestEventsEndTheWindow(t *testing.T) {
	var d *Driver
	p := startPipe(&d, 2, nil)
	defer close(p.in)
	var err error
	d, err = New(Options{InFlight: 8, Duration: time.Minute, Events: 500, Templates: workload.Templates(64, 1)}, p.send)
	require.NoError(t, err)
	res, err := d.Run()
	require.NoError(t, err)
	assert.GreaterOrEqual(t, res.Events, uint64(500))
}

func TestOptionsAreChecked(t *testing.T) {
	_, err := New(Options{InFlight: 0, Templates: workload.Templates(1, 1)}, nil)
	assert.Error(t, err)
	_, err = New(Options{InFlight: 1}, nil)
	assert.Error(t, err)
}
