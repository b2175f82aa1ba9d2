package engine

import (
	"bytes"
	"encoding/json"
	"errors"
)

// decodeObject decodes one JSON object event.
func decodeObject(b []byte) (map[string]any, error) {
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, errors.New("expected a JSON object, got null")
	}
	if dec.More() {
		return nil, errors.New("unexpected data after the JSON object")
	}
	return m, nil
}

// appendObject appends the JSON encoding of m to dst.
func appendObject(dst []byte, m map[string]any) ([]byte, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return dst, err
	}
	return append(dst, b...), nil
}
