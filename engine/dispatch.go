package engine

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/kumeo/kumeo/engine/flow"
	"github.com/kumeo/kumeo/engine/metrics"
	"github.com/kumeo/kumeo/engine/trace"
)

// The hot path: an event entering the run goes through its agents in
// memory, with their conditions, timeouts, retries and failure policies.

// outcome flags of handling one event along all its branches.
const (
	fDelivered uint8 = 1 << iota
	fFiltered
	fDead
)

// enter handles an event arriving on a subject: a source event (channel
// "source") or an event of an internal channel. It returns when every
// local branch has finished.
func (r *Run) enter(g *graph, ch string, targets []*node, msg *nats.Msg, countRun bool) {
	r.inflight.Add(1)
	defer r.inflight.Done()
	if countRun {
		r.ledger.in.Add(1)
	}
	span, _ := trace.FromMsg(msg, ch)
	data, err := decodeObject(msg.Data)
	var flags uint8
	if err != nil {
		who := ch
		if len(targets) == 1 {
			who = targets[0].ap.ID
			targets[0].m.Received()
			targets[0].m.Failed()
			targets[0].m.DeadLettered()
		}
		r.deadLetter(g, who, "", msg.Data, span, fmt.Errorf("malformed event: %v", err))
		flags = fDead
	} else {
		ev := &flow.Event{Data: data, Raw: msg.Data, ID: span.EventID, TraceID: span.TraceID, Subject: msg.Subject}
		now := metrics.Now()
		sampled := r.sampler.take(now)
		flags = r.dispatch(g, targets, ev, span, sampled, now)
	}
	if countRun {
		r.finish(flags)
	}
}

func (r *Run) finish(flags uint8) {
	switch {
	case flags&fDead != 0:
		r.ledger.dead.Add(1)
	case flags&fDelivered != 0:
		r.ledger.out.Add(1)
	default:
		r.ledger.filtered.Add(1)
	}
}

// dispatch hands an event to several consumers, copying it for all but
// the last so branches cannot see each other's changes. now is a recent
// reading of metrics.Now, passed along the chain of agents so the clock is
// read once per agent call.
func (r *Run) dispatch(g *graph, to []*node, ev *flow.Event, span trace.Span, sampled bool, now int64) uint8 {
	var flags uint8
	for i, n := range to {
		e := ev
		if i < len(to)-1 {
			e = cloneEvent(ev)
		}
		if i > 0 {
			now = metrics.Now()
		}
		flags |= r.handle(g, n, e, span, sampled, now)
	}
	return flags
}

// handle runs one agent on one event, which reached it at start (a
// reading of metrics.Now), and forwards the result.
func (r *Run) handle(g *graph, n *node, ev *flow.Event, span trace.Span, sampled bool, start int64) uint8 {
	ap := n.ap
	n.m.Received()
	if sampled {
		r.observe(ap.ID, trace.In, span, ev.Data, nil)
	}
	in := ev
	if ap.Field != "" {
		sub, err := selectField(ev.Data, ap.Field)
		if err != nil {
			n.m.Failed()
			n.m.Latency.RecordSince(start)
			return r.failed(g, n, ev, span, sampled, flow.Permanent(err))
		}
		in = &flow.Event{Data: sub, Raw: ev.Raw, ID: ev.ID, TraceID: ev.TraceID, Subject: ev.Subject}
	}
	out, err := r.execute(n, in)
	now := n.m.Latency.RecordSince(start)
	if err != nil {
		return r.failed(g, n, ev, span, sampled, err)
	}
	// Sampled events get a span per hop for the inspector; the others keep
	// their trace id and get a new event id only where they leave the
	// process.
	child := span
	if sampled {
		child = span.Child(ap.ID)
	}
	switch out.Action {
	case flow.Filter:
		n.m.Filtered()
		if sampled {
			r.observe(ap.ID, trace.Out, child, nil, errors.New("filtered: "+out.Reason))
		}
		return fFiltered
	case flow.Route:
		n.m.Emitted()
		if sampled {
			r.observe(ap.ID, trace.Out, child, in.Data, nil)
		}
		if out.Route < 0 || out.Route >= len(ap.Routes) {
			return fFiltered
		}
		return r.deliver(g, ap.Routes[out.Route], in, child, sampled, now)
	}
	n.m.Emitted()
	if sampled {
		r.observe(ap.ID, trace.Out, child, in.Data, nil)
	}
	return r.emit(g, n, in, child, sampled, now)
}

// emit sends an agent's output to its consumers or sinks.
func (r *Run) emit(g *graph, n *node, ev *flow.Event, span trace.Span, sampled bool, now int64) uint8 {
	if n.out.consumed {
		return r.forward(g, n.out, ev, span, sampled, now)
	}
	var flags uint8
	for i, d := range n.ap.Sink {
		e := ev
		if i < len(n.ap.Sink)-1 && d.Target == nil {
			e = cloneEvent(ev)
		}
		flags |= r.deliver(g, d, e, span, sampled, now)
	}
	if len(n.ap.Sink) == 0 {
		flags |= fDelivered
	}
	return flags
}

func (r *Run) deliver(g *graph, d Destination, ev *flow.Event, span trace.Span, sampled bool, now int64) uint8 {
	if d.Target != nil {
		if err := r.publish(d.Target.Subject, ev, span); err != nil {
			r.log.Error("publish to target failed", "subject", d.Target.Subject, "err", err)
			r.deadLetter(g, "target", "", ev.Raw, span, err)
			return fDead
		}
		return fDelivered
	}
	return r.forward(g, g.outlet(d.Channel), ev, span, sampled, now)
}

