package dsl

import (
	"fmt"
	"strings"
)

// checkWF is the checker's view of one workflow or subworkflow.
type checkWF struct {
	w        *Workflow
	b        *Block
	ns       *checkNamespaces
	all      []*Agent
	byID     map[string]*Agent // first agent of each id
	pos      map[*Agent]int    // index in all
	ids      []string          // agent ids, for suggestions
	targets  []string          // target addresses
	produced map[string][]int  // channel -> producing agent indexes (-1: source, input, integration)
	consumed map[string]bool   // channels something reads
	fallback map[string]bool   // agent ids named as another agent's fallback
	routes   []checkRoute      // Router rules sending to a channel (not a target)
	chans    []string          // produced channel names, for suggestions (built on first use)
}

// checkRoute is a Router rule value naming a channel.
type checkRoute struct {
	agent   int
	channel string
	node    Node
}

func newCheckNamespaces(b *Block) *checkNamespaces {
	ns := &checkNamespaces{block: b}
	if b.Body == nil || b.Kind == KindIntegration {
		return ns
	}
	ns.config, _ = b.Body.Value("config").(*Object)
	ns.models, _ = b.Body.Value("models").(*Object)
	ns.schemas, _ = b.Body.Value("schemas").(*Object)
	ns.data, _ = b.Body.Value("data").(*Object)
	ns.hasConfig = b.Body.Get("config") != nil
	ns.hasModels = b.Body.Get("models") != nil
	ns.hasSchemas = b.Body.Get("schemas") != nil
	ns.hasData = b.Body.Get("data") != nil
	return ns
}

// newWF builds the semantic view of a block and the channels its sources,
// inputs and agents produce.
func (c *checkCtx) newWF(b *Block, ns *checkNamespaces) *checkWF {
	w := c.f.workflowOf(b)
	all := w.AllAgents()
	cw := &checkWF{w: w, b: b, ns: ns, all: all,
		produced: make(map[string][]int, 2*len(all)+4), consumed: make(map[string]bool, len(all)+4), fallback: map[string]bool{}}
	cw.byID = make(map[string]*Agent, len(cw.all))
	cw.pos = make(map[*Agent]int, len(cw.all))
	for i, a := range cw.all {
		cw.pos[a] = i
		if _, ok := cw.byID[a.ID]; !ok && a.ID != "" {
			cw.byID[a.ID] = a
			cw.ids = append(cw.ids, a.ID)
		}
	}
	if len(w.Sources) > 0 {
		cw.produced["source"] = []int{-1}
		for _, s := range w.Sources {
			if s.Address != "" {
				cw.produced[s.Address] = append(cw.produced[s.Address], -1)
			}
		}
	}
	for _, in := range w.Inputs {
		cw.produced["input."+in] = []int{-1}
	}
	for _, t := range w.Targets {
		if t.Address != "" {
			cw.targets = append(cw.targets, t.Address)
		}
	}
	for i, a := range cw.all {
		if a.Call == nil {
			continue
		}
		cw.produced[a.Output] = append(cw.produced[a.Output], i)
		if c.reg.Caps(a.Type).Routes {
			if rules, ok := a.Call.Value("rules").(*Object); ok {
				for _, p := range rules.Props {
					ch, ok := checkNameOf(p.Value)
					if !ok || strings.HasPrefix(ch, "target.") || strings.HasPrefix(ch, "output.") {
						continue
					}
					cw.produced[ch] = append(cw.produced[ch], i)
					cw.routes = append(cw.routes, checkRoute{agent: i, channel: ch, node: p.Value})
				}
			}
		}
		// on_failure may send failing events to a channel of their own.
		if of, ok := a.Call.Value("on_failure").(*Object); ok {
			for o := of; o != nil; {
				if ch, ok := StringValue(o.Value("channel")); ok && ch != "" {
					cw.produced[ch] = append(cw.produced[ch], i)
				}
				o, _ = o.Value("fallback").(*Object)
			}
		}
		if fb := a.Call.Value("fallback"); fb != nil {
			if id, ok := checkNameOf(fb); ok {
				cw.fallback[id] = true
			}
		}
	}
	return cw
}

// checkNameOf returns the name written as a string or a path: a channel,
// an agent id, a block name.
func checkNameOf(n Node) (string, bool) {
	switch v := n.(type) {
	case *String:
		return strings.TrimSpace(v.Text()), true
	case *Path:
		return v.String(), true
	}
	return "", false
}

// checkIsNamespacePath reports whether p refers into config, models,
// schemas or data (checked by the path walk wherever it is written).
func checkIsNamespacePath(p *Path) bool {
	switch p.Parts[0] {
	case "config", "models", "schemas", "data":
		return len(p.Parts) > 1
	}
	return false
}

