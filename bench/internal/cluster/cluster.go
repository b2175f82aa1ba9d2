// Package cluster runs a workflow the way a cluster runs it, on one
// machine: a NATS server in a process of its own and every agent of the
// workflow as its own `kumeo agent` process, connected to the server over
// TCP loopback. Start returns once every agent is subscribed to its input;
// the caller then publishes on the workflow's source subjects and reads its
// targets through URL. Stop stops the processes and reports each one's
// peak RSS and CPU time.
//
// Sources: a NATS source has no adapter of its own; the process of the
// agent that reads "source" subscribes to the source subjects (in a queue
// group), and no other process does, so each published event enters the
// workflow exactly once.
package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/kumeo/kumeo/dsl"
	"github.com/kumeo/kumeo/engine"
)

// Options configure a cluster.
type Options struct {
	Kumeo    string // the kumeo binary (see Build)
	Workflow string // the .kumeo file
	Name     string // workflow to run when the file has several
	// NATSCommand is the command line of a process that serves NATS by
	// calling ServeNATS (typically the calling program re-executed with a
	// flag of its own).
	NATSCommand []string
	// AgentFlags are added to every `kumeo agent` command line (see
	// AgentArgs and DetectAgentFlags).
	AgentFlags []string
	// AgentEnv is added to the agents' environment (e.g. GOMAXPROCS=1,
	// what Go sets in a pod whose CPU limit is 1 or less).
	AgentEnv []string
	// Timeout bounds the wait for the server and the agents to be ready;
	// 0 means 60 s.
	Timeout time.Duration
}

// Cluster is a running NATS server process and one process per agent.
type Cluster struct {
	// URL is the NATS server's client URL, MonitorURL its HTTP monitoring
	// endpoint.
	URL, MonitorURL string
	nats            *Proc
	agents          []*Proc
}

// Stat is what one process used, read when it exited.
type Stat struct {
	Name   string        `json:"name"` // "nats" or the agent id
	PID    int           `json:"pid"`
	MaxRSS int64         `json:"max_rss_bytes"`
	CPU    time.Duration `json:"cpu_ns"` // user + system over its life
	// Counts are an agent's totals as it logged them when it stopped: in,
	// out, filtered, dead_lettered.
	Counts map[string]uint64 `json:"counts,omitempty"`
}

// AgentArgs is the command line (after the binary) of the process running
// agent id against url: the one place that says how a benchmark starts an
// agent.
func AgentArgs(o Options, id, url string) []string {
	args := []string{"agent", "--workflow", o.Workflow, "--agent", id, "--nats", url}
	if o.Name != "" {
		args = append(args, "--name", o.Name)
	}
	return append(args, o.AgentFlags...)
}

// DetectAgentFlags returns the flags every agent of a benchmark needs with
// this kumeo binary: `--listen=` (no health and metrics server, whose
// default port several processes cannot share) when `kumeo agent` has
// that flag, nothing otherwise.
func DetectAgentFlags(kumeo string) ([]string, error) {
	out, _ := exec.Command(kumeo, "agent", "-h").CombinedOutput() // -h exits non-zero
	if !strings.Contains(string(out), "--workflow") && !strings.Contains(string(out), "-workflow") {
		return nil, fmt.Errorf("%s agent -h: expected the usage of kumeo agent, got %q", kumeo, tail(string(out), 400))
	}
	if strings.Contains(string(out), "-listen") {
		return []string{"--listen="}, nil
	}
	return nil, nil
}

// Build builds the kumeo binary without cgo into dir and returns its path.
// It runs the go command in the current directory, which must be inside
// the Kumeo module.
func Build(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "kumeo")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/kumeo/kumeo/cmd/kumeo")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build kumeo: %w\n%s", err, out)
	}
	return bin, nil
}

// Start starts the NATS server, then one process per agent of the
// workflow, and returns when every agent has said it runs and the server
// shows a subscription on every agent's input. On failure whatever was
// started is stopped.
func Start(o Options) (*Cluster, error) {
	if o.Timeout <= 0 {
		o.Timeout = 60 * time.Second
	}
	inputs, err := agentInputs(o)
	if err != nil {
		return nil, err
	}
	c := &Cluster{}
	if err := c.startNATS(o); err != nil {
		c.kill()
		return nil, err
	}
	deadline := time.Now().Add(o.Timeout)
	for _, in := range inputs {
		p, err := startAgent(o, in.agent, c.URL)
		if err != nil {
			c.kill()
			return nil, err
		}
		c.agents = append(c.agents, p)
	}
	for _, p := range c.agents {
		if err := p.waitReady(deadline); err != nil {
			c.kill()
			return nil, err
		}
	}
	if err := c.waitSubscribed(inputs, deadline); err != nil {
		c.kill()
		return nil, err
	}
	return c, nil
}

// input is an agent and the subjects it reads.
type input struct {
	agent    string
	subjects []string
}

// agentInputs compiles the workflow and lists its agents with the NATS
// subjects each reads: the source subjects for agents reading "source",
// the channel's subject otherwise.
func agentInputs(o Options) ([]input, error) {
	src, err := os.ReadFile(o.Workflow)
	if err != nil {
		return nil, err
	}
	f, diags := dsl.Parse(o.Workflow, src)
	if diags.HasErrors() {
		return nil, fmt.Errorf("%s: %w", o.Workflow, diags)
	}
	plan, diags := engine.Compile(f, o.Name, engine.PlanOptions{Dir: filepath.Dir(o.Workflow)})
	if plan == nil {
		return nil, fmt.Errorf("%s: %w", o.Workflow, diags)
	}
	var out []input
	for _, ap := range plan.Agents {
		in := input{agent: ap.ID}
		if ap.Input == "source" {
			for _, s := range plan.Sources {
				in.subjects = append(in.subjects, s.Subjects...)
			}
		} else {
			in.subjects = []string{engine.Subject(plan.Name, ap.Input)}
		}
		out = append(out, in)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: workflow %s has no agents", o.Workflow, plan.Name)
	}
	return out, nil
}

