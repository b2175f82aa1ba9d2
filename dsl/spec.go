package dsl

import (
	"sort"
	"sync"
)

// Category is what a constructor may be used as.
type Category string

// Constructor categories.
const (
	CatAgent   Category = "agent"
	CatSource  Category = "source"
	CatTarget  Category = "target"
	CatContext Category = "context"
)

// ArgKind is the kind of value an argument takes.
type ArgKind string

// Argument kinds understood by the checker and the editor.
const (
	ArgAny      ArgKind = "any"
	ArgString   ArgKind = "string"
	ArgNumber   ArgKind = "number"
	ArgBool     ArgKind = "bool"
	ArgObject   ArgKind = "object"
	ArgArray    ArgKind = "array"
	ArgExpr     ArgKind = "expression" // string compiled as an expression
	ArgDuration ArgKind = "duration"   // "30s", "5m", "24h"
	ArgChannel  ArgKind = "channel"    // channel string, path or object of them
	ArgTemplate ArgKind = "template"   // prompt template
	ArgModel    ArgKind = "model"      // "models.x", a file path or {file, type}
	ArgSchema   ArgKind = "schema"     // "schemas.x" or a file
	ArgRetry    ArgKind = "retry"      // 3 or {attempts, backoff, initial}
	ArgAgentRef ArgKind = "agent"      // agent id or an agent call
	ArgFailure  ArgKind = "on_failure" // {action, retry, fallback}
)

// ArgSpec documents one argument of a constructor.
type ArgSpec struct {
	Name       string   `json:"name"`
	Kind       ArgKind  `json:"kind"`
	Required   bool     `json:"required,omitempty"`
	Positional int      `json:"positional"` // index when it may be given positionally, else -1
	Default    any      `json:"default,omitempty"`
	Enum       []string `json:"enum,omitempty"`
	Doc        string   `json:"doc"`
}

// TypeSpec documents a constructor: an agent type, a source/target type or
// a context type. The checker, the editor palette, autocompletion and hover
// docs all read the same spec.
type TypeSpec struct {
	Name       string     `json:"name"`
	Categories []Category `json:"categories"`
	Doc        string     `json:"doc"`
	Icon       string     `json:"icon,omitempty"`
	Args       []ArgSpec  `json:"args"`
	// ConfigKeys lists known keys of the agent's config object.
	ConfigKeys []ArgSpec `json:"config_keys,omitempty"`
	// Runnable is set by the engine for types it can execute locally.
	Runnable bool `json:"runnable"`
}

// Arg returns the spec of the named argument, or nil.
func (t *TypeSpec) Arg(name string) *ArgSpec {
	for i := range t.Args {
		if t.Args[i].Name == name {
			return &t.Args[i]
		}
	}
	return nil
}

// Is reports whether the type may be used in category c.
func (t *TypeSpec) Is(c Category) bool {
	for _, x := range t.Categories {
		if x == c {
			return true
		}
	}
	return false
}

var registry = struct {
	sync.RWMutex
	types map[string]*TypeSpec
	// engine is set once a local engine has said which types it runs
	// (SetRunnable): only then does the checker report what it cannot run.
	engine bool
}{types: map[string]*TypeSpec{}}

// RegisterType adds or replaces a constructor spec. Engine packages call it
// to mark types they can run or to refine docs.
func RegisterType(s TypeSpec) {
	registry.Lock()
	defer registry.Unlock()
	cp := s
	registry.types[s.Name] = &cp
}

// SetRunnable marks a registered type as executable by the local engine.
// The first call also says that the program has a local engine: from then
// on the checker reports every construct the engine cannot run (types not
// marked runnable included) with CodeNotRunnable.
func SetRunnable(name string, runnable bool) {
	registry.Lock()
	defer registry.Unlock()
	registry.engine = true
	if t, ok := registry.types[name]; ok {
		cp := *t
		cp.Runnable = runnable
		registry.types[name] = &cp
	}
}

// localEngine reports whether a local engine has marked the types it runs.
func localEngine() bool {
	registry.RLock()
	defer registry.RUnlock()
	return registry.engine
}

// LookupType returns the spec of a constructor.
func LookupType(name string) (*TypeSpec, bool) {
	registry.RLock()
	defer registry.RUnlock()
	t, ok := registry.types[name]
	return t, ok
}

