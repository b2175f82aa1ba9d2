package dsl

import (
	"strconv"
	"strings"

	"github.com/kumeo/kumeo/dsl/subject"
)

// Graph is the canvas projection of a file: deterministic (same text, same
// JSON) with node ids that stay stable across edits that do not touch the
// node, so the canvas can keep positions.
type Graph struct {
	Nodes []*GraphNode `json:"nodes"`
	Edges []*GraphEdge `json:"edges"`
}

// Node kinds.
const (
	NodeSource      = "source"
	NodeTarget      = "target"
	NodeContext     = "context"
	NodeAgent       = "agent"
	NodeSubworkflow = "subworkflow"
	NodeDeadLetter  = "deadletter"
)

// Edge kinds.
const (
	EdgeData       = "data"       // a channel from producer to consumer
	EdgeRoute      = "route"      // a Router rule
	EdgeSink       = "sink"       // last agent to the workflow targets
	EdgeFallback   = "fallback"   // agent to its fallback agent
	EdgeDeadLetter = "deadletter" // failing events to the dead-letter channel
	EdgeMapping    = "mapping"    // integration mapping into/out of a subworkflow
)

// GraphNode is one node on the canvas.
type GraphNode struct {
	ID       string            `json:"id"`
	Kind     string            `json:"kind"`
	Type     string            `json:"type,omitempty"`
	Label    string            `json:"label"`
	Workflow string            `json:"workflow"`
	Parent   string            `json:"parent,omitempty"`
	AgentID  string            `json:"agent_id,omitempty"`
	Stage    string            `json:"stage,omitempty"`
	Index    int               `json:"index"`
	Known    bool              `json:"known"`
	Props    map[string]string `json:"props,omitempty"`
	Range    Range             `json:"range"`
}

// GraphEdge is one edge on the canvas.
type GraphEdge struct {
	ID      string `json:"id"`
	From    string `json:"from"`
	To      string `json:"to"`
	Kind    string `json:"kind"`
	Channel string `json:"channel,omitempty"`
	Label   string `json:"label,omitempty"`
	Range   Range  `json:"range"`
}

// AgentNodeID is the stable node id of an agent.
func AgentNodeID(workflow, id string) string { return workflow + "/agent/" + id }

func endpointNodeID(workflow string, e *Endpoint) string {
	return workflow + "/" + string(e.Role) + "/" + e.Type + ":" + e.Address
}

type graphBuilder struct {
	reg     *Registry
	g       *Graph
	nodeIDs map[string]int
	edgeIDs map[string]int
}

func (b *graphBuilder) addNode(n *GraphNode) *GraphNode {
	if c := b.nodeIDs[n.ID]; c > 0 {
		b.nodeIDs[n.ID] = c + 1
		n.ID += "~" + strconv.Itoa(c+1)
	} else {
		b.nodeIDs[n.ID] = 1
	}
	b.g.Nodes = append(b.g.Nodes, n)
	return n
}

func (b *graphBuilder) addEdge(e *GraphEdge) {
	id := e.Kind + ":" + e.From + "->" + e.To
	if e.Channel != "" {
		id += "#" + e.Channel
	}
	if c := b.edgeIDs[id]; c > 0 {
		b.edgeIDs[id] = c + 1
		id += "~" + strconv.Itoa(c+1)
	} else {
		b.edgeIDs[id] = 1
	}
	e.ID = id
	b.g.Edges = append(b.g.Edges, e)
}

// Graph projects every block of the file onto nodes and edges; the types
// of r are the known ones.
func (r *Registry) Graph(f *File) *Graph {
	// Size the tables once: growing maps was most of the cost on large files.
	n := 8
	for _, blk := range f.Blocks {
		if arr, ok := blk.Body.Value("agents").(*Array); ok {
			n += len(arr.Elems)
		}
	}
	b := &graphBuilder{reg: r, g: &Graph{Nodes: make([]*GraphNode, 0, n+8), Edges: make([]*GraphEdge, 0, 2*n)},
		nodeIDs: make(map[string]int, n+8), edgeIDs: make(map[string]int, 2*n)}
	wfs := map[string]*Workflow{}
	agentNodes := map[string]map[string]string{} // workflow -> agent id -> node id
	targetNodes := map[string][]*targetNode{}
	for _, blk := range f.Blocks {
		if blk.Kind == KindIntegration {
			continue
		}
		w := f.workflowOf(blk)
		wfs[w.Name] = w
		ids, targets := b.workflow(w)
		agentNodes[w.Name] = ids
		targetNodes[w.Name] = targets
	}
	for _, blk := range f.Blocks {
		if blk.Kind == KindIntegration {
			b.integration(blk, wfs, agentNodes, targetNodes)
		}
	}
	return b.g
}

