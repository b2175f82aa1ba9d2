package engine

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sentAcks records what an ack window sends.
type sentAcks struct {
	mu   sync.Mutex
	acks []string
	wpis []string
}

func (s *sentAcks) send(reply string, payload []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch string(payload) {
	case "+ACK":
		s.acks = append(s.acks, reply)
	case "+WPI":
		s.wpis = append(s.wpis, reply)
	default:
		panic("unexpected payload " + string(payload))
	}
}

func (s *sentAcks) take() (acks, wpis []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	acks, wpis, s.acks, s.wpis = s.acks, s.wpis, nil, nil
	return acks, wpis
}

func reply(seq uint64) string { return fmt.Sprintf("r%d", seq) }

// window returns an ack window whose timed flush never fires by itself.
func window(t *testing.T, every int) (*ackWindow, *sentAcks) {
	s := &sentAcks{}
	w := newAckWindow(false, 0, s.send)
	w.every, w.delay = every, time.Hour
	t.Cleanup(w.stop)
	return w, s
}

func TestAckWindowAcksUpToTheOldestUnfinished(t *testing.T) {
	w, s := window(t, 3)
	slots := map[uint64]uint64{}
	for seq := uint64(1); seq <= 6; seq++ {
		slots[seq] = w.add(seq, reply(seq))
	}
	// 2, 3 and 4 finish first: nothing may be acked while 1 is unfinished.
	for _, seq := range []uint64{2, 3, 4} {
		w.done(slots[seq])
	}
	acks, _ := s.take()
	assert.Empty(t, acks, "an ack would cover message 1, still being handled")

	// 1 finishes: 1-4 are finished, one ack covers them.
	w.done(slots[1])
	acks, _ = s.take()
	assert.Equal(t, []string{reply(4)}, acks)

	// 6 finishes before 5; then 5: the window is empty, so the ack goes at once.
	w.done(slots[6])
	acks, _ = s.take()
	assert.Empty(t, acks)
	w.done(slots[5])
	acks, _ = s.take()
	assert.Equal(t, []string{reply(6)}, acks)
}

func TestAckWindowBatchesAcks(t *testing.T) {
	w, s := window(t, 4)
	var slots []uint64
	for seq := uint64(1); seq <= 11; seq++ {
		slots = append(slots, w.add(seq, reply(seq)))
	}
	for _, slot := range slots[:10] {
		w.done(slot)
	}
	acks, _ := s.take()
	assert.Equal(t, []string{reply(4), reply(8)}, acks, "one ack per 4 finished messages while others are in flight")

	w.flush() // the timed flush: 9 and 10 are finished, 11 is not
	acks, _ = s.take()
	assert.Equal(t, []string{reply(10)}, acks)
	w.flush()
	acks, _ = s.take()
	assert.Empty(t, acks, "nothing new to ack")
}

func TestAckWindowTimedFlush(t *testing.T) {
	s := &sentAcks{}
	w := newAckWindow(false, 0, s.send)
	w.delay = 5 * time.Millisecond
	a, b := w.add(1, reply(1)), w.add(2, reply(2))
	w.done(a)
	require.Eventually(t, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.acks) == 1 && s.acks[0] == reply(1)
	}, 5*time.Second, time.Millisecond, "a finished message is acked soon even while another is in flight")
	s.take()
	w.done(b)
	acks, _ := s.take()
	assert.Equal(t, []string{reply(2)}, acks)
}

func TestAckWindowNeverCoversARedeliveredMessage(t *testing.T) {
	w, s := window(t, 1)
	a, b := w.add(10, reply(10)), w.add(11, reply(11))
	// 5 comes again (delivered after 11), and is still being handled.
	late := w.add(5, reply(5)+"-again")
	w.done(a)
	w.done(b)
	acks, _ := s.take()
	assert.Empty(t, acks, "acking 11 would cover 5")
	w.flush()
	acks, _ = s.take()
	assert.Empty(t, acks)

	w.done(late)
	acks, _ = s.take()
	assert.Equal(t, []string{reply(11)}, acks, "once 5 is finished the highest finished sequence is acked")
}

func TestAckWindowUnfinishedMessagesHoldTheAckForever(t *testing.T) {
	w, s := window(t, 1)
	a := w.add(1, reply(1))
	w.add(2, reply(2)) // left alone, e.g. on stop: must be delivered again
	c := w.add(3, reply(3))
	w.done(a)
	w.done(c)
	w.flush()
	acks, _ := s.take()
	assert.Equal(t, []string{reply(1)}, acks)
}

func TestAckWindowGrowsPastItsRing(t *testing.T) {
	w, s := window(t, 1000)
	var slots []uint64
	for seq := uint64(1); seq <= 1000; seq++ {
		slots = append(slots, w.add(seq, reply(seq)))
	}
	for i := len(slots) - 1; i >= 0; i-- {
		w.done(slots[i])
	}
	acks, _ := s.take()
	assert.Equal(t, []string{reply(1000)}, acks)
	w.done(slots[3]) // again: ignored
	acks, _ = s.take()
	assert.Empty(t, acks)
}

func TestAckWindowPerMessage(t *testing.T) {
	s := &sentAcks{}
	w := newAckWindow(true, 0, s.send)
	a, b, c := w.add(1, reply(1)), w.add(2, reply(2)), w.add(3, reply(3))
	w.done(c)
	w.done(a)
	w.done(b)
	acks, _ := s.take()
	assert.Equal(t, []string{reply(3), reply(1), reply(2)}, acks, "each message acked when done, in that order")
}

func TestAckWindowKeepsOldMessagesAlive(t *testing.T) {
	s := &sentAcks{}
	w := newAckWindow(false, time.Second, s.send)
	w.delay = time.Hour
	t.Cleanup(w.stop)
	now := time.Unix(1000, 0)
	w.now = func() time.Time { return now }
	a := w.add(1, reply(1))
	now = now.Add(600 * time.Millisecond)
	b := w.add(2, reply(2))
	w.done(b) // finished, but waits behind 1

	now = now.Add(500 * time.Millisecond) // 1 is 1.1 s old, 2 is 0.5 s
	w.keepAlive()
	_, wpis := s.take()
	assert.Equal(t, []string{reply(1)}, wpis)

	now = now.Add(600 * time.Millisecond) // 1 was told 0.6 s ago, 2 is 1.1 s old
	w.keepAlive()
	_, wpis = s.take()
	assert.Equal(t, []string{reply(2)}, wpis, "a finished message waiting for its ack is kept alive too")

	w.done(a)
	acks, _ := s.take()
	assert.Equal(t, []string{reply(2)}, acks)
	now = now.Add(time.Hour)
	w.keepAlive()
	_, wpis = s.take()
	assert.Empty(t, wpis, "acked messages need no signal")
}
