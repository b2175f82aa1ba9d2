package agents

import (
	"context"
	"fmt"
	"strings"

	"github.com/kumeo/kumeo/engine/flow"
)

// RuleViolation is one rule an event failed.
type RuleViolation struct {
	Rule    string // the rule's name
	Message string // the rule's error, or why its condition could not be evaluated
}

// RulesError lists every rule an event failed. It wraps ErrInvalidEvent;
// agents return it wrapped with flow.Permanent.
type RulesError struct {
	Violations []RuleViolation
}

func (e *RulesError) Error() string {
	var b strings.Builder
	if len(e.Violations) == 1 {
		b.WriteString("rule failed: ")
	} else {
		fmt.Fprintf(&b, "%d rules failed: ", len(e.Violations))
	}
	for i, v := range e.Violations {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(v.Rule)
		b.WriteString(" (")
		b.WriteString(v.Message)
		b.WriteString(")")
	}
	return b.String()
}

// Unwrap returns ErrInvalidEvent.
func (e *RulesError) Unwrap() error { return ErrInvalidEvent }

// rule is one compiled rule. A nil cond is a constant condition (true or
// false written as a boolean).
type rule struct {
	name    string
	cond    *flow.Expr
	always  bool // value of a constant condition
	message string
}

// ruleSet is an ordered list of rules; an event passes when every rule
// holds.
type ruleSet []rule

var ruleKeys = []string{"name", "condition", "error", "description"}

// check evaluates every rule (none is skipped after a failure) and returns
// a permanent *RulesError listing each failed one. A condition that cannot
// be evaluated on the event (a missing field compared with a number, a
// string multiplied) counts as failed, with the evaluation error as its
// message. A condition that yields null (a missing field) is false.
func (rs ruleSet) check(data map[string]any) error {
	if data == nil {
		data = noData
	}
	var failed []RuleViolation
	for i := range rs {
		r := &rs[i]
		ok := r.always
		if r.cond != nil {
			var err error
			ok, err = r.cond.Bool(data)
			if err != nil {
				failed = append(failed, RuleViolation{Rule: r.name, Message: "cannot evaluate condition: " + firstLine(err.Error())})
				continue
			}
		}
		if !ok {
			failed = append(failed, RuleViolation{Rule: r.name, Message: r.message})
		}
	}
	if failed == nil {
		return nil
	}
	return flow.Permanent(&RulesError{Violations: failed})
}

// parseRules reads rules given inline as a list (whose elements are rule
// objects or names of rule files), as a file name, or as the content of a
// rule file: a list of rules or an object with a "rules" list. arg names
// the setting in messages.
func (p *params) parseRules(arg string, v any, depth int) (ruleSet, error) {
	switch x := v.(type) {
	case string:
		name := strings.TrimSpace(x)
		if name == "" {
			return nil, p.errorf(arg, "expected a rules file name, not an empty string")
		}
		if depth > 4 {
			return nil, p.errorf(arg, "rule files include each other too deeply at %q", name)
		}
		content, err := p.loadFile(name)
		if err != nil {
			return nil, p.wrap(arg, "cannot read the rules file", err)
		}
		if m, ok := content.(map[string]any); ok {
			inner, has := m["rules"]
			if !has {
				return nil, p.errorf(arg, "expected the file %q to hold a list of rules or { rules: [...] }", name)
			}
			content = inner
		}
		list, ok := content.([]any)
		if !ok {
			return nil, p.errorf(arg, "expected the file %q to hold a list of rules or { rules: [...] }, not %s", name, describe(content))
		}
		return p.parseRuleList(fmt.Sprintf("%s (%s)", arg, name), list, depth+1)
	case []any:
		return p.parseRuleList(arg, x, depth)
	}
	return nil, p.errorf(arg, `expected a list of rules [ { name, condition, error } ] or a rules file name, not %s`, describe(v))
}