type targetNode struct {
	id string
	e  *Endpoint
}

// wfGraph is the state of projecting one workflow or subworkflow.
type wfGraph struct {
	b         *graphBuilder
	w         *Workflow
	parent    string              // the subworkflow's node id, or ""
	producers map[string][]string // channel -> node ids producing it
	targets   []*targetNode
	all       []*Agent
	nodeOf    []*GraphNode      // node of each agent of all
	ids       map[string]string // agent id -> node id (first of an id)
	routes    []graphRoute
}

// graphRoute is one rule of an agent that routes events.
type graphRoute struct {
	from, cond string
	to         Node
	rng        Range
}

// workflow adds the nodes and edges of one workflow or subworkflow.
func (b *graphBuilder) workflow(w *Workflow) (map[string]string, []*targetNode) {
	g := &wfGraph{b: b, w: w, producers: make(map[string][]string, 2*len(w.Agents)+len(w.Preprocessors)+4)}
	if w.Kind == KindSubworkflow {
		g.parent = w.Name
		b.addNode(&GraphNode{ID: w.Name, Kind: NodeSubworkflow, Label: w.Name, Workflow: w.Name, Known: true, Range: w.Block.Range,
			Props: map[string]string{"input": strings.Join(w.Inputs, ", "), "output": strings.Join(w.Outputs, ", ")}})
	}
	g.endpoints()
	g.agents()
	g.routeRules()
	consumed := g.dataEdges()
	g.routeEdges()
	g.sinkEdges(consumed)
	g.failureEdges()
	return g.ids, g.targets
}

// endpoints adds the sources, targets and contexts; the sources produce
// "source", a subworkflow's inputs "input.<name>".
func (g *wfGraph) endpoints() {
	w := g.w
	var sources []string
	for _, e := range w.Sources {
		n := g.b.endpoint(w, e, g.parent)
		sources = append(sources, n.ID)
	}
	g.producers["source"] = sources
	if w.Kind == KindSubworkflow {
		for _, in := range w.Inputs {
			g.producers["input."+in] = []string{w.Name}
		}
	}
	for _, e := range w.Targets {
		n := g.b.endpoint(w, e, g.parent)
		g.targets = append(g.targets, &targetNode{n.ID, e})
	}
	for _, e := range w.Contexts {
		g.b.endpoint(w, e, g.parent)
	}
}

// agents adds a node per agent; each produces its output channel.
func (g *wfGraph) agents() {
	w := g.w
	g.all = w.AllAgents()
	g.ids = make(map[string]string, len(g.all))
	g.nodeOf = make([]*GraphNode, len(g.all))
	for i, a := range g.all {
		n := &GraphNode{ID: AgentNodeID(w.Name, a.ID), Kind: NodeAgent, Type: a.Type, Label: a.ID, Workflow: w.Name, Parent: g.parent,
			AgentID: a.ID, Stage: string(a.Stage), Index: a.Index, Range: a.Node.Rng(), Props: agentProps(a)}
		_, n.Known = g.b.reg.Lookup(a.Type)
		if n.Props["output"] == "" {
			n.Props["output"] = a.Output
		}
		g.nodeOf[i] = g.b.addNode(n)
		if _, dup := g.ids[a.ID]; !dup {
			g.ids[a.ID] = n.ID
		}
		g.producers[a.Output] = append(g.producers[a.Output], n.ID)
	}
}

