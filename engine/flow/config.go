package flow

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/kumeo/kumeo/dsl"
)

// ErrSetting is wrapped by the errors of Config's typed reads: a value of
// the wrong kind, or outside the set the spec allows.
var ErrSetting = errors.New("invalid setting")

// Config is what a factory gets to build one agent instance: the agent's
// settings bound to its type's spec. A factory reads only what the spec
// declares (its arguments and the keys of its config object), with the
// spec's enums and defaults; reading anything else is a bug of the
// factory, recorded (Undeclared) and read as absent.
type Config struct {
	Workflow *dsl.Workflow
	Agent    *dsl.Agent
	Spec     *dsl.TypeSpec
	// Globals is the workflow's config object, available to expressions as
	// config.*, or an empty map.
	Globals map[string]any
	// Dir is the directory of the workflow file; relative file names
	// (schemas, rule files, models) are resolved against it.
	Dir string

	args     map[string]any // named arguments as plain Go values (dsl.Interface)
	settings map[string]any // the config object, or an empty map
	fromFile bool           // settings were read from a file: no syntax tree
	reads    *undeclared
}

type undeclared struct {
	mu    sync.Mutex
	names []string
}

// NewConfig binds an agent's named arguments and config object (plain Go
// values, as dsl.Interface returns them) to its type's spec.
func NewConfig(spec *dsl.TypeSpec, args, settings map[string]any) *Config {
	if args == nil {
		args = map[string]any{}
	}
	if settings == nil {
		settings = map[string]any{}
	}
	return &Config{Spec: spec, Globals: map[string]any{}, args: args, settings: settings, reads: &undeclared{}}
}

// WithSettings returns a copy of c whose config object is m, read from a
// file (its keys have no syntax tree).
func (c *Config) WithSettings(m map[string]any) *Config {
	cp := *c
	cp.settings, cp.fromFile = m, true
	return &cp
}

// Undeclared lists the names read that the spec does not declare.
func (c *Config) Undeclared() []string {
	c.reads.mu.Lock()
	defer c.reads.mu.Unlock()
	return slices.Clone(c.reads.names)
}

// declared reports whether the spec declares name, recording it when not.
func (c *Config) declared(name string) bool {
	if c.Spec != nil && c.Spec.Setting(name) != nil {
		return true
	}
	c.reads.mu.Lock()
	if !slices.Contains(c.reads.names, name) {
		c.reads.names = append(c.reads.names, name)
	}
	c.reads.mu.Unlock()
	return false
}

// Type is the agent's type name.
func (c *Config) Type() string {
	if c.Agent != nil && c.Agent.Type != "" {
		return c.Agent.Type
	}
	if c.Spec != nil {
		return c.Spec.Name
	}
	return ""
}

// ID is the agent's id: the one the workflow gives it, else its id
// argument, else its type name.
func (c *Config) ID() string {
	if c.Agent != nil && c.Agent.ID != "" {
		return c.Agent.ID
	}
	if s, ok := c.args["id"].(string); ok && s != "" {
		return s
	}
	return c.Type()
}

// Value returns a declared setting: the named argument, or else the key of
// that name of the config object.
func (c *Config) Value(name string) (any, bool) {
	if !c.declared(name) {
		return nil, false
	}
	if v, ok := c.args[name]; ok {
		return v, true
	}
	v, ok := c.settings[name]
	return v, ok
}

// Where names a setting for messages: "rules" when it is an argument,
// "config.rules" when it is (or would be) a key of the config object.
func (c *Config) Where(name string) string {
	if _, ok := c.args[name]; ok {
		return name
	}
	return "config." + name
}

// Node returns the syntax-tree value of a declared setting, or nil when
// the configuration was not built from a parsed workflow.
func (c *Config) Node(name string) dsl.Node {
	if !c.declared(name) || c.Agent == nil || c.Agent.Call == nil {
		return nil
	}
	call := c.Agent.Call
	if n := call.Value(name); n != nil {
		return n
	}
	if c.fromFile {
		return nil
	}
	if o, ok := call.Value("config").(*dsl.Object); ok {
		return o.Value(name)
	}
	return nil
}

// String returns a declared string setting; given reports whether it is
// set at all. A value that is not a string is an error wrapping
// ErrSetting.
func (c *Config) String(name string) (s string, given bool, err error) {
	v, ok := c.Value(name)
	if !ok || v == nil {
		return "", false, nil
	}
	s, isStr := v.(string)
	if !isStr {
		return "", true, settingError("expected a string, not " + Describe(v))
	}
	return s, true, nil
}

// Enum returns a declared setting whose spec lists its values: the spec's
// default (or "") when it is not set, and an error wrapping ErrSetting
// when the value is not one of the spec's.
func (c *Config) Enum(name string) (string, error) {
	v, ok := c.Value(name)
	var spec dsl.ArgSpec
	if c.Spec != nil && c.Spec.Setting(name) != nil {
		spec = *c.Spec.Setting(name)
	}
	if !ok {
		def, _ := spec.Default.(string)
		return def, nil
	}
	enum := spec.Enum
	if s, isStr := v.(string); isStr && slices.Contains(enum, s) {
		return s, nil
	}
	q := make([]string, len(enum))
	for i, e := range enum {
		q[i] = fmt.Sprintf("%q", e)
	}
	return "", settingError(fmt.Sprintf("expected one of %s, not %s", strings.Join(q, ", "), Describe(v)))
}

// settingError says what is wrong with a setting; the caller says where.
type settingError string

func (e settingError) Error() string        { return string(e) }
func (e settingError) Is(target error) bool { return target == ErrSetting }

// Describe names a decoded value for messages: null, the string "x",
// true, an object, a list, the number 3.
func Describe(v any) string { return describeAs(v, "the number ") }

// describeAs is Describe with numbers written after numberPrefix.
func describeAs(v any, numberPrefix string) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return fmt.Sprintf("the string %q", x)
	case bool:
		return fmt.Sprintf("%t", x)
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	}
	if f, ok := ToFloat(v); ok {
		return fmt.Sprintf("%s%g", numberPrefix, f)
	}
	return fmt.Sprintf("a %T", v)
}
