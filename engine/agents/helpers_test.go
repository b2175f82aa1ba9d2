package agents

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/kumeo/kumeo/dsl"
	"github.com/kumeo/kumeo/engine/flow"
	"github.com/stretchr/testify/assert"
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
	args, settings := map[string]any{}, map[string]any{}
	for _, arg := range a.Call.Args {
		if arg.Name != "" {
			args[arg.Name] = dsl.Interface(arg.Value)
		}
	}
	if o, ok := a.Call.Value("config").(*dsl.Object); ok {
		settings = dsl.Interface(o).(map[string]any)
	}
	cfg := flow.NewConfig(specOf(t, a.Type), args, settings)
	cfg.Workflow, cfg.Agent, cfg.Dir = w, a, dir
	if w.Config != nil {
		cfg.Globals = dsl.Interface(w.Config).(map[string]any)
	}
	return cfg
}

// specOf returns the spec of a built-in type.
func specOf(t testing.TB, name string) *dsl.TypeSpec {
	t.Helper()
	spec, ok := dsl.Builtin().Lookup(name)
	require.True(t, ok, "no spec for %s", name)
	return spec
}

// factoryOf returns the factory Types binds to a type.
func factoryOf(t testing.TB, name string) flow.Factory {
	t.Helper()
	for _, typ := range Types() {
		if typ.Name == name {
			return typ.New
		}
	}
	require.Fail(t, "no factory", "for %s", name)
	return nil
}

// build runs the factory of the agent's type and checks that it read
// nothing its spec does not declare.
func build(t testing.TB, agent, extra, dir string) (flow.Agent, error) {
	t.Helper()
	cfg := configFor(t, agent, extra, dir)
	a, err := factoryOf(t, cfg.Agent.Type)(cfg)
	require.Empty(t, cfg.Undeclared(), "%s read settings its spec does not declare", cfg.Agent.Type)
	return a, err
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

// configErrorCase is a configuration a factory refuses, and what its
// message says.
type configErrorCase struct{ name, agent, msg string }

// assertConfigErrors builds each agent and checks that it fails with a
// one-line ConfigError containing msg.
func assertConfigErrors(t *testing.T, cases []configErrorCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			_, err := build(t, tt.agent, "", "")
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrInvalidConfig)
			assert.ErrorContains(t, err, tt.msg)
			assert.NotContains(t, err.Error(), "\n")
		})
	}
}

// concurrently runs work(w, i) for i below per on each of workers
// goroutines and waits for them.
func concurrently(workers, per int, work func(w, i int)) {
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < per; i++ {
				work(w, i)
			}
		}(w)
	}
	wg.Wait()
}
