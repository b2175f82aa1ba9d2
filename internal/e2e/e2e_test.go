package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumeo/kumeo/app"
	"github.com/kumeo/kumeo/engine/bus/bustest"
)

const workflow = `// Prüfung ✓
workflow Orders {
  source: NATS("orders.in")
  target: NATS("orders.out")
  agents: [
    DataProcessor(id: "validate", config: { required_fields: ["id"] })
  ]
}
`

// fakeDist is a frontend build with one module script.
func fakeDist(t *testing.T) string {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "assets"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "index.html"), []byte(`<!doctype html>
<html lang="en">
  <head>
    <script type="module" crossorigin src="/assets/index.js"></script>
  </head>
  <body><div id="app"></div></body>
</html>
`), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "assets", "index.js"), []byte("console.log('app')\n"), 0o644))
	return dir
}

type harness struct {
	t    *testing.T
	srv  *Server
	url  string
	dir  string
	path string
}

func newHarness(t *testing.T) *harness {
	dir := t.TempDir()
	path := filepath.Join(dir, "orders.kumeo")
	require.NoError(t, os.WriteFile(path, []byte(workflow), 0o644))
	srv, url := Start(t, Options{Dist: fakeDist(t), Workspace: dir, Bus: bustest.Run(t), MetricsInterval: 50 * time.Millisecond})
	return &harness{t: t, srv: srv, url: url, dir: dir, path: path}
}

// call posts args to a bound method and returns the decoded answer.
func (h *harness) call(service, method string, args ...any) (status int, result json.RawMessage, errMsg string) {
	h.t.Helper()
	if args == nil {
		args = []any{}
	}
	body, err := json.Marshal(args)
	require.NoError(h.t, err)
	res, err := http.Post(h.url+"/bind/"+service+"/"+method, "application/json", bytes.NewReader(body))
	require.NoError(h.t, err)
	defer res.Body.Close()
	var answer struct {
		Result json.RawMessage `json:"result"`
		Error  *string         `json:"error"`
	}
	require.NoError(h.t, json.NewDecoder(res.Body).Decode(&answer))
	if answer.Error != nil {
		errMsg = *answer.Error
	}
	return res.StatusCode, answer.Result, errMsg
}

// stream connects to /events and returns the events as they come.
func (h *harness) stream() <-chan Event {
	h.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	h.t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.url+"/events", nil)
	require.NoError(h.t, err)
	res, err := http.DefaultClient.Do(req)
	require.NoError(h.t, err)
	require.Equal(h.t, "text/event-stream", res.Header.Get("Content-Type"))
	r := bufio.NewReader(res.Body)
	readBlock := func() (string, error) {
		var b strings.Builder
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return "", err
			}
			if line == "\n" {
				return b.String(), nil
			}
			b.WriteString(line)
		}
	}
	first, err := readBlock()
	require.NoError(h.t, err)
	require.Equal(h.t, "event: ready\ndata: {}\n", first, "the stream says when it is connected")
	out := make(chan Event, 1024)
	go func() {
		defer res.Body.Close()
		defer close(out)
		for {
			block, err := readBlock()
			if err != nil {
				return
			}
			if strings.HasPrefix(block, ":") {
				continue
			}
			var ev Event
			if json.Unmarshal([]byte(strings.TrimSuffix(strings.TrimPrefix(block, "data: "), "\n")), &ev) == nil {
				out <- ev
			}
		}
	}()
	return out
}

// next waits for the next event called name.
func next(t *testing.T, events <-chan Event, name string) Event {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev, ok := <-events:
			require.True(t, ok, "the event stream ended before %s", name)
			if ev.Name == name {
				return ev
			}
		case <-timeout:
			t.Fatalf("no %s event", name)
		}
	}
}

func TestServesIndexWithShimFirst(t *testing.T) {
	h := newHarness(t)
	res, err := http.Get(h.url + "/")
	require.NoError(t, err)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	html := string(body)
	shimAt := strings.Index(html, `<script src="/__e2e/shim.js"></script>`)
	require.GreaterOrEqual(t, shimAt, 0, html)
	assert.Less(t, shimAt, strings.Index(html, `src="/assets/index.js"`), "the shim runs before the app")

	for path, want := range map[string]string{
		"/assets/index.js": "console.log('app')",
		"/__e2e/shim.js":   "window.go = new Proxy",
	} {
		res, err := http.Get(h.url + path)
		require.NoError(t, err)
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		assert.Equal(t, http.StatusOK, res.StatusCode, path)
		assert.Contains(t, string(b), want, path)
	}
}

