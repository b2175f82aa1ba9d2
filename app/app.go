// Package app holds the thin services the desktop window binds to.
//
// Each service converts between UI data (plain JSON-friendly structs) and the
// domain packages, and reports changes through an injected Emitter so the
// services run in plain Go tests without a window.
package app

// Emitter sends a named event with its payload to the UI. Event names are
// namespaced by service, for example "workspace:opened".
type Emitter func(name string, data ...any)

// Discard is an Emitter that drops every event.
func Discard(string, ...any) {}