func (c *checkCtx) checkWorkflow(cw *checkWF) {
	b := cw.b
	if b.Kind == KindWorkflow {
		c.checkKnownKeys(b.Body, checkWorkflowKeys, "A workflow")
	} else {
		c.checkKnownKeys(b.Body, checkSubworkflowKeys, "A subworkflow")
	}
	c.checkBlockValues(cw)
	if b.Kind == KindWorkflow && b.Body.Get("source") == nil && len(cw.all) > 0 {
		c.warnAt(CodeNoSource, b.NameRange, fmt.Sprintf("Workflow %s has no source", b.Name),
			`Expected source: NATS("subject") (or HTTP, Timer, File, MQTT, Kafka) so the first agent has events to read.`)
	}
	for _, e := range cw.w.Sources {
		c.checkEndpoint(cw, e, CatSource)
	}
	for _, e := range cw.w.Targets {
		c.checkEndpoint(cw, e, CatTarget)
	}
	for _, e := range cw.w.Contexts {
		c.checkEndpoint(cw, e, CatContext)
	}
	c.checkIDs(cw)
	for _, a := range cw.all {
		if a.Call == nil {
			c.errorAt(CodeNotCall, a.Node.Rng(), "Expected an agent",
				fmt.Sprintf(`Each element of %s is an agent call such as DataProcessor(id: "clean", ...), not %s.`, a.Stage, describeNode(a.Node)))
			continue
		}
		c.checkAgentCall(cw, a.Call, a)
	}
	c.checkFlow(cw)
	if d, ok := b.Body.Value("deployment").(*Object); ok {
		c.checkDeployment(d)
	}
}

// checkBlockValues checks the kinds of the block's own properties.
func (c *checkCtx) checkBlockValues(cw *checkWF) {
	for _, p := range cw.b.Body.Props {
		switch p.Key {
		case "nats":
			if _, ok := p.Value.(*String); !ok {
				c.wrongKind(p.Value, "nats", `a NATS URL string such as "nats://nats:4222"`)
			}
		case "models":
			o, ok := p.Value.(*Object)
			if !ok {
				c.wrongKind(p.Value, "models", `an object of named models: { scorer: { file: "scorer.onnx", type: "onnx" } }`)
				continue
			}
			for _, m := range o.Props {
				c.checkModelDef(m.Value, "model "+m.Key)
			}
		case "data", "schemas", "config", "monitor", "deployment":
			if _, ok := p.Value.(*Object); !ok {
				c.wrongKind(p.Value, p.Key, "an object { key: value, ... }")
			}
		case "input", "output":
			if cw.b.Kind != KindSubworkflow {
				continue
			}
			for _, e := range ElemsOf(p.Value) {
				switch e.(type) {
				case *String, *Path:
				default:
					c.wrongKind(e, p.Key, fmt.Sprintf(`a list of names such as [%q]`, "transaction"))
				}
			}
		}
	}
}

// checkModelDef checks a model definition: a file path or { file, type }.
func (c *checkCtx) checkModelDef(n Node, what string) {
	switch v := n.(type) {
	case *String, *Path:
	case *Object:
		if v.Get("file") == nil && v.Get("path") == nil && v.Get("url") == nil {
			c.errorAt(CodeMissingArg, v.Open, fmt.Sprintf("%s has no file", checkUpperFirst(what)),
				`Expected { file: "models/x.onnx", type: "onnx" }.`)
		}
	default:
		c.wrongKind(n, what, `a file path or { file: "models/x.onnx", type: "onnx" }`)
	}
}

func (c *checkCtx) wrongKind(n Node, what, expected string) {
	if n == nil {
		return
	}
	c.errorAt(CodeWrongKind, n.Rng(), fmt.Sprintf("Wrong value for %s", what),
		fmt.Sprintf("Expected %s, not %s.", expected, describeNode(n)))
}

// checkIDs reports duplicate agent ids and agents without an id that cannot
// be referred to by their type name.
func (c *checkCtx) checkIDs(cw *checkWF) {
	untyped := map[string]int{}
	for _, a := range cw.all {
		if a.Call != nil && !a.IDExplicit {
			untyped[a.Type]++
		}
	}
	for _, a := range cw.all {
		if a.Call == nil {
			continue
		}
		if a.IDExplicit {
			first := cw.byID[a.ID]
			if first != a && first != nil && first.Call != nil {
				c.errorAt(CodeDuplicateID, a.Call.Named("id").Value.Rng(), fmt.Sprintf("Duplicate agent id %q", a.ID),
					fmt.Sprintf("Agent %q is already declared at %s; ids must be unique within a workflow.", a.ID, checkLine(first.Call.Range)))
			}
			continue
		}
		if a.ID != a.Type {
			detail := fmt.Sprintf("This %s is named %q and cannot be referred to as %s.output", a.Type, a.ID, a.Type)
			if n := untyped[a.Type]; n > 1 {
				detail = fmt.Sprintf("There are %d %s agents without an id: this one is named %q and cannot be referred to as %s.output", n, a.Type, a.ID, a.Type)
			}
			c.warnAt(CodeAmbiguousType, a.Call.NameRange, fmt.Sprintf("%s agent without an id", a.Type),
				detail+fmt.Sprintf(`; give it one: %s(id: "...", ...).`, a.Type))
		}
	}
}

