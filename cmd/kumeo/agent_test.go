package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumeo/kumeo/engine/bus/bustest"
)

const agentPassword = "pw-9f2c41d7e8"

// authServer starts a real NATS server on a random port that accepts only
// user kumeo with agentPassword.
func authServer(t *testing.T) *server.Server {
	t.Helper()
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, Username: "kumeo", Password: agentPassword, NoLog: true, NoSigs: true})
	require.NoError(t, err)
	go s.Start()
	require.True(t, s.ReadyForConnections(10*time.Second))
	t.Cleanup(s.Shutdown)
	return s
}

// syncBuffer is a log sink read while the agent writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// logField returns field of the first JSON log line with message msg.
func (s *syncBuffer) logField(msg, field string) string {
	sc := bufio.NewScanner(strings.NewReader(s.String()))
	for sc.Scan() {
		var line map[string]any
		if json.Unmarshal(sc.Bytes(), &line) == nil && line["msg"] == msg {
			v, _ := line[field].(string)
			return v
		}
	}
	return ""
}

type agentProc struct {
	log  *syncBuffer
	done chan struct{} // closed when runAgent returned err
	err  error
	stop context.CancelFunc
}

// startAgent runs c as `kumeo agent` does until the test ends or stop.
func startAgent(t *testing.T, c agentConfig, env map[string]string) *agentProc {
	t.Helper()
	c.getenv = func(k string) string { return env[k] }
	ctx, cancel := context.WithCancel(context.Background())
	p := &agentProc{log: &syncBuffer{}, done: make(chan struct{}), stop: cancel}
	go func() { p.err = runAgent(ctx, c, p.log); close(p.done) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-p.done:
		case <-time.After(30 * time.Second):
			t.Error("the agent did not stop")
		}
	})
	return p
}

func (p *agentProc) wait(t *testing.T) error {
	t.Helper()
	p.stop()
	select {
	case <-p.done:
		return p.err
	case <-time.After(30 * time.Second):
		t.Fatal("the agent did not stop")
		return nil
	}
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

const agentFlow = `workflow A {
  source: NATS("in")
  target: NATS("out")
  agents: [ DataProcessor(id: "p", config: { steps: ["trim"] }) ]
}
`

func TestAgentAuthenticatesAndServesProbes(t *testing.T) {
	s := authServer(t)
	fn := writeTemp(t, "a.kumeo", agentFlow)
	url := strings.Replace(s.ClientURL(), "nats://", "nats://kumeo:"+agentPassword+"@", 1)
	for name, c := range map[string]struct {
		url string
		env map[string]string
	}{
		"env":    {s.ClientURL(), map[string]string{"NATS_USER": "kumeo", "NATS_PASSWORD": agentPassword}},
		"in url": {url, nil},
	} {
		t.Run(name, func(t *testing.T) {
			p := startAgent(t, agentConfig{file: fn, agent: "p", natsURL: c.url, listen: "127.0.0.1:0"}, c.env)
			bustest.Soon(t, func() bool { return p.log.logField("serving health, readiness and metrics", "addr") != "" }, "listening: %s", p.log)
			base := "http://" + p.log.logField("serving health, readiness and metrics", "addr")
			bustest.Soon(t, func() bool { code, _ := httpGet(t, base+"/readyz"); return code == 200 }, "ready: %s", p.log)

			nc, err := nats.Connect(s.ClientURL(), nats.UserInfo("kumeo", agentPassword))
			require.NoError(t, err)
			defer nc.Close()
			out, err := nc.SubscribeSync("out")
			require.NoError(t, err)
			for i := 0; i < 4; i++ {
				require.NoError(t, nc.Publish("in", []byte(fmt.Sprintf(`{"n": %d}`, i))))
			}
			_, err = out.NextMsg(10 * time.Second)
			require.NoError(t, err)
			bustest.Soon(t, func() bool {
				_, body := httpGet(t, base+"/metrics")
				return strings.Contains(body, `kumeo_agent_events_out_total{agent="p",workflow="A"} 4`)
			}, "four events out")
			code, _ := httpGet(t, base+"/healthz")
			assert.Equal(t, 200, code)
			require.NoError(t, p.wait(t))
			assert.NotContains(t, p.log.String(), agentPassword)
			assert.Contains(t, p.log.String(), `"auth":`)
		})
	}
}

func TestAgentRefusedCredentials(t *testing.T) {
	s := authServer(t)
	fn := writeTemp(t, "a.kumeo", agentFlow)
	var log syncBuffer
	wrong := "wrong-" + agentPassword
	err := runAgent(context.Background(), agentConfig{file: fn, agent: "p", natsURL: strings.Replace(s.ClientURL(), "nats://", "nats://kumeo:"+wrong+"@", 1),
		getenv: func(string) string { return "" }}, &log)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "nats://redacted@127.0.0.1:")
	assert.Contains(t, strings.ToLower(err.Error()), "authorization violation")
	assert.NotContains(t, err.Error()+log.String(), wrong)

	err = runAgent(context.Background(), agentConfig{file: fn, agent: "p", natsURL: s.ClientURL(),
		getenv: envMap{"NATS_USER": "kumeo"}.get}, &log)
	require.ErrorIs(t, err, errAuthEnv)
	assert.Contains(t, err.Error(), "$NATS_PASSWORD is empty")
	creds := filepath.Join(t.TempDir(), "missing.creds")
	_, err = natsAuth(envMap{"NATS_CREDS": creds}.get)
	require.ErrorIs(t, err, os.ErrNotExist)
	_, err = natsAuth(envMap{"NATS_CREDS": creds, "NATS_USER": "u"}.get)
	assert.ErrorContains(t, err, "both set")
}

