package deploy

import (
	"bytes"
	"encoding/json"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// YAML writes the objects as YAML documents separated by "---".
func YAML(objs []Object) ([]byte, error) {
	var b bytes.Buffer
	for i, o := range objs {
		if i > 0 {
			b.WriteString("---\n")
		}
		y, err := yaml.Marshal(o)
		if err != nil {
			return nil, err
		}
		b.Write(y)
	}
	return b.Bytes(), nil
}

// JSON writes the objects as one v1 List, indented by two spaces.
func JSON(objs []Object) ([]byte, error) {
	list := struct {
		APIVersion string   `json:"apiVersion"`
		Kind       string   `json:"kind"`
		Items      []Object `json:"items"`
	}{"v1", "List", objs}
	out, err := json.MarshalIndent(list, "", "  ")
	return append(out, '\n'), err
}

// RedactedValue replaces each value of a Secret in Redact's output.
const RedactedValue = "(redacted: set at deploy time)"

// Redact returns objs with every Secret's values replaced by RedactedValue
// under the same keys (in stringData, so the marker reads as written);
// the other objects are returned as they are. This is what the CLI
// prints: secret values never appear in its output.
func Redact(objs []Object) []Object {
	out := make([]Object, len(objs))
	for i, o := range objs {
		sec, ok := o.(*corev1.Secret)
		if !ok {
			out[i] = o
			continue
		}
		c := sec.DeepCopy()
		c.StringData = map[string]string{}
		for k := range sec.Data {
			c.StringData[k] = RedactedValue
		}
		for k := range sec.StringData {
			c.StringData[k] = RedactedValue
		}
		c.Data = nil
		out[i] = c
	}
	return out
}
