package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumeo/kumeo/dsl"
	"github.com/kumeo/kumeo/engine/endpoints"
)

// The checker and the engine agree on what a local run does. For every
// workflow of a file, either the checker says nothing about running it
// locally and the plan builds without a diagnostic, or the checker warns
// (K2012; K2003 for an unknown constructor and K2009 for a workflow
// without a source, which cannot run either) and the plan refuses the
// workflow or reports what the run goes without. A warning the run does
// not bear out, or a refusal or a skip the editor did not show before Run
// was pressed, fails the test.

// localCodes are the checker codes saying a local run refuses or skips
// something.
var localCodes = map[string]bool{dsl.CodeNotRunnable: true, dsl.CodeUnknownType: true, dsl.CodeNoSource: true}

// What a construct expects of a local run.
const (
	runs     = iota // the checker is silent and the plan runs all of it
	notLocal        // the checker warns and the plan refuses or skips it
	invalid         // the checker reports an error and the plan refuses it
)

type agreeCase struct {
	name, src string
	want      int
}

// agreeFlow is workflow W reading NATS("in") and writing NATS("out")
// around the given agents.
func agreeFlow(agents string, extra ...string) string {
	return "workflow W {\n  source: NATS(\"in\")\n  target: NATS(\"out\")\n" + strings.Join(extra, "\n") +
		"\n  agents: [\n    " + agents + "\n  ]\n}\n"
}

// typicalArgs are settings some agent types cannot do without beyond the
// spec's required arguments.
var typicalArgs = map[string]string{
	"DataNormalizer":      `fields: ["temp"]`,
	"MissingValueHandler": `fields: ["temp"]`,
	"DecisionMatrix":      `rules: [ { name: "r", condition: "amount > 0", error: "negative" } ]`,
	"RuleEngine":          `rules: [ { name: "r", condition: "amount > 0", error: "negative" } ]`,
}

// agentArgs writes the arguments an agent type needs, the spec's required
// ones with a plausible value of their kind, so every type of the spec
// registry gets a snippet, types added later included.
func agentArgs(spec *dsl.TypeSpec) string {
	var out []string
	if a, ok := typicalArgs[spec.Name]; ok {
		out = append(out, a)
	}
	for _, a := range spec.Args {
		if !a.Required {
			continue
		}
		v := `"x"`
		switch a.Kind {
		case dsl.ArgModel:
			v = `{ file: "m.onnx", type: "onnx" }`
		case dsl.ArgTemplate:
			v = `"Classify {{text}}"`
		case dsl.ArgObject:
			v = `{ "default": "target.out" }`
		case dsl.ArgString:
			if a.Name == "module" {
				v = `"plugin.wasm"`
			}
		}
		out = append(out, a.Name+": "+v)
	}
	return strings.Join(out, ", ")
}

func endpointAddress(typ string, cat dsl.Category) string {
	switch typ {
	case "HTTP":
		if cat == dsl.CatTarget {
			return "http://127.0.0.1:9/hook"
		}
		return "/in"
	case "Timer":
		return "1h"
	case "File":
		return "events.jsonl"
	}
	return "t"
}

