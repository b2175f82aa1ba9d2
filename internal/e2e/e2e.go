// Package e2e serves the built frontend with the real Go services behind it,
// for browser tests without Wails, WebKit or a display.
//
// The page gets a small shim (shim.js) in place of the Wails runtime:
// window.go.app.<Service>.<Method>(...args) sends the call over a WebSocket
// (/ipc, see ipc.go) and the harness calls the service's method by
// reflection, exactly the methods Wails binds; window.runtime.EventsOn and
// friends receive what the services emit over the same socket. The same
// calls and events are served over plain HTTP (/bind, /events) for tests
// and scripts.
//
// Go tests call Serve (or Start for more control); browser tests driven from
// Node run `go run ./internal/e2e/cmd/serve`, which prints the URL.
//
// Routes:
//
//	GET  /                       index.html with the shim loaded first
//	GET  /...                    files of the frontend build
//	POST /bind/<Service>/<Method>  body: JSON array of arguments;
//	                             answer: {"result": ...} or {"error": "message"}
//	GET  /ipc                    WebSocket: calls and events (ipc.go)
//	GET  /events                 server-sent events: "ready" once connected,
//	                             then one message {"name", "data": [...]} per event
//	GET  /__e2e/shim.js          the shim
//	GET  /__e2e/events           every event emitted so far (bounded), as JSON
//	POST /__e2e/emit             {"name", "data": [...]}: emit an event to the page
package e2e

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/kumeo/kumeo/app"
	"github.com/kumeo/kumeo/dsl/document"
	"github.com/kumeo/kumeo/engine/bus"
)

//go:embed shim.js
var shim []byte

// ShimPath is where the shim is served.
const ShimPath = "/__e2e/shim.js"

// MaxHistory bounds the events /__e2e/events keeps.
const MaxHistory = 2000

// Options configure a Server.
type Options struct {
	// Dist is the frontend build directory (frontend/dist).
	Dist string
	// Workspace is the directory relative paths resolve against.
	Workspace string
	// ConfigDir holds the recent-files list; empty keeps it in memory.
	ConfigDir string
	// InitialPath is the file Workspace.InitialPath reports.
	InitialPath string
	// Bus runs the workflows; nil starts one on the first run.
	Bus *bus.Bus
	// MetricsInterval between run metrics events; zero is the app's default.
	MetricsInterval time.Duration
	// Kubeconfig is the kubeconfig the Deploy service uses; empty is the
	// app's default ($KUBECONFIG, else ~/.kube/config).
	Kubeconfig string
}

// Server is the frontend and the app's services behind one http.Handler.
type Server struct {
	App *app.App

	dist     string
	index    []byte
	services map[string]reflect.Value
	files    http.Handler

	mu      sync.Mutex
	clients map[chan []byte]struct{}
	history []Event
}

// Event is one event emitted to the page.
type Event struct {
	Name string `json:"name"`
	Data []any  `json:"data"`
}

// New builds a Server for the frontend build in opts.Dist.
func New(opts Options) (*Server, error) {
	index, err := os.ReadFile(filepath.Join(opts.Dist, "index.html"))
	if err != nil {
		return nil, fmt.Errorf("e2e: the frontend build: %w", err)
	}
	s := &Server{dist: opts.Dist, index: injectShim(index), clients: map[chan []byte]struct{}{},
		files: http.FileServer(http.Dir(opts.Dist))}
	config := opts.ConfigDir
	if config == "" {
		config = "-"
	}
	s.App = app.New(app.Options{
		Emit:      s.Emit,
		Workspace: app.WorkspaceOptions{InitialPath: opts.InitialPath, Dir: opts.Workspace, ConfigDir: config},
		Runs:      app.RunsOptions{Bus: opts.Bus, Interval: opts.MetricsInterval},
		Deploy:    app.DeployOptions{Kubeconfig: opts.Kubeconfig},
	})
	s.services = map[string]reflect.Value{
		"Workspace": reflect.ValueOf(s.App.Workspace),
		"Runs":      reflect.ValueOf(s.App.Runs),
		"Deploy":    reflect.ValueOf(s.App.Deploy),
	}
	return s, nil
}

// injectShim loads the shim before any script of the page.
func injectShim(index []byte) []byte {
	tag := []byte(`<script src="` + ShimPath + `"></script>`)
	lower := bytes.ToLower(index)
	if i := bytes.Index(lower, []byte("<head>")); i >= 0 {
		i += len("<head>")
		return append(append(append([]byte{}, index[:i]...), tag...), index[i:]...)
	}
	return append(tag, index...)
}

// Close stops the app's runs and watchers.
func (s *Server) Close(ctx context.Context) error {
	s.mu.Lock()
	for c := range s.clients {
		close(c)
		delete(s.clients, c)
	}
	s.mu.Unlock()
	return s.App.Shutdown(ctx)
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasPrefix(r.URL.Path, "/bind/"):
		s.serveBind(w, r)
	case r.URL.Path == "/events":
		s.serveEvents(w, r)
	case r.URL.Path == "/ipc":
		s.serveIPC(w, r)
	case r.URL.Path == ShimPath:
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Write(shim)
	case r.URL.Path == "/__e2e/events":
		s.mu.Lock()
		h := append([]Event{}, s.history...)
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, h)
	case r.URL.Path == "/__e2e/emit" && r.Method == http.MethodPost:
		var ev Event
		if err := json.NewDecoder(r.Body).Decode(&ev); err != nil || ev.Name == "" {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "expected {\"name\": ..., \"data\": [...]}"})
			return
		}
		s.Emit(ev.Name, ev.Data...)
		writeJSON(w, http.StatusOK, map[string]any{})
	case r.URL.Path == "/" || r.URL.Path == "/index.html":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Write(s.index)
	default:
		s.files.ServeHTTP(w, r)
	}
}

