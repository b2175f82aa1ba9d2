package jsonx

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"strconv"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxDepth is the deepest nesting of arrays and objects Decode accepts. It
// is encoding/json's limit, so both accept and reject the same documents.
const MaxDepth = 10000

// sharedLimit is the largest input whose strings share one copy of it.
// Larger inputs get a copy per string so that a small string kept from a
// big document does not keep the whole document alive.
const sharedLimit = 64 << 10

// SyntaxError describes why an input is not accepted.
type SyntaxError struct {
	// Offset is the byte offset in the input at which the problem was found.
	Offset int64
	msg    string
}

func (e *SyntaxError) Error() string { return e.msg }

// Decode decodes one JSON value of any kind, exactly as json.Unmarshal into
// an `any` does. Only whitespace may follow the value.
func Decode(b []byte) (any, error) {
	d := getDecoder(b)
	v, err := d.value()
	if err == nil {
		err = d.end()
	}
	putDecoder(d)
	if err != nil {
		return nil, err
	}
	return v, nil
}

// DecodeObject decodes one JSON object. Any other top-level value is
// rejected, as is anything but whitespace after the object.
func DecodeObject(b []byte) (map[string]any, error) {
	d := getDecoder(b)
	var m map[string]any
	var err error
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == '{' {
		m, err = d.object()
	} else {
		err = d.expected("'{'")
	}
	if err == nil {
		err = d.end()
	}
	putDecoder(d)
	if err != nil {
		return nil, err
	}
	return m, nil
}

type decoder struct {
	data   []byte
	pos    int
	depth  int
	s      string // string(data), made on first use, when shared
	shared bool
	vals   []any    // stack of array elements and object values being built
	keys   []string // stack of object keys being built
	buf    []byte   // scratch for unescaping strings
	slab   []string // this document's boxed string values, see box
}

var decoderPool = sync.Pool{New: func() any { return new(decoder) }}

func getDecoder(b []byte) *decoder {
	d := decoderPool.Get().(*decoder)
	d.data = b
	d.shared = len(b) <= sharedLimit
	return d
}

func putDecoder(d *decoder) {
	// The stacks are empty again, and popTo cleared what they held, on
	// errors too, so the pooled decoder keeps no decoded value alive.
	*d = decoder{vals: d.vals[:0], keys: d.keys[:0], buf: d.buf[:0]}
	if cap(d.vals) > 1<<12 || cap(d.keys) > 1<<12 || cap(d.buf) > 1<<16 {
		return // do not keep what one odd document grew
	}
	decoderPool.Put(d)
}

// end checks that only whitespace follows the value.
func (d *decoder) end() error {
	d.skipSpace()
	if d.pos < len(d.data) {
		return d.errorf("expected end of input at offset %d, found %s", d.pos, d.found())
	}
	return nil
}

func (d *decoder) skipSpace() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// value decodes the value at d.pos, after optional whitespace.
func (d *decoder) value() (any, error) {
	d.skipSpace()
	if d.pos >= len(d.data) {
		return nil, d.expected("value")
	}
	switch c := d.data[d.pos]; c {
	case '{':
		m, err := d.object()
		if err != nil {
			return nil, err
		}
		return m, nil
	case '[':
		return d.array()
	case '"':
		s, err := d.str()
		if err != nil {
			return nil, err
		}
		return d.box(s), nil
	case 't':
		if err := d.literal("true"); err != nil {
			return nil, err
		}
		return true, nil
	case 'f':
		if err := d.literal("false"); err != nil {
			return nil, err
		}
		return false, nil
	case 'n':
		if err := d.literal("null"); err != nil {
			return nil, err
		}
		return nil, nil
	default:
		if c == '-' || c >= '0' && c <= '9' {
			f, err := d.number()
			if err != nil {
				return nil, err
			}
			return f, nil
		}
		return nil, d.expected("value")
	}
}

func (d *decoder) literal(lit string) error {
	for i := 1; i < len(lit); i++ {
		p := d.pos + i
		if p >= len(d.data) || d.data[p] != lit[i] {
			d.pos = p
			return d.expected("'" + lit[i:i+1] + "' in literal " + lit)
		}
	}
	d.pos += len(lit)
	return nil
}

