package dsl

import (
	"fmt"
	"strconv"
	"strings"
)

// Diagnostic codes of the semantic checker. K1xxx are errors, K2xxx
// warnings; a code never changes meaning once released.
const (
	CodeCheckFailed       = "K1000" // the checker itself failed on this file (a bug: please report it)
	CodeDuplicateBlock    = "K1001" // two workflow/subworkflow/integration blocks share a name
	CodeDuplicateKey      = "K1002" // a key appears twice in one block or object
	CodeDuplicateID       = "K1003" // two agents of a workflow share an id
	CodeDuplicateArg      = "K1004" // a named argument appears twice in one call
	CodeWrongRole         = "K1005" // a known constructor used where it cannot be (Timer as target, NATS as agent)
	CodeMissingArg        = "K1006" // a required argument or key is missing
	CodeWrongKind         = "K1007" // a value of the wrong kind (retry: "x", rules not an object)
	CodeBadEnum           = "K1008" // a value outside a fixed set (on_failure action, on_timeout, strategy)
	CodeNotCall           = "K1009" // agents/source/target/context element that is not a constructor call
	CodeUnknownAgent      = "K1010" // a reference (x.output, mapping value) to an agent id that does not exist
	CodeUnknownFallback   = "K1011" // fallback names an agent that does not exist
	CodeUnknownModel      = "K1012" // models.x is not defined in models
	CodeUnknownSchema     = "K1013" // schemas.x is not defined in schemas
	CodeUnknownConfig     = "K1014" // config.x.y is not defined in config
	CodeUnknownTarget     = "K1015" // "target.<subject>" matches no declared target
	CodeUnknownWorkflow   = "K1016" // integration workflow:/use: names no such workflow/subworkflow
	CodeUnknownMappingKey = "K1017" // integration mapping key not declared by the subworkflow
	CodeCycle             = "K1018" // agents read each other's outputs in a loop
	CodeInvalidExpr       = "K1019" // an expression does not compile
	CodeTemplateSyntax    = "K1020" // unbalanced {{ }} or {{#if}}/{{/if}} in a prompt template
	CodeInvalidDuration   = "K1021" // a duration such as timeout is malformed
	CodeInvalidQuantity   = "K1022" // a Kubernetes quantity (cpu, memory) is malformed
	CodeInvalidInterp     = "K1023" // a ${...} interpolation is malformed
	CodeNotInteger        = "K1024" // a number where a non-negative integer is required
	CodeMinAboveMax       = "K1025" // min_replicas greater than max_replicas
	CodeUnknownInput      = "K1026" // input.x names no input declared by the subworkflow
	CodeUnknownData       = "K1027" // data.x is not defined in data

	CodeAmbiguousType    = "K2001" // agent without id whose type occurs more than once
	CodeUnknownProperty  = "K2002" // unknown property of a block, config or settings object (kept)
	CodeUnknownType      = "K2003" // unknown agent, source, target or context constructor (kept)
	CodeUnknownArg       = "K2004" // unknown argument of a known constructor (kept)
	CodeUnproducedInput  = "K2005" // an input channel that nothing in the file produces
	CodeUnusedOutput     = "K2006" // an output (or Router channel) that nothing consumes
	CodeUnknownTemplateV = "K2007" // a template variable that the agent's input does not provide
	CodeUnknownDeployRef = "K2008" // ${deployment.x} names a value the deployment block does not define
	CodeNoSource         = "K2009" // a workflow with agents but no source
	CodeUnknownStep      = "K2010" // a DataProcessor step that looks like a misspelt known step
	CodeUnmappedInput    = "K2011" // a subworkflow input that the integration mapping leaves out
	CodeNotRunnable      = "K2012" // something the local engine cannot run: kumeo run refuses or skips it (kept; deployed as written)
)

// Check runs the semantic checks on a parsed file against the constructors
// of r and returns every problem found, errors and warnings, sorted by
// position. It is a separate pass after Parse and works on partial trees
// too: a file cut short by a syntax error is checked as far as it parsed.
// Check never panics and never changes f.
func (r *Registry) Check(f *File) Diagnostics {
	if f == nil {
		return nil
	}
	c := &checkCtx{f: f, src: f.Src, wfs: map[string]*checkWF{}, reg: r, local: r.local}
	func() {
		// The editor checks whatever is typed: a bug here must cost one
		// diagnostic, not the application. Fuzzing treats K1000 as a failure.
		defer func() {
			if r := recover(); r != nil {
				c.errorAt(CodeCheckFailed, Range{}, "The checker failed on this file",
					fmt.Sprintf("Internal error: %v. The diagnostics above it are incomplete.", r))
			}
		}()
		c.run()
	}()
	c.diags.Sort()
	return c.diags
}

