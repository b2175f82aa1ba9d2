package dsl

// The constructors of the Kumeo language. This file is the one place that
// spells their names, arguments, enums and defaults: the checker, the
// graph, the editor (palette, completion, hover), the docs and the engine
// all read these declarations through a Registry.

// Agent type names.
const (
	TypeDataProcessor       = "DataProcessor"
	TypeMLModel             = "MLModel"
	TypeLLM                 = "LLM"
	TypeRouter              = "Router"
	TypeDecisionMatrix      = "DecisionMatrix"
	TypeRuleEngine          = "RuleEngine"
	TypeHumanReview         = "HumanReview"
	TypeHumanInLoop         = "HumanInLoop"
	TypeDataNormalizer      = "DataNormalizer"
	TypeMissingValueHandler = "MissingValueHandler"
	TypeBayesianNetwork     = "BayesianNetwork"
	TypeCustom              = "Custom"
)

// Source, target and context type names.
const (
	TypeNATS          = "NATS"
	TypeHTTP          = "HTTP"
	TypeTimer         = "Timer"
	TypeFile          = "File"
	TypeMQTT          = "MQTT"
	TypeKafka         = "Kafka"
	TypeKnowledgeBase = "KnowledgeBase"
	TypeDatabase      = "Database"
)

// Failure actions of on_failure.
const (
	FailureQuarantine = "quarantine"
	FailureReject     = "reject"
	FailureDrop       = "drop"
)

// Retry backoff kinds.
const (
	BackoffExponential = "exponential"
	BackoffFixed       = "fixed"
)

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
	integer(named("concurrency", ArgNumber, "Events handled in parallel by one instance.")),
	named("context", ArgAny, "Context the agent may use: a context name, data reference or list of them."),
	named("output_schema", ArgSchema, "JSON Schema the agent's output must satisfy."),
	named("description", ArgString, "Free text shown in the editor."),
}

// retryKeys are the keys of a retry object, failureKeys those of on_failure.
var (
	retryKeys = []ArgSpec{
		integer(named("attempts", ArgNumber, "Number of attempts.")),
		oneOf(named("backoff", ArgString, "Delay growth between attempts."), BackoffExponential, BackoffFixed),
		named("initial", ArgDuration, "First delay."),
		named("max", ArgDuration, "Longest delay."),
		named("multiplier", ArgNumber, "Growth factor of exponential backoff."),
	}
	failureKeys = []ArgSpec{
		oneOf(named("action", ArgString, "What happens to failing events."), FailureQuarantine, FailureReject, FailureDrop),
		named("retry", ArgRetry, "Retries before the action."),
		named("fallback", ArgAny, "Agent id, agent call or { action, channel } used instead."),
		named("channel", ArgString, "Channel failing events are sent to."),
		named("error", ArgString, "Error message attached to failing events."),
		named("notify", ArgAny, "Who is told about failures."),
	}
)

// RetryKeys returns the specs of the keys of a retry object.
func RetryKeys() []ArgSpec { return append([]ArgSpec(nil), retryKeys...) }

// FailureKeys returns the specs of the keys of an on_failure object.
func FailureKeys() []ArgSpec { return append([]ArgSpec(nil), failureKeys...) }

// NewAgentSpec declares an agent type: the arguments every agent takes and
// args.
func NewAgentSpec(name, doc string, args ...ArgSpec) TypeSpec {
	return agentSpec(name, "", doc, args)
}

func agentSpec(name, icon, doc string, args []ArgSpec, config ...ArgSpec) TypeSpec {
	all := append([]ArgSpec{}, commonAgentArgs...)
	all = append(all, args...)
	return TypeSpec{Name: name, Categories: []Category{CatAgent}, Icon: icon, Doc: doc, Args: all, ConfigKeys: config}
}

func withCaps(t TypeSpec, caps Capabilities) TypeSpec { t.Caps = caps; return t }

func endpointSpec(name, icon, doc string, cats []Category, first ArgSpec, more ...ArgSpec) TypeSpec {
	args := []ArgSpec{positional(first, 0), positional(named("options", ArgObject, "Connection options."), 1)}
	args = append(args, more...)
	return TypeSpec{Name: name, Categories: cats, Icon: icon, Doc: doc, Args: args}
}

var sourceTarget = []Category{CatSource, CatTarget}

