package dsl

import (
	"testing"

	"github.com/kumeo/kumeo/internal/cpumeter"
)

// The targets on the reference machine: parse+check+graph of a
// 1,000-agent workflow < 20 ms; one edit operation on it < 5 ms.

func BenchmarkParse1000(b *testing.B) {
	src := genWorkflow(1000)
	b.SetBytes(int64(len(src)))
	m := cpumeter.Start(b)
	for b.Loop() {
		if _, d := Parse("gen.kumeo", src); d.HasErrors() {
			b.Fatal(d)
		}
	}
	m.Stop(b, 0)
}

func BenchmarkAnalyze1000(b *testing.B) {
	src := genWorkflow(1000)
	b.SetBytes(int64(len(src)))
	m := cpumeter.Start(b)
	for b.Loop() {
		res := Builtin().Analyze("gen.kumeo", src)
		if res.Diagnostics.HasErrors() || len(res.Graph.Nodes) < 1000 {
			b.Fatal(res.Diagnostics)
		}
	}
	m.Stop(b, 0)
}

func BenchmarkGraph1000(b *testing.B) {
	f, _ := Parse("gen.kumeo", genWorkflow(1000))
	m := cpumeter.Start(b)
	for b.Loop() {
		Builtin().Graph(f)
	}
	m.Stop(b, 0)
}

func BenchmarkEdit1000(b *testing.B) {
	src := genWorkflow(1000)
	f, _ := Parse("gen.kumeo", src)
	mid := f.Workflow("").Agents[500].ID
	ops := map[string]Op{
		"rename": {Op: "rename_agent", ID: mid, To: "renamed"},
		"add":    {Op: "add_agent", After: Ref{Set: true, Value: mid}, Agent: `Router(id: "r_new", rules: { "score > 0.5": "target.alerts.review", "default": "target.payments.cleared" })`},
		"set":    {Op: "set", ID: mid, Key: "timeout", Value: `"30s"`},
		"remove": {Op: "remove_agent", ID: mid},
		"move":   {Op: "move_agent", ID: mid, Index: new(int(0))},
	}
	// Edit is what the editor runs: the tree of the current text is at
	// hand. ApplyOp adds parsing the text before and checking the result.
	for name, op := range ops {
		b.Run(name, func(b *testing.B) {
			m := cpumeter.Start(b)
			for b.Loop() {
				if _, err := Edit(f, op); err != nil {
					b.Fatal(err)
				}
			}
			m.Stop(b, 0)
		})
		b.Run(name+"/with-parses", func(b *testing.B) {
			m := cpumeter.Start(b)
			for b.Loop() {
				if _, err := ApplyOp("gen.kumeo", src, op); err != nil {
					b.Fatal(err)
				}
			}
			m.Stop(b, 0)
		})
	}
}
