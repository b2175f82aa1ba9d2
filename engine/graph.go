package engine

import (
	"fmt"

	"github.com/kumeo/kumeo/dsl/subject"
	"github.com/kumeo/kumeo/engine/metrics"
)

// The graph: a plan made executable, with its channels worked out once.

// graph is the executable form of a plan; reloads swap it atomically.
type graph struct {
	plan      *Plan
	nodes     map[string]*node
	order     []*node
	consumers map[string][]*node // local consumers per channel
	remote    map[string]bool    // channels with consumers outside this process
	outlets   map[string]*outlet // every channel agents emit or route to
	sources   []*node            // consumers["source"]
}

// outlet is what forwarding an event on a channel needs to know, worked
// out once per graph rather than for every event.
type outlet struct {
	ch       string
	subject  string  // Subject(workflow, ch)
	local    []*node // consumers chained in memory
	publish  bool    // published too: consumers elsewhere, or none declared
	consumed bool    // the plan has consumers for it
}

// outlet returns the outlet of channel ch.
func (g *graph) outlet(ch string) *outlet {
	if o := g.outlets[ch]; o != nil {
		return o
	}
	return g.newOutlet(ch) // not reached: build makes every channel's
}

func (g *graph) newOutlet(ch string) *outlet {
	local := g.consumers[ch]
	consumed := len(g.plan.Consumers[ch]) > 0
	return &outlet{ch: ch, subject: Subject(g.plan.Name, ch), local: local,
		publish: g.remote[ch] || len(local) == 0 && !consumed, consumed: consumed}
}

// node runs one agent.
type node struct {
	ap    *AgentPlan
	m     *metrics.Agent
	out   *outlet // of ap.Output
	local bool
}

func (r *Run) isLocal(id string) bool {
	if r.opts.Endpoints == EndpointsOnly {
		return false
	}
	if len(r.opts.Only) == 0 {
		return true
	}
	for _, x := range r.opts.Only {
		if x == id {
			return true
		}
	}
	return false
}

// build turns a plan into a graph, reusing metrics (and, for unchanged
// agents, instances) of the previous graph.
func (r *Run) build(p *Plan, prev *graph) (*graph, error) {
	g := &graph{plan: p, nodes: map[string]*node{}, consumers: map[string][]*node{}, remote: map[string]bool{}}
	for _, ap := range p.Agents {
		m := r.metrics[ap.ID]
		if m == nil {
			var err error
			m, err = metrics.NewAgent(p.Name, ap.ID)
			if err != nil {
				return nil, fmt.Errorf("%w: agent %q: %v", ErrPlan, ap.ID, err)
			}
		}
		n := &node{ap: ap, m: m, local: r.isLocal(ap.ID)}
		g.nodes[ap.ID] = n
		g.order = append(g.order, n)
	}
	// A consumer is chained (called in memory) when it runs here and every
	// producer of its channel runs here too.
	// Agents of a run split across processes read the sources each with
	// their own queue group: a shared "source" group would hand each event
	// to only one of the processes.
	localProducer := map[string]bool{"source": len(r.opts.Only) == 0 && r.opts.Endpoints != EndpointsElsewhere}
	remoteProducer := map[string]bool{}
	for _, n := range g.order {
		chans := []string{n.ap.Output}
		for _, d := range n.ap.Routes {
			if d.Channel != "" {
				chans = append(chans, d.Channel)
			}
		}
		for _, ch := range chans {
			if n.local {
				localProducer[ch] = true
			} else {
				remoteProducer[ch] = true
			}
		}
	}
	for ch, aps := range p.Consumers {
		for _, ap := range aps {
			n := g.nodes[ap.ID]
			if n.local && !r.opts.NoChain && localProducer[ch] && !remoteProducer[ch] {
				g.consumers[ch] = append(g.consumers[ch], n)
			} else {
				g.remote[ch] = true
			}
		}
	}
	g.sources = g.consumers["source"]
	g.outlets = map[string]*outlet{}
	for ch := range p.Consumers {
		g.outlets[ch] = g.newOutlet(ch)
	}
	for _, n := range g.order {
		chans := []string{n.ap.Output}
		for _, d := range n.ap.Routes {
			chans = append(chans, d.Channel)
		}
		for _, d := range n.ap.Sink {
			chans = append(chans, d.Channel)
		}
		for _, ch := range chans {
			if g.outlets[ch] == nil {
				g.outlets[ch] = g.newOutlet(ch)
			}
		}
		n.out = g.outlets[n.ap.Output]
	}
	for _, n := range g.order {
		if !n.local {
			continue
		}
		if r.metrics[n.ap.ID] == nil {
			r.metrics[n.ap.ID] = n.m
			if err := r.pub.Register(n.m); err != nil {
				return nil, err
			}
		}
	}
	return g, nil
}

// queueName is the queue group of an agent's input subscription.
func queueName(workflow, agent string) string { return subject.Queue(workflow, agent) }
