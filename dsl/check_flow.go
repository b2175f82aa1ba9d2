package dsl

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kumeo/kumeo/dsl/subject"
)

// Channels. A workflow's channels are produced by
//   - its sources ("source", and each source's address),
//   - a subworkflow's declared inputs ("input.<name>"),
//   - every agent's output (Agent.Output, "<id>.output" by default),
//   - Router rules whose value is a channel rather than "target.<subject>",
//   - on_failure { channel: ... } of an agent,
//   - integration mappings whose output value is a channel.
//
// An input names a produced channel when it is one, or when a dotted
// prefix of it is one: "source.transactions" and "risk.output.score" are
// fields of "source" and "risk.output" (the graph resolves them the same
// way). A path input whose first part is an agent id (risk.output) reads
// that agent's output whatever its channel is called.
//
// An agent's output is consumed when
//   - another agent reads it (by default, channel string, path or inside an
//     expression input), or an integration maps it into a subworkflow;
//   - the agent is the last of the pipeline and the workflow has targets
//     (the subworkflow declares outputs): its events leave through them;
//   - the agent is a Router: its rules send every event somewhere;
//   - its output is "target.<subject>" or a target's address: it publishes
//     to that target directly;
//   - the agent is another agent's fallback: its events stand in for that
//     agent's output;
//   - it is the last preprocessor and there are agents: preprocessors feed
//     the pipeline.
// Anything else is reported as an output nobody consumes.

// checkEdge is "agent to reads what agent from produces", through the input
// written at rng.
type checkEdge struct {
	from, to int
	rng      Range
}

// resolve returns the produced channel that ch names (ch itself or its
// longest produced dotted prefix) and its producers. Channels with NATS
// wildcards match every produced channel they cover.
func (cw *checkWF) resolve(ch string) ([]string, bool) {
	if _, ok := cw.produced[ch]; ok {
		return []string{ch}, true
	}
	if strings.ContainsAny(ch, "*>") {
		var out []string
		for p := range cw.produced {
			if subject.Matches(ch, p) {
				out = append(out, p)
			}
		}
		sort.Strings(out)
		return out, len(out) > 0
	}
	for name := ch; ; {
		i := strings.LastIndexByte(name, '.')
		if i < 0 {
			return nil, false
		}
		name = name[:i]
		if _, ok := cw.produced[name]; ok {
			return []string{name}, true
		}
	}
}

// channelNames lists the produced channels, for suggestions.
func (cw *checkWF) channelNames() []string {
	if cw.chans == nil {
		cw.chans = make([]string, 0, len(cw.produced))
		for ch := range cw.produced {
			cw.chans = append(cw.chans, ch)
		}
		sort.Strings(cw.chans)
	}
	return cw.chans
}

// checkFlow checks every agent's inputs, then reports unused outputs and
// cycles.
func (c *checkCtx) checkFlow(cw *checkWF) {
	r := &flowReads{cw: cw}
	for i, a := range cw.all {
		if a.Call == nil {
			continue
		}
		local, _ := a.Call.Value("config").(*Object)
		for _, in := range a.Inputs {
			rng := a.Call.NameRange
			if in.Node != nil {
				rng = in.Node.Rng()
			}
			c.checkInput(r, i, a, in, local, rng)
		}
	}
	c.checkUnused(cw)
	c.checkCycles(cw, r.edges)
}

// flowReads collects which agent reads which: the edges cycles are looked
// for in, and the channels consumed.
type flowReads struct {
	cw    *checkWF
	edges []checkEdge
}

// read records agent to reading chans.
func (r *flowReads) read(to int, chans []string, rng Range) {
	for _, ch := range chans {
		r.cw.consumed[ch] = true
		for _, from := range r.cw.produced[ch] {
			if from >= 0 {
				r.edges = append(r.edges, checkEdge{from, to, rng})
			}
		}
	}
}

// readAgent records agent to reading a's output.
func (r *flowReads) readAgent(to int, a *Agent, rng Range) {
	r.cw.consumed[a.Output] = true
	r.edges = append(r.edges, checkEdge{r.cw.pos[a], to, rng})
}

