package agents

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kumeo/kumeo/dsl"
	"github.com/kumeo/kumeo/engine/flow"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

// DataProcessor validates, cleans and reshapes events. Each event goes
// through these stages, in this order, each one optional:
//
//  1. steps: clean-up steps applied in the order given to string fields:
//     every top-level string field, or only the fields listed in
//     config.fields (which may name nested fields as "a.b"). Other values,
//     and strings inside objects and lists, are left alone.
//  2. required_fields: every listed field must be present and not null
//     (an empty string is present); otherwise the event fails naming every
//     missing field.
//  3. schema: the event must satisfy the JSON Schema; otherwise it fails
//     with every violation and where it is.
//  4. rules: like DecisionMatrix rules; every failing rule is reported.
//  5. features: the output holds exactly the listed features, in place of
//     the event's fields: "name" copies a field (absent fields are left
//     out), "name: expr" computes one from the event as it was after
//     stage 1 (features do not see each other). Nothing else is carried
//     over implicitly: the event's identity travels in flow.Event.ID and
//     TraceID, and a field such as "tx_id" is kept by listing it. A
//     computed NaN or infinity (amount / 0) fails the event: JSON cannot
//     carry it.
//
// Failures at stages 2 to 5 are permanent and wrap ErrInvalidEvent.
type DataProcessor struct {
	steps     []step
	stepAll   bool    // steps apply to every top-level string field
	stepOnly  []field // else to these
	required  []field
	schema    *jsonschema.Schema
	rules     ruleSet
	features  []feature
	hasOutput bool // features were given: the output is a new object
	// flat: every feature is a top-level field, so the output is made in
	// place of the input object (which the agent owns) instead of a new
	// one.
	flat bool
}

type step uint8

const (
	stepTrim step = iota
	stepLowercase
	stepUppercase
	stepRemoveSpecial
)

// stepOf binds the clean-up steps the spec lists (dsl.Capabilities.Steps)
// to their implementations; a test checks that the two agree.
var stepOf = map[string]step{"trim": stepTrim, "lowercase": stepLowercase, "uppercase": stepUppercase, "remove_special_chars": stepRemoveSpecial}

type feature struct {
	out  field
	src  field      // copied field, when expr is nil
	expr *flow.Expr // computed feature
}

// Process implements flow.Agent.
func (a *DataProcessor) Process(_ context.Context, ev *flow.Event) (flow.Outcome, error) {
	data := ev.Data
	if data == nil {
		data = map[string]any{}
		ev.Data = data
	}
	if len(a.steps) > 0 {
		a.clean(data)
	}
	if len(a.required) > 0 {
		if err := a.checkRequired(data); err != nil {
			return flow.Outcome{}, err
		}
	}
	if a.schema != nil {
		if err := a.schema.Validate(data); err != nil {
			return flow.Outcome{}, flow.Permanent(fmt.Errorf("%w: schema: %s", ErrInvalidEvent, schemaMessage(err)))
		}
	}
	if len(a.rules) > 0 {
		if err := a.rules.check(data); err != nil {
			return flow.Outcome{}, err
		}
	}
	if a.flat {
		return a.project(data)
	}
	if a.hasOutput {
		out := make(map[string]any, len(a.features))
		for i := range a.features {
			f := &a.features[i]
			if f.expr == nil {
				if v, ok := f.src.get(data); ok {
					f.out.set(out, v)
				}
				continue
			}
			v, err := a.compute(f, data)
			if err != nil {
				return flow.Outcome{}, err
			}
			f.out.set(out, v)
		}
		ev.Data = out
	}
	return flow.Outcome{Action: flow.Emit}, nil
}

// project turns data into the output when every feature is top level:
// the copied features are read and the computed ones evaluated (they see
// the input), then data is cleared and every feature set, leaving out
// copied ones that were absent or null. The result is what the general
// path builds as a new object, without allocating one.
func (a *DataProcessor) project(data map[string]any) (flow.Outcome, error) {
	var vbuf [16]any
	var kbuf [16]bool
	vals, keep := vbuf[:0], kbuf[:0]
	if n := len(a.features); n > len(vbuf) {
		vals, keep = make([]any, 0, n), make([]bool, 0, n)
	}
	for i := range a.features {
		f := &a.features[i]
		if f.expr == nil {
			v, ok := data[f.out.name]
			vals, keep = append(vals, v), append(keep, ok && v != nil)
			continue
		}
		v, err := a.compute(f, data)
		if err != nil {
			return flow.Outcome{}, err
		}
		vals, keep = append(vals, v), append(keep, true)
	}
	clear(data)
	for i := range a.features {
		if keep[i] {
			data[a.features[i].out.name] = vals[i]
		}
	}
	return flow.Outcome{Action: flow.Emit}, nil
}

// compute evaluates a computed feature on data.
func (a *DataProcessor) compute(f *feature, data map[string]any) (any, error) {
	v, err := f.expr.Eval(data)
	if err != nil {
		return nil, flow.Permanent(fmt.Errorf("%w: feature %q: %s", ErrInvalidEvent, f.out.name, firstLine(err.Error())))
	}
	if x, isFloat := v.(float64); isFloat && !finite(x) {
		return nil, flow.Permanent(fmt.Errorf("%w: feature %q: expression %q gave %g, which JSON cannot carry", ErrInvalidEvent, f.out.name, f.expr.Source, x))
	}
	return v, nil
}