func agreeCases() []agreeCase {
	var cases []agreeCase
	add := func(name string, want int, src string) { cases = append(cases, agreeCase{name, src, want}) }
	runsIf := func(ok bool) int {
		if ok {
			return runs
		}
		return notLocal
	}

	// Every agent type of the spec registry: in the pipeline, as a
	// preprocessor, and in a subworkflow nothing wires in (no part of any
	// run).
	for _, spec := range Registry().Types(dsl.CatAgent) {
		args := agentArgs(spec)
		if args != "" {
			args = ", " + args
		}
		call := fmt.Sprintf(`%s(id: "a"%s)`, spec.Name, args)
		add("agent/"+spec.Name, runsIf(spec.Runnable), agreeFlow(call))
		add("preprocessor/"+spec.Name, runsIf(spec.Runnable), agreeFlow(`DataProcessor(id: "b")`, "  preprocessors: [ "+call+" ]"))
		add("unwired subworkflow/"+spec.Name, runs, agreeFlow(`DataProcessor(id: "b")`)+
			"subworkflow S {\n  input: [\"x\"]\n  output: [\"y\"]\n  agents: [ "+strings.ReplaceAll(call, "target.out", "output.y")+" ]\n}\n")
		if _, ok := typicalArgs[spec.Name]; ok {
			add("agent/"+spec.Name+" without its settings", invalid, agreeFlow(fmt.Sprintf(`%s(id: "a")`, spec.Name)))
		}
	}
	add("agent/unknown type", notLocal, agreeFlow(`Summariser(id: "a")`))

	// Every source and target type.
	for _, spec := range Registry().Types(dsl.CatSource) {
		ep := fmt.Sprintf("%s(%q)", spec.Name, endpointAddress(spec.Name, dsl.CatSource))
		add("source/"+spec.Name, runsIf(spec.Runnable), "workflow W {\n  source: "+ep+"\n  target: NATS(\"out\")\n  agents: [ DataProcessor(id: \"a\") ]\n}\n")
	}
	for _, spec := range Registry().Types(dsl.CatTarget) {
		ep := fmt.Sprintf("%s(%q)", spec.Name, endpointAddress(spec.Name, dsl.CatTarget))
		add("target/"+spec.Name, runsIf(spec.Runnable), "workflow W {\n  source: NATS(\"in\")\n  target: "+ep+"\n  agents: [ DataProcessor(id: \"a\") ]\n}\n")
	}
	add("source/HTTP URL", invalid, "workflow W {\n  source: HTTP(\"http://example.com/in\")\n  agents: [ DataProcessor(id: \"a\") ]\n}\n")
	add("target/HTTP path", invalid, "workflow W {\n  source: NATS(\"in\")\n  target: HTTP(\"/hook\")\n  agents: [ DataProcessor(id: \"a\") ]\n}\n")
	add("source/unknown type", notLocal, "workflow W {\n  source: Pulsar(\"t\")\n  agents: [ DataProcessor(id: \"a\") ]\n}\n")
	add("source/none", notLocal, "workflow W {\n  target: NATS(\"out\")\n  agents: [ DataProcessor(id: \"a\") ]\n}\n")
	add("source/several", runs, "workflow W {\n  source: [NATS(\"in\"), HTTP(\"/in\"), Timer(\"1h\")]\n  target: [NATS(\"out\"), File(\"out.jsonl\")]\n  agents: [ DataProcessor(id: \"a\") ]\n}\n")
	add("source/options", runs, "workflow W {\n  source: NATS(\"in\", { queue: \"q\" })\n  target: HTTP(\"http://127.0.0.1:9/x\", { method: \"PUT\" })\n  agents: [ DataProcessor(id: \"a\") ]\n}\n")

	// Every context type, and an agent's context.
	for _, spec := range Registry().Types(dsl.CatContext) {
		add("context/"+spec.Name, notLocal, agreeFlow(`DataProcessor(id: "a")`, fmt.Sprintf("  context: %s(%q)", spec.Name, "risk.bif")))
	}
	add("context/agent argument", notLocal, agreeFlow(`DataProcessor(id: "a", context: "data.policies")`, `  data: { policies: "policies.json" }`))

	// Inputs: b reads what a produces, written every way.
	for name, in := range map[string]struct {
		input string
		want  int
	}{
		"default":                          {`a.output`, runs},
		"source":                           {`"source"`, runs},
		"channel string":                   {`"a.output"`, runs},
		"field of a channel":               {`"a.output/amount"`, runs},
		"field of a path":                  {`a.output.amount`, runs},
		"field of the source":              {`source.amount`, runs},
		"one-key object":                   {`{ tx: "a.output" }`, runs},
		"join":                             {`{ tx: "a.output", raw: "source" }`, notLocal},
		"join of paths":                    {`{ tx: a.output, raw: source }`, notLocal},
		"expression":                       {`"a.output ?? source"`, notLocal},
		"call":                             {`Database("postgres://x", "SELECT 1")`, notLocal},
		"null":                             {`null`, runs},
		"source address":                   {`"in"`, runs},
		"one of several sources":           {`"in"`, notLocal},
		"wildcard":                         {`"a.*"`, notLocal},
		"custom output":                    {`"a.custom"`, runs},
		"custom output by path":            {`a.output`, runs},
		"field of custom path":             {`a.custom.x`, runs},
		"router channel":                   {`"big"`, runs},
		"on_failure channel":               {`"failed"`, runs},
		"channel published elsewhere":      {`"elsewhere"`, runs},
		"agent publishing to a target":     {`a.output`, notLocal},
		"after one publishing to a target": {``, notLocal},
	} {
		src := fmt.Sprintf(`DataProcessor(id: "a"),
    DataProcessor(id: "b", input: %s)`, in.input)
		extra := ""
		switch name {
		case "custom output", "field of custom path", "custom output by path":
			src = strings.Replace(src, `DataProcessor(id: "a")`, `DataProcessor(id: "a", output: "a.custom")`, 1)
		case "agent publishing to a target":
			src = strings.Replace(src, `DataProcessor(id: "a")`, `DataProcessor(id: "a", output: "target.out")`, 1)
		case "after one publishing to a target":
			src = `DataProcessor(id: "a", output: "target.out"),
    DataProcessor(id: "b")`
		case "router channel":
			src = `Router(id: "a", rules: { "amount > 10": "big", "default": "target.out" }),
    DataProcessor(id: "b", input: "big")`
		case "on_failure channel":
			src = `DataProcessor(id: "a", on_failure: { channel: "failed" }),
    DataProcessor(id: "b", input: "failed")`
		case "null":
			src += `,
    DataProcessor(id: "c", input: a.output)`
		case "one of several sources":
			extra = `  source: [NATS("in"), NATS("in2")]`
		}
		flow := agreeFlow(src)
		if extra != "" {
			flow = strings.Replace(flow, `  source: NATS("in")`, extra, 1)
		}
		add("input/"+name, in.want, flow)
	}

	// when, timeout, retry, fallback, on_failure and the other agent
	// arguments, in every form.
	for name, arg := range map[string]struct {
		args string
		want int
	}{
		"when expression":          {`when: "amount > 10 && currency in ['EUR']"`, runs},
		"when config":              {`when: "amount % config.limit == 0"`, runs},
		"when true":                {`when: true`, runs},
		"when false":               {`when: false`, runs},
		"timeout":                  {`timeout: "5s"`, runs},
		"retry count":              {`retry: 3`, runs},
		"retry object":             {`retry: { attempts: 2, backoff: "fixed", initial: "10ms", max: "1s", multiplier: 2 }`, runs},
		"fallback id":              {`fallback: "b"`, runs},
		"fallback path":            {`fallback: b`, runs},
		"fallback call":            {`fallback: DataProcessor(id: "inline")`, notLocal},
		"on_failure quarantine":    {`on_failure: { action: "quarantine", retry: 1, error: "bad" }`, runs},
		"on_failure reject":        {`on_failure: { action: "reject", retry: { attempts: 1 } }`, runs},
		"on_failure drop":          {`on_failure: { action: "drop" }`, runs},
		"on_failure channel":       {`on_failure: { channel: "failed" }`, runs},
		"on_failure target":        {`on_failure: { channel: "out" }`, runs},
		"on_failure fallback id":   {`on_failure: { fallback: "b" }`, runs},
		"on_failure fallback obj":  {`on_failure: { fallback: { action: "reject", channel: "failed" } }`, runs},
		"on_failure fallback call": {`on_failure: { fallback: DataProcessor(id: "inline") }`, notLocal},
		"on_failure notify":        {`on_failure: { action: "drop", notify: "ops@example.com" }`, notLocal},
		"output channel":           {`output: "a.custom"`, runs},
		"output_schema":            {`output_schema: { type: "object" }`, notLocal},
		"concurrency":              {`concurrency: 4`, runs},
		"description":              {`description: "cleans events"`, runs},
		"deployment":               {`deployment: { resources: { cpu: "100m" } }`, runs},
	} {
		add("agent args/"+name, arg.want, agreeFlow(`DataProcessor(id: "a", `+arg.args+`),
    DataProcessor(id: "b", input: a.output)`, `  config: { limit: 10 }`))
	}

	// Router destinations.
	for name, r := range map[string]struct {
		rules string
		want  int
	}{
		"target":              {`{ "amount > 10": "target.out", "default": "target.other" }`, runs},
		"target path":         {`{ "amount > 10": target.out, "default": "target.other" }`, runs},
		"below a target":      {`{ "amount > 10": "target.out.high", "default": "target.other" }`, notLocal},
		"channel":             {`{ "amount > 10": "big", "default": "target.out" }`, runs},
		"config in a rule":    {`{ "amount > config.limit": "target.out", "default": "target.other" }`, runs},
		"default only":        {`{ "default": "target.out" }`, runs},
		"every expr operator": {`{ "amount % 2 == 0 && -amount < 0 && amount / 2 >= 1 && amount * 2 - 1 != 3": "target.out", "default": "target.other" }`, runs},
	} {
		add("router/"+name, r.want, "workflow W {\n  source: NATS(\"in\")\n  target: [NATS(\"out\"), NATS(\"other\")]\n  config: { limit: 10 }\n"+
			"  agents: [\n    Router(id: \"r\", rules: "+r.rules+"),\n    DataProcessor(id: \"big\", input: \"big\", output: \"target.other\")\n  ]\n}\n")
	}

	// DecisionMatrix rules.
	add("rules/condition forms", runs, agreeFlow(`DecisionMatrix(id: "a", rules: [ { name: "r", condition: "amount % 2 == 0", error: "odd" }, { name: "t", condition: true } ])`))

	// Subworkflows and integrations.
	sub := "subworkflow S {\n  input: [\"tx\"]\n  output: [\"scored\"]\n  agents: [ DataProcessor(id: \"s\", input: input.tx, output: \"output.scored\") ]\n}\n"
	add("subworkflow/wired by an integration", notLocal, agreeFlow(`DataProcessor(id: "a")`)+sub+
		"integration {\n  workflow: W,\n  use: S,\n  mapping: { input: { tx: a.output }, output: { scored: target.out } }\n}\n")
	add("subworkflow/not wired", runs, agreeFlow(`DataProcessor(id: "a")`)+sub)
	add("subworkflow/wired into another workflow", notLocal, agreeFlow(`DataProcessor(id: "a")`)+
		"workflow V {\n  source: NATS(\"v.in\")\n  target: NATS(\"v.out\")\n  agents: [ DataProcessor(id: \"v\") ]\n}\n"+sub+
		"integration {\n  workflow: V,\n  use: S,\n  mapping: { input: { tx: v.output }, output: { scored: target.v.out } }\n}\n")

	// Several workflows in a file (W runs, V does not); no agents.
	add("workflows/two", notLocal, agreeFlow(`DataProcessor(id: "a")`)+
		"workflow V {\n  source: NATS(\"v.in\")\n  agents: [ LLM(id: \"v\", prompt: \"x\") ]\n}\n")
	add("workflows/no agents", runs, "workflow W {\n  source: NATS(\"in\")\n  target: NATS(\"out\")\n}\n")
	return cases
}

