// Package nodered runs the fraud benchmark flow on Node-RED 4.1.x for
// comparison.
//
// The flow is four function nodes (validate, features, policy, route,
// whose code is in js/) between a "tcp in" node and a "tcp out" node in
// "reply to TCP" mode. There is no NATS node in Node-RED's core and no
// maintained NATS contrib package on npm, so events travel as lines of
// JSON over one loopback TCP connection: the cheapest transport Node-RED
// has built in (no HTTP framing, no per-event connection), and the one
// that lets the Go load generator keep W events in flight exactly as it
// does over NATS. The first node parses the line into an object, the
// function nodes pass the object along (Node-RED does not clone a message
// sent on a single wire), and the route node serialises it once, prefixed
// with the target's name where a NATS message would carry its subject.
// Dead letters are the original line, prefixed "dlq", with the reason.
package nodered

import (
	"bufio"
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/kumeo/kumeo/bench/internal/loadgen"
	"github.com/kumeo/kumeo/bench/internal/workload"
)

// Version is the Node-RED release line the benchmark installs: 4.1.x runs
// on Node 20 (Node-RED 5 needs Node >= 22.9).
const Version = "4.1"

//go:embed js/*.js
var scripts embed.FS

// Installed returns the version of Node-RED installed under prefix, or ""
// when there is none.
func Installed(prefix string) string {
	b, err := os.ReadFile(filepath.Join(prefix, "node_modules", "node-red", "package.json"))
	if err != nil {
		return ""
	}
	var p struct {
		Version string `json:"version"`
	}
	if json.Unmarshal(b, &p) != nil {
		return ""
	}
	return p.Version
}

// Install installs node-red@Version under prefix with npm unless that
// version line is already there. Progress goes to log.
func Install(ctx context.Context, prefix string, log io.Writer) (string, error) {
	if v := Installed(prefix); strings.HasPrefix(v, Version+".") {
		return v, nil
	}
	if err := os.MkdirAll(prefix, 0o755); err != nil {
		return "", err
	}
	fmt.Fprintf(log, "installing node-red@%s into %s (npm, about a minute)\n", Version, prefix)
	cmd := exec.CommandContext(ctx, "npm", "install", "node-red@"+Version, "--prefix", prefix,
		"--no-audit", "--no-fund", "--omit=dev", "--loglevel=error")
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("nodered: npm install node-red@%s: %w", Version, err)
	}
	v := Installed(prefix)
	if !strings.HasPrefix(v, Version+".") {
		return "", fmt.Errorf("nodered: npm installed node-red %q, expected %s.x", v, Version)
	}
	return v, nil
}

// Flow returns the flow file for a tcp-in node listening on port.
func Flow(port int) ([]byte, error) {
	code := func(name string) (string, error) {
		b, err := scripts.ReadFile("js/" + name + ".js")
		return string(b), err
	}
	type node map[string]any
	// Flow nodes need a position (nodes without one are config nodes);
	// ids are distinct from names, which Node-RED would read as references.
	x := 100
	pos := func(n node) node {
		n["x"], n["y"] = x, 100
		x += 180
		return n
	}
	fn := func(name string, outputs int, wires [][]string) (node, error) {
		c, err := code(name)
		if err != nil {
			return nil, err
		}
		return pos(node{"id": "fn-" + name, "type": "function", "z": "bench", "name": name, "func": c, "outputs": outputs,
			"timeout": 0, "noerr": 0, "initialize": "", "finalize": "", "libs": []any{}, "wires": wires}), nil
	}
	out := []string{"tcp-reply"}
	nodes := []node{
		{"id": "bench", "type": "tab", "label": "FraudBench"},
		pos(node{"id": "tcp-source", "type": "tcp in", "z": "bench", "name": "source", "server": "server", "host": "",
			"port": strconv.Itoa(port), "datamode": "stream", "datatype": "utf8", "newline": "\\n",
			"topic": "", "trim": false, "base64": false, "tls": "", "wires": [][]string{{"fn-validate"}}}),
	}
	for _, f := range []struct {
		name    string
		outputs int
		wires   [][]string
	}{
		{"validate", 2, [][]string{{"fn-features"}, out}},
		{"features", 2, [][]string{{"fn-policy"}, out}},
		{"policy", 2, [][]string{{"fn-route"}, out}},
		{"route", 3, [][]string{out, out, out}},
	} {
		n, err := fn(f.name, f.outputs, f.wires)
		if err != nil {
			return nil, err
		}
		nodes = append(nodes, n)
	}
	nodes = append(nodes, pos(node{"id": "tcp-reply", "type": "tcp out", "z": "bench", "name": "targets", "host": "", "port": "",
		"beserver": "reply", "base64": false, "end": false, "tls": "", "wires": []any{}}))
	return json.MarshalIndent(nodes, "", "  ")
}