func (c *Cluster) startNATS(o Options) error {
	if len(o.NATSCommand) == 0 {
		return errors.New("cluster: no NATS command")
	}
	urls := make(chan []string, 1)
	p, err := startProc("nats", o.NATSCommand[0], o.NATSCommand[1:], nil, func(line string) {
		if rest, ok := strings.CutPrefix(line, readyPrefix+" "); ok {
			select {
			case urls <- strings.Fields(rest):
			default:
			}
		}
	})
	if err != nil {
		return err
	}
	c.nats = p
	select {
	case u := <-urls:
		if len(u) != 2 {
			return fmt.Errorf("cluster: NATS server: expected %q followed by two URLs", readyPrefix)
		}
		c.URL, c.MonitorURL = u[0], u[1]
		return nil
	case <-p.exited:
		return p.exitError("before accepting clients")
	case <-time.After(o.Timeout):
		return fmt.Errorf("cluster: NATS server not ready after %s:\n%s", o.Timeout, p.out.tail())
	}
}

func startAgent(o Options, id, url string) (*Proc, error) {
	ready := make(chan struct{})
	counts := make(chan map[string]uint64, 1)
	p, err := startProc(id, o.Kumeo, AgentArgs(o, id, url), o.AgentEnv, func(line string) {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) != nil {
			return
		}
		switch rec["msg"] {
		case "agent running":
			select {
			case <-ready:
			default:
				close(ready)
			}
		case "agent stopped":
			if rec["agent"] != id {
				return // a process logs every agent of the workflow, its own counted
			}
			m := map[string]uint64{}
			for _, k := range []string{"in", "out", "filtered", "dead_lettered"} {
				if v, ok := rec[k].(float64); ok {
					m[k] = uint64(v)
				}
			}
			select {
			case counts <- m:
			default:
			}
		}
	})
	if err != nil {
		return nil, err
	}
	p.ready, p.counts = ready, counts
	return p, nil
}

// Stop stops the agents (SIGINT: each drains what it holds), then the
// server, and returns what each process used, the server first. A
// process that exited before Stop, or does not exit within timeout, is an
// error.
func (c *Cluster) Stop(timeout time.Duration) ([]Stat, error) {
	var errs []error
	for _, p := range c.agents {
		if p.hasExited() {
			errs = append(errs, p.exitError("while running"))
		}
	}
	for _, p := range c.agents {
		_ = p.cmd.Process.Signal(os.Interrupt)
	}
	for _, p := range c.agents {
		errs = append(errs, p.wait(timeout))
	}
	if c.nats.hasExited() {
		errs = append(errs, c.nats.exitError("while running"))
	}
	_ = c.nats.cmd.Process.Signal(os.Interrupt)
	errs = append(errs, c.nats.wait(timeout))
	stats := []Stat{c.nats.stat()}
	for _, p := range c.agents {
		stats = append(stats, p.stat())
	}
	return stats, errors.Join(errs...)
}

// kill ends every process at once (a failed start).
func (c *Cluster) kill() {
	for _, p := range append(c.agents, c.nats) {
		if p != nil {
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	}
}

// PIDs lists the processes: the server, then the agents in the workflow's
// order, with their names.
func (c *Cluster) PIDs() (names []string, pids []int) {
	for _, p := range append([]*Proc{c.nats}, c.agents...) {
		names = append(names, p.Name)
		pids = append(pids, p.cmd.Process.Pid)
	}
	return names, pids
}

// waitSubscribed polls the server's monitoring endpoint until every
// agent's input subjects have a subscription.
func (c *Cluster) waitSubscribed(inputs []input, deadline time.Time) error {
	var missing []string
	for {
		subs, err := c.subscriptions()
		if err != nil {
			return err
		}
		missing = missing[:0]
		for _, in := range inputs {
			for _, s := range in.subjects {
				if subs[s] == 0 {
					missing = append(missing, in.agent+": "+s)
				}
			}
		}
		if len(missing) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("cluster: no subscription after the agents started: %s", strings.Join(missing, ", "))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// subscriptions counts the server's subscriptions per subject.
func (c *Cluster) subscriptions() (map[string]int, error) {
	resp, err := http.Get(c.MonitorURL + "/subsz?subs=1&limit=100000")
	if err != nil {
		return nil, fmt.Errorf("cluster: NATS monitoring: %w", err)
	}
	defer resp.Body.Close()
	var body struct {
		Subs []struct {
			Subject string `json:"subject"`
		} `json:"subscriptions_list"`
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("cluster: NATS monitoring /subsz: %s", resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, fmt.Errorf("cluster: NATS monitoring /subsz: %w", err)
	}
	n := map[string]int{}
	for _, s := range body.Subs {
		n[s.Subject]++
	}
	return n, nil
}

// ProcCPU is the user + system CPU time process pid has used so far, from
// /proc/<pid>/stat (in clock ticks of 1/100 s); 0 when it cannot be read.
func ProcCPU(pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// The command name (field 2) may hold spaces: fields count from the
	// last ')'.
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		s = s[i+1:]
	}
	f := strings.Fields(s)
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

func syscallRusage(p *Proc) *syscall.Rusage {
	if p.cmd.ProcessState == nil {
		return nil
	}
	ru, _ := p.cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return ru
}
