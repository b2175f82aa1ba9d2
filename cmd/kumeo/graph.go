package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/kumeo/kumeo/dsl"
	"github.com/kumeo/kumeo/engine"
)

func cmdGraph(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("kumeo graph", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print the graph as JSON (nodes and edges)")
	files, err := parseArgs(fs, args)
	if err != nil {
		return exitError(2)
	}
	if len(files) != 1 {
		fmt.Fprintln(stderr, "usage: kumeo graph --json FILE")
		return exitError(2)
	}
	src, err := os.ReadFile(files[0])
	if err != nil {
		return err
	}
	f, diags := dsl.Parse(files[0], src)
	for _, d := range diags {
		fmt.Fprintln(stderr, d.String())
	}
	if diags.HasErrors() {
		return exitError(1)
	}
	g := engine.Registry().Graph(f)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(g)
	}
	for _, n := range g.Nodes {
		fmt.Fprintf(stdout, "node %-12s %s\n", n.Kind, n.ID)
	}
	for _, e := range g.Edges {
		fmt.Fprintf(stdout, "edge %-12s %s -> %s %s\n", e.Kind, e.From, e.To, e.Label)
	}
	return nil
}
