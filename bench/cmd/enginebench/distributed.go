package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/kumeo/kumeo/bench/internal/cluster"
	"github.com/kumeo/kumeo/bench/internal/loadgen"
	"github.com/kumeo/kumeo/bench/internal/workload"
)

// runDistributed runs the workflow as a cluster does: a NATS server in a
// process of its own (this program re-executed with -nats-server) and
// every agent as its own `kumeo agent` process, all over TCP loopback. The
// load generator publishes on the source subject and reads the targets
// on its own TCP connection. The result's CPU and RSS are the sums over
// the server and agent processes; the load generator's are apart.
func runDistributed(c config, opts loadgen.Options) (childResult, error) {
	self, err := os.Executable()
	if err != nil {
		return childResult{}, err
	}
	if c.kumeoBin == "" {
		return childResult{}, errors.New("no kumeo binary (-kumeo-bin)")
	}
	flags, err := agentFlags(c)
	if err != nil {
		return childResult{}, err
	}
	var env []string
	if c.agentProcs > 0 {
		env = []string{fmt.Sprintf("GOMAXPROCS=%d", c.agentProcs)}
	}
	cl, err := cluster.Start(cluster.Options{Kumeo: c.kumeoBin, Workflow: c.workflow, Name: workload.Workflow,
		NATSCommand: []string{self, "-nats-server"}, AgentFlags: flags, AgentEnv: env})
	if err != nil {
		return childResult{}, err
	}
	names, pids := cl.PIDs()
	start := make([]time.Duration, len(pids))
	end := make([]time.Duration, len(pids))
	measure := opts.OnMeasure
	opts.OnMeasure = func(begin bool) {
		for i, pid := range pids {
			if begin {
				start[i] = cluster.ProcCPU(pid)
			} else {
				end[i] = cluster.ProcCPU(pid)
			}
		}
		if measure != nil {
			measure(begin)
		}
	}
	var res loadgen.Result
	nc, runErr := nats.Connect(cl.URL, nats.Name("enginebench"))
	if runErr == nil {
		res, runErr = loadgen.RunNATS(nc, opts)
		nc.Close()
	}
	stats, stopErr := cl.Stop(20 * time.Second)
	out := childResult{Result: res}
	window := map[string]float64{}
	for i, name := range names {
		window[name] = (end[i] - start[i]).Seconds()
	}
	for _, st := range stats {
		cpu := window[st.Name]
		p := partStat{Name: st.Name, RSSMB: float64(st.MaxRSS) / (1 << 20), CPUSeconds: cpu, Counts: st.Counts}
		out.Parts = append(out.Parts, p)
		out.RSSMB += p.RSSMB
		out.CPUSeconds += cpu
		if st.Counts != nil {
			out.Agents = append(out.Agents, agentStat{ID: st.Name, In: st.Counts["in"]})
		}
	}
	if runErr != nil {
		return out, runErr
	}
	if stopErr != nil {
		return out, fmt.Errorf("stop: %w", stopErr)
	}
	return out, nil
}

// agentFlags are the flags added to every agent's command line.
func agentFlags(c config) ([]string, error) {
	if c.agentFlags == "auto" {
		return cluster.DetectAgentFlags(c.kumeoBin)
	}
	return strings.Fields(c.agentFlags), nil
}