func TestBindCallsServicesAndStreamsEvents(t *testing.T) {
	h := newHarness(t)
	events := h.stream()

	// Relative to the workspace directory, as the page would ask.
	status, result, errMsg := h.call("Workspace", "Open", "orders.kumeo")
	require.Equal(t, http.StatusOK, status, errMsg)
	require.Empty(t, errMsg)
	var doc app.Doc
	require.NoError(t, json.Unmarshal(result, &doc))
	assert.Equal(t, h.path, doc.Path)
	assert.Equal(t, workflow, doc.Text)
	assert.True(t, doc.ParseOK)

	ev := next(t, events, app.EventOpened)
	require.Len(t, ev.Data, 1)
	assert.Equal(t, h.path, ev.Data[0].(map[string]any)["path"])

	// Errors come back as the message, like Wails rejects.
	_, result, errMsg = h.call("Workspace", "Apply", h.path, `{"op":"remove_agent","id":"validate"}`, doc.Version+1)
	assert.Contains(t, errMsg, "stale edit")
	assert.Equal(t, "", string(result))

	_, result, errMsg = h.call("Workspace", "Apply", h.path, `{"op":"remove_agent","id":"validate"}`, doc.Version)
	require.Empty(t, errMsg)
	var change struct {
		Version int `json:"version"`
		Length  int `json:"length"`
		Edits   []struct {
			Text string `json:"text"`
		} `json:"edits"`
	}
	require.NoError(t, json.Unmarshal(result, &change))
	assert.Equal(t, doc.Version+1, change.Version)
	assert.NotEmpty(t, change.Edits)
	assert.Less(t, change.Length, len([]rune(workflow)), "the agent's text is gone")

	// A method without an error result.
	_, result, errMsg = h.call("Workspace", "Specs")
	require.Empty(t, errMsg)
	var specs []map[string]any
	require.NoError(t, json.Unmarshal(result, &specs))
	assert.NotEmpty(t, specs)

	// Runs stream their events too.
	_, _, errMsg = h.call("Workspace", "Revert", h.path)
	require.Empty(t, errMsg)
	_, result, errMsg = h.call("Runs", "Start", h.path)
	require.Empty(t, errMsg)
	var info app.RunInfo
	require.NoError(t, json.Unmarshal(result, &info))
	assert.Equal(t, "Orders", info.Workflow)
	st := next(t, events, app.StatusEventName(info.ID))
	assert.Equal(t, "running", st.Data[0].(map[string]any)["state"])

	_, _, errMsg = h.call("Runs", "Send", info.ID, "orders.in", `{"id": 1}`)
	require.Empty(t, errMsg)
	for {
		m := next(t, events, app.MetricsEventName(info.ID))
		if m.Data[0].(map[string]any)["ledger"].(map[string]any)["events_out"].(float64) == 1 {
			break
		}
	}
	_, _, errMsg = h.call("Runs", "Stop", info.ID)
	require.Empty(t, errMsg)

	assert.NotEmpty(t, h.srv.Events())
}

// The page's socket: answers find their call by id whatever order they
// come in, errors come back as the message, and events arrive on it.
func TestIPCSocket(t *testing.T) {
	h := newHarness(t)
	conn, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(h.url, "http")+"/ipc", nil)
	require.NoError(t, err)
	defer conn.Close()
	read := func() map[string]any {
		t.Helper()
		require.NoError(t, conn.SetReadDeadline(time.Now().Add(10*time.Second)))
		var m map[string]any
		require.NoError(t, conn.ReadJSON(&m))
		return m
	}
	assert.Equal(t, map[string]any{"ready": true}, read(), "the socket says when events flow")

	send := func(id int, service, method string, args ...any) {
		t.Helper()
		if args == nil {
			args = []any{}
		}
		require.NoError(t, conn.WriteJSON(map[string]any{"id": id, "service": service, "method": method, "args": args}))
	}
	answers := map[float64]map[string]any{}
	var opened []any
	var malformed string
	readUntil := func(done func() bool) {
		t.Helper()
		for !done() {
			m := read()
			switch {
			case m["name"] == app.EventOpened:
				opened = m["data"].([]any)
			case m["id"] != nil && m["id"].(float64) != 0:
				answers[m["id"].(float64)] = m
			default:
				malformed, _ = m["error"].(string)
			}
		}
	}
	// Calls run side by side, so the edit waits for the document to be open.
	send(1, "Workspace", "Open", "orders.kumeo")
	readUntil(func() bool { return answers[1] != nil })
	send(2, "Workspace", "Apply", "orders.kumeo", `{"op":"remove_agent","id":"nope"}`, 1)
	send(3, "Workspace", "Nope")
	send(4, "Workspace", "Open", 7)
	require.NoError(t, conn.WriteMessage(websocket.TextMessage, []byte("not json")))
	readUntil(func() bool { return len(answers) == 4 && opened != nil && malformed != "" })
	assert.Equal(t, h.path, answers[1]["result"].(map[string]any)["path"])
	assert.Nil(t, answers[1]["error"])
	assert.Contains(t, answers[2]["error"], "nope", "the service's error comes back as the message")
	assert.Equal(t, "method 'Workspace.Nope' not registered", answers[3]["error"])
	assert.Contains(t, answers[4]["error"], "argument 1")
	assert.Contains(t, malformed, "expected {")
	require.Len(t, opened, 1)
	assert.Equal(t, h.path, opened[0].(map[string]any)["path"])
}

