package jsonx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// stdMarshal is the encoding this package must reproduce: a json.Encoder
// with HTML escaping off, without its trailing newline.
func stdMarshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// checkDecode compares Decode and DecodeObject with json.Unmarshal on one
// input: same accept/reject, deeply equal results, and errors that are
// *SyntaxError values with an offset inside the input.
func checkDecode(t *testing.T, in []byte) {
	t.Helper()
	var want any
	wantErr := json.Unmarshal(in, &want)

	got, err := Decode(in)
	if (err == nil) != (wantErr == nil) {
		t.Fatalf("Decode(%q): err = %v, encoding/json err = %v", in, err, wantErr)
	}
	if err == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("Decode(%q) = %#v, encoding/json = %#v", in, got, want)
	}
	checkErr(t, in, err)

	m, err := DecodeObject(in)
	_, isObj := want.(map[string]any)
	if wantObj := wantErr == nil && isObj; (err == nil) != wantObj {
		t.Fatalf("DecodeObject(%q): err = %v, encoding/json err = %v, value %T", in, err, wantErr, want)
	}
	if err == nil && !reflect.DeepEqual(m, want) {
		t.Fatalf("DecodeObject(%q) = %#v, encoding/json = %#v", in, m, want)
	}
	checkErr(t, in, err)
}

func checkErr(t *testing.T, in []byte, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var se *SyntaxError
	if !errors.As(err, &se) {
		t.Fatalf("error %v for %q is %T, want *SyntaxError", err, in, err)
	}
	if se.Offset < 0 || se.Offset > int64(len(in)) {
		t.Fatalf("error %v for %q: offset %d outside input of %d bytes", err, in, se.Offset, len(in))
	}
	if msg := err.Error(); !strings.HasPrefix(msg, "jsonx: ") || !strings.Contains(msg, "offset") {
		t.Fatalf("error message %q for %q does not say jsonx and where", msg, in)
	}
}

// checkRoundTrip decodes in and, when it is accepted, checks that Marshal,
// Append and AppendObject write exactly what encoding/json writes, and that
// decoding that output gives the same value again.
func checkRoundTrip(t *testing.T, in []byte) {
	t.Helper()
	v, err := Decode(in)
	if err != nil {
		return
	}
	want, wantErr := stdMarshal(v)
	got, err := Marshal(v)
	if (err == nil) != (wantErr == nil) {
		t.Fatalf("Marshal(Decode(%q)): err = %v, encoding/json err = %v", in, err, wantErr)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("Marshal(Decode(%q))\n got %q\nwant %q", in, got, want)
	}
	prefix := []byte("prefix:")
	app, err := Append(bytes.Clone(prefix), v)
	if err != nil || !bytes.Equal(app, append(bytes.Clone(prefix), want...)) {
		t.Fatalf("Append(Decode(%q)) = %q, %v; want prefix + %q", in, app, err, want)
	}
	if m, ok := v.(map[string]any); ok {
		app, err := AppendObject(bytes.Clone(prefix), m)
		if err != nil || !bytes.Equal(app, append(bytes.Clone(prefix), want...)) {
			t.Fatalf("AppendObject(Decode(%q)) = %q, %v; want prefix + %q", in, app, err, want)
		}
	}
	again, err := Decode(got)
	if err != nil || !reflect.DeepEqual(again, v) {
		t.Fatalf("Decode(Marshal(Decode(%q))) = %#v, %v; want %#v", in, again, err, v)
	}
}

