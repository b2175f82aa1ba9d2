package deploy

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/kumeo/kumeo/dsl"
)

// MaxConfigMapBytes is the most a ConfigMap may hold: its keys and values
// together, as the API server counts them.
const MaxConfigMapBytes = 1 << 20

// Errors of the files a workflow references.
var (
	ErrFileMissing = errors.New("referenced file cannot be read")
	ErrFileTooBig  = errors.New("referenced files do not fit in the workflow ConfigMap")
	ErrFilePath    = errors.New("referenced file is outside the workflow's directory")
)

// FileRef is a file the workflow references by a relative path: a model,
// a BIF network, a rules or schema file, a WebAssembly module, a File
// source. It ships in the workflow ConfigMap so the path resolves in the
// pod as it does next to the workflow file.
type FileRef struct {
	// Path is the path as written, cleaned, with '/' separators.
	Path string
	// Agent is the id of the agent that references it; "" for the
	// workflow's models, schemas, data, contexts and sources.
	Agent string
	// At is where the reference is written.
	At dsl.Range
}

// ReferencedFiles returns the files workflow (empty: the first) of f
// references by relative path, sorted by path; a path referenced twice is
// listed once, workflow-level first. Absolute paths are not listed: they
// must exist in the runtime image. Paths with ${...} are not listed.
func ReferencedFiles(f *dsl.File, workflow string) ([]FileRef, error) {
	w := f.Workflow(workflow)
	if w == nil {
		return nil, errNoWorkflow(f, workflow)
	}
	c := &fileCollector{f: f, seen: map[string]int{}}
	c.workflowFiles(w)
	for _, a := range w.AllAgents() {
		c.agentFiles(a)
	}
	if c.err != nil {
		return nil, c.err
	}
	sort.SliceStable(c.refs, func(i, j int) bool { return c.refs[i].Path < c.refs[j].Path })
	return c.refs, nil
}

type fileCollector struct {
	f    *dsl.File
	refs []FileRef
	seen map[string]int // path -> index in refs
	err  error
}

// add records the string node n as a file referenced by agent.
func (c *fileCollector) add(n dsl.Node, agent string) {
	s, ok := n.(*dsl.String)
	if !ok || c.err != nil {
		return
	}
	p := s.Text()
	if p == "" || strings.Contains(p, "${") || filepath.IsAbs(p) || strings.HasPrefix(p, "/") {
		return
	}
	clean := path.Clean(filepath.ToSlash(p))
	if clean == ".." || strings.HasPrefix(clean, "../") {
		c.err = errAt(c.f, s.Range, ErrFilePath, "%q; expected a path inside the workflow's directory, which ships in the workflow ConfigMap, or an absolute path that exists in the runtime image", p)
		return
	}
	if i, ok := c.seen[clean]; ok {
		if c.refs[i].Agent != agent {
			c.refs[i].Agent = "" // shared: every agent depends on it
		}
		return
	}
	c.seen[clean] = len(c.refs)
	c.refs = append(c.refs, FileRef{Path: clean, Agent: agent, At: s.Range})
}

// workflowFiles collects the workflow's models, schemas, data files,
// BayesianNetwork contexts and File sources.
func (c *fileCollector) workflowFiles(w *dsl.Workflow) {
	if w.Models != nil {
		for _, p := range w.Models.Props {
			if o, ok := p.Value.(*dsl.Object); ok {
				c.add(o.Value("file"), "")
			}
		}
	}
	if w.Schemas != nil {
		for _, p := range w.Schemas.Props {
			c.add(p.Value, "")
		}
	}
	if w.Data != nil {
		for _, p := range w.Data.Props {
			if s, ok := p.Value.(*dsl.String); ok && fileExists(c.f, s.Text()) {
				c.add(s, "")
			}
		}
	}
	for _, e := range w.Contexts {
		if e.Type == dsl.TypeBayesianNetwork && e.Call != nil {
			c.add(e.Call.Positional(0), "")
		}
	}
	for _, e := range w.Sources {
		if e.Type == dsl.TypeFile && e.Call != nil {
			c.add(e.Call.Positional(0), "")
		}
	}
}

