package jsonx

import (
	"encoding/binary"
	"math/bits"
	"unsafe"
)

// plainPrefix returns the length of the longest prefix of s made of
// plain bytes: ASCII from 0x20 on, except '"' and '\\'. Those are the
// bytes appendString copies as they are, and the ones the decoder's string
// scan skips (with the same test inline); every other byte (a quote, a
// backslash, a control character, any byte of a multi-byte UTF-8
// sequence) needs a closer look. It tests eight bytes at a time.
func plainPrefix(s string) int {
	const (
		ones = 0x0101010101010101
		high = 0x8080808080808080
	)
	p := unsafe.Pointer(unsafe.StringData(s))
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := binary.LittleEndian.Uint64(unsafe.Slice((*byte)(unsafe.Add(p, i)), 8))
		q := x ^ (ones * '"')
		b := x ^ (ones * '\\')
		// The high bit of a byte is set in m for a byte below 0x20, a quote
		// or a backslash (a subtraction that borrows from the byte: zero
		// after the XOR) and for a byte from 0x80 on. A borrow only flags
		// bytes after a special one, so the lowest flagged byte is the first
		// special byte, and m is 0 exactly when there is none.
		m := ((x-ones*0x20)&^x | (q-ones)&^q | (b-ones)&^b | x) & high
		if m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' {
			return i
		}
	}
	return i
}