func TestBindRefusesBadCalls(t *testing.T) {
	h := newHarness(t)
	status, _, errMsg := h.call("Workspace", "Nope")
	assert.Equal(t, http.StatusNotFound, status)
	assert.Contains(t, errMsg, "Workspace.Nope")
	status, _, errMsg = h.call("Nobody", "Open", "x")
	assert.Equal(t, http.StatusNotFound, status)
	assert.NotEmpty(t, errMsg)
	status, _, errMsg = h.call("Workspace", "Open")
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Contains(t, errMsg, "expected 1")
	status, _, errMsg = h.call("Workspace", "Open", 42)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Contains(t, errMsg, "argument 1")

	res, err := http.Get(h.url + "/bind/Workspace/Specs")
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, res.StatusCode)
}

func TestEmitEndpointAndHistory(t *testing.T) {
	h := newHarness(t)
	events := h.stream()
	res, err := http.Post(h.url+"/__e2e/emit", "application/json", strings.NewReader(`{"name":"custom:ping","data":[1,"two"]}`))
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	ev := next(t, events, "custom:ping")
	assert.Equal(t, []any{1.0, "two"}, ev.Data)

	res, err = http.Get(h.url + "/__e2e/events")
	require.NoError(t, err)
	var hist []Event
	require.NoError(t, json.NewDecoder(res.Body).Decode(&hist))
	res.Body.Close()
	require.NotEmpty(t, hist)
	assert.Equal(t, "custom:ping", hist[len(hist)-1].Name)
}

// The shim itself, run by Node against the live server: bound calls and
// events over the socket, rejections with the message, EventsOnce.
func TestShimInNode(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed")
	}
	h := newHarness(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	args := []string{filepath.Join("testdata", "shim_node.mjs"), h.url, "shim.js", "orders.kumeo"}
	if has, _ := exec.Command(node, "-p", "typeof WebSocket").Output(); strings.TrimSpace(string(has)) != "function" {
		args = append([]string{"--experimental-websocket"}, args...) // Node 20
	}
	cmd := exec.CommandContext(ctx, node, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "stderr: %s", stderr.String())
	var got map[string]any
	require.NoError(t, json.Unmarshal(out, &got), "%s", out)
	assert.Equal(t, h.path, got["openedPath"])
	assert.Equal(t, h.path, got["eventPath"], "the event arrived through the socket")
	assert.Equal(t, 1.0, got["version"])
	assert.Contains(t, got["staleError"], "stale edit")
	assert.Greater(t, got["specs"], 10.0)
	assert.Equal(t, 1.0, got["once"])
	assert.Equal(t, "e2e", got["environment"])
}

// Serve uses the real frontend build when there is one.
func TestServeRealDist(t *testing.T) {
	url := Serve(t, t.TempDir())
	res, err := http.Get(url + "/")
	require.NoError(t, err)
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	assert.Contains(t, string(b), ShimPath)
	assert.Contains(t, string(b), `<div id="app">`)
}

func TestInjectShimWithoutHead(t *testing.T) {
	got := string(injectShim([]byte("<p>x</p>")))
	assert.Equal(t, fmt.Sprintf(`<script src="%s"></script><p>x</p>`, ShimPath), got)
	got = string(injectShim([]byte("<HTML><HEAD><title>t</title></HEAD>")))
	assert.Equal(t, fmt.Sprintf(`<HTML><HEAD><script src="%s"></script><title>t</title></HEAD>`, ShimPath), got)
}

// The Deploy service is bound like the others and uses the kubeconfig
// the harness is given; its coded errors reach the page as JSON.
func TestBindsDeployWithKubeconfig(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "orders.kumeo")
	require.NoError(t, os.WriteFile(path, []byte(workflow), 0o644))
	kubeconfig := filepath.Join(dir, "kubeconfig")
	require.NoError(t, os.WriteFile(kubeconfig, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: one, context: {cluster: c, user: u}}, {name: two, context: {cluster: c, user: u}}]
current-context: two
`), 0o644))
	srv, url := Start(t, Options{Dist: fakeDist(t), Workspace: dir, Kubeconfig: kubeconfig})
	h := &harness{t: t, srv: srv, url: url, dir: dir, path: path}

	status, result, errMsg := h.call("Deploy", "Contexts")
	require.Equal(t, http.StatusOK, status, errMsg)
	assert.JSONEq(t, `{"contexts": ["one", "two"], "current": "two"}`, string(result))

	_, _, errMsg = h.call("Workspace", "Open", path)
	require.Empty(t, errMsg)
	_, _, errMsg = h.call("Deploy", "Preview", app.DeployTarget{Path: path, Context: "three"})
	var coded struct{ Code, Message string }
	require.NoError(t, json.Unmarshal([]byte(errMsg), &coded), errMsg)
	assert.Equal(t, "kubeconfig", coded.Code)
	assert.Contains(t, coded.Message, `no context "three"`)
}
