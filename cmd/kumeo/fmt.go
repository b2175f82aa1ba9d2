package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/kumeo/kumeo/dsl"
	"github.com/kumeo/kumeo/internal/atomicfile"
)

func cmdFmt(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("fmt", stderr)
	write := fs.Bool("w", false, "write the result to the file instead of stdout")
	diff := fs.Bool("d", false, "print a diff instead of the formatted text")
	list := fs.Bool("l", false, "list files whose formatting differs")
	files, err := parseArgs(fs, args)
	if err != nil {
		return exitError(2)
	}
	failed := false
	format := func(name string, src []byte) error {
		out, diags := dsl.Format(name, src)
		if diags.HasErrors() {
			for _, d := range diags.Errors() {
				fmt.Fprintln(stderr, d.String())
			}
			failed = true
			return nil
		}
		changed := !bytes.Equal(src, out)
		switch {
		case *list:
			if changed {
				fmt.Fprintln(stdout, name)
			}
		case *diff:
			if changed {
				fmt.Fprint(stdout, unifiedDiff(name, src, out))
			}
		case *write:
			if changed {
				return atomicfile.Write(name, out)
			}
		default:
			_, err := stdout.Write(out)
			return err
		}
		return nil
	}
	if len(files) == 0 {
		if *write {
			fmt.Fprintln(stderr, "kumeo fmt: -w needs file names")
			return exitError(2)
		}
		src, err := io.ReadAll(stdin)
		if err != nil {
			return err
		}
		if err := format("<stdin>", src); err != nil {
			return err
		}
	}
	for _, fn := range files {
		src, err := os.ReadFile(fn)
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", fn, err)
			failed = true
			continue
		}
		if err := format(fn, src); err != nil {
			return err
		}
	}
	if failed {
		return exitError(1)
	}
	return nil
}

// unifiedDiff renders a line diff of a and b with three lines of context.
func unifiedDiff(name string, a, b []byte) string {
	x := strings.SplitAfter(string(a), "\n")
	y := strings.SplitAfter(string(b), "\n")
	if x[len(x)-1] == "" {
		x = x[:len(x)-1]
	}
	if y[len(y)-1] == "" {
		y = y[:len(y)-1]
	}
	ops := lineDiff(x, y)
	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ %s (formatted)\n", name, name)
	const ctx = 3
	for i := 0; i < len(ops); {
		if ops[i].kind == ' ' {
			i++
			continue
		}
		start := max(i-ctx, 0)
		end := i
		for end < len(ops) {
			if ops[end].kind != ' ' {
				end++
				continue
			}
			run := end
			for run < len(ops) && ops[run].kind == ' ' {
				run++
			}
			if run-end > 2*ctx || run == len(ops) {
				end = min(end+ctx, len(ops))
				break
			}
			end = run
		}
		ai, bi := ops[start].ai, ops[start].bi
		na, nb := 0, 0
		for _, o := range ops[start:end] {
			if o.kind != '+' {
				na++
			}
			if o.kind != '-' {
				nb++
			}
		}
		fmt.Fprintf(&out, "@@ -%d,%d +%d,%d @@\n", ai+1, na, bi+1, nb)
		for _, o := range ops[start:end] {
			out.WriteByte(o.kind)
			out.WriteString(o.line)
			if !strings.HasSuffix(o.line, "\n") {
				out.WriteString("\n\\ No newline at end of file\n")
			}
		}
		i = end
	}
	return out.String()
}

type diffOp struct {
	kind   byte // ' ', '-', '+'
	line   string
	ai, bi int
}

// lineDiff computes a shortest edit script by longest common subsequence.
func lineDiff(a, b []string) []diffOp {
	n, m := len(a), len(b)
	lcs := make([][]int32, n+1)
	for i := range lcs {
		lcs[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var ops []diffOp
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			ops = append(ops, diffOp{' ', a[i], i, j})
			i++
			j++
		case j < m && (i == n || lcs[i][j+1] > lcs[i+1][j]):
			ops = append(ops, diffOp{'+', b[j], i, j})
			j++
		default:
			ops = append(ops, diffOp{'-', a[i], i, j})
			i++
		}
	}
	return ops
}
