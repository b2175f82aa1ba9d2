package dsl

// Result is everything the editor and CLI need about one text: the syntax
// tree, the graph and all diagnostics.
type Result struct {
	File        *File       `json:"-"`
	Graph       *Graph      `json:"graph"`
	Diagnostics Diagnostics `json:"diagnostics"`
}

// Analyze parses, checks and projects src against the constructors of r.
// When the text has syntax errors the graph holds what parsed before the
// first error and the semantic checks are skipped.
func (r *Registry) Analyze(filename string, src []byte) *Result {
	f, diags := Parse(filename, src)
	if !diags.HasErrors() {
		diags = append(diags, r.Check(f)...)
	}
	diags.Sort()
	if diags == nil {
		diags = Diagnostics{}
	}
	return &Result{File: f, Graph: r.Graph(f), Diagnostics: diags}
}
