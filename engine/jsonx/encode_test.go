package jsonx

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"
)

type point struct {
	X, Y int
	Tag  string `json:"tag,omitempty"`
}

type marshaler struct{}

func (marshaler) MarshalJSON() ([]byte, error) { return []byte(` {"html" : "<&>"} `), nil }

func TestMarshalDifferential(t *testing.T) {
	values := []any{
		nil, true, false, "", "plain", "<script>&amp;</script>", "\u2028\u2029", "a\x00\x1f\x7f\"\\/",
		"\xff\xfe", "\xed\xa0\x80", "é€𝄞", "\b\f\n\r\t",
		0.0, math.Copysign(0, -1), 1.0, -1.5, 0.1, 1e-6, 9.99e-7, 1e-7, 1e20, 1e21, 123456789e-15,
		math.MaxFloat64, math.SmallestNonzeroFloat64, 1e15, 1e15 - 1, -1e15 + 1, 1 << 53, 1<<53 + 2, 1e100,
		float32(0.1), float32(1e-7), float32(1e21), float32(16777216), float32(math.MaxFloat32), float32(-3.25),
		int(-42), int8(-8), int16(1600), int32(-320000), int64(math.MinInt64), uint(7), uint8(255),
		uint16(65535), uint32(math.MaxUint32), uint64(math.MaxUint64), uintptr(12),
		json.Number("12.5e-3"), json.Number(""), json.Number("-0"),
		map[string]any{}, map[string]any(nil), []any{}, []any(nil),
		map[string]string{"b": "<", "a": "\n"}, map[string]string(nil), []string{"x", "&"}, []string(nil),
		map[string]any{"z": 1, "a": []any{map[string]any{"y": nil, "b": "<>"}}, "": "empty", "é": 2, "A": 3},
		// Fallback types.
		point{1, 2, "<p>"}, &point{X: 3}, []int{1, 2}, map[string]int{"b": 2, "a": 1}, []byte("bytes"),
		json.RawMessage(` { "a" : "<" } `), marshaler{}, time.Date(2024, 6, 1, 12, 0, 0, 5, time.UTC),
		map[string]any{"nested": []any{point{}, marshaler{}, map[int]string{2: "b", 1: "a"}}},
		manyKeys(40),
	}
	for _, v := range values {
		want, wantErr := stdMarshal(v)
		got, err := Marshal(v)
		if (err == nil) != (wantErr == nil) || !bytes.Equal(got, want) {
			t.Errorf("Marshal(%#v) = %q, %v; encoding/json = %q, %v", v, got, err, want, wantErr)
		}
		if m, ok := v.(map[string]any); ok {
			got, err := AppendObject([]byte("x"), m)
			if err != nil || !bytes.Equal(got, append([]byte("x"), want...)) {
				t.Errorf("AppendObject(%#v) = %q, %v; want x + %q", v, got, err, want)
			}
		}
	}
}

// manyKeys returns a map with n keys in an order unlike their sorted one.
func manyKeys(n int) map[string]any {
	m := make(map[string]any, n)
	for i := range n {
		m[strconv.Itoa((i*7919)%1000)+"k"] = []any{float64(i), map[string]any{"k" + strconv.Itoa(n-i): i}}
	}
	return m
}

func TestMarshalErrors(t *testing.T) {
	bad := []any{
		math.NaN(), math.Inf(1), float32(math.Inf(-1)), json.Number("1."), json.Number("abc"),
		map[string]any{"a": []any{1, math.NaN()}}, map[string]any{"ch": make(chan int)},
		func() {},
	}
	for _, v := range bad {
		_, wantErr := stdMarshal(v)
		got, err := Marshal(v)
		if err == nil || got != nil {
			t.Errorf("Marshal(%#v) = %q, %v; want an error", v, got, err)
			continue
		}
		if err.Error() != wantErr.Error() {
			t.Errorf("Marshal(%#v) error %q, encoding/json %q", v, err, wantErr)
		}
		dst := []byte("keep")
		if out, err := Append(dst, v); err == nil || string(out) != "keep" {
			t.Errorf("Append(%#v) = %q, %v; want dst unchanged and an error", v, out, err)
		}
	}
	var uve *json.UnsupportedValueError
	if _, err := Marshal(math.NaN()); !errors.As(err, &uve) {
		t.Errorf("Marshal(NaN) error is %T, want *json.UnsupportedValueError", err)
	}
}

func TestMarshalCycle(t *testing.T) {
	m := map[string]any{"k": 1}
	m["self"] = m
	_, err := Marshal(m)
	if err == nil || !strings.Contains(err.Error(), "encountered a cycle via map[string]interface {}") {
		t.Errorf("map cycle: err = %v", err)
	}
	a := make([]any, 2)
	a[0] = "x"
	a[1] = a
	_, err = Marshal(a)
	if err == nil || !strings.Contains(err.Error(), "encountered a cycle via []interface {}") {
		t.Errorf("slice cycle: err = %v", err)
	}
	// Deep but acyclic values are fine, also with the same empty container
	// repeated.
	empty := map[string]any{}
	var v any = empty
	for range 3 * detectCyclesAfter {
		v = []any{map[string]any{"e": empty, "v": v, "z": []any{}}}
	}
	got, err := Marshal(v)
	want, wantErr := stdMarshal(v)
	if err != nil || wantErr != nil || !bytes.Equal(got, want) {
		t.Errorf("deep acyclic value: err = %v, encoding/json err = %v, equal %v", err, wantErr, bytes.Equal(got, want))
	}
}

