package dsl

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzEdit applies every edit operation to arbitrary text: nothing may
// panic, an operation that succeeds yields text that parses, and the
// re-parsed workflow has what the operation promised.
func FuzzEdit(f *testing.F) {
	files, _ := filepath.Glob("../examples/*.kumeo")
	for _, fn := range files {
		if b, err := os.ReadFile(fn); err == nil {
			f.Add(string(b), uint8(0), uint8(0), uint8(1))
		}
	}
	f.Add(base, uint8(3), uint8(1), uint8(0))
	f.Add("workflow W { agents: [A(id: \"a\"), B(id: \"b\",), C(id: \"c\")] }", uint8(7), uint8(2), uint8(0))
	f.Add("workflow W {\n  agents: [\n    // c\n    A(id: \"a\"), // t\n\n    B(id: \"b\")\n  ]\n}\n", uint8(7), uint8(1), uint8(0))
	f.Add(string(genWorkflow(9)), uint8(5), uint8(3), uint8(4))
	f.Fuzz(func(t *testing.T, src string, which, x, y uint8) {
		file, d := Parse("f.kumeo", []byte(src))
		if d.HasErrors() {
			return
		}
		w := file.Workflow("")
		if w == nil {
			return
		}
		all := w.AllAgents()
		id := func(i uint8) string {
			if len(all) == 0 {
				return "none"
			}
			return all[int(i)%len(all)].ID
		}
		idx := int(y)
		ops := []Op{
			{Op: "add_agent", After: Ref{Set: true, Value: id(x)}, Agent: `DataProcessor(id: "fz_new", config: { steps: ["trim"] })`},
			{Op: "add_agent", After: Ref{Set: true, Null: true}, Agent: `Router(rules: { "default": "target.x" })`},
			{Op: "remove_agent", ID: id(x)},
			{Op: "rename_agent", ID: id(x), To: "fz_renamed"},
			{Op: "set", ID: id(x), Key: "timeout", Value: `"5s"`},
			{Op: "set", ID: id(x), Key: "config.fz.deep", Value: `{ a: [1, 2] }`},
			{Op: "unset", ID: id(x), Key: "input"},
			{Op: "move_agent", ID: id(x), Index: &idx},
			{Op: "connect", From: id(x), To: id(y)},
			{Op: "disconnect", From: id(x), To: id(y)},
			{Op: "add_target", Value: `NATS("fz.out")`},
			{Op: "remove_source", Index: &idx},
			{Op: "set", ID: "workflow", Key: "nats", Value: `"nats://x"`},
		}
		op := ops[int(which)%len(ops)]
		res, err := ApplyOp("f.kumeo", []byte(src), op)
		if err != nil {
			if errors.Is(err, ErrBadOp) && !errors.Is(err, ErrNoAgent) {
				// ErrBadOp also covers invalid requests (index out of range,
				// self-connection); a result that does not parse is a bug.
				if containsStr(err.Error(), "does not parse") {
					t.Fatalf("%s produced text that does not parse: %v\n%s", op.Op, err, src)
				}
			}
			return
		}
		after, d := Parse("f.kumeo", res.Src)
		if d.HasErrors() {
			t.Fatalf("result does not parse: %v", d)
		}
		w2 := after.Workflow("") // the same selection as before the edit
		if w2 == nil {
			t.Fatalf("workflow %s disappeared", w.Name)
		}
		n1, n2 := len(all), len(w2.AllAgents())
		switch op.Op {
		case "add_agent":
			if n2 != n1+1 {
				t.Fatalf("add_agent: %d agents, then %d", n1, n2)
			}
		case "remove_agent":
			if n2 != n1-1 {
				t.Fatalf("remove_agent: %d agents, then %d", n1, n2)
			}
		case "rename_agent":
			if w2.Agent(op.To) == nil {
				t.Fatalf("rename_agent: no agent %q afterwards", op.To)
			}
		case "move_agent":
			a := w.Agent(op.ID)
			moved := w2.Agent(op.ID)
			if !a.IDExplicit {
				break // generated ids follow positions, so they move too
			}
			if moved == nil || moved.Index != *op.Index || moved.Stage != a.Stage {
				t.Fatalf("move_agent: %q not at index %d afterwards", op.ID, *op.Index)
			}
			if n2 != n1 {
				t.Fatalf("move_agent changed the number of agents")
			}
		case "set", "unset", "connect", "disconnect":
			if n2 != n1 {
				t.Fatalf("%s changed the number of agents", op.Op)
			}
		}
	})
}

func containsStr(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
