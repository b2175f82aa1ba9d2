package dsl

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Errors returned by edit operations.
var (
	ErrSyntax       = errors.New("the text has syntax errors")
	ErrUnknownOp    = errors.New("unknown operation")
	ErrBadOp        = errors.New("invalid operation")
	ErrNoWorkflow   = errors.New("workflow not found")
	ErrNoAgent      = errors.New("agent not found")
	ErrDuplicateID  = errors.New("agent id already in use")
	ErrInvalidValue = errors.New("invalid value")
	ErrNotConnected = errors.New("agents are not connected")
	ErrNoEndpoint   = errors.New("source or target not found")
)

// Ref is an optional agent reference that tells an explicit JSON null
// apart from an absent field.
type Ref struct {
	Set   bool // the field was present (possibly null)
	Null  bool
	Value string
}

// UnmarshalJSON accepts a string or null.
func (r *Ref) UnmarshalJSON(b []byte) error {
	r.Set = true
	if string(b) == "null" {
		r.Null = true
		return nil
	}
	return json.Unmarshal(b, &r.Value)
}

// MarshalJSON writes the string, or null.
func (r Ref) MarshalJSON() ([]byte, error) {
	if r.Null || !r.Set {
		return []byte("null"), nil
	}
	return json.Marshal(r.Value)
}

// Op is one round-trip edit operation. Agents are addressed by id; Agent
// and Value are Kumeo source text.
//
//	{"op":"add_agent","after":"ID"|null,"agent":"Router(id: \"r\", ...)"}  after null: first; absent: last
//	{"op":"remove_agent","id":"ID"}
//	{"op":"rename_agent","id":"ID","to":"NEW"}
//	{"op":"set","id":"ID","key":"timeout","value":"\"30s\""}   key may be dotted: config.thresholds.block
//	{"op":"unset","id":"ID","key":"timeout"}
//	{"op":"connect","from":"ID"|"source","to":"ID"}
//	{"op":"disconnect","from":"ID"|"source","to":"ID"}
//	{"op":"move_agent","id":"ID","index":0}
//	{"op":"add_source","value":"NATS(\"x\")"} / add_target
//	{"op":"remove_source","address":"x"} or "index": n / remove_target
//
// set/unset accept "id": "workflow" for workflow properties and "source" /
// "target" for an endpoint: without a key the whole value (with "index",
// only that endpoint of the list), "address" its address, any other key
// one of its options. "index" picks the endpoint (default the first).
// Workflow selects a block when the file has several.
type Op struct {
	Op       string `json:"op"`
	Workflow string `json:"workflow,omitempty"`
	ID       string `json:"id,omitempty"`
	After    Ref    `json:"after"`
	Agent    string `json:"agent,omitempty"`
	Stage    string `json:"stage,omitempty"`
	From     string `json:"from,omitempty"`
	To       string `json:"to,omitempty"`
	Key      string `json:"key,omitempty"`
	Value    string `json:"value,omitempty"`
	Index    *int   `json:"index,omitempty"`
	Address  string `json:"address,omitempty"`
}

// EditResult is the outcome of an operation: the new text and the edits
// that turn the old text into it.
type EditResult struct {
	Src   []byte     `json:"-"`
	Edits []TextEdit `json:"edits"`
}

// ApplyOp performs op on src. Every byte outside the nodes the operation
// changes is kept; new text is canonical. The result is re-parsed before it
// is returned, so an operation never produces text that does not parse.
func ApplyOp(filename string, src []byte, op Op) (*EditResult, error) {
	f, diags := Parse(filename, src)
	if diags.HasErrors() {
		return nil, fmt.Errorf("%w: %s", ErrSyntax, diags.Errors()[0].String())
	}
	res, err := Edit(f, op)
	if err != nil {
		return nil, err
	}
	if _, d := Parse(filename, res.Src); d.HasErrors() {
		return nil, fmt.Errorf("%w: the %s result does not parse: %s", ErrBadOp, op.Op, d.Errors()[0].Message())
	}
	return res, nil
}