// TestFloatFormat compares float formatting with encoding/json on edge
// values and many random bit patterns, float64 and float32.
func TestFloatFormat(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	f64 := []float64{0, 1e-6, 1e21, 1e21 - 65536, 999999999999999.9, 1e15, 1e15 + 0.5, 5e-324, 1e-5, 1e-7}
	for range 200000 {
		switch r.IntN(4) {
		case 0:
			f64 = append(f64, math.Float64frombits(r.Uint64()))
		case 1:
			f64 = append(f64, float64(r.Int64N(1<<54)-1<<53))
		case 2:
			f64 = append(f64, (r.Float64()-0.5)*math.Pow(10, float64(r.IntN(60)-30)))
		default:
			f64 = append(f64, float64(r.IntN(2000000)-1000000)/math.Pow(10, float64(r.IntN(8))))
		}
	}
	for _, f := range f64 {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			continue
		}
		for _, v := range []any{f, -f, float32(f)} {
			if f32, ok := v.(float32); ok && (math.IsInf(float64(f32), 0) || math.IsNaN(float64(f32))) {
				continue
			}
			want, _ := json.Marshal(v)
			got, err := Marshal(v)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("Marshal(%T %v) = %q, %v; want %q", v, v, got, err, want)
			}
		}
	}
}

// TestNumberParse compares the decoder's own number conversion with
// strconv.ParseFloat on many random JSON numbers, short ones (the fast
// path) and long ones.
func TestNumberParse(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	digits := func(n int, lead bool) string {
		var b strings.Builder
		for i := range n {
			d := r.IntN(10)
			if i == 0 && lead && d == 0 {
				d = 1 + r.IntN(9)
			}
			b.WriteByte(byte('0' + d))
		}
		return b.String()
	}
	for range 300000 {
		var s string
		if r.IntN(2) == 0 {
			s = "-"
		}
		if r.IntN(5) == 0 {
			s += "0"
		} else {
			s += digits(1+r.IntN(20), true)
		}
		if r.IntN(2) == 0 {
			s += "." + digits(1+r.IntN(20), false)
		}
		if r.IntN(3) == 0 {
			s += []string{"e", "E", "e+", "e-", "E-"}[r.IntN(5)] + strconv.Itoa(r.IntN(40))
		}
		want, werr := strconv.ParseFloat(s, 64)
		v, err := Decode([]byte(s))
		if (err == nil) != (werr == nil) {
			t.Fatalf("Decode(%s): err = %v, ParseFloat err = %v", s, err, werr)
		}
		if err == nil && math.Float64bits(v.(float64)) != math.Float64bits(want) {
			t.Fatalf("Decode(%s) = %v, ParseFloat = %v", s, v, want)
		}
	}
}

func TestAllocs(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("allocation counts")
	}
	ev := []byte(paymentEvents[0])
	m, err := DecodeObject(ev)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 0, 512)
	if n := testing.AllocsPerRun(100, func() {
		buf, _ = AppendObject(buf[:0], m)
	}); n != 0 {
		t.Errorf("AppendObject: %v allocations, want 0", n)
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = Marshal(m) }); n != 1 {
		t.Errorf("Marshal: %v allocations, want 1", n)
	}
	// The input copy, the map (header and slots), the tags slice, one slab
	// for the 7 string values, boxes for the 2 numbers (encoding/json needs
	// 43).
	if n := testing.AllocsPerRun(100, func() { _, _ = DecodeObject(ev) }); n > 8 {
		t.Errorf("DecodeObject: %v allocations, want at most 8", n)
	}
}

// Consecutive objects with the same keys, the same number of other keys,
// and keys nested or missing: the remembered key order of the last object
// must never leak into the next one.
func TestMarshalKeyOrderAcrossObjects(t *testing.T) {
	objects := []map[string]any{
		{"b": 1.0, "a": 2.0, "c": map[string]any{"z": 1.0, "y": 2.0}},
		{"c": 3.0, "b": 1.0, "a": 2.0},
		{"a": 1.0, "b": 2.0, "d": 3.0},
		{"x": 1.0, "y": 2.0, "z": 3.0},
		{"z": map[string]any{"a": 1.0, "b": 2.0, "c": 3.0}, "y": 1.0, "x": 2.0},
		{"x": 1.0, "y": 2.0},
		{"x": 1.0, "y": 2.0, "z": 3.0, "w": 4.0},
		{"a": 1.0},
		{},
		{"a\"b": 1.0, "ü\u2028": 2.0, "c\n": map[string]any{"d\\": 3.0}},
		{"a\"b": 4.0, "ü\u2028": 5.0, "c\n": "x"},
	}
	for round := 0; round < 3; round++ {
		for i, m := range objects {
			want, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			got, err := AppendObject(nil, m)
			if err != nil || string(got) != string(want) {
				t.Errorf("round %d object %d: got %s, %v; want %s", round, i, got, err, want)
			}
		}
	}
}
