package bus_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumeo/kumeo/engine/bus"
	"github.com/kumeo/kumeo/engine/bus/bustest"
)

// headerCases are headers with values nats.go has to clean up: white space
// at the ends, CR and LF inside, non-ASCII text, empty values.
var headerCases = []struct {
	name string
	h    [][2]string
}{
	{name: "none"},
	{name: "ids", h: [][2]string{{"Kumeo-Trace-Id", "0af7651916cd43dd8448eb211c80319c"}, {"Kumeo-Event-Id", "b7ad6b7169203331"}}},
	{name: "padded", h: [][2]string{{"A", "  x  "}, {"B", "\t y\t"}, {"C", "\r\nz\r\n"}}},
	{name: "line breaks inside", h: [][2]string{{"Kumeo-Error", "first line\nsecond\r\nthird\rfourth"}}},
	{name: "empty and blank", h: [][2]string{{"Empty", ""}, {"Blank", "   "}, {"Breaks", "\r\n\r\n"}}},
	{name: "unicode and punctuation", h: [][2]string{{"Kumeo-Error", "ünïcødé: 'quoted' \"double\" \x00 \x7f ✓"}, {"Kumeo-Agent", "a:b c"}}},
	{name: "long", h: [][2]string{{"Long", strings.Repeat("0123456789", 500)}}},
	{name: "many", h: [][2]string{{"H1", "1"}, {"H2", "2"}, {"H3", "3"}, {"H4", "4"}, {"H5", "5"}, {"H6", "6"}}},
}

// TestPublisherMatchesPublishMsg sends every case once with nats.go's
// PublishMsg and once through a Publisher with AppendHeader, and checks
// that a nats.go subscriber receives the same headers and data, in-process
// and over TCP.
func TestPublisherMatchesPublishMsg(t *testing.T) {
	for _, tcp := range []bool{false, true} {
		t.Run(map[bool]string{false: "in-process", true: "tcp"}[tcp], func(t *testing.T) {
			b := bustest.Run(t, bustest.With(func(o *bus.Options) {
				if tcp {
					o.Listen, o.PreferTCP = "127.0.0.1:0", true
				}
			}))
			nc := bustest.Connect(t, b)
			p, err := b.ConnectPublisher("test", nil)
			require.NoError(t, err)
			t.Cleanup(func() { p.Close() })
			got := make(chan *nats.Msg, 2)
			_, err = nc.ChanSubscribe("out.>", got)
			require.NoError(t, err)
			require.NoError(t, nc.Flush())

			for i, tc := range headerCases {
				for _, data := range []string{"", `{"a":1}`, "line\r\nbreaks\r\n"} {
					subject := "out." + string(rune('a'+i))
					var want nats.Header
					var hdr []byte
					if len(tc.h) > 0 {
						want = nats.Header{}
						hdr = bus.AppendHeaderStart(nil)
						for _, kv := range tc.h {
							want.Add(kv[0], kv[1])
							hdr = bus.AppendHeader(hdr, kv[0], kv[1])
						}
						hdr = bus.AppendHeaderEnd(hdr)
					}
					require.NoError(t, nc.PublishMsg(&nats.Msg{Subject: subject, Header: want, Data: []byte(data)}))
					require.NoError(t, p.Publish(subject, hdr, []byte(data)))
					ref, mine := receive(t, got), receive(t, got)
					assert.Equal(t, subject, mine.Subject, tc.name)
					assert.Equal(t, ref.Header, mine.Header, tc.name)
					assert.Equal(t, string(ref.Data), string(mine.Data), tc.name)
				}
			}
		})
	}
}

func receive(t *testing.T, ch chan *nats.Msg) *nats.Msg {
	t.Helper()
	select {
	case m := <-ch:
		return m
	case <-time.After(wait):
		t.Fatal("message not delivered")
		return nil
	}
}

