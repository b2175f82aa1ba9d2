package jsonx

import (
	"encoding/json"
	"testing"

	"github.com/kumeo/kumeo/internal/cpumeter"
)

// On a shared, busy machine the wall-clock ns/op mostly measures how often
// the benchmark was descheduled. Each benchmark therefore also reports
// cpu-ns/op: the CPU time the whole process used per operation, garbage
// collection included, which waiting for a core does not inflate. An error
// from op fails the benchmark.
func loop(b *testing.B, op func() error) {
	b.SetBytes(int64(len(benchEvent)))
	m := cpumeter.Start(b)
	n := 0
	for b.Loop() {
		if err := op(); err != nil {
			b.Fatal(err)
		}
		n++
	}
	m.Stop(b, n)
}

// benchEvent is the ~200-byte event the engine's throughput target is
// measured with.
var benchEvent = []byte(paymentEvents[0])

func BenchmarkDecode(b *testing.B) {
	b.Run("jsonx", func(b *testing.B) {
		loop(b, func() error {
			_, err := DecodeObject(benchEvent)
			return err
		})
	})
	b.Run("encoding_json", func(b *testing.B) {
		loop(b, func() error {
			var m map[string]any
			return json.Unmarshal(benchEvent, &m)
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
		loop(b, func() (err error) {
			buf, err = AppendObject(buf[:0], m)
			return err
		})
	})
	b.Run("jsonx_marshal", func(b *testing.B) {
		loop(b, func() error {
			_, err := Marshal(m)
			return err
		})
	})
	b.Run("encoding_json", func(b *testing.B) {
		loop(b, func() error {
			_, err := json.Marshal(m)
			return err
		})
	})
}

// BenchmarkHop is one hop of the pipeline: decode the event, change a
// field, encode it again.
func BenchmarkHop(b *testing.B) {
	b.Run("jsonx", func(b *testing.B) {
		buf := make([]byte, 0, 512)
		loop(b, func() error {
			m, err := DecodeObject(benchEvent)
			if err != nil {
				return err
			}
			m["hour"] = 4.0
			buf, err = AppendObject(buf[:0], m)
			return err
		})
	})
	b.Run("encoding_json", func(b *testing.B) {
		loop(b, func() error {
			var m map[string]any
			if err := json.Unmarshal(benchEvent, &m); err != nil {
				return err
			}
			m["hour"] = 4.0
			_, err := json.Marshal(m)
			return err
		})
	})
}