// checkEndpoint checks a source, target or context element.
func (c *checkCtx) checkEndpoint(cw *checkWF, e *Endpoint, cat Category) {
	if e.Call == nil {
		c.errorAt(CodeNotCall, e.Node.Rng(), fmt.Sprintf("Expected %s constructor", checkA(string(cat))),
			fmt.Sprintf(`%s is a call such as %s, not %s.`, checkUpperFirst(checkA(string(cat))), checkEndpointExample(cat), describeNode(e.Node)))
		return
	}
	call := e.Call
	spec, ok := c.reg.Lookup(call.Name)
	if !ok {
		names := c.typeNames(cat)
		c.warnAt(CodeUnknownType, call.NameRange, fmt.Sprintf("Unknown %s type %q", cat, call.Name),
			fmt.Sprintf("Known %s types are %s; the %s is kept but cannot run.", cat, checkAll(names), cat), suggest(call.Name, names)...)
		return
	}
	if !spec.Is(cat) {
		c.wrongRole(call, spec, cat)
		return
	}
	c.checkCallArgs(cw, call, spec, string(cat))
	if spec.Caps.ServedPath {
		c.checkServedPath(e, cat)
	}
	c.checkLocalType(cw, call, spec, cat, e.Label())
}

// checkServedPath reports a served-path source (HTTP) given a URL (a
// source is a path served by the workflow) and such a target given a path
// (a target is where events are sent).
func (c *checkCtx) checkServedPath(e *Endpoint, cat Category) {
	s, ok := e.Call.Positional(0).(*String)
	if !ok {
		if a := e.Call.Named("path"); a != nil {
			s, ok = a.Value.(*String)
		}
	}
	if !ok || strings.Contains(s.Value, "${") {
		return
	}
	switch addr := s.Text(); {
	case cat == CatSource && strings.Contains(addr, "://"):
		c.errorAt(CodeWrongKind, s.Range, "An HTTP source takes a path, not a URL",
			fmt.Sprintf("Events are POSTed to this path of the workflow's HTTP listener; expected a path such as \"/orders\", not %q.", addr))
	case cat == CatTarget && strings.HasPrefix(addr, "/"):
		c.errorAt(CodeWrongKind, s.Range, "An HTTP target takes a URL, not a path",
			fmt.Sprintf("Events are sent to this URL; expected an absolute URL such as \"https://example.com/hook\", not %q.", addr))
	}
}

func checkEndpointExample(cat Category) string {
	switch cat {
	case CatContext:
		return `BayesianNetwork("risk.bif") or KnowledgeBase("docs/")`
	case CatAgent:
		return `LLM(id: "x", prompt: "...")`
	}
	return `NATS("subject")`
}

func (c *checkCtx) wrongRole(call *Call, spec *TypeSpec, cat Category) {
	var roles []string
	for _, r := range spec.Categories {
		roles = append(roles, string(r))
	}
	c.errorAt(CodeWrongRole, call.NameRange, fmt.Sprintf("%s cannot be used as %s", call.Name, checkA(string(cat))),
		fmt.Sprintf("%s is %s constructor; %s is a call such as %s.", call.Name, checkA(strings.Join(roles, "/")), checkA(string(cat)), checkEndpointExample(cat)),
		suggest(call.Name, c.typeNames(cat))...)
}