// Types returns the specs of every constructor usable in category c (all
// when c is empty), sorted by name.
func Types(c Category) []*TypeSpec {
	registry.RLock()
	defer registry.RUnlock()
	var out []*TypeSpec
	for _, t := range registry.types {
		if c == "" || t.Is(c) {
			out = append(out, t)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// TypeNames returns the names of the constructors usable in category c.
func TypeNames(c Category) []string {
	ts := Types(c)
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Name
	}
	return out
}

func named(name string, kind ArgKind, doc string) ArgSpec {
	return ArgSpec{Name: name, Kind: kind, Positional: -1, Doc: doc}
}

func required(a ArgSpec) ArgSpec { a.Required = true; return a }

func positional(a ArgSpec, i int) ArgSpec { a.Positional = i; return a }

func withDefault(a ArgSpec, v any) ArgSpec { a.Default = v; return a }

func oneOf(a ArgSpec, values ...string) ArgSpec { a.Enum = values; return a }

// commonAgentArgs are accepted by every agent type.
var commonAgentArgs = []ArgSpec{
	named("id", ArgString, "Unique name of the agent in the workflow; other agents refer to it as <id>.output."),
	named("input", ArgChannel, `Channel the agent reads: "source", "channel.name", "channel/field", a reference such as other.output, or an object joining several. Default: the previous agent's output.`),
	named("output", ArgString, "Channel the agent publishes on. Default: <id>.output."),
	named("when", ArgExpr, "Expression; the agent handles only events for which it is true and passes others through unchanged."),
	named("timeout", ArgDuration, `Maximum time for one event, e.g. "30s".`),
	named("retry", ArgRetry, `Retries on failure: a count, or { attempts, backoff: "exponential"|"fixed", initial: "200ms" }.`),
	named("fallback", ArgAgentRef, "Agent id (or an agent call) that handles events this agent fails on."),
	named("on_failure", ArgFailure, `What happens to failing events: { action: "quarantine"|"reject"|"drop", retry: n, fallback: {...} }.`),
	named("config", ArgObject, "Agent-specific settings."),
	named("deployment", ArgObject, "Per-agent Kubernetes overrides (resources, scaling, image)."),
	named("concurrency", ArgNumber, "Events handled in parallel by one instance."),
	named("context", ArgAny, "Context the agent may use: a context name, data reference or list of them."),
	named("output_schema", ArgSchema, "JSON Schema the agent's output must satisfy."),
	named("description", ArgString, "Free text shown in the editor."),
}

func agentSpec(name, icon, doc string, args []ArgSpec, config ...ArgSpec) TypeSpec {
	all := append([]ArgSpec{}, commonAgentArgs...)
	all = append(all, args...)
	return TypeSpec{Name: name, Categories: []Category{CatAgent}, Icon: icon, Doc: doc, Args: all, ConfigKeys: config}
}

func endpointSpec(name, icon, doc string, cats []Category, first ArgSpec, more ...ArgSpec) TypeSpec {
	args := []ArgSpec{positional(first, 0), positional(named("options", ArgObject, "Connection options."), 1)}
	args = append(args, more...)
	return TypeSpec{Name: name, Categories: cats, Icon: icon, Doc: doc, Args: args}
}

var sourceTarget = []Category{CatSource, CatTarget}

func init() {
	failureActions := []string{"quarantine", "reject", "drop"}
	_ = failureActions
	for _, s := range []TypeSpec{
		agentSpec("DataProcessor", "filter", "Validates, cleans and enriches events: steps, required fields, JSON Schema validation and computed features.", nil,
			named("steps", ArgArray, `Text clean-up steps applied in order to string fields: "trim", "lowercase", "uppercase", "remove_special_chars" (keeps letters, digits and spaces).`),
			named("fields", ArgArray, `String fields the steps apply to ("a.b" for a nested one). Default: every top-level string field.`),
			named("required_fields", ArgArray, "Fields every event must have (present and not null); events without them fail and follow on_failure."),
			named("schema", ArgSchema, "JSON Schema (a schemas.<name> reference or a file) events must satisfy."),
			named("features", ArgArray, `Fields of the output, which holds exactly these: "name" copies a field, "name: expr" computes one from the input.`),
			named("rules", ArgAny, "Rules every event must pass, as in DecisionMatrix: [ { name, condition, error } ] or a JSON/YAML file."),
		),
		agentSpec("MLModel", "cpu", "Runs a machine-learning model (ONNX runs for real) on the input features.",
			[]ArgSpec{required(named("model", ArgModel, `Model to run: "models.<name>", a file path, or { file, type }.`))},
			named("threshold", ArgNumber, "Score threshold."),
			named("features", ArgArray, "Input feature names, in model order."),
		),
		agentSpec("LLM", "sparkles", "Calls a large language model with a prompt template.",
			[]ArgSpec{
				named("engine", ArgString, `Model as "provider/model", e.g. "ollama/llama3" or "openai/gpt-4o".`),
				named("provider", ArgObject, "Provider settings: { ollama: { model, temperature, max_tokens } }."),
				required(named("prompt", ArgTemplate, "Prompt template: {{field}} inserts a field of the input or context; {{#if x}}...{{/if}} as in Handlebars.")),
				named("temperature", ArgNumber, "Sampling temperature."),
				named("max_tokens", ArgNumber, "Maximum tokens in the reply."),
				named("system", ArgTemplate, "System prompt."),
			}),
		agentSpec("Router", "split", "Sends each event to the first rule whose expression is true; \"default\" catches the rest.",
			[]ArgSpec{required(named("rules", ArgObject, `Ordered { "expr": "target.<subject>" or a channel, ..., "default": ... }.`))}),
		agentSpec("DecisionMatrix", "table", "Checks events against rules; failing events follow on_failure.",
			[]ArgSpec{
				named("rules", ArgArray, "Rules: [ { name, condition, error } ]."),
				named("matrix", ArgString, "File holding the rules (JSON or YAML)."),
			}),
		agentSpec("RuleEngine", "scale", "Like DecisionMatrix, with rules loaded from a file.",
			[]ArgSpec{named("rules", ArgAny, "Rules file (JSON or YAML) or an inline list.")}),
		agentSpec("HumanReview", "user-check", "Pauses matching events until a person approves, rejects or edits them.", nil,
			named("ui", ArgObject, "Review form: { title, description, fields: [ { field, label, type } ] }."),
			oneOf(named("on_timeout", ArgString, "Decision when nobody answers in time."), "approve", "reject", "escalate"),
			named("timeout", ArgDuration, `How long to wait for a person, e.g. "24h".`),
			named("notifications", ArgObject, "Who is told about pending reviews."),
		),
		agentSpec("HumanInLoop", "user-check", "Alias of HumanReview.",
			[]ArgSpec{
				named("trigger", ArgExpr, "Condition to ask a person."),
				named("interface", ArgString, "Review interface type."),
			}),
		agentSpec("DataNormalizer", "sliders", "Normalises numeric fields: min-max with given bounds, or z-score from running statistics.", nil,
			named("fields", ArgAny, "Fields to normalise: a list (z-score from running statistics), or { field: { min, max } } (min-max, clamped to [0, 1])."),
			oneOf(named("method", ArgString, "Normalisation method."), "min_max", "z_score"),
		),
		agentSpec("MissingValueHandler", "puzzle", "Fills missing numeric fields from running statistics.",
			[]ArgSpec{withDefault(oneOf(named("strategy", ArgString, "Imputation strategy: running mean, streaming median, most frequent value, or config.value."), "mean_imputation", "median_imputation", "mode_imputation", "constant"), "mean_imputation")},
			named("fields", ArgArray, "Fields to fill."),
			named("value", ArgAny, "Constant used by the constant strategy; with the others, the value used until one has been seen."),
		),
		func() TypeSpec {
			t := agentSpec("BayesianNetwork", "share", "Exact inference on a BIF Bayesian network: posterior of query variables given evidence from the event.",
				[]ArgSpec{
					positional(named("network", ArgString, "BIF file."), 0),
					named("query", ArgArray, "Variables whose posterior is computed."),
					named("evidence", ArgObject, "Map of network variable to event field."),
				})
			t.Categories = append(t.Categories, CatContext)
			return t
		}(),
		agentSpec("Custom", "box", "Runs a WebAssembly module on each event.",
			[]ArgSpec{required(named("module", ArgString, "The .wasm file."))}),

		endpointSpec("NATS", "radio", "A NATS subject (wildcards allowed for sources).", sourceTarget, required(named("subject", ArgString, "Subject."))),
		endpointSpec("HTTP", "globe", "An HTTP endpoint: events are POSTed to the path (source) or sent to the URL (target).", sourceTarget, required(named("path", ArgString, "Path or URL."))),
		endpointSpec("Timer", "clock", `Emits an event at a fixed interval, e.g. Timer("5s").`, []Category{CatSource}, required(ArgSpec{Name: "interval", Kind: ArgDuration, Doc: "Interval."})),
		endpointSpec("File", "file", "A JSON Lines file: one event per line.", sourceTarget, required(named("path", ArgString, "File path."))),
		endpointSpec("MQTT", "wifi", "An MQTT topic (+ and # wildcards allowed for sources).", sourceTarget, required(named("topic", ArgString, "Topic."))),
		endpointSpec("Kafka", "layers", "A Kafka topic.", sourceTarget, required(named("topic", ArgString, "Topic."))),

		{Name: "KnowledgeBase", Categories: []Category{CatContext}, Icon: "book", Doc: "A folder of documents agents may consult.",
			Args: []ArgSpec{positional(required(named("path", ArgString, "Folder or index.")), 0), positional(named("options", ArgObject, "Options."), 1)}},
		{Name: "Database", Categories: []Category{CatContext}, Icon: "database", Doc: "A database connection and query.",
			Args: []ArgSpec{positional(required(named("connection", ArgString, "DSN.")), 0), positional(named("query", ArgString, "Query; may use {{field}}."), 1)}},
	} {
		RegisterType(s)
	}
}
