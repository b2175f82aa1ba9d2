package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumeo/kumeo/dsl"
)

func kumeo(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

// writeTemp writes text to a file named name in a new temporary directory
// and returns its path.
func writeTemp(t *testing.T, name, text string) string {
	t.Helper()
	fn := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(fn, []byte(text), 0o644))
	return fn
}

func examples(t *testing.T) []string {
	files, err := filepath.Glob("../../examples/*.kumeo")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	return files
}

func TestCheckExamples(t *testing.T) {
	for _, fn := range examples(t) {
		code, out, errOut := kumeo(t, "", "check", fn)
		assert.Equal(t, 0, code, "%s\n%s%s", fn, out, errOut)
	}
}

func TestCheckReportsErrors(t *testing.T) {
	fn := writeTemp(t, "bad.kumeo", "workflow W {\n  agents: [\n    LLM(id: \"a\" prompt: \"x\")\n  ]\n}\n")
	code, out, _ := kumeo(t, "", "check", fn)
	assert.Equal(t, 1, code)
	assert.Regexp(t, `bad\.kumeo:3:17: error: .*\[K0001\]`, out)

	code, out, _ = kumeo(t, "", "check", "--json", fn)
	assert.Equal(t, 1, code)
	var diags []dsl.Diagnostic
	require.NoError(t, json.Unmarshal([]byte(out), &diags))
	require.Len(t, diags, 1)
	assert.Equal(t, dsl.SevError, diags[0].Severity)
	assert.Equal(t, 3, diags[0].Range.Start.Line)
}

func TestCheckMissingFile(t *testing.T) {
	code, _, errOut := kumeo(t, "", "check", "does-not-exist.kumeo")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "does-not-exist.kumeo")
}

func TestFmt(t *testing.T) {
	messy := "workflow   W {\n    source:NATS(\"in\")   // keep me\n}\n"
	fn := writeTemp(t, "w.kumeo", messy)

	code, out, _ := kumeo(t, "", "fmt", "-l", fn)
	assert.Equal(t, 0, code)
	assert.Equal(t, fn+"\n", out)

	code, out, _ = kumeo(t, "", "fmt", "-d", fn)
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "-    source:NATS(\"in\")   // keep me")
	assert.Contains(t, out, "+  source: NATS(\"in\") // keep me")

	code, out, _ = kumeo(t, "", "fmt", fn)
	assert.Equal(t, 0, code)
	want := "workflow W {\n  source: NATS(\"in\") // keep me\n}\n"
	assert.Equal(t, want, out)

	code, _, _ = kumeo(t, "", "fmt", "-w", fn)
	assert.Equal(t, 0, code)
	got, err := os.ReadFile(fn)
	require.NoError(t, err)
	assert.Equal(t, want, string(got))

	code, out, _ = kumeo(t, "", "fmt", "-l", fn)
	assert.Equal(t, 0, code)
	assert.Empty(t, out, "formatted file must not be listed again")

	code, out, _ = kumeo(t, messy, "fmt")
	assert.Equal(t, 0, code)
	assert.Equal(t, want, out)
}

func TestFmtRefusesBrokenFile(t *testing.T) {
	broken := "workflow W {\n  source: NATS(\"in\"\n}\n"
	fn := writeTemp(t, "w.kumeo", broken)
	code, _, errOut := kumeo(t, "", "fmt", "-w", fn)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "error")
	got, _ := os.ReadFile(fn)
	assert.Equal(t, broken, string(got), "a file that does not parse is never rewritten")
}

func TestFmtExamplesStable(t *testing.T) {
	for _, fn := range examples(t) {
		code, once, errOut := kumeo(t, "", "fmt", fn)
		require.Equal(t, 0, code, errOut)
		code, twice, errOut := kumeo(t, once, "fmt")
		require.Equal(t, 0, code, errOut)
		assert.Equal(t, once, twice, "%s: fmt is not idempotent", fn)
	}
}

func TestGraphJSON(t *testing.T) {
	code, out, errOut := kumeo(t, "", "graph", "--json", "../../examples/fraud_detection.kumeo")
	require.Equal(t, 0, code, errOut)
	var g dsl.Graph
	require.NoError(t, json.Unmarshal([]byte(out), &g))
	ids := map[string]bool{}
	for _, n := range g.Nodes {
		ids[n.ID] = true
	}
	for _, id := range []string{"CardFraud/agent/validate", "CardFraud/agent/route", "CardFraud/source/NATS:payments.card.tx", "CardFraud/target/NATS:alerts.fraud.block"} {
		assert.True(t, ids[id], "missing node %s", id)
	}
	assert.NotEmpty(t, g.Edges)
}

func TestEdit(t *testing.T) {
	src, err := os.ReadFile("../../examples/fraud_detection.kumeo")
	require.NoError(t, err)
	code, out, errOut := kumeo(t, "", "edit", "../../examples/fraud_detection.kumeo", "--op", `{"op":"rename_agent","id":"validate","to":"check_tx"}`)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, `id: "check_tx"`)
	assert.NotContains(t, out, `id: "validate"`)
	// Everything else is byte-identical.
	assert.Equal(t, strings.Replace(string(src), `id: "validate"`, `id: "check_tx"`, 1), out)

	code, _, errOut = kumeo(t, "", "edit", "../../examples/fraud_detection.kumeo", "--op", `{"op":"remove_agent","id":"nope"}`)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "agent not found")

	code, _, errOut = kumeo(t, "", "edit", "../../examples/fraud_detection.kumeo", "--op", `{"op":`)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "invalid operation")
}

