package main

import (
	"fmt"
	"io"
	"os"

	"github.com/kumeo/kumeo/dsl"
	"github.com/kumeo/kumeo/engine"
)

func cmdCheck(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("check", stderr)
	asJSON := fs.Bool("json", false, "print diagnostics as JSON")
	files, err := parseArgs(fs, args)
	if err != nil {
		return exitError(2)
	}
	if len(files) == 0 {
		return usageError(stderr, "kumeo check [--json] FILE...")
	}
	failed := false
	all := dsl.Diagnostics{}
	for _, fn := range files {
		src, err := os.ReadFile(fn)
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", fn, err)
			failed = true
			continue
		}
		res := engine.Registry().Analyze(fn, src)
		if res.Diagnostics.HasErrors() {
			failed = true
		}
		if *asJSON {
			all = append(all, res.Diagnostics...)
			continue
		}
		for _, d := range res.Diagnostics {
			fmt.Fprintln(stdout, d.String())
		}
	}
	if *asJSON {
		if err := printJSON(stdout, all); err != nil {
			return err
		}
	}
	if failed {
		return exitError(1)
	}
	return nil
}
