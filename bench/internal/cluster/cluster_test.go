package cluster

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumeo/kumeo/bench/internal/loadgen"
	"github.com/kumeo/kumeo/bench/internal/workload"
)

const workflowFile = "../../../examples/fraud_bench.kumeo"

// The test binary serves NATS when re-executed with this variable set,
// as enginebench does with -nats-server.
const serveEnv = "CLUSTER_TEST_SERVE_NATS"

func TestMain(m *testing.M) {
	switch os.Getenv(serveEnv) {
	case "serve":
		if err := ServeNATS(os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	case "fail":
		fmt.Fprintln(os.Stderr, "cannot listen: address in use")
		os.Exit(3)
	}
	os.Exit(m.Run())
}

// natsCommand re-executes the test binary in the given mode.
func natsCommand(t *testing.T, mode string) []string {
	t.Setenv(serveEnv, mode)
	return []string{os.Args[0], "-test.run=^$"}
}

// buildKumeo builds the kumeo binary once for the package's tests.
func buildKumeo(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the kumeo binary")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	bin, err := Build(ctx, t.TempDir())
	require.NoError(t, err)
	return bin
}

// A distributed run routes every event where the workload says, each
// entering the workflow once: the source is read by one process only.
func TestClusterRunsEveryAgentInItsOwnProcess(t *testing.T) {
	bin := buildKumeo(t)
	flags, err := DetectAgentFlags(bin)
	require.NoError(t, err)
	o := Options{Kumeo: bin, Workflow: workflowFile, Name: workload.Workflow,
		NATSCommand: natsCommand(t, "serve"), AgentFlags: flags, AgentEnv: []string{"GOMAXPROCS=1"}}
	c, err := Start(o)
	require.NoError(t, err)
	names, pids := c.PIDs()
	assert.Equal(t, []string{"nats", "validate", "features", "policy", "route"}, names)
	for i, pid := range pids[1:] {
		assert.NotEqual(t, pids[0], pid, "agent %s runs in the server's process", names[i+1])
		env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
		require.NoError(t, err)
		assert.Contains(t, strings.Split(string(env), "\x00"), "GOMAXPROCS=1", names[i+1])
	}

	nc, err := nats.Connect(c.URL)
	require.NoError(t, err)
	res, runErr := loadgen.RunNATS(nc, loadgen.Options{InFlight: 50, Warmup: 200 * time.Millisecond,
		Duration: time.Second, Templates: workload.Templates(500, 3)})
	nc.Close()
	stats, stopErr := c.Stop(20 * time.Second)
	require.NoError(t, runErr)
	require.NoError(t, stopErr)

	assert.Zero(t, res.Mismatched, "misrouted")
	assert.Zero(t, res.Unknown, "duplicated or unknown")
	assert.Zero(t, res.Lost, "lost")
	assert.Positive(t, res.Events)
	require.Len(t, stats, 5)
	byName := map[string]Stat{}
	for _, s := range stats {
		byName[s.Name] = s
		assert.Positive(t, s.MaxRSS, s.Name)
		assert.Positive(t, s.CPU, s.Name)
	}
	assert.Nil(t, byName["nats"].Counts)
	// Every event sent entered validate once; each agent took what the
	// one before it let through.
	assert.Equal(t, res.Sent, byName["validate"].Counts["in"])
	assert.Equal(t, byName["validate"].Counts["out"], byName["features"].Counts["in"])
	assert.Equal(t, byName["features"].Counts["out"], byName["policy"].Counts["in"])
	assert.Equal(t, byName["policy"].Counts["out"], byName["route"].Counts["in"])
	assert.Equal(t, res.Sent, byName["validate"].Counts["dead_lettered"]+byName["policy"].Counts["dead_lettered"]+byName["route"].Counts["out"])
}

func TestStartReportsAServerThatDoesNotStart(t *testing.T) {
	_, err := Start(Options{Kumeo: "/nonexistent/kumeo", Workflow: workflowFile, NATSCommand: natsCommand(t, "fail"), Timeout: 10 * time.Second})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "nats exited before accepting clients")
	assert.Contains(t, err.Error(), "address in use")
}

func TestStartReportsAnAgentThatCannotStart(t *testing.T) {
	_, err := Start(Options{Kumeo: "/nonexistent/kumeo", Workflow: workflowFile, NATSCommand: natsCommand(t, "serve"), Timeout: 10 * time.Second})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "start validate (/nonexistent/kumeo)")
}

func TestStartRefusesAWorkflowItCannotCompile(t *testing.T) {
	file := t.TempDir() + "/bad.kumeo"
	require.NoError(t, os.WriteFile(file, []byte("workflow W {\n  agents: [ Nope(id: \"x\") ]\n}\n"), 0o644))
	_, err := Start(Options{Kumeo: "unused", Workflow: file, NATSCommand: natsCommand(t, "serve")})
	require.Error(t, err)
	assert.True(t, strings.Contains(err.Error(), "bad.kumeo"), err.Error())
}

func TestAgentArgs(t *testing.T) {
	o := Options{Workflow: "w.kumeo", Name: "W", AgentFlags: []string{"--listen="}}
	assert.Equal(t, []string{"agent", "--workflow", "w.kumeo", "--agent", "a", "--nats", "nats://x:1", "--name", "W", "--listen="},
		AgentArgs(o, "a", "nats://x:1"))
}