// checkInput checks one input of agent i and records what it reads.
func (c *checkCtx) checkInput(r *flowReads, i int, a *Agent, in Input, local *Object, rng Range) {
	cw := r.cw
	switch in.Kind {
	case InputDefault:
		chans, _ := cw.resolve(in.Channel)
		r.read(i, chans, rng)
	case InputString:
		if chans, ok := cw.resolve(in.Channel); ok {
			r.read(i, chans, rng)
			return
		}
		c.unproduced(cw, in.Node, in.Channel, a.Output)
	case InputPath:
		c.checkPathInput(r, i, in, rng)
	case InputExpr:
		s, ok := in.Node.(*String)
		if !ok {
			return
		}
		res := c.checkExpr(cw, local, checkStringSite(s), "input expression")
		names := res.dotted
		if res.failed {
			names = checkDottedWords(s.Value)
		}
		for _, name := range names {
			root, _, _ := strings.Cut(name, ".")
			if x, ok := cw.byID[root]; ok && root != name {
				r.readAgent(i, x, rng)
			} else if chans, ok := cw.resolve(name); ok {
				r.read(i, chans, rng)
			}
		}
	case InputOther:
		switch in.Node.(type) {
		case *Call, nil:
		default:
			c.wrongKind(in.Node, "input", `a channel such as "source" or "validated.tx", a reference such as risk.output, or an object of them`)
		}
	}
}

// checkPathInput checks an input written as a path: an agent reference,
// a subworkflow input, or a channel.
func (c *checkCtx) checkPathInput(r *flowReads, i int, in Input, rng Range) {
	cw := r.cw
	p := in.Node.(*Path)
	if checkIsNamespacePath(p) {
		return
	}
	if x, ok := cw.byID[p.Parts[0]]; ok && len(p.Parts) > 1 {
		r.readAgent(i, x, rng)
		return
	}
	if p.Parts[0] == "input" && cw.b.Kind == KindSubworkflow && len(p.Parts) > 1 {
		if !checkContains(cw.w.Inputs, p.Parts[1]) {
			c.errorAt(CodeUnknownInput, p.PartRanges[1], fmt.Sprintf("Unknown subworkflow input %q", p.Parts[1]),
				fmt.Sprintf("Subworkflow %s declares input %s.", cw.b.Name, checkAll(cw.w.Inputs)), suggest(p.Parts[1], cw.w.Inputs)...)
			return
		}
	}
	if chans, ok := cw.resolve(in.Channel); ok {
		r.read(i, chans, rng)
		return
	}
	if p.Parts[0] == "source" {
		return // no source: reported on the workflow
	}
	c.unknownAgentRef(cw, p)
}

// checkDottedWords returns the dotted names in an expression that does not
// compile, skipping quoted text, so the channels it reads still count.
func checkDottedWords(s string) []string {
	var out []string
	for i := 0; i < len(s); {
		ch := s[i]
		switch {
		case ch == '"' || ch == '\'':
			j := strings.IndexByte(s[i+1:], ch)
			if j < 0 {
				return out
			}
			i += j + 2
		case isIdentStart(ch):
			j := i
			for j < len(s) && (isIdentPart(s[j]) || s[j] == '.') {
				j++
			}
			out = append(out, strings.TrimRight(s[i:j], "."))
			i = j
		default:
			i++
		}
	}
	return out
}

// unproduced warns about a channel input that nothing produces.
// self is the reading agent's own output, never suggested.
func (c *checkCtx) unproduced(cw *checkWF, n Node, ch, self string) {
	var sugg []string
	root, _, _ := strings.Cut(ch, ".")
	if x, ok := cw.byID[root]; ok && x.Output != ch {
		sugg = append(sugg, x.Output)
	}
	for _, s := range suggest(ch, cw.channelNames()) {
		if s != self && !checkContains(sugg, s) {
			sugg = append(sugg, s)
		}
	}
	detail := fmt.Sprintf("No source, agent output, Router rule or mapping of %s %s produces it; events arrive only if another system publishes them.", cw.b.Kind, cw.b.Name)
	if x, ok := cw.byID[root]; ok && x.Output != ch {
		detail = fmt.Sprintf("Agent %q publishes on %q, not on %q; to read its output write the reference %s.output (no quotes) or the channel %q.", root, x.Output, ch, root, x.Output)
	}
	c.warnAt(CodeUnproducedInput, n.Rng(), fmt.Sprintf("Nothing produces channel %q", ch), detail, sugg...)
	if len(sugg) > 0 {
		cw.consumed[sugg[0]] = true // the likeliest spelling was meant
	}
}

