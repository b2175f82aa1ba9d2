package engine

import (
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/kumeo/kumeo/dsl"
	"github.com/kumeo/kumeo/engine/endpoints"
	"github.com/kumeo/kumeo/engine/flow"
)

// Diagnostic codes produced when compiling a workflow into a plan.
const (
	CodePlanAgent       = "E0001" // the agent cannot be built (bad config, not available)
	CodePlanEndpoint    = "E0002" // a source or target cannot be used
	CodePlanInput       = "E0003" // an input the engine cannot wire
	CodePlanCycle       = "E0004" // agents feed each other in a loop
	CodePlanNoWorkflow  = "E0005" // nothing to run
	CodePlanExpression  = "E0006" // a when/rule expression does not compile
	CodePlanErrHandling = "E0007" // timeout/retry/on_failure/fallback settings
)

// Plan is a workflow compiled for execution: every agent built, every
// channel resolved to its consumers, every source and target bound to a
// subject.
type Plan struct {
	Workflow *dsl.Workflow
	Name     string
	Sources  []*endpoints.Endpoint
	Targets  []*endpoints.Endpoint
	Agents   []*AgentPlan
	// Consumers maps a channel to the agents reading it; "source" is the
	// workflow's sources.
	Consumers map[string][]*AgentPlan
	DLQ       string
}

// AgentPlan is one agent ready to run.
type AgentPlan struct {
	ID       string
	Type     string
	Def      *dsl.Agent
	Agent    flow.Agent
	Input    string // channel read ("source" for the sources)
	Field    string // selected field of the input event, if any
	Output   string // channel written
	When     *flow.Expr
	Timeout  time.Duration
	Retry    flow.RetryPolicy
	Failure  flow.FailurePolicy
	Fallback string // agent id handling events this agent fails on
	// Routes are the Router's destinations in rule order.
	Routes []Destination
	// Sink is where the agent's output goes when no agent consumes it.
	Sink []Destination
	// Signature identifies the agent's definition: equal signatures mean
	// hot reload can keep the running instance.
	Signature string
}

// Destination is a target subject or an internal channel.
type Destination struct {
	Channel string              // channel name, when the destination is internal
	Target  *endpoints.Endpoint // when the destination is a declared target
}

// Subject returns the NATS subject of a channel in a workflow.
func Subject(workflow, channel string) string {
	return "kumeo." + workflow + "." + channel
}

// DLQSubject is the dead-letter subject of a workflow.
func DLQSubject(workflow string) string { return "kumeo." + workflow + ".dlq" }

// PlanOptions says where relative files are and how endpoints are bound.
type PlanOptions struct {
	Dir       string
	Endpoints endpoints.Options
}

