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
			run, err := Start(context.Background(), f, "", opts)
			if err != nil {
				b.Fatal(err)
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

// fraudEvents are payments of the engine benchmark's workload
// (examples/fraud_bench.kumeo), one of them with padded strings.
var fraudEvents = [][]byte{
	[]byte(`{"tx_id":"000000000000000001","amount":258.18,"currency":"EUR","merchant":"Metro Fuel","mcc":"5411","country":"IT","card_country":"IT","hour":21,"customer":"c-250426","channel":"pos","ts":1795453200}`),
	[]byte(`{"tx_id":"000000000000000002","amount":4163.10,"currency":"EUR","merchant":"  Nordic Air ","mcc":"5816","country":"NL","card_country":"US","hour":21,"customer":"c-885253","channel":"ecom","ts":1795453200}`),
	[]byte(`{"tx_id":"000000000000000003","amount":154.14,"currency":"USD","merchant":"Corner Books","mcc":"4121","country":"IT","card_country":"IT","hour":16,"customer":"c-608496","channel":"pos","ts":1795453200}`),
	[]byte(`{"tx_id":"000000000000000004","amount":7687.25,"currency":"EUR","merchant":"Corner Books","mcc":"4121","country":"US","card_country":"PL","hour":5,"customer":"c-616902","channel":"pos","ts":1795453200}`),
}

// BenchmarkEnterFraud measures the engine's own work per event on the
// benchmark workflow: decoding, the four chained agents, encoding and
// publishing to a target (with no subscriber, so the server drops it). It
// calls the subscription handler directly, leaving out the delivery of
// source events, which is the bus's work.
func BenchmarkEnterFraud(b *testing.B) {
	src, err := os.ReadFile("../examples/fraud_bench.kumeo")
	if err != nil {
		b.Fatal(err)
	}
	f, d := dsl.Parse("fraud_bench.kumeo", src)
	if d.HasErrors() {
		b.Fatal(d)
	}
	bs := bustest.Run(b)
	// No sampled traces: they are bounded per second, not per event, and
	// would make the cost per event depend on the benchmark's speed (under
	// valgrind, every event would be sampled).
	run, err := Start(context.Background(), f, "", Options{Bus: bs, TraceRate: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer run.Stop(context.Background())
	g := run.g.Load()
	msgs := make([]*nats.Msg, len(fraudEvents))
	for i, e := range fraudEvents {
		msgs[i] = &nats.Msg{Subject: "payments.card.tx", Data: e}
	}
	b.ResetTimer()
	m := cpumeter.Start(b)
	for i := 0; i < b.N; i++ {
		run.enter(g, "source", g.consumers["source"], msgs[i%len(msgs)], true)
	}
	m.Stop(b, 0)
	b.StopTimer()
	if l := run.Ledger(); l.Out != uint64(b.N) {
		b.Fatalf("ledger %+v: every event must be delivered", l)
	}
}
