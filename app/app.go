// Package app holds the thin services the desktop window binds to:
// Workspace (documents: files, typing, canvas edits, layout, watching),
// Runs (running documents on the embedded engine) and Deploy (deploying
// them to a Kubernetes cluster).
//
// Each service converts between UI data (plain JSON-friendly structs whose
// offsets are UTF-16 code units) and the domain packages, and reports changes
// through an injected Emitter so the services run in plain Go tests without a
// window.
package app

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/kumeo/kumeo/dsl/document"
)

// Emitter sends a named event with its payload to the UI. Event names are
// namespaced by service, for example "workspace:opened" or "run:r1:metrics".
type Emitter func(name string, data ...any)

// Discard is an Emitter that drops every event.
func Discard(string, ...any) {}

// Options configure the services of the app. Emit is used by a service
// whose own options leave it nil.
type Options struct {
	Emit      Emitter
	Workspace WorkspaceOptions
	Runs      RunsOptions
	Deploy    DeployOptions
}

// App is the set of bound services. It is not bound itself: its Shutdown is
// for the window's lifecycle, not for the UI.
type App struct {
	Workspace *Workspace
	Runs      *Runs
	Deploy    *Deploy

	quiet atomic.Bool
}

// New returns the services of the app.
func New(opts Options) *App {
	if opts.Workspace.Emit == nil {
		opts.Workspace.Emit = opts.Emit
	}
	if opts.Runs.Emit == nil {
		opts.Runs.Emit = opts.Emit
	}
	if opts.Deploy.Emit == nil {
		opts.Deploy.Emit = opts.Emit
	}
	a := &App{}
	opts.Workspace.Emit = a.gate(opts.Workspace.Emit)
	opts.Runs.Emit = a.gate(opts.Runs.Emit)
	opts.Deploy.Emit = a.gate(opts.Deploy.Emit)
	ws := NewWorkspace(opts.Workspace)
	a.Workspace, a.Runs, a.Deploy = ws, NewRuns(ws, opts.Runs), NewDeploy(ws, opts.Deploy)
	return a
}

// gate returns an Emitter that passes events to emit until Quiet.
func (a *App) gate(emit Emitter) Emitter {
	if emit == nil {
		return nil
	}
	return func(name string, data ...any) {
		if !a.quiet.Load() {
			emit(name, data...)
		}
	}
}

// Quiet stops every event of the services from reaching the window: call
// it before the window goes away (an event sent to a destroyed window is
// an error there). It cannot be undone.
func (a *App) Quiet() {
	a.quiet.Store(true)
}

// Shutdown cancels every deploy job and stops every run, the embedded bus
// and the file watcher. It is
// quiet first: nothing it stops reports to the window, which may be gone.
// Calling it again does nothing more.
func (a *App) Shutdown(ctx context.Context) error {
	a.Quiet()
	derr := a.Deploy.shutdown(ctx)
	err := a.Runs.shutdown(ctx)
	a.Workspace.shutdown()
	return errors.Join(derr, err)
}

// FormatError is how a bound method's error reaches the window (Wails'
// ErrorFormatter): a coded error as JSON the window's api layer decodes
// (see document.WireError), any other as its message.
func FormatError(err error) any { return document.WireError(err) }