// agentFiles collects the files an agent's arguments (or the same keys of
// its config object) name.
func (c *fileCollector) agentFiles(a *dsl.Agent) {
	if a.Call == nil {
		return
	}
	arg := func(key string) dsl.Node {
		if v := a.Call.Value(key); v != nil {
			return v
		}
		if cfg, ok := a.Call.Value("config").(*dsl.Object); ok {
			return cfg.Value(key)
		}
		return nil
	}
	notRef := func(n dsl.Node, prefix string) dsl.Node {
		if s, ok := n.(*dsl.String); ok && strings.HasPrefix(s.Text(), prefix) {
			return nil
		}
		return n
	}
	switch a.Type {
	case dsl.TypeDataProcessor:
		c.add(notRef(arg("schema"), "schemas."), a.ID)
		c.add(arg("rules"), a.ID)
	case dsl.TypeDecisionMatrix:
		c.add(arg("matrix"), a.ID)
	case dsl.TypeRuleEngine:
		c.add(arg("rules"), a.ID)
	case dsl.TypeBayesianNetwork:
		if n := a.Call.Positional(0); n != nil {
			c.add(n, a.ID)
		}
		c.add(arg("network"), a.ID)
	case dsl.TypeMLModel:
		m := arg("model")
		if o, ok := m.(*dsl.Object); ok {
			m = o.Value("file")
		}
		c.add(notRef(m, "models."), a.ID)
	case dsl.TypeCustom:
		c.add(arg("module"), a.ID)
	}
	if a.Type == dsl.TypeLLM {
		c.add(notRef(arg("output_schema"), "schemas."), a.ID)
	}
}

// fileDir is the directory relative paths of f resolve against.
func fileDir(f *dsl.File) string {
	if f.Filename == "" {
		return "."
	}
	return filepath.Dir(f.Filename)
}

func fileExists(f *dsl.File, p string) bool {
	if p == "" || strings.Contains(p, "${") || filepath.IsAbs(p) {
		return false
	}
	st, err := os.Stat(filepath.Join(fileDir(f), filepath.FromSlash(p)))
	return err == nil && st.Mode().IsRegular()
}

// shippedFile is a referenced file read for the ConfigMap.
type shippedFile struct {
	FileRef
	key  string // ConfigMap key
	data []byte
}

// readFiles reads the referenced files of the render and checks that
// they fit in the ConfigMap along with the workflow text.
func (r *renderer) readFiles() ([]shippedFile, error) {
	refs, err := ReferencedFiles(r.f, r.w.Name)
	if err != nil {
		return nil, err
	}
	read := r.opts.ReadFile
	if read == nil {
		read = os.ReadFile
	}
	keys := map[string]bool{fileBase(r.f): true}
	total := len(fileBase(r.f)) + len(r.f.Src)
	var out []shippedFile
	for _, ref := range refs {
		name := filepath.Join(fileDir(r.f), filepath.FromSlash(ref.Path))
		data, err := read(name)
		if err != nil {
			return nil, errAt(r.f, ref.At, ErrFileMissing, "%s: %v; expected the file next to the workflow (it ships in the workflow ConfigMap)", ref.Path, err)
		}
		key := configMapKey(ref.Path, keys)
		total += len(key) + len(data)
		if total > MaxConfigMapBytes {
			return nil, errAt(r.f, ref.At, ErrFileTooBig, "%s (%d bytes) brings the ConfigMap %s to %d bytes; the limit is %d bytes (1 MiB) for the workflow and every file it references: put large files such as models in the runtime image and reference them by absolute path",
				ref.Path, len(data), r.configMapName(), total, MaxConfigMapBytes)
		}
		out = append(out, shippedFile{FileRef: ref, key: key, data: data})
	}
	return out, nil
}

// configMapKey turns a relative path into a ConfigMap key (letters,
// digits, '-', '_', '.'), unique among keys.
func configMapKey(p string, keys map[string]bool) string {
	var b strings.Builder
	for _, r := range strings.ReplaceAll(p, "/", "__") {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	key := b.String()
	for i := 2; keys[key]; i++ {
		key = fmt.Sprintf("%s-%d", b.String(), i)
	}
	keys[key] = true
	return key
}

// isText reports whether data can go in a ConfigMap's data (UTF-8)
// rather than its binaryData.
func isText(data []byte) bool { return utf8.Valid(data) }