// Edit performs op on a file that parsed without errors, reusing its
// syntax tree: the editor keeps the tree of the current text, so an edit
// costs only the work on the nodes it touches. Callers that need the
// result checked re-parse it (ApplyOp does).
func Edit(f *File, op Op) (*EditResult, error) {
	e := &editor{textView: textView{f: f, src: f.Src}, op: op}
	edits, err := e.run()
	if err != nil {
		return nil, err
	}
	if edits == nil {
		edits = []TextEdit{}
	}
	return &EditResult{Src: ApplyEdits(f.Src, edits), Edits: edits}, nil
}

type editor struct {
	textView
	op Op
	w  *Workflow
}

func (e *editor) run() ([]TextEdit, error) {
	w := e.f.Workflow(e.op.Workflow)
	if w == nil {
		if e.op.Workflow != "" {
			return nil, fmt.Errorf("%w: no workflow or subworkflow named %q", ErrNoWorkflow, e.op.Workflow)
		}
		for _, b := range e.f.Blocks {
			if b.Kind == KindSubworkflow {
				w = e.f.workflowOf(b)
				break
			}
		}
		if w == nil {
			return nil, fmt.Errorf("%w: the file has no workflow block", ErrNoWorkflow)
		}
	}
	e.w = w
	switch e.op.Op {
	case "add_agent":
		return e.addAgent()
	case "remove_agent":
		return e.removeAgent()
	case "rename_agent":
		return e.rename(e.op.ID, e.op.To)
	case "set":
		return e.set()
	case "unset":
		return e.unset()
	case "connect":
		return e.connect()
	case "disconnect":
		return e.disconnect()
	case "move_agent":
		return e.move()
	case "add_source":
		return e.addEndpoint("source")
	case "add_target":
		return e.addEndpoint("target")
	case "remove_source":
		return e.removeEndpoint("source")
	case "remove_target":
		return e.removeEndpoint("target")
	}
	return nil, fmt.Errorf("%w %q: expected add_agent, remove_agent, rename_agent, set, unset, connect, disconnect, move_agent, add_source, add_target, remove_source or remove_target", ErrUnknownOp, e.op.Op)
}

// fragment parses and canonically formats a value given as source text.
func (e *editor) fragment(what, text string) (string, Node, error) {
	n, _, d := ParseValue(what, []byte(text))
	if d.HasErrors() {
		return "", nil, fmt.Errorf("%w: %s: %s", ErrInvalidValue, what, d.Errors()[0].Message())
	}
	out, err := FormatFragment(text, 0)
	if err != nil {
		return "", nil, fmt.Errorf("%w: %s: %v", ErrInvalidValue, what, err)
	}
	return out, n, nil
}

func (e *editor) agent(id string) (*Agent, error) {
	if id == "" {
		return nil, fmt.Errorf("%w: the operation needs an agent id", ErrBadOp)
	}
	if a := e.w.Agent(id); a != nil {
		return a, nil
	}
	var ids []string
	for _, a := range e.w.AllAgents() {
		ids = append(ids, a.ID)
	}
	if s := suggest(id, ids); len(s) > 0 {
		return nil, fmt.Errorf("%w: no agent %q in %s (did you mean %q?)", ErrNoAgent, id, e.w.Name, s[0])
	}
	return nil, fmt.Errorf("%w: no agent %q in %s", ErrNoAgent, id, e.w.Name)
}

// callAgent is agent for operations that change the agent's arguments.
func (e *editor) callAgent(id string) (*Agent, error) {
	a, err := e.agent(id)
	if err != nil {
		return nil, err
	}
	if a.Call == nil {
		return nil, fmt.Errorf("%w: %q is not an agent call such as LLM(id: \"x\", ...)", ErrBadOp, id)
	}
	return a, nil
}

// list returns the array literal an agent belongs to.
func (e *editor) list(stage Stage) *Array {
	arr, _ := e.w.Block.Body.Value(string(stage)).(*Array)
	return arr
}

