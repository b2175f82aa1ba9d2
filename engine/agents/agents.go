// Package agents implements the agent types of the Kumeo language for the
// local engine; Types binds each to its spec by name:
//
//	DataProcessor        clean-up steps, required fields, JSON Schema, rules, features
//	Router               ordered expression rules to destinations
//	DecisionMatrix       rules checked on every event; failures follow on_failure
//	RuleEngine           DecisionMatrix with rules from a file
//	DataNormalizer       min-max with bounds, or z-score from running statistics
//	MissingValueHandler  mean, median, mode or constant imputation
//
// The model-backed types (LLM, MLModel, BayesianNetwork, HumanReview,
// HumanInLoop, Custom) are registered with factories that fail with an
// error wrapping flow.ErrNotAvailable, so a plan using them fails clearly
// instead of passing events through.
//
// Settings are read through flow.Config, bound to the type's spec in dsl:
// a factory reads only what the spec declares, and a named argument wins
// over the key of the same name in the agent's config object. When the config
// argument is a string it names a JSON or YAML file (relative to the
// workflow's directory) holding the config object.
//
// Failures of an event (a missing field, a failing rule, a schema
// violation, an expression that cannot be evaluated on the event) are
// deterministic: they are wrapped with flow.Permanent so the runtime goes
// straight to on_failure instead of retrying. They also wrap
// ErrInvalidEvent. The `when` argument and every error-handling argument
// are applied by the runtime, not here.
//
// Every agent is safe for concurrent use. Expressions are compiled once per
// agent with config.* folded to constants, field paths are split once, and
// the per-event work allocates only what the output needs.
package agents

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/kumeo/kumeo/dsl"
	"github.com/kumeo/kumeo/engine/flow"
	"go.yaml.in/yaml/v3"
)

// ErrInvalidConfig is wrapped by every error a factory returns for a wrong
// argument or config key.
var ErrInvalidConfig = errors.New("invalid agent configuration")

// ErrInvalidEvent is wrapped by the errors of events that fail validation:
// missing required fields, schema violations and failing rules.
var ErrInvalidEvent = errors.New("event failed validation")

// ConfigError says which argument of which agent is wrong and what was
// expected. It wraps ErrInvalidConfig.
type ConfigError struct {
	Agent string // agent id
	Type  string // agent type
	Arg   string // argument or config key, with an index or sub-key when useful ("steps[1]")
	Msg   string // what is wrong and what was expected
	Err   error  // underlying error (file, expression, schema), if any
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "agent %q (%s)", e.Agent, e.Type)
	if e.Arg != "" {
		fmt.Fprintf(&b, ": %s", e.Arg)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns ErrInvalidConfig and the underlying error.
func (e *ConfigError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrInvalidConfig, e.Err}
	}
	return []error{ErrInvalidConfig}
}

// Types binds every agent type of the language to its factory: the types
// this package runs, and the model-backed ones, whose factories fail with
// an error wrapping flow.ErrNotAvailable.
func Types() []flow.AgentType {
	out := []flow.AgentType{
		{Name: dsl.TypeDataProcessor, New: newDataProcessor, Runnable: true},
		{Name: dsl.TypeRouter, New: newRouter, Runnable: true},
		{Name: dsl.TypeDecisionMatrix, New: newDecisionMatrix, Runnable: true},
		{Name: dsl.TypeRuleEngine, New: newRuleEngine, Runnable: true},
		{Name: dsl.TypeDataNormalizer, New: newDataNormalizer, Runnable: true},
		{Name: dsl.TypeMissingValueHandler, New: newMissingValueHandler, Runnable: true},
	}
	for _, u := range unavailable {
		out = append(out, flow.AgentType{Name: u.typ, New: notAvailable(u.typ, u.what)})
	}
	return out
}

// params reads one agent's settings through its spec-bound config and
// builds its configuration errors.
type params struct {
	cfg     *flow.Config
	id, typ string
}

func newParams(cfg *flow.Config) (*params, error) {
	p := &params{cfg: cfg, id: cfg.ID(), typ: cfg.Type()}
	v, _ := cfg.Value("config")
	if file, ok := v.(string); ok {
		v, err := p.loadFile(file)
		if err != nil {
			return nil, p.wrap("config", "cannot read the config file", err)
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, p.errorf("config", "expected the file %q to hold an object of settings, not %s", file, describe(v))
		}
		p.cfg = cfg.WithSettings(m)
	}
	return p, nil
}

// enum reads a setting whose values the spec lists; absent, it is the
// spec's default.
func (p *params) enum(name string) (string, error) {
	s, err := p.cfg.Enum(name)
	if err != nil {
		return "", p.errorf(p.cfg.Where(name), "%v", err)
	}
	return s, nil
}

