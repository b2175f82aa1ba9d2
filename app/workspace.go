package app

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/kumeo/kumeo/dsl"
	"github.com/kumeo/kumeo/dsl/document"
	"github.com/kumeo/kumeo/engine"
)

// Events emitted by Workspace.
const (
	// EventOpened carries the Doc of a file that was just opened.
	EventOpened = "workspace:opened"
	// EventReloaded carries a ReloadedEvent: the file changed on disk while
	// the document had no unsaved edits, and the document now holds the
	// new text.
	EventReloaded = "workspace:reloaded"
	// EventConflict carries a ConflictEvent: the file changed on disk while
	// the document had unsaved edits. Nothing changes until
	// ResolveConflict.
	EventConflict = "workspace:conflict"
)

// MaxFileSize is the largest workflow file Workspace opens.
const MaxFileSize = 8 << 20

var (
	// ErrNoPath is returned when a method is called without a path.
	ErrNoPath = document.NewError(document.CodeNoPath, "no workflow file given")
	// ErrNotFile is returned when the path names a directory or another
	// non-regular file.
	ErrNotFile = document.NewError(document.CodeNotFile, "not a regular file")
	// ErrTooLarge is returned for files larger than MaxFileSize.
	ErrTooLarge = document.NewError(document.CodeTooLarge, "file too large")
	// ErrNotOpen is returned for a path that is not an open document.
	ErrNotOpen = document.NewError(document.CodeNotOpen, "document is not open")
	// ErrStale is returned by Edit and Apply when the edit was made on an
	// older version of the text than the document holds.
	ErrStale = document.ErrStale
	// ErrSyntax is returned by canvas edits and Format while the text does
	// not parse.
	ErrSyntax = document.ErrSyntax
	// ErrNoConflict is returned by ResolveConflict when the file has no
	// unresolved change on disk.
	ErrNoConflict = document.NewError(document.CodeNoConflict, "no conflict to resolve")
	// ErrExists is returned when a new file would replace an existing one.
	ErrExists = document.NewError(document.CodeExists, "file already exists")
	// ErrInvalidName is returned for a file name that cannot be used.
	ErrInvalidName = document.NewError(document.CodeInvalidName, "invalid name")
	// ErrChangedOnDisk is returned by Save when another program changed
	// the file since the document last read or wrote it: nothing is
	// written, and the change is taken as the watcher takes one (a
	// conflict with unsaved edits, a reload without).
	ErrChangedOnDisk = document.NewError(document.CodeChangedOnDisk, "the file changed on disk")
)

// WorkspaceOptions configure a Workspace.
type WorkspaceOptions struct {
	// InitialPath is the file the window opens on start; may be empty.
	InitialPath string
	// Dir resolves relative paths; empty means the working directory.
	Dir string
	// ConfigDir holds recent.json and pins.json (pinned test events);
	// empty means os.UserConfigDir()/kumeo. "-" keeps them in memory only.
	ConfigDir string
	// Emit receives the Workspace's events; nil drops them.
	Emit Emitter
	// Settle is how long the watcher waits after the last change of a
	// file before it reads it, so a burst of writes reads as one change;
	// zero means 50 ms.
	Settle time.Duration
}

// Workspace is the service for workflow documents: files, typing, canvas
// edits, formatting, saving, layout and watching the files on disk.
//
// Every document is addressed by its absolute path. Its text is the source of
// truth: each method that changes it returns the new language view (graph and
// diagnostics) with it, so text and canvas never drift apart.
type Workspace struct {
	opts   WorkspaceOptions
	emit   Emitter
	recent recentList
	pins   pinStore

	mu         sync.Mutex
	docs       map[string]*openFile
	recentList []string
	watch      *watcher
	afterSave  func(path string) // hot reload of runs of a saved file
	closed     bool
}