// checkAgentCall checks an agent call: its type, arguments and settings. a
// is nil for an agent written inline as a fallback.
func (c *checkCtx) checkAgentCall(cw *checkWF, call *Call, a *Agent) {
	spec, ok := c.reg.Lookup(call.Name)
	if !ok {
		names := c.typeNames(CatAgent)
		c.warnAt(CodeUnknownType, call.NameRange, fmt.Sprintf("Unknown agent type %q", call.Name),
			fmt.Sprintf("Known agent types are %s; the agent is kept but cannot run.", checkAll(names)), suggest(call.Name, names)...)
		// The arguments every agent takes are still checked.
		spec = &TypeSpec{Name: call.Name, Categories: []Category{CatAgent}, Args: commonAgentArgs}
		c.checkCallArgs(cw, call, spec, "")
		return
	}
	if !spec.Is(CatAgent) {
		c.wrongRole(call, spec, CatAgent)
		return
	}
	c.checkCallArgs(cw, call, spec, string(CatAgent))
	if a != nil && spec.Runnable {
		c.checkLocalAgent(cw, a)
	} else if a != nil {
		c.checkLocalType(cw, call, spec, CatAgent, fmt.Sprintf("agent %q", a.ID))
	}
	local, _ := call.Value("config").(*Object)
	if local != nil {
		c.checkConfigObject(cw, call, spec, local)
	}
	if spec.Caps.Routes {
		c.checkRouterRules(cw, call, local)
	}
	if arr, ok := call.Value("rules").(*Array); ok && spec.Caps.RuleList {
		c.checkRuleList(cw, arr, local)
	}
	c.checkNeeds(call, spec)
	// context: "data.x" names a data file of the workflow.
	for _, e := range ElemsOf(call.Value("context")) {
		if s, ok := e.(*String); ok {
			c.checkNamedString(cw, s, "data", CodeUnknownData)
		}
	}
	for _, as := range spec.Args {
		if as.Kind != ArgTemplate {
			continue
		}
		if s, ok := call.Value(as.Name).(*String); ok {
			c.checkTemplate(cw, call, a, s)
		}
	}
}

// checkNeeds reports a missing setting the spec's capabilities say the type
// needs (Capabilities.Needs). A config given as a file name is read at run
// time, so nothing is known about it here.
func (c *checkCtx) checkNeeds(call *Call, spec *TypeSpec) {
	need := spec.Caps.Needs
	if need == nil {
		return
	}
	cfg := call.Value("config")
	if _, isFile := cfg.(*String); isFile {
		return
	}
	o, _ := cfg.(*Object)
	for _, k := range need.Any {
		if call.Named(k) != nil || o.Get(k) != nil {
			return
		}
	}
	c.errorAt(CodeMissingArg, call.NameRange, fmt.Sprintf("%s needs %s", call.Name, checkList(need.Any)),
		fmt.Sprintf("Expected %s, as an argument or in config.", need.Example))
}

// checkCallArgs checks named and positional arguments against the spec.
// role is "" for an unknown type (unknown arguments are not reported).
func (c *checkCtx) checkCallArgs(cw *checkWF, call *Call, spec *TypeSpec, role string) {
	local, _ := call.Value("config").(*Object)
	pos := 0
	for _, arg := range call.Args {
		if arg.Name == "" {
			as := checkPositional(spec, pos)
			pos++
			if as == nil {
				if role != "" {
					c.warnAt(CodeUnknownArg, arg.Value.Rng(), fmt.Sprintf("Unexpected positional argument to %s", call.Name),
						checkPositionalHelp(spec))
				}
				continue
			}
			c.checkArgValue(cw, local, call.Name, as, arg.Value)
			continue
		}
		as := spec.Arg(arg.Name)
		if as == nil {
			// Settings documented as config keys are often written as
			// arguments (DataNormalizer(method: "z_score")); both work.
			as = spec.ConfigKey(arg.Name)
		}
		if as == nil {
			if role != "" {
				names := checkArgNames(spec)
				c.warnAt(CodeUnknownArg, arg.NameRange, fmt.Sprintf("Unknown argument %q for %s", arg.Name, call.Name),
					fmt.Sprintf("%s accepts %s; the argument is kept but has no effect.", call.Name, checkList(names)), suggest(arg.Name, names)...)
			}
			continue
		}
		c.checkArgValue(cw, local, call.Name, as, arg.Value)
	}
	for i := range spec.Args {
		as := &spec.Args[i]
		if !as.Required || call.Named(as.Name) != nil || as.Positional >= 0 && as.Positional < pos {
			continue
		}
		how := fmt.Sprintf("%s: ...", as.Name)
		if as.Positional == 0 {
			how = fmt.Sprintf("%s(\"...\") or %s(%s: \"...\")", call.Name, call.Name, as.Name)
		}
		c.errorAt(CodeMissingArg, call.NameRange, fmt.Sprintf("%s needs %q", call.Name, as.Name),
			fmt.Sprintf("Expected %s — %s", how, as.Doc))
	}
}

func checkPositional(spec *TypeSpec, i int) *ArgSpec {
	for j := range spec.Args {
		if spec.Args[j].Positional == i {
			return &spec.Args[j]
		}
	}
	return nil
}