// localDiags returns the checker's diagnostics about running w locally:
// those in w's block, in integrations wiring a subworkflow into w and in
// those subworkflows.
func localDiags(f *dsl.File, w *dsl.Workflow, diags dsl.Diagnostics) dsl.Diagnostics {
	blocks := []*dsl.Block{w.Block}
	for _, b := range f.Blocks {
		if b.Kind != dsl.KindIntegration || b.Body == nil || refName(b.Body.Value("workflow")) != w.Name {
			continue
		}
		blocks = append(blocks, b)
		if s := f.Workflow(refName(b.Body.Value("use"))); s != nil {
			blocks = append(blocks, s.Block)
		}
	}
	var out dsl.Diagnostics
	for _, d := range diags {
		if !localCodes[d.Code] {
			continue
		}
		for _, b := range blocks {
			if d.Range.Start.Offset >= b.Range.Start.Offset && d.Range.End.Offset <= b.Range.End.Offset {
				out = append(out, d)
				break
			}
		}
	}
	return out
}

// refName is the block an integration's workflow: or use: names.
func refName(n dsl.Node) string {
	switch v := n.(type) {
	case *dsl.Path:
		return v.String()
	case *dsl.String:
		return v.Text()
	}
	return ""
}

// localRun is what checking and planning say about running one workflow
// locally.
type localRun struct {
	workflow       string
	said           dsl.Diagnostics // the checker's warnings about running it locally
	plan           dsl.Diagnostics // the plan's diagnostics
	refused, skips bool
}