// openFile is one open file: its text and language view, and what the
// workspace knows of the file on disk and the canvas layout.
type openFile struct {
	*document.Document

	// disk is the file's content as last read or written, or as settled
	// in a conflict; diskStamp identifies that version of the file, which
	// a save expects to find on disk.
	disk      []byte
	diskStamp fileStamp
	// theirs is content on disk the user has not resolved yet, stamped by
	// theirsStamp.
	theirs      []byte
	theirsStamp fileStamp
	layout      map[string]Pos
}

// NewWorkspace returns a Workspace.
func NewWorkspace(opts WorkspaceOptions) *Workspace {
	if opts.Emit == nil {
		opts.Emit = Discard
	}
	if opts.Settle <= 0 {
		opts.Settle = 50 * time.Millisecond
	}
	w := &Workspace{opts: opts, emit: opts.Emit, docs: map[string]*openFile{}}
	switch opts.ConfigDir {
	case "-":
	case "":
		if d, err := os.UserConfigDir(); err == nil {
			w.recent.path = filepath.Join(d, "kumeo", "recent.json")
			w.pins.path = filepath.Join(d, "kumeo", "pins.json")
		}
	default:
		w.recent.path = filepath.Join(opts.ConfigDir, "recent.json")
		w.pins.path = filepath.Join(opts.ConfigDir, "pins.json")
	}
	w.recentList = w.recent.load()
	return w
}

// InitialPath returns the file given on the command line, or "" if none.
func (w *Workspace) InitialPath() string {
	return w.opts.InitialPath
}