func (p *params) errorf(arg, format string, args ...any) error {
	return &ConfigError{Agent: p.id, Type: p.typ, Arg: arg, Msg: fmt.Sprintf(format, args...)}
}

func (p *params) wrap(arg, msg string, err error) error {
	return &ConfigError{Agent: p.id, Type: p.typ, Arg: arg, Msg: msg, Err: err}
}

// compile compiles an expression with the workflow's config folded in.
func (p *params) compile(arg, src string) (*flow.Expr, error) {
	if strings.TrimSpace(src) == "" {
		return nil, p.errorf(arg, "expected an expression such as \"amount > 1000\", not an empty string")
	}
	e, err := flow.CompileExpr(src, p.cfg.Globals)
	if err != nil {
		return nil, p.errorf(arg, "%s", firstLine(err.Error()))
	}
	return e, nil
}

// path resolves a file name against the workflow's directory.
func (p *params) path(name string) string {
	if filepath.IsAbs(name) || p.cfg.Dir == "" {
		return name
	}
	return filepath.Join(p.cfg.Dir, name)
}

// loadFile reads a JSON file (.json) or a YAML file (anything else; YAML
// also reads JSON) into plain Go values.
func (p *params) loadFile(name string) (any, error) {
	b, err := os.ReadFile(p.path(name))
	if err != nil {
		return nil, err
	}
	var v any
	if strings.EqualFold(filepath.Ext(name), ".json") {
		if err := json.Unmarshal(b, &v); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return v, nil
	}
	if err := yaml.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return plain(v), nil
}

// plain converts YAML's map[any]any (non-string keys) to map[string]any.
func plain(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = plain(e)
		}
		return x
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[fmt.Sprint(k)] = plain(e)
		}
		return m
	case []any:
		for i, e := range x {
			x[i] = plain(e)
		}
		return x
	}
	return v
}

// stringList reads a list of non-empty strings.
func (p *params) stringList(name string) ([]string, bool, error) {
	v, ok := p.cfg.Value(name)
	if !ok || v == nil {
		return nil, false, nil
	}
	list, isList := v.([]any)
	if !isList {
		return nil, true, p.errorf(p.cfg.Where(name), "expected a list of field names such as [\"amount\", \"currency\"], not %s", describe(v))
	}
	out := make([]string, 0, len(list))
	for i, e := range list {
		s, isStr := e.(string)
		if !isStr || strings.TrimSpace(s) == "" {
			return nil, true, p.errorf(fmt.Sprintf("%s[%d]", p.cfg.Where(name), i), "expected a field name, not %s", describe(e))
		}
		out = append(out, strings.TrimSpace(s))
	}
	return out, true, nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// quoteAll formats names as "a", "b", "c".
func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

func describe(v any) string { return flow.Describe(v) }

// toFloat converts the numeric types decoded JSON and YAML produce.
func toFloat(v any) (float64, bool) { return flow.ToFloat(v) }

// finite reports whether f is a usable number (not NaN or ±Inf).
func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// noData stands in for an event without data when expressions read it; it
// is never written.
var noData = map[string]any{}

// field is a field name split once: "card.bin" reads data["card"]["bin"].
// A dot always means nesting.
type field struct {
	name  string
	parts []string // nil for a top-level field
}

func newField(name string) field {
	f := field{name: name}
	if strings.Contains(name, ".") {
		f.parts = strings.Split(name, ".")
	}
	return f
}

// get returns the field's value; absent and null both report false.
func (f *field) get(data map[string]any) (any, bool) {
	if f.parts == nil {
		v, ok := data[f.name]
		return v, ok && v != nil
	}
	cur := data
	last := len(f.parts) - 1
	for _, k := range f.parts[:last] {
		next, ok := cur[k].(map[string]any)
		if !ok {
			return nil, false
		}
		cur = next
	}
	v, ok := cur[f.parts[last]]
	return v, ok && v != nil
}

// set writes the field, creating intermediate objects (replacing non-object
// values on the way).
func (f *field) set(data map[string]any, v any) {
	if f.parts == nil {
		data[f.name] = v
		return
	}
	cur := data
	last := len(f.parts) - 1
	for _, k := range f.parts[:last] {
		next, ok := cur[k].(map[string]any)
		if !ok {
			next = make(map[string]any, 1)
			cur[k] = next
		}
		cur = next
	}
	cur[f.parts[last]] = v
}

// checkFieldName validates a field name: identifiers joined by dots.
func checkFieldName(name string) bool {
	for _, part := range strings.Split(name, ".") {
		if part == "" {
			return false
		}
	}
	return true
}