// builtinSpecs declares every constructor of the language.
func builtinSpecs() []TypeSpec {
	var out []TypeSpec
	out = append(out, dataAgentSpecs()...)
	out = append(out, modelAgentSpecs()...)
	out = append(out, endpointSpecs()...)
	return append(out, contextSpecs()...)
}

// ruleExample is what a rules list looks like, for messages.
const ruleExample = `rules: [ { name: "x", condition: "amount > 0", error: "message" } ]`

// dataAgentSpecs are the agents that validate, route and transform events.
func dataAgentSpecs() []TypeSpec {
	return []TypeSpec{
		withCaps(agentSpec(TypeDataProcessor, "filter", "Validates, cleans and enriches events: steps, required fields, JSON Schema validation and computed features.", nil,
			named("steps", ArgArray, `Text clean-up steps applied in order to string fields: "trim", "lowercase", "uppercase", "remove_special_chars" (keeps letters, digits and spaces).`),
			named("fields", ArgArray, `String fields the steps apply to ("a.b" for a nested one). Default: every top-level string field.`),
			named("required_fields", ArgArray, "Fields every event must have (present and not null); events without them fail and follow on_failure."),
			named("schema", ArgSchema, "JSON Schema (a schemas.<name> reference or a file) events must satisfy."),
			named("features", ArgArray, `Fields of the output, which holds exactly these: "name" copies a field, "name: expr" computes one from the input.`),
			named("rules", ArgAny, "Rules every event must pass, as in DecisionMatrix: [ { name, condition, error } ] or a JSON/YAML file."),
		), Capabilities{Features: true, Steps: []string{"trim", "lowercase", "uppercase", "remove_special_chars"}}),
		withCaps(agentSpec(TypeRouter, "split", "Sends each event to the first rule whose expression is true; \"default\" catches the rest.",
			[]ArgSpec{required(named("rules", ArgObject, `Ordered { "expr": "target.<subject>" or a channel, ..., "default": ... }.`))}),
			Capabilities{Routes: true}),
		withCaps(agentSpec(TypeDecisionMatrix, "table", "Checks events against rules; failing events follow on_failure.",
			[]ArgSpec{
				named("rules", ArgArray, "Rules: [ { name, condition, error } ]."),
				named("matrix", ArgString, "File holding the rules (JSON or YAML)."),
			}),
			Capabilities{RuleList: true, Needs: &Needs{[]string{"rules", "matrix"}, ruleExample + ` or matrix: "rules.yaml"`}}),
		withCaps(agentSpec(TypeRuleEngine, "scale", "Like DecisionMatrix, with rules loaded from a file.",
			[]ArgSpec{named("rules", ArgAny, "Rules file (JSON or YAML) or an inline list.")}),
			Capabilities{RuleList: true, Needs: &Needs{[]string{"rules"}, `rules: "rules.yaml" or ` + ruleExample}}),
		withCaps(agentSpec(TypeDataNormalizer, "sliders", "Normalises numeric fields: min-max with given bounds, or z-score from running statistics.", nil,
			named("fields", ArgAny, "Fields to normalise: a list (z-score from running statistics), or { field: { min, max } } (min-max, clamped to [0, 1])."),
			oneOf(named("method", ArgString, "Normalisation method."), "min_max", "z_score"),
		), Capabilities{Needs: &Needs{[]string{"fields"}, `fields: ["temp"] (z-score) or fields: { temp: { min: -40, max: 150 } } (min-max)`}}),
		withCaps(agentSpec(TypeMissingValueHandler, "puzzle", "Fills missing numeric fields from running statistics.",
			[]ArgSpec{withDefault(oneOf(named("strategy", ArgString, "Imputation strategy: running mean, streaming median, most frequent value, or config.value."), "mean_imputation", "median_imputation", "mode_imputation", "constant"), "mean_imputation")},
			named("fields", ArgArray, "Fields to fill."),
			named("value", ArgAny, "Constant used by the constant strategy; with the others, the value used until one has been seen."),
		), Capabilities{Needs: &Needs{[]string{"fields"}, `fields: ["temp", "vibration"]`}}),
	}
}

