package app

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kumeo/kumeo/internal/atomicfile"
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
// written and synced and before it is renamed over the target (and before
// the check of writeAtomicStamp).
var beforeRename func(tmp, target string)

// writeAtomic replaces name with data so that a reader sees either the old
// content or the new, never a part (see atomicfile.WriteChecked).
func writeAtomic(name string, data []byte) error {
	_, err := writeAtomicStamp(name, data, nil)
	return err
}

// writeAtomicStamp is writeAtomic returning the stamp of the file it wrote,
// taken before the rename, so a write by another program right after the
// rename cannot slip into it. check, when not nil, runs right before the
// rename, once the data is on disk: an error from it leaves name as it is
// and is returned as it is.
func writeAtomicStamp(name string, data []byte, check func() error) (fileStamp, error) {
	info, err := atomicfile.WriteChecked(name, data, func(tmp string) error {
		if beforeRename != nil {
			beforeRename(tmp, name)
		}
		if check != nil {
			return check()
		}
		return nil
	})
	if errors.Is(err, atomicfile.ErrNotFile) {
		return fileStamp{}, fmt.Errorf("write %s: %w", name, ErrNotFile)
	}
	if err != nil {
		return fileStamp{}, err
	}
	return stampOf(info, data), nil
}

// fileStamp identifies one version of a file: the version a document was
// read from, last saved or settled against. Size and modification time say
// what differs; the content's hash decides whether it differs, since a
// write can keep both size and time, and a touch changes the time without
// changing a byte.
type fileStamp struct {
	size    int64
	modTime time.Time
	sum     [sha256.Size]byte
}

func stampOf(info fs.FileInfo, content []byte) fileStamp {
	return fileStamp{size: int64(len(content)), modTime: info.ModTime(), sum: sha256.Sum256(content)}
}

// sameContent tells whether s and t are stamps of the same bytes.
func (s fileStamp) sameContent(t fileStamp) bool { return s.sum == t.sum }

// describe says how s, the file now, differs from was.
func (s fileStamp) describe(was fileStamp) string {
	const at = "2006-01-02 15:04:05.000"
	var out []string
	if s.size != was.size {
		out = append(out, fmt.Sprintf("size %d → %d bytes", was.size, s.size))
	}
	if !s.modTime.Equal(was.modTime) {
		out = append(out, fmt.Sprintf("modified %s → %s", was.modTime.Format(at), s.modTime.Format(at)))
	}
	switch {
	case s.sum == was.sum:
	case len(out) == 0:
		out = append(out, "content differs, though size and modification time are the same")
	default:
		out = append(out, "content differs")
	}
	return strings.Join(out, ", ")
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

// readDoc reads a workflow file and stamps the version read, refusing what
// is not a regular file or is too large.
func readDoc(abs string) ([]byte, fileStamp, error) {
	f, err := os.Open(abs)
	if err != nil {
		return nil, fileStamp{}, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fileStamp{}, err
	}
	if !info.Mode().IsRegular() {
		return nil, fileStamp{}, fmt.Errorf("%s: %w", abs, ErrNotFile)
	}
	if info.Size() > MaxFileSize {
		return nil, fileStamp{}, fmt.Errorf("%s: %w (%d bytes, limit %d)", abs, ErrTooLarge, info.Size(), MaxFileSize)
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fileStamp{}, err
	}
	if len(b) > MaxFileSize {
		return nil, fileStamp{}, fmt.Errorf("%s: %w", abs, ErrTooLarge)
	}
	return b, stampOf(info, b), nil
}
