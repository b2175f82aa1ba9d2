package agents

import (
	"context"
	"fmt"
	"strings"

	"github.com/kumeo/kumeo/dsl"
	"github.com/kumeo/kumeo/engine/flow"
)

// Router sends each event to the destination of the first rule whose
// expression is true, in the order the rules are written; the "default"
// rule, wherever it is written, is tried last. Routes lists one destination
// per rule in that order (default last), so Outcome.Route is the index of
// the matching rule. With no match and no default the event is filtered.
//
// A rule whose expression cannot be evaluated on the event (for example a
// missing field compared with a number) fails the event permanently,
// naming the rule: guarding it is the author's choice (`score ?? 0 > 0.5`),
// routing it silently elsewhere is not.
type Router struct {
	exprs      []*flow.Expr
	routes     []string // len(exprs) destinations, then the default if any
	hasDefault bool
}

// NoMatchReason is the Outcome.Reason of events no Router rule matched
// when there is no default.
const NoMatchReason = "no rule matched and the Router has no \"default\""

// Routes implements flow.Router.
func (r *Router) Routes() []string { return r.routes }

// Process implements flow.Agent.
func (r *Router) Process(_ context.Context, ev *flow.Event) (flow.Outcome, error) {
	data := ev.Data
	if data == nil {
		data = noData
	}
	for i, e := range r.exprs {
		ok, err := e.Bool(data)
		if err != nil {
			return flow.Outcome{}, flow.Permanent(fmt.Errorf("%w: rule %q: %s", ErrInvalidEvent, e.Source, firstLine(err.Error())))
		}
		if ok {
			return flow.Outcome{Action: flow.Route, Route: i}, nil
		}
	}
	if r.hasDefault {
		return flow.Outcome{Action: flow.Route, Route: len(r.exprs)}, nil
	}
	return flow.Outcome{Action: flow.Filter, Reason: NoMatchReason}, nil
}

type routeRule struct {
	key  string
	dest any
}

// newRouter reads rules: { "expr": destination, ..., "default": destination }.
// The order comes from the syntax tree; a configuration built without one
// (a config file, or by hand) may have at most one rule besides default,
// because a decoded object has no order.
func newRouter(cfg *flow.Config) (flow.Agent, error) {
	p, err := newParams(cfg)
	if err != nil {
		return nil, err
	}
	v, ok := p.cfg.Value("rules")
	if !ok {
		return nil, p.errorf("rules", `missing: expected rules: { "amount > 1000": "target.<subject>", "default": "..." }`)
	}
	where := p.cfg.Where("rules")
	var rules []routeRule
	switch n := p.cfg.Node("rules").(type) {
	case *dsl.Object:
		for _, prop := range n.Props {
			rules = append(rules, routeRule{key: prop.Key, dest: dsl.Interface(prop.Value)})
		}
	default:
		m, isMap := v.(map[string]any)
		if !isMap {
			return nil, p.errorf(where, `expected an object of rules { "expression": "target.<subject>" or a channel, ..., "default": ... }, not %s`, describe(v))
		}
		_, hasDefault := m["default"]
		if n := len(m) - boolInt(hasDefault); n > 1 {
			return nil, p.errorf(where, "the order of %d rules is unknown: Router rules must be written in the workflow file, where their order is kept", n)
		}
		for k, d := range m {
			rules = append(rules, routeRule{key: k, dest: d})
		}
	}
	r := &Router{}
	var def string
	for _, rr := range rules {
		dest, ok := rr.dest.(string)
		dest = strings.TrimSpace(dest)
		if !ok || dest == "" {
			return nil, p.errorf(fmt.Sprintf("%s[%q]", where, rr.key), `expected "target.<subject>" or a channel name, not %s`, describe(rr.dest))
		}
		if strings.TrimSpace(rr.key) == "default" {
			if r.hasDefault {
				return nil, p.errorf(where, "more than one \"default\" rule")
			}
			r.hasDefault, def = true, dest
			continue
		}
		e, err := p.compile(fmt.Sprintf("%s[%q]", where, rr.key), rr.key)
		if err != nil {
			return nil, err
		}
		r.exprs = append(r.exprs, e)
		r.routes = append(r.routes, dest)
	}
	if r.hasDefault {
		r.routes = append(r.routes, def)
	}
	if len(r.routes) == 0 {
		return nil, p.errorf(where, `expected at least one rule { "expression": "target.<subject>" }`)
	}
	return r, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