// TestPublisherErrors checks the errors PublishMsg would return, and that
// the connection is still usable after them.
func TestPublisherErrors(t *testing.T) {
	b := bustest.Run(t, bustest.With(func(o *bus.Options) { o.MaxPayload = 1024 }))
	p, err := b.ConnectPublisher("test", nil)
	require.NoError(t, err)
	nc := bustest.Connect(t, b)
	for _, subject := range []string{"", "a b", "a\tb", "a\r\nb", "a\n"} {
		assert.ErrorIs(t, p.Publish(subject, nil, []byte("x")), nats.ErrBadSubject, "%q", subject)
		assert.ErrorIs(t, nc.Publish(subject, []byte("x")), nats.ErrBadSubject, "%q", subject)
	}
	hdr := bus.AppendHeaderEnd(bus.AppendHeader(bus.AppendHeaderStart(nil), "K", "v"))
	big := make([]byte, 1024-len(hdr)+1)
	assert.ErrorIs(t, p.Publish("x", hdr, big), nats.ErrMaxPayload)
	assert.ErrorIs(t, nc.PublishMsg(&nats.Msg{Subject: "x", Header: nats.Header{"K": {"v"}}, Data: big}), nats.ErrMaxPayload)

	got := make(chan *nats.Msg, 1)
	_, err = nc.ChanSubscribe("x", got)
	require.NoError(t, err)
	require.NoError(t, nc.Flush())
	require.NoError(t, p.Publish("x", hdr, big[1:]), "exactly the maximum payload")
	assert.Len(t, receive(t, got).Data, len(big)-1)

	require.NoError(t, p.Close())
	assert.ErrorIs(t, p.Publish("x", nil, nil), nats.ErrConnectionClosed)
	assert.ErrorIs(t, p.Flush(time.Second), nats.ErrConnectionClosed)
	<-p.Done()
}

// TestPublisherOrderAndFlush publishes from several goroutines, more than
// one flush threshold's worth: each goroutine's messages arrive in order,
// and all of them have reached the server when Flush returns.
func TestPublisherOrderAndFlush(t *testing.T) {
	b := bustest.Run(t)
	p, err := b.ConnectPublisher("test", nil)
	require.NoError(t, err)
	t.Cleanup(func() { p.Close() })
	nc := bustest.Connect(t, b)
	const writers, each = 4, 20000
	var mu sync.Mutex
	next := map[string]int{}
	var bad int
	sub, err := nc.Subscribe("order.*", func(m *nats.Msg) {
		mu.Lock()
		defer mu.Unlock()
		if want := next[m.Subject]; string(m.Data) != strconv.Itoa(want) || m.Header.Get("N") != strconv.Itoa(want) {
			bad++
		}
		next[m.Subject]++
	})
	require.NoError(t, err)
	require.NoError(t, sub.SetPendingLimits(-1, -1))
	require.NoError(t, nc.Flush())
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			subject := "order." + strconv.Itoa(w)
			for i := 0; i < each; i++ {
				hdr := bus.AppendHeaderEnd(bus.AppendHeader(bus.AppendHeaderStart(nil), "N", strconv.Itoa(i)))
				if err := p.Publish(subject, hdr, []byte(strconv.Itoa(i))); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	require.NoError(t, p.Flush(wait))
	// The server has every message; the subscriber gets them in order.
	require.NoError(t, nc.Flush())
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, c := range next {
			n += c
		}
		return n == writers*each
	}, wait, 5*time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	assert.Zero(t, bad, "messages out of order")
}

// TestPublisherShutdown checks that Shutdown delivers what a publisher
// sent before it, and that the publisher then reports the close.
func TestPublisherShutdown(t *testing.T) {
	b, err := bus.New(bus.Options{})
	require.NoError(t, err)
	require.NoError(t, b.Start())
	require.NoError(t, b.Ready(wait))
	closed := make(chan error, 1)
	p, err := b.ConnectPublisher("test", func(err error) { closed <- err })
	require.NoError(t, err)
	nc, err := b.Connect()
	require.NoError(t, err)
	var n int
	var mu sync.Mutex
	_, err = nc.Subscribe("s", func(*nats.Msg) { mu.Lock(); n++; mu.Unlock() })
	require.NoError(t, err)
	require.NoError(t, nc.Flush())
	const total = 5000
	for i := 0; i < total; i++ {
		require.NoError(t, p.Publish("s", nil, []byte("x")))
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	require.NoError(t, b.Shutdown(ctx))
	mu.Lock()
	assert.Equal(t, total, n)
	mu.Unlock()
	select {
	case err := <-closed:
		assert.Error(t, err)
	case <-time.After(wait):
		t.Fatal("the publisher did not report the server going away")
	}
	assert.ErrorIs(t, p.Publish("s", nil, nil), nats.ErrConnectionClosed)

	_, err = b.ConnectPublisher("late", nil)
	assert.ErrorIs(t, err, bus.ErrClosed)
}
