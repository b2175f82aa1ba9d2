package dsl

import (
	"strconv"
	"strings"
)

// Workflow is the semantic view of a workflow or subworkflow block: its
// endpoints, agents and the channel each agent reads and writes, resolved
// from the syntax tree with the defaults of the language reference.
type Workflow struct {
	Block         *Block
	Name          string
	Kind          BlockKind
	NATS          string
	Sources       []*Endpoint
	Targets       []*Endpoint
	Contexts      []*Endpoint
	Preprocessors []*Agent
	Agents        []*Agent
	Models        *Object
	Data          *Object
	Schemas       *Object
	Config        *Object
	Inputs        []string // subworkflow inputs
	Outputs       []string // subworkflow outputs
}

// EndpointRole says whether an endpoint is a source, target or context.
type EndpointRole string

// Endpoint roles.
const (
	RoleSource  EndpointRole = "source"
	RoleTarget  EndpointRole = "target"
	RoleContext EndpointRole = "context"
)

// Endpoint is a source, target or context constructor such as NATS("x").
type Endpoint struct {
	Role    EndpointRole
	Type    string // constructor name; "" when the value is not a call
	Address string // first positional string argument: subject, path, URL...
	Call    *Call  // nil when the value is not a call
	Node    Node
	Index   int
	Options *Object // first object argument, if any
}

// Label is a short human description such as NATS("payments.in").
func (e *Endpoint) Label() string {
	if e.Type == "" {
		return "?"
	}
	if e.Address == "" {
		return e.Type + "()"
	}
	return e.Type + "(" + strconv.Quote(e.Address) + ")"
}

// Stage says which list an agent is declared in.
type Stage string

// Agent stages.
const (
	StagePreprocessor Stage = "preprocessors"
	StageAgent        Stage = "agents"
)

// Agent is one agent call with its resolved id and channels.
type Agent struct {
	Call       *Call
	Node       Node // the list element (a *Call unless the element is malformed)
	Type       string
	ID         string
	IDExplicit bool
	Stage      Stage
	Index      int // position in its list
	Inputs     []Input
	Output     string // channel the agent publishes on
	OutputNode Node   // the output argument, or nil for the default
}

// InputKind says how an agent input was written.
type InputKind string

// Input kinds.
const (
	InputDefault InputKind = "default" // no input argument: previous agent or source
	InputString  InputKind = "string"  // "channel" or "channel/field"
	InputPath    InputKind = "path"    // agent.output, input.x, source.x
	InputExpr    InputKind = "expr"    // a string holding an expression such as "a ?? b"
	InputOther   InputKind = "other"   // a call or literal (e.g. Database(...))
)

// Input is one channel an agent reads; an object input yields one per key.
type Input struct {
	Name    string // key in an object input, "" otherwise
	Channel string // channel name ("source" for the workflow sources)
	Field   string // selected field ("validated.data/vitals" -> "vitals")
	Kind    InputKind
	Node    Node // the value as written; nil for the default
}

// Workflows returns the semantic view of every workflow and subworkflow
// block in the file, in source order.
func (f *File) Workflows() []*Workflow {
	var out []*Workflow
	for _, b := range f.Blocks {
		if b.Kind == KindIntegration {
			continue
		}
		out = append(out, f.workflowOf(b))
	}
	return out
}

// Workflow returns the workflow or subworkflow with the given name, or nil.
// An empty name selects the first workflow block.
func (f *File) Workflow(name string) *Workflow {
	for _, b := range f.Blocks {
		if b.Kind == KindIntegration {
			continue
		}
		if name == "" && b.Kind == KindWorkflow || name != "" && b.Name == name {
			return f.workflowOf(b)
		}
	}
	return nil
}

// workflowOf returns the semantic view of a block of f, built once: the
// checker, the graph and the engine all read it, and neither the file nor
// the view changes after parsing.
func (f *File) workflowOf(b *Block) *Workflow {
	f.wfMu.Lock()
	defer f.wfMu.Unlock()
	if w, ok := f.wfCache[b]; ok {
		return w
	}
	if f.wfCache == nil {
		f.wfCache = map[*Block]*Workflow{}
	}
	w := NewWorkflow(b)
	f.wfCache[b] = w
	return w
}

// NewWorkflow builds the semantic view of one block.
func NewWorkflow(b *Block) *Workflow {
	w := &Workflow{Block: b, Name: b.Name, Kind: b.Kind}
	body := b.Body
	if body == nil {
		return w
	}
	if s, ok := StringValue(body.Value("nats")); ok {
		w.NATS = s
	}
	w.Sources = endpoints(RoleSource, body.Value("source"))
	w.Targets = endpoints(RoleTarget, body.Value("target"))
	w.Contexts = endpoints(RoleContext, body.Value("context"))
	w.Models, _ = body.Value("models").(*Object)
	w.Data, _ = body.Value("data").(*Object)
	w.Schemas, _ = body.Value("schemas").(*Object)
	w.Config, _ = body.Value("config").(*Object)
	if b.Kind == KindSubworkflow {
		w.Inputs = stringList(body.Value("input"))
		w.Outputs = stringList(body.Value("output"))
	}
	w.Preprocessors = agentList(body.Value("preprocessors"), StagePreprocessor)
	w.Agents = agentList(body.Value("agents"), StageAgent)
	w.resolve()
	return w
}

func stringList(n Node) []string {
	var out []string
	switch v := n.(type) {
	case *Array:
		for _, e := range v.Elems {
			if s, ok := StringValue(e); ok {
				out = append(out, s)
			} else if p, ok := e.(*Path); ok {
				out = append(out, p.String())
			}
		}
	case *String:
		out = append(out, v.Text())
	}
	return out
}