// routeRules collects the rules of agents that route events; a rule whose
// value is a channel produces that channel.
func (g *wfGraph) routeRules() {
	for i, a := range g.all {
		if !g.b.reg.Caps(a.Type).Routes || a.Call == nil {
			continue
		}
		rules, _ := a.Call.Value("rules").(*Object)
		if rules == nil {
			continue
		}
		for _, p := range rules.Props {
			g.routes = append(g.routes, graphRoute{g.nodeOf[i].ID, p.Key, p.Value, p.Range})
			if ch, ok := checkNameOf(p.Value); ok && !strings.HasPrefix(ch, "target.") {
				g.producers[ch] = append(g.producers[ch], g.nodeOf[i].ID)
			}
		}
	}
}

// dataEdges joins each agent to the producers of the channels it reads and
// returns the channels read.
func (g *wfGraph) dataEdges() map[string]bool {
	consumed := make(map[string]bool, len(g.all))
	for i, a := range g.all {
		to := g.nodeOf[i].ID
		for _, in := range a.Inputs {
			var rng Range
			if in.Node != nil {
				rng = in.Node.Rng()
			} else if a.Call != nil {
				rng = a.Call.NameRange
			}
			for _, ch := range inputChannels(in, g.producers) {
				consumed[ch.name] = true
				label := ch.name
				if in.Name != "" {
					label = in.Name + ": " + ch.name
				}
				if ch.field != "" {
					label += "/" + ch.field
				}
				for _, from := range g.producers[ch.name] {
					if from != to {
						g.b.addEdge(&GraphEdge{From: from, To: to, Kind: EdgeData, Channel: ch.name, Label: label, Range: rng})
					}
				}
			}
		}
	}
	return consumed
}

// routeEdges joins route rules sending to "target.<subject>" to the
// targets.
func (g *wfGraph) routeEdges() {
	for _, r := range g.routes {
		ch, ok := checkNameOf(r.to)
		if !ok {
			continue
		}
		if subj, isTarget := strings.CutPrefix(ch, "target."); isTarget {
			for _, t := range matchTargets(g.targets, subj) {
				g.b.addEdge(&GraphEdge{From: r.from, To: t, Kind: EdgeRoute, Channel: ch, Label: r.cond, Range: r.rng})
			}
		}
	}
}

// sinkEdges: the last agent publishes to the targets unless it routes
// itself or another agent consumes its output; an explicit "target.x"
// output goes to that target.
func (g *wfGraph) sinkEdges(consumed map[string]bool) {
	for i, a := range g.all {
		from := g.nodeOf[i].ID
		if subj, ok := strings.CutPrefix(a.Output, "target."); ok {
			for _, t := range matchTargets(g.targets, subj) {
				g.b.addEdge(&GraphEdge{From: from, To: t, Kind: EdgeSink, Channel: a.Output, Range: rangeOf(a.OutputNode, a.Node)})
			}
			continue
		}
		if i == len(g.all)-1 && !g.b.reg.Caps(a.Type).Routes && !consumed[a.Output] {
			for _, t := range g.targets {
				g.b.addEdge(&GraphEdge{From: from, To: t.id, Kind: EdgeSink, Channel: a.Output, Range: a.Node.Rng()})
			}
		}
	}
}

// failureEdges adds fallback edges, on_failure channels sent to targets
// and the dead-letter node of agents whose failures are not dropped.
func (g *wfGraph) failureEdges() {
	var dlq *GraphNode
	for i, a := range g.all {
		if a.Call == nil {
			continue
		}
		from := g.nodeOf[i].ID
		if fb := a.Call.Named("fallback"); fb != nil {
			if id, ok := refName(fb.Value); ok {
				if to, ok := g.ids[id]; ok {
					g.b.addEdge(&GraphEdge{From: from, To: to, Kind: EdgeFallback, Label: "fallback", Range: fb.Value.Rng()})
				}
			}
		}
		of := a.Call.Named("on_failure")
		if of == nil {
			continue
		}
		action := g.failureChannel(from, of)
		if action == FailureDrop {
			continue
		}
		if dlq == nil {
			w := g.w
			dlq = g.b.addNode(&GraphNode{ID: w.Name + "/deadletter", Kind: NodeDeadLetter, Label: "dead letters", Workflow: w.Name, Parent: g.parent, Known: true,
				Props: map[string]string{"subject": subject.DLQ(w.Name)}})
		}
		label := "on_failure"
		if action != "" {
			label += ": " + action
		}
		g.b.addEdge(&GraphEdge{From: from, To: dlq.ID, Kind: EdgeDeadLetter, Label: label, Range: of.Value.Rng()})
	}
}