// localRuns checks a file and plans each of its workflows. Relative files
// resolve against dir.
func localRuns(t *testing.T, filename string, src []byte, dir string) (dsl.Diagnostics, []localRun) {
	t.Helper()
	res := Registry().Analyze(filename, src)
	var out []localRun
	for _, w := range res.File.Workflows() {
		if w.Kind != dsl.KindWorkflow {
			continue
		}
		plan, diags := Compile(res.File, w.Name, PlanOptions{Dir: dir, Endpoints: endpoints.Options{MQTTEnabled: true}})
		closePlan(plan)
		out = append(out, localRun{workflow: w.Name, said: localDiags(res.File, w, res.Diagnostics), plan: diags,
			refused: plan == nil, skips: plan != nil && len(diags) > 0})
	}
	return res.Diagnostics, out
}

// assertAgree checks that the checker and the plan agree on one workflow.
func assertAgree(t *testing.T, r localRun, src []byte) {
	t.Helper()
	switch {
	case len(r.said) == 0 && r.refused:
		t.Errorf("workflow %s: the checker says it runs locally, but the plan refuses it:\n%v\n%s", r.workflow, r.plan, src)
	case len(r.said) == 0 && r.skips:
		t.Errorf("workflow %s: the checker says it runs locally, but the plan skips part of it:\n%v\n%s", r.workflow, r.plan, src)
	case len(r.said) > 0 && !r.refused && !r.skips:
		t.Errorf("workflow %s: the checker warns it does not run locally, but the plan runs all of it:\n%v\n%s", r.workflow, r.said, src)
	case r.skips:
		for _, d := range r.plan {
			assert.Equal(t, dsl.SevWarning, d.Severity, "a plan that builds reports only what it skips: %v", d)
			assert.Equal(t, dsl.CodeNotRunnable, d.Code, "%v", d)
		}
	}
}