// abs resolves path against the workspace directory.
func (w *Workspace) abs(path string) (string, error) {
	if path == "" {
		return "", ErrNoPath
	}
	if !filepath.IsAbs(path) && w.opts.Dir != "" {
		path = filepath.Join(w.opts.Dir, path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("%q: %w", path, err)
	}
	return abs, nil
}

// locked runs f on the open document at path with w.mu held.
func locked[T any](w *Workspace, path string, f func(d *openFile) (T, error)) (T, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	d, err := w.doc(path)
	if err != nil {
		var zero T
		return zero, err
	}
	return f(d)
}

// doc returns the open document at path; w.mu must be held.
func (w *Workspace) doc(path string) (*openFile, error) {
	abs, err := w.abs(path)
	if err != nil {
		return nil, err
	}
	d := w.docs[abs]
	if d == nil {
		return nil, fmt.Errorf("%s: %w", abs, ErrNotOpen)
	}
	return d, nil
}

// Open opens the workflow file at path, or returns the document as it is
// when the file is already open (unsaved edits included), and emits
// EventOpened with it.
func (w *Workspace) Open(path string) (Doc, error) {
	abs, err := w.abs(path)
	if err != nil {
		return Doc{}, err
	}
	w.mu.Lock()
	d := w.docs[abs]
	if d == nil {
		src, stamp, err := readDoc(abs)
		if err != nil {
			w.mu.Unlock()
			return Doc{}, fmt.Errorf("open workflow: %w", err)
		}
		d = &openFile{Document: document.New(engine.Registry(), abs, 1, src), disk: src, diskStamp: stamp, layout: readLayout(abs)}
		w.docs[abs] = d
		// A file that cannot be watched (say, the system's inotify limit is
		// reached) still opens: its own saves work, changes from outside
		// are just not noticed.
		_ = w.watchLocked(abs)
		w.addRecentLocked(abs)
	}
	doc := d.dto()
	w.mu.Unlock()
	w.emit(EventOpened, doc)
	return doc, nil
}

// Update stores text as the document's current (unsaved) text, bumps its
// version and returns the language view of it. While the text does not
// parse, the graph is the last one of a text that did.
func (w *Workspace) Update(path, text string) (Analysis, error) {
	return locked(w, path, func(d *openFile) (Analysis, error) { return d.Update([]byte(text)), nil })
}

// Edit is Update for the parts of the text that changed: edits (UTF-16
// offsets into the text of version, sorted, not overlapping) turn the
// document's text into the window's. Bytes outside the edits stay as they
// are on disk, even ones the window shows differently (invalid UTF-8). An
// edit made on another version fails with ErrStale; the window then sends
// its whole text.
func (w *Workspace) Edit(path string, version int, edits []TextChange) (Analysis, error) {
	return locked(w, path, func(d *openFile) (Analysis, error) { return d.Edit(version, edits) })
}

// Analyze returns the language view of text as if it were the document at
// path, without storing it: the document's text and version do not change.
// The conflict dialog checks a merged text with it before it replaces the
// document. While the text does not parse the graph is the partial one of
// what did.
func (w *Workspace) Analyze(path, text string) (Analysis, error) {
	abs, err := w.abs(path)
	if err != nil {
		return Analysis{}, err
	}
	w.mu.Lock()
	version := 0
	if d := w.docs[abs]; d != nil {
		version = d.Version()
	}
	w.mu.Unlock()
	return document.New(engine.Registry(), abs, version, []byte(text)).Analysis(), nil
}

// Apply performs a canvas action, given as an edit operation in the JSON of
// `kumeo edit --op`, on the current text. baseVersion is the version the UI
// showed when the user acted: an edit made on an older text is refused, as
// is an edit while the text does not parse. A rename carries the agent's
// canvas position to its new node id.
func (w *Workspace) Apply(path string, opJSON string, baseVersion int) (Change, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	d, err := w.doc(path)
	if err != nil {
		return Change{}, err
	}
	if err := d.CanApply(baseVersion); err != nil {
		return Change{}, err
	}
	op, err := dsl.ParseOp([]byte(opJSON))
	if err != nil {
		return Change{}, fmt.Errorf("apply: %w", err)
	}
	from, to, renamed := d.RenamedNode(op)
	ch, err := d.Document.Apply(op, baseVersion)
	if err != nil {
		return Change{}, err
	}
	if renamed && d.carryLayout(from, to) {
		ch.Layout = maps.Clone(d.layout)
	}
	return ch, nil
}

// carryLayout moves the position of node from to node to and writes the
// sidecar; it reports whether there was a position to move. A failed write
// keeps the position in memory, where the next SetLayout saves it.
func (d *openFile) carryLayout(from, to string) bool {
	p, ok := d.layout[from]
	if !ok {
		return false
	}
	delete(d.layout, from)
	d.layout[to] = p
	_ = writeLayout(d.Path(), d.layout)
	return true
}

// Format rewrites the current text in canonical style. It refuses a text
// that does not parse; a text already formatted comes back unchanged, with
// no edits and the same version.
func (w *Workspace) Format(path string) (Change, error) {
	return locked(w, path, func(d *openFile) (Change, error) { return d.Format() })
}

// Save writes the current text to the file atomically (a reader sees the
// old content or the new, never a part) keeping the file's mode. Runs of the
// file hot-reload the saved text.
//
// Before the new text replaces the file, Save makes sure the file still
// holds the version the document last read or wrote (or settled in a
// conflict). When another program changed it, even inside the watcher's
// settle time, nothing is written: Save returns ErrChangedOnDisk and the
// change is taken as the watcher takes one, EventConflict when the
// document has unsaved edits (ResolveConflict, then save again), a reload
// (EventReloaded) when it has none. A file deleted on disk is written
// again.
func (w *Workspace) Save(path string) error {
	w.mu.Lock()
	d, err := w.doc(path)
	if err != nil {
		w.mu.Unlock()
		return err
	}
	// Checked once the text is on disk in the temporary file, right before
	// it replaces the file: the last moment before the rename.
	var ev diskEvent
	err = d.save(d.Path(), func() (err error) {
		ev, err = d.checkBeforeSave()
		return err
	})
	hook := w.afterSave
	p := d.Path()
	w.mu.Unlock()
	if ev.name != "" {
		w.emit(ev.name, ev.payload)
	}
	if err != nil {
		return err
	}
	if hook != nil {
		hook(p)
	}
	return nil
}

// checkBeforeSave compares the document's file with diskStamp. A change is
// taken (see takeDiskChange) and reported as ErrChangedOnDisk with the
// event to send; a missing file is no change.
func (d *openFile) checkBeforeSave() (diskEvent, error) {
	src, stamp, err := readDoc(d.Path())
	if errors.Is(err, fs.ErrNotExist) {
		return diskEvent{}, nil
	}
	if err != nil {
		return diskEvent{}, fmt.Errorf("save %s: nothing was written, the file on disk could not be compared with the document: %w", d.Path(), err)
	}
	if stamp.sameContent(d.diskStamp) {
		d.diskStamp = stamp // touched, not changed
		return diskEvent{}, nil
	}
	what := stamp.describe(d.diskStamp)
	ev := d.takeDiskChange(src, stamp)
	then := "settle the conflict, then save again"
	if ev.name == EventReloaded {
		then = "there were no unsaved edits, so the document now holds the file's content"
	}
	return ev, fmt.Errorf("save %s: %w since it was last read or saved (%s); nothing was written: %s", d.Path(), ErrChangedOnDisk, what, then)
}

// diskEvent is an event a change on disk sends to the window.
type diskEvent struct {
	name    string
	payload any
}

// takeDiskChange takes src, the file's content stamped stamp, which differs
// from what the document last read or wrote: a document without unsaved
// edits takes it as its text (EventReloaded); with unsaved edits it is
// kept as theirs until ResolveConflict (EventConflict).
func (d *openFile) takeDiskChange(src []byte, stamp fileStamp) diskEvent {
	if bytes.Equal(d.Text(), d.disk) {
		d.disk, d.diskStamp, d.theirs = src, stamp, nil
		d.Reset(src)
		return diskEvent{EventReloaded, ReloadedEvent{Doc: d.dto()}}
	}
	d.theirs, d.theirsStamp = src, stamp
	return diskEvent{EventConflict, ConflictEvent{Path: d.Path(), Mine: string(d.Text()), Theirs: string(src), Base: string(d.disk)}}
}

// save writes the document's text to path, which the document then knows
// as written. An error from check (see writeAtomicStamp) is returned as it
// is.
func (d *openFile) save(path string, check func() error) error {
	text := bytes.Clone(d.Text())
	var refused error
	stamp, err := writeAtomicStamp(path, text, func() error {
		if check != nil {
			refused = check()
		}
		return refused
	})
	if refused != nil {
		return refused
	}
	if err != nil {
		return fmt.Errorf("save: %w", err)
	}
	d.disk, d.diskStamp = text, stamp
	d.theirs = nil
	return nil
}

// SaveAs writes the current text to newPath, which then becomes the
// document's path (the old file is left as it is); the layout goes along.
// An open document at newPath is not replaced.
func (w *Workspace) SaveAs(path, newPath string) error {
	dst, err := w.abs(newPath)
	if err != nil {
		return err
	}
	w.mu.Lock()
	d, err := w.doc(path)
	if err != nil {
		w.mu.Unlock()
		return err
	}
	if dst == d.Path() {
		w.mu.Unlock()
		return w.Save(path)
	}
	if w.docs[dst] != nil {
		w.mu.Unlock()
		return fmt.Errorf("save as %s: %w: it is open in another tab", dst, ErrExists)
	}
	if err := d.save(dst, nil); err != nil {
		w.mu.Unlock()
		return err
	}
	if len(d.layout) > 0 {
		_ = writeLayout(dst, d.layout)
	}
	old := d.Path()
	delete(w.docs, old)
	w.unwatchLocked(old)
	d.SetPath(dst) // diagnostics and the engine name the new file
	w.docs[dst] = d
	_ = w.watchLocked(dst)
	w.addRecentLocked(dst)
	hook := w.afterSave
	w.mu.Unlock()
	if hook != nil {
		hook(dst)
	}
	return nil
}

// Revert replaces the current text with the file's content on disk,
// dropping unsaved edits.
func (w *Workspace) Revert(path string) (Doc, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	d, err := w.doc(path)
	if err != nil {
		return Doc{}, err
	}
	src, stamp, err := readDoc(d.Path())
	if err != nil {
		return Doc{}, fmt.Errorf("revert: %w", err)
	}
	d.disk, d.diskStamp, d.theirs = src, stamp, nil
	d.layout = readLayout(d.Path())
	d.Reset(src)
	return d.dto(), nil
}

// SetLayout stores canvas positions in the document's layout sidecar,
// merged into the positions already there. It never touches the workflow
// file.
func (w *Workspace) SetLayout(path string, positions map[string]Pos) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	d, err := w.doc(path)
	if err != nil {
		return err
	}
	next := make(map[string]Pos, len(d.layout)+len(positions))
	for id, p := range d.layout {
		next[id] = p
	}
	for id, p := range positions {
		next[id] = p
	}
	if err := writeLayout(d.Path(), next); err != nil {
		return fmt.Errorf("set layout: %w", err)
	}
	d.layout = next
	return nil
}

