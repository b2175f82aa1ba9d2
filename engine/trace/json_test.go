package trace

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"
)

// TestRecordAppendJSON compares AppendJSON with encoding/json (HTML escaping
// off): records with every optional field set or empty, and strings with
// every kind of byte encoding/json escapes (control characters, invalid
// UTF-8, U+2028 and U+2029) or might (HTML characters).
func TestRecordAppendJSON(t *testing.T) {
	odd := []string{"", "plain", `quote " and \ backslash`, "<b>&amp;</b>", "ctl \x00\x01\b\f\n\r\t\x1f\x7f",
		"ünïcødé ✓ 😀", "bad \xff\xfe utf8 \xc3", "sep \u2028 \u2029", `{"tx_id":"a","amount":1.5}`, "trailing \xe2\x80"}
	r := rand.New(rand.NewPCG(1, 9))
	pick := func() string {
		if r.IntN(3) == 0 {
			b := make([]byte, r.IntN(20))
			for i := range b {
				b[i] = byte(r.IntN(256))
			}
			return string(b)
		}
		return odd[r.IntN(len(odd))]
	}
	recs := []Record{{}, {Span: Span{TraceID: "t", EventID: "e", ParentID: "p", Hop: 3, From: "f"}, Seq: math.MaxUint64, TS: -1,
		Agent: "a", Dir: DeadLetter, Subject: "s", Size: 7, Payload: "x", Truncated: true, Error: "boom"}}
	for i := 0; i < 20000; i++ {
		recs = append(recs, Record{
			Span: Span{TraceID: pick(), EventID: pick(), ParentID: pick(), Hop: r.IntN(5) - 1, From: pick()},
			Seq:  r.Uint64() >> r.IntN(64), TS: r.Int64() >> r.IntN(64), Agent: pick(), Dir: Direction(pick()),
			Subject: pick(), Size: r.IntN(5000), Payload: pick(), Truncated: r.IntN(2) == 0, Error: pick(),
		})
	}
	for _, rec := range recs {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(rec); err != nil {
			t.Fatal(err)
		}
		want := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
		if got := rec.AppendJSON(nil); string(got) != string(want) {
			t.Fatalf("record %+v:\n got %s\nwant %s", rec, got, want)
		}
	}
}

// BenchmarkRecordJSON encodes the record of a dead-lettered event, as the
// engine publishes one on the trace subject.
func BenchmarkRecordJSON(b *testing.B) {
	rec := Record{Span: Root("source"), TS: 1795453200000, Agent: "policy", Dir: Out, Subject: "kumeo.FraudBench.dlq", Size: 198,
		Payload: `{"tx_id":"000000000000000002","amount":4163.10,"currency":"XYZ","merchant":"  Nordic Air ","mcc":"5816","country":"NL","card_country":"US","hour":21,"customer":"c-885253","channel":"ecom","ts":1795453200}`,
		Error:   "policy: rule currency failed: unsupported currency"}
	b.Run("json.Marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(rec); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("AppendJSON", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			buf = rec.AppendJSON(buf[:0])
		}
	})
}