func (e *editor) addAgent() ([]TextEdit, error) {
	text, n, err := e.fragment("agent", e.op.Agent)
	if err != nil {
		return nil, err
	}
	call, ok := n.(*Call)
	if !ok {
		return nil, fmt.Errorf("%w: an agent is a call such as LLM(id: \"x\", ...), got %s", ErrInvalidValue, summary(n))
	}
	id, hasID := StringValue(call.Value("id"))
	if !hasID {
		id = e.freshID(strings.ToLower(call.Name))
		text, _, _ = e.fragment("agent", insertFirstArg(text, call, "id: "+strconv.Quote(id)))
	} else if e.w.Agent(id) != nil {
		return nil, fmt.Errorf("%w: %q", ErrDuplicateID, id)
	}
	stage := StageAgent
	if e.op.Stage == string(StagePreprocessor) {
		stage = StagePreprocessor
	}
	at := -1
	if e.op.After.Set && !e.op.After.Null {
		after, err := e.agent(e.op.After.Value)
		if err != nil {
			return nil, err
		}
		stage, at = after.Stage, after.Index+1
	} else if e.op.After.Set {
		at = 0
	}
	if e.op.Index != nil {
		at = *e.op.Index
	}
	arr := e.list(stage)
	if arr == nil {
		if e.w.Block.Body.Get(string(stage)) != nil {
			return nil, fmt.Errorf("%w: %s is not a list", ErrBadOp, stage)
		}
		list, err := FormatFragment("[\n"+text+"\n]", 0)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalidValue, err)
		}
		return e.insertProperty(e.w.Block.Body, true, string(stage), list)
	}
	s := arraySeq(arr)
	if at < 0 || at > len(s.items) {
		at = len(s.items)
	}
	return e.insertItem(s, at, text, ""), nil
}

// insertFirstArg returns the call's text with arg added as its first
// argument.
func insertFirstArg(text string, c *Call, arg string) string {
	open := c.Open.End.Offset
	if len(c.Args) == 0 {
		return text[:open] + arg + text[open:]
	}
	return text[:open] + arg + ", " + text[open:]
}

func (e *editor) freshID(base string) string {
	for i := 1; ; i++ {
		id := base + "_" + strconv.Itoa(i)
		if e.w.Agent(id) == nil {
			return id
		}
	}
}

// insertProperty adds `key: value` to an object or block body; value is
// canonical text.
func (e *editor) insertProperty(o *Object, block bool, key, value string) ([]TextEdit, error) {
	return e.insertItem(objectSeq(o, block), len(o.Props), keyText(key)+": "+value, ""), nil
}

func keyText(k string) string {
	if isIdent(k) {
		return k
	}
	return strconv.Quote(k)
}

func (e *editor) removeAgent() ([]TextEdit, error) {
	a, err := e.agent(e.op.ID)
	if err != nil {
		return nil, err
	}
	arr := e.list(a.Stage)
	if arr == nil {
		// A single agent written without brackets: drop the property.
		return e.removeProperty(e.w.Block.Body, true, string(a.Stage))
	}
	return e.removeItem(arraySeq(arr), a.Index), nil
}

func (e *editor) removeProperty(o *Object, block bool, key string) ([]TextEdit, error) {
	for i, p := range o.Props {
		if p.Key == key {
			return e.removeItem(objectSeq(o, block), i), nil
		}
	}
	return nil, nil
}

func (e *editor) move() ([]TextEdit, error) {
	a, err := e.agent(e.op.ID)
	if err != nil {
		return nil, err
	}
	if e.op.Index == nil {
		return nil, fmt.Errorf("%w: move_agent needs an index", ErrBadOp)
	}
	arr := e.list(a.Stage)
	if arr == nil {
		return nil, nil
	}
	s := arraySeq(arr)
	to := *e.op.Index
	if to < 0 || to >= len(s.items) {
		return nil, fmt.Errorf("%w: index %d is outside 0..%d", ErrBadOp, to, len(s.items)-1)
	}
	if to == a.Index {
		return nil, nil
	}
	// Carry the node with the comments that document it (above it, and
	// after it on its line): remove it, then insert its text where it goes
	// in the list as it reads without it. The insertion is placed against
	// the re-parsed text without the node, so its neighbours' separators,
	// comments and line layout are the ones it will sit between (a trailing
	// comment does not end up on a neighbour's line, the new last item gets
	// no separator the list did not have).
	lo, _ := e.leading(s, a.Index)
	it := s.items[a.Index]
	hi, withComment := e.trailing(s, a.Index)
	text := string(e.src[lo:it.end])
	trail := strings.TrimSpace(string(e.src[hi:withComment]))
	if e.multiline(s) {
		// insertItem indents every line after the first to the list's
		// indentation: give it the node as at depth 0.
		text = dedentRest(text, e.indent(it.start))
	}
	removal := e.removeItem(s, a.Index)
	if last := len(s.items) - 1; a.Index == last && it.sep.Empty() {
		// The list ends without a separator: so does it once the node has
		// gone (removing it alone leaves the previous one's).
		if prev := s.items[last-1]; !prev.sep.Empty() && removal[0].Start > prev.sep.Start.Offset {
			removal = append(removal, TextEdit{Start: prev.sep.Start.Offset, End: prev.sep.End.Offset})
		}
	}
	mid := ApplyEdits(e.src, removal)
	mf, diags := Parse(e.f.Filename, mid)
	if diags.HasErrors() {
		return nil, fmt.Errorf("%w: move_agent: the text without %q does not parse: %s", ErrBadOp, a.ID, diags.Errors()[0].Message())
	}
	block := -1
	for i, b := range e.f.Blocks {
		if b == e.w.Block {
			block = i
		}
	}
	if block < 0 || block >= len(mf.Blocks) {
		return nil, fmt.Errorf("%w: move_agent: the workflow block moved", ErrBadOp)
	}
	m := &editor{textView: textView{f: mf, src: mid}, op: e.op, w: mf.workflowOf(mf.Blocks[block])}
	rest := m.list(a.Stage)
	if rest == nil {
		return nil, fmt.Errorf("%w: move_agent: the %s list went away", ErrBadOp, a.Stage)
	}
	out := ApplyEdits(mid, m.insertItem(arraySeq(rest), to, text, trail))
	return diffEdit(e.src, out), nil
}

