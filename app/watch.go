package app

import (
	"path/filepath"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// watcher follows the directories of the open documents. It watches
// directories rather than files so a file replaced by an editor's atomic
// rename (a new inode) is still followed.
type watcher struct {
	fsw  *fsnotify.Watcher
	dirs map[string]int // directory -> open documents in it

	mu     sync.Mutex
	timers map[string]*time.Timer
	done   chan struct{}
}

// watchLocked starts following path's directory; w.mu must be held.
func (w *Workspace) watchLocked(path string) error {
	if w.closed {
		return nil
	}
	if w.watch == nil {
		fsw, err := fsnotify.NewWatcher()
		if err != nil {
			return err
		}
		w.watch = &watcher{fsw: fsw, dirs: map[string]int{}, timers: map[string]*time.Timer{}, done: make(chan struct{})}
		go w.watchLoop(w.watch)
	}
	dir := filepath.Dir(path)
	if w.watch.dirs[dir] == 0 {
		if err := w.watch.fsw.Add(dir); err != nil {
			return err
		}
	}
	w.watch.dirs[dir]++
	return nil
}

// unwatchLocked stops following path's directory when no open document
// is left in it; w.mu must be held.
func (w *Workspace) unwatchLocked(path string) {
	if w.watch == nil {
		return
	}
	dir := filepath.Dir(path)
	if _, ok := w.watch.dirs[dir]; !ok {
		return // never watched: the watch failed when it was opened
	}
	if w.watch.dirs[dir]--; w.watch.dirs[dir] <= 0 {
		delete(w.watch.dirs, dir)
		_ = w.watch.fsw.Remove(dir)
	}
}

// watchLoop turns file events into checks of the documents they concern.
// Events of one file are settled first: the file is read once no event for
// it came for Settle.
func (w *Workspace) watchLoop(wt *watcher) {
	for {
		select {
		case ev, ok := <-wt.fsw.Events:
			if !ok {
				return
			}
			if ev.Op == fsnotify.Chmod {
				continue
			}
			path := filepath.Clean(ev.Name)
			w.mu.Lock()
			open := w.docs[path] != nil
			w.mu.Unlock()
			if !open {
				continue
			}
			wt.mu.Lock()
			if t := wt.timers[path]; t != nil {
				t.Reset(w.opts.Settle)
			} else {
				wt.timers[path] = time.AfterFunc(w.opts.Settle, func() {
					wt.mu.Lock()
					delete(wt.timers, path)
					wt.mu.Unlock()
					select {
					case <-wt.done:
					default:
						w.checkDisk(path)
					}
				})
			}
			wt.mu.Unlock()
		case _, ok := <-wt.fsw.Errors:
			if !ok {
				return
			}
		}
	}
}

func (wt *watcher) close() {
	close(wt.done)
	wt.fsw.Close()
	wt.mu.Lock()
	for _, t := range wt.timers {
		t.Stop()
	}
	wt.mu.Unlock()
}

// checked, when set (by tests), is called after each check of a file.
var checked func(path string)

// checkDisk compares a document's file with what the document knows of it.
// The file is read under the lock that saves take, so a save of our own is
// never mistaken for a change from outside. A missing file (deleted, or
// between the steps of a rename) is not a change: the next event tells.
func (w *Workspace) checkDisk(path string) {
	if checked != nil {
		defer checked(path)
	}
	w.mu.Lock()
	d := w.docs[path]
	if d == nil {
		w.mu.Unlock()
		return
	}
	src, stamp, err := readDoc(path)
	if err != nil || stamp.sameContent(d.diskStamp) || d.theirs != nil && stamp.sameContent(d.theirsStamp) {
		w.mu.Unlock()
		return
	}
	ev := d.takeDiskChange(src, stamp)
	w.mu.Unlock()
	w.emit(ev.name, ev.payload)
}