func checkPositionalHelp(spec *TypeSpec) string {
	var names []string
	for _, a := range spec.Args {
		if a.Positional >= 0 {
			names = append(names, a.Name)
		}
	}
	if len(names) == 0 {
		return fmt.Sprintf("%s takes named arguments only, such as %s(id: \"x\").", spec.Name, spec.Name)
	}
	return fmt.Sprintf("%s takes at most %d positional argument(s) (%s); name the others, as in key: value.", spec.Name, len(names), strings.Join(names, ", "))
}

func checkArgNames(spec *TypeSpec) []string {
	out := make([]string, 0, len(spec.Args)+len(spec.ConfigKeys))
	for _, a := range spec.Args {
		out = append(out, a.Name)
	}
	for _, a := range spec.ConfigKeys {
		if spec.Arg(a.Name) == nil {
			out = append(out, a.Name)
		}
	}
	return out
}

// checkArgValue checks one argument (or settings key) value against its
// spec. owner names the constructor in messages.
func (c *checkCtx) checkArgValue(cw *checkWF, local *Object, owner string, spec *ArgSpec, n Node) {
	if n == nil {
		return
	}
	if p, ok := n.(*Path); ok && checkIsNamespacePath(p) && spec.Kind != ArgChannel {
		return // a config/models/schemas/data reference, checked by the path walk
	}
	what := checkWhat{spec.Name, owner}
	switch spec.Kind {
	case ArgAny, ArgChannel:
	case ArgString:
		switch v := n.(type) {
		case *String:
			if spec.Name == "id" && strings.TrimSpace(v.Text()) == "" {
				c.errorAt(CodeWrongKind, v.Range, "Empty agent id", `Expected a name such as "risk_score".`)
				return
			}
			c.checkEnum(spec, v, what)
			return
		case *Path:
			if spec.Name == "id" || spec.Name == "output" {
				return
			}
		}
		example := "a string"
		if len(spec.Enum) > 0 {
			example = "one of " + checkList(spec.Enum)
		}
		c.wrongKind(n, what.String(), example)
	case ArgNumber:
		if _, ok := n.(*Number); !ok {
			c.wrongKind(n, what.String(), "a number")
			return
		}
		if spec.Integer {
			c.checkInt(n, what)
		}
	case ArgBool:
		if _, ok := n.(*Bool); !ok {
			c.wrongKind(n, what.String(), "true or false")
		}
	case ArgObject:
		o, ok := n.(*Object)
		if !ok {
			c.wrongKind(n, what.String(), "an object { key: value, ... }")
			return
		}
		if spec.Name == "deployment" {
			c.checkDeployment(o)
		}
	case ArgArray:
		if _, ok := n.(*Array); !ok {
			c.wrongKind(n, what.String(), "a list [ ... ]")
		}
	default:
		c.checkStructuredValue(cw, local, owner, spec, n)
	}
}

// checkStructuredValue checks a value of a kind with structure: an
// expression, a duration, a template, a model, a schema, retry, fallback
// and on_failure settings.
func (c *checkCtx) checkStructuredValue(cw *checkWF, local *Object, owner string, spec *ArgSpec, n Node) {
	what := checkWhat{spec.Name, owner}
	switch spec.Kind {
	case ArgExpr:
		switch v := n.(type) {
		case *String:
			c.checkExpr(cw, local, checkCondSite(v), spec.Name+" condition")
		case *Bool:
		default:
			c.wrongKind(n, what.String(), "an expression string such as \"amount > 1000\"")
		}
	case ArgDuration:
		c.checkDuration(n, what)
	case ArgTemplate:
		if _, ok := n.(*String); !ok {
			c.wrongKind(n, what.String(), `a prompt template string such as "Summarise {{body}}"`)
		}
	case ArgModel:
		switch v := n.(type) {
		case *String:
			c.checkNamedString(cw, v, "models", CodeUnknownModel)
		case *Object:
			c.checkModelDef(v, what.String())
		default:
			c.wrongKind(n, what.String(), `"models.<name>", a model file path or { file: "x.onnx", type: "onnx" }`)
		}
	case ArgSchema:
		switch v := n.(type) {
		case *String:
			c.checkNamedString(cw, v, "schemas", CodeUnknownSchema)
		case *Object:
		default:
			c.wrongKind(n, what.String(), `"schemas.<name>", a JSON Schema file or an inline schema object`)
		}
	case ArgRetry:
		switch v := n.(type) {
		case *Number:
			c.checkInt(v, checkWhat{"retry", owner})
		case *Object:
			c.checkSettings(cw, local, v, retryKeys, "retry", "A retry setting")
		default:
			c.wrongKind(n, what.String(), `a number of attempts such as 3 or { attempts: 3, backoff: "exponential", initial: "200ms" }`)
		}
	case ArgAgentRef:
		switch v := n.(type) {
		case *String, *Path:
			c.checkFallbackRef(cw, v)
		case *Call:
			c.checkAgentCall(cw, v, nil)
		default:
			c.wrongKind(n, what.String(), `an agent id such as "backup_model" or an agent call`)
		}
	case ArgFailure:
		o, ok := n.(*Object)
		if !ok {
			c.wrongKind(n, what.String(), `{ action: "quarantine", retry: 1 }`)
			return
		}
		c.checkSettings(cw, local, o, failureKeys, "on_failure", "on_failure")
	}
}