// dedentRest removes the indentation ind from every line of text after the
// first (the node and the comments carried with it keep their inner
// indentation relative to it).
func dedentRest(text, ind string) string {
	lines := strings.Split(text, "\n")
	for i := 1; i < len(lines); i++ {
		lines[i] = strings.TrimPrefix(lines[i], ind)
	}
	return strings.Join(lines, "\n")
}

// validID reports whether s can name an agent (and its channels).
func validID(s string) bool {
	if s == "" || !(isIdentStart(s[0])) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !(isIdentPart(s[i]) || s[i] == '-') {
			return false
		}
	}
	return true
}

func (e *editor) rename(id, to string) ([]TextEdit, error) {
	a, err := e.callAgent(id)
	if err != nil {
		return nil, err
	}
	if !validID(to) {
		return nil, fmt.Errorf("%w: %q is not a valid agent id (letters, digits, _ and -, starting with a letter or _)", ErrBadOp, to)
	}
	if to == id {
		return nil, nil
	}
	if e.w.Agent(to) != nil {
		return nil, fmt.Errorf("%w: %q", ErrDuplicateID, to)
	}
	var edits []TextEdit
	if a.IDExplicit {
		arg := a.Call.Named("id")
		edits = append(edits, e.replaceNameIn(arg.Value, to))
	} else {
		edits = append(edits, e.insertItem(callSeq(a.Call), 0, "id: "+strconv.Quote(to), "")...)
	}
	// References to the agent's default output channel follow the rename.
	if a.OutputNode == nil {
		edits = append(edits, e.retarget(id+".output", to+".output")...)
	}
	for _, other := range e.w.AllAgents() {
		if other.Call == nil {
			continue
		}
		if fb := other.Call.Value("fallback"); fb != nil {
			if name, ok := refName(fb); ok && name == id {
				edits = append(edits, e.replaceNameIn(fb, to))
			}
		}
	}
	return edits, nil
}

// replaceNameIn rewrites a string or path naming something, keeping the
// string's quote style.
func (e *editor) replaceNameIn(n Node, name string) TextEdit {
	r := n.Rng()
	if s, ok := n.(*String); ok && s.Quote != 'L' {
		q := string(s.Quote)
		body := strconv.Quote(name)
		body = body[1 : len(body)-1]
		if s.Quote == '\'' {
			body = strings.ReplaceAll(body, `\"`, `"`)
		}
		return TextEdit{Start: r.Start.Offset, End: r.End.Offset, New: q + body + q}
	}
	return TextEdit{Start: r.Start.Offset, End: r.End.Offset, New: name}
}

