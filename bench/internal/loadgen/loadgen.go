// Package loadgen is the closed-loop load generator of the engine
// benchmark. It keeps exactly W events in flight: W slots each hold one
// event at a time, and the arrival of a slot's event (at any target or the
// dead-letter subject) sends the slot's next event. Latency is measured
// per event from just before it is sent to its arrival; the slot records
// the send time, the event carries its slot in its transaction id, so
// nothing is added to the events and memory stays O(W).
//
// A run has a warm-up, a measured window (events/s = events that arrived
// in the window / window length; latencies of those events) and a drain
// in which no new events are sent.
package loadgen

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/kumeo/kumeo/bench/internal/workload"
	"github.com/kumeo/kumeo/engine/metrics"
)

// SendFunc sends the encoded event b. b is only valid during the call.
type SendFunc func(b []byte) error

// Options configure a run.
type Options struct {
	InFlight int           // W, events in flight
	Warmup   time.Duration // not measured
	Duration time.Duration // measured window
	// Events, when > 0, ends the measured window after this many events
	// even before Duration (go test benchmarks use it for b.N).
	Events    uint64
	Drain     time.Duration // longest wait for in-flight events at the end; 0 means 10 s
	Stall     time.Duration // no arrival for this long fails the run; 0 means 15 s
	Templates []workload.Template
	// OnMeasure is called when the measured window starts and ends
	// (start=false), e.g. to start and stop a CPU profile.
	OnMeasure func(start bool)
}

// Result is what one run measured.
type Result struct {
	InFlight   int                        `json:"in_flight"`
	Events     uint64                     `json:"events"`
	Seconds    float64                    `json:"seconds"`
	EPS        float64                    `json:"eps"`
	P50ms      float64                    `json:"p50_ms"`
	P99ms      float64                    `json:"p99_ms"`
	P999ms     float64                    `json:"p999_ms"`
	MaxMs      float64                    `json:"max_ms"`
	Routes     map[string]uint64          `json:"routes"`
	Mismatched uint64                     `json:"mismatched"`
	Unknown    uint64                     `json:"unknown"`
	Lost       int64                      `json:"lost"`
	Sent       uint64                     `json:"sent"`
	hist       *metrics.HistogramSnapshot `json:"-"`
}

const (
	phaseWarmup int32 = iota
	phaseMeasure
	phaseDrain
)

type slot struct {
	seq    atomic.Uint64 // sequence number of the event in flight
	sentNs atomic.Int64  // when it was sent, ns since the driver's start
	want   atomic.Uint32 // expected route
	buf    []byte
	_      [24]byte // keep hot slots on separate cache lines
}

// Driver runs one closed loop. Arrive is safe for concurrent use.
type Driver struct {
	opts  Options
	send  SendFunc
	slots []slot
	base  time.Time
	next  atomic.Uint64 // next sequence number

	phase       atomic.Int32
	outstanding atomic.Int64
	arrivals    atomic.Uint64 // all arrivals, for stall detection
	measured    atomic.Uint64
	mismatched  atomic.Uint64
	unknown     atomic.Uint64
	sent        atomic.Uint64
	routes      [workload.NumRoutes]atomic.Uint64
	hist        metrics.Histogram

	errOnce sync.Once
	err     atomic.Pointer[error]
}

// New returns a driver that sends with send.
func New(opts Options, send SendFunc) (*Driver, error) {
	if opts.InFlight < 1 || opts.InFlight > workload.MaxSlots {
		return nil, fmt.Errorf("loadgen: in-flight must be 1..%d, got %d", workload.MaxSlots, opts.InFlight)
	}
	if len(opts.Templates) == 0 {
		return nil, errors.New("loadgen: no templates")
	}
	if opts.Drain <= 0 {
		opts.Drain = 10 * time.Second
	}
	if opts.Stall <= 0 {
		opts.Stall = 15 * time.Second
	}
	d := &Driver{opts: opts, send: send, slots: make([]slot, opts.InFlight), base: time.Now()}
	for i := range d.slots {
		d.slots[i].buf = make([]byte, 0, 512)
	}
	return d, nil
}

func (d *Driver) now() int64 { return int64(time.Since(d.base)) }

// fire sends the next event of slot i.
func (d *Driver) fire(i int) {
	s := &d.slots[i]
	seq := d.next.Add(1) - 1
	t := &d.opts.Templates[seq%uint64(len(d.opts.Templates))]
	s.buf = append(s.buf[:0], t.JSON...)
	workload.PutID(s.buf[workload.IDOff:], i, seq)
	s.seq.Store(seq)
	s.want.Store(uint32(t.Want))
	d.outstanding.Add(1)
	d.sent.Add(1)
	s.sentNs.Store(d.now())
	if err := d.send(s.buf); err != nil {
		d.outstanding.Add(-1)
		d.fail(fmt.Errorf("send: %w", err))
	}
}

func (d *Driver) fail(err error) {
	d.errOnce.Do(func() { d.err.Store(&err) })
}