// checkCtx is the state of one Check call.
type checkCtx struct {
	f     *File
	src   []byte
	diags Diagnostics
	wfs   map[string]*checkWF // workflows and subworkflows by name (first of a name)
	order []*checkWF
	exprs checkExprCompiler
	names map[Category][]string // TypeNames, fetched on first use
	reg   *Registry
	local bool // the program has a local engine: report what it cannot run
}

func (c *checkCtx) add(sev Severity, code string, r Range, summary, detail string, suggestions ...string) {
	c.diags = append(c.diags, Diagnostic{Severity: sev, Code: code, Summary: summary, Detail: detail,
		Filename: c.f.Filename, Range: r, Suggestions: suggestions})
}

func (c *checkCtx) errorAt(code string, r Range, summary, detail string, suggestions ...string) {
	c.add(SevError, code, r, summary, detail, suggestions...)
}

func (c *checkCtx) warnAt(code string, r Range, summary, detail string, suggestions ...string) {
	c.add(SevWarning, code, r, summary, detail, suggestions...)
}

func (c *checkCtx) typeNames(cat Category) []string {
	if c.names == nil {
		c.names = map[Category][]string{}
	}
	if n, ok := c.names[cat]; ok {
		return n
	}
	n := c.reg.TypeNames(cat)
	c.names[cat] = n
	return n
}

func (c *checkCtx) run() {
	c.checkBlockNames()
	for _, b := range c.f.Blocks {
		if b.Body == nil {
			continue
		}
		ns := newCheckNamespaces(b)
		c.walkGeneric(b, ns)
		if b.Kind == KindIntegration {
			continue
		}
		cw := c.newWF(b, ns)
		c.order = append(c.order, cw)
		if _, dup := c.wfs[b.Name]; !dup {
			c.wfs[b.Name] = cw
		}
	}
	// Integrations first: their mappings produce and consume channels in
	// the workflows they wire.
	for _, b := range c.f.Blocks {
		if b.Kind == KindIntegration && b.Body != nil {
			c.checkIntegration(b)
		}
	}
	c.checkLocalIntegrations()
	for _, cw := range c.order {
		c.checkWorkflow(cw)
	}
}

// checkBlockNames reports blocks sharing a name: workflows and subworkflows
// share one namespace (integrations name them), named integrations another.
func (c *checkCtx) checkBlockNames() {
	type first struct {
		b *Block
	}
	seen := map[string]first{}
	for _, b := range c.f.Blocks {
		if b.Name == "" {
			continue
		}
		key := "w:" + b.Name
		if b.Kind == KindIntegration {
			key = "i:" + b.Name
		}
		if p, ok := seen[key]; ok {
			c.errorAt(CodeDuplicateBlock, b.NameRange, fmt.Sprintf("Duplicate %s name %q", b.Kind, b.Name),
				fmt.Sprintf("A %s named %q is already declared at line %d; names must be unique in a file.", p.b.Kind, b.Name, p.b.NameRange.Start.Line))
			continue
		}
		seen[key] = first{b}
	}
}

// walkGeneric visits every value of a block once for the checks that do not
// depend on where a value sits: duplicate object keys and call arguments,
// ${...} interpolations in strings, and config/models/schemas/data
// references written as paths.
func (c *checkCtx) walkGeneric(b *Block, ns *checkNamespaces) {
	var deploy *Object
	if b.Kind != KindIntegration {
		deploy, _ = b.Body.Value("deployment").(*Object)
	}
	var walk func(n Node, local *Object)
	walk = func(n Node, local *Object) {
		switch v := n.(type) {
		case *Object:
			c.checkDupKeys(v)
			for _, p := range v.Props {
				walk(p.Value, local)
			}
		case *Array:
			for _, e := range v.Elems {
				walk(e, local)
			}
		case *Call:
			c.checkDupArgs(v)
			if o, ok := v.Value("config").(*Object); ok {
				local = o
			}
			for _, a := range v.Args {
				walk(a.Value, local)
			}
		case *String:
			c.checkInterpolations(v, deploy, b.Kind == KindIntegration)
		case *Path:
			if b.Kind != KindIntegration {
				c.checkNamespacePath(v, ns, local)
			}
		}
	}
	walk(b.Body, nil)
}

