package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/kumeo/kumeo/dsl"
	"github.com/kumeo/kumeo/engine/flow"
)

// ReloadResult says what a reload changed.
type ReloadResult struct {
	Kept    []string `json:"kept"`    // agents that kept running untouched
	Changed []string `json:"changed"` // agents rebuilt from a changed definition
	Added   []string `json:"added"`
	Removed []string `json:"removed"`
}

// Reload applies an edited workflow to the running run. Agents whose
// definition did not change keep their running instance (and state);
// changed agents are rebuilt, carrying the running statistics of stateful
// types over; events already queued on subscriptions that stay are handled
// by the new graph, and subscriptions that go are drained first. When the
// new text cannot run, the old graph keeps running and the error says why
// (its diagnostics, as Start returns them). Skipped says what the new graph
// goes without.
func (r *Run) Reload(ctx context.Context, f *dsl.File, workflow string) (*ReloadResult, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped.Load() {
		return nil, ErrStopped
	}
	plan, diags := Compile(f, workflow, r.planOptions())
	if plan == nil {
		return nil, planFailure(diags)
	}
	prev := r.g.Load()
	if plan.Name != prev.plan.Name {
		return nil, fmt.Errorf("%w: the run executes workflow %q; %q is another workflow", ErrPlan, prev.plan.Name, plan.Name)
	}
	res, retired := r.reconcile(plan, prev)
	g, err := r.build(plan, prev)
	if err != nil {
		return nil, err
	}
	if err := r.startAdapters(ctx, g, prev, dsl.RoleTarget); err != nil {
		return nil, err
	}
	if err := r.syncOutputs(ctx, plan); err != nil {
		return res, err
	}
	r.g.Store(g)
	r.skipped.Store(&diags)
	if err := r.inputs.sync(ctx, g); err != nil {
		return res, err
	}
	if err := r.startAdapters(ctx, g, prev, dsl.RoleSource); err != nil {
		return res, err
	}
	if err := r.serveHTTP(g); err != nil {
		return res, err
	}
	if err := r.stopAdapters(ctx, prev, g, true); err != nil {
		r.log.Warn("stopping removed sources", "err", err)
	}
	if err := r.stopAdapters(ctx, prev, g, false); err != nil {
		r.log.Warn("stopping removed targets", "err", err)
	}
	r.retireLater(retired)
	return res, nil
}

func closeAgent(a flow.Agent) {
	if c, ok := a.(flow.Closer); ok {
		c.Close()
	}
}

// reconcile carries the running instances of unchanged agents over to
// plan and the state of stateful ones to their rebuilt instances, and
// unregisters removed agents. It returns what changed and the instances
// plan no longer uses.
func (r *Run) reconcile(plan *Plan, prev *graph) (*ReloadResult, []flow.Agent) {
	res := &ReloadResult{}
	seen := map[string]bool{}
	for _, ap := range plan.Agents {
		seen[ap.ID] = true
		old := prev.nodes[ap.ID]
		switch {
		case old == nil:
			res.Added = append(res.Added, ap.ID)
		case old.ap.Signature == ap.Signature:
			closeAgent(ap.Agent)
			ap.Agent = old.ap.Agent
			res.Kept = append(res.Kept, ap.ID)
		default:
			if st, ok := old.ap.Agent.(flow.Stateful); ok && old.ap.Type == ap.Type {
				if nst, ok := ap.Agent.(flow.Stateful); ok {
					nst.Restore(st.State())
				}
			}
			res.Changed = append(res.Changed, ap.ID)
		}
	}
	var retired []flow.Agent
	for _, n := range prev.order {
		if !seen[n.ap.ID] {
			res.Removed = append(res.Removed, n.ap.ID)
			r.pub.Unregister(n.m)
			delete(r.metrics, n.ap.ID)
			retired = append(retired, n.ap.Agent)
		} else if nn := plan.Agents; nn != nil {
			for _, ap := range nn {
				if ap.ID == n.ap.ID && ap.Agent != n.ap.Agent {
					retired = append(retired, n.ap.Agent)
				}
			}
		}
	}
	return res, retired
}

// retireLater closes agent instances a reload replaced. Events still
// running on the previous graph may use them: they are closed once the run
// has been idle or after a grace period.
func (r *Run) retireLater(retired []flow.Agent) {
	if len(retired) == 0 {
		return
	}
	go func() {
		deadline := time.Now().Add(10 * time.Second)
		for !r.Idle() && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		for _, a := range retired {
			closeAgent(a)
		}
	}()
}
