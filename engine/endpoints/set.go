package endpoints

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/nats-io/nats.go"

	"github.com/kumeo/kumeo/dsl"
	"github.com/kumeo/kumeo/dsl/subject"
)

// Set is every source and target of one workflow, resolved for a run. Its
// HTTP sources share HTTP, one server listening on Options.HTTPListen.
//
// The runtime subscribes to the source subjects before Start (ingress
// adapters publish as soon as they start), and stops in this order:
// StopSources, then drains its agents, then Stop, which stops the targets
// after they have written what they were sent.
type Set struct {
	Workflow string
	Sources  []*Endpoint
	Targets  []*Endpoint
	HTTP     *HTTPServer

	mu      sync.Mutex
	started []*Endpoint // in start order
}

// Resolve resolves every source and target of w. All problems are
// reported together, joined. Besides each endpoint's own checks it refuses
// two HTTP sources on the same path and a target whose subject a source
// consumes (the workflow would feed its own output back in).
func Resolve(w *dsl.Workflow, opts Options) (*Set, error) {
	if w == nil {
		return nil, fmt.Errorf("%w: nil workflow", ErrInvalidEndpoint)
	}
	if opts.HTTP == nil {
		srv, err := NewHTTPServer(opts.HTTPListen, opts.Logger)
		if err != nil {
			return nil, err
		}
		opts.HTTP = srv
	}
	s := &Set{Workflow: w.Name, HTTP: opts.HTTP}
	var errs []error
	paths := map[string]string{}
	for _, d := range w.Sources {
		e, err := Source(w.Name, d, opts)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if h, ok := e.Adapter.(*HTTPSource); ok {
			if other, dup := paths[h.path]; dup {
				errs = append(errs, fmt.Errorf("%w: sources %s and %s: expected one HTTP source per path", ErrConflict, other, e.Name))
				continue
			}
			paths[h.path] = e.Name
		}
		s.Sources = append(s.Sources, e)
	}
	for _, d := range w.Targets {
		e, err := Target(w.Name, d, opts)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, src := range s.Sources {
			for _, subj := range src.Subjects {
				if subject.Matches(subj, e.Subject) {
					errs = append(errs, fmt.Errorf("%w: target %s publishes on %s, which source %s consumes (%s): the workflow would read its own output; expected a subject outside the sources'", ErrConflict, e.Name, e.Subject, src.Name, subj))
				}
			}
		}
		s.Targets = append(s.Targets, e)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return s, nil
}

// Subjects returns the distinct subjects the runtime consumes for the
// sources, in declaration order.
func (s *Set) Subjects() []string {
	seen := map[string]bool{}
	var out []string
	for _, e := range s.Sources {
		for _, subj := range e.Subjects {
			if !seen[subj] {
				seen[subj] = true
				out = append(out, subj)
			}
		}
	}
	return out
}

// Start starts the target adapters (so they are subscribed before any
// event can reach them), then the source adapters, then the HTTP server
// when there is an HTTP source.
// If one fails, those already started are stopped and the error returned.
func (s *Set) Start(ctx context.Context, nc *nats.Conn) error {
	for _, group := range [][]*Endpoint{s.Targets, s.Sources} {
		for _, e := range group {
			if e.Adapter == nil {
				continue
			}
			if err := e.Adapter.Start(ctx, nc); err != nil {
				_ = s.Stop(ctx)
				return fmt.Errorf("%s %s: %w", e.Role, e.Name, err)
			}
			s.mu.Lock()
			s.started = append(s.started, e)
			s.mu.Unlock()
		}
	}
	if len(s.HTTP.Paths()) == 0 {
		return nil // no HTTP source: nothing to listen for
	}
	if err := s.HTTP.Start(); err != nil {
		_ = s.Stop(ctx)
		return err
	}
	return nil
}

// StopSources stops the source adapters: no event enters the workflow
// after it returns.
func (s *Set) StopSources(ctx context.Context) error {
	return s.stop(ctx, dsl.RoleSource)
}

// Stop stops the sources still running, the HTTP server and then the
// targets, which deliver what they were sent before they stop.
func (s *Set) Stop(ctx context.Context) error {
	errs := []error{s.stop(ctx, dsl.RoleSource)}
	errs = append(errs, s.HTTP.Shutdown(ctx))
	errs = append(errs, s.stop(ctx, dsl.RoleTarget))
	return errors.Join(errs...)
}

func (s *Set) stop(ctx context.Context, role dsl.EndpointRole) error {
	s.mu.Lock()
	var stop, keep []*Endpoint
	for _, e := range s.started {
		if e.Role == role {
			stop = append(stop, e)
		} else {
			keep = append(keep, e)
		}
	}
	s.started = keep
	s.mu.Unlock()
	var errs []error
	for _, e := range stop {
		if err := e.Adapter.Stop(ctx); err != nil {
			errs = append(errs, fmt.Errorf("%s %s: %w", e.Role, e.Name, err))
		}
	}
	return errors.Join(errs...)
}

// Done returns a channel closed when every source has run out of input,
// or nil (never closed) when some source is endless (anything but File)
// or there are no sources: `kumeo run` stops when it closes.
func (s *Set) Done() <-chan struct{} {
	var chans []<-chan struct{}
	for _, e := range s.Sources {
		d := e.Done()
		if d == nil {
			return nil
		}
		chans = append(chans, d)
	}
	if len(chans) == 0 {
		return nil
	}
	if len(chans) == 1 {
		return chans[0]
	}
	done := make(chan struct{})
	go func() {
		for _, c := range chans {
			<-c
		}
		close(done)
	}()
	return done
}

// Err returns the first error of a finite source that did not publish its
// whole input (see FileSource.Err).
func (s *Set) Err() error {
	for _, e := range s.Sources {
		if f, ok := e.Adapter.(Finite); ok {
			if err := f.Err(); err != nil {
				return err
			}
		}
	}
	return nil
}