// Specs returns every constructor the language knows (agents, sources,
// targets, contexts) with its arguments and docs, for the palette and
// autocompletion; Runnable says the local engine can run it.
func (w *Workspace) Specs() []dsl.TypeSpec { return engine.Registry().Specs() }

// ListDir lists dir (relative to the workspace directory when relative):
// directories first, then files, by name; hidden entries are left out.
func (w *Workspace) ListDir(dir string) ([]Entry, error) {
	if dir == "" {
		dir = "."
	}
	abs, err := w.abs(dir)
	if err != nil {
		return nil, err
	}
	ents, err := os.ReadDir(abs)
	if err != nil {
		return nil, fmt.Errorf("list: %w", err)
	}
	out := make([]Entry, 0, len(ents))
	for _, e := range ents {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		isDir := info.IsDir()
		if info.Mode()&os.ModeSymlink != 0 {
			if st, err := os.Stat(filepath.Join(abs, name)); err == nil {
				info, isDir = st, st.IsDir()
			}
		}
		ent := Entry{Name: name, Path: filepath.Join(abs, name), Kind: fileKind(name, isDir), Dir: isDir, ModTime: info.ModTime().UnixMilli()}
		if !isDir {
			ent.Size = info.Size()
		}
		out = append(out, ent)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if (out[i].Kind == "dir") != (out[j].Kind == "dir") {
			return out[i].Kind == "dir"
		}
		return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name)
	})
	return out, nil
}

