package bus_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kumeo/kumeo/engine/bus"
	"github.com/kumeo/kumeo/engine/bus/bustest"
	"github.com/kumeo/kumeo/engine/metrics"
)

// The benchmarks compare in-process and loopback TCP clients against a Go
// channel baseline run in the same process; compare ratios, not absolute
// numbers, on a shared machine.

var payload200 = make([]byte, 200)

type transport struct {
	name    string
	connect func(b *bus.Bus) (*nats.Conn, error)
}

var transports = []transport{
	{"inprocess", func(b *bus.Bus) (*nats.Conn, error) { return b.Connect() }},
	{"tcp", func(b *bus.Bus) (*nats.Conn, error) { return b.ConnectTCP() }},
}

func pair(b *testing.B, bs *bus.Bus, tr transport) (pub, sub *nats.Conn) {
	b.Helper()
	var err error
	if pub, err = tr.connect(bs); err != nil {
		b.Fatal(err)
	}
	if sub, err = tr.connect(bs); err != nil {
		b.Fatal(err)
	}
	return pub, sub
}

func reportLatency(b *testing.B, h *metrics.Histogram) {
	s := h.Snapshot()
	b.ReportMetric(float64(s.Quantile(0.5))/float64(time.Microsecond), "p50-µs")
	b.ReportMetric(float64(s.Quantile(0.99))/float64(time.Microsecond), "p99-µs")
	b.ReportMetric(float64(s.Max)/float64(time.Microsecond), "max-µs")
}

// BenchmarkRoundTrip publishes one 200-byte event at a time and waits until
// the subscriber (on another connection) has it: the latency of one hop.
func BenchmarkRoundTrip(b *testing.B) {
	b.Run("chan-baseline", func(b *testing.B) {
		in, out := make(chan []byte), make(chan struct{})
		go func() {
			for range in {
				out <- struct{}{}
			}
		}()
		defer close(in)
		var h metrics.Histogram
		for b.Loop() {
			start := time.Now()
			in <- payload200
			<-out
			h.Since(start)
		}
		reportLatency(b, &h)
	})
	for _, tr := range transports {
		b.Run(tr.name, func(b *testing.B) {
			bs := bustest.Run(b, bustest.TCP())
			pub, sub := pair(b, bs, tr)
			got := make(chan struct{}, 1)
			if _, err := sub.Subscribe("bench.rt", func(*nats.Msg) { got <- struct{}{} }); err != nil {
				b.Fatal(err)
			}
			if err := sub.Flush(); err != nil {
				b.Fatal(err)
			}
			var h metrics.Histogram
			for b.Loop() {
				start := time.Now()
				if err := pub.Publish("bench.rt", payload200); err != nil {
					b.Fatal(err)
				}
				if err := pub.Flush(); err != nil { // push it out now, as a lone event would be
					b.Fatal(err)
				}
				<-got
				h.Since(start)
			}
			reportLatency(b, &h)
		})
	}
}

// BenchmarkThroughput streams 200-byte events from one connection to a
// subscriber on another with up to 1000 in flight.
func BenchmarkThroughput(b *testing.B) {
	const window = 1000
	b.Run("chan-baseline", func(b *testing.B) {
		ch := make(chan []byte, window)
		done := make(chan struct{})
		n := b.N
		go func() {
			for range n {
				<-ch
			}
			close(done)
		}()
		b.ResetTimer()
		for range n {
			ch <- payload200
		}
		<-done
		b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
	})
	for _, tr := range transports {
		b.Run(tr.name, func(b *testing.B) {
			bs := bustest.Run(b, bustest.TCP())
			pub, sub := pair(b, bs, tr)
			sem := make(chan struct{}, window)
			var got atomic.Int64
			done := make(chan struct{})
			n := int64(b.N)
			if _, err := sub.Subscribe("bench.tp", func(*nats.Msg) {
				<-sem
				if got.Add(1) == n {
					close(done)
				}
			}); err != nil {
				b.Fatal(err)
			}
			if err := sub.Flush(); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for range n {
				sem <- struct{}{}
				if err := pub.Publish("bench.tp", payload200); err != nil {
					b.Fatal(err)
				}
			}
			if err := pub.Flush(); err != nil {
				b.Fatal(err)
			}
			<-done
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// BenchmarkJetStreamPublish publishes 200-byte events to a stream with up
// to 1000 unacknowledged, for each store and transport.
func BenchmarkJetStreamPublish(b *testing.B) {
	for _, store := range []struct {
		name string
		opts []bustest.Option
	}{
		{"memory", nil},
		{"file", []bustest.Option{bustest.FileStore()}},
	} {
		for _, tr := range transports {
			b.Run(store.name+"/"+tr.name, func(b *testing.B) {
				bs := bustest.Run(b, append([]bustest.Option{bustest.TCP()}, store.opts...)...)
				nc, err := tr.connect(bs)
				if err != nil {
					b.Fatal(err)
				}
				js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(1000))
				if err != nil {
					b.Fatal(err)
				}
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				if _, err := js.CreateStream(ctx, jetstream.StreamConfig{
					Name: "BENCH", Subjects: []string{"bench.js"}, Storage: bs.StorageType(),
				}); err != nil {
					b.Fatal(err)
				}
				b.ResetTimer()
				for range b.N {
					if _, err := js.PublishAsync("bench.js", payload200, jetstream.WithStallWait(30*time.Second)); err != nil {
						b.Fatal(err)
					}
				}
				select {
				case <-js.PublishAsyncComplete():
				case <-ctx.Done():
					b.Fatal("acks did not arrive")
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
			})
		}
	}
}
