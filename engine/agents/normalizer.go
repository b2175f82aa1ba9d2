package agents

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"github.com/kumeo/kumeo/engine/flow"
)

// Normalisation methods of DataNormalizer; the spec of its method setting
// lists them.
const (
	MethodMinMax = "min_max"
	MethodZScore = "z_score"
)

// DataNormalizer rewrites numeric fields in place:
//
//   - min_max, for fields given with bounds (fields: { temp: { min: -40,
//     max: 150 } }): (x - min) / (max - min), clamped to [0, 1];
//   - z_score, for fields given without bounds (a list, or { x: {} }) or
//     with method: "z_score": (x - mean) / std, where mean and the
//     population standard deviation are running statistics (Welford) that
//     include the value itself; 0 until the field has varied.
//
// Absent and null fields are left alone (put a MissingValueHandler first
// to fill them); a field holding something other than a number fails the
// event permanently. Non-finite numbers (NaN, ±Inf) are left as they are
// and never enter the statistics.
//
// The running statistics are per field, each behind its own mutex; State
// and Restore carry them across a hot reload as a NormalizerState.
type DataNormalizer struct {
	fields []normField
}

type normField struct {
	field
	minMax   bool
	min, max float64
	mu       sync.Mutex
	stats    welford
}

// NormalizerState is the running state of a DataNormalizer: the
// statistics of its z-score fields.
type NormalizerState struct {
	Fields map[string]FieldStats `json:"fields"`
}

// Process implements flow.Agent.
func (a *DataNormalizer) Process(_ context.Context, ev *flow.Event) (flow.Outcome, error) {
	for i := range a.fields {
		f := &a.fields[i]
		v, ok := f.get(ev.Data)
		if !ok {
			continue
		}
		x, ok := toFloat(v)
		if !ok {
			return flow.Outcome{}, flow.Permanent(fmt.Errorf("%w: field %q: expected a number to normalise, got %s", ErrInvalidEvent, f.name, describe(v)))
		}
		if !finite(x) {
			continue
		}
		var y float64
		if f.minMax {
			y = (x - f.min) / (f.max - f.min)
			y = max(0, min(1, y))
		} else {
			f.mu.Lock()
			f.stats.add(x)
			mean, std := f.stats.mean, f.stats.std()
			f.mu.Unlock()
			if std > 0 {
				y = (x - mean) / std
			}
		}
		f.set(ev.Data, y)
	}
	return flow.Outcome{Action: flow.Emit}, nil
}

// State implements flow.Stateful; it returns a NormalizerState.
func (a *DataNormalizer) State() any {
	st := NormalizerState{Fields: map[string]FieldStats{}}
	for i := range a.fields {
		f := &a.fields[i]
		if f.minMax {
			continue
		}
		f.mu.Lock()
		st.Fields[f.name] = f.stats.export()
		f.mu.Unlock()
	}
	return st
}

// Restore implements flow.Stateful. It takes the statistics of fields
// that are still z-score fields from a NormalizerState (or a pointer to
// one); anything else is ignored and those fields start afresh.
func (a *DataNormalizer) Restore(state any) {
	saved := savedFields[NormalizerState](state, func(s NormalizerState) map[string]FieldStats { return s.Fields })
	for i := range a.fields {
		f := &a.fields[i]
		if fs, ok := saved[f.name]; ok && !f.minMax && fs.Count >= 0 {
			f.mu.Lock()
			f.stats = fs.welford()
			f.mu.Unlock()
		}
	}
}

func newDataNormalizer(cfg *flow.Config) (flow.Agent, error) {
	p, err := newParams(cfg)
	if err != nil {
		return nil, err
	}
	method, err := p.enum("method")
	if err != nil {
		return nil, err
	}
	v, ok := p.cfg.Value("fields")
	if !ok {
		return nil, p.errorf("config.fields", `missing: expected a list of fields to z-score, or { field: { min, max } } for min-max`)
	}
	where := p.cfg.Where("fields")
	a := &DataNormalizer{}
	switch x := v.(type) {
	case []any:
		names, _, err := p.stringList("fields")
		if err != nil {
			return nil, err
		}
		if method == MethodMinMax {
			return nil, p.errorf(where, `method "min_max" needs bounds: expected { field: { min: 0, max: 100 } }, not a list of names`)
		}
		a.fields = make([]normField, len(names))
		for i, n := range names {
			a.fields[i].field = newField(n)
		}
	case map[string]any:
		names := make([]string, 0, len(x))
		for n := range x {
			names = append(names, n)
		}
		sort.Strings(names)
		a.fields = make([]normField, len(names))
		for i, n := range names {
			f := &a.fields[i]
			f.field = newField(n)
			fw := fmt.Sprintf("%s.%s", where, n)
			bounds, err := p.bounds(fw, x[n])
			if err != nil {
				return nil, err
			}
			switch {
			case bounds == nil && method == MethodMinMax:
				return nil, p.errorf(fw, `method "min_max" needs bounds: expected { min: 0, max: 100 }`)
			case bounds != nil && method == MethodZScore:
				return nil, p.errorf(fw, `method "z_score" uses running statistics, not bounds: expected {} or a list of field names`)
			case bounds != nil:
				f.minMax, f.min, f.max = true, bounds[0], bounds[1]
			}
		}
	default:
		return nil, p.errorf(where, `expected a list of fields or { field: { min, max } }, not %s`, describe(v))
	}
	if len(a.fields) == 0 {
		return nil, p.errorf(where, "expected at least one field")
	}
	for i := range a.fields {
		if n := a.fields[i].name; !checkFieldName(n) {
			return nil, p.errorf(where, "invalid field name %q", n)
		}
	}
	return a, nil
}

// bounds reads { min, max }; nil or {} means no bounds.
func (p *params) bounds(where string, v any) (*[2]float64, error) {
	if v == nil {
		return nil, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, p.errorf(where, "expected { min: 0, max: 100 } or {}, not %s", describe(v))
	}
	if len(m) == 0 {
		return nil, nil
	}
	for k := range m {
		if k != "min" && k != "max" {
			return nil, p.errorf(where, "unknown key %q: expected { min, max }", k)
		}
	}
	lo, okLo := toFloat(m["min"])
	hi, okHi := toFloat(m["max"])
	if !okLo || !finite(lo) {
		return nil, p.errorf(where+".min", "expected a number, not %s", describe(m["min"]))
	}
	if !okHi || !finite(hi) {
		return nil, p.errorf(where+".max", "expected a number, not %s", describe(m["max"]))
	}
	if hi <= lo {
		return nil, p.errorf(where, "expected max greater than min, got min %g and max %g", lo, hi)
	}
	return &[2]float64{lo, hi}, nil
}