// ElemsOf returns the elements of an array, or the value itself when it is
// a single value (source: NATS("x") and source: [NATS("x")] are the same).
func ElemsOf(n Node) []Node {
	switch v := n.(type) {
	case nil:
		return nil
	case *Array:
		return v.Elems
	default:
		return []Node{v}
	}
}

func endpoints(role EndpointRole, n Node) []*Endpoint {
	var out []*Endpoint
	for i, e := range ElemsOf(n) {
		ep := &Endpoint{Role: role, Node: e, Index: i}
		switch v := e.(type) {
		case *Call:
			ep.Call, ep.Type = v, v.Name
			for _, a := range v.Args {
				if s, ok := a.Value.(*String); ok && ep.Address == "" && (a.Name == "" || isAddressArg(a.Name)) {
					ep.Address = s.Text()
				}
				if o, ok := a.Value.(*Object); ok && ep.Options == nil && (a.Name == "" || a.Name == "options") {
					ep.Options = o
				}
			}
		case *Path:
			ep.Address = v.String()
		case *String:
			ep.Address = v.Text()
		}
		out = append(out, ep)
	}
	return out
}

func isAddressArg(name string) bool {
	switch name {
	case "subject", "topic", "path", "endpoint", "url", "file", "interval", "connection", "dsn":
		return true
	}
	return false
}

func agentList(n Node, stage Stage) []*Agent {
	arr, ok := n.(*Array)
	if !ok {
		if n == nil {
			return nil
		}
		// A single agent written without brackets is accepted.
		arr = &Array{Elems: []Node{n}}
	}
	var out []*Agent
	for i, e := range arr.Elems {
		a := &Agent{Node: e, Stage: stage, Index: i}
		if c, ok := e.(*Call); ok {
			a.Call, a.Type = c, c.Name
			if s, ok := StringValue(c.Value("id")); ok {
				a.ID, a.IDExplicit = s, true
			} else if p, ok := c.Value("id").(*Path); ok {
				a.ID, a.IDExplicit = p.String(), true
			}
		}
		out = append(out, a)
	}
	return out
}

// AllAgents returns preprocessors followed by agents, in pipeline order.
func (w *Workflow) AllAgents() []*Agent {
	out := make([]*Agent, 0, len(w.Preprocessors)+len(w.Agents))
	out = append(out, w.Preprocessors...)
	return append(out, w.Agents...)
}

// Agent returns the agent with the given id, or nil.
func (w *Workflow) Agent(id string) *Agent {
	for _, a := range w.AllAgents() {
		if a.ID == id {
			return a
		}
	}
	return nil
}

// resolve assigns ids to agents without one and works out every agent's
// input and output channels.
func (w *Workflow) resolve() {
	all := w.AllAgents()
	typeCount := map[string]int{}
	for _, a := range all {
		if !a.IDExplicit {
			typeCount[a.Type]++
		}
	}
	explicit := map[string]bool{}
	for _, a := range all {
		if a.IDExplicit {
			explicit[a.ID] = true
		}
	}
	seen := map[string]int{}
	for _, a := range all {
		if a.IDExplicit {
			continue
		}
		t := a.Type
		if t == "" {
			t = "agent"
		}
		if typeCount[a.Type] == 1 && !explicit[t] {
			a.ID = t
			continue
		}
		for {
			seen[t]++
			cand := t + "_" + strconv.Itoa(seen[t])
			if !explicit[cand] {
				a.ID = cand
				break
			}
		}
	}
	prev := "source"
	for _, a := range all {
		a.Output = a.ID + ".output"
		if a.Call != nil {
			if on := a.Call.Value("output"); on != nil {
				a.OutputNode = on
				switch v := on.(type) {
				case *String:
					a.Output = v.Text()
				case *Path:
					a.Output = v.String()
				}
			}
		}
		var in Node
		if a.Call != nil {
			in = a.Call.Value("input")
		}
		if in == nil {
			ch := prev
			if w.Kind == KindSubworkflow && prev == "source" && len(w.Inputs) > 0 {
				ch = "input." + w.Inputs[0]
			}
			a.Inputs = []Input{{Channel: ch, Kind: InputDefault}}
		} else if _, ok := in.(*Null); ok {
			a.Inputs = nil // input: null leaves the agent unconnected
		} else if o, ok := in.(*Object); ok {
			for _, p := range o.Props {
				ip := inputOf(p.Value)
				ip.Name = p.Key
				a.Inputs = append(a.Inputs, ip)
			}
		} else {
			a.Inputs = []Input{inputOf(in)}
		}
		prev = a.Output
	}
}

func inputOf(n Node) Input {
	switch v := n.(type) {
	case *String:
		s := strings.TrimSpace(v.Text())
		if !isChannelName(s) {
			return Input{Channel: s, Kind: InputExpr, Node: n}
		}
		ch, field, _ := strings.Cut(s, "/")
		return Input{Channel: ch, Field: field, Kind: InputString, Node: n}
	case *Path:
		return Input{Channel: v.String(), Kind: InputPath, Node: n}
	}
	return Input{Kind: InputOther, Node: n}
}

// isChannelName reports whether s is a plain channel reference such as
// "validated.tx" or "validated.data/vitals" (as opposed to an expression).
func isChannelName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(isIdentPart(c) || c == '.' || c == '/' || c == '-' || c == '*' || c == '>') {
			return false
		}
	}
	return true
}