// trickyInputs are the table for the differential tests; each is also a
// seed of both fuzz targets.
var trickyInputs = []string{
	// Objects and containers.
	`{}`, `[]`, `{"a":{}}`, `{"a":[]}`, `[[]]`, `[{}]`, `{"a":[{},[],{"b":[[]]}]}`,
	` { } `, "\t\n\r {\t\n\r\"a\"\t\n\r:\t\n\r[\t\n\r1\t\n\r,\t\n\r2\t\n\r]\t\n\r,\"b\" : null }\t\n\r ",
	`{"a":1,"a":2}`, `{"a":{"x":1},"a":[1]}`, `{"":""}`, `{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10}`,
	// Top-level non-objects.
	`null`, `true`, `false`, `0`, `"s"`, `[1,"2",true,null]`, ` 1 `,
	// Strings and escapes.
	`{"s":"\"\\\/\b\f\n\r\t"}`, `{"s":"\u0041\u00e9\u20ac\uFFFF\u0000"}`,
	`{"s":"\ud83d\ude00"}`, `{"s":"\uD83D\uDE00x"}`, `{"s":"\ud83d"}`, `{"s":"\ude00"}`,
	`{"s":"\ud83dx"}`, `{"s":"\ud83d\u0041"}`, `{"s":"\ud83d\ud83d\ude00"}`, `{"s":"\ude00\ud83d\ude00"}`,
	`{"s":"\ud83d\"}`, `{"s":"\ud83d\\"}`, `{"s":"\ud83d\u12"}`, `{"s":"\ud83d\uzzzz"}`,
	`{"s":"\u12"}`, `{"s":"\u"}`, `{"s":"\x"}`, `{"s":"\'"}`, `{"s":"\`, `{"s":"\u00`,
	`{"s":"héllo wörld €𝄞"}`, "{\"s\":\"\u2028\u2029\"}", `{"s":"<a href=\"x\">&amp;</a>"}`,
	"{\"s\":\"\xff\"}", "{\"s\":\"a\xffb\xfe\"}", "{\"s\":\"\xe2\x82\"}", "{\"s\":\"\xed\xa0\x80\"}",
	"{\"s\":\"\xc0\xaf\"}", "{\"s\":\"\xf4\x90\x80\x80\"}", "{\"\xff\":1}", "{\"s\":\"\xff\\n\"}",
	"{\"s\":\"\x7f\"}", "{\"s\":\"a\x01b\"}", "{\"s\":\"\x1f\"}", "{\"s\":\"tab\there\"}",
	`{"s":"\u0000\u001f\u007f\u0080"}`, `{"s":"\u2028"}`,
	// Numbers.
	`{"n":0}`, `{"n":-0}`, `{"n":-0.0}`, `{"n":0.0}`, `{"n":1.5}`, `{"n":-1.5e3}`, `{"n":1E+2}`,
	`{"n":1e-7}`, `{"n":1e21}`, `{"n":1e20}`, `{"n":123456789012345678901234567890}`,
	`{"n":1.7976931348623157e308}`, `{"n":1.7976931348623159e308}`, `{"n":1e309}`, `{"n":-1e309}`,
	`{"n":4.9e-324}`, `{"n":2e-324}`, `{"n":1e-400}`, `{"n":0e99999}`, `{"n":1e99999}`,
	`{"n":9007199254740993}`, `{"n":9007199254740992}`, `{"n":0.1}`, `{"n":0.30000000000000004}`,
	`{"n":3.141592653589793238462643383279}`, `{"n":1234.5}`, `{"n":0.000001}`, `{"n":0.0000001}`,
	`{"n":1e22}`, `{"n":1e23}`, `{"n":123e-20}`, `{"n":-9223372036854775808}`, `{"n":18446744073709551616}`,
	`{"n":01}`, `{"n":-}`, `{"n":+1}`, `{"n":.5}`, `{"n":1.}`, `{"n":1.e5}`, `{"n":1e}`, `{"n":1e+}`,
	`{"n":-a}`, `{"n":0x10}`, `{"n":1_000}`, `{"n":Infinity}`, `{"n":NaN}`, `{"n":1.5.5}`, `{"n":--1}`,
	`1e400`, `-`, `0.`, `00`,
	// Literals.
	`{"b":true,"c":false,"d":null}`, `{"b":tru}`, `{"b":trUe}`, `{"b":nul}`, `{"b":falsy}`, `{"b":True}`,
	// Broken structure.
	``, ` `, `{`, `}`, `{"a"`, `{"a":`, `{"a":1`, `{"a":1,`, `{"a":1,}`, `{,}`, `{"a" 1}`, `{"a":1 "b":2}`,
	`{1:2}`, `{a:1}`, `{'a':1}`, `[1,]`, `[,1]`, `[1 2]`, `[`, `]`, `{"a":1}}`, `{"a":1}x`, `{"a":1} {}`,
	`{"a":1}]`, "{\"a\":1}\x00", "\ufeff{}", "{\"a\":\"b\"\x00}", `{"a":"b}`, `"abc`, `{"a":[1,2}`,
	`{"a":{"b":1]}`, "{\"a\":1}\u00a0", "{\v}", "{\f}", `{"x":1,"tx_id":"tx-000123","x"}`,
}

func TestDecodeDifferential(t *testing.T) {
	for _, in := range trickyInputs {
		checkDecode(t, []byte(in))
	}
	for _, ev := range paymentEvents {
		checkDecode(t, []byte(ev))
	}
}

func TestRoundTripDifferential(t *testing.T) {
	for _, in := range trickyInputs {
		checkRoundTrip(t, []byte(in))
	}
	for _, ev := range paymentEvents {
		checkRoundTrip(t, []byte(ev))
	}
}

func TestDepthLimit(t *testing.T) {
	for _, depth := range []int{MaxDepth - 1, MaxDepth, MaxDepth + 1, 3 * MaxDepth} {
		arrays := strings.Repeat("[", depth) + strings.Repeat("]", depth)
		objects := strings.Repeat(`{"a":`, depth) + "1" + strings.Repeat("}", depth)
		mixed := `{"a":` + strings.Repeat(`[{"b":`, depth/2) + "null" + strings.Repeat("}]", depth/2) + "}"
		for _, in := range []string{arrays, objects, mixed} {
			checkDecode(t, []byte(in))
			_, err := Decode([]byte(in))
			if depth > MaxDepth && (err == nil || !strings.Contains(err.Error(), "nesting depth")) {
				t.Fatalf("depth %d: err = %v, want nesting depth error", depth, err)
			}
		}
	}
	// Unterminated deep nesting is rejected without exhausting the stack.
	checkDecode(t, []byte(strings.Repeat("[", 1<<20)))
	checkDecode(t, []byte(strings.Repeat(`{"a":`, 1<<18)))
}

func TestLargeInput(t *testing.T) {
	// Past sharedLimit, strings are copied one by one; results are the same.
	var b strings.Builder
	b.WriteString(`{"events":[`)
	for i := 0; b.Len() < 3*sharedLimit; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(paymentEvents[i%len(paymentEvents)])
	}
	b.WriteString(`],"s":"a\u00e9\ud83d\ude00"}`)
	in := []byte(b.String())
	checkDecode(t, in)
	checkRoundTrip(t, in)
}

