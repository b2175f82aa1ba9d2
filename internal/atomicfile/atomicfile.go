// Package atomicfile replaces files so that a reader sees either the old
// content or the new, never a part, and a crash right after leaves the new
// content on disk.
package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// ErrNotFile is returned for a name that is a directory or another
// non-regular file.
var ErrNotFile = errors.New("not a regular file")

// Write replaces name with data (see WriteChecked).
func Write(name string, data []byte) error {
	_, err := WriteChecked(name, data, nil)
	return err
}

// WriteChecked replaces name with data: the data goes to a temporary file
// in the same directory, which is synced, gets the old file's mode and is
// renamed over name; the directory is synced after the rename. check, when
// not nil, runs right before the rename with the temporary file's name,
// once the data is on disk: an error from it leaves name as it is and is
// returned as it is. The result describes the file written, taken before
// the rename (which keeps size and time), so a write by another program
// right after the rename cannot slip into it.
func WriteChecked(name string, data []byte, check func(tmp string) error) (info fs.FileInfo, err error) {
	mode := fs.FileMode(0o644)
	if st, err := os.Stat(name); err == nil {
		if !st.Mode().IsRegular() {
			return nil, fmt.Errorf("write %s: %w", name, ErrNotFile)
		}
		mode = st.Mode().Perm()
	}
	dir := filepath.Dir(name)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(name)+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", name, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if info, err = writeSynced(tmp, data, mode); err != nil {
		return nil, fmt.Errorf("write %s: %w", name, err)
	}
	if check != nil {
		if err = check(tmp.Name()); err != nil {
			return nil, err
		}
	}
	if err = os.Rename(tmp.Name(), name); err != nil {
		return nil, fmt.Errorf("write %s: %w", name, err)
	}
	syncDir(dir)
	return info, nil
}

// writeSynced writes data to f, gives it mode, syncs and closes it.
func writeSynced(f *os.File, data []byte, mode fs.FileMode) (fs.FileInfo, error) {
	if _, err := f.Write(data); err != nil {
		return nil, err
	}
	if err := f.Chmod(mode); err != nil {
		return nil, err
	}
	if err := f.Sync(); err != nil {
		return nil, err
	}
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	return info, f.Close()
}

// syncDir has a directory's entries written to disk, so a rename in it
// survives a crash. Windows has no such call; its renames are journaled.
func syncDir(dir string) {
	if runtime.GOOS == "windows" {
		return
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
