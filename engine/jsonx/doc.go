// Package jsonx decodes and encodes the generic JSON values the engine moves
// between agents — map[string]any, []any, string, float64, bool and nil —
// several times faster than encoding/json and with far fewer allocations,
// while keeping encoding/json's results exactly.
//
// Decoding (Decode, DecodeObject) produces precisely what json.Unmarshal
// produces into an `any`: objects become map[string]any (the last of
// duplicate keys wins), arrays []any (empty arrays are non-nil), numbers
// float64, and strings are unescaped like encoding/json does it, including
// \uXXXX surrogate pairs, lone surrogates and invalid UTF-8 each replaced
// by U+FFFD. Input is accepted or rejected exactly as json.Unmarshal would;
// that includes numbers out of float64 range and nesting deeper than
// MaxDepth (10000, encoding/json's own limit). DecodeObject accepts only a
// top-level object; unlike json.Unmarshal into a map it rejects null.
// Errors are *SyntaxError values that say what was expected, or what was
// wrong, at which byte offset, for example
//
//	jsonx: expected ',' or '}' at offset 57, found 'x'
//	jsonx: number 1e999 out of range for float64 at offset 5
//
// The result never aliases the input: b may be reused as soon as Decode
// returns. For speed, the strings of one document that need no unescaping
// share one copy of the input (for inputs up to 64 KiB), so keeping any one
// string of a decoded event keeps that copy alive.
//
// Encoding (Marshal, Append, AppendObject) produces byte for byte what a
// json.Encoder with SetEscapeHTML(false) writes, without the trailing
// newline: map keys sorted, floats formatted like encoding/json ('f' or 'e'
// notation by the same cutoffs), strings escaped like encoding/json except
// that '<', '>' and '&' are written as they are (U+2028 and U+2029 are still
// escaped, and invalid UTF-8 becomes \ufffd). Unlike json.Marshal, the
// output is therefore not safe to embed in HTML <script> tags as it stands.
// map[string]any, []any, map[string]string, []string, string, bool, nil,
// all integer and float kinds and json.Number are encoded directly; any
// other type falls back to encoding/json (with HTML escaping off, so the
// whole output stays consistent). Encoding errors are the ones
// encoding/json returns, such as *json.UnsupportedValueError for NaN.
package jsonx