// object decodes the object whose '{' is at d.pos.
func (d *decoder) object() (map[string]any, error) {
	if err := d.push(); err != nil {
		return nil, err
	}
	d.pos++ // '{'
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		d.depth--
		return make(map[string]any), nil
	}
	kbase, vbase := len(d.keys), len(d.vals)
	for first := true; ; first = false {
		d.skipSpace()
		if d.pos >= len(d.data) || d.data[d.pos] != '"' {
			d.popTo(kbase, vbase)
			if first {
				return nil, d.expected("string key or '}'")
			}
			return nil, d.expected("string key")
		}
		k, err := d.str()
		if err != nil {
			d.popTo(kbase, vbase)
			return nil, err
		}
		d.skipSpace()
		if d.pos >= len(d.data) || d.data[d.pos] != ':' {
			d.popTo(kbase, vbase)
			return nil, d.expected("':'")
		}
		d.pos++
		v, err := d.value()
		if err != nil {
			d.popTo(kbase, vbase)
			return nil, err
		}
		d.keys = append(d.keys, k)
		d.vals = append(d.vals, v)
		d.skipSpace()
		if d.pos < len(d.data) {
			if c := d.data[d.pos]; c == ',' {
				d.pos++
				continue
			} else if c == '}' {
				d.pos++
				break
			}
		}
		d.popTo(kbase, vbase)
		return nil, d.expected("',' or '}'")
	}
	keys, vals := d.keys[kbase:], d.vals[vbase:]
	m := make(map[string]any, len(keys))
	for i, k := range keys {
		m[k] = vals[i] // in input order, so the last duplicate wins
	}
	d.popTo(kbase, vbase)
	d.depth--
	return m, nil
}

// array decodes the array whose '[' is at d.pos.
func (d *decoder) array() (any, error) {
	if err := d.push(); err != nil {
		return nil, err
	}
	d.pos++ // '['
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		d.depth--
		return make([]any, 0), nil
	}
	kbase, vbase := len(d.keys), len(d.vals)
	for {
		v, err := d.value()
		if err != nil {
			d.popTo(kbase, vbase)
			return nil, err
		}
		d.vals = append(d.vals, v)
		d.skipSpace()
		if d.pos < len(d.data) {
			if c := d.data[d.pos]; c == ',' {
				d.pos++
				continue
			} else if c == ']' {
				d.pos++
				break
			}
		}
		d.popTo(kbase, vbase)
		return nil, d.expected("',' or ']'")
	}
	a := make([]any, len(d.vals)-vbase)
	copy(a, d.vals[vbase:])
	d.popTo(kbase, vbase)
	d.depth--
	return a, nil
}

func (d *decoder) push() error {
	d.depth++
	if d.depth > MaxDepth {
		return d.errorf("exceeded maximum nesting depth of %d at offset %d", MaxDepth, d.pos)
	}
	return nil
}

// popTo drops the stacks back to the given heights, clearing what it drops
// so that the pooled decoder does not keep decoded values alive.
func (d *decoder) popTo(kbase, vbase int) {
	clear(d.keys[kbase:])
	d.keys = d.keys[:kbase]
	clear(d.vals[vbase:])
	d.vals = d.vals[:vbase]
}

// strSpecial marks the bytes that end the fast scan of a string.
var strSpecial = func() (t [256]bool) {
	for c := range 0x20 {
		t[c] = true
	}
	t['"'] = true
	t['\\'] = true
	for c := 0x80; c < 0x100; c++ {
		t[c] = true
	}
	return t
}()

// str decodes the string whose opening quote is at d.pos.
func (d *decoder) str() (string, error) {
	start := d.pos + 1
	i := start
	data := d.data
	// Skip plain bytes eight at a time (see plainPrefix): this usually
	// lands on the closing quote at once.
	for i+8 <= len(data) {
		const ones, high = 0x0101010101010101, 0x8080808080808080
		x := binary.LittleEndian.Uint64(data[i:])
		q, b := x^(ones*'"'), x^(ones*'\\')
		if m := ((x-ones*0x20)&^x | (q-ones)&^q | (b-ones)&^b | x) & high; m != 0 {
			i += bits.TrailingZeros64(m) / 8
			break
		}
		i += 8
	}
	for i < len(data) {
		c := data[i]
		if !strSpecial[c] {
			i++
			continue
		}
		if c == '"' {
			d.pos = i + 1
			return d.substr(start, i), nil
		}
		if c >= utf8.RuneSelf {
			if r, size := utf8.DecodeRune(data[i:]); r != utf8.RuneError || size != 1 {
				i += size
				continue
			}
		}
		break // escape, control character or invalid UTF-8
	}
	return d.strSlow(start, i)
}