func TestErrorMessages(t *testing.T) {
	tests := []struct {
		in, msg string
		off     int64
	}{
		{`{"a":1 x}`, `jsonx: expected ',' or '}' at offset 7, found 'x'`, 7},
		{`{"a":1,}`, `jsonx: expected string key at offset 7, found '}'`, 7},
		{`{1:2}`, `jsonx: expected string key or '}' at offset 1, found '1'`, 1},
		{`{"a" 1}`, `jsonx: expected ':' at offset 5, found '1'`, 5},
		{`{"a":[1 2]}`, `jsonx: expected ',' or ']' at offset 8, found '2'`, 8},
		{`{"a":[1,]}`, `jsonx: expected value at offset 8, found ']'`, 8},
		{`{"a":tru}`, `jsonx: expected 'e' in literal true at offset 8, found '}'`, 8},
		{`{"a":1}x`, `jsonx: expected end of input at offset 7, found 'x'`, 7},
		{`[1]`, `jsonx: expected '{' at offset 0, found '['`, 0},
		{``, `jsonx: expected '{' at offset 0, found end of input`, 0},
		{`{"a":`, `jsonx: expected value at offset 5, found end of input`, 5},
		{`{"a":"b`, `jsonx: expected '"' closing the string at offset 7, found end of input`, 7},
		{`{"a":"\q"}`, `jsonx: invalid escape 'q' in string at offset 7`, 7},
		{`{"a":"\u12x4"}`, `jsonx: expected hex digit in \u escape at offset 10, found 'x'`, 10},
		{"{\"a\":\"\x01\"}", `jsonx: invalid control character '\x01' in string at offset 6`, 6},
		{`{"a":01}`, `jsonx: expected ',' or '}' at offset 6, found '1'`, 6},
		{`{"a":1.}`, `jsonx: expected digit after decimal point at offset 7, found '}'`, 7},
		{`{"a":1e+}`, `jsonx: expected digit in exponent at offset 8, found '}'`, 8},
		{`{"a":-x}`, `jsonx: expected digit at offset 6, found 'x'`, 6},
		{`{"a":1e999}`, `jsonx: number 1e999 out of range for float64 at offset 5`, 5},
		{"{\"a\":1}\xff", `jsonx: expected end of input at offset 7, found byte 0xff`, 7},
		{"{\"a\":é}", `jsonx: expected value at offset 5, found 'é'`, 5},
	}
	for _, tt := range tests {
		_, err := DecodeObject([]byte(tt.in))
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("DecodeObject(%q) err = %v, want *SyntaxError", tt.in, err)
			continue
		}
		if err.Error() != tt.msg || se.Offset != tt.off {
			t.Errorf("DecodeObject(%q) err = %q at %d, want %q at %d", tt.in, err, se.Offset, tt.msg, tt.off)
		}
	}
	_, err := Decode([]byte(strings.Repeat("[", MaxDepth+1)))
	if want := "jsonx: exceeded maximum nesting depth of 10000 at offset 10000"; err == nil || err.Error() != want {
		t.Errorf("too deep: err = %v, want %q", err, want)
	}
}

