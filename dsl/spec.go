package dsl

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
	// Integer says a number argument must be a whole number.
	Integer bool   `json:"integer,omitempty"`
	Doc     string `json:"doc"`
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
	// Runnable says the local engine runs the type; a Registry bound to an
	// engine sets it (WithLocalEngine).
	Runnable bool `json:"runnable"`
	// Caps are what the checker, the graph and the editor know about the
	// type beyond its arguments.
	Caps Capabilities `json:"caps"`
}

// Capabilities describe behaviour of a type that its arguments alone do
// not say. Code asks for a capability, never for a type's name.
type Capabilities struct {
	// Routes: the type sends each event to the first rule of its rules
	// object whose key (an expression; "default" catches the rest) is
	// true. The values are destinations: "target.<subject>", "output.<name>"
	// in a subworkflow, or a channel the agent produces. Its own output is
	// not where its events go.
	Routes bool `json:"routes,omitempty"`
	// RuleList: the rules argument may be a list of { name, condition,
	// error } objects whose conditions are expressions.
	RuleList bool `json:"rule_list,omitempty"`
	// Features: the config key features lists the fields of the output
	// ("name" copies a field, "name: expr" computes one), so the names an
	// agent reading it sees are known.
	Features bool `json:"features,omitempty"`
	// Steps are the known values of the config key steps; others are
	// reported only when they look like a misspelt one.
	Steps []string `json:"steps,omitempty"`
	// ServedPath: as a source the endpoint's address is a path the
	// workflow's HTTP listener serves, as a target a URL events are sent
	// to.
	ServedPath bool `json:"served_path,omitempty"`
	// Needs is a setting the type cannot do without that the spec cannot
	// mark required: one of Any, as an argument or a key of the config
	// object.
	Needs *Needs `json:"needs,omitempty"`
}

// Needs is one setting a type needs, given by any one of several names.
type Needs struct {
	Any     []string `json:"any"`
	Example string   `json:"example"`
}

// ConfigKey returns the spec of the named key of the config object, or nil.
func (t *TypeSpec) ConfigKey(name string) *ArgSpec {
	for i := range t.ConfigKeys {
		if t.ConfigKeys[i].Name == name {
			return &t.ConfigKeys[i]
		}
	}
	return nil
}

// Setting returns the spec of a named argument, or of the config key of
// that name when there is no such argument: what a factory may read.
func (t *TypeSpec) Setting(name string) *ArgSpec {
	if a := t.Arg(name); a != nil {
		return a
	}
	return t.ConfigKey(name)
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

func named(name string, kind ArgKind, doc string) ArgSpec {
	return ArgSpec{Name: name, Kind: kind, Positional: -1, Doc: doc}
}

func required(a ArgSpec) ArgSpec { a.Required = true; return a }

func positional(a ArgSpec, i int) ArgSpec { a.Positional = i; return a }

func withDefault(a ArgSpec, v any) ArgSpec { a.Default = v; return a }

func oneOf(a ArgSpec, values ...string) ArgSpec { a.Enum = values; return a }

func integer(a ArgSpec) ArgSpec { a.Integer = true; return a }
