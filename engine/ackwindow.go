package engine

import (
	"sync"
	"time"
)

// ackWindow acknowledges the messages of one durable consumer whose ack
// policy is "all": one ack covers every message up to its stream sequence.
// Messages are recorded in the order JetStream delivered them, and an ack is
// sent only up to the oldest message still being handled, so a crash
// redelivers everything not yet fully handled, as with one ack per message,
// while the server processes one ack per batch instead of one per event.
//
// A window in per-message mode (a consumer created with explicit acks)
// acks each message as soon as it is done.
type ackWindow struct {
	mu sync.Mutex

	perMessage bool
	every      int           // acks at least once per this many finished messages
	delay      time.Duration // and no later than this after the first of them
	progress   time.Duration // messages older than this get a "still working" signal

	// ring holds the messages from the oldest unfinished one on, in
	// delivery order; first is the slot number of ring[head].
	ring  []ackSlot
	head  int
	count int
	first uint64

	maxSeq uint64         // highest stream sequence recorded
	behind map[uint64]int // unfinished messages delivered after a higher sequence (redeliveries)

	best    ackSlot // finished, unacked message with the highest sequence
	pending int     // finished messages not acked yet
	timer   *time.Timer

	send func(reply string, payload []byte)
	now  func() time.Time
}

type ackSlot struct {
	seq   uint64
	reply string
	at    time.Time // delivered, or last told "still working"
	done  bool
	late  bool // delivered after a higher sequence
}

var (
	ackPayload      = []byte("+ACK")
	progressPayload = []byte("+WPI")
)

func newAckWindow(perMessage bool, progress time.Duration, send func(reply string, payload []byte)) *ackWindow {
	return &ackWindow{
		perMessage: perMessage, every: 128, delay: 20 * time.Millisecond, progress: progress,
		ring: make([]ackSlot, 256), behind: map[uint64]int{}, send: send, now: time.Now,
	}
}

// add records a delivered message and returns its slot for done. Messages
// must be added in the order they were delivered.
func (w *ackWindow) add(seq uint64, reply string) uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.count == len(w.ring) {
		grown := make([]ackSlot, 2*len(w.ring))
		for i := 0; i < w.count; i++ {
			grown[i] = w.ring[(w.head+i)%len(w.ring)]
		}
		w.ring, w.head = grown, 0
	}
	s := ackSlot{seq: seq, reply: reply, at: w.now()}
	if seq <= w.maxSeq {
		s.late = true
		w.behind[seq]++
	} else {
		w.maxSeq = seq
	}
	w.ring[(w.head+w.count)%len(w.ring)] = s
	w.count++
	return w.first + uint64(w.count-1)
}

// done marks a message fully handled (its outputs already published on the
// connection the ack goes out on) and sends the acks that became safe.
func (w *ackWindow) done(slot uint64) {
	w.mu.Lock()
	i := int(slot - w.first)
	if slot < w.first || i >= w.count {
		w.mu.Unlock()
		return
	}
	s := &w.ring[(w.head+i)%len(w.ring)]
	if s.done {
		w.mu.Unlock()
		return
	}
	s.done = true
	if s.late {
		if w.behind[s.seq]--; w.behind[s.seq] <= 0 {
			delete(w.behind, s.seq)
		}
	}
	if w.perMessage {
		reply := s.reply
		w.pop()
		w.mu.Unlock()
		w.send(reply, ackPayload)
		return
	}
	w.pop()
	reply := w.due(false)
	w.mu.Unlock()
	if reply != "" {
		w.send(reply, ackPayload)
	}
}

// pop drops the finished messages at the front of the ring.
func (w *ackWindow) pop() {
	for w.count > 0 && w.ring[w.head].done {
		s := w.ring[w.head]
		w.ring[w.head] = ackSlot{}
		w.head = (w.head + 1) % len(w.ring)
		w.count--
		w.first++
		if w.perMessage {
			continue
		}
		if s.seq > w.best.seq || w.best.reply == "" {
			w.best = s
		}
		w.pending++
	}
}

// due returns the reply subject to ack now, or "" when the ack should wait
// for more finished messages (then a timer sends it later). It never
// returns an ack that would cover an unfinished message.
func (w *ackWindow) due(force bool) string {
	if w.pending == 0 || !w.safe(w.best.seq) {
		return ""
	}
	if !force && w.count > 0 && w.pending < w.every {
		if w.timer == nil {
			w.timer = time.AfterFunc(w.delay, w.flush)
		}
		return ""
	}
	reply := w.best.reply
	w.pending = 0
	w.best = ackSlot{}
	return reply
}

// safe reports whether acking everything up to seq covers only finished
// messages.
func (w *ackWindow) safe(seq uint64) bool {
	for i := 0; i < w.count; i++ {
		s := &w.ring[(w.head+i)%len(w.ring)]
		if !s.done && !s.late {
			// Messages delivered in order after this one have higher
			// sequences; only redeliveries can be lower.
			if s.seq <= seq {
				return false
			}
			break
		}
	}
	for b := range w.behind {
		if b <= seq {
			return false
		}
	}
	return true
}

// flush sends the ack for every finished message that is safe to ack.
func (w *ackWindow) flush() {
	w.mu.Lock()
	w.timer = nil
	reply := w.due(true)
	w.mu.Unlock()
	if reply != "" {
		w.send(reply, ackPayload)
	}
}

// keepAlive tells JetStream that messages delivered more than the progress
// interval ago are still being worked on (or wait behind one that is), so
// it does not deliver them again while this process is alive.
func (w *ackWindow) keepAlive() {
	if w.progress <= 0 {
		return
	}
	var replies []string
	w.mu.Lock()
	now := w.now()
	for i := 0; i < w.count; i++ {
		s := &w.ring[(w.head+i)%len(w.ring)]
		if now.Sub(s.at) >= w.progress {
			s.at = now
			replies = append(replies, s.reply)
		}
	}
	w.mu.Unlock()
	for _, r := range replies {
		w.send(r, progressPayload)
	}
}

// stop cancels a pending timed ack; the caller flushes when it should.
func (w *ackWindow) stop() {
	w.mu.Lock()
	if w.timer != nil {
		w.timer.Stop()
		w.timer = nil
	}
	w.mu.Unlock()
}