// failureChannel adds the edge of an on_failure fallback channel sent to
// a target and returns the on_failure action.
func (g *wfGraph) failureChannel(from string, of *Arg) string {
	obj, _ := of.Value.(*Object)
	if obj == nil {
		return ""
	}
	action, _ := StringValue(obj.Value("action"))
	if fbo, ok := obj.Value("fallback").(*Object); ok {
		if ch, ok := StringValue(fbo.Value("channel")); ok {
			for _, t := range matchTargets(g.targets, ch) {
				g.b.addEdge(&GraphEdge{From: from, To: t, Kind: EdgeDeadLetter, Channel: ch, Label: "on_failure", Range: fbo.Range})
			}
		}
	}
	return action
}

func rangeOf(n Node, fallback Node) Range {
	if n != nil {
		return n.Rng()
	}
	return fallback.Rng()
}

func (b *graphBuilder) endpoint(w *Workflow, e *Endpoint, parent string) *GraphNode {
	props := map[string]string{}
	if e.Address != "" {
		props["address"] = e.Address
	}
	n := &GraphNode{ID: endpointNodeID(w.Name, e), Kind: string(e.Role), Type: e.Type, Label: e.Label(), Workflow: w.Name, Parent: parent,
		Index: e.Index, Range: e.Node.Rng(), Props: props}
	if t, ok := b.reg.Lookup(e.Type); ok {
		n.Known = t.Is(Category(e.Role))
	}
	return b.addNode(n)
}

// matchTargets returns the targets whose address is subj; with none, the
// targets whose address ends with subj (target.risk_score matching
// payments.scored.risk_score is not attempted: only exact and suffix).
func matchTargets(targets []*targetNode, subj string) []string {
	var out []string
	for _, t := range targets {
		if t.e.Address == subj {
			out = append(out, t.id)
		}
	}
	if len(out) == 0 {
		for _, t := range targets {
			if t.e.Address != "" && strings.HasPrefix(subj, t.e.Address+".") {
				out = append(out, t.id)
			}
		}
	}
	return out
}

type channelRef struct{ name, field string }

// inputChannels resolves an input to produced channels. A channel that is
// not produced is tried with trailing parts removed (source.transactions is
// the field "transactions" of "source").
func inputChannels(in Input, producers map[string][]string) []channelRef {
	switch in.Kind {
	case InputDefault, InputString, InputPath:
		if in.Channel == "" {
			return nil
		}
		return []channelRef{resolveChannel(in.Channel, in.Field, producers)}
	case InputExpr:
		var out []channelRef
		seen := map[string]bool{}
		for _, word := range splitRefs(in.Channel) {
			c := resolveChannel(word, "", producers)
			if _, ok := producers[c.name]; ok && !seen[c.name] {
				seen[c.name] = true
				out = append(out, c)
			}
		}
		return out
	}
	return nil
}

func resolveChannel(ch, field string, producers map[string][]string) channelRef {
	if _, ok := producers[ch]; ok {
		return channelRef{ch, field}
	}
	name := ch
	for {
		i := strings.LastIndexByte(name, '.')
		if i < 0 {
			break
		}
		rest := ch[i+1:]
		name = name[:i]
		if _, ok := producers[name]; ok {
			if field != "" {
				rest += "/" + field
			}
			return channelRef{name, rest}
		}
	}
	return channelRef{ch, field}
}

