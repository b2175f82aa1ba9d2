// Command kumeo is the headless Kumeo tool: it checks, formats, graphs and
// edits .kumeo workflows, and (in later releases of this tree) runs them
// and deploys them. It shares every package with the desktop app and builds
// without cgo, so the same binary runs inside the cluster.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/kumeo/kumeo/dsl"
)

const usage = `kumeo — event-driven agent workflows

Usage:
  kumeo check [--json] FILE...          report problems (exit 1 on errors)
  kumeo fmt [-w|-d|-l] [FILE...]        format files (stdin when none)
  kumeo graph --json FILE               print the workflow graph
  kumeo edit FILE --op JSON [-w]        apply one edit operation, print the new text
  kumeo run FILE [--input F] [--output F] [--durable DIR] [--listen ADDR] [--metrics]
                                        run a workflow on the embedded engine
  kumeo agent --workflow FILE (--agent ID | --endpoints) --nats URL [--listen ADDR]
                                        run one agent (or the sources and targets) against
                                        an external NATS, serving /healthz /readyz /metrics
  kumeo manifests FILE [--workflow W] [--rbac] [-o yaml|json]
                                        print the Kubernetes objects that deploy a workflow
  kumeo deploy FILE [--context C] [--namespace N] [--dry-run]
                                        show the change set against a cluster, or apply it,
                                        prune, record the deploy and wait for the rollout
  kumeo status FILE [--context C] [--history] [--watch]
                                        the deployed workflow's workloads and deploys, or
                                        its agents' live metrics
  kumeo rollback FILE [--context C] [--to N]
                                        restore a recorded deploy
  kumeo undeploy FILE [--context C]     delete the deployed workflow
  kumeo image [--binary PATH] [--out DIR|--tar FILE|--push REPO[:TAG]] [--extra SRC:DST]...
                                        build the runtime image, print its digest reference
  kumeo version                         print the version

Run "kumeo COMMAND -h" for the flags of a command.
`

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// exitError carries an exit status without printing anything more.
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run executes one command and returns the process exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmds := map[string]func([]string, io.Reader, io.Writer, io.Writer) error{
		"check":     cmdCheck,
		"fmt":       cmdFmt,
		"graph":     cmdGraph,
		"edit":      cmdEdit,
		"run":       cmdRun,
		"agent":     cmdAgent,
		"manifests": cmdManifests,
		"deploy":    cmdDeploy,
		"rollback":  cmdRollback,
		"status":    cmdStatus,
		"undeploy":  cmdUndeploy,
		"image":     cmdImage,
		"version": func([]string, io.Reader, io.Writer, io.Writer) error {
			fmt.Fprintln(stdout, "kumeo", version)
			return nil
		},
	}
	name := args[0]
	if name == "-h" || name == "--help" || name == "help" {
		fmt.Fprint(stdout, usage)
		return 0
	}
	cmd, ok := cmds[name]
	if !ok {
		fmt.Fprintf(stderr, "kumeo: unknown command %q\n\n%s", name, usage)
		return 2
	}
	if (name == "run" || name == "agent") && os.Getenv("GOGC") == "" {
		// Events are small and short-lived: collecting less often buys
		// throughput for little memory. GOGC still overrides it.
		debug.SetGCPercent(400)
	}
	err := cmd(args[1:], stdin, stdout, stderr)
	var code exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &code):
		return int(code)
	case errors.Is(err, flag.ErrHelp):
		return 0
	default:
		fmt.Fprintf(stderr, "kumeo %s: %v\n", name, err)
		return 1
	}
}

// newFlags returns the flag set of the command "kumeo name", which reports
// its errors and usage on stderr.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("kumeo "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// usageError prints a command's usage line on stderr and returns exit
// status 2.
func usageError(stderr io.Writer, usage string) error {
	fmt.Fprintln(stderr, "usage: "+usage)
	return exitError(2)
}

// printJSON writes v to w as JSON indented by two spaces.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// parseArgs parses flags that may appear before, between or after the
// positional arguments, and returns the positional ones.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if rest[0] == "--" {
			return append(pos, rest[1:]...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// readWorkflow reads and parses the file name, printing its diagnostics on
// stderr, and with check also runs the semantic checks of the language's
// types (Builtin: not only what the local engine runs). A file with errors
// returns exit status 1.
func readWorkflow(stderr io.Writer, name string, check bool) (*dsl.File, error) {
	src, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	f, diags := dsl.Parse(name, src)
	if check && !diags.HasErrors() {
		diags = append(diags, dsl.Builtin().Check(f)...)
		diags.Sort()
	}
	for _, d := range diags {
		fmt.Fprintln(stderr, d.String())
	}
	if diags.HasErrors() {
		return nil, exitError(1)
	}
	return f, nil
}
