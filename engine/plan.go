package engine

import (
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/kumeo/kumeo/dsl"
	"github.com/kumeo/kumeo/dsl/subject"
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
	CodePlanSubworkflow = "E0008" // an integration wires a subworkflow into the workflow
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
	return subject.Channel(workflow, channel)
}

// DLQSubject is the dead-letter subject of a workflow.
func DLQSubject(workflow string) string { return subject.DLQ(workflow) }

// PlanOptions says where relative files are and how endpoints are bound.
type PlanOptions struct {
	Dir       string
	Endpoints endpoints.Options
}

// Compile builds the plan for the named workflow of f (the first workflow
// when name is empty). Problems are returned as diagnostics with the range
// of the offending node; a plan is returned only when there are no errors.
// Warnings say what the run goes without (contexts, output_schema checks,
// on_failure notifications), with the code the checker gives the same
// constructs, dsl.CodeNotRunnable.
func Compile(f *dsl.File, name string, opts PlanOptions) (*Plan, dsl.Diagnostics) {
	c := &planner{f: f}
	w := f.Workflow(name)
	if w == nil || w.Kind != dsl.KindWorkflow {
		what := "the file has no workflow block"
		if name != "" {
			what = fmt.Sprintf("no workflow named %q", name)
		}
		c.add(CodePlanNoWorkflow, nil, "Nothing to run", what)
		return nil, c.diags
	}
	c.refuseIntegrations(w)
	for _, e := range w.Contexts {
		var n ranged = e.Node
		if e.Call != nil {
			n = nameNode{e.Call}
		}
		c.skip(n, "Context not used by the local engine",
			fmt.Sprintf("The run goes on without %s: no agent the local engine runs reads contexts.", e.Label()))
	}
	p := &Plan{Workflow: w, Name: w.Name, Consumers: map[string][]*AgentPlan{}, DLQ: DLQSubject(w.Name)}
	c.bindEndpoints(p, opts)
	byID := c.buildAgents(p, opts.Dir)
	if c.diags.HasErrors() {
		return nil, c.diags
	}
	c.wire(p)
	c.resolve(p, byID)
	if c.diags.HasErrors() {
		return nil, c.diags
	}
	return p, c.diags
}

// planner collects the diagnostics of one Compile.
type planner struct {
	f     *dsl.File
	diags dsl.Diagnostics
}

// add reports an error on n.
func (c *planner) add(code string, n ranged, summary, detail string) {
	c.diags = append(c.diags, dsl.Diagnostic{Severity: dsl.SevError, Code: code, Summary: summary, Detail: detail, Filename: c.f.Filename, Range: rangeOf(n)})
}

// skip warns about a construct the run goes without.
func (c *planner) skip(n ranged, summary, detail string) {
	c.diags = append(c.diags, dsl.Diagnostic{Severity: dsl.SevWarning, Code: dsl.CodeNotRunnable, Summary: summary, Detail: detail, Filename: c.f.Filename, Range: rangeOf(n)})
}

// refuseIntegrations reports each integration wiring a subworkflow into w.
func (c *planner) refuseIntegrations(w *dsl.Workflow) {
	for _, b := range c.f.Blocks {
		if b.Kind != dsl.KindIntegration || b.Body == nil || blockName(b.Body.Value("workflow")) != w.Name {
			continue
		}
		use := b.Body.Value("use")
		if use == nil {
			use = b.Body
		}
		c.add(CodePlanSubworkflow, use, "Subworkflows do not run in the local engine yet",
			fmt.Sprintf("The integration at line %d wires subworkflow %s into %s; the local engine runs none of %s rather than a part of it.",
				b.KindRange.Start.Line, blockName(b.Body.Value("use")), w.Name, w.Name))
	}
}

// bindEndpoints binds the workflow's sources and targets.
func (c *planner) bindEndpoints(p *Plan, opts PlanOptions) {
	w := p.Workflow
	if opts.Endpoints.Dir == "" {
		opts.Endpoints.Dir = opts.Dir
	}
	for _, side := range []struct {
		decls   []*dsl.Endpoint
		bind    func(string, *dsl.Endpoint, endpoints.Options) (*endpoints.Endpoint, error)
		bound   *[]*endpoints.Endpoint
		summary string
	}{
		{w.Sources, endpoints.Source, &p.Sources, "Source cannot be used"},
		{w.Targets, endpoints.Target, &p.Targets, "Target cannot be used"},
	} {
		for _, e := range side.decls {
			ep, err := side.bind(w.Name, e, opts.Endpoints)
			if err != nil {
				c.add(CodePlanEndpoint, e.Node, side.summary, err.Error())
				continue
			}
			*side.bound = append(*side.bound, ep)
		}
	}
	if len(w.Sources) == 0 {
		c.add(CodePlanEndpoint, w.Block.Body, "Workflow has no source", "Add a source such as source: NATS(\"subject\") so events can enter the workflow.")
	}
}