// envMap is a fake environment.
type envMap map[string]string

func (e envMap) get(k string) string { return e[k] }

func TestAgentUsage(t *testing.T) {
	fn := writeTemp(t, "a.kumeo", agentFlow)
	for _, args := range [][]string{
		{"agent", "--workflow", fn, "--nats", "nats://x"},
		{"agent", "--workflow", fn, "--agent", "p", "--endpoints", "--nats", "nats://x"},
	} {
		code, _, errOut := kumeo(t, "", args...)
		assert.Equal(t, 2, code)
		assert.Contains(t, errOut, "usage: kumeo agent")
	}
	code, _, errOut := kumeo(t, "", "agent", "--workflow", fn, "--agent", "nope", "--nats", "nats://127.0.0.1:1")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, `no agent "nope" in workflow A`)
}

// TestEndpointsProcess runs the sources and targets in one process and the
// agent in another, as the cluster does: an event posted to the HTTP
// source goes through the agent to the target exactly once.
func TestEndpointsProcess(t *testing.T) {
	b := bustest.Run(t, bustest.TCP())
	dir := t.TempDir()
	fn := filepath.Join(dir, "e.kumeo")
	require.NoError(t, os.WriteFile(fn, []byte(`workflow E {
  source: HTTP("/in", { method: "POST" })
  target: File("out.jsonl")
  agents: [ DataProcessor(id: "p", config: { steps: ["trim"] }) ]
}
`), 0o644))
	ends := startAgent(t, agentConfig{file: fn, endpoints: true, natsURL: b.ClientURL(), listen: "127.0.0.1:0", httpListen: "127.0.0.1:0"}, nil)
	agent := startAgent(t, agentConfig{file: fn, agent: "p", natsURL: b.ClientURL(), listen: ""}, nil)
	bustest.Soon(t, func() bool { return ends.log.logField("agent running", "http") != "" }, "endpoints up: %s", ends.log)
	bustest.Soon(t, func() bool { return agent.log.logField("agent running", "runs") == "agent p" }, "agent up: %s", agent.log)
	assert.Empty(t, agent.log.logField("agent running", "http"), "the agent process opens no HTTP source")
	assert.Empty(t, agent.log.logField("serving health, readiness and metrics", "addr"), `--listen ""`)
	base := ends.log.logField("agent running", "http")
	for i := 0; i < 3; i++ {
		resp, err := http.Post(base+"/in", "application/json", strings.NewReader(fmt.Sprintf(`{"n": %d}`, i)))
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusAccepted, resp.StatusCode)
	}
	out := filepath.Join(dir, "out.jsonl")
	bustest.Soon(t, func() bool {
		// the file target flushes periodically
		data, _ := os.ReadFile(out)
		return strings.Count(string(data), "\n") == 3
	}, "three events in the target")
	require.NoError(t, agent.wait(t))
	require.NoError(t, ends.wait(t))
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Equal(t, 3, strings.Count(string(data), "\n"), "each event once")
}