// Compile builds the plan for the named workflow of f (the first workflow
// when name is empty). Problems are returned as diagnostics with the range
// of the offending node; a plan is returned only when there are none.
func Compile(f *dsl.File, name string, opts PlanOptions) (*Plan, dsl.Diagnostics) {
	var diags dsl.Diagnostics
	add := func(code string, n dsl.Node, summary, detail string) {
		diags = append(diags, dsl.Diagnostic{Severity: dsl.SevError, Code: code, Summary: summary, Detail: detail, Filename: f.Filename, Range: rangeOf(n)})
	}
	w := f.Workflow(name)
	if w == nil || w.Kind != dsl.KindWorkflow {
		what := "the file has no workflow block"
		if name != "" {
			what = fmt.Sprintf("no workflow named %q", name)
		}
		add(CodePlanNoWorkflow, nil, "Nothing to run", what)
		return nil, diags
	}
	p := &Plan{Workflow: w, Name: w.Name, Consumers: map[string][]*AgentPlan{}, DLQ: DLQSubject(w.Name)}
	if opts.Endpoints.Dir == "" {
		opts.Endpoints.Dir = opts.Dir
	}
	for _, e := range w.Sources {
		ep, err := endpoints.Source(w.Name, e, opts.Endpoints)
		if err != nil {
			add(CodePlanEndpoint, e.Node, "Source cannot be used", err.Error())
			continue
		}
		p.Sources = append(p.Sources, ep)
	}
	for _, e := range w.Targets {
		ep, err := endpoints.Target(w.Name, e, opts.Endpoints)
		if err != nil {
			add(CodePlanEndpoint, e.Node, "Target cannot be used", err.Error())
			continue
		}
		p.Targets = append(p.Targets, ep)
	}
	if len(w.Sources) == 0 {
		add(CodePlanEndpoint, w.Block.Body, "Workflow has no source", "Add a source such as source: NATS(\"subject\") so events can enter the workflow.")
	}
	globals := map[string]any{}
	if w.Config != nil {
		globals, _ = dsl.Interface(w.Config).(map[string]any)
	}
	byID := map[string]*AgentPlan{}
	for _, a := range w.AllAgents() {
		ap, errs := compileAgent(w, a, globals, opts.Dir)
		for _, e := range errs {
			diags = append(diags, dsl.Diagnostic{Severity: dsl.SevError, Code: e.code, Summary: e.summary, Detail: e.detail, Filename: f.Filename, Range: e.rng})
		}
		if ap == nil {
			continue
		}
		if byID[ap.ID] != nil {
			add(CodePlanAgent, a.Node, "Duplicate agent id", fmt.Sprintf("Another agent is already called %q; ids must be unique.", ap.ID))
			continue
		}
		byID[ap.ID] = ap
		p.Agents = append(p.Agents, ap)
	}
	if diags.HasErrors() {
		return nil, diags
	}
	// Wire channels. Router channel rules produce their channel.
	produced := map[string]bool{"source": true}
	for _, ap := range p.Agents {
		produced[ap.Output] = true
		for _, r := range ap.Routes {
			if r.Channel != "" {
				produced[r.Channel] = true
			}
		}
	}
	for _, ap := range p.Agents {
		if ap.Input == "" {
			continue // input: null
		}
		if !produced[ap.Input] {
			// "source.x" or "agent.output.x" select a field of a produced channel.
			if ch, field, ok := splitProduced(ap.Input, produced); ok {
				ap.Input, ap.Field = ch, joinField(field, ap.Field)
			} else {
				add(CodePlanInput, inputNode(ap.Def), "Input nobody produces", fmt.Sprintf("Agent %q reads channel %q, which no source or agent produces.", ap.ID, ap.Input))
				continue
			}
		}
		p.Consumers[ap.Input] = append(p.Consumers[ap.Input], ap)
	}
	for _, ap := range p.Agents {
		if err := resolveDestinations(p, ap); err != nil {
			add(CodePlanInput, ap.Def.Node, "Unknown destination", err.Error())
		}
		if ap.Fallback != "" && byID[ap.Fallback] == nil {
			add(CodePlanErrHandling, ap.Def.Call.Value("fallback"), "Unknown fallback agent", fmt.Sprintf("Agent %q falls back to %q, which is not an agent of %s.", ap.ID, ap.Fallback, w.Name))
		}
		if fb := ap.Failure.Fallback.Agent; fb != "" && byID[fb] == nil {
			add(CodePlanErrHandling, ap.Def.Call.Value("on_failure"), "Unknown fallback agent", fmt.Sprintf("Agent %q's on_failure falls back to %q, which is not an agent of %s.", ap.ID, fb, w.Name))
		}
	}
	if cyc := findCycle(p); cyc != nil {
		add(CodePlanCycle, cyc[0].Def.Node, "Agents form a cycle", "Events would loop forever: "+cycleText(cyc)+".")
	}
	if diags.HasErrors() {
		return nil, diags
	}
	return p, diags
}

func joinField(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "/" + b
}

// splitProduced finds the longest produced channel that prefixes ch at a
// dot boundary; the rest is a field path.
func splitProduced(ch string, produced map[string]bool) (string, string, bool) {
	for i := strings.LastIndexByte(ch, '.'); i > 0; i = strings.LastIndexByte(ch[:i], '.') {
		if produced[ch[:i]] {
			return ch[:i], strings.ReplaceAll(ch[i+1:], ".", "/"), true
		}
	}
	return "", "", false
}

func inputNode(a *dsl.Agent) dsl.Node {
	if a.Call != nil {
		if n := a.Call.Value("input"); n != nil {
			return n
		}
	}
	return a.Node
}

type planError struct {
	code, summary, detail string
	rng                   dsl.Range
}

func rangeOf(n dsl.Node) dsl.Range {
	if n == nil {
		return dsl.Range{}
	}
	return n.Rng()
}