// buildAgents builds every agent of the workflow and returns them by id.
func (c *planner) buildAgents(p *Plan, dir string) map[string]*AgentPlan {
	w := p.Workflow
	globals := map[string]any{}
	if w.Config != nil {
		globals, _ = dsl.Interface(w.Config).(map[string]any)
	}
	byID := map[string]*AgentPlan{}
	for _, a := range w.AllAgents() {
		ap, errs := compileAgent(w, a, globals, dir)
		for _, e := range errs {
			sev := dsl.SevError
			if e.code == dsl.CodeNotRunnable {
				sev = dsl.SevWarning
			}
			c.diags = append(c.diags, dsl.Diagnostic{Severity: sev, Code: e.code, Summary: e.summary, Detail: e.detail, Filename: c.f.Filename, Range: e.rng})
		}
		if ap == nil {
			continue
		}
		if byID[ap.ID] != nil {
			c.add(CodePlanAgent, a.Node, "Duplicate agent id", fmt.Sprintf("Another agent is already called %q; ids must be unique.", ap.ID))
			continue
		}
		byID[ap.ID] = ap
		p.Agents = append(p.Agents, ap)
	}
	return byID
}

// wire binds each agent's input to the channel producing it. Route rules
// to channels produce their channel.
func (c *planner) wire(p *Plan) {
	w := p.Workflow
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
			} else if isSourceAddress(w, ap.Input) {
				// The source's own subject is the source.
				if len(w.Sources) > 1 {
					c.add(CodePlanInput, inputNode(ap.Def), "Reading one of several sources does not run in the local engine",
						fmt.Sprintf("Agent %q reads source %q alone; the local engine reads \"source\", the events of every source.", ap.ID, ap.Input))
					continue
				}
				ap.Input = "source"
			}
			// Otherwise nothing in the workflow produces the channel:
			// the agent reads what other systems publish on its subject.
		}
		switch {
		case strings.ContainsAny(ap.Input, "*>"):
			c.add(CodePlanInput, inputNode(ap.Def), "Wildcard inputs do not run in the local engine",
				fmt.Sprintf("Agent %q reads %q; name the one channel it reads.", ap.ID, ap.Input))
			continue
		case strings.HasPrefix(ap.Input, "target."):
			c.add(CodePlanInput, inputNode(ap.Def), "Reading an agent that publishes to a target does not run in the local engine",
				fmt.Sprintf("Agent %q reads %q, whose events go to a target; let the agent it reads publish on a channel.", ap.ID, ap.Input))
			continue
		}
		p.Consumers[ap.Input] = append(p.Consumers[ap.Input], ap)
	}
}

// resolve binds destinations and fallbacks, and reports a cycle.
func (c *planner) resolve(p *Plan, byID map[string]*AgentPlan) {
	w := p.Workflow
	for _, ap := range p.Agents {
		if err := resolveDestinations(p, ap); err != nil {
			c.add(CodePlanInput, ap.Def.Node, "Unknown destination", err.Error())
		}
		if ap.Fallback != "" && byID[ap.Fallback] == nil {
			c.add(CodePlanErrHandling, ap.Def.Call.Value("fallback"), "Unknown fallback agent", fmt.Sprintf("Agent %q falls back to %q, which is not an agent of %s.", ap.ID, ap.Fallback, w.Name))
		}
		if fb := ap.Failure.Fallback.Agent; fb != "" && byID[fb] == nil {
			c.add(CodePlanErrHandling, ap.Def.Call.Value("on_failure"), "Unknown fallback agent", fmt.Sprintf("Agent %q's on_failure falls back to %q, which is not an agent of %s.", ap.ID, fb, w.Name))
		}
	}
	if cyc := findCycle(p); cyc != nil {
		c.add(CodePlanCycle, cyc[0].Def.Node, "Agents form a cycle", "Events would loop forever: "+cycleText(cyc)+".")
	}
}

// blockName is the name an integration's workflow: or use: gives.
func blockName(n dsl.Node) string {
	switch v := n.(type) {
	case *dsl.Path:
		return v.String()
	case *dsl.String:
		return strings.TrimSpace(v.Text())
	}
	return ""
}

// nameNode is the name of a call, as the node a diagnostic points at.
type nameNode struct{ c *dsl.Call }

func (n nameNode) Rng() dsl.Range { return n.c.NameRange }

