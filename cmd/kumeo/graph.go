package main

import (
	"fmt"
	"io"
	"os"

	"github.com/kumeo/kumeo/dsl"
	"github.com/kumeo/kumeo/engine"
)

func cmdGraph(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("graph", stderr)
	asJSON := fs.Bool("json", false, "print the graph as JSON (nodes and edges)")
	files, err := parseArgs(fs, args)
	if err != nil {
		return exitError(2)
	}
	if len(files) != 1 {
		return usageError(stderr, "kumeo graph --json FILE")
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
		return printJSON(stdout, g)
	}
	for _, n := range g.Nodes {
		fmt.Fprintf(stdout, "node %-12s %s\n", n.Kind, n.ID)
	}
	for _, e := range g.Edges {
		fmt.Fprintf(stdout, "edge %-12s %s -> %s %s\n", e.Kind, e.From, e.To, e.Label)
	}
	return nil
}
