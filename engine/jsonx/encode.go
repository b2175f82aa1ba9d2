package jsonx

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Marshal returns the JSON encoding of v: what a json.Encoder with
// SetEscapeHTML(false) writes for v, without the trailing newline.
func Marshal(v any) ([]byte, error) {
	e := getEncoder()
	out, err := e.value(e.out[:0], v)
	var res []byte
	if err == nil {
		res = make([]byte, len(out))
		copy(res, out)
	}
	e.out = out
	putEncoder(e)
	return res, err
}

// Append appends the JSON encoding of v to dst, as Marshal encodes it. On
// error it returns dst unchanged.
func Append(dst []byte, v any) ([]byte, error) {
	e := getEncoder()
	out, err := e.value(dst, v)
	putEncoder(e)
	if err != nil {
		return dst, err
	}
	return out, nil
}

// AppendObject appends the JSON encoding of m to dst, with keys sorted like
// encoding/json sorts them; a nil map is encoded as null. On error it
// returns dst unchanged.
func AppendObject(dst []byte, m map[string]any) ([]byte, error) {
	e := getEncoder()
	out, err := e.object(dst, m)
	putEncoder(e)
	if err != nil {
		return dst, err
	}
	return out, nil
}

type keyValue struct {
	k string
	v any
}

type encoder struct {
	kvs []keyValue // stack of the sorted entries of the maps being encoded
	// order is the sorted key set of the last top-level object encoded.
	// Events of one stream mostly share their keys: when the next object
	// has exactly these keys, looking them up in order replaces iterating
	// and sorting.
	order []string
	// orderEnc holds the keys of order encoded, each followed by ':';
	// orderEnd[i] is where the i-th one ends.
	orderEnc []byte
	orderEnd []int
	keys     []string // stack of the sorted keys of map[string]string values
	depth    int
	seen     map[seenKey]struct{}
	out      []byte // Marshal's scratch output
	fb       bytes.Buffer
	fenc     *json.Encoder
}

// seenKey identifies a map or slice for cycle detection, like encoding/json.
type seenKey struct {
	ptr uintptr
	len int
}

// detectCyclesAfter is encoding/json's nesting depth from which on it checks
// for cycles; below it, encoding is not slowed down by the check.
const detectCyclesAfter = 1000

var encoderPool = sync.Pool{New: func() any { return new(encoder) }}

func getEncoder() *encoder { return encoderPool.Get().(*encoder) }

func putEncoder(e *encoder) {
	e.kvs = e.kvs[:0]
	e.keys = e.keys[:0]
	e.depth = 0
	clear(e.seen)
	e.fb.Reset()
	if cap(e.kvs) > 1<<12 || cap(e.order) > 1<<10 || cap(e.orderEnc) > 1<<16 || cap(e.keys) > 1<<12 || cap(e.out) > 1<<16 || e.fb.Cap() > 1<<16 {
		return // do not keep what one odd value grew
	}
	encoderPool.Put(e)
}

func (e *encoder) value(dst []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case string:
		return appendString(dst, x), nil
	case float64:
		return appendFloat(dst, x, 64)
	case map[string]any:
		return e.object(dst, x)
	case []any:
		return e.array(dst, x)
	case bool:
		return strconv.AppendBool(dst, x), nil
	case int:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(dst, x, 10), nil
	case int32:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int16:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int8:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case uint:
		return strconv.AppendUint(dst, uint64(x), 10), nil
	case uint64:
		return strconv.AppendUint(dst, x, 10), nil
	case uint32:
		return strconv.AppendUint(dst, uint64(x), 10), nil
	case uint16:
		return strconv.AppendUint(dst, uint64(x), 10), nil
	case uint8:
		return strconv.AppendUint(dst, uint64(x), 10), nil
	case uintptr:
		return strconv.AppendUint(dst, uint64(x), 10), nil
	case float32:
		return appendFloat(dst, float64(x), 32)
	case json.Number:
		return appendNumber(dst, x)
	case map[string]string:
		return e.stringMap(dst, x)
	case []string:
		if x == nil {
			return append(dst, "null"...), nil
		}
		dst = append(dst, '[')
		for i, s := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, s)
		}
		return append(dst, ']'), nil
	default:
		return e.fallback(dst, v)
	}
}

