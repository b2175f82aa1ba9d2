package app

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// Events emitted by Workspace.
const (
	// EventOpened carries the OpenResult of a file that was just opened.
	EventOpened = "workspace:opened"
)

// MaxFileSize is the largest workflow file Workspace opens.
const MaxFileSize = 8 << 20

var (
	// ErrNoPath is returned when Open is called without a path.
	ErrNoPath = errors.New("no workflow file given")
	// ErrNotFile is returned when the path names a directory or another
	// non-regular file.
	ErrNotFile = errors.New("not a regular file")
	// ErrTooLarge is returned for files larger than MaxFileSize.
	ErrTooLarge = errors.New("file too large")
)

// OpenResult is what the UI receives for an opened workflow file.
type OpenResult struct {
	// Path is the absolute path of the file.
	Path string `json:"path"`
	// Name is the file's base name, for titles and tabs.
	Name string `json:"name"`
	// Text is the file's content, byte for byte.
	Text string `json:"text"`
}

// Workspace is the service for the workflow document: opening files and,
// later, edits, saves and the language view of the text.
type Workspace struct {
	emit        Emitter
	initialPath string

	mu      sync.Mutex
	current *OpenResult
}

// NewWorkspace returns a Workspace that reports to emit. initialPath is the
// file the window should open on start; it may be empty.
func NewWorkspace(initialPath string, emit Emitter) *Workspace {
	if emit == nil {
		emit = Discard
	}
	return &Workspace{emit: emit, initialPath: initialPath}
}

// InitialPath returns the file given on the command line, or "" if none.
func (w *Workspace) InitialPath() string {
	return w.initialPath
}

// Open reads the workflow file at path, makes it the current document and
// emits EventOpened with the result.
func (w *Workspace) Open(path string) (OpenResult, error) {
	if path == "" {
		return OpenResult{}, ErrNoPath
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return OpenResult{}, fmt.Errorf("open %q: %w", path, err)
	}
	info, err := os.Stat(abs)
	if err != nil {
		return OpenResult{}, fmt.Errorf("open workflow: %w", err)
	}
	if !info.Mode().IsRegular() {
		return OpenResult{}, fmt.Errorf("open %s: %w", abs, ErrNotFile)
	}
	if info.Size() > MaxFileSize {
		return OpenResult{}, fmt.Errorf("open %s: %w (%d bytes, limit %d)", abs, ErrTooLarge, info.Size(), MaxFileSize)
	}
	src, err := os.ReadFile(abs)
	if err != nil {
		return OpenResult{}, fmt.Errorf("open workflow: %w", err)
	}

	res := OpenResult{Path: abs, Name: filepath.Base(abs), Text: string(src)}
	w.analyze(&res, src)

	w.mu.Lock()
	cur := res
	w.current = &cur
	w.mu.Unlock()

	w.emit(EventOpened, res)
	return res, nil
}

// Current returns the open document, or nil when nothing is open.
func (w *Workspace) Current() *OpenResult {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.current == nil {
		return nil
	}
	cur := *w.current
	return &cur
}

// analyze adds the language view of src to res: the workflow graph for the
// canvas and the diagnostics for the editor. Every path that produces a new
// text (open, edit, reload) calls it, so text, graph and diagnostics always
// reach the UI together. The language package is not connected yet, so the
// result carries the text only.
func (w *Workspace) analyze(res *OpenResult, src []byte) {
	_, _ = res, src
}
