package app

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// LayoutSuffix is appended to a workflow file's name to name its layout
// sidecar: orders.kumeo keeps its node positions in
// orders.kumeo.layout.json.
const LayoutSuffix = ".layout.json"

// layoutFile is the sidecar's format: node id to position, written with
// sorted keys so it diffs well in git.
type layoutFile struct {
	Version   int            `json:"version"`
	Positions map[string]Pos `json:"positions"`
}

// layoutPath returns the sidecar path of a workflow file.
func layoutPath(path string) string { return path + LayoutSuffix }

// readLayout reads the sidecar of path. A missing or unreadable sidecar is
// an empty layout: positions are a convenience, never a reason to refuse a
// file.
func readLayout(path string) map[string]Pos {
	out := map[string]Pos{}
	b, err := os.ReadFile(layoutPath(path))
	if err != nil {
		return out
	}
	var lf layoutFile
	if json.Unmarshal(b, &lf) != nil {
		return out
	}
	for id, p := range lf.Positions {
		out[id] = p
	}
	return out
}

// writeLayout replaces the sidecar of path atomically.
func writeLayout(path string, positions map[string]Pos) error {
	if positions == nil {
		positions = map[string]Pos{}
	}
	b, err := json.MarshalIndent(layoutFile{Version: 1, Positions: positions}, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(layoutPath(path), append(b, '\n'))
}

// beforeRename, when set (by tests), runs after the temporary file is
// written and synced and before it is renamed over the target.
var beforeRename func(tmp, target string)

// writeAtomic replaces name with data so that a reader sees either the old
// content or the new, never a part: the data goes to a temporary file in the
// same directory, is synced, gets the old file's mode and is renamed over
// name; the directory is synced after the rename.
func writeAtomic(name string, data []byte) (err error) {
	mode := fs.FileMode(0o644)
	if st, err := os.Stat(name); err == nil {
		if !st.Mode().IsRegular() {
			return fmt.Errorf("write %s: %w", name, ErrNotFile)
		}
		mode = st.Mode().Perm()
	}
	dir := filepath.Dir(name)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(name)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err = tmp.Chmod(mode); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if beforeRename != nil {
		beforeRename(tmp.Name(), name)
	}
	if err = os.Rename(tmp.Name(), name); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	syncDir(dir)
	return nil
}

// syncDir makes a rename in dir durable where the platform allows it.
func syncDir(dir string) {
	if runtime.GOOS == "windows" {
		return
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// MaxRecent is how many recently opened files Workspace remembers.
const MaxRecent = 10

// recentList is the list of recently opened files, persisted as a JSON
// array of paths, most recent first.
type recentList struct {
	path string // "" keeps the list in memory only
}

func (r recentList) load() []string {
	var out []string
	if r.path == "" {
		return out
	}
	b, err := os.ReadFile(r.path)
	if err != nil {
		return out
	}
	if json.Unmarshal(b, &out) != nil {
		return nil
	}
	return out
}

// add puts path first, dropping an older entry for it and anything past
// MaxRecent.
func (r recentList) add(list []string, path string) ([]string, error) {
	out := []string{path}
	for _, p := range list {
		if p != path && len(out) < MaxRecent {
			out = append(out, p)
		}
	}
	if r.path == "" {
		return out, nil
	}
	if err := os.MkdirAll(filepath.Dir(r.path), 0o755); err != nil {
		return out, err
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return out, err
	}
	return out, writeAtomic(r.path, append(b, '\n'))
}

// fileKind classifies a directory entry for ListDir.
func fileKind(name string, dir bool) string {
	switch {
	case dir:
		return "dir"
	case strings.HasSuffix(name, ".kumeo"):
		return "kumeo"
	}
	return "file"
}

// readDoc reads a workflow file, refusing what is not a regular file or is
// too large.
func readDoc(abs string) ([]byte, error) {
	info, err := os.Stat(abs)
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %w", abs, ErrNotFile)
	}
	if info.Size() > MaxFileSize {
		return nil, fmt.Errorf("%s: %w (%d bytes, limit %d)", abs, ErrTooLarge, info.Size(), MaxFileSize)
	}
	b, err := os.ReadFile(abs)
	if err != nil {
		return nil, err
	}
	if len(b) > MaxFileSize {
		return nil, fmt.Errorf("%s: %w", abs, ErrTooLarge)
	}
	return b, nil
}