// retarget rewrites every reference to channel old (agent inputs, Router
// channels, integration mappings) to channel new, touching only the bytes
// of the reference.
func (e *editor) retarget(old, new string) []TextEdit {
	var edits []TextEdit
	visitRef := func(n Node) {
		switch v := n.(type) {
		case *Path:
			if ch := v.String(); ch == old || strings.HasPrefix(ch, old+".") {
				oldParts := strings.Count(old, ".") + 1
				start := v.PartRanges[0].Start.Offset
				end := v.PartRanges[oldParts-1].End.Offset
				if isPathText(new) {
					edits = append(edits, TextEdit{Start: start, End: end, New: new})
				}
			}
		case *String:
			if v.Quote == 'L' {
				return
			}
			raw := string(e.src[v.Range.Start.Offset+1 : v.Range.End.Offset-1])
			if raw != v.Value {
				return // escapes: leave it alone rather than guess offsets
			}
			for _, at := range refOffsets(raw, old) {
				base := v.Range.Start.Offset + 1
				edits = append(edits, TextEdit{Start: base + at, End: base + at + len(old), New: new})
			}
		}
	}
	for _, a := range e.w.AllAgents() {
		for _, in := range a.Inputs {
			if in.Node != nil {
				visitRef(in.Node)
			}
		}
		if Builtin().Caps(a.Type).Routes && a.Call != nil {
			if rules, ok := a.Call.Value("rules").(*Object); ok {
				for _, p := range rules.Props {
					visitRef(p.Value)
				}
			}
		}
	}
	for _, b := range e.f.Blocks {
		if b.Kind != KindIntegration {
			continue
		}
		if wf, _ := refName(b.Body.Value("workflow")); wf != e.w.Name {
			continue
		}
		if m, ok := b.Body.Value("mapping").(*Object); ok {
			if in, ok := m.Value("input").(*Object); ok {
				for _, p := range in.Props {
					visitRef(p.Value)
				}
			}
		}
	}
	return edits
}

func isPathText(s string) bool {
	for _, part := range strings.Split(s, ".") {
		if !isIdent(part) {
			return false
		}
	}
	return true
}

// refOffsets returns where ref occurs in s as a whole channel reference:
// not preceded or followed by a name character or a dot.
func refOffsets(s, ref string) []int {
	var out []int
	for from := 0; ; {
		i := strings.Index(s[from:], ref)
		if i < 0 {
			return out
		}
		at := from + i
		end := at + len(ref)
		before := at == 0 || !(isIdentPart(s[at-1]) || s[at-1] == '.')
		after := end == len(s) || !isIdentPart(s[end])
		if before && after {
			out = append(out, at)
		}
		from = end
	}
}

// endpoint returns the source or target the set/unset operation addresses:
// the one at op.Index, the first without an index.
func (e *editor) endpoint() (*Endpoint, error) {
	eps := e.w.Sources
	if e.op.ID == "target" {
		eps = e.w.Targets
	}
	i := 0
	if e.op.Index != nil {
		i = *e.op.Index
	}
	if i < 0 || i >= len(eps) || eps[i].Call == nil {
		return nil, fmt.Errorf("%w: %s %d (the workflow has %d)", ErrNoEndpoint, e.op.ID, i, len(eps))
	}
	return eps[i], nil
}

// setAddress replaces an endpoint's address (its first string argument,
// positional or named subject, topic, path...) and keeps everything else.
func (e *editor) setAddress() ([]TextEdit, error) {
	n, _, d := ParseValue("value", []byte(e.op.Value))
	if d.HasErrors() {
		return nil, fmt.Errorf("%w: address: %s", ErrInvalidValue, d.Errors()[0].Message())
	}
	if _, ok := n.(*String); !ok {
		return nil, fmt.Errorf("%w: an address is a string such as \"payments.in\"", ErrInvalidValue)
	}
	text, _, err := e.fragment("value", e.op.Value)
	if err != nil {
		return nil, err
	}
	ep, err := e.endpoint()
	if err != nil {
		return nil, err
	}
	for _, a := range ep.Call.Args {
		if _, ok := a.Value.(*String); ok && (a.Name == "" || isAddressArg(a.Name)) {
			return []TextEdit{e.replaceValue(a.Value, text)}, nil
		}
	}
	return e.insertItem(callSeq(ep.Call), 0, text, ""), nil
}

// container returns the call or object the set/unset operation addresses.
func (e *editor) container() (Node, bool, error) {
	switch e.op.ID {
	case "workflow":
		return e.w.Block.Body, true, nil
	case "source", "target":
		ep, err := e.endpoint()
		if err != nil {
			return nil, false, err
		}
		return ep.Call, false, nil
	}
	a, err := e.agent(e.op.ID)
	if err != nil {
		return nil, false, err
	}
	if a.Call == nil {
		return nil, false, fmt.Errorf("%w: agent %q is not a call", ErrBadOp, a.ID)
	}
	return a.Call, false, nil
}