func (c *checkCtx) checkEnum(spec *ArgSpec, v *String, what checkWhat) {
	if len(spec.Enum) == 0 {
		return
	}
	s := v.Text()
	if checkContains(spec.Enum, s) || strings.Contains(s, "${") {
		return
	}
	c.errorAt(CodeBadEnum, v.Range, fmt.Sprintf("Invalid %s %q", spec.Name, s),
		fmt.Sprintf("%s must be one of %s.", what, checkList(spec.Enum)), suggest(s, spec.Enum)...)
}

// checkNamedString checks a "models.x" / "schemas.x" string; other strings
// are file paths.
func (c *checkCtx) checkNamedString(cw *checkWF, s *String, root, code string) {
	if cw == nil || s.Quote == 'L' {
		return
	}
	name, ok := strings.CutPrefix(s.Value, root+".")
	if !ok || !isIdent(name) {
		return
	}
	obj, has := cw.ns.models, cw.ns.hasModels
	switch root {
	case "schemas":
		obj, has = cw.ns.schemas, cw.ns.hasSchemas
	case "data":
		obj, has = cw.ns.data, cw.ns.hasData
	}
	off := len(root) + 1
	c.checkNamedRef(root, name, c.strRange(s, off, off+len(name)), obj, has, cw.b, code)
}

// checkSettings checks an object with known keys (retry, on_failure,
// an agent's config).
func (c *checkCtx) checkSettings(cw *checkWF, local *Object, o *Object, keys []ArgSpec, owner, what string) {
	var names []string
	for _, p := range o.Props {
		var spec *ArgSpec
		for i := range keys {
			if keys[i].Name == p.Key {
				spec = &keys[i]
				break
			}
		}
		if spec == nil {
			if names == nil {
				names = make([]string, len(keys))
				for i, k := range keys {
					names[i] = k.Name
				}
			}
			c.warnAt(CodeUnknownProperty, p.KeyRange, fmt.Sprintf("Unknown property %q", p.Key),
				fmt.Sprintf("%s accepts %s; the property is kept but has no effect.", what, checkList(names)), suggest(p.Key, names)...)
			continue
		}
		if owner == "on_failure" && p.Key == "fallback" {
			switch v := p.Value.(type) {
			case *String, *Path:
				c.checkFallbackRef(cw, v)
			case *Call:
				c.checkAgentCall(cw, v, nil)
			case *Object:
				c.checkSettings(cw, local, v, failureKeys, "on_failure", "on_failure.fallback")
			default:
				c.wrongKind(p.Value, `"fallback" of on_failure`, `an agent id, an agent call or { action: "reject", channel: "..." }`)
			}
			continue
		}
		c.checkArgValue(cw, local, owner, spec, p.Value)
	}
}

// checkConfigObject checks an agent's config object against the spec's
// config keys, and the keys with a structure: features, steps, rules.
func (c *checkCtx) checkConfigObject(cw *checkWF, call *Call, spec *TypeSpec, cfg *Object) {
	if len(spec.ConfigKeys) > 0 {
		c.checkSettings(cw, cfg, cfg, spec.ConfigKeys, call.Name+" config", "The config of "+call.Name)
	}
	if arr, ok := cfg.Value("features").(*Array); ok && spec.Caps.Features {
		c.checkFeatures(cw, cfg, arr)
	}
	if steps := spec.Caps.Steps; len(steps) > 0 {
		if arr, ok := cfg.Value("steps").(*Array); ok {
			for _, e := range arr.Elems {
				s, ok := e.(*String)
				if !ok {
					c.wrongKind(e, "a DataProcessor step", `a step name such as "trim"`)
					continue
				}
				if checkContains(steps, s.Text()) {
					continue
				}
				if sg := suggest(s.Text(), steps); len(sg) > 0 {
					c.warnAt(CodeUnknownStep, s.Range, fmt.Sprintf("Unknown step %q", s.Text()),
						fmt.Sprintf("Known steps are %s.", checkAll(steps)), sg...)
				}
			}
		}
	}
	for _, key := range []string{"required_fields", "fields"} {
		if arr, ok := cfg.Value(key).(*Array); ok {
			for _, e := range arr.Elems {
				switch e.(type) {
				case *String, *Path:
				default:
					c.wrongKind(e, fmt.Sprintf("an element of %s", key), "a field name string")
				}
			}
		}
	}
}

