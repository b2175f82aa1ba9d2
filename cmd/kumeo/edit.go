package main

import (
	"io"
	"os"

	"github.com/kumeo/kumeo/dsl"
	"github.com/kumeo/kumeo/internal/atomicfile"
)

func cmdEdit(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("edit", stderr)
	opJSON := fs.String("op", "", `operation as JSON, e.g. {"op":"rename_agent","id":"a","to":"b"}`)
	write := fs.Bool("w", false, "write the result to the file instead of stdout")
	edits := fs.Bool("edits", false, "print the text edits as JSON instead of the new text")
	files, err := parseArgs(fs, args)
	if err != nil {
		return exitError(2)
	}
	if len(files) != 1 || *opJSON == "" {
		return usageError(stderr, "kumeo edit FILE --op JSON [-w] [--edits]")
	}
	op, err := dsl.ParseOp([]byte(*opJSON))
	if err != nil {
		return err
	}
	src, err := os.ReadFile(files[0])
	if err != nil {
		return err
	}
	res, err := dsl.ApplyOp(files[0], src, op)
	if err != nil {
		return err
	}
	switch {
	case *edits:
		return printJSON(stdout, res.Edits)
	case *write:
		return atomicfile.Write(files[0], res.Src)
	}
	_, err = stdout.Write(res.Src)
	return err
}