func (e *editor) set() ([]TextEdit, error) {
	if e.op.ID == "" {
		return nil, fmt.Errorf("%w: set needs an id (an agent id, workflow, source or target)", ErrBadOp)
	}
	if (e.op.ID == "source" || e.op.ID == "target") && (e.op.Key == "" || e.op.Key == e.op.ID) {
		text, n, err := e.fragment("value", e.op.Value)
		if err != nil {
			return nil, err
		}
		if e.op.Index != nil {
			// One endpoint of the list: the others stay as written.
			if _, ok := n.(*Call); !ok {
				return nil, fmt.Errorf("%w: a %s is a call such as NATS(\"subject\")", ErrInvalidValue, e.op.ID)
			}
			ep, err := e.endpoint()
			if err != nil {
				return nil, err
			}
			return []TextEdit{e.replaceValue(ep.Node, text)}, nil
		}
		if p := e.w.Block.Get(e.op.ID); p != nil {
			return []TextEdit{e.replaceValue(p.Value, text)}, nil
		}
		return e.insertProperty(e.w.Block.Body, true, e.op.ID, text)
	}
	if (e.op.ID == "source" || e.op.ID == "target") && e.op.Key == "address" {
		return e.setAddress()
	}
	if e.op.Key == "" {
		return nil, fmt.Errorf("%w: set needs a key", ErrBadOp)
	}
	if e.op.Key == "id" && e.op.ID != "workflow" && e.op.ID != "source" && e.op.ID != "target" {
		n, _, d := ParseValue("value", []byte(e.op.Value))
		name, ok := refName(n)
		if d.HasErrors() || !ok {
			return nil, fmt.Errorf("%w: an id is a string such as \"name\"", ErrInvalidValue)
		}
		return e.rename(e.op.ID, name)
	}
	text, _, err := e.fragment("value", e.op.Value)
	if err != nil {
		return nil, err
	}
	c, block, parts, err := e.keyContainer()
	if err != nil {
		return nil, err
	}
	if e.endpointKey(parts) {
		call := c.(*Call)
		if _, o := optionsArg(call); o != nil {
			return e.setIn(o, false, parts, text)
		}
		return e.insertItem(callSeq(call), len(call.Args), "{ "+keyText(parts[0])+": "+nestValue(parts[1:], text)+" }", ""), nil
	}
	return e.setIn(c, block, parts, text)
}

// keyContainer returns the call or object the operation's dotted key is
// set in or removed from, whether that is a block body, and the key's parts.
func (e *editor) keyContainer() (Node, bool, []string, error) {
	c, block, err := e.container()
	if err != nil {
		return nil, false, nil, err
	}
	return c, block, strings.Split(e.op.Key, "."), nil
}

// endpointKey reports whether a key of set or unset lives in the options
// object of a source or target rather than in its call: every key but
// options itself does.
func (e *editor) endpointKey(parts []string) bool {
	return (e.op.ID == "source" || e.op.ID == "target") && parts[0] != "options"
}

// optionsArg returns the index and value of an endpoint call's options
// object (its unnamed object argument or the one named options), or -1 and
// nil when it has none.
func optionsArg(call *Call) (int, *Object) {
	for i, a := range call.Args {
		if o, ok := a.Value.(*Object); ok && (a.Name == "" || a.Name == "options") {
			return i, o
		}
	}
	return -1, nil
}

// setIn sets the dotted key path below a call or object to text.
func (e *editor) setIn(n Node, block bool, parts []string, text string) ([]TextEdit, error) {
	var cur Node
	var s seq
	switch v := n.(type) {
	case *Call:
		cur, s = v.Value(parts[0]), callSeq(v)
	case *Object:
		cur, s = v.Value(parts[0]), objectSeq(v, block)
	default:
		return nil, fmt.Errorf("%w: cannot set a key inside %s", ErrBadOp, summary(n))
	}
	if cur == nil {
		item := keyText(parts[0]) + ": " + nestValue(parts[1:], text)
		return e.insertItem(s, len(s.items), indentRest(item, "", "\n"), ""), nil
	}
	if len(parts) == 1 {
		return []TextEdit{e.replaceValue(cur, text)}, nil
	}
	if o, ok := cur.(*Object); ok {
		return e.setIn(o, false, parts[1:], text)
	}
	return []TextEdit{e.replaceValue(cur, nestValue(parts[1:], text))}, nil
}