// enter counts one more level of nesting and, from detectCyclesAfter on,
// reports whether the map or slice identified by key is already being
// encoded further out, which means the value is cyclic.
func (e *encoder) enter(key seenKey) (cycle bool) {
	e.depth++
	if e.depth <= detectCyclesAfter {
		return false
	}
	if e.seen == nil {
		e.seen = make(map[seenKey]struct{})
	}
	if _, ok := e.seen[key]; ok {
		e.depth--
		return true
	}
	e.seen[key] = struct{}{}
	return false
}

// cycleError is encoding/json's error for a cyclic value.
func cycleError(v any) error {
	return &json.UnsupportedValueError{
		Value: reflect.ValueOf(v),
		Str:   fmt.Sprintf("encountered a cycle via %T", v),
	}
}

func (e *encoder) leave(key seenKey) {
	if e.depth > detectCyclesAfter {
		delete(e.seen, key)
	}
	e.depth--
}

func (e *encoder) object(dst []byte, m map[string]any) ([]byte, error) {
	if m == nil {
		return append(dst, "null"...), nil
	}
	var key seenKey
	if e.depth >= detectCyclesAfter {
		key = seenKey{ptr: reflect.ValueOf(m).Pointer(), len: -1}
	}
	if e.enter(key) {
		return dst, cycleError(m)
	}
	base := len(e.kvs)
	if !e.inOrder(m) {
		for k, v := range m {
			e.kvs = append(e.kvs, keyValue{k, v})
		}
		sortByKey(e.kvs[base:])
		if e.depth == 1 {
			e.order, e.orderEnc, e.orderEnd = e.order[:0], e.orderEnc[:0], e.orderEnd[:0]
			for _, kv := range e.kvs[base:] {
				e.order = append(e.order, kv.k)
				e.orderEnc = append(appendString(e.orderEnc, kv.k), ':')
				e.orderEnd = append(e.orderEnd, len(e.orderEnc))
			}
		}
	}
	dst = append(dst, '{')
	var err error
	// e.kvs may be reallocated by nested maps: index it afresh each time.
	for i := base; i < len(e.kvs); i++ {
		if i > base {
			dst = append(dst, ',')
		}
		if e.depth == 1 {
			// The entries are in e.order's order: copy the encoded key.
			j := i - base
			from := 0
			if j > 0 {
				from = e.orderEnd[j-1]
			}
			dst = append(dst, e.orderEnc[from:e.orderEnd[j]]...)
		} else {
			dst = appendString(dst, e.kvs[i].k)
			dst = append(dst, ':')
		}
		if dst, err = e.value(dst, e.kvs[i].v); err != nil {
			break
		}
	}
	clear(e.kvs[base:])
	e.kvs = e.kvs[:base]
	e.leave(key)
	if err != nil {
		return dst, err
	}
	return append(dst, '}'), nil
}

// inOrder pushes the entries of a top-level m in the order of the last
// top-level object when m has the same keys (same number, all present),
// and reports whether it did.
func (e *encoder) inOrder(m map[string]any) bool {
	if e.depth != 1 || len(m) != len(e.order) || len(m) < 2 {
		return false
	}
	base := len(e.kvs)
	for _, k := range e.order {
		v, ok := m[k]
		if !ok {
			clear(e.kvs[base:])
			e.kvs = e.kvs[:base]
			return false
		}
		e.kvs = append(e.kvs, keyValue{k, v})
	}
	return true
}

func (e *encoder) array(dst []byte, a []any) ([]byte, error) {
	if a == nil {
		return append(dst, "null"...), nil
	}
	var key seenKey
	if e.depth >= detectCyclesAfter && len(a) > 0 {
		key = seenKey{ptr: reflect.ValueOf(a).Pointer(), len: len(a)}
	}
	if e.enter(key) {
		return dst, cycleError(a)
	}
	dst = append(dst, '[')
	var err error
	for i, v := range a {
		if i > 0 {
			dst = append(dst, ',')
		}
		if dst, err = e.value(dst, v); err != nil {
			break
		}
	}
	e.leave(key)
	if err != nil {
		return dst, err
	}
	return append(dst, ']'), nil
}

