package main

import (
	"fmt"
	"io"

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
	f, err := readWorkflow(stderr, files[0], false)
	if err != nil {
		return err
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