// Recent returns the recently opened files that still exist, most recent
// first (at most MaxRecent).
func (w *Workspace) Recent() []string {
	w.mu.Lock()
	list := append([]string(nil), w.recentList...)
	w.mu.Unlock()
	out := []string{}
	for _, p := range list {
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			out = append(out, p)
		}
	}
	return out
}

// addRecentLocked puts path first in the recent list; w.mu must be held.
// The list is a convenience: failing to persist it is not an error.
func (w *Workspace) addRecentLocked(path string) {
	w.recentList, _ = w.recent.add(w.recentList, path)
}

// NewFromTemplate creates dir/name.kumeo holding a small runnable workflow
// and opens it. It never replaces an existing file.
func (w *Workspace) NewFromTemplate(dir, name string) (Doc, error) {
	name = strings.TrimSuffix(strings.TrimSpace(name), ".kumeo")
	if name == "" || strings.ContainsAny(name, `/\`) || strings.HasPrefix(name, ".") {
		return Doc{}, fmt.Errorf("new workflow %q: %w: expected a file name without directories", name, ErrInvalidName)
	}
	if dir == "" {
		dir = "."
	}
	absDir, err := w.abs(dir)
	if err != nil {
		return Doc{}, err
	}
	path := filepath.Join(absDir, name+".kumeo")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return Doc{}, fmt.Errorf("new workflow %s: %w", path, ErrExists)
		}
		return Doc{}, fmt.Errorf("new workflow: %w", err)
	}
	_, err = f.WriteString(templateText(name))
	if err2 := f.Sync(); err == nil {
		err = err2
	}
	if err2 := f.Close(); err == nil {
		err = err2
	}
	if err != nil {
		os.Remove(path)
		return Doc{}, fmt.Errorf("new workflow: %w", err)
	}
	return w.Open(path)
}

// templateText is the workflow a new file starts with: one source, one
// validating agent and one target, runnable as it is.
func templateText(name string) string {
	var ident, subject strings.Builder
	upper := true
	for _, r := range name {
		switch {
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			if ident.Len() == 0 && unicode.IsDigit(r) {
				ident.WriteString("W")
			}
			if upper {
				ident.WriteRune(unicode.ToUpper(r))
			} else {
				ident.WriteRune(r)
			}
			subject.WriteRune(unicode.ToLower(r))
			upper = false
		default:
			upper = true
			if s := subject.String(); s != "" && !strings.HasSuffix(s, "_") {
				subject.WriteRune('_')
			}
		}
	}
	id := ident.String()
	subj := strings.TrimSuffix(subject.String(), "_")
	if id == "" {
		id, subj = "Workflow", "workflow"
	}
	return fmt.Sprintf(`// %s: events arrive on %s.in, are checked, and leave on %s.out.
workflow %s {
  source: NATS("%s.in")
  target: NATS("%s.out")

  agents: [
    // events without an id go to the dead-letter subject
    DataProcessor(
      id: "validate",
      config: { required_fields: ["id"] }
    )
  ]
}
`, id, subj, subj, id, subj, subj)
}

// Close closes the document, dropping unsaved edits, and stops watching
// its file.
func (w *Workspace) Close(path string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	d, err := w.doc(path)
	if err != nil {
		return err
	}
	delete(w.docs, d.Path())
	w.unwatchLocked(d.Path())
	return nil
}

// ResolveConflict settles a change on disk reported by EventConflict:
// "mine" keeps the text being edited (the next save replaces the file),
// "theirs" takes the file's content, "merge" takes mergedText. Either way
// the document then knows the file's content, so the same change is not
// reported again and the next save expects to find that content on disk.
func (w *Workspace) ResolveConflict(path, choice, mergedText string) (Doc, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	d, err := w.doc(path)
	if err != nil {
		return Doc{}, err
	}
	if d.theirs == nil {
		return Doc{}, fmt.Errorf("resolve %s: %w", d.Path(), ErrNoConflict)
	}
	switch choice {
	case "mine":
	case "theirs":
		d.Reset(d.theirs)
	case "merge":
		d.Reset([]byte(mergedText))
	default:
		return Doc{}, fmt.Errorf("resolve %s: %w: choice %q, expected mine, theirs or merge", d.Path(), ErrInvalidName, choice)
	}
	d.disk, d.diskStamp, d.theirs = d.theirs, d.theirsStamp, nil
	return d.dto(), nil
}

// source returns what a run needs of an open document; w.mu must not be
// held.
func (w *Workspace) source(path string) (abs string, f *dsl.File, diags dsl.Diagnostics, parseOK bool, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	d, err := w.doc(path)
	if err != nil {
		return "", nil, nil, false, err
	}
	return d.Path(), d.File(), d.Diags(), d.ParseOK(), nil
}

// shutdown stops watching files.
func (w *Workspace) shutdown() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	if w.watch != nil {
		w.watch.close()
		w.watch = nil
	}
}

// dto is the document as the window opens it.
func (d *openFile) dto() Doc {
	layout := maps.Clone(d.layout)
	if layout == nil {
		layout = map[string]Pos{}
	}
	return Doc{
		Path: d.Path(), Name: filepath.Base(d.Path()), Text: string(d.Text()), Version: d.Version(),
		Graph: d.Graph(), Diagnostics: convertDiags(d.Diags(), d.Index()),
		Layout: layout, ParseOK: d.ParseOK(), Dirty: !bytes.Equal(d.Text(), d.disk),
	}
}

// onSaved has fn called with the path of every document saved.
func (w *Workspace) onSaved(fn func(path string)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.afterSave = fn
}
