package image

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// entry is one file or directory of a layer.
type entry struct {
	name     string // absolute, clean path inside the image
	dir      bool
	mode     int64
	uid, gid int
	data     []byte
}

// tree collects the entries of one layer; it adds the parent directories
// of every file (root-owned, 0755) unless given explicitly.
type tree map[string]entry

// addDir adds the directory name with its owner and mode, and its missing
// parent directories.
func (t tree) addDir(name string, mode int64, uid, gid int) error {
	if e, ok := t[name]; ok && !e.dir {
		return fmt.Errorf("%s is both a file and a directory in the image", name)
	}
	if err := t.addParents(name); err != nil {
		return err
	}
	t[name] = entry{name: name, dir: true, mode: mode, uid: uid, gid: gid}
	return nil
}

// addParents adds the missing parent directories of name, root-owned and
// 0755; it fails if one of them is a file.
func (t tree) addParents(name string) error {
	for dir := path.Dir(name); dir != "/"; dir = path.Dir(dir) {
		e, ok := t[dir]
		if ok && !e.dir {
			return fmt.Errorf("%s is both a file and the directory of %s", dir, name)
		}
		if !ok {
			t[dir] = entry{name: dir, dir: true, mode: 0o755}
		}
	}
	return nil
}

// addFile adds a root-owned file, and its missing parent directories.
func (t tree) addFile(name string, mode int64, data []byte) error {
	if e, ok := t[name]; ok && e.dir {
		return fmt.Errorf("%s is both a directory and a file in the image", name)
	}
	if _, ok := t[name]; ok {
		return fmt.Errorf("%s is given twice", name)
	}
	if err := t.addParents(name); err != nil {
		return err
	}
	t[name] = entry{name: name, mode: mode, data: data}
	return nil
}

// tarball returns the layer's uncompressed tar: entries sorted by name,
// every time set to mtime, no user or group names, so the same tree always
// gives the same bytes.
func (t tree) tarball(mtime time.Time) ([]byte, error) {
	names := make([]string, 0, len(t))
	for n := range t {
		names = append(names, n)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, n := range names {
		e := t[n]
		h := &tar.Header{
			Name:    strings.TrimPrefix(n, "/"),
			Mode:    e.mode,
			Uid:     e.uid,
			Gid:     e.gid,
			ModTime: mtime.Truncate(time.Second),
		}
		if e.dir {
			h.Typeflag = tar.TypeDir
			h.Name += "/"
		} else {
			h.Typeflag = tar.TypeReg
			h.Size = int64(len(e.data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, fmt.Errorf("layer entry %s: %w", n, err)
		}
		if _, err := tw.Write(e.data); err != nil {
			return nil, fmt.Errorf("layer entry %s: %w", n, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// layer turns the tree into a gzip-compressed OCI layer.
func (t tree) layer(mtime time.Time) (v1.Layer, error) {
	raw, err := t.tarball(mtime)
	if err != nil {
		return nil, err
	}
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(raw)), nil
	}, tarball.WithMediaType(types.OCILayer), tarball.WithCompressedCaching)
}