// compileAgent builds one agent and its error-handling settings.
func compileAgent(w *dsl.Workflow, a *dsl.Agent, globals map[string]any, dir string) (*AgentPlan, []planError) {
	var errs []planError
	fail := func(code string, n dsl.Node, summary, detail string) {
		if n == nil {
			n = a.Node
		}
		errs = append(errs, planError{code, summary, detail, n.Rng()})
	}
	if a.Call == nil {
		fail(CodePlanAgent, a.Node, "Not an agent", "Agents are calls such as DataProcessor(id: \"x\", ...).")
		return nil, errs
	}
	ap := &AgentPlan{ID: a.ID, Type: a.Type, Def: a, Output: a.Output}
	switch len(a.Inputs) {
	case 0:
	case 1:
		in := a.Inputs[0]
		switch in.Kind {
		case dsl.InputDefault, dsl.InputString, dsl.InputPath:
			ap.Input, ap.Field = in.Channel, in.Field
		default:
			fail(CodePlanInput, in.Node, "Input not supported by the local engine", "Use a channel name (\"validated.tx\"), a reference (agent.output) or \"source\".")
		}
	default:
		fail(CodePlanInput, inputNode(a), "Joined inputs are not supported by the local engine yet",
			fmt.Sprintf("Agent %q reads several channels; give it one input channel.", a.ID))
	}
	args := map[string]any{}
	for _, arg := range a.Call.Args {
		if arg.Name != "" {
			args[arg.Name] = dsl.Interface(arg.Value)
		}
	}
	settings, _ := args["config"].(map[string]any)
	if settings == nil {
		settings = map[string]any{}
	}
	if s, ok := args["when"].(string); ok {
		e, err := flow.CompileExpr(s, globals)
		if err != nil {
			fail(CodePlanExpression, a.Call.Value("when"), "Invalid when expression", err.Error())
		}
		ap.When = e
	}
	if v, ok := args["timeout"]; ok {
		s, _ := v.(string)
		d, err := flow.ParseDuration(s)
		if err != nil {
			fail(CodePlanErrHandling, a.Call.Value("timeout"), "Invalid timeout", err.Error())
		}
		ap.Timeout = d
	}
	if v, ok := args["retry"]; ok {
		r, err := flow.ParseRetry(v)
		if err != nil {
			fail(CodePlanErrHandling, a.Call.Value("retry"), "Invalid retry", err.Error())
		}
		ap.Retry = r
	}
	if v, ok := args["on_failure"]; ok {
		fp, err := flow.ParseFailurePolicy(v)
		if err != nil {
			fail(CodePlanErrHandling, a.Call.Value("on_failure"), "Invalid on_failure", err.Error())
		}
		ap.Failure = fp
	}
	if v, ok := args["fallback"]; ok {
		switch fb := v.(type) {
		case string:
			ap.Fallback = fb
		default:
			fail(CodePlanErrHandling, a.Call.Value("fallback"), "Fallback not supported", "Give the id of another agent of the workflow, e.g. fallback: \"manual_review\".")
		}
	}
	factory, ok := flow.LookupAgent(a.Type)
	if !ok {
		detail := fmt.Sprintf("The local engine cannot run agents of type %q.", a.Type)
		if s := suggestType(a.Type); s != "" {
			detail += fmt.Sprintf(" Did you mean %q?", s)
		}
		errs = append(errs, planError{CodePlanAgent, "Unknown agent type", detail, a.Call.NameRange})
		return nil, errs
	}
	agent, err := factory(&flow.Config{Workflow: w, Agent: a, Args: args, Settings: settings, Globals: globals, Dir: dir})
	if err != nil {
		summary := "Agent cannot be built"
		if errors.Is(err, flow.ErrNotAvailable) {
			summary = "Agent type not available yet"
		}
		fail(CodePlanAgent, a.Node, summary, err.Error())
		return nil, errs
	}
	ap.Agent = agent
	if r, ok := agent.(flow.Router); ok {
		for _, dest := range r.Routes() {
			ap.Routes = append(ap.Routes, Destination{Channel: dest})
		}
	}
	ap.Signature = signature(w, a)
	if len(errs) > 0 {
		return nil, errs
	}
	return ap, nil
}

func suggestType(t string) string {
	if s := dsl.Suggest(t, flow.AgentTypes()); len(s) > 0 {
		return s[0]
	}
	return ""
}