func TestDecodeDoesNotAliasInput(t *testing.T) {
	in := []byte(paymentEvents[0])
	m, err := DecodeObject(in)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := DecodeObject([]byte(paymentEvents[0]))
	for i := range in {
		in[i] = 'X'
	}
	if !reflect.DeepEqual(m, want) {
		t.Fatalf("result changed with the input: %v", m)
	}
}

// TestBoxedStringsSurviveGC keeps decoded string values from many documents
// through garbage collections and checks that they behave like any other
// string in an interface.
func TestBoxedStringsSurviveGC(t *testing.T) {
	var kept []any
	var want []string
	for i := range 2000 {
		ev := fmt.Sprintf(`{"s":"value-%d","a":["x%d","y\n%d",1,"z"]}`, i, i, i)
		m, err := DecodeObject([]byte(ev))
		if err != nil {
			t.Fatal(err)
		}
		kept = append(kept, m["s"], m["a"].([]any)[1])
		want = append(want, fmt.Sprintf("value-%d", i), fmt.Sprintf("y\n%d", i))
		if i%500 == 0 {
			runtime.GC()
		}
	}
	runtime.GC()
	set := make(map[any]int)
	for i, v := range kept {
		s, ok := v.(string)
		if !ok || s != want[i] || v != any(want[i]) || reflect.ValueOf(v).String() != want[i] || fmt.Sprint(v) != want[i] {
			t.Fatalf("kept[%d] = %#v, want %q", i, v, want[i])
		}
		set[v] = i
	}
	for i, w := range want {
		if set[w] != i {
			t.Fatalf("map lookup of %q = %d, want %d", w, set[w], i)
		}
	}
}
