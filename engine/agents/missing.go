package agents

import (
	"context"
	"fmt"
	"sync"

	"github.com/kumeo/kumeo/engine/flow"
)

// Imputation strategies of MissingValueHandler; the spec of its strategy
// argument lists them and gives the default.
const (
	StrategyMean     = "mean_imputation"
	StrategyMedian   = "median_imputation"
	StrategyMode     = "mode_imputation"
	StrategyConstant = "constant"
)

// MissingValueHandler fills absent or null fields listed in config.fields.
// Every present value of those fields feeds the field's running statistic,
// and a missing one is replaced by the statistic's current value:
//
//   - mean_imputation (the default): running mean of the numbers seen;
//   - median_imputation: streaming median estimate (P², constant space;
//     exact for the first five values, then an estimate that follows the
//     sample median closely on smooth distributions);
//   - mode_imputation: most frequent value, numbers, strings or booleans
//     alike (Space-Saving over 128 counters: exact while a field has at
//     most 128 distinct values);
//   - constant: config.value.
//
// For the statistical strategies, config.value (optional) fills fields
// before any value has been seen; without it such fields stay missing.
// With mean and median, a present field that is not a number fails the
// event permanently. Each field's statistic has its own mutex; State and
// Restore carry them across a hot reload as an ImputerState.
type MissingValueHandler struct {
	strategy string
	fallback any // config.value, a string, float64 or bool; nil when absent
	fields   []imputeField
}

type imputeField struct {
	field
	mu     sync.Mutex
	mean   welford
	median p2
	mode   modeCount
}

// ImputerState is the running state of a MissingValueHandler: per field,
// the statistic its strategy uses.
type ImputerState struct {
	Fields map[string]FieldStats `json:"fields"`
}

// Process implements flow.Agent.
func (a *MissingValueHandler) Process(_ context.Context, ev *flow.Event) (flow.Outcome, error) {
	if ev.Data == nil {
		ev.Data = make(map[string]any, len(a.fields))
	}
	for i := range a.fields {
		f := &a.fields[i]
		v, present := f.get(ev.Data)
		if a.strategy == StrategyConstant {
			if !present {
				f.set(ev.Data, a.fallback)
			}
			continue
		}
		if present {
			if err := a.observe(f, v); err != nil {
				return flow.Outcome{}, err
			}
			continue
		}
		if fill, ok := a.current(f); ok {
			f.set(ev.Data, fill)
		} else if a.fallback != nil {
			f.set(ev.Data, a.fallback)
		}
	}
	return flow.Outcome{Action: flow.Emit}, nil
}

func (a *MissingValueHandler) observe(f *imputeField, v any) error {
	if a.strategy == StrategyMode {
		if k, ok := modeKey(v); ok {
			f.mu.Lock()
			f.mode.add(k)
			f.mu.Unlock()
		}
		return nil
	}
	x, ok := toFloat(v)
	if !ok {
		return flow.Permanent(fmt.Errorf("%w: field %q: expected a number for %s, got %s", ErrInvalidEvent, f.name, a.strategy, describe(v)))
	}
	if !finite(x) {
		return nil
	}
	f.mu.Lock()
	if a.strategy == StrategyMean {
		f.mean.add(x)
	} else {
		f.median.add(x)
	}
	f.mu.Unlock()
	return nil
}

// current returns the value that fills the field now.
func (a *MissingValueHandler) current(f *imputeField) (any, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch a.strategy {
	case StrategyMean:
		if f.mean.n == 0 {
			return nil, false
		}
		return f.mean.mean, true
	case StrategyMedian:
		m, ok := f.median.value()
		if !ok {
			return nil, false
		}
		return m, true
	}
	return f.mode.value()
}

// State implements flow.Stateful; it returns an ImputerState.
func (a *MissingValueHandler) State() any {
	st := ImputerState{Fields: map[string]FieldStats{}}
	if a.strategy == StrategyConstant {
		return st
	}
	for i := range a.fields {
		f := &a.fields[i]
		var fs FieldStats
		f.mu.Lock()
		switch a.strategy {
		case StrategyMean:
			fs = f.mean.export()
		case StrategyMedian:
			fs = FieldStats{Count: f.median.n, Median: f.median.export()}
		case StrategyMode:
			fs = FieldStats{Mode: f.mode.export()}
			for _, vc := range fs.Mode {
				fs.Count += vc.Count
			}
		}
		f.mu.Unlock()
		st.Fields[f.name] = fs
	}
	return st
}

// Restore implements flow.Stateful. It takes, for each field, the part of
// an ImputerState (or a pointer to one) the strategy uses; fields without
// it start afresh.
func (a *MissingValueHandler) Restore(state any) {
	saved := savedFields[ImputerState](state, func(s ImputerState) map[string]FieldStats { return s.Fields })
	for i := range a.fields {
		if fs, ok := saved[a.fields[i].name]; ok {
			a.fields[i].restore(a.strategy, fs)
		}
	}
}

// restore takes the statistic of strategy from fs, when fs holds it.
func (f *imputeField) restore(strategy string, fs FieldStats) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case strategy == StrategyMean && fs.Count > 0 && fs.Median == nil && fs.Mode == nil:
		f.mean = fs.welford()
	case strategy == StrategyMedian && fs.Median != nil && fs.Median.N >= 0:
		f.median = fs.Median.p2()
	case strategy == StrategyMode && fs.Mode != nil:
		f.mode = restoreMode(fs.Mode)
	}
}

func newMissingValueHandler(cfg *flow.Config) (flow.Agent, error) {
	p, err := newParams(cfg)
	if err != nil {
		return nil, err
	}
	a := &MissingValueHandler{}
	if a.strategy, err = p.enum("strategy"); err != nil {
		return nil, err
	}
	if v, ok := p.cfg.Value("value"); ok && v != nil {
		switch x := v.(type) {
		case string, bool:
			a.fallback = x
		default:
			f, ok := toFloat(v)
			if !ok || !finite(f) {
				return nil, p.errorf(p.cfg.Where("value"), "expected a number, string or boolean to fill missing fields with, not %s", describe(v))
			}
			a.fallback = f
		}
	}
	if a.strategy == StrategyConstant && a.fallback == nil {
		return nil, p.errorf("config.value", `missing: strategy "constant" fills missing fields with config.value, e.g. value: 0`)
	}
	if (a.strategy == StrategyMean || a.strategy == StrategyMedian) && a.fallback != nil {
		if _, isNum := a.fallback.(float64); !isNum {
			return nil, p.errorf(p.cfg.Where("value"), "expected a number for strategy %q, not %s", a.strategy, describe(a.fallback))
		}
	}
	names, ok, err := p.stringList("fields")
	if err != nil {
		return nil, err
	}
	if !ok || len(names) == 0 {
		return nil, p.errorf("config.fields", `missing: expected the fields to fill, e.g. fields: ["temp", "vibration"]`)
	}
	a.fields = make([]imputeField, len(names))
	for i, n := range names {
		if !checkFieldName(n) {
			return nil, p.errorf(fmt.Sprintf("%s[%d]", p.cfg.Where("fields"), i), "invalid field name %q", n)
		}
		a.fields[i].field = newField(n)
	}
	return a, nil
}