func TestEditEveryExample(t *testing.T) {
	// Every example accepts an edit of each kind that applies to it, and
	// the result parses.
	for _, fn := range examples(t) {
		src, err := os.ReadFile(fn)
		require.NoError(t, err)
		f, _ := dsl.Parse(fn, src)
		w := f.Workflow("")
		require.NotNil(t, w)
		all := w.AllAgents()
		if len(all) == 0 {
			continue
		}
		first := all[0].ID
		ops := []string{
			`{"op":"add_agent","after":"` + first + `","agent":"DataProcessor(id: \"added\")"}`,
			`{"op":"set","id":"` + first + `","key":"timeout","value":"\"5s\""}`,
			`{"op":"rename_agent","id":"` + first + `","to":"renamed"}`,
			`{"op":"remove_agent","id":"` + first + `"}`,
		}
		for _, op := range ops {
			code, out, errOut := kumeo(t, "", "edit", fn, "--op", op)
			require.Equal(t, 0, code, "%s %s: %s", fn, op, errOut)
			_, d := dsl.Parse(fn, []byte(out))
			assert.False(t, d.HasErrors(), "%s %s: %v", fn, op, d)
		}
	}
}

func TestUsage(t *testing.T) {
	code, _, errOut := kumeo(t, "")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "Usage")
	code, _, errOut = kumeo(t, "", "frobnicate")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "unknown command")
}

func TestRunExampleOffline(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out.jsonl")
	code, stdout, stderr := kumeo(t, "", "run", "../../examples/card_screening.kumeo", "--input", "../../examples/data/card_payments.jsonl", "--output", out, "--timeout", "60s")
	require.Equal(t, 0, code, "%s\n%s", stdout, stderr)
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	assert.Len(t, lines, 201, "every input event reaches a target or the dead-letter subject")
	dead := 0
	for _, l := range lines {
		var e map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &e), l)
		if _, ok := e["dead_letter"]; ok {
			dead++
		}
	}
	assert.Equal(t, 11, dead)
	assert.Regexp(t, `workflow\s+201\s+190\s+0\s+11`, stderr, "final ledger")
}

func TestRunRefusesModelAgents(t *testing.T) {
	code, _, stderr := kumeo(t, "", "run", "../../examples/support_triage.kumeo", "--timeout", "10s")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "not available")
	assert.Contains(t, stderr, "classify")
}

// A subworkflow wired in by an integration is not run locally: kumeo check
// warns on it, and kumeo run refuses the workflow instead of running part
// of it.
func TestRunRefusesSubworkflows(t *testing.T) {
	code, out, _ := kumeo(t, "", "check", "../../examples/risk_subworkflow.kumeo")
	assert.Equal(t, 0, code)
	assert.Regexp(t, `risk_subworkflow\.kumeo:1:13: warning: Subworkflows do not run in the local engine yet: .*\[K2012\]`, out)

	code, _, stderr := kumeo(t, "", "run", "../../examples/risk_subworkflow.kumeo", "--timeout", "10s")
	assert.Equal(t, 1, code)
	assert.Regexp(t, `risk_subworkflow\.kumeo:21:8: error: Subworkflows do not run in the local engine yet: .*\[E0008\]`, stderr)
}

// What a run goes without is said once, before it starts.
func TestRunSaysWhatItSkips(t *testing.T) {
	file := filepath.Join(t.TempDir(), "ctx.kumeo")
	require.NoError(t, os.WriteFile(file, []byte(`workflow W {
  source: NATS("in")
  target: NATS("out")
  context: KnowledgeBase("docs/")
  agents: [ DataProcessor(id: "a", on_failure: { notify: "ops" }) ]
}
`), 0o644))
	code, stdout, stderr := kumeo(t, "", "run", file, "--timeout", "1s")
	assert.Equal(t, 0, code, "%s\n%s", stdout, stderr)
	assert.Equal(t, 1, strings.Count(stderr, `without KnowledgeBase("docs/")`), stderr)
	assert.Equal(t, 1, strings.Count(stderr, "on_failure.notify is not sent by the local engine"), stderr)
}

// A source that fails while the run is going (reading /proc/self/mem at
// offset 0 fails) ends kumeo run with the error, not a hang or success.
func TestRunFailsWhenASourceFails(t *testing.T) {
	if _, err := os.Stat("/proc/self/mem"); err != nil {
		t.Skip("no /proc/self/mem to read from")
	}
	file := filepath.Join(t.TempDir(), "f.kumeo")
	require.NoError(t, os.WriteFile(file, []byte(`workflow F {
  source: File("/proc/self/mem")
  target: NATS("f.out")
  agents: [ DataProcessor(id: "a", input: "source", config: { steps: ["trim"] }) ]
}
`), 0o644))
	code, stdout, stderr := kumeo(t, "", "run", file, "--timeout", "30s")
	assert.Equal(t, 1, code, "%s\n%s", stdout, stderr)
	assert.Contains(t, stderr, "source")
	assert.Contains(t, stderr, "/proc/self/mem")
}
