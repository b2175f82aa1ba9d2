package trace

import (
	"cmp"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// Defaults for Options fields left at zero.
const (
	DefaultPerAgent   = 100
	DefaultMaxTraces  = 1000
	DefaultMaxHops    = 64
	DefaultMaxPayload = 4096
)

// Direction says how an event passed an agent.
type Direction string

// Directions of a Record.
const (
	In         Direction = "in"       // received by the agent
	Out        Direction = "out"      // emitted by the agent
	Filtered   Direction = "filtered" // received and deliberately dropped
	DeadLetter Direction = "dlq"      // sent to the dead-letter subject
)

// Record is one event in or out of one agent.
type Record struct {
	Span
	Seq       uint64    `json:"seq"` // order of recording, across all agents
	TS        int64     `json:"ts"`  // milliseconds since the Unix epoch
	Agent     string    `json:"agent"`
	Dir       Direction `json:"dir"`
	Subject   string    `json:"subject,omitempty"`
	Size      int       `json:"size"`              // payload size in bytes
	Payload   string    `json:"payload,omitempty"` // the first MaxPayload bytes
	Truncated bool      `json:"truncated,omitempty"`
	Error     string    `json:"error,omitempty"`
}

// Options bounds a Recorder. Zero fields take the defaults.
type Options struct {
	// PerAgent is how many recent records each agent keeps.
	PerAgent int
	// MaxTraces is how many traces the path index keeps; the oldest
	// trace is forgotten first.
	MaxTraces int
	// MaxHops is how many records one trace's path keeps; later ones are
	// counted but not kept.
	MaxHops int
	// MaxPayload is how many payload bytes a record keeps. Negative keeps
	// none.
	MaxPayload int
	// Now is the clock; time.Now if nil.
	Now func() time.Time
}

// Recorder keeps, per agent, a ring of the most recent records, and per
// trace the path of records through the workflow. Memory is bounded by
// Options: payloads live only in the agent rings, the path index holds
// metadata. Safe for concurrent use.
type Recorder struct {
	opts Options
	seq  atomic.Uint64

	mu     sync.RWMutex
	agents map[string]*ring

	idx pathIndex
}

// NewRecorder returns an empty recorder.
func NewRecorder(opts Options) *Recorder {
	if opts.PerAgent <= 0 {
		opts.PerAgent = DefaultPerAgent
	}
	if opts.MaxTraces <= 0 {
		opts.MaxTraces = DefaultMaxTraces
	}
	if opts.MaxHops <= 0 {
		opts.MaxHops = DefaultMaxHops
	}
	if opts.MaxPayload == 0 {
		opts.MaxPayload = DefaultMaxPayload
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Recorder{
		opts:   opts,
		agents: make(map[string]*ring),
		idx:    pathIndex{max: opts.MaxTraces, maxHops: opts.MaxHops, traces: make(map[string]*path)},
	}
}

// Observe records an event passing agent: its span, subject, payload and
// the error that sent it to the dead-letter subject, if any.
func (r *Recorder) Observe(agent string, dir Direction, span Span, subject string, payload []byte, err error) {
	rec := Record{Span: span, Agent: agent, Dir: dir, Subject: subject, Size: len(payload)}
	if err != nil {
		rec.Error = err.Error()
	}
	rec.Payload, rec.Truncated = clip(payload, r.opts.MaxPayload)
	r.add(rec)
}

// Add stores rec, filling in Seq and TS (if zero) and clipping its payload.
func (r *Recorder) Add(rec Record) {
	if len(rec.Payload) > max(r.opts.MaxPayload, 0) {
		rec.Payload, _ = clip([]byte(rec.Payload), r.opts.MaxPayload)
		rec.Truncated = true
	}
	r.add(rec)
}

func (r *Recorder) add(rec Record) {
	if rec.TS == 0 {
		rec.TS = r.opts.Now().UnixMilli()
	}
	pos := r.ring(rec.Agent).put(&rec, &r.seq)
	if rec.TraceID != "" {
		rec.Payload = "" // payloads stay in the rings only
		r.idx.add(&rec, pos)
	}
}

// clip returns at most n bytes of p as a string, cut at a UTF-8 boundary.
func clip(p []byte, n int) (string, bool) {
	if n < 0 {
		return "", len(p) > 0
	}
	if len(p) <= n {
		return string(p), false
	}
	cut := n
	for cut > 0 && cut > n-utf8.UTFMax && !utf8.RuneStart(p[cut]) {
		cut--
	}
	return string(p[:cut]), true
}

func (r *Recorder) ring(agent string) *ring {
	r.mu.RLock()
	ag := r.agents[agent]
	r.mu.RUnlock()
	if ag != nil {
		return ag
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if ag = r.agents[agent]; ag == nil {
		ag = &ring{buf: make([]Record, r.opts.PerAgent)}
		r.agents[agent] = ag
	}
	return ag
}

// Recent returns up to n of agent's most recent records, oldest first
// (all it keeps if n <= 0).
func (r *Recorder) Recent(agent string, n int) []Record {
	r.mu.RLock()
	ag := r.agents[agent]
	r.mu.RUnlock()
	if ag == nil {
		return nil
	}
	return ag.recent(n)
}

// Agents returns the names of the agents with records, sorted.
func (r *Recorder) Agents() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	names := make([]string, 0, len(r.agents))
	for name := range r.agents {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// Trace returns the recorded path of traceID in recording order, with
// payloads for the records still held in their agent's ring. dropped counts
// records beyond MaxHops that were not kept. It returns nil if the trace is
// unknown or was forgotten.
func (r *Recorder) Trace(traceID string) (path []Record, dropped int) {
	hops, dropped := r.idx.get(traceID)
	if hops == nil {
		return nil, 0
	}
	// Records of different agents can reach the index out of order.
	slices.SortFunc(hops, func(a, b hop) int { return cmp.Compare(a.rec.Seq, b.rec.Seq) })
	path = make([]Record, len(hops))
	r.mu.RLock()
	defer r.mu.RUnlock()
	for i, h := range hops {
		path[i] = h.rec
		if ag := r.agents[h.rec.Agent]; ag != nil {
			path[i].Payload, _ = ag.payload(h.pos, h.rec.Seq)
		}
	}
	return path, dropped
}

// Traces returns up to n trace ids, most recently started first (all the
// index keeps if n <= 0).
func (r *Recorder) Traces(n int) []string { return r.idx.recent(n) }

// Reset forgets everything.
func (r *Recorder) Reset() {
	r.mu.Lock()
	r.agents = make(map[string]*ring)
	r.mu.Unlock()
	r.idx.reset()
}

// ring is one agent's fixed-size buffer of records.
type ring struct {
	mu    sync.Mutex
	buf   []Record
	total uint64 // records ever put; the next goes to buf[total%len]
}

// put stores rec, setting its Seq, and returns its ring position. The
// sequence number is taken under the ring's lock so that each agent's
// records are in sequence order.
func (g *ring) put(rec *Record, seq *atomic.Uint64) uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	pos := g.total
	rec.Seq = seq.Add(1)
	g.buf[pos%uint64(len(g.buf))] = *rec
	g.total++
	return pos
}

func (g *ring) recent(n int) []Record {
	g.mu.Lock()
	defer g.mu.Unlock()
	have := min(g.total, uint64(len(g.buf)))
	if n > 0 && uint64(n) < have {
		have = uint64(n)
	}
	out := make([]Record, 0, have)
	for p := g.total - have; p < g.total; p++ {
		out = append(out, g.buf[p%uint64(len(g.buf))])
	}
	return out
}

// payload returns the payload of the record put at pos if it is still there.
func (g *ring) payload(pos, seq uint64) (string, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if pos >= g.total || g.total-pos > uint64(len(g.buf)) {
		return "", false
	}
	rec := &g.buf[pos%uint64(len(g.buf))]
	if rec.Seq != seq {
		return "", false
	}
	return rec.Payload, true
}

// pathIndex maps trace ids to their records, forgetting the oldest trace
// when full.
type pathIndex struct {
	max, maxHops int

	mu     sync.Mutex
	traces map[string]*path
	order  []string // trace ids, oldest first, as a queue starting at head
	head   int
}

type path struct {
	hops    []hop
	dropped int
}

type hop struct {
	rec Record // without payload
	pos uint64 // position in its agent's ring
}

func (x *pathIndex) add(rec *Record, pos uint64) {
	x.mu.Lock()
	defer x.mu.Unlock()
	p := x.traces[rec.TraceID]
	if p == nil {
		if len(x.traces) >= x.max {
			x.evictOldest()
		}
		p = &path{hops: make([]hop, 0, 2)}
		x.traces[rec.TraceID] = p
		x.order = append(x.order, rec.TraceID)
	}
	if len(p.hops) >= x.maxHops {
		p.dropped++
		return
	}
	p.hops = append(p.hops, hop{*rec, pos})
}

func (x *pathIndex) evictOldest() {
	id := x.order[x.head]
	x.order[x.head] = ""
	x.head++
	delete(x.traces, id)
	// Compact the queue once half of it is dead space.
	if x.head > len(x.order)/2 {
		x.order = append(x.order[:0], x.order[x.head:]...)
		x.head = 0
	}
}

func (x *pathIndex) get(traceID string) ([]hop, int) {
	x.mu.Lock()
	defer x.mu.Unlock()
	p := x.traces[traceID]
	if p == nil {
		return nil, 0
	}
	return slices.Clone(p.hops), p.dropped
}

func (x *pathIndex) recent(n int) []string {
	x.mu.Lock()
	defer x.mu.Unlock()
	live := x.order[x.head:]
	if n <= 0 || n > len(live) {
		n = len(live)
	}
	out := make([]string, 0, n)
	for i := len(live) - 1; i >= len(live)-n; i-- {
		out = append(out, live[i])
	}
	return out
}

func (x *pathIndex) reset() {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.traces = make(map[string]*path)
	x.order, x.head = nil, 0
}
