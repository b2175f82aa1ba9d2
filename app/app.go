// Package app holds the thin services the desktop window binds to:
// Workspace (documents: files, typing, canvas edits, layout, watching) and
// Runs (running documents on the embedded engine).
//
// Each service converts between UI data (plain JSON-friendly structs whose
// offsets are UTF-16 code units) and the domain packages, and reports changes
// through an injected Emitter so the services run in plain Go tests without a
// window.
package app

import (
	"context"
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
}

// App is the set of bound services. It is not bound itself: its Shutdown is
// for the window's lifecycle, not for the UI.
type App struct {
	Workspace *Workspace
	Runs      *Runs
}

// New returns the services of the app.
func New(opts Options) *App {
	if opts.Workspace.Emit == nil {
		opts.Workspace.Emit = opts.Emit
	}
	if opts.Runs.Emit == nil {
		opts.Runs.Emit = opts.Emit
	}
	ws := NewWorkspace(opts.Workspace)
	return &App{Workspace: ws, Runs: NewRuns(ws, opts.Runs)}
}

// Shutdown stops every run, the embedded bus and the file watcher.
func (a *App) Shutdown(ctx context.Context) error {
	err := a.Runs.shutdown(ctx)
	a.Workspace.shutdown()
	return err
}