// nestValue wraps text in objects for the remaining key parts.
func nestValue(parts []string, text string) string {
	for i := len(parts) - 1; i >= 0; i-- {
		text = "{ " + keyText(parts[i]) + ": " + text + " }"
	}
	return text
}

// replaceValue replaces a value node, indenting new multi-line text to the
// line it sits on.
func (e *editor) replaceValue(n Node, text string) TextEdit {
	r := n.Rng()
	return TextEdit{Start: r.Start.Offset, End: r.End.Offset, New: indentRest(text, e.indent(r.Start.Offset), e.newline())}
}

func (e *editor) unset() ([]TextEdit, error) {
	if e.op.Key == "" {
		return nil, fmt.Errorf("%w: unset needs a key", ErrBadOp)
	}
	c, block, parts, err := e.keyContainer()
	if err != nil {
		return nil, err
	}
	if e.endpointKey(parts) {
		// An options object left empty goes too.
		call := c.(*Call)
		i, o := optionsArg(call)
		if o == nil {
			return nil, nil
		}
		if len(parts) == 1 && len(o.Props) == 1 && o.Props[0].Key == parts[0] {
			return e.removeItem(callSeq(call), i), nil
		}
		c, block = o, false
	}
	for len(parts) > 1 {
		var next Node
		switch v := c.(type) {
		case *Call:
			next = v.Value(parts[0])
		case *Object:
			next = v.Value(parts[0])
		}
		o, ok := next.(*Object)
		if !ok {
			return nil, nil
		}
		c, block, parts = o, false, parts[1:]
	}
	switch v := c.(type) {
	case *Call:
		for i, a := range v.Args {
			if a.Name == parts[0] {
				return e.removeItem(callSeq(v), i), nil
			}
		}
	case *Object:
		return e.removeProperty(v, block, parts[0])
	}
	return nil, nil
}

// outputRef is how a new input refers to agent a's output: a.output as a
// reference when the output is the default, else the channel string.
func outputRef(a *Agent) string {
	if a.OutputNode == nil && isIdent(a.ID) {
		return a.ID + ".output"
	}
	return strconv.Quote(a.Output)
}

func (e *editor) endpointsOf(from string) (channel, ref, key string, err error) {
	if from == "source" {
		return "source", `"source"`, "source", nil
	}
	a, err := e.agent(from)
	if err != nil {
		return "", "", "", err
	}
	return a.Output, outputRef(a), a.ID, nil
}

// readsFrom reports whether input in reads channel ch.
func readsFrom(in Input, ch string) bool {
	if in.Channel == ch {
		return true
	}
	if in.Kind == InputExpr || in.Kind == InputPath {
		for _, w := range splitRefs(in.Channel) {
			if w == ch || strings.HasPrefix(w, ch+".") {
				return true
			}
		}
	}
	return false
}

func (e *editor) connect() ([]TextEdit, error) {
	ch, ref, key, err := e.endpointsOf(e.op.From)
	if err != nil {
		return nil, err
	}
	b, err := e.callAgent(e.op.To)
	if err != nil {
		return nil, err
	}
	if b.ID == e.op.From {
		return nil, fmt.Errorf("%w: an agent cannot read its own output", ErrBadOp)
	}
	for _, in := range b.Inputs {
		if readsFrom(in, ch) {
			return nil, nil // already connected
		}
	}
	inArg := b.Call.Named("input")
	if inArg == nil {
		at := 0
		if len(b.Call.Args) > 0 && b.Call.Args[0].Name == "id" {
			at = 1
		}
		return e.insertItem(callSeq(b.Call), at, "input: "+ref, ""), nil
	}
	if o, ok := inArg.Value.(*Object); ok {
		k := key
		for i := 2; o.Get(k) != nil; i++ {
			k = key + "_" + strconv.Itoa(i)
		}
		return e.insertItem(objectSeq(o, false), len(o.Props), keyText(k)+": "+ref, ""), nil
	}
	return []TextEdit{e.replaceValue(inArg.Value, ref)}, nil
}

