package deploy

import (
	"bytes"
	"encoding/json"

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
