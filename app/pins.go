package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// MaxPins bounds the payloads pinned per workflow file and source.
const MaxPins = 50

// ErrTooManyPins is returned by Pin when a source already has MaxPins.
var ErrTooManyPins = errors.New("too many pinned events")

// Pin is a test event payload kept for a source of a workflow file until it
// is unpinned, across runs and restarts of the app.
type Pin struct {
	Payload string `json:"payload"`
	TS      int64  `json:"ts"` // when it was pinned, milliseconds since the Unix epoch
}

// pinsFile is the format of pins.json: workflow file (absolute path) to
// source address to pins, most recently pinned first.
type pinsFile struct {
	Version int                         `json:"version"`
	Pins    map[string]map[string][]Pin `json:"pins"`
}

// pinStore keeps the pinned payloads in memory and, when path is set, in a
// JSON file replaced atomically on every change.
type pinStore struct {
	path string

	mu     sync.Mutex
	loaded bool
	pins   map[string]map[string][]Pin
}

// load reads the file the first time; a missing or unreadable file is an
// empty store (pins are a convenience, never a reason to fail).
func (s *pinStore) loadLocked() {
	if s.loaded {
		return
	}
	s.loaded = true
	s.pins = map[string]map[string][]Pin{}
	if s.path == "" {
		return
	}
	b, err := os.ReadFile(s.path)
	if err != nil {
		return
	}
	var f pinsFile
	if json.Unmarshal(b, &f) == nil && f.Pins != nil {
		s.pins = f.Pins
	}
}

func (s *pinStore) saveLocked() error {
	if s.path == "" {
		return nil
	}
	b, err := json.MarshalIndent(pinsFile{Version: 1, Pins: s.pins}, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o755); err != nil {
		return fmt.Errorf("pins: %w", err)
	}
	return writeAtomic(s.path, append(b, '\n'))
}

func (s *pinStore) list(file, source string) []Pin {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loadLocked()
	return append([]Pin{}, s.pins[file][source]...)
}

// pin puts payload first among the source's pins (once).
func (s *pinStore) pin(file, source, payload string) ([]Pin, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loadLocked()
	old := s.pins[file][source]
	next := []Pin{{Payload: payload, TS: time.Now().UnixMilli()}}
	for _, p := range old {
		if p.Payload != payload {
			next = append(next, p)
		}
	}
	if len(next) > MaxPins {
		return append([]Pin{}, old...), fmt.Errorf("pin: %w: %d per source; unpin one first", ErrTooManyPins, MaxPins)
	}
	return s.setLocked(file, source, old, next)
}

// unpin removes payload from the source's pins; unpinning what is not
// pinned does nothing.
func (s *pinStore) unpin(file, source, payload string) ([]Pin, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loadLocked()
	old := s.pins[file][source]
	next := []Pin{}
	for _, p := range old {
		if p.Payload != payload {
			next = append(next, p)
		}
	}
	if len(next) == len(old) {
		return append([]Pin{}, old...), nil
	}
	return s.setLocked(file, source, old, next)
}

// setLocked stores next and writes the file; when the write fails the
// pins stay as they were.
func (s *pinStore) setLocked(file, source string, old, next []Pin) ([]Pin, error) {
	s.putLocked(file, source, next)
	if err := s.saveLocked(); err != nil {
		s.putLocked(file, source, old)
		return append([]Pin{}, old...), err
	}
	return append([]Pin{}, next...), nil
}

// putLocked sets a source's pins, leaving no empty entry behind.
func (s *pinStore) putLocked(file, source string, list []Pin) {
	if len(list) == 0 {
		delete(s.pins[file], source)
		if len(s.pins[file]) == 0 {
			delete(s.pins, file)
		}
		return
	}
	if s.pins[file] == nil {
		s.pins[file] = map[string][]Pin{}
	}
	s.pins[file][source] = list
}

// Pins returns the payloads pinned for a source (its address as written in
// the workflow) of the workflow file at path, most recently pinned first.
// The file need not be open.
func (w *Workspace) Pins(path, source string) ([]Pin, error) {
	abs, err := w.abs(path)
	if err != nil {
		return nil, err
	}
	return w.pins.list(abs, source), nil
}

// Pin keeps a test event payload for a source of the workflow file at
// path, first in its pins, until Unpin; pinning it again moves it first.
// The payload must be JSON. It returns the source's pins.
func (w *Workspace) Pin(path, source, payload string) ([]Pin, error) {
	abs, err := w.abs(path)
	if err != nil {
		return nil, err
	}
	if !json.Valid([]byte(payload)) {
		return nil, fmt.Errorf("pin: %w: the payload is not valid JSON", ErrInvalidEvent)
	}
	return w.pins.pin(abs, source, payload)
}

// Unpin forgets a pinned payload and returns the source's pins.
func (w *Workspace) Unpin(path, source, payload string) ([]Pin, error) {
	abs, err := w.abs(path)
	if err != nil {
		return nil, err
	}
	return w.pins.unpin(abs, source, payload)
}