func (d *decoder) substr(i, j int) string {
	if !d.shared {
		return string(d.data[i:j])
	}
	if d.s == "" {
		d.s = string(d.data)
	}
	return d.s[i:j]
}

// strSlow finishes a string from offset i on, where the first escape,
// control character, invalid UTF-8 byte or the end of input was found;
// data[start:i] is plain text. It follows encoding/json's unquote.
func (d *decoder) strSlow(start, i int) (string, error) {
	data := d.data
	buf := append(d.buf[:0], data[start:i]...)
	for {
		if i >= len(data) {
			d.pos = i
			d.buf = buf
			return "", d.expected("'\"' closing the string")
		}
		c := data[i]
		switch {
		case c == '"':
			d.pos = i + 1
			d.buf = buf
			return string(buf), nil
		case c == '\\':
			if i+1 >= len(data) {
				d.pos = i + 1
				d.buf = buf
				return "", d.expected("escape character")
			}
			switch e := data[i+1]; e {
			case '"', '\\', '/':
				buf = append(buf, e)
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				r, err := d.hex4(i + 2)
				if err != nil {
					d.buf = buf
					return "", err
				}
				i += 6
				if utf16.IsSurrogate(r) {
					// Like encoding/json: a valid pair is one rune, anything
					// else makes this escape U+FFFD and leaves what follows
					// to be decoded on its own.
					if r2 := peekU4(data[i:]); r2 >= 0 {
						if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
							buf = utf8.AppendRune(buf, dec)
							i += 6
							continue
						}
					}
					r = utf8.RuneError
				}
				buf = utf8.AppendRune(buf, r)
				continue
			default:
				d.pos = i + 1
				d.buf = buf
				return "", d.errorf("invalid escape %s in string at offset %d", quoteByte(e), i+1)
			}
			i += 2
		case c < 0x20:
			d.pos = i
			d.buf = buf
			return "", d.errorf("invalid control character %s in string at offset %d", quoteByte(c), i)
		case c < utf8.RuneSelf:
			buf = append(buf, c)
			i++
		default:
			r, size := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && size == 1 {
				buf = append(buf, "\uFFFD"...)
			} else {
				buf = append(buf, data[i:i+size]...)
			}
			i += size
		}
	}
}

// hex4 reads the four hex digits of a \u escape starting at offset i.
func (d *decoder) hex4(i int) (rune, error) {
	var r rune
	for j := i; j < i+4; j++ {
		if j >= len(d.data) {
			d.pos = j
			return 0, d.expected("hex digit in \\u escape")
		}
		h := hexVal(d.data[j])
		if h < 0 {
			d.pos = j
			return 0, d.expected("hex digit in \\u escape")
		}
		r = r<<4 | h
	}
	return r, nil
}

