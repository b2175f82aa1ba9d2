package app

import (
	"github.com/kumeo/kumeo/dsl"
	"github.com/kumeo/kumeo/dsl/document"
)

// The language view the UI receives is the document package's; every offset
// in it is a UTF-16 code-unit offset into the document's text.
type (
	Span       = document.Span
	Graph      = document.Graph
	Node       = document.Node
	Edge       = document.Edge
	Diag       = document.Diag
	Pos        = document.Pos
	Analysis   = document.Analysis
	TextChange = document.TextChange
	Change     = document.Change
	GraphDelta = document.GraphDelta
)

// Doc is an open workflow document.
type Doc struct {
	Path        string         `json:"path"`
	Name        string         `json:"name"`
	Text        string         `json:"text"`
	Version     int            `json:"version"`
	Graph       Graph          `json:"graph"`
	Diagnostics []Diag         `json:"diagnostics"`
	Layout      map[string]Pos `json:"layout"`
	ParseOK     bool           `json:"parseOK"`
	Dirty       bool           `json:"dirty"`
}

// Entry is one item of a directory listing.
type Entry struct {
	Name string `json:"name"`
	Path string `json:"path"`
	// Kind is "dir", "kumeo" (a workflow file) or "file".
	Kind    string `json:"kind"`
	Dir     bool   `json:"dir"`
	Size    int64  `json:"size"`
	ModTime int64  `json:"modTime"` // milliseconds since the Unix epoch
}

// ReloadedEvent is the payload of EventReloaded.
type ReloadedEvent struct {
	Doc Doc `json:"doc"`
}

// ConflictEvent is the payload of EventConflict: the file changed on disk
// while the document had unsaved edits.
type ConflictEvent struct {
	Path   string `json:"path"`
	Mine   string `json:"mine"`
	Theirs string `json:"theirs"`
	// Base is the file's content both started from: what the document
	// last read or wrote, so a merge can tell whose change a line is.
	Base string `json:"base"`
}

// textIndex converts a text's byte offsets into the window's positions.
type textIndex = document.Index

// convertDiags converts diagnostics whose ranges index the text of x.
func convertDiags(ds dsl.Diagnostics, x *textIndex) []Diag {
	return document.Diagnostics(ds, x)
}
