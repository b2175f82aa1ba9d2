package dsl

import (
	"fmt"
	"strconv"
	"strings"
)

// Local runs. kumeo run and Run in the desktop app execute a workflow on
// the local engine, which runs fewer constructs than the language has. It
// refuses a workflow that uses
//   - an agent, source or target type it has no implementation for (the
//     spec's Runnable flag in the Registry the engine binds),
//   - an agent joining several inputs, or reading an expression or a call,
//     a wildcard channel, one source of several by its address, or the
//     output of an agent that publishes to a target,
//   - a Router rule sending to a subject below a target,
//   - an agent written inline as a fallback,
//   - a subworkflow wired in by an integration;
// and it runs a workflow without its contexts, agent contexts,
// output_schema checks and on_failure notifications, saying so. The
// checker reports each of these with CodeNotRunnable on the construct's
// own range, so the editor and the canvas show it before Run is pressed;
// the engine's plan reports the same constructs, and a test walks every
// construct through both.
//
// The warnings need a local engine: they are reported only with a Registry
// a local engine bound (WithLocalEngine); a program without one (the dsl
// package on its own) has no local runs to warn about.

// localWho names what a local run refuses: "workflow W", or the workflows
// using subworkflow S.
func localWho(cw *checkWF) string {
	if cw.b.Kind == KindSubworkflow {
		return "every workflow using subworkflow " + cw.b.Name
	}
	return "workflow " + cw.b.Name
}

// notRunnable warns about a construct a local run refuses or skips.
func (c *checkCtx) notRunnable(rng Range, summary, detail string) {
	c.warnAt(CodeNotRunnable, rng, summary, detail)
}

// localNames lists the runnable types of a category, for messages.
func (c *checkCtx) localNames(cat Category) string {
	var names []string
	for _, t := range c.reg.Types(cat) {
		if t.Runnable {
			names = append(names, t.Name)
		}
	}
	if len(names) == 0 {
		return "none"
	}
	return checkPlainList(names)
}

// checkLocalType reports an agent, source, target or context whose type
// the local engine does not run. what names it: agent "score", or
// Kafka("tx") for an endpoint.
func (c *checkCtx) checkLocalType(cw *checkWF, call *Call, spec *TypeSpec, cat Category, what string) {
	if !c.local || spec.Runnable {
		return
	}
	switch cat {
	case CatAgent:
		c.notRunnable(call.NameRange, fmt.Sprintf("%s agents do not run in the local engine yet", call.Name),
			fmt.Sprintf("kumeo run and Run in the app refuse %s while %s is in it.", localWho(cw), what))
	case CatContext:
		c.notRunnable(call.NameRange, "Contexts are not used by the local engine",
			fmt.Sprintf("kumeo run and Run in the app run %s without %s: no agent that runs locally reads contexts.", cw.b.Name, what))
	default:
		c.notRunnable(call.NameRange, fmt.Sprintf("%s %ss do not run in the local engine", call.Name, cat),
			fmt.Sprintf("kumeo run and Run in the app refuse %s while it has %s. %ss that run locally: %s.",
				localWho(cw), what, checkUpperFirst(string(cat)), c.localNames(cat)))
	}
}

// checkLocalAgent reports the parts of a runnable agent a local run
// refuses or skips: its inputs, inline fallback agents, output_schema,
// context and on_failure.notify.
func (c *checkCtx) checkLocalAgent(cw *checkWF, a *Agent) {
	if !c.local {
		return
	}
	call := a.Call
	c.checkLocalInputs(cw, a)
	if fb, ok := call.Value("fallback").(*Call); ok {
		c.inlineFallback(cw, a, fb)
	}
	if of, ok := call.Value("on_failure").(*Object); ok {
		for o := of; o != nil; {
			if fb, ok := o.Value("fallback").(*Call); ok {
				c.inlineFallback(cw, a, fb)
			}
			if p := o.Get("notify"); p != nil {
				c.notRunnable(p.KeyRange, "on_failure.notify is not sent by the local engine",
					fmt.Sprintf("kumeo run and Run in the app run %s without notifications when agent %q fails; failing events still follow on_failure.", cw.b.Name, a.ID))
			}
			o, _ = o.Value("fallback").(*Object)
		}
	}
	if arg := call.Named("output_schema"); arg != nil {
		c.notRunnable(arg.NameRange, "output_schema is not checked by the local engine",
			fmt.Sprintf("kumeo run and Run in the app pass agent %q's output on without validating it against the schema.", a.ID))
	}
	if arg := call.Named("context"); arg != nil {
		c.notRunnable(arg.NameRange, "Agent contexts are not used by the local engine",
			fmt.Sprintf("kumeo run and Run in the app run agent %q without its context.", a.ID))
	}
	if c.reg.Caps(a.Type).Routes {
		c.checkLocalRoutes(cw, a)
	}
}

func (c *checkCtx) inlineFallback(cw *checkWF, a *Agent, fb *Call) {
	c.notRunnable(fb.NameRange, "Inline fallback agents do not run in the local engine",
		fmt.Sprintf("kumeo run and Run in the app refuse %s while agent %q falls back to an agent written inline; declare it with the other agents and name it: fallback: \"its_id\".",
			localWho(cw), a.ID))
}