func (e *encoder) stringMap(dst []byte, m map[string]string) ([]byte, error) {
	if m == nil {
		return append(dst, "null"...), nil
	}
	base := len(e.keys)
	for k := range m {
		e.keys = append(e.keys, k)
	}
	slices.Sort(e.keys[base:])
	dst = append(dst, '{')
	for i, k := range e.keys[base:] {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, k)
		dst = append(dst, ':')
		dst = appendString(dst, m[k])
	}
	clear(e.keys[base:])
	e.keys = e.keys[:base]
	return append(dst, '}'), nil
}

// sortByKey sorts map entries by key as encoding/json does (keys of a map
// are distinct, so any correct sort gives the same order). Events have
// few keys, for which insertion sort is quickest.
func sortByKey(kvs []keyValue) {
	if len(kvs) > 16 {
		slices.SortFunc(kvs, func(a, b keyValue) int { return strings.Compare(a.k, b.k) })
		return
	}
	for i := 1; i < len(kvs); i++ {
		for j := i; j > 0 && kvs[j].k < kvs[j-1].k; j-- {
			kvs[j], kvs[j-1] = kvs[j-1], kvs[j]
		}
	}
}

// fallback encodes v with encoding/json, HTML escaping off.
func (e *encoder) fallback(dst []byte, v any) ([]byte, error) {
	if e.fenc == nil {
		e.fenc = json.NewEncoder(&e.fb)
		e.fenc.SetEscapeHTML(false)
	}
	e.fb.Reset()
	if err := e.fenc.Encode(v); err != nil {
		return dst, err
	}
	b := e.fb.Bytes()
	return append(dst, b[:len(b)-1]...), nil // without Encode's newline
}

// appendFloat formats f like encoding/json's floatEncoder: shortest
// representation, 'e' notation below 1e-6 and from 1e21 on, exponents
// without leading zeros.
func appendFloat(dst []byte, f float64, bits int) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		var v reflect.Value
		if bits == 32 {
			v = reflect.ValueOf(float32(f))
		} else {
			v = reflect.ValueOf(f)
		}
		return dst, &json.UnsupportedValueError{Value: v, Str: strconv.FormatFloat(f, 'g', -1, bits)}
	}
	// float64 integers below 2^53 print as themselves, and AppendInt is much
	// quicker. (-0 must keep its sign, so zero takes the general path;
	// float32's shortest form differs, as in 999999986991104 -> 1e+15.)
	if bits == 64 && f != 0 && f > -1e15 && f < 1e15 && f == math.Trunc(f) {
		return strconv.AppendInt(dst, int64(f), 10), nil
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	dst = strconv.AppendFloat(dst, f, format, -1, bits)
	if format == 'e' {
		// e-09 becomes e-9.
		n := len(dst)
		if n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst, nil
}

// appendNumber writes a json.Number like encoding/json: "" as 0, and only
// valid JSON numbers.
func appendNumber(dst []byte, n json.Number) ([]byte, error) {
	s := string(n)
	if s == "" {
		s = "0"
	}
	if !isValidNumber(s) {
		return dst, fmt.Errorf("json: invalid number literal %q", s)
	}
	return append(dst, s...), nil
}

// isValidNumber reports whether s matches JSON's number grammar
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? in full.
func isValidNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() int {
		j := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i - j
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		digits()
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

const hexDigits = "0123456789abcdef"

// strSafe marks the ASCII bytes written as they are: all but '"', '\\' and
// control characters (with HTML escaping off, '<', '>' and '&' are safe).
var strSafe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// AppendString appends s as a JSON string exactly like encoding/json with
// HTML escaping off (json.Encoder.SetEscapeHTML(false)).
func AppendString(dst []byte, s string) []byte { return appendString(dst, s) }

// appendString writes s as a JSON string exactly like encoding/json with
// HTML escaping off: \" \\ \b \f \n \r \t, \u00XX for other control
// characters, \ufffd for each invalid UTF-8 byte, and \u2028, \u2029.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	i := plainPrefix(s)
	if i == len(s) {
		dst = append(dst, s...)
		return append(dst, '"')
	}
	start := 0
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if strSafe[c] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '\\', '"':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
