package metrics

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
)

// DefaultInterval is how often a Publisher publishes by default.
const DefaultInterval = 500 * time.Millisecond

// Publisher errors.
var (
	ErrDuplicateAgent = errors.New("metrics: agent already registered")
	ErrPublisherState = errors.New("metrics: publisher state")
)

// PublisherOptions configures a Publisher. The zero value is valid.
type PublisherOptions struct {
	// Interval between snapshots; DefaultInterval if <= 0.
	Interval time.Duration
	// RateWindow is the sliding window of rate_per_s; DefaultRateWindow if <= 0.
	RateWindow time.Duration
	// Now is the clock; time.Now if nil.
	Now func() time.Time
	// Instance is written into every snapshot (see Snapshot.Instance).
	Instance string
	// OnError receives publish errors from the background loop; they are
	// dropped if nil. It must not block.
	OnError func(error)
}

// Publisher publishes the snapshot of every registered Agent on
// Subject(workflow, agent) every Interval, over a NATS connection.
type Publisher struct {
	nc   *nats.Conn
	opts PublisherOptions

	mu      sync.Mutex
	agents  map[string]*published // by subject
	running bool
	stop    chan struct{}
	done    chan struct{}
}

// published is the per-agent state between two snapshots.
type published struct {
	agent *Agent
	meter *Meter
	prev  *HistogramSnapshot
}

// NewPublisher returns a stopped publisher sending on nc.
func NewPublisher(nc *nats.Conn, opts PublisherOptions) *Publisher {
	if opts.Interval <= 0 {
		opts.Interval = DefaultInterval
	}
	if opts.RateWindow <= 0 {
		opts.RateWindow = DefaultRateWindow
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Publisher{nc: nc, opts: opts, agents: make(map[string]*published)}
}

// Register adds an agent. Its first snapshot's latency covers everything it
// recorded before.
func (p *Publisher) Register(a *Agent) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	subj := a.Subject()
	if _, ok := p.agents[subj]; ok {
		return fmt.Errorf("%w: %s/%s", ErrDuplicateAgent, a.workflow, a.name)
	}
	p.agents[subj] = &published{agent: a, meter: NewMeter(p.opts.RateWindow)}
	return nil
}

// Unregister removes an agent (for example one replaced by a hot reload).
// It is not an error if a was not registered.
func (p *Publisher) Unregister(a *Agent) {
	p.mu.Lock()
	defer p.mu.Unlock()
	subj := a.Subject()
	if cur, ok := p.agents[subj]; ok && cur.agent == a {
		delete(p.agents, subj)
	}
}

// Start publishes every Interval in the background until Stop.
func (p *Publisher) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.running {
		return fmt.Errorf("%w: already started", ErrPublisherState)
	}
	p.running = true
	p.stop, p.done = make(chan struct{}), make(chan struct{})
	go p.loop(p.stop, p.done)
	return nil
}

func (p *Publisher) loop(stop, done chan struct{}) {
	defer close(done)
	t := time.NewTicker(p.opts.Interval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			if err := p.PublishNow(); err != nil && p.opts.OnError != nil {
				p.opts.OnError(err)
			}
		}
	}
}

// Stop ends the background loop and publishes one last snapshot per agent,
// so subscribers see the final counts. It returns that publish's error.
func (p *Publisher) Stop() error {
	p.mu.Lock()
	if !p.running {
		p.mu.Unlock()
		return fmt.Errorf("%w: not started", ErrPublisherState)
	}
	p.running = false
	stop, done := p.stop, p.done
	p.mu.Unlock()
	close(stop)
	<-done
	return p.PublishNow()
}

// PublishNow publishes one snapshot per registered agent at once. It joins
// the errors of failed publishes.
func (p *Publisher) PublishNow() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var errs []error
	for _, s := range p.collectLocked() {
		subj := Subject(s.Workflow, s.Agent)
		data, err := json.Marshal(s)
		if err == nil {
			err = p.nc.Publish(subj, data)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("metrics: publish %s: %w", subj, err))
		}
	}
	return errors.Join(errs...)
}

// Collect takes one snapshot per registered agent, ordered by subject,
// without publishing. It starts a new interval as a publish does, so use
// it instead of a Publisher's loop, not beside it.
func (p *Publisher) Collect() []Snapshot {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.collectLocked()
}

func (p *Publisher) collectLocked() []Snapshot {
	now := p.opts.Now()
	subjects := make([]string, 0, len(p.agents))
	for subj := range p.agents {
		subjects = append(subjects, subj)
	}
	slices.Sort(subjects)
	out := make([]Snapshot, 0, len(p.agents))
	for _, subj := range subjects {
		st := p.agents[subj]
		cur := st.agent.Latency.Snapshot()
		interval := cur.Sub(st.prev)
		st.prev = cur
		rate := st.meter.Update(now, st.agent.in.Load())
		snap := st.agent.snapshot(now, interval, rate)
		snap.Instance = p.opts.Instance
		out = append(out, snap)
	}
	return out
}