// forward passes an event on a channel to its local consumers in memory and
// publishes it once for consumers running elsewhere.
func (r *Run) forward(g *graph, o *outlet, ev *flow.Event, span trace.Span, sampled bool, now int64) uint8 {
	local := o.local
	var flags uint8
	if o.publish {
		e := ev
		if len(local) > 0 {
			e = cloneEvent(ev)
		}
		if err := r.publish(o.subject, e, span); err != nil {
			r.deadLetter(g, o.ch, "", ev.Raw, span, err)
			return fDead
		}
		flags |= fDelivered
		if len(local) > 0 {
			now = metrics.Now() // the local consumers get it after the publish
		}
	}
	if len(local) > 0 {
		flags |= r.dispatch(g, local, ev, span, sampled, now)
	}
	return flags
}

// execute runs the agent with its when condition, timeout, retries and
// panic recovery.
func (r *Run) execute(n *node, ev *flow.Event) (flow.Outcome, error) {
	ap := n.ap
	if ap.When != nil {
		ok, err := ap.When.Bool(ev.Data)
		if err != nil {
			n.m.Failed()
			return flow.Outcome{}, flow.Permanent(err)
		}
		if !ok {
			return flow.Outcome{Action: flow.Emit}, nil // passes through unchanged
		}
	}
	policy := ap.Retry
	if ap.Failure.Retry.Attempts > policy.Attempts {
		policy = ap.Failure.Retry
	}
	attempts := 1 + policy.Attempts
	for attempt := 1; ; attempt++ {
		out, err := r.call(ap, ev)
		if err == nil {
			return out, nil
		}
		n.m.Failed()
		if flow.IsPermanent(err) || attempt >= attempts || r.stopped.Load() {
			return out, err
		}
		n.m.Retried()
		if d := policy.Delay(attempt, rand.Float64); d > 0 {
			select {
			case <-time.After(d):
			case <-r.ctx.Done():
				return out, err
			}
		}
	}
}

// call runs the agent once, enforcing the timeout and turning a panic into
// an error.
func (r *Run) call(ap *AgentPlan, ev *flow.Event) (out flow.Outcome, err error) {
	if ap.Timeout <= 0 {
		return safeProcess(r.ctx, ap, ev)
	}
	ctx, cancel := context.WithTimeout(r.ctx, ap.Timeout)
	defer cancel()
	// The agent works on a copy so an attempt that overruns cannot change
	// the event a retry or the dead-letter channel sees.
	work := cloneEvent(ev)
	type result struct {
		out flow.Outcome
		err error
	}
	done := make(chan result, 1)
	go func() {
		o, e := safeProcess(ctx, ap, work)
		done <- result{o, e}
	}()
	select {
	case res := <-done:
		if res.err == nil {
			ev.Data = work.Data
		}
		return res.out, res.err
	case <-ctx.Done():
		return flow.Outcome{}, fmt.Errorf("agent %q timed out after %s", ap.ID, ap.Timeout)
	}
}

func safeProcess(ctx context.Context, ap *AgentPlan, ev *flow.Event) (out flow.Outcome, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = flow.Permanent(fmt.Errorf("agent %q panicked: %v", ap.ID, p))
		}
	}()
	return ap.Agent.Process(ctx, ev)
}

// failed applies the fallback agent and on_failure policy to an event the
// agent finally failed on.
func (r *Run) failed(g *graph, n *node, ev *flow.Event, span trace.Span, sampled bool, err error) uint8 {
	ap := n.ap
	if sampled {
		r.observe(ap.ID, trace.Out, span, nil, err)
	}
	// A fallback agent (the agent's fallback argument, or the one named by
	// on_failure.fallback) gets the event as it arrived.
	for _, id := range []string{ap.Fallback, ap.Failure.Fallback.Agent} {
		if id == "" {
			continue
		}
		if fb := g.nodes[id]; fb != nil && fb.local && fb != n {
			n.m.Emitted() // handed to the fallback agent
			return r.handle(g, fb, ev, span, sampled, metrics.Now())
		}
	}
	action, channel := ap.Failure.Action, ap.Failure.Channel
	if fb := ap.Failure.Fallback; fb.Channel != "" {
		channel = fb.Channel
		if fb.Action != "" {
			action = fb.Action
		}
	}
	if action == flow.ActionDrop {
		n.m.Filtered()
		return fFiltered
	}
	if ap.Failure.Error != "" {
		err = fmt.Errorf("%s: %w", ap.Failure.Error, err)
	}
	n.m.DeadLettered()
	r.deadLetter(g, ap.ID, channel, ev.Raw, span, err)
	return fDead
}

func selectField(data map[string]any, field string) (map[string]any, error) {
	cur := data
	for _, part := range splitField(field) {
		v, ok := cur[part]
		if !ok {
			return nil, fmt.Errorf("input field %q is missing", field)
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("input field %q is %T, expected an object", field, v)
		}
		cur = m
	}
	return cur, nil
}

func splitField(f string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(f); i++ {
		if i == len(f) || f[i] == '/' {
			if i > start {
				out = append(out, f[start:i])
			}
			start = i + 1
		}
	}
	return out
}

// cloneEvent deep-copies an event's data.
func cloneEvent(ev *flow.Event) *flow.Event {
	c := *ev
	c.Data = cloneMap(ev.Data)
	return &c
}

func cloneMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = cloneValue(v)
	}
	return out
}

func cloneValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return cloneMap(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = cloneValue(e)
		}
		return out
	}
	return v
}
