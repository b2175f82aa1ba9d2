package jsonx

import (
	"encoding/json"
	"testing"

	"github.com/kumeo/kumeo/internal/cpumeter"
)

// On a shared, busy machine the wall-clock ns/op mostly measures how often
// the benchmark was descheduled. Each benchmark therefore also reports
// cpu-ns/op: the CPU time the whole process used per operation, garbage
// collection included, which waiting for a core does not inflate.
func loop(b *testing.B, op func()) {
	b.SetBytes(int64(len(benchEvent)))
	m := cpumeter.Start(b)
	n := 0
	for b.Loop() {
		op()
		n++
	}
	m.Stop(b, n)
}

// benchEvent is the ~200-byte event the engine's throughput target is
// measured with.
var benchEvent = []byte(paymentEvents[0])

func BenchmarkDecode(b *testing.B) {
	b.Run("jsonx", func(b *testing.B) {
		loop(b, func() {
			if _, err := DecodeObject(benchEvent); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("encoding_json", func(b *testing.B) {
		loop(b, func() {
			var m map[string]any
			if err := json.Unmarshal(benchEvent, &m); err != nil {
				b.Fatal(err)
			}
		})
	})
}

func BenchmarkEncode(b *testing.B) {
	m, err := DecodeObject(benchEvent)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("jsonx_append", func(b *testing.B) {
		buf := make([]byte, 0, 512)
		loop(b, func() {
			if buf, err = AppendObject(buf[:0], m); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("jsonx_marshal", func(b *testing.B) {
		loop(b, func() {
			if _, err := Marshal(m); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("encoding_json", func(b *testing.B) {
		loop(b, func() {
			if _, err := json.Marshal(m); err != nil {
				b.Fatal(err)
			}
		})
	})
}

// BenchmarkHop is one hop of the pipeline: decode the event, change a
// field, encode it again.
func BenchmarkHop(b *testing.B) {
	b.Run("jsonx", func(b *testing.B) {
		buf := make([]byte, 0, 512)
		loop(b, func() {
			m, err := DecodeObject(benchEvent)
			if err != nil {
				b.Fatal(err)
			}
			m["hour"] = 4.0
			if buf, err = AppendObject(buf[:0], m); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("encoding_json", func(b *testing.B) {
		loop(b, func() {
			var m map[string]any
			if err := json.Unmarshal(benchEvent, &m); err != nil {
				b.Fatal(err)
			}
			m["hour"] = 4.0
			if _, err := json.Marshal(m); err != nil {
				b.Fatal(err)
			}
		})
	})
}