// settings: no editor, no HTTP server, warnings only, no flow backups.
const settings = `module.exports = {
    flowFile: "flows.json",
    credentialSecret: "enginebench",
    flowFilePretty: true,
    httpAdminRoot: false,
    httpNodeRoot: false,
    httpStatic: undefined,
    disableEditor: true,
    logging: { console: { level: "warn", metrics: false, audit: false } },
    functionExternalModules: false,
    externalModules: { autoInstall: false, palette: { allowInstall: false } },
    editorTheme: { projects: { enabled: false } },
    telemetry: { enabled: false },
    diagnostics: { enabled: false },
    runtimeState: { enabled: false }
};
`

// Server is a running Node-RED process.
type Server struct {
	cmd    *exec.Cmd
	dir    string
	port   int
	out    *lockedBuffer
	waited chan struct{}
	err    error
}

// Start runs node red.js from prefix with the benchmark flow in a fresh
// user directory under tmp and waits until its tcp-in node accepts
// connections.
func Start(ctx context.Context, prefix, tmp string) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(tmp, "node-red-*")
	if err != nil {
		return nil, err
	}
	flow, err := Flow(port)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "flows.json"), flow, 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "settings.js"), []byte(settings), 0o644); err != nil {
		return nil, err
	}
	red := filepath.Join(prefix, "node_modules", "node-red", "red.js")
	if abs, err := filepath.Abs(red); err == nil {
		red = abs
	}
	cmd := exec.Command("node", red, "--settings", filepath.Join(dir, "settings.js"), "--userDir", dir)
	cmd.Dir = dir
	s := &Server{cmd: cmd, dir: dir, port: port, out: &lockedBuffer{}, waited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = s.out, s.out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("nodered: start node: %w", err)
	}
	go func() { s.err = cmd.Wait(); close(s.waited) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", s.Addr(), time.Second)
		if err == nil {
			c.Close()
			return s, nil
		}
		select {
		case <-s.waited:
			return nil, fmt.Errorf("nodered: node-red exited before listening: %v\n%s", s.err, s.out.String())
		case <-ctx.Done():
			s.Stop()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.Stop()
			return nil, fmt.Errorf("nodered: tcp-in node not listening on %s after 60 s\n%s", s.Addr(), s.out.String())
		}
	}
}

// Addr is the address of the flow's tcp-in node.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// PID is the node process id.
func (s *Server) PID() int { return s.cmd.Process.Pid }

// Output is what Node-RED logged.
func (s *Server) Output() string { return s.out.String() }

// Stop stops Node-RED and returns its peak resident set size in bytes.
func (s *Server) Stop() (maxRSS int64, err error) {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.waited:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.waited
	}
	defer os.RemoveAll(s.dir)
	if ru, ok := s.cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss * 1024, nil
	}
	return 0, errors.New("nodered: no resource usage for the node process")
}

// Run drives the flow in a closed loop over one TCP connection: sends
// append lines to a batch that a writer goroutine writes whenever it is
// woken, a reader goroutine reads the replies and reports each arrival.
func Run(addr string, opts loadgen.Options) (loadgen.Result, error) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return loadgen.Result{}, err
	}
	defer conn.Close()
	var (
		mu      sync.Mutex
		pending = make([]byte, 0, 64<<10)
		kick    = make(chan struct{}, 1)
	)
	d, err := loadgen.New(opts, func(b []byte) error {
		mu.Lock()
		pending = append(append(pending, b...), '\n')
		mu.Unlock()
		select {
		case kick <- struct{}{}:
		default:
		}
		return nil
	})
	if err != nil {
		return loadgen.Result{}, err
	}
	werr := make(chan error, 1)
	stop := make(chan struct{})
	go func() {
		spare := make([]byte, 0, 64<<10)
		for {
			select {
			case <-kick:
			case <-stop:
				werr <- nil
				return
			}
			mu.Lock()
			batch := pending
			pending = spare[:0]
			mu.Unlock()
			if _, err := conn.Write(batch); err != nil {
				werr <- err
				return
			}
			spare = batch
		}
	}()
	go func() {
		r := bufio.NewReaderSize(conn, 256<<10)
		for {
			line, err := r.ReadSlice('\n')
			if err != nil {
				return
			}
			name, rest, ok := bytes.Cut(line, []byte{'\t'})
			route, known := workload.RouteOfName(name)
			if !ok || !known {
				route = workload.NumRoutes
			}
			d.Arrive(route, rest)
		}
	}()
	res, err := d.Run()
	close(stop)
	if werr := <-werr; err == nil && werr != nil {
		err = werr
	}
	return res, err
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() > 1<<20 {
		return len(p), nil // keep the first MiB
	}
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
