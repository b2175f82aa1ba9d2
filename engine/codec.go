package engine

import "github.com/kumeo/kumeo/engine/jsonx"

// decodeObject decodes one JSON object event. Events are decoded once where
// they enter the process and passed on decoded; jsonx gives encoding/json's
// results several times faster.
func decodeObject(b []byte) (map[string]any, error) { return jsonx.DecodeObject(b) }

// appendObject appends the JSON encoding of m to dst.
func appendObject(dst []byte, m map[string]any) ([]byte, error) { return jsonx.AppendObject(dst, m) }
