package engine

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/kumeo/kumeo/dsl"
	"github.com/kumeo/kumeo/engine/bus"
	"github.com/kumeo/kumeo/engine/bus/bustest"
	"github.com/kumeo/kumeo/internal/cpumeter"
)

// BenchmarkRunCardScreening drives examples/card_screening.kumeo with a
// closed loop of 1,000 events in flight and reports events/s.
func BenchmarkRunCardScreening(b *testing.B) {
	for _, v := range []struct{ tcp, durable bool }{{false, false}, {true, false}, {true, true}} {
		tcp := v.tcp
		b.Run(fmt.Sprintf("tcp=%v/durable=%v", v.tcp, v.durable), func(b *testing.B) {
			src, err := os.ReadFile("../examples/card_screening.kumeo")
			if err != nil {
				b.Fatal(err)
			}
			f, d := dsl.Parse("card_screening.kumeo", src)
			if d.HasErrors() {
				b.Fatal(d)
			}
			bs := bustest.Run(b, bustest.With(func(o *bus.Options) {
				o.Listen = "127.0.0.1:0"
				o.PreferTCP = tcp
				if v.durable {
					o.DataDir = b.TempDir()
				}
			}))
			opts := Options{Bus: bs, TraceRate: -1}
			if v.durable {
				opts.DataDir = b.TempDir()
			}
			run, diags, err := Start(context.Background(), f, "", opts)
			if err != nil {
				b.Fatal(err, diags)
			}
			defer run.Stop(context.Background())
			pub, err := bs.Connect()
			if err != nil {
				b.Fatal(err)
			}
			defer pub.Close()
			const window = 1000
			slots := make(chan struct{}, window)
			var got, dead atomic.Int64
			for _, subj := range []string{"alerts.fraud.block", "alerts.fraud.review", "payments.card.cleared", DLQSubject("CardScreening")} {
				isDLQ := subj == DLQSubject("CardScreening")
				s, err := pub.Subscribe(subj, func(*nats.Msg) {
					if isDLQ {
						dead.Add(1)
					}
					got.Add(1)
					<-slots
				})
				if err != nil {
					b.Fatal(err)
				}
				s.SetPendingLimits(-1, -1)
			}
			pub.Flush()
			event := []byte(`{"tx_id":"tx-000123","amount":1234.5,"currency":"eur","merchant":" m-42 ","hour":3,"card":"4111********1111","country":"FR"}`)
			b.ResetTimer()
			m := cpumeter.Start(b)
			start := time.Now()
			for i := 0; i < b.N; i++ {
				slots <- struct{}{}
				if err := pub.Publish("payments.card.tx", event); err != nil {
					b.Fatal(err)
				}
			}
			for got.Load() < int64(b.N) {
				time.Sleep(time.Millisecond)
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
			if dead.Load() != 0 {
				b.Fatalf("%d events were dead-lettered: the benchmark event must pass every agent", dead.Load())
			}
			m.Stop(b, 0) // CPU of everything: server, engine, generator and collector
		})
	}
}