// splitRefs returns the dotted names in an expression such as
// "reviewed.analysis ?? analysis.results".
func splitRefs(s string) []string {
	var out []string
	start := -1
	for i := 0; i <= len(s); i++ {
		if i < len(s) && (isIdentPart(s[i]) || s[i] == '.') {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			w := strings.Trim(s[start:i], ".")
			if w != "" && isIdentStart(w[0]) {
				out = append(out, w)
			}
			start = -1
		}
		if i < len(s) && s[i] == '\'' || i < len(s) && s[i] == '"' {
			// skip string literals inside the expression
			q := s[i]
			j := strings.IndexByte(s[i+1:], q)
			if j < 0 {
				break
			}
			i += j + 1
		}
	}
	return out
}

// refName returns the agent id named by a string or single-part path.
func refName(n Node) (string, bool) {
	switch v := n.(type) {
	case *String:
		return v.Text(), true
	case *Path:
		return v.String(), true
	}
	return "", false
}

// agentProps picks the properties shown on an agent node.
func agentProps(a *Agent) map[string]string {
	props := map[string]string{}
	if a.Call == nil {
		return props
	}
	for _, arg := range a.Call.Args {
		switch arg.Name {
		case "model", "engine", "when", "timeout", "output", "module", "strategy", "matrix":
			props[arg.Name] = summary(arg.Value)
		case "retry":
			props["retry"] = summary(arg.Value)
		case "provider":
			if o, ok := arg.Value.(*Object); ok && len(o.Props) > 0 {
				props["provider"] = o.Props[0].Key
			}
		case "rules":
			switch v := arg.Value.(type) {
			case *Object:
				props["rules"] = strconv.Itoa(len(v.Props))
			case *Array:
				props["rules"] = strconv.Itoa(len(v.Elems))
			default:
				props["rules"] = summary(v)
			}
		}
	}
	return props
}

// summary renders a short one-line description of a value.
func summary(n Node) string {
	switch v := n.(type) {
	case *String:
		return truncate(strings.Join(strings.Fields(v.Text()), " "), 60)
	case *Number:
		return v.Text
	case *Bool:
		return strconv.FormatBool(v.Value)
	case *Null:
		return "null"
	case *Path:
		return v.String()
	case *Call:
		return v.Name + "(…)"
	case *Object:
		if f, ok := v.Value("file").(*String); ok {
			return f.Text()
		}
		if att := v.Value("attempts"); att != nil {
			return summary(att)
		}
		return "{…}"
	case *Array:
		return "[" + strconv.Itoa(len(v.Elems)) + "]"
	}
	return ""
}

// integration adds mapping edges between a workflow and a subworkflow.
func (b *graphBuilder) integration(blk *Block, wfs map[string]*Workflow, agents map[string]map[string]string, targets map[string][]*targetNode) {
	wfName, _ := refName(blk.Body.Value("workflow"))
	subName, _ := refName(blk.Body.Value("use"))
	if wfs[wfName] == nil || wfs[subName] == nil {
		return
	}
	mapping, _ := blk.Body.Value("mapping").(*Object)
	if mapping == nil {
		return
	}
	if in, ok := mapping.Value("input").(*Object); ok {
		for _, p := range in.Props {
			ch, ok := checkNameOf(p.Value)
			if !ok {
				continue
			}
			if id, _, _ := strings.Cut(ch, "."); agents[wfName][id] != "" {
				b.addEdge(&GraphEdge{From: agents[wfName][id], To: subName, Kind: EdgeMapping, Channel: ch, Label: p.Key, Range: p.Range})
			} else if ch == "source" || strings.HasPrefix(ch, "source.") {
				for _, s := range wfs[wfName].Sources {
					b.addEdge(&GraphEdge{From: endpointNodeID(wfName, s), To: subName, Kind: EdgeMapping, Channel: ch, Label: p.Key, Range: p.Range})
				}
			}
		}
	}
	if out, ok := mapping.Value("output").(*Object); ok {
		for _, p := range out.Props {
			ch, ok := checkNameOf(p.Value)
			if !ok {
				continue
			}
			if subj, ok := strings.CutPrefix(ch, "target."); ok {
				for _, t := range matchTargets(targets[wfName], subj) {
					b.addEdge(&GraphEdge{From: subName, To: t, Kind: EdgeMapping, Channel: ch, Label: p.Key, Range: p.Range})
				}
			}
		}
	}
}