func (c *checkCtx) checkDupKeys(o *Object) {
	if len(o.Props) < 2 {
		return
	}
	if len(o.Props) <= 8 {
		for i := 1; i < len(o.Props); i++ {
			for j := 0; j < i; j++ {
				if o.Props[j].Key == o.Props[i].Key {
					c.dupKey(o.Props[j], o.Props[i])
					break
				}
			}
		}
		return
	}
	seen := make(map[string]*Property, len(o.Props))
	for _, p := range o.Props {
		if q, ok := seen[p.Key]; ok {
			c.dupKey(q, p)
			continue
		}
		seen[p.Key] = p
	}
}

func (c *checkCtx) dupKey(first, p *Property) {
	c.errorAt(CodeDuplicateKey, p.KeyRange, fmt.Sprintf("Duplicate key %q", p.Key),
		fmt.Sprintf("%q is already set at line %d; each key may appear once. Remove one of them.", p.Key, first.KeyRange.Start.Line))
}

func (c *checkCtx) checkDupArgs(call *Call) {
	for i, a := range call.Args {
		if a.Name == "" {
			continue
		}
		for _, b := range call.Args[:i] {
			if b.Name == a.Name {
				c.errorAt(CodeDuplicateArg, a.NameRange, fmt.Sprintf("Duplicate argument %q", a.Name),
					fmt.Sprintf("%s(...) already has %q at line %d; each named argument may be given once.", call.Name, a.Name, b.NameRange.Start.Line))
				break
			}
		}
	}
}

// Known properties of each block kind. Unknown ones are kept and reported
// as warnings.
var (
	checkWorkflowKeys    = []string{"source", "target", "context", "nats", "models", "data", "schemas", "config", "preprocessors", "agents", "monitor", "deployment", "description", "version"}
	checkSubworkflowKeys = []string{"input", "output", "context", "agents", "preprocessors", "models", "data", "schemas", "config", "description", "version"}
	checkIntegrationKeys = []string{"workflow", "use", "mapping", "description"}
)

func (c *checkCtx) checkKnownKeys(o *Object, known []string, what string) {
	for _, p := range o.Props {
		if checkContains(known, p.Key) {
			continue
		}
		c.warnAt(CodeUnknownProperty, p.KeyRange, fmt.Sprintf("Unknown property %q", p.Key),
			fmt.Sprintf("%s accepts %s; the property is kept but has no effect.", what, checkList(known)), suggest(p.Key, known)...)
	}
}

func checkContains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// checkList renders alternatives as `"a", "b" or "c"` for messages.
func checkList(names []string) string { return checkJoin(names, " or ") }

// checkAll renders a set as `"a", "b" and "c"` for messages.
func checkAll(names []string) string { return checkJoin(names, " and ") }

func checkJoin(names []string, conj string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	if len(q) <= 1 {
		return strings.Join(q, "")
	}
	return strings.Join(q[:len(q)-1], ", ") + conj + q[len(q)-1]
}

// checkA is the indefinite article for word.
func checkA(word string) string {
	if word != "" && strings.ContainsRune("aeiouAEIOU", rune(word[0])) {
		return "an " + word
	}
	return "a " + word
}

// describeNode names the kind of a value for messages.
func describeNode(n Node) string {
	switch v := n.(type) {
	case *String:
		return "a string"
	case *Number:
		return "the number " + v.Text
	case *Bool:
		return "the boolean " + strconv.FormatBool(v.Value)
	case *Null:
		return "null"
	case *Path:
		return "the reference " + v.String()
	case *Call:
		return "a call to " + v.Name + "(...)"
	case *Object:
		return "an object"
	case *Array:
		return "a list"
	}
	return "nothing"
}

// checkLine is "line N" for detail messages.
func checkLine(r Range) string { return "line " + strconv.Itoa(r.Start.Line) }