func (a *DataProcessor) clean(data map[string]any) {
	if a.stepAll {
		for k, v := range data {
			if s, ok := v.(string); ok {
				if c := a.apply(s); c != s {
					data[k] = c
				}
			}
		}
		return
	}
	for i := range a.stepOnly {
		f := &a.stepOnly[i]
		v, _ := f.get(data)
		if s, ok := v.(string); ok {
			if c := a.apply(s); c != s {
				f.set(data, c)
			}
		}
	}
}

// apply runs the steps on s; it allocates only when a step changes s.
func (a *DataProcessor) apply(s string) string {
	for _, st := range a.steps {
		switch st {
		case stepTrim:
			s = strings.TrimSpace(s)
		case stepLowercase:
			s = strings.ToLower(s)
		case stepUppercase:
			s = strings.ToUpper(s)
		case stepRemoveSpecial:
			s = removeSpecial(s)
		}
	}
	return s
}

// removeSpecial keeps letters, digits and white space (Unicode classes)
// and removes everything else: punctuation, symbols, control characters.
func removeSpecial(s string) string {
	i := 0
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if !keepASCII(c) {
				break
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if !keepRune(r) {
			break
		}
		i += n
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for _, r := range s[i:] {
		if keepRune(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func keepASCII(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

func keepRune(r rune) bool {
	if r < utf8.RuneSelf {
		return keepASCII(byte(r))
	}
	return r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsSpace(r))
}

func (a *DataProcessor) checkRequired(data map[string]any) error {
	var missing []string
	for i := range a.required {
		if _, ok := a.required[i].get(data); !ok {
			missing = append(missing, a.required[i].name)
		}
	}
	if missing == nil {
		return nil
	}
	word := "field"
	if len(missing) > 1 {
		word = "fields"
	}
	return flow.Permanent(fmt.Errorf("%w: missing required %s %s", ErrInvalidEvent, word, quoteAll(missing)))
}

// schemaMessage flattens a validation error to its leaf violations, each
// "at '/path': what is wrong", joined by "; ".
func schemaMessage(err error) string {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return err.Error()
	}
	var msgs []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			msgs = append(msgs, firstLine(e.Error()))
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	return strings.Join(msgs, "; ")
}

func newDataProcessor(cfg *flow.Config) (flow.Agent, error) {
	p, err := newParams(cfg)
	if err != nil {
		return nil, err
	}
	a := &DataProcessor{}
	if err := p.dpSteps(a); err != nil {
		return nil, err
	}
	names, _, err := p.stringList("required_fields")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		a.required = append(a.required, newField(n))
	}
	if v, ok := p.cfg.Value("schema"); ok && v != nil {
		if a.schema, err = p.schema(v); err != nil {
			return nil, err
		}
	}
	if v, ok := p.cfg.Value("rules"); ok && v != nil {
		if a.rules, err = p.parseRules(p.cfg.Where("rules"), v, 0); err != nil {
			return nil, err
		}
	}
	if err := p.dpFeatures(a); err != nil {
		return nil, err
	}
	return a, nil
}

func (p *params) dpSteps(a *DataProcessor) error {
	v, ok := p.cfg.Value("steps")
	if !ok || v == nil {
		return nil
	}
	list, isList := v.([]any)
	if !isList {
		return p.errorf(p.cfg.Where("steps"), "expected a list of steps such as [\"trim\", \"lowercase\"], not %s", describe(v))
	}
	known := p.cfg.Spec.Caps.Steps
	for i, e := range list {
		s, _ := e.(string)
		st, ok := stepOf[s]
		if !ok || !contains(known, s) {
			return p.errorf(fmt.Sprintf("%s[%d]", p.cfg.Where("steps"), i), "unknown step %s: expected one of %s", describe(e), quoteAll(known))
		}
		a.steps = append(a.steps, st)
	}
	names, given, err := p.stringList("fields")
	if err != nil {
		return err
	}
	if !given {
		a.stepAll = true
		return nil
	}
	if len(names) == 0 {
		return p.errorf(p.cfg.Where("fields"), "expected at least one field for the steps (leave fields out to clean every string field)")
	}
	for _, n := range names {
		a.stepOnly = append(a.stepOnly, newField(n))
	}
	return nil
}

func (p *params) dpFeatures(a *DataProcessor) error {
	v, ok := p.cfg.Value("features")
	if !ok || v == nil {
		return nil
	}
	where := p.cfg.Where("features")
	list, isList := v.([]any)
	if !isList {
		return p.errorf(where, `expected a list of features such as ["amount", "large: amount > 1000"], not %s`, describe(v))
	}
	if len(list) == 0 {
		return p.errorf(where, "expected at least one feature: the output holds exactly the listed features")
	}
	seen := map[string]bool{}
	for i, e := range list {
		fw := fmt.Sprintf("%s[%d]", where, i)
		s, isStr := e.(string)
		if !isStr {
			return p.errorf(fw, `expected "name" (copy a field) or "name: expression" (compute one), not %s`, describe(e))
		}
		name, src, computed := splitFeature(s)
		if name == "" {
			return p.errorf(fw, `expected "name" (copy a field) or "name: expression" (compute one), not %q`, s)
		}
		if seen[name] {
			return p.errorf(fw, "duplicate feature %q", name)
		}
		seen[name] = true
		f := feature{out: newField(name)}
		if computed {
			e, err := p.compile(fw, src)
			if err != nil {
				return err
			}
			f.expr = e
		} else {
			f.src = f.out
		}
		a.features = append(a.features, f)
	}
	a.hasOutput = true
	a.flat = true
	for _, f := range a.features {
		a.flat = a.flat && f.out.parts == nil
	}
	return nil
}

// splitFeature splits "name: expr" (computed) or "name" (copied), the
// syntax the checker accepts: a name of identifier characters and dots,
// then the end or a colon.
func splitFeature(v string) (name, expr string, computed bool) {
	s := strings.TrimLeft(v, " \t")
	j := 0
	for j < len(s) && (isIdentByte(s[j]) || s[j] == '.') {
		j++
	}
	name = s[:j]
	if name == "" || '0' <= name[0] && name[0] <= '9' || name[0] == '.' || !checkFieldName(name) {
		return "", "", false
	}
	rest := strings.TrimLeft(s[j:], " \t")
	if rest == "" {
		return name, "", false
	}
	if rest[0] != ':' {
		return "", "", false
	}
	return name, strings.TrimSpace(rest[1:]), true
}

func isIdentByte(c byte) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// schema compiles config.schema: "schemas.<name>" (resolved through the
// workflow's schemas object, whose value is a file name or an inline
// schema), any other string (a file relative to the workflow), or an
// inline object. Files are JSON (.json) or YAML; $ref to other files is
// resolved relative to the schema file.
func (p *params) schema(v any) (*jsonschema.Schema, error) {
	where := p.cfg.Where("schema")
	var doc any
	var loc string
	switch x := v.(type) {
	case map[string]any:
		doc, loc = x, p.inlineSchemaLoc()
	case string:
		ref := strings.TrimSpace(x)
		if name, ok := strings.CutPrefix(ref, "schemas."); ok {
			def, err := p.namedSchema(where, name)
			if err != nil {
				return nil, err
			}
			switch d := def.(type) {
			case map[string]any:
				doc, loc = d, p.inlineSchemaLoc()
			case string:
				ref = d
			default:
				return nil, p.errorf(where, "schemas.%s: expected a file name or an inline schema object, not %s", name, describe(def))
			}
		}
		if doc == nil {
			if ref == "" {
				return nil, p.errorf(where, `expected "schemas.<name>", a JSON Schema file or an inline schema object, not an empty string`)
			}
			var err error
			if doc, err = p.loadSchemaFile(ref); err != nil {
				return nil, p.wrap(where, "cannot read the schema file", err)
			}
			loc = p.path(ref)
		}
	default:
		return nil, p.errorf(where, `expected "schemas.<name>", a JSON Schema file or an inline schema object, not %s`, describe(v))
	}
	if abs, err := filepath.Abs(loc); err == nil {
		loc = abs
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(loc, doc); err != nil {
		return nil, p.wrap(where, "invalid JSON Schema", err)
	}
	sch, err := c.Compile(loc)
	if err != nil {
		return nil, p.errorf(where, "invalid JSON Schema: %s", firstLine(err.Error()))
	}
	return sch, nil
}

func (p *params) inlineSchemaLoc() string {
	return p.path(p.id + ".inline-schema.json")
}

// namedSchema looks name up in the workflow's schemas object.
func (p *params) namedSchema(where, name string) (any, error) {
	var schemas *dsl.Object
	if p.cfg.Workflow != nil {
		schemas = p.cfg.Workflow.Schemas
	}
	if prop := schemas.Get(name); prop != nil {
		return dsl.Interface(prop.Value), nil
	}
	if schemas == nil || len(schemas.Props) == 0 {
		return nil, p.errorf(where, "unknown schema %q: the workflow has no schemas object; expected schemas: { %s: \"%s.json\" }", name, name, name)
	}
	names := make([]string, len(schemas.Props))
	for i, pr := range schemas.Props {
		names[i] = pr.Key
	}
	return nil, p.errorf(where, "unknown schema %q: the workflow's schemas are %s", name, quoteAll(names))
}

// loadSchemaFile reads a schema; JSON keeps numbers exact (json.Number).
func (p *params) loadSchemaFile(name string) (any, error) {
	b, err := os.ReadFile(p.path(name))
	if err != nil {
		return nil, err
	}
	if strings.EqualFold(filepath.Ext(name), ".json") {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return doc, nil
	}
	var doc any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	// Round-trip through JSON so the document holds only JSON types.
	j, err := json.Marshal(plain(doc))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return jsonschema.UnmarshalJSON(bytes.NewReader(j))
}
