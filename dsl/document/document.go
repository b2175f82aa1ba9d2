// Package document is the language model of one open workflow file as an
// editor sees it: its text and version, the parse, diagnostics and canvas
// graph of that text, and the edits that change it (typing, canvas
// operations, formatting), each answered with the new language view in the
// positions the window counts (UTF-16 code units).
package document

import (
	"bytes"
	"fmt"

	"github.com/kumeo/kumeo/dsl"
)

var (
	// ErrStale is returned by an edit made on an older version of the text
	// than the document holds.
	ErrStale = NewError(CodeStale, "stale edit")
	// ErrSyntax is returned by canvas edits and Format while the text does
	// not parse.
	ErrSyntax = NewError(CodeSyntax, "the text has syntax errors")
)

// Document is one workflow text and its language view. It is not safe for
// concurrent use.
type Document struct {
	reg     *dsl.Registry // the types the checks and the graph know
	path    string
	version int
	text    []byte
	index   *Index
	file    *dsl.File // the parse of text; complete only when parseOK
	parseOK bool
	diags   dsl.Diagnostics

	// good is the graph of the last text that parsed and goodIndex that
	// text's index; before any text parsed, the partial graph.
	good      *dsl.Graph
	goodIndex *Index
	// goodWire is good converted for the window (see Graph).
	goodWire   Graph
	goodWireOf *dsl.Graph
}

// New returns the document of src, named path in diagnostics, at version,
// checked against the types of reg.
func New(reg *dsl.Registry, path string, version int, src []byte) *Document {
	d := &Document{reg: reg, path: path, version: version}
	d.setText(src)
	return d
}

// Path is the file name the document's diagnostics carry.
func (d *Document) Path() string { return d.path }

// Version counts the changes of the text.
func (d *Document) Version() int { return d.version }

// Text is the current text; the caller must not change it.
func (d *Document) Text() []byte { return d.text }

// File is the parse of the text, complete only when ParseOK.
func (d *Document) File() *dsl.File { return d.file }

// ParseOK reports whether the text parses.
func (d *Document) ParseOK() bool { return d.parseOK }

// Diags are the text's diagnostics, sorted, in byte ranges.
func (d *Document) Diags() dsl.Diagnostics { return d.diags }

// Index converts the text's byte offsets into the window's positions.
func (d *Document) Index() *Index { return d.index }

// SetPath renames the document; the text is analyzed again so its
// diagnostics name the new file.
func (d *Document) SetPath(path string) {
	d.path = path
	d.setText(d.text)
}

// Reset replaces the text with src (a reload, a revert, a settled conflict)
// and bumps the version.
func (d *Document) Reset(src []byte) {
	d.setText(src)
	d.version++
}

// setText makes src the document's text and analyzes it: parse, checks when
// it parses, and the graph (kept as the last good one when it parses).
func (d *Document) setText(src []byte) {
	d.text = src
	d.index = NewIndex(src)
	f, diags := dsl.Parse(d.path, src)
	d.file = f
	d.parseOK = !diags.HasErrors()
	if d.parseOK {
		diags = append(diags, d.reg.Check(f)...)
	}
	diags.Sort()
	d.diags = diags
	if d.parseOK || d.good == nil {
		d.good, d.goodIndex = d.reg.Graph(f), d.index
	}
}

// checkVersion returns ErrStale, saying what was made on which version and
// what to do instead, unless version is the document's.
func (d *Document) checkVersion(version int, what, instead string) error {
	if version != d.version {
		return fmt.Errorf("%w: %s on version %d but the document is at version %d; %s", ErrStale, what, version, d.version, instead)
	}
	return nil
}

// Update makes src the document's text, as typed in the window, bumps the
// version and returns the language view of it. While the text does not
// parse, the graph is the last one of a text that did.
func (d *Document) Update(src []byte) Analysis {
	return d.update(src, nil)
}

// Edit is Update for the parts of the text that changed: edits (UTF-16
// offsets into the text of version, sorted, not overlapping) turn the
// document's text into the window's. Bytes outside the edits stay as they
// are, even ones the window shows differently (invalid UTF-8). An edit made
// on another version fails with ErrStale; the window then sends its whole
// text.
func (d *Document) Edit(version int, edits []TextChange) (Analysis, error) {
	if err := d.checkVersion(version, "the text changes were made", "send the whole text"); err != nil {
		return Analysis{}, err
	}
	text, err := applyTextChanges(d.text, d.index, edits)
	if err != nil {
		return Analysis{}, err
	}
	return d.update(text, edits), nil
}

// update makes src the document's text and returns the new language view.
// Typing in a text that parses, and still does: the reply tells the graph as
// changes to the previous one, through edits (the text changes that made
// src, in UTF-16 offsets of the previous text), or, when nil, through the
// one change that differs.
func (d *Document) update(src []byte, edits []TextChange) Analysis {
	prevOK, base, old, oldIndex := d.parseOK, d.version, d.text, d.index
	var prev Graph
	if prevOK {
		prev = d.Graph()
	}
	d.setText(src)
	d.version++
	a := d.Analysis()
	if prevOK && d.parseOK {
		if edits == nil {
			edits = convertEdits(appendEdit(nil, old, 0, len(old), d.text), oldIndex)
		}
		a.delta = graphDelta(base, prev, a.Graph, edits)
		a.delta.Edits = edits
	}
	return a
}

