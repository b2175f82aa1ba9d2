package jsonx

import (
	"encoding/json"
	"testing"
)

// benchEvent is the ~200-byte event the engine's throughput target is
// measured with.
var benchEvent = []byte(paymentEvents[0])

func BenchmarkDecode(b *testing.B) {
	b.Run("jsonx", func(b *testing.B) {
		b.SetBytes(int64(len(benchEvent)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := DecodeObject(benchEvent); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding_json", func(b *testing.B) {
		b.SetBytes(int64(len(benchEvent)))
		b.ReportAllocs()
		for b.Loop() {
			var m map[string]any
			if err := json.Unmarshal(benchEvent, &m); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkEncode(b *testing.B) {
	m, err := DecodeObject(benchEvent)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("jsonx_append", func(b *testing.B) {
		b.SetBytes(int64(len(benchEvent)))
		b.ReportAllocs()
		buf := make([]byte, 0, 512)
		for b.Loop() {
			if buf, err = AppendObject(buf[:0], m); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("jsonx_marshal", func(b *testing.B) {
		b.SetBytes(int64(len(benchEvent)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Marshal(m); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding_json", func(b *testing.B) {
		b.SetBytes(int64(len(benchEvent)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(m); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkHop is one hop of the pipeline: decode the event, change a
// field, encode it again.
func BenchmarkHop(b *testing.B) {
	b.Run("jsonx", func(b *testing.B) {
		b.SetBytes(int64(len(benchEvent)))
		b.ReportAllocs()
		buf := make([]byte, 0, 512)
		for b.Loop() {
			m, err := DecodeObject(benchEvent)
			if err != nil {
				b.Fatal(err)
			}
			m["hour"] = 4.0
			if buf, err = AppendObject(buf[:0], m); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding_json", func(b *testing.B) {
		b.SetBytes(int64(len(benchEvent)))
		b.ReportAllocs()
		for b.Loop() {
			var m map[string]any
			if err := json.Unmarshal(benchEvent, &m); err != nil {
				b.Fatal(err)
			}
			m["hour"] = 4.0
			if _, err := json.Marshal(m); err != nil {
				b.Fatal(err)
			}
		}
	})
}