func (e *editor) disconnect() ([]TextEdit, error) {
	ch, _, _, err := e.endpointsOf(e.op.From)
	if err != nil {
		return nil, err
	}
	b, err := e.callAgent(e.op.To)
	if err != nil {
		return nil, err
	}
	inArg := b.Call.Named("input")
	if inArg == nil {
		if len(b.Inputs) == 1 && b.Inputs[0].Channel == ch {
			at := 0
			if len(b.Call.Args) > 0 && b.Call.Args[0].Name == "id" {
				at = 1
			}
			return e.insertItem(callSeq(b.Call), at, "input: null", ""), nil
		}
		return nil, fmt.Errorf("%w: %s does not read from %s", ErrNotConnected, b.ID, e.op.From)
	}
	if o, ok := inArg.Value.(*Object); ok {
		s := objectSeq(o, false)
		var drop []int
		for i, p := range o.Props {
			if readsFrom(inputOf(p.Value), ch) {
				drop = append(drop, i)
			}
		}
		if len(drop) == 0 {
			return nil, fmt.Errorf("%w: %s does not read from %s", ErrNotConnected, b.ID, e.op.From)
		}
		if len(drop) == len(o.Props) {
			return []TextEdit{e.replaceValue(o, "null")}, nil
		}
		var edits []TextEdit
		for _, i := range drop {
			edits = append(edits, e.removeItem(s, i)...)
		}
		return mergeEdits(edits), nil
	}
	if len(b.Inputs) > 0 && readsFrom(b.Inputs[0], ch) {
		return []TextEdit{e.replaceValue(inArg.Value, "null")}, nil
	}
	return nil, fmt.Errorf("%w: %s does not read from %s", ErrNotConnected, b.ID, e.op.From)
}

// mergeEdits joins overlapping or touching deletions.
func mergeEdits(edits []TextEdit) []TextEdit {
	var out []TextEdit
	for _, ed := range edits {
		if n := len(out); n > 0 && ed.Start <= out[n-1].End && ed.New == "" && out[n-1].New == "" {
			if ed.End > out[n-1].End {
				out[n-1].End = ed.End
			}
			continue
		}
		out = append(out, ed)
	}
	return out
}

func (e *editor) addEndpoint(role string) ([]TextEdit, error) {
	text, n, err := e.fragment(role, e.op.Value)
	if err != nil {
		return nil, err
	}
	if _, ok := n.(*Call); !ok {
		return nil, fmt.Errorf("%w: a %s is a call such as NATS(\"subject\")", ErrInvalidValue, role)
	}
	p := e.w.Block.Get(role)
	if p == nil {
		return e.insertProperty(e.w.Block.Body, true, role, text)
	}
	if arr, ok := p.Value.(*Array); ok {
		return e.insertItem(arraySeq(arr), len(arr.Elems), text, ""), nil
	}
	old := string(e.src[p.Value.Rng().Start.Offset:p.Value.Rng().End.Offset])
	return []TextEdit{{Start: p.Value.Rng().Start.Offset, End: p.Value.Rng().End.Offset, New: "[" + old + ", " + text + "]"}}, nil
}

func (e *editor) removeEndpoint(role string) ([]TextEdit, error) {
	eps := e.w.Sources
	if role == "target" {
		eps = e.w.Targets
	}
	idx := -1
	for i, ep := range eps {
		if e.op.Index != nil && *e.op.Index == i || e.op.Index == nil && e.op.Address != "" && ep.Address == e.op.Address {
			idx = i
			break
		}
	}
	if idx < 0 {
		var have []string
		for _, ep := range eps {
			have = append(have, ep.Label())
		}
		return nil, fmt.Errorf("%w: no %s matches (have %s)", ErrNoEndpoint, role, strings.Join(have, ", "))
	}
	p := e.w.Block.Get(role)
	if arr, ok := p.Value.(*Array); ok {
		return e.removeItem(arraySeq(arr), idx), nil
	}
	return e.removeProperty(e.w.Block.Body, true, role)
}

// ParseOp decodes an operation from JSON.
func ParseOp(b []byte) (Op, error) {
	var op Op
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&op); err != nil {
		return op, fmt.Errorf("%w: %v", ErrBadOp, err)
	}
	return op, nil
}