// signature is the agent's source text plus its resolved channels: an agent
// whose signature did not change keeps running across a hot reload.
func signature(w *dsl.Workflow, a *dsl.Agent) string {
	var b strings.Builder
	b.WriteString(a.Type)
	b.WriteByte('|')
	b.WriteString(a.ID)
	for _, in := range a.Inputs {
		b.WriteString("|in=" + in.Channel + "/" + in.Field)
	}
	b.WriteString("|out=" + a.Output + "|")
	b.WriteString(fmt.Sprintf("%#v", dsl.Interface(a.Call)))
	if w.Config != nil {
		b.WriteString(fmt.Sprintf("|cfg=%#v", dsl.Interface(w.Config)))
	}
	return b.String()
}

// resolveDestinations binds Router routes and sinks to targets or channels.
func resolveDestinations(p *Plan, ap *AgentPlan) error {
	for i := range ap.Routes {
		ch := ap.Routes[i].Channel
		if subj, ok := strings.CutPrefix(ch, "target."); ok {
			t := findTarget(p, subj)
			if t == nil {
				return fmt.Errorf("agent %q routes to %q but no target has subject %q (targets: %s)", ap.ID, ch, subj, targetList(p))
			}
			ap.Routes[i] = Destination{Target: t}
		}
	}
	if subj, ok := strings.CutPrefix(ap.Output, "target."); ok {
		t := findTarget(p, subj)
		if t == nil {
			return fmt.Errorf("agent %q outputs to %q but no target has subject %q (targets: %s)", ap.ID, ap.Output, subj, targetList(p))
		}
		ap.Sink = []Destination{{Target: t}}
		return nil
	}
	if len(p.Consumers[ap.Output]) > 0 || len(ap.Routes) > 0 {
		return nil
	}
	// The last agent of the pipeline publishes to every target; another
	// unconsumed output is published on its channel subject.
	all := p.Agents
	if ap == all[len(all)-1] && len(p.Targets) > 0 {
		for _, t := range p.Targets {
			ap.Sink = append(ap.Sink, Destination{Target: t})
		}
		return nil
	}
	ap.Sink = []Destination{{Channel: ap.Output}}
	return nil
}

func findTarget(p *Plan, subj string) *endpoints.Endpoint {
	for _, t := range p.Targets {
		if t.Decl != nil && t.Decl.Address == subj || t.Subject == subj {
			return t
		}
	}
	return nil
}

func targetList(p *Plan) string {
	var out []string
	for _, t := range p.Targets {
		out = append(out, t.Subject)
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ", ")
}

// findCycle returns agents forming a cycle through channels, or nil.
func findCycle(p *Plan) []*AgentPlan {
	next := func(ap *AgentPlan) []*AgentPlan {
		var out []*AgentPlan
		out = append(out, p.Consumers[ap.Output]...)
		for _, r := range ap.Routes {
			if r.Channel != "" {
				out = append(out, p.Consumers[r.Channel]...)
			}
		}
		return out
	}
	const (
		white = iota
		grey
		black
	)
	color := map[*AgentPlan]int{}
	var stack []*AgentPlan
	var found []*AgentPlan
	var visit func(ap *AgentPlan) bool
	visit = func(ap *AgentPlan) bool {
		color[ap] = grey
		stack = append(stack, ap)
		for _, n := range next(ap) {
			if color[n] == grey {
				for i, s := range stack {
					if s == n {
						found = append([]*AgentPlan(nil), stack[i:]...)
					}
				}
				return true
			}
			if color[n] == white && visit(n) {
				return true
			}
		}
		stack = stack[:len(stack)-1]
		color[ap] = black
		return false
	}
	agents := append([]*AgentPlan(nil), p.Agents...)
	sort.SliceStable(agents, func(i, j int) bool { return agents[i].ID < agents[j].ID })
	for _, ap := range agents {
		if color[ap] == white && visit(ap) {
			return found
		}
	}
	return nil
}

func cycleText(c []*AgentPlan) string {
	var ids []string
	for _, ap := range c {
		ids = append(ids, ap.ID)
	}
	return strings.Join(append(ids, c[0].ID), " → ")
}

// workflowDir returns the directory relative files of a workflow file are
// resolved against.
func workflowDir(filename string) string {
	if filename == "" {
		return "."
	}
	return filepath.Dir(filename)
}
