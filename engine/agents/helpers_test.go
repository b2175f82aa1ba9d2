package agents

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/kumeo/kumeo/dsl"
	"github.com/kumeo/kumeo/engine/flow"
	"github.com/stretchr/testify/require"
)

// workflowSrc wraps one agent call (and optional extra workflow
// properties such as schemas or config) into a workflow.
func workflowSrc(agent, extra string) string {
	return "workflow T {\n  source: NATS(\"in\")\n  target: [NATS(\"out\"), NATS(\"alerts\")]\n  " + extra + "\n  agents: [\n    " + agent + "\n  ]\n}\n"
}

// configFor parses a workflow holding one agent and builds the
// flow.Config the runtime gives the factory: named arguments and the
// config object as plain values, the workflow's config as globals.
func configFor(t testing.TB, agent, extra, dir string) *flow.Config {
	t.Helper()
	src := workflowSrc(agent, extra)
	f, diags := dsl.Parse("test.kumeo", []byte(src))
	require.False(t, diags.HasErrors(), "parse %s: %v", src, diags)
	w := f.Workflow("")
	require.NotNil(t, w)
	require.Len(t, w.AllAgents(), 1)
	a := w.AllAgents()[0]
	cfg := &flow.Config{Workflow: w, Agent: a, Args: map[string]any{}, Settings: map[string]any{}, Globals: map[string]any{}, Dir: dir}
	for _, arg := range a.Call.Args {
		if arg.Name != "" {
			cfg.Args[arg.Name] = dsl.Interface(arg.Value)
		}
	}
	if o, ok := a.Call.Value("config").(*dsl.Object); ok {
		cfg.Settings = dsl.Interface(o).(map[string]any)
	}
	if w.Config != nil {
		cfg.Globals = dsl.Interface(w.Config).(map[string]any)
	}
	return cfg
}

// build runs the registered factory of the agent's type.
func build(t testing.TB, agent, extra, dir string) (flow.Agent, error) {
	t.Helper()
	cfg := configFor(t, agent, extra, dir)
	f, ok := flow.LookupAgent(cfg.Agent.Type)
	require.True(t, ok, "no factory for %s", cfg.Agent.Type)
	return f(cfg)
}

func mustBuild(t testing.TB, agent, extra, dir string) flow.Agent {
	t.Helper()
	a, err := build(t, agent, extra, dir)
	require.NoError(t, err)
	require.NotNil(t, a)
	return a
}

func process(t testing.TB, a flow.Agent, data map[string]any) (*flow.Event, flow.Outcome, error) {
	t.Helper()
	ev := &flow.Event{Data: data, ID: "e1"}
	out, err := a.Process(context.Background(), ev)
	return ev, out, err
}

// writeFiles writes name → content into a new temporary directory.
func writeFiles(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
	return dir
}

// tx is a ~200-byte card transaction.
func tx() map[string]any {
	return map[string]any{
		"tx_id":    "tx-7f3a9c2e-41b8-4d6a-9e0f-2b5c8d1a7e34",
		"amount":   1234.56,
		"currency": "EUR",
		"merchant": "ACME Online Store GmbH",
		"hour":     3.0,
		"card":     "4111-xxxx-xxxx-1111",
		"country":  "DE",
	}
}
