package jsonx

import (
	"math/rand/v2"
	"testing"
)

func naivePlainPrefix(s string) int {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' {
			return i
		}
	}
	return len(s)
}

// TestPlainPrefix compares plainPrefix with a byte-by-byte scan: every
// byte value at every position of strings up to 40 bytes, and random
// strings drawn mostly from the bytes near the boundaries.
func TestPlainPrefix(t *testing.T) {
	for n := 0; n <= 40; n++ {
		base := make([]byte, n)
		for i := range base {
			base[i] = 'a' + byte(i%26)
		}
		if got := plainPrefix(string(base)); got != n {
			t.Fatalf("plain %q: got %d", base, got)
		}
		for pos := 0; pos < n; pos++ {
			for c := 0; c < 256; c++ {
				b := append([]byte(nil), base...)
				b[pos] = byte(c)
				if got, want := plainPrefix(string(b)), naivePlainPrefix(string(b)); got != want {
					t.Fatalf("%q: got %d, want %d", b, got, want)
				}
			}
		}
	}
	edges := []byte{0x00, 0x01, 0x1f, 0x20, 0x21, '"', '#', '[', '\\', ']', 0x7e, 0x7f, 0x80, 0x81, 0xc3, 0xfe, 0xff, 'a', 'z'}
	r := rand.New(rand.NewPCG(7, 11))
	for i := 0; i < 200000; i++ {
		b := make([]byte, r.IntN(33))
		for j := range b {
			if r.IntN(4) == 0 {
				b[j] = edges[r.IntN(len(edges))]
			} else {
				b[j] = byte(0x20 + r.IntN(0x60))
			}
		}
		if got, want := plainPrefix(string(b)), naivePlainPrefix(string(b)); got != want {
			t.Fatalf("%q: got %d, want %d", b, got, want)
		}
	}
}