func (p *params) parseRuleList(arg string, list []any, depth int) (ruleSet, error) {
	var out ruleSet
	names := map[string]bool{}
	for i, e := range list {
		where := fmt.Sprintf("%s[%d]", arg, i)
		if file, ok := e.(string); ok {
			more, err := p.parseRules(where, file, depth)
			if err != nil {
				return nil, err
			}
			out = append(out, more...)
			continue
		}
		m, ok := e.(map[string]any)
		if !ok {
			return nil, p.errorf(where, `expected a rule { name: "x", condition: "amount > 0", error: "message" } or a rules file name, not %s`, describe(e))
		}
		for k := range m {
			if !contains(ruleKeys, k) {
				return nil, p.errorf(where, "unknown key %q: a rule has %s", k, quoteAll(ruleKeys))
			}
		}
		r := rule{name: fmt.Sprintf("rule %d", len(out)+1)}
		if n, has := m["name"]; has {
			s, ok := n.(string)
			if !ok || strings.TrimSpace(s) == "" {
				return nil, p.errorf(where+".name", "expected a rule name, not %s", describe(n))
			}
			r.name = strings.TrimSpace(s)
		}
		if names[r.name] {
			return nil, p.errorf(where+".name", "duplicate rule name %q: rule names must be unique so failures can be told apart", r.name)
		}
		names[r.name] = true
		switch c := m["condition"].(type) {
		case string:
			expr, err := p.compile(where+".condition", c)
			if err != nil {
				return nil, err
			}
			r.cond = expr
			r.message = fmt.Sprintf("condition %q is false", c)
		case bool:
			r.always = c
			r.message = fmt.Sprintf("condition is %t", c)
		case nil:
			return nil, p.errorf(where, `rule %q has no condition: expected condition: "amount > 0"`, r.name)
		default:
			return nil, p.errorf(where+".condition", `expected an expression string such as "amount > 0", not %s`, describe(c))
		}
		if msg, has := m["error"]; has {
			s, ok := msg.(string)
			if !ok {
				return nil, p.errorf(where+".error", "expected an error message string, not %s", describe(msg))
			}
			r.message = s
		}
		out = append(out, r)
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// RuleChecker is a DecisionMatrix or RuleEngine: it checks every rule on
// every event and emits the event unchanged when all hold. Otherwise it
// fails the event with a permanent *RulesError listing each failed rule's
// name and error message; the runtime then applies on_failure.
type RuleChecker struct {
	rules ruleSet
}

// Process implements flow.Agent.
func (a *RuleChecker) Process(_ context.Context, ev *flow.Event) (flow.Outcome, error) {
	if err := a.rules.check(ev.Data); err != nil {
		return flow.Outcome{}, err
	}
	return flow.Outcome{Action: flow.Emit}, nil
}

// Rules returns the rule names in evaluation order.
func (a *RuleChecker) Rules() []string {
	out := make([]string, len(a.rules))
	for i, r := range a.rules {
		out[i] = r.name
	}
	return out
}

// newDecisionMatrix reads rules: [...] (inline, or a file name) or
// matrix: "file", but not both.
func newDecisionMatrix(cfg *flow.Config) (flow.Agent, error) {
	p, err := newParams(cfg)
	if err != nil {
		return nil, err
	}
	rules, hasRules := p.cfg.Value("rules")
	matrix, hasMatrix := p.cfg.Value("matrix")
	var rs ruleSet
	switch {
	case hasRules && hasMatrix:
		return nil, p.errorf("matrix", "give either rules: [...] or matrix: \"file\", not both")
	case hasMatrix:
		s, ok := matrix.(string)
		if !ok {
			return nil, p.errorf(p.cfg.Where("matrix"), "expected the name of a rules file (JSON or YAML), not %s", describe(matrix))
		}
		rs, err = p.parseRules(p.cfg.Where("matrix"), s, 0)
	case hasRules:
		rs, err = p.parseRules(p.cfg.Where("rules"), rules, 0)
	default:
		return nil, p.errorf("rules", `missing: expected rules: [ { name, condition, error } ] or matrix: "rules.yaml"`)
	}
	if err != nil {
		return nil, err
	}
	if len(rs) == 0 {
		return nil, p.errorf(p.cfg.Where("rules"), "expected at least one rule")
	}
	return &RuleChecker{rules: rs}, nil
}

// newRuleEngine reads rules: "file" or an inline list.
func newRuleEngine(cfg *flow.Config) (flow.Agent, error) {
	p, err := newParams(cfg)
	if err != nil {
		return nil, err
	}
	rules, ok := p.cfg.Value("rules")
	if !ok {
		return nil, p.errorf("rules", `missing: expected rules: "rules.yaml" (a JSON or YAML file) or an inline list [ { name, condition, error } ]`)
	}
	rs, err := p.parseRules(p.cfg.Where("rules"), rules, 0)
	if err != nil {
		return nil, err
	}
	if len(rs) == 0 {
		return nil, p.errorf(p.cfg.Where("rules"), "expected at least one rule")
	}
	return &RuleChecker{rules: rs}, nil
}