func (c *checkCtx) unknownAgentRef(cw *checkWF, p *Path) {
	root := p.Parts[0]
	sugg := suggest(root, cw.ids)
	c.errorAt(CodeUnknownAgent, p.PartRanges[0], fmt.Sprintf("Unknown agent %q", root),
		fmt.Sprintf("%s refers to the output of agent %q, but %s %s has no such agent; its agents are %s.",
			p.String(), root, cw.b.Kind, cw.b.Name, checkAll(checkFirst(cw.ids, 12))),
		sugg...)
	if len(sugg) > 0 {
		// Assume the likeliest spelling was meant, so its output is not
		// also reported as unused.
		cw.consumed[cw.byID[sugg[0]].Output] = true
	}
}

// checkUnused reports outputs and Router channels nothing consumes.
func (c *checkCtx) checkUnused(cw *checkWF) {
	last, lastPre := -1, -1
	for i, a := range cw.all {
		if a.Call != nil {
			last = i
			if a.Stage == StagePreprocessor {
				lastPre = i
			}
		}
	}
	sinks := len(cw.w.Targets) > 0 || len(cw.w.Outputs) > 0
	for i, a := range cw.all {
		if a.Call == nil {
			continue
		}
		if subj, ok := strings.CutPrefix(a.Output, "target."); ok {
			if s, isStr := a.OutputNode.(*String); isStr {
				c.checkTargetRef(cw, subj, s)
			} else if p, isPath := a.OutputNode.(*Path); isPath && len(p.Parts) > 1 {
				c.checkTargetRef(cw, subj, p)
			}
			continue
		}
		if name, ok := strings.CutPrefix(a.Output, "output."); ok && cw.b.Kind == KindSubworkflow {
			if a.OutputNode != nil {
				c.checkOutputRef(cw, name, a.OutputNode)
			}
			continue
		}
		if cw.consumed[a.Output] || c.reg.Caps(a.Type).Routes || cw.fallback[a.ID] ||
			i == last && sinks || i == lastPre && len(cw.w.Agents) > 0 ||
			checkTargetMatch(cw.targets, a.Output) {
			continue
		}
		rng := a.Call.NameRange
		if a.OutputNode != nil {
			rng = a.OutputNode.Rng()
		} else if id := a.Call.Named("id"); id != nil {
			rng = id.Value.Rng()
		}
		where := "the workflow has no targets"
		if i != last {
			where = "it is not the last agent"
		}
		c.warnAt(CodeUnusedOutput, rng, fmt.Sprintf("Output of %q is not used", a.ID),
			fmt.Sprintf("No agent reads channel %q and %s, so its events go nowhere; read it from another agent (input: %s.output) or remove the agent.", a.Output, where, a.ID))
	}
	for _, r := range cw.routes {
		chans, _ := cw.resolve(r.channel)
		used := checkTargetMatch(cw.targets, r.channel)
		for _, ch := range chans {
			used = used || cw.consumed[ch]
		}
		if used {
			continue
		}
		var sugg []string
		for _, t := range suggest(r.channel, cw.targets) {
			sugg = append(sugg, "target."+t)
		}
		c.warnAt(CodeUnusedOutput, r.node.Rng(), fmt.Sprintf("Nothing reads channel %q", r.channel),
			fmt.Sprintf("Router %q sends events to %q, but no agent reads it and it is not a target; to send them to a target write \"target.<subject>\".", cw.all[r.agent].ID, r.channel),
			sugg...)
	}
}

// checkCycles reports every strongly connected group of agents, listing one
// cycle through it.
func (c *checkCtx) checkCycles(cw *checkWF, edges []checkEdge) {
	if len(edges) == 0 {
		return
	}
	n := len(cw.all)
	adj := make([][]int, n)
	rng := make(map[[2]int]Range, len(edges))
	self := map[int]bool{}
	for _, e := range edges {
		k := [2]int{e.from, e.to}
		if _, ok := rng[k]; ok {
			continue
		}
		rng[k] = e.rng
		adj[e.from] = append(adj[e.from], e.to)
		if e.from == e.to {
			self[e.from] = true
		}
	}
	for _, scc := range checkSCC(n, adj) {
		if len(scc) == 1 && !self[scc[0]] {
			continue
		}
		in := make(map[int]bool, len(scc))
		start := scc[0]
		for _, v := range scc {
			in[v] = true
			if v < start {
				start = v
			}
		}
		path := checkCyclePath(start, adj, in)
		names := make([]string, 0, len(path)+1)
		for _, v := range path {
			names = append(names, cw.all[v].ID)
		}
		names = append(names, cw.all[start].ID)
		closing := path[len(path)-1]
		c.errorAt(CodeCycle, rng[[2]int{closing, start}], "Agents form a cycle: "+strings.Join(names, " → "),
			fmt.Sprintf("%q reads the output of %q, which depends on %q's own output, so events would circulate forever; change one of the inputs to break the cycle.",
				cw.all[start].ID, cw.all[closing].ID, cw.all[start].ID))
	}
}

