package endpoints

import (
	"math"
	"strings"
	"time"

	"github.com/kumeo/kumeo/engine/flow"
)

// checkOptions logs a warning for option keys the adapter does not know.
// Unknown keys are kept by the language, so they are not an error here
// either; the checker reports them too.
func (r *resolver) checkOptions(known ...string) {
	for _, k := range sortedKeys(r.e.Options) {
		found := false
		for _, n := range known {
			if k == n {
				found = true
				break
			}
		}
		if !found {
			r.opts.logger().Warn("endpoint option ignored", "endpoint", r.e.Name, "role", string(r.role),
				"option", k, "known", strings.Join(known, ", "))
		}
	}
}

func (r *resolver) optString(key, def string) (string, error) {
	v, ok := r.e.Options[key]
	if !ok || v == nil {
		return def, nil
	}
	s, ok := v.(string)
	if !ok {
		return "", r.errorf("option %s: expected a string, got %v", key, v)
	}
	return s, nil
}

func (r *resolver) optDuration(key string, def time.Duration) (time.Duration, error) {
	s, err := r.optString(key, "")
	if err != nil || s == "" {
		return def, err
	}
	d, err := flow.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, r.errorf("option %s: invalid duration %q: expected a positive number followed by ms, s, m, h or d, such as \"5s\"", key, s)
	}
	return d, nil
}

// optNumber reads a non-negative number option; def when absent.
func (r *resolver) optNumber(key string, def float64) (float64, error) {
	v, ok := r.e.Options[key]
	if !ok || v == nil {
		return def, nil
	}
	f, ok := v.(float64)
	if !ok || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, r.errorf("option %s: expected a number >= 0, got %v", key, v)
	}
	return f, nil
}

// optInt reads a positive integer option; def when absent.
func (r *resolver) optInt(key string, def int) (int, error) {
	f, err := r.optNumber(key, float64(def))
	if err != nil {
		return 0, err
	}
	if f < 1 || f != math.Trunc(f) || f > 1<<20 {
		return 0, r.errorf("option %s: expected a whole number >= 1, got %v", key, r.e.Options[key])
	}
	return int(f), nil
}

func (r *resolver) optStringMap(key string) (map[string]string, error) {
	v, ok := r.e.Options[key]
	if !ok || v == nil {
		return nil, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, r.errorf("option %s: expected an object of strings, such as {Authorization: \"Bearer ...\"}", key)
	}
	out := make(map[string]string, len(m))
	for k, x := range m {
		s, ok := x.(string)
		if !ok {
			return nil, r.errorf("option %s.%s: expected a string, got %v", key, k, x)
		}
		out[k] = s
	}
	return out, nil
}
