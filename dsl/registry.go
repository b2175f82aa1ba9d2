package dsl

import (
	"slices"
	"sort"
	"sync"
)

// Registry holds the specs of the constructors a program knows. It is a
// value: the checker, the graph and the editor read the registry they are
// given, and a program with a local engine gives them one that says which
// types the engine runs (WithLocalEngine). A Registry is never changed
// after it is built and is safe for concurrent use; the specs it returns
// must not be modified.
type Registry struct {
	types  map[string]*TypeSpec
	sorted []*TypeSpec
	// local is set when a local engine said which types it runs: only
	// then does the checker report what it cannot run.
	local bool
}

// NewRegistry builds a registry of specs; a later spec of a name replaces
// an earlier one.
func NewRegistry(specs ...TypeSpec) *Registry {
	r := &Registry{types: make(map[string]*TypeSpec, len(specs))}
	for _, s := range specs {
		cp := s
		r.types[s.Name] = &cp
	}
	r.sort()
	return r
}

func (r *Registry) sort() {
	r.sorted = make([]*TypeSpec, 0, len(r.types))
	for _, t := range r.types {
		r.sorted = append(r.sorted, t)
	}
	sort.Slice(r.sorted, func(i, j int) bool { return r.sorted[i].Name < r.sorted[j].Name })
}

var builtinRegistry = sync.OnceValue(func() *Registry { return NewRegistry(builtinSpecs()...) })

// Builtin returns the registry of the language's constructors, for a
// program without a local engine (no type is runnable).
func Builtin() *Registry { return builtinRegistry() }

// WithLocalEngine returns a copy of r for a program with a local engine
// that runs the named types: they are marked Runnable and every other
// type is not, and the checker reports every construct the engine cannot
// run with CodeNotRunnable.
func (r *Registry) WithLocalEngine(runnable ...string) *Registry {
	out := &Registry{types: make(map[string]*TypeSpec, len(r.types)), local: true}
	for name, t := range r.types {
		cp := *t
		cp.Runnable = slices.Contains(runnable, name)
		out.types[name] = &cp
	}
	out.sort()
	return out
}

// LocalEngine reports whether the registry comes from a local engine.
func (r *Registry) LocalEngine() bool { return r.local }

// Lookup returns the spec of a constructor.
func (r *Registry) Lookup(name string) (*TypeSpec, bool) {
	t, ok := r.types[name]
	return t, ok
}

// Types returns the specs of every constructor usable in category c (all
// when c is empty), sorted by name.
func (r *Registry) Types(c Category) []*TypeSpec {
	out := make([]*TypeSpec, 0, len(r.sorted))
	for _, t := range r.sorted {
		if c == "" || t.Is(c) {
			out = append(out, t)
		}
	}
	return out
}

// TypeNames returns the names of the constructors usable in category c,
// sorted.
func (r *Registry) TypeNames(c Category) []string {
	ts := r.Types(c)
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Name
	}
	return out
}

// Specs returns a copy of every spec, sorted by name: what the editor's
// palette, completion and hover docs are given.
func (r *Registry) Specs() []TypeSpec {
	out := make([]TypeSpec, len(r.sorted))
	for i, t := range r.sorted {
		out[i] = *t
	}
	return out
}

// Caps returns the capabilities of a type; an unknown type has none.
func (r *Registry) Caps(name string) Capabilities {
	if t, ok := r.types[name]; ok {
		return t.Caps
	}
	return Capabilities{}
}