// modelAgentSpecs are the agents backed by a model, a person or a module.
func modelAgentSpecs() []TypeSpec {
	bayes := agentSpec(TypeBayesianNetwork, "share", "Exact inference on a BIF Bayesian network: posterior of query variables given evidence from the event.",
		[]ArgSpec{
			positional(named("network", ArgString, "BIF file."), 0),
			named("query", ArgArray, "Variables whose posterior is computed."),
			named("evidence", ArgObject, "Map of network variable to event field."),
		})
	bayes.Categories = append(bayes.Categories, CatContext)
	return []TypeSpec{
		agentSpec(TypeMLModel, "cpu", "Runs a machine-learning model (ONNX runs for real) on the input features.",
			[]ArgSpec{required(named("model", ArgModel, `Model to run: "models.<name>", a file path, or { file, type }.`))},
			named("threshold", ArgNumber, "Score threshold."),
			named("features", ArgArray, "Input feature names, in model order."),
		),
		agentSpec(TypeLLM, "sparkles", "Calls a large language model with a prompt template.",
			[]ArgSpec{
				named("engine", ArgString, `Model as "provider/model", e.g. "ollama/llama3" or "openai/gpt-4o".`),
				named("provider", ArgObject, "Provider settings: { ollama: { model, temperature, max_tokens } }."),
				required(named("prompt", ArgTemplate, "Prompt template: {{field}} inserts a field of the input or context; {{#if x}}...{{/if}} as in Handlebars.")),
				named("temperature", ArgNumber, "Sampling temperature."),
				integer(named("max_tokens", ArgNumber, "Maximum tokens in the reply.")),
				named("system", ArgTemplate, "System prompt."),
			}),
		agentSpec(TypeHumanReview, "user-check", "Pauses matching events until a person approves, rejects or edits them.", nil,
			named("ui", ArgObject, "Review form: { title, description, fields: [ { field, label, type } ] }."),
			oneOf(named("on_timeout", ArgString, "Decision when nobody answers in time."), "approve", "reject", "escalate"),
			named("timeout", ArgDuration, `How long to wait for a person, e.g. "24h".`),
			named("notifications", ArgObject, "Who is told about pending reviews."),
		),
		agentSpec(TypeHumanInLoop, "user-check", "Alias of HumanReview.",
			[]ArgSpec{
				named("trigger", ArgExpr, "Condition to ask a person."),
				named("interface", ArgString, "Review interface type."),
			}),
		bayes,
		agentSpec(TypeCustom, "box", "Runs a WebAssembly module on each event.",
			[]ArgSpec{required(named("module", ArgString, "The .wasm file."))}),
	}
}

// endpointSpecs are the sources and targets.
func endpointSpecs() []TypeSpec {
	return []TypeSpec{
		endpointSpec(TypeNATS, "radio", "A NATS subject (wildcards allowed for sources).", sourceTarget, required(named("subject", ArgString, "Subject."))),
		withCaps(endpointSpec(TypeHTTP, "globe", "An HTTP endpoint: events are POSTed to the path (source) or sent to the URL (target).", sourceTarget, required(named("path", ArgString, "Path or URL."))),
			Capabilities{ServedPath: true}),
		endpointSpec(TypeTimer, "clock", `Emits an event at a fixed interval, e.g. Timer("5s").`, []Category{CatSource}, required(ArgSpec{Name: "interval", Kind: ArgDuration, Doc: "Interval."})),
		endpointSpec(TypeFile, "file", "A JSON Lines file: one event per line.", sourceTarget, required(named("path", ArgString, "File path."))),
		endpointSpec(TypeMQTT, "wifi", "An MQTT topic (+ and # wildcards allowed for sources).", sourceTarget, required(named("topic", ArgString, "Topic."))),
		endpointSpec(TypeKafka, "layers", "A Kafka topic.", sourceTarget, required(named("topic", ArgString, "Topic."))),
	}
}

// contextSpecs are the contexts agents may consult.
func contextSpecs() []TypeSpec {
	return []TypeSpec{
		{Name: TypeKnowledgeBase, Categories: []Category{CatContext}, Icon: "book", Doc: "A folder of documents agents may consult.",
			Args: []ArgSpec{positional(required(named("path", ArgString, "Folder or index.")), 0), positional(named("options", ArgObject, "Options."), 1)}},
		{Name: TypeDatabase, Categories: []Category{CatContext}, Icon: "database", Doc: "A database connection and query.",
			Args: []ArgSpec{positional(required(named("connection", ArgString, "DSN.")), 0), positional(named("query", ArgString, "Query; may use {{field}}."), 1)}},
	}
}
