package trace

import (
	"strconv"
	"unicode/utf8"
)

// AppendJSON appends the JSON encoding of r to dst: byte for byte what
// json.Marshal(r) gives, without reflection (dead letters publish a record
// each).
func (r *Record) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"trace_id":`...)
	dst = appendJSONString(dst, r.TraceID)
	dst = append(dst, `,"event_id":`...)
	dst = appendJSONString(dst, r.EventID)
	if r.ParentID != "" {
		dst = append(dst, `,"parent_id":`...)
		dst = appendJSONString(dst, r.ParentID)
	}
	dst = append(dst, `,"hop":`...)
	dst = strconv.AppendInt(dst, int64(r.Hop), 10)
	if r.From != "" {
		dst = append(dst, `,"from":`...)
		dst = appendJSONString(dst, r.From)
	}
	dst = append(dst, `,"seq":`...)
	dst = strconv.AppendUint(dst, r.Seq, 10)
	dst = append(dst, `,"ts":`...)
	dst = strconv.AppendInt(dst, r.TS, 10)
	dst = append(dst, `,"agent":`...)
	dst = appendJSONString(dst, r.Agent)
	dst = append(dst, `,"dir":`...)
	dst = appendJSONString(dst, string(r.Dir))
	if r.Subject != "" {
		dst = append(dst, `,"subject":`...)
		dst = appendJSONString(dst, r.Subject)
	}
	dst = append(dst, `,"size":`...)
	dst = strconv.AppendInt(dst, int64(r.Size), 10)
	if r.Payload != "" {
		dst = append(dst, `,"payload":`...)
		dst = appendJSONString(dst, r.Payload)
	}
	if r.Truncated {
		dst = append(dst, `,"truncated":true`...)
	}
	if r.Error != "" {
		dst = append(dst, `,"error":`...)
		dst = appendJSONString(dst, r.Error)
	}
	return append(dst, '}')
}

// appendJSONString writes s as json.Marshal writes a string (HTML
// escaping on): \" \\ \b \f \n \r \t, \u00XX for other control characters
// and for < > &, \ufffd for each invalid UTF-8 byte, \u2028 and \u2029.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
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
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
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
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