func isSourceAddress(w *dsl.Workflow, ch string) bool {
	for _, s := range w.Sources {
		if s.Address == ch {
			return true
		}
	}
	return false
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

// ranged is what a diagnostic points at: a node, or part of one.
type ranged interface{ Rng() dsl.Range }

func rangeOf(n ranged) dsl.Range {
	if n == nil {
		return dsl.Range{}
	}
	return n.Rng()
}

// compileAgent builds one agent and its error-handling settings.
func compileAgent(w *dsl.Workflow, a *dsl.Agent, globals map[string]any, dir string) (*AgentPlan, []planError) {
	c := &agentCompiler{w: w, a: a}
	if a.Call == nil {
		c.fail(CodePlanAgent, a.Node, "Not an agent", "Agents are calls such as DataProcessor(id: \"x\", ...).")
		return nil, c.errs
	}
	ap := &AgentPlan{ID: a.ID, Type: a.Type, Def: a, Output: a.Output}
	c.input(ap)
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
	c.when(ap, args, globals)
	c.policies(ap, args)
	c.skipped()
	c.fallback(ap, args)
	if !c.build(ap, args, settings, globals, dir) {
		return nil, c.errs
	}
	ap.Signature = signature(w, a)
	for _, e := range c.errs {
		if e.code != dsl.CodeNotRunnable {
			return nil, c.errs
		}
	}
	return ap, c.errs
}

// agentCompiler collects the problems of building one agent.
type agentCompiler struct {
	w    *dsl.Workflow
	a    *dsl.Agent
	errs []planError
}

// fail reports an error on n (the agent when n is nil).
func (c *agentCompiler) fail(code string, n ranged, summary, detail string) {
	if n == nil {
		n = c.a.Node
	}
	c.errs = append(c.errs, planError{code, summary, detail, n.Rng()})
}

// skip warns about a setting the run goes without.
func (c *agentCompiler) skip(n ranged, summary, detail string) {
	c.errs = append(c.errs, planError{dsl.CodeNotRunnable, summary, detail, n.Rng()})
}

// input sets the channel the agent reads.
func (c *agentCompiler) input(ap *AgentPlan) {
	a := c.a
	switch len(a.Inputs) {
	case 0:
	case 1:
		in := a.Inputs[0]
		switch in.Kind {
		case dsl.InputDefault, dsl.InputString:
			ap.Input, ap.Field = in.Channel, in.Field
		case dsl.InputPath:
			ap.Input, ap.Field = agentPath(c.w, in)
		default:
			c.fail(CodePlanInput, in.Node, "Input not supported by the local engine", "Use a channel name (\"validated.tx\"), a reference (agent.output) or \"source\".")
		}
	default:
		c.fail(CodePlanInput, inputNode(a), "Joined inputs are not supported by the local engine yet",
			fmt.Sprintf("Agent %q reads several channels; give it one input channel.", a.ID))
	}
}

// when compiles the agent's when condition.
func (c *agentCompiler) when(ap *AgentPlan, args, globals map[string]any) {
	switch v := args["when"].(type) {
	case string:
		e, err := flow.CompileExpr(v, globals)
		if err != nil {
			c.fail(CodePlanExpression, c.a.Call.Value("when"), "Invalid when expression", err.Error())
		}
		ap.When = e
	case bool: // when: false turns the agent off; when: true is the default
		if !v {
			ap.When, _ = flow.CompileExpr("false", nil)
		}
	}
}

// policies reads timeout, retry and on_failure.
func (c *agentCompiler) policies(ap *AgentPlan, args map[string]any) {
	a := c.a
	if v, ok := args["timeout"]; ok {
		s, _ := v.(string)
		d, err := flow.ParseDuration(s)
		if err != nil {
			c.fail(CodePlanErrHandling, a.Call.Value("timeout"), "Invalid timeout", err.Error())
		}
		ap.Timeout = d
	}
	if v, ok := args["retry"]; ok {
		r, err := flow.ParseRetry(v)
		if err != nil {
			c.fail(CodePlanErrHandling, a.Call.Value("retry"), "Invalid retry", err.Error())
		}
		ap.Retry = r
	}
	if v, ok := args["on_failure"]; ok {
		fp, err := flow.ParseFailurePolicy(v)
		if err != nil {
			c.fail(CodePlanErrHandling, a.Call.Value("on_failure"), "Invalid on_failure", err.Error())
		}
		ap.Failure = fp
		of, _ := a.Call.Value("on_failure").(*dsl.Object)
		for o := of; o != nil; o, _ = o.Value("fallback").(*dsl.Object) {
			if fb, ok := o.Value("fallback").(*dsl.Call); ok {
				c.fail(CodePlanErrHandling, nameNode{fb}, "Inline fallback agents do not run in the local engine",
					fmt.Sprintf("Agent %q falls back to an agent written inline; declare it with the other agents and name it: fallback: \"its_id\".", a.ID))
			}
			if p := o.Get("notify"); p != nil {
				c.skip(keyNode{p}, "on_failure.notify is not sent by the local engine",
					fmt.Sprintf("The run sends no notification when agent %q fails; failing events still follow on_failure.", a.ID))
			}
		}
	}
}

// skipped warns about output_schema and context, which a run goes
// without.
func (c *agentCompiler) skipped() {
	a := c.a
	if arg := a.Call.Named("output_schema"); arg != nil {
		c.skip(argNode{arg}, "output_schema is not checked by the local engine",
			fmt.Sprintf("The run passes agent %q's output on without validating it against the schema.", a.ID))
	}
	if arg := a.Call.Named("context"); arg != nil {
		c.skip(argNode{arg}, "Agent contexts are not used by the local engine",
			fmt.Sprintf("The run goes on without agent %q's context.", a.ID))
	}
}

// fallback reads the id of the agent handling events this one fails on.
func (c *agentCompiler) fallback(ap *AgentPlan, args map[string]any) {
	v, ok := args["fallback"]
	if !ok {
		return
	}
	if fb, isID := v.(string); isID {
		ap.Fallback = fb
		return
	}
	var n ranged = c.a.Call.Value("fallback")
	if call, ok := n.(*dsl.Call); ok {
		n = nameNode{call}
	}
	c.fail(CodePlanErrHandling, n, "Inline fallback agents do not run in the local engine",
		fmt.Sprintf("Agent %q falls back to an agent written inline; declare it with the other agents and give its id, e.g. fallback: \"manual_review\".", c.a.ID))
}

// build runs the factory of the agent's type with its settings bound to
// the type's spec, and reads its routes; false when it cannot be built.
func (c *agentCompiler) build(ap *AgentPlan, args, settings, globals map[string]any, dir string) bool {
	a := c.a
	typ, ok := agentType(a.Type)
	if !ok || typ.Spec == nil {
		detail := fmt.Sprintf("The local engine cannot run agents of type %q.", a.Type)
		if s := suggestType(a.Type); s != "" {
			detail += fmt.Sprintf(" Did you mean %q?", s)
		}
		c.errs = append(c.errs, planError{CodePlanAgent, "Unknown agent type", detail, a.Call.NameRange})
		return false
	}
	cfg := flow.NewConfig(typ.Spec, args, settings)
	cfg.Workflow, cfg.Agent, cfg.Globals, cfg.Dir = c.w, a, globals, dir
	agent, err := typ.New(cfg)
	if err != nil {
		summary := "Agent cannot be built"
		if errors.Is(err, flow.ErrNotAvailable) {
			summary = "Agent type not available yet"
		}
		c.fail(CodePlanAgent, a.Node, summary, err.Error())
		return false
	}
	ap.Agent = agent
	if r, ok := agent.(flow.Router); ok {
		for _, dest := range r.Routes() {
			ap.Routes = append(ap.Routes, Destination{Channel: dest})
		}
	}
	return true
}

// agentPath resolves a reference input. A path whose first part is an
// agent id reads that agent's output whatever its channel is called, as
// the checker reads it: risk.output and risk.output.score are the channel
// risk publishes on and its score field. Other paths (source.amount, or a
// channel written as a path) are channel names.
func agentPath(w *dsl.Workflow, in dsl.Input) (channel, field string) {
	p, _ := in.Node.(*dsl.Path)
	if p == nil || len(p.Parts) < 2 {
		return in.Channel, in.Field
	}
	x := w.Agent(p.Parts[0])
	if x == nil || x.Call == nil || in.Channel == x.Output || strings.HasPrefix(in.Channel, x.Output+".") {
		return in.Channel, in.Field
	}
	rest := p.Parts[1:]
	if rest[0] == "output" {
		rest = rest[1:]
	}
	return x.Output, joinField(strings.Join(rest, "/"), in.Field)
}

// keyNode is a property's key, argNode an argument's name, as the node a
// diagnostic points at.
type (
	keyNode struct{ p *dsl.Property }
	argNode struct{ a *dsl.Arg }
)

func (n keyNode) Rng() dsl.Range { return n.p.KeyRange }
func (n argNode) Rng() dsl.Range { return n.a.NameRange }

func suggestType(t string) string {
	if s := dsl.Suggest(t, Registry().TypeNames(dsl.CatAgent)); len(s) > 0 {
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