// checkCyclePath returns the shortest path start -> ... -> u such that u has
// an edge back to start, staying inside the component.
func checkCyclePath(start int, adj [][]int, in map[int]bool) []int {
	parent := map[int]int{start: -1}
	queue := []int{start}
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		for _, v := range adj[u] {
			if v == start {
				var path []int
				for x := u; x != -1; x = parent[x] {
					path = append(path, x)
				}
				for i, j := 0, len(path)-1; i < j; i, j = i+1, j-1 {
					path[i], path[j] = path[j], path[i]
				}
				return path
			}
			if _, seen := parent[v]; !seen && in[v] {
				parent[v] = u
				queue = append(queue, v)
			}
		}
	}
	return []int{start}
}

// checkSCC returns the strongly connected components of a graph (Tarjan's
// algorithm, iterative so deep pipelines cannot exhaust the stack).
func checkSCC(n int, adj [][]int) [][]int {
	index := make([]int, n)
	low := make([]int, n)
	onStack := make([]bool, n)
	for i := range index {
		index[i] = -1
	}
	var stack []int
	var out [][]int
	next := 0
	type frame struct{ v, e int }
	for root := 0; root < n; root++ {
		if index[root] >= 0 {
			continue
		}
		call := []frame{{root, 0}}
		index[root], low[root] = next, next
		next++
		stack = append(stack, root)
		onStack[root] = true
		for len(call) > 0 {
			f := &call[len(call)-1]
			if f.e < len(adj[f.v]) {
				w := adj[f.v][f.e]
				f.e++
				if index[w] < 0 {
					index[w], low[w] = next, next
					next++
					stack = append(stack, w)
					onStack[w] = true
					call = append(call, frame{w, 0})
				} else if onStack[w] && index[w] < low[f.v] {
					low[f.v] = index[w]
				}
				continue
			}
			v := f.v
			call = call[:len(call)-1]
			if len(call) > 0 {
				if p := call[len(call)-1].v; low[v] < low[p] {
					low[p] = low[v]
				}
			}
			if low[v] == index[v] {
				var comp []int
				for {
					w := stack[len(stack)-1]
					stack = stack[:len(stack)-1]
					onStack[w] = false
					comp = append(comp, w)
					if w == v {
						break
					}
				}
				out = append(out, comp)
			}
		}
	}
	return out
}

// checkIntegration checks an integration block and records the channels
// its mapping reads from and writes to the workflow.
func (c *checkCtx) checkIntegration(b *Block) {
	c.checkKnownKeys(b.Body, checkIntegrationKeys, "An integration")
	wf := c.integrationRef(b, "workflow", KindWorkflow)
	sub := c.integrationRef(b, "use", KindSubworkflow)
	mp := b.Body.Get("mapping")
	if mp == nil {
		return
	}
	mapping, ok := mp.Value.(*Object)
	if !ok {
		c.wrongKind(mp.Value, "mapping", "{ input: { ... }, output: { ... } }")
		return
	}
	c.checkKnownKeys(mapping, []string{"input", "output"}, "An integration mapping")
	if p := mapping.Get("input"); p != nil {
		in, ok := p.Value.(*Object)
		if !ok {
			c.wrongKind(p.Value, "mapping input", `{ "<subworkflow input>": agent.output, ... }`)
		} else {
			meant := map[string]bool{}
			for _, m := range in.Props {
				if sub != nil {
					for _, s := range c.mappingKey(sub, m, sub.w.Inputs, "input") {
						meant[s] = true
					}
				}
				if wf != nil {
					c.mappingSource(wf, m.Value)
				}
			}
			if sub != nil {
				for _, name := range sub.w.Inputs {
					if in.Get(name) == nil && !meant[name] {
						c.warnAt(CodeUnmappedInput, p.KeyRange, fmt.Sprintf("Subworkflow input %q is not mapped", name),
							fmt.Sprintf("Subworkflow %s declares input %s; expected %q: <agent>.output in mapping.input.", sub.b.Name, checkAll(sub.w.Inputs), name))
					}
				}
			}
		}
	}
	if p := mapping.Get("output"); p != nil {
		out, ok := p.Value.(*Object)
		if !ok {
			c.wrongKind(p.Value, "mapping output", `{ "<subworkflow output>": target.<subject> or "channel", ... }`)
			return
		}
		for _, m := range out.Props {
			if sub != nil {
				c.mappingKey(sub, m, sub.w.Outputs, "output")
			}
			if wf != nil {
				c.mappingSink(wf, m.Value)
			}
		}
	}
}