// checkFeatures checks DataProcessor features: "name" copies a field,
// "name: expr" computes one.
func (c *checkCtx) checkFeatures(cw *checkWF, cfg *Object, arr *Array) {
	for _, e := range arr.Elems {
		s, ok := e.(*String)
		if !ok {
			c.wrongKind(e, "a feature", `"name" or "name: expression"`)
			continue
		}
		name, expr, computed := checkFeature(s.Value)
		if name == "" {
			c.errorAt(CodeWrongKind, s.Range, "Invalid feature",
				fmt.Sprintf(`Expected "name" (copy a field) or "name: expression" (compute one), not %q.`, s.Value))
			continue
		}
		if computed {
			c.checkExpr(cw, cfg, checkExprSite{s: s, off: expr, text: s.Value[expr:]}, "feature expression")
		}
	}
}

// checkFeature splits "name: expr" and returns the name and the offset of
// the expression; for "name" computed is false. name is "" when the text is
// neither form.
func checkFeature(v string) (name string, exprAt int, computed bool) {
	i := 0
	for i < len(v) && (v[i] == ' ' || v[i] == '\t') {
		i++
	}
	j := i
	for j < len(v) && (isIdentPart(v[j]) || v[j] == '.') {
		j++
	}
	name = v[i:j]
	if name == "" || !isIdentStart(name[0]) {
		return "", 0, false
	}
	k := j
	for k < len(v) && (v[k] == ' ' || v[k] == '\t') {
		k++
	}
	if k == len(v) {
		return name, 0, false
	}
	if v[k] != ':' {
		return "", 0, false
	}
	return name, k + 1, true
}

// checkRouterRules checks a Router's rules: keys are expressions (except
// "default"), values "target.<subject>", "output.<name>" in a subworkflow,
// or a channel.
func (c *checkCtx) checkRouterRules(cw *checkWF, call *Call, local *Object) {
	rules, ok := call.Value("rules").(*Object)
	if !ok {
		return // reported as a wrong kind
	}
	for _, p := range rules.Props {
		if p.Key != "default" {
			c.checkExpr(cw, local, c.checkKeySite(p), "Router rule")
		}
		switch v := p.Value.(type) {
		case *String:
			ch := strings.TrimSpace(v.Text())
			if subj, ok := strings.CutPrefix(ch, "target."); ok {
				c.checkTargetRef(cw, subj, v)
			} else if name, ok := strings.CutPrefix(ch, "output."); ok && cw.b.Kind == KindSubworkflow {
				c.checkOutputRef(cw, name, v)
			}
		case *Path:
			if v.Parts[0] == "target" && len(v.Parts) > 1 {
				c.checkTargetRef(cw, strings.Join(v.Parts[1:], "."), v)
			}
		default:
			c.wrongKind(p.Value, "a Router rule", `"target.<subject>" or a channel name`)
		}
	}
}

// checkTargetMatch reports whether subj names a target: its address, or a
// subject below it (target.alerts.fraud.block matches NATS("alerts.fraud")),
// the same rule the graph uses for route edges.
func checkTargetMatch(targets []string, subj string) bool {
	for _, t := range targets {
		if t == subj || strings.HasPrefix(subj, t+".") {
			return true
		}
	}
	return false
}

// subjectRange is the range of what follows "target." or "output." in a
// string or path value.
func (c *checkCtx) subjectRange(n Node, prefix string) Range {
	switch v := n.(type) {
	case *String:
		return c.afterPrefix(v, prefix)
	case *Path:
		if len(v.Parts) > 1 {
			return Span(v.PartRanges[1], v.PartRanges[len(v.PartRanges)-1])
		}
	}
	return n.Rng()
}

// checkTargetRef checks the subject of "target.<subject>" written in n.
func (c *checkCtx) checkTargetRef(cw *checkWF, subj string, n Node) {
	if checkTargetMatch(cw.targets, subj) {
		return
	}
	rng := c.subjectRange(n, "target.")
	if len(cw.targets) == 0 {
		c.errorAt(CodeUnknownTarget, rng, fmt.Sprintf("Unknown target %q", subj),
			fmt.Sprintf("%s %s declares no targets; expected target: NATS(%q) in the block.", checkUpperFirst(string(cw.b.Kind)), cw.b.Name, subj))
		return
	}
	c.errorAt(CodeUnknownTarget, rng, fmt.Sprintf("Unknown target %q", subj),
		fmt.Sprintf("\"target.<subject>\" must name a declared target; the targets are %s.", checkAll(cw.targets)), suggest(subj, cw.targets)...)
}