// peekU4 returns the code unit of the \uXXXX escape b starts with, or -1.
func peekU4(b []byte) rune {
	if len(b) < 6 || b[0] != '\\' || b[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range b[2:6] {
		h := hexVal(c)
		if h < 0 {
			return -1
		}
		r = r<<4 | h
	}
	return r
}

func hexVal(c byte) rune {
	switch {
	case c >= '0' && c <= '9':
		return rune(c - '0')
	case c >= 'a' && c <= 'f':
		return rune(c - 'a' + 10)
	case c >= 'A' && c <= 'F':
		return rune(c - 'A' + 10)
	}
	return -1
}

// pow10 holds the powers of ten that float64 represents exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9,
	1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// number decodes the number starting at d.pos: it checks JSON's number
// grammar, then converts like strconv.ParseFloat (which encoding/json uses),
// computing short numbers directly where that is exact.
func (d *decoder) number() (float64, error) {
	data := d.data
	start := d.pos
	i := start
	neg := data[i] == '-'
	if neg {
		i++
	}
	mant, digits, exact := uint64(0), 0, true // up to 19 significant digits; exact until one is dropped
	addDigit := func(c byte) {
		if digits < 19 {
			mant = mant*10 + uint64(c-'0')
			if mant != 0 {
				digits++
			}
		} else {
			exact = false
		}
	}
	// Integer part: 0 or [1-9][0-9]*.
	if i >= len(data) {
		return 0, d.expectedAt(i, "digit")
	}
	switch c := data[i]; {
	case c == '0':
		i++
	case c >= '1' && c <= '9':
		for i < len(data) && data[i] >= '0' && data[i] <= '9' {
			addDigit(data[i])
			i++
		}
	default:
		return 0, d.expectedAt(i, "digit")
	}
	frac := 0
	if i < len(data) && data[i] == '.' {
		i++
		if i >= len(data) || data[i] < '0' || data[i] > '9' {
			return 0, d.expectedAt(i, "digit after decimal point")
		}
		for i < len(data) && data[i] >= '0' && data[i] <= '9' {
			addDigit(data[i])
			frac++
			i++
		}
	}
	exp := 0
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		expNeg := false
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			expNeg = data[i] == '-'
			i++
		}
		if i >= len(data) || data[i] < '0' || data[i] > '9' {
			return 0, d.expectedAt(i, "digit in exponent")
		}
		for i < len(data) && data[i] >= '0' && data[i] <= '9' {
			if exp < 10000 {
				exp = exp*10 + int(data[i]-'0')
			} else {
				exact = false
			}
			i++
		}
		if expNeg {
			exp = -exp
		}
	}
	d.pos = i
	if exact && mant < 1<<53 {
		if f, ok := exactFloat(mant, exp-frac); ok {
			if neg {
				f = -f
			}
			return f, nil
		}
	}
	return d.parseFloat(start, i)
}

// exactFloat returns mant×10^e when the mantissa (below 2^53) and the power
// of ten are both exact in float64, so that one correctly rounded
// multiplication or division gives the same result as strconv.ParseFloat.
func exactFloat(mant uint64, e int) (float64, bool) {
	switch {
	case mant == 0:
		return 0, true
	case e == 0:
		return float64(mant), true
	case e > 0 && e < len(pow10):
		return float64(mant) * pow10[e], true
	case e < 0 && -e < len(pow10):
		return float64(mant) / pow10[-e], true
	}
	return 0, false
}

// parseFloat converts data[start:end], a number already checked against
// JSON's grammar, with strconv.ParseFloat.
func (d *decoder) parseFloat(start, end int) (float64, error) {
	text := d.data[start:end]
	f, err := strconv.ParseFloat(string(text), 64)
	if err != nil {
		return 0, &SyntaxError{Offset: int64(start), msg: "jsonx: number " + string(text) +
			" out of range for float64 at offset " + strconv.Itoa(start)}
	}
	return f, nil
}

// expectedAt moves d.pos to i and reports what was expected there.
func (d *decoder) expectedAt(i int, what string) error {
	d.pos = i
	return d.expected(what)
}

// expected reports what was expected at d.pos and what was found there.
func (d *decoder) expected(what string) error {
	return d.errorf("expected %s at offset %d, found %s", what, d.pos, d.found())
}

// found describes the input at d.pos for an error message.
func (d *decoder) found() string {
	if d.pos >= len(d.data) {
		return "end of input"
	}
	c := d.data[d.pos]
	if c >= utf8.RuneSelf {
		if r, size := utf8.DecodeRune(d.data[d.pos:]); size > 1 {
			return strconv.QuoteRune(r)
		}
		return "byte 0x" + strconv.FormatUint(uint64(c), 16)
	}
	return quoteByte(c)
}

func quoteByte(c byte) string {
	if c >= utf8.RuneSelf {
		return "byte 0x" + strconv.FormatUint(uint64(c), 16)
	}
	return strconv.QuoteRune(rune(c))
}

// errorf makes a *SyntaxError at d.pos.
func (d *decoder) errorf(format string, args ...any) error {
	return &SyntaxError{Offset: int64(d.pos), msg: "jsonx: " + fmt.Sprintf(format, args...)}
}