// serveBind calls a bound method with the JSON array of arguments in the
// body: {"result": value} or {"error": message}.
func (s *Server) serveBind(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "POST the arguments as a JSON array"})
		return
	}
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/bind/"), "/")
	if len(parts) != 2 {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "expected /bind/<Service>/<Method>"})
		return
	}
	var raw []json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&raw); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "error parsing arguments: " + err.Error()})
		return
	}
	result, status, err := s.invoke(parts[0], parts[1], raw)
	if err != nil {
		writeJSON(w, status, map[string]string{"error": document.WireError(err)})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"result": result})
}

// invoke calls a bound method with its JSON arguments, as Wails does: the
// last result, when it is an error, is the call's error; the other result,
// if any, its value. status is the HTTP status that fits the outcome.
func (s *Server) invoke(service, method string, raw []json.RawMessage) (result any, status int, err error) {
	svc, ok := s.services[service]
	var m reflect.Value
	if ok {
		m = svc.MethodByName(method)
	}
	if !m.IsValid() {
		return nil, http.StatusNotFound, fmt.Errorf("method '%s.%s' not registered", service, method)
	}
	args, err := decodeArgs(m.Type(), raw)
	if err != nil {
		return nil, http.StatusBadRequest, fmt.Errorf("error parsing arguments: %w", err)
	}
	out := m.Call(args)
	if n := len(out); n > 0 && m.Type().Out(n-1) == errorType {
		if e := out[n-1].Interface(); e != nil {
			return nil, http.StatusOK, e.(error)
		}
		out = out[:n-1]
	}
	if len(out) > 0 {
		result = out[0].Interface()
	}
	return result, http.StatusOK, nil
}

var errorType = reflect.TypeFor[error]()

func decodeArgs(t reflect.Type, raw []json.RawMessage) ([]reflect.Value, error) {
	if len(raw) != t.NumIn() {
		return nil, fmt.Errorf("received %d arguments to method, expected %d", len(raw), t.NumIn())
	}
	args := make([]reflect.Value, len(raw))
	for i, r := range raw {
		p := reflect.New(t.In(i))
		if err := json.Unmarshal(r, p.Interface()); err != nil {
			return nil, fmt.Errorf("argument %d: %w", i+1, err)
		}
		args[i] = p.Elem()
	}
	return args, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b, _ = json.Marshal(map[string]string{"error": "encode the result: " + err.Error()})
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

// Emit sends an event to every connected page; it is the app's Emitter.
// It never blocks: a page that does not keep up loses events.
func (s *Server) Emit(name string, data ...any) {
	if data == nil {
		data = []any{}
	}
	ev := Event{Name: name, Data: data}
	b, err := json.Marshal(ev)
	if err != nil {
		b, _ = json.Marshal(Event{Name: name, Data: []any{map[string]string{"error": err.Error()}}})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.history = append(s.history, ev)
	if len(s.history) > MaxHistory {
		s.history = append(s.history[:0:0], s.history[len(s.history)-MaxHistory:]...)
	}
	for c := range s.clients {
		select {
		case c <- b:
		default:
		}
	}
}

// Events returns the events emitted so far (the last MaxHistory).
func (s *Server) Events() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Event{}, s.history...)
}

// subscribe registers a page's event queue; Emit drops events for a page
// whose queue is full. Close closes every queue.
func (s *Server) subscribe() chan []byte {
	c := make(chan []byte, 4096)
	s.mu.Lock()
	s.clients[c] = struct{}{}
	s.mu.Unlock()
	return c
}

func (s *Server) unsubscribe(c chan []byte) {
	s.mu.Lock()
	delete(s.clients, c)
	s.mu.Unlock()
}

func (s *Server) serveEvents(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	c := s.subscribe()
	defer s.unsubscribe(c)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("Connection", "keep-alive")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, "event: ready\ndata: {}\n\n")
	fl.Flush()
	keepAlive := time.NewTicker(15 * time.Second)
	defer keepAlive.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case b, ok := <-c:
			if !ok {
				return
			}
			if _, err := fmt.Fprintf(w, "data: %s\n\n", b); err != nil {
				return
			}
			fl.Flush()
		case <-keepAlive.C:
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
				return
			}
			fl.Flush()
		}
	}
}

// ErrNoDist is returned by FindDist when the frontend has not been built.
var ErrNoDist = errors.New("e2e: frontend/dist has no index.html (build the frontend first: cd frontend && npm run build)")

// FindDist returns the frontend/dist directory of the module that holds the
// working directory.
func FindDist() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			dist := filepath.Join(dir, "frontend", "dist")
			if _, err := os.Stat(filepath.Join(dist, "index.html")); err != nil {
				return "", ErrNoDist
			}
			return dist, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("e2e: no go.mod above the working directory")
		}
		dir = parent
	}
}
