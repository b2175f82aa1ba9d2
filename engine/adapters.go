package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/kumeo/kumeo/dsl"
	"github.com/kumeo/kumeo/engine/endpoints"
)

// adapterKey identifies an endpoint across reloads.
func adapterKey(e *endpoints.Endpoint) string {
	return string(e.Role) + "|" + e.Name + "|" + e.Subject
}

// startAdapters starts the adapters of g's endpoints that are not running
// yet: targets first (so nothing is published before they listen), then
// sources. Adapters kept from the previous graph are reused.
func (r *Run) startAdapters(ctx context.Context, g, prev *graph, role dsl.EndpointRole) error {
	if r.opts.Endpoints == EndpointsElsewhere {
		return nil
	}
	running := map[string]*endpoints.Endpoint{}
	if prev != nil {
		for _, e := range append(append([]*endpoints.Endpoint{}, prev.plan.Targets...), prev.plan.Sources...) {
			if e.Adapter != nil {
				running[adapterKey(e)] = e
			}
		}
	}
	start := func(list []*endpoints.Endpoint) error {
		for i, e := range list {
			if e.Adapter == nil {
				continue
			}
			if old, ok := running[adapterKey(e)]; ok {
				list[i] = old // keep the running adapter (its listener, file offset)
				continue
			}
			if err := e.Adapter.Start(ctx, r.nc); err != nil {
				return fmt.Errorf("engine: start %s: %w", e.Name, err)
			}
			if e.Role == dsl.RoleSource {
				r.watchSource(e)
			}
		}
		return nil
	}
	if role == dsl.RoleSource {
		return start(g.plan.Sources)
	}
	return start(g.plan.Targets)
}

// stopAdapters stops the adapters of prev that g no longer has (all of
// them when g is nil), sources first.
func (r *Run) stopAdapters(ctx context.Context, prev, g *graph, sources bool) error {
	if prev == nil || r.opts.Endpoints == EndpointsElsewhere {
		return nil
	}
	keep := map[string]bool{}
	if g != nil {
		for _, e := range append(append([]*endpoints.Endpoint{}, g.plan.Targets...), g.plan.Sources...) {
			keep[adapterKey(e)] = true
		}
	}
	list := prev.plan.Targets
	if sources {
		list = prev.plan.Sources
	}
	var errs []error
	for _, e := range list {
		if e.Adapter != nil && !keep[adapterKey(e)] {
			errs = append(errs, e.Adapter.Stop(ctx))
		}
	}
	return errors.Join(errs...)
}

// Done is closed when every finite source (File) has published all its
// events; nil when the workflow has no finite source.
func (r *Run) Done() <-chan struct{} {
	var chans []<-chan struct{}
	for _, s := range r.g.Load().plan.Sources {
		if f, ok := s.Adapter.(endpoints.Finite); ok {
			chans = append(chans, f.Done())
		}
	}
	if len(chans) == 0 {
		return nil
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

// Endpoint returns the source or target endpoint whose declaration has the
// given address (subject, path, file), or nil.
func (r *Run) Endpoint(address string) *endpoints.Endpoint {
	p := r.g.Load().plan
	for _, e := range append(append([]*endpoints.Endpoint{}, p.Sources...), p.Targets...) {
		if e.Decl != nil && e.Decl.Address == address || e.Subject == address {
			return e
		}
	}
	return nil
}