// Apply performs op, a canvas action, on the current text. baseVersion is
// the version the window showed when the user acted: an edit made on an
// older text is refused, as is an edit while the text does not parse.
func (d *Document) Apply(op dsl.Op, baseVersion int) (Change, error) {
	if err := d.CanApply(baseVersion); err != nil {
		return Change{}, err
	}
	res, err := dsl.Edit(d.file, op)
	if err != nil {
		return Change{}, fmt.Errorf("apply %s: %w", op.Op, err)
	}
	if bytes.Equal(res.Src, d.text) {
		return d.Change(nil), nil
	}
	next := &Document{reg: d.reg, path: d.path, good: d.good, goodIndex: d.goodIndex}
	next.setText(res.Src)
	if !next.parseOK {
		return Change{}, fmt.Errorf("apply %s: %w: the result does not parse: %s", op.Op, dsl.ErrBadOp, FirstError(next.diags, next.index))
	}
	oldIndex := d.index
	// The text parsed (checked above), so the window's graph is d.good's.
	base, prev := d.version, d.Graph()
	d.adopt(next)
	d.version++
	edits := convertEdits(res.Edits, oldIndex)
	ch := d.Change(edits)
	ch.delta = graphDelta(base, prev, ch.Graph, edits)
	return ch, nil
}

// CanApply says why a canvas edit made on baseVersion cannot be applied:
// ErrStale when the text moved on, ErrSyntax while it does not parse.
func (d *Document) CanApply(baseVersion int) error {
	if err := d.checkVersion(baseVersion, "the edit was made", "apply it again to the current text"); err != nil {
		return err
	}
	if !d.parseOK {
		return fmt.Errorf("%w (%s): fix them in the editor before editing on the canvas", ErrSyntax, FirstError(d.diags, d.index))
	}
	return nil
}

// RenamedNode returns the node ids of the agent op renames, before and
// after, when op is a rename of an agent of the current text.
func (d *Document) RenamedNode(op dsl.Op) (from, to string, ok bool) {
	if op.Op != "rename_agent" || d.file == nil {
		return "", "", false
	}
	wf := d.file.Workflow(op.Workflow)
	if wf == nil && op.Workflow == "" {
		for _, x := range d.file.Workflows() {
			if x.Kind == dsl.KindSubworkflow {
				wf = x
				break
			}
		}
	}
	if wf == nil {
		return "", "", false
	}
	from, to = dsl.AgentNodeID(wf.Name, op.ID), dsl.AgentNodeID(wf.Name, op.To)
	return from, to, from != to
}

// Format rewrites the current text in canonical style. It refuses a text
// that does not parse; a text already formatted comes back unchanged, with
// no edits and the same version.
func (d *Document) Format() (Change, error) {
	out, diags := dsl.Format(d.path, d.text)
	if out == nil || diags.HasErrors() {
		return Change{}, fmt.Errorf("format: %w: %s", ErrSyntax, FirstError(diags, d.index))
	}
	if bytes.Equal(out, d.text) {
		return d.Change(nil), nil
	}
	old, oldIndex := d.text, d.index
	d.setText(out)
	d.version++
	return d.Change(convertEdits(diffEdits(d.path, old, out), oldIndex)), nil
}

// Analysis is the language view of the current text.
func (d *Document) Analysis() Analysis {
	return Analysis{Version: d.version, Graph: d.Graph(),
		Diagnostics: Diagnostics(d.diags, d.index), ParseOK: d.parseOK}
}

// Change is the current text's language view as the reply to edits (UTF-16
// changes of the previous text) that made it.
func (d *Document) Change(edits []TextChange) Change {
	if edits == nil {
		edits = []TextChange{}
	}
	a := d.Analysis()
	return Change{Version: d.version, Text: string(d.text), Length: d.index.utf16(len(d.text)), Edits: edits,
		Graph: a.Graph, Diagnostics: a.Diagnostics, ParseOK: a.ParseOK}
}

// Graph is the graph of the last text that parsed as the window receives
// it, converted once per graph (the reply to an edit needs the previous one
// too, for its delta).
func (d *Document) Graph() Graph {
	if d.goodWireOf != d.good || d.good == nil {
		d.goodWire, d.goodWireOf = convertGraph(d.good, d.goodIndex), d.good
	}
	return d.goodWire
}

// adopt takes the analyzed text of next.
func (d *Document) adopt(next *Document) {
	d.text, d.index, d.file, d.parseOK, d.diags = next.text, next.index, next.file, next.parseOK, next.diags
	d.good, d.goodIndex = next.good, next.goodIndex
}

// FirstError describes the first error of ds, whose ranges index the text
// of x, for a message.
func FirstError(ds dsl.Diagnostics, x *Index) string {
	for _, d := range ds {
		if d.Severity == dsl.SevError {
			line, col := x.lineCol(d.Range.Start.Offset)
			return fmt.Sprintf("line %d, column %d: %s [%s]", line, col, d.Message(), d.Code)
		}
	}
	return "the first error"
}