// checkLocalInputs reports the inputs a local run cannot wire.
func (c *checkCtx) checkLocalInputs(cw *checkWF, a *Agent) {
	refuse := func(rng Range, summary, how string) {
		c.notRunnable(rng, summary, fmt.Sprintf("kumeo run and Run in the app refuse %s while agent %q reads it; %s", localWho(cw), a.ID, how))
	}
	if len(a.Inputs) > 1 {
		var names []string
		for _, in := range a.Inputs {
			names = append(names, in.Name)
		}
		refuse(a.Call.Value("input").Rng(), "Joined inputs do not run in the local engine yet",
			fmt.Sprintf("give the agent one input channel to run it locally (it joins %s).", checkAll(names)))
		return
	}
	if len(a.Inputs) == 0 {
		return
	}
	in := a.Inputs[0]
	rng := a.Call.NameRange
	if in.Node != nil {
		rng = in.Node.Rng()
	}
	switch in.Kind {
	case InputExpr:
		refuse(rng, "Computed inputs do not run in the local engine",
			`give the agent a channel ("validated.tx"), a reference (agent.output) or "source".`)
		return
	case InputOther:
		if call, ok := in.Node.(*Call); ok {
			refuse(rng, fmt.Sprintf("Inputs read from %s(...) do not run in the local engine", call.Name),
				`give the agent a channel ("validated.tx"), a reference (agent.output) or "source".`)
		}
		return
	}
	ch := in.Channel
	if p, ok := in.Node.(*Path); ok && in.Kind == InputPath && len(p.Parts) > 1 {
		if x, ok := cw.byID[p.Parts[0]]; ok {
			ch = x.Output
		}
	}
	switch {
	case strings.ContainsAny(in.Channel, "*>"):
		refuse(rng, "Wildcard inputs do not run in the local engine", "name the one channel it reads.")
	case strings.HasPrefix(ch, "target."):
		refuse(rng, "Reading an agent that publishes to a target does not run in the local engine",
			fmt.Sprintf("its events would not reach target %q; let the agent publish on a channel, and add an agent sending it to the target.", strings.TrimPrefix(ch, "target.")))
	case len(cw.w.Sources) > 1 && in.Channel != "source" && checkIsSourceAddress(cw, in.Channel):
		refuse(rng, "Reading one of several sources does not run in the local engine",
			fmt.Sprintf(`read "source" (events of every source), or give %q a workflow of its own.`, in.Channel))
	}
}

func checkIsSourceAddress(cw *checkWF, ch string) bool {
	for _, s := range cw.w.Sources {
		if s.Address == ch {
			return true
		}
	}
	return false
}

// checkLocalRoutes reports Router rules sending to a subject below a
// target, which the local engine does not publish to.
func (c *checkCtx) checkLocalRoutes(cw *checkWF, a *Agent) {
	rules, ok := a.Call.Value("rules").(*Object)
	if !ok {
		return
	}
	for _, p := range rules.Props {
		ch, ok := checkNameOf(p.Value)
		if !ok {
			continue
		}
		subj, ok := strings.CutPrefix(ch, "target.")
		if !ok || checkContains(cw.targets, subj) || !checkTargetMatch(cw.targets, subj) {
			continue
		}
		c.notRunnable(c.subjectRange(p.Value, "target."), "Routing below a target does not run in the local engine",
			fmt.Sprintf("kumeo run and Run in the app refuse %s while Router %q sends to %q, a subject below a declared target; the local engine publishes to declared targets only: declare NATS(%q) as a target.",
				localWho(cw), a.ID, subj, subj))
	}
}

// checkLocalIntegrations reports each subworkflow an integration wires into
// a workflow, once, on the subworkflow's name.
func (c *checkCtx) checkLocalIntegrations() {
	if !c.local {
		return
	}
	type use struct {
		sub       *checkWF
		workflows []string
		lines     []string
	}
	uses := map[*checkWF]*use{}
	var order []*use
	for _, b := range c.f.Blocks {
		if b.Kind != KindIntegration || b.Body == nil {
			continue
		}
		wn, ok1 := checkNameOf(b.Body.Value("workflow"))
		sn, ok2 := checkNameOf(b.Body.Value("use"))
		wf, sub := c.wfs[wn], c.wfs[sn]
		if !ok1 || !ok2 || wf == nil || sub == nil || wf.b.Kind != KindWorkflow || sub.b.Kind != KindSubworkflow {
			continue // reported as an unknown workflow or subworkflow
		}
		u := uses[sub]
		if u == nil {
			u = &use{sub: sub}
			uses[sub] = u
			order = append(order, u)
		}
		u.lines = append(u.lines, strconv.Itoa(b.KindRange.Start.Line))
		if !checkContains(u.workflows, wn) {
			u.workflows = append(u.workflows, wn)
		}
	}
	for _, u := range order {
		detail := fmt.Sprintf("The integration at line %s wires %s into %s; kumeo run and Run in the app refuse %s while it does.",
			u.lines[0], u.sub.b.Name, u.workflows[0], u.workflows[0])
		if len(u.lines) > 1 {
			detail = fmt.Sprintf("The integrations at lines %s wire %s into %s; kumeo run and Run in the app refuse those workflows while they do.",
				checkPlainList(u.lines), u.sub.b.Name, checkPlainList(u.workflows))
		}
		c.notRunnable(u.sub.b.NameRange, "Subworkflows do not run in the local engine yet", detail)
	}
}

// checkPlainList renders names without quotes: a, b and c.
func checkPlainList(names []string) string {
	if len(names) <= 1 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