func (c *checkCtx) checkOutputRef(cw *checkWF, name string, n Node) {
	if checkContains(cw.w.Outputs, name) {
		return
	}
	rng := c.subjectRange(n, "output.")
	c.errorAt(CodeUnknownInput, rng, fmt.Sprintf("Unknown subworkflow output %q", name),
		fmt.Sprintf("Subworkflow %s declares output %s.", cw.b.Name, checkAll(cw.w.Outputs)), suggest(name, cw.w.Outputs)...)
}

// checkRuleList checks DecisionMatrix/RuleEngine rules: objects with a
// condition expression.
func (c *checkCtx) checkRuleList(cw *checkWF, arr *Array, local *Object) {
	for _, e := range arr.Elems {
		o, ok := e.(*Object)
		if !ok {
			if _, isStr := e.(*String); isStr {
				continue // a rules file name in a list
			}
			c.wrongKind(e, "a rule", `{ name: "x", condition: "amount > 0", error: "message" }`)
			continue
		}
		cond := o.Get("condition")
		if cond == nil {
			c.errorAt(CodeMissingArg, o.Open, "Rule without a condition",
				`Expected { name: "x", condition: "amount > 0", error: "message" }.`)
			continue
		}
		switch v := cond.Value.(type) {
		case *String:
			c.checkExpr(cw, local, checkCondSite(v), "rule condition")
		case *Bool:
		default:
			c.wrongKind(cond.Value, "condition", `an expression string such as "amount > 0"`)
		}
	}
}

// checkFallbackRef checks that a fallback names an agent of the workflow.
func (c *checkCtx) checkFallbackRef(cw *checkWF, n Node) {
	id, _ := checkNameOf(n)
	if cw == nil || id == "" {
		return
	}
	if _, ok := cw.byID[id]; ok {
		return
	}
	sugg := suggest(id, cw.ids)
	c.errorAt(CodeUnknownFallback, n.Rng(), fmt.Sprintf("Unknown fallback agent %q", id),
		fmt.Sprintf("fallback must name an agent of %s %s (or be an agent call); its agents are %s.", cw.b.Kind, cw.b.Name, checkAll(checkFirst(cw.ids, 12))),
		sugg...)
	if len(sugg) > 0 {
		cw.fallback[sugg[0]] = true // the likeliest spelling was meant
	}
}

// checkFirst returns at most n names, for messages.
func checkFirst(names []string, n int) []string {
	if len(names) <= n {
		return names
	}
	out := append([]string{}, names[:n]...)
	return append(out, fmt.Sprintf("%d more", len(names)-n))
}

// checkDeployment checks resources quantities and scaling numbers of a
// deployment object (workflow-level or per agent).
func (c *checkCtx) checkDeployment(d *Object) {
	if r, ok := d.Value("resources").(*Object); ok {
		c.checkResources(r)
	}
	if s, ok := d.Value("scaling").(*Object); ok {
		c.checkScaling(s)
	}
	if v := d.Value("replicas"); v != nil {
		c.checkInt(v, checkWhat{name: "replicas"})
	}
}

func (c *checkCtx) checkResources(o *Object) {
	for _, p := range o.Props {
		switch p.Key {
		case "cpu", "memory", "ephemeral-storage", "ephemeral_storage", "storage":
			c.checkQuantity(p.Key, p.Value)
		case "gpu":
			switch v := p.Value.(type) {
			case *Number:
				c.checkInt(v, checkWhat{name: "gpu"})
			case *Bool, *String, *Path:
			default:
				c.wrongKind(p.Value, "gpu", "true, false or a number of GPUs")
			}
		default:
			if sub, ok := p.Value.(*Object); ok {
				c.checkResources(sub) // default: {...}, ml_models: {...}, limits: {...}
			}
		}
	}
}

func (c *checkCtx) checkScaling(o *Object) {
	var minP *Property
	minV, maxV, haveMin, haveMax := 0, 0, false, false
	for _, p := range o.Props {
		switch p.Key {
		case "min_replicas":
			minV, haveMin = c.checkInt(p.Value, checkWhat{name: p.Key})
			minP = p
		case "max_replicas":
			maxV, haveMax = c.checkInt(p.Value, checkWhat{name: p.Key})
		}
	}
	if haveMin && haveMax && minV > maxV {
		c.errorAt(CodeMinAboveMax, minP.Value.Rng(), "min_replicas is greater than max_replicas",
			fmt.Sprintf("Expected min_replicas <= max_replicas; they are %d and %d.", minV, maxV))
	}
}