// integrationRef resolves workflow:/use: to the block it names.
func (c *checkCtx) integrationRef(b *Block, key string, kind BlockKind) *checkWF {
	p := b.Body.Get(key)
	if p == nil {
		c.errorAt(CodeMissingArg, b.KindRange, fmt.Sprintf("Integration without %q", key),
			fmt.Sprintf("Expected %s: Name naming the %s it wires.", key, kind))
		return nil
	}
	name, ok := checkNameOf(p.Value)
	if !ok {
		c.wrongKind(p.Value, key, "the name of a "+string(kind))
		return nil
	}
	cw := c.wfs[name]
	if cw != nil && cw.b.Kind == kind {
		return cw
	}
	var names []string
	for _, x := range c.order {
		if x.b.Kind == kind {
			names = append(names, x.b.Name)
		}
	}
	if cw != nil {
		c.errorAt(CodeUnknownWorkflow, p.Value.Rng(), fmt.Sprintf("%s is a %s, not a %s", name, cw.b.Kind, kind),
			fmt.Sprintf("%s: must name a %s; the file declares %s.", key, kind, checkListOr(names, "none")), suggest(name, names)...)
		return nil
	}
	c.errorAt(CodeUnknownWorkflow, p.Value.Rng(), fmt.Sprintf("Unknown %s %q", kind, name),
		fmt.Sprintf("%s: must name a %s of this file; it declares %s.", key, kind, checkListOr(names, "none")), suggest(name, names)...)
	return nil
}

func checkListOr(names []string, none string) string {
	if len(names) == 0 {
		return none
	}
	return checkAll(names)
}

// mappingKey checks a mapping key; it returns the suggestions made for an
// unknown one.
func (c *checkCtx) mappingKey(sub *checkWF, m *Property, declared []string, what string) []string {
	if checkContains(declared, m.Key) {
		return nil
	}
	sugg := suggest(m.Key, declared)
	c.errorAt(CodeUnknownMappingKey, m.KeyRange, fmt.Sprintf("Subworkflow %s has no %s %q", sub.b.Name, what, m.Key),
		fmt.Sprintf("It declares %s %s.", what, checkListOr(declared, "none")), sugg...)
	return sugg
}

// mappingSource checks a mapping input value, which reads from the workflow.
func (c *checkCtx) mappingSource(wf *checkWF, n Node) {
	switch v := n.(type) {
	case *Path:
		if checkIsNamespacePath(v) {
			return
		}
		if x, ok := wf.byID[v.Parts[0]]; ok && len(v.Parts) > 1 {
			wf.consumed[x.Output] = true
			return
		}
		if chans, ok := wf.resolve(v.String()); ok {
			for _, ch := range chans {
				wf.consumed[ch] = true
			}
			return
		}
		c.unknownAgentRef(wf, v)
	case *String:
		ch := strings.TrimSpace(v.Text())
		if chans, ok := wf.resolve(ch); ok {
			for _, x := range chans {
				wf.consumed[x] = true
			}
			return
		}
		c.unproduced(wf, v, ch, "")
	case *Call:
	default:
		c.wrongKind(n, "a mapping input", "an agent output such as prep.output, a channel string or a context call")
	}
}

// mappingSink checks a mapping output value, which writes into the workflow.
func (c *checkCtx) mappingSink(wf *checkWF, n Node) {
	ch, ok := checkNameOf(n)
	if !ok {
		c.wrongKind(n, "a mapping output", `target.<subject> or a channel string`)
		return
	}
	if subj, isTarget := strings.CutPrefix(ch, "target."); isTarget {
		c.checkTargetRef(wf, subj, n)
		return
	}
	wf.produced[ch] = append(wf.produced[ch], -1)
	wf.chans = nil
}