func closePlan(p *Plan) {
	if p == nil {
		return
	}
	for _, ap := range p.Agents {
		if c, ok := ap.Agent.(interface{ Close() error }); ok {
			c.Close()
		}
	}
}

func TestCheckerAndPlanAgreeOnEveryConstruct(t *testing.T) {
	cases := agreeCases()
	sort.Slice(cases, func(i, j int) bool { return cases[i].name < cases[j].name })
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, name := range []string{"events.jsonl", "plugin.wasm", "risk.bif", "policies.json"} {
				require.NoError(t, os.WriteFile(filepath.Join(dir, name), nil, 0o644))
			}
			src := []byte(tc.src)
			diags, planned := localRuns(t, filepath.Join(dir, "agree.kumeo"), src, dir)
			if tc.want == invalid {
				require.True(t, diags.HasErrors(), "the checker reports an error:\n%s", src)
				for _, r := range planned {
					assert.True(t, r.refused, "workflow %s: the plan refuses it too:\n%v", r.workflow, r.plan)
				}
				return
			}
			require.False(t, diags.HasErrors(), "the snippet must check without errors:\n%s\n%v", src, diags)
			// The construct is in V when the file has one, else in W; every
			// workflow agrees.
			w := planned[0]
			for _, r := range planned {
				if r.workflow == "V" {
					w = r
				}
			}
			if tc.want == runs {
				assert.Empty(t, w.said, "the checker says W runs locally")
				assert.False(t, w.refused || w.skips, "the plan runs all of W: %v", w.plan)
			} else {
				assert.NotEmpty(t, w.said, "the checker warns W does not run locally")
				assert.True(t, w.refused || w.skips, "the plan refuses W or reports what it skips")
			}
			for _, r := range planned {
				assertAgree(t, r, src)
			}
		})
	}
}

// The shared examples are the repository's examples/ (the same files).
func TestCheckerAndPlanAgreeOnExamples(t *testing.T) {
	files, err := filepath.Glob("../examples/*.kumeo")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, fn := range files {
		t.Run(filepath.Base(fn), func(t *testing.T) {
			src, err := os.ReadFile(fn)
			require.NoError(t, err)
			diags, planned := localRuns(t, fn, src, filepath.Dir(fn))
			require.False(t, diags.HasErrors(), "%v", diags)
			require.NotEmpty(t, planned)
			for _, r := range planned {
				assertAgree(t, r, src)
			}
		})
	}
}