// Arrive records the arrival of event b on route r and sends the slot's
// next event.
func (d *Driver) Arrive(r workload.Route, b []byte) {
	now := d.now()
	i, seq, ok := workload.ParseID(b)
	if !ok || i >= len(d.slots) {
		d.unknown.Add(1)
		return
	}
	s := &d.slots[i]
	// The slot's fields stay put until fire(i) below; winning the swap
	// makes this the only arrival of the event (a duplicate or stale
	// event counts as unknown).
	if !s.seq.CompareAndSwap(seq, ^uint64(0)) {
		d.unknown.Add(1)
		return
	}
	d.arrivals.Add(1)
	phase := d.phase.Load()
	if phase == phaseMeasure {
		d.hist.Record(time.Duration(now - s.sentNs.Load()))
		d.measured.Add(1)
		if r < workload.NumRoutes {
			d.routes[r].Add(1)
		}
	}
	if workload.Route(s.want.Load()) != r {
		d.mismatched.Add(1)
	}
	if phase != phaseDrain {
		d.fire(i) // before the decrement, so the drain never sees a false zero
	}
	d.outstanding.Add(-1)
}

// Run starts the loop and returns when the drain is over.
func (d *Driver) Run() (Result, error) {
	for i := range d.slots {
		d.fire(i)
	}
	if err := d.wait(d.opts.Warmup, 0); err != nil {
		return Result{}, err
	}
	if d.opts.OnMeasure != nil {
		d.opts.OnMeasure(true)
	}
	start := time.Now()
	d.phase.Store(phaseMeasure)
	err := d.wait(d.opts.Duration, d.opts.Events)
	d.phase.Store(phaseDrain)
	elapsed := time.Since(start)
	if d.opts.OnMeasure != nil {
		d.opts.OnMeasure(false)
	}
	for deadline := time.Now().Add(d.opts.Drain); d.outstanding.Load() > 0 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	res := Result{
		InFlight:   d.opts.InFlight,
		Events:     d.measured.Load(),
		Seconds:    elapsed.Seconds(),
		Mismatched: d.mismatched.Load(),
		Unknown:    d.unknown.Load(),
		Lost:       d.outstanding.Load(),
		Sent:       d.sent.Load(),
		Routes:     map[string]uint64{},
		hist:       d.hist.Snapshot(),
	}
	res.EPS = float64(res.Events) / res.Seconds
	for i := range d.routes {
		res.Routes[workload.Route(i).String()] = d.routes[i].Load()
	}
	if res.Events > 0 {
		res.P50ms = ms(res.hist.Quantile(0.50))
		res.P99ms = ms(res.hist.Quantile(0.99))
		res.P999ms = ms(res.hist.Quantile(0.999))
		res.MaxMs = ms(time.Duration(res.hist.Max))
	}
	if err != nil {
		return res, err
	}
	if p := d.err.Load(); p != nil {
		return res, *p
	}
	if res.Events == 0 {
		return res, fmt.Errorf("loadgen: no event arrived in the measured window (%d sent)", res.Sent)
	}
	return res, nil
}

// wait lets the loop run for dur or until events were measured (when
// events > 0), failing when nothing arrives for the stall limit or a send
// failed.
func (d *Driver) wait(dur time.Duration, events uint64) error {
	end := time.Now().Add(dur)
	last, lastAt := d.arrivals.Load(), time.Now()
	for {
		now := time.Now()
		if !now.Before(end) || events > 0 && d.measured.Load() >= events {
			return nil
		}
		if p := d.err.Load(); p != nil {
			return *p
		}
		if a := d.arrivals.Load(); a != last {
			last, lastAt = a, now
		} else if now.Sub(lastAt) > d.opts.Stall {
			return fmt.Errorf("loadgen: no event arrived for %s (%d in flight, %d sent)", d.opts.Stall, d.outstanding.Load(), d.sent.Load())
		}
		pause := 50 * time.Millisecond
		if events > 0 {
			pause = time.Millisecond
		}
		time.Sleep(min(pause, end.Sub(now)))
	}
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

// RunNATS runs a closed loop over NATS: events are published on the
// workflow's source subject and arrive on the three target subjects or
// the dead-letter subject of nc's server.
func RunNATS(nc *nats.Conn, opts Options) (Result, error) {
	d, err := New(opts, func(b []byte) error { return nc.Publish(workload.SourceSubject, b) })
	if err != nil {
		return Result{}, err
	}
	subjects := map[workload.Route]string{workload.Dead: workload.DLQSubject}
	for i, s := range workload.TargetSubjects {
		subjects[workload.Route(i)] = s
	}
	var subs []*nats.Subscription
	defer func() {
		for _, s := range subs {
			_ = s.Unsubscribe()
		}
	}()
	for r, subject := range subjects {
		s, err := nc.Subscribe(subject, func(m *nats.Msg) { d.Arrive(r, m.Data) })
		if err != nil {
			return Result{}, fmt.Errorf("loadgen: subscribe %s: %w", subject, err)
		}
		if err := s.SetPendingLimits(-1, -1); err != nil {
			return Result{}, err
		}
		subs = append(subs, s)
	}
	if err := nc.Flush(); err != nil {
		return Result{}, err
	}
	return d.Run()
}
