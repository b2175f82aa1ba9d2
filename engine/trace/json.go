package trace

import (
	"strconv"

	"github.com/kumeo/kumeo/engine/jsonx"
)

// AppendJSON appends the JSON encoding of r to dst: byte for byte what
// encoding/json gives with HTML escaping off, without reflection (dead
// letters publish a record each).
func (r *Record) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"trace_id":`...)
	dst = jsonx.AppendString(dst, r.TraceID)
	dst = append(dst, `,"event_id":`...)
	dst = jsonx.AppendString(dst, r.EventID)
	if r.ParentID != "" {
		dst = append(dst, `,"parent_id":`...)
		dst = jsonx.AppendString(dst, r.ParentID)
	}
	dst = append(dst, `,"hop":`...)
	dst = strconv.AppendInt(dst, int64(r.Hop), 10)
	if r.From != "" {
		dst = append(dst, `,"from":`...)
		dst = jsonx.AppendString(dst, r.From)
	}
	dst = append(dst, `,"seq":`...)
	dst = strconv.AppendUint(dst, r.Seq, 10)
	dst = append(dst, `,"ts":`...)
	dst = strconv.AppendInt(dst, r.TS, 10)
	dst = append(dst, `,"agent":`...)
	dst = jsonx.AppendString(dst, r.Agent)
	dst = append(dst, `,"dir":`...)
	dst = jsonx.AppendString(dst, string(r.Dir))
	if r.Subject != "" {
		dst = append(dst, `,"subject":`...)
		dst = jsonx.AppendString(dst, r.Subject)
	}
	dst = append(dst, `,"size":`...)
	dst = strconv.AppendInt(dst, int64(r.Size), 10)
	if r.Payload != "" {
		dst = append(dst, `,"payload":`...)
		dst = jsonx.AppendString(dst, r.Payload)
	}
	if r.Truncated {
		dst = append(dst, `,"truncated":true`...)
	}
	if r.Error != "" {
		dst = append(dst, `,"error":`...)
		dst = jsonx.AppendString(dst, r.Error)
	}
	return append(dst, '}')
}
