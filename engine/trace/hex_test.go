package trace

import (
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
	"testing"
)

// TestPutHex checks putHex against hex encoding the big-endian bytes,
// which is how ids were written before.
func TestPutHex(t *testing.T) {
	values := []uint64{0, 1, 0xf, 0x10, 0xdeadbeef, 1 << 63, ^uint64(0), 0x0123456789abcdef}
	r := rand.New(rand.NewPCG(3, 5))
	for range 10_000 {
		values = append(values, r.Uint64())
	}
	for _, x := range values {
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], x)
		var got [16]byte
		putHex(got[:], x)
		if want := hex.EncodeToString(b[:]); string(got[:]) != want {
			t.Fatalf("%#x: got %s, want %s", x, got[:], want)
		}
	}
	s := Root("src")
	for _, id := range []string{s.TraceID, s.EventID} {
		if _, err := hex.DecodeString(id); err != nil {
			t.Fatalf("root id %q: %v", id, err)
		}
	}
	if len(s.TraceID) != 32 || len(s.EventID) != 16 {
		t.Fatalf("root ids %q %q", s.TraceID, s.EventID)
	}
}
