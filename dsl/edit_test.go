package dsl

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// base is a workflow with comments and unusual formatting next to every
// agent, so the tests see that untouched bytes survive.
const base = `// header comment
workflow W {
  source: NATS("in")   // where events come from
  target: [NATS("out")]

  agents: [
    // validates
    DataProcessor(id: "a", config: { required_fields: ['x'] }),   // trailing a

    /* scores */ MLModel(id="b",   model: "m.onnx"),
    LLM(
      id: "c",
      prompt: """
        hi {{x}}
      """,  // odd spacing kept
    )
  ]
}
`

// renameSrc refers to agent a in every way a workflow can.
const renameSrc = `workflow W {
  agents: [
    DataProcessor(id: 'a'),  // first
    MLModel(id: "b", input: a.output, model: "m"),
    LLM(id: "c", input: { x: "a.output/f", y: b.output }, prompt: "p", fallback: 'a'),
    LLM(id: "d", input: "a.output ?? b.output", prompt: "q"),
  ]
}
`

// TestEditOps applies one operation to a source and compares the result with
// testdata/edit/<name>.golden (go test ./dsl -run TestEditOps -update rewrites
// them); the result must also come from the returned edits and parse cleanly.
func TestEditOps(t *testing.T) {
	tests := []struct {
		name string
		src  string
		op   Op
	}{
		{"add agent after", base, Op{Op: "add_agent", After: Ref{Set: true, Value: "a"}, Agent: `Router(id:"r",rules:{"x > 1":"target.out","default":"target.out"})`}},
		{"add agent at end after last without comma", base, Op{Op: "add_agent", After: Ref{Set: true, Value: "c"}, Agent: `DataProcessor(id: "d")`}},
		{"add agent first with null after keeps leading comment with its agent", base, Op{Op: "add_agent", After: Ref{Set: true, Null: true}, Agent: `DataProcessor(id: "z")`}},
		{"add agent without id gets a fresh one; absent after appends", "workflow W {\n  agents: [A(id: \"a\"), B(id: \"b\")]\n}\n", Op{Op: "add_agent", Agent: `LLM(prompt: "p")`}},
		{"add agent to a workflow without agents", "workflow W {\n  source: NATS(\"in\") // c\n}\n", Op{Op: "add_agent", Agent: `DataProcessor(id: "a")`}},
		{"add agent to empty list", "workflow W {\n  agents: []\n}\n", Op{Op: "add_agent", Agent: `DataProcessor(id: "a")`}},
		{"add agent to list holding only a comment", "workflow W {\n  agents: [\n    // Other agents\n  ]\n}\n", Op{Op: "add_agent", Agent: `DataProcessor(id: "a")`}},
		{"remove agent with its comments", base, Op{Op: "remove_agent", ID: "a"}},
		{"remove last agent leaves the previous comma", base, Op{Op: "remove_agent", ID: "c"}},
		{"remove agent inline", "workflow W { agents: [A(id: \"a\"), B(id: \"b\"), C(id: \"c\")] }", Op{Op: "remove_agent", ID: "b"}},
		{"remove last agent inline", "workflow W { agents: [A(id: \"a\"), B(id: \"b\")] }", Op{Op: "remove_agent", ID: "b"}},
		{"rename updates references and keeps quote style", renameSrc, Op{Op: "rename_agent", ID: "a", To: "clean"}},
		{"rename agent without id adds one", "workflow W {\n  agents: [\n    Router(rules: { \"default\": \"target.x\" })\n  ]\n}\n", Op{Op: "rename_agent", ID: "Router", To: "route"}},
		{"rename leaves explicit output channels alone", "workflow W { agents: [A(id: \"a\", output: \"tx.valid\"), B(id: \"b\", input: \"tx.valid\")] }", Op{Op: "rename_agent", ID: "a", To: "z"}},
		{"set replaces a value in place", base, Op{Op: "set", ID: "b", Key: "model", Value: `"n.onnx"`}},
		{"set adds an argument to a single-line call", base, Op{Op: "set", ID: "b", Key: "timeout", Value: `"30s"`}},
		{"set adds an argument to a multi-line call with trailing comma", base, Op{Op: "set", ID: "c", Key: "timeout", Value: `"20s"`}},
		{"set a nested config key", base, Op{Op: "set", ID: "a", Key: "config.steps", Value: `["trim"]`}},
		{"set a nested key that does not exist yet", base, Op{Op: "set", ID: "b", Key: "config.threshold", Value: `0.5`}},
		{"set a workflow property", base, Op{Op: "set", ID: "workflow", Key: "nats", Value: `"nats://x:4222"`}},
		{"set the source", base, Op{Op: "set", ID: "source", Value: `NATS("other")`}},
		{"set a source option", base, Op{Op: "set", ID: "source", Key: "queue", Value: `"q"`}},
		{"unset removes an argument with its comma", base, Op{Op: "unset", ID: "b", Key: "model"}},
		{"unset a line argument with its comment", base, Op{Op: "unset", ID: "c", Key: "prompt"}},
		{"connect sets input", base, Op{Op: "connect", From: "a", To: "c"}},
		{"connect replaces an existing input", "workflow W { agents: [A(id: \"a\", output: \"x.y\"), B(id: \"b\"), C(id: \"c\", input: b.output)] }", Op{Op: "connect", From: "a", To: "c"}},
		{"connect adds to an object input", "workflow W { agents: [A(id: \"a\"), B(id: \"b\"), C(id: \"c\", input: { x: b.output })] }", Op{Op: "connect", From: "a", To: "c"}},
		{"connect what is already connected changes nothing", base, Op{Op: "connect", From: "a", To: "b"}},
		{"disconnect a default input", base, Op{Op: "disconnect", From: "a", To: "b"}},
		{"disconnect one key of an object input", "workflow W { agents: [A(id: \"a\"), B(id: \"b\"), C(id: \"c\", input: { x: b.output, y: a.output })] }", Op{Op: "disconnect", From: "a", To: "c"}},
		{"move agent to the front carries its comment", base, Op{Op: "move_agent", ID: "b", Index: new(0)}},
		{"move agent inline to the end", "workflow W { agents: [A(id: \"a\"), B(id: \"b\"), C(id: \"c\")] }", Op{Op: "move_agent", ID: "a", Index: new(2)}},
		{"add a target to a single target", "workflow W {\n  target: NATS(\"a\") // t\n}\n", Op{Op: "add_target", Value: `NATS("b")`}},
		{"add a source to a list", base, Op{Op: "add_source", Value: `HTTP("/x")`}},
		{"remove a target by address", "workflow W {\n  target: [\n    NATS(\"a\"), // first\n    NATS(\"b\")\n  ]\n}\n", Op{Op: "remove_target", Address: "a"}},
		{"remove the only source property", "workflow W {\n  // the input\n  source: NATS(\"a\")\n  agents: []\n}\n", Op{Op: "remove_source", Address: "a"}},
		{"select a workflow by name", "workflow A { agents: [X(id: \"x\")] }\n\nworkflow B { agents: [X(id: \"x\")] }\n", Op{Op: "rename_agent", Workflow: "B", ID: "x", To: "y"}},
		{"CRLF line endings are kept", "workflow W {\r\n  agents: [\r\n    A(id: \"a\")\r\n  ]\r\n}\r\n", Op{Op: "add_agent", Agent: `B(id: "b")`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := ApplyOp("t.kumeo", []byte(tt.src), tt.op)
			require.NoError(t, err)
			golden(t, filepath.Join("testdata", "edit", goldenName(tt.name)), res.Src)
			assert.Equal(t, string(res.Src), string(ApplyEdits([]byte(tt.src), res.Edits)), "edits must produce the same text")
			_, d := Parse("t.kumeo", res.Src)
			assert.False(t, d.HasErrors(), "%v", d)
		})
	}
}

// replaceOnce replaces the first old in s with new; old must be there.
func replaceOnce(s, old, new string) string {
	if !strings.Contains(s, old) {
		panic("replaceOnce: " + old + " not found")
	}
	return strings.Replace(s, old, new, 1)
}

func TestEditGraphPromise(t *testing.T) {
	// After each operation the re-parsed graph has what the operation promised.
	src := []byte(base)
	res, err := ApplyOp("t", src, Op{Op: "add_agent", After: Ref{Set: true, Value: "b"}, Agent: `Router(id: "r", rules: { "default": "target.out" })`})
	require.NoError(t, err)
	f, _ := Parse("t", res.Src)
	assert.Contains(t, edgeSet(Builtin().Graph(f)), "W/agent/b -data-> W/agent/r")
	assert.Contains(t, edgeSet(Builtin().Graph(f)), "W/agent/r -route-> W/target/NATS:out")

	res, err = ApplyOp("t", res.Src, Op{Op: "connect", From: "a", To: "c"})
	require.NoError(t, err)
	f, _ = Parse("t", res.Src)
	assert.Contains(t, edgeSet(Builtin().Graph(f)), "W/agent/a -data-> W/agent/c")

	res, err = ApplyOp("t", res.Src, Op{Op: "disconnect", From: "a", To: "c"})
	require.NoError(t, err)
	f, _ = Parse("t", res.Src)
	for _, e := range edgeSet(Builtin().Graph(f)) {
		assert.NotContains(t, e, "-> W/agent/c")
	}

	res, err = ApplyOp("t", res.Src, Op{Op: "rename_agent", ID: "a", To: "validate"})
	require.NoError(t, err)
	f, _ = Parse("t", res.Src)
	w := f.Workflow("")
	require.NotNil(t, w.Agent("validate"))
	assert.Nil(t, w.Agent("a"))
}

func TestEditErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		op   Op
		want error
	}{
		{"syntax error in source", "workflow W {", Op{Op: "remove_agent", ID: "a"}, ErrSyntax},
		{"unknown op", base, Op{Op: "explode"}, ErrUnknownOp},
		{"unknown agent", base, Op{Op: "remove_agent", ID: "nope"}, ErrNoAgent},
		{"duplicate id on add", base, Op{Op: "add_agent", Agent: `LLM(id: "a", prompt: "x")`}, ErrDuplicateID},
		{"duplicate id on rename", base, Op{Op: "rename_agent", ID: "a", To: "b"}, ErrDuplicateID},
		{"bad id on rename", base, Op{Op: "rename_agent", ID: "a", To: "has space"}, ErrBadOp},
		{"invalid agent text", base, Op{Op: "add_agent", Agent: `LLM(id: "x"`}, ErrInvalidValue},
		{"agent that is not a call", base, Op{Op: "add_agent", Agent: `"text"`}, ErrInvalidValue},
		{"invalid value", base, Op{Op: "set", ID: "a", Key: "timeout", Value: `"30s`}, ErrInvalidValue},
		{"unknown workflow", base, Op{Op: "remove_agent", Workflow: "X", ID: "a"}, ErrNoWorkflow},
		{"not connected", base, Op{Op: "disconnect", From: "c", To: "a"}, ErrNotConnected},
		{"move out of range", base, Op{Op: "move_agent", ID: "a", Index: new(int(7))}, ErrBadOp},
		{"unknown target", base, Op{Op: "remove_target", Address: "zzz"}, ErrNoEndpoint},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ApplyOp("t", []byte(tt.src), tt.op)
			require.Error(t, err)
			assert.True(t, errors.Is(err, tt.want), "got %v", err)
		})
	}
}

func TestParseOp(t *testing.T) {
	op, err := ParseOp([]byte(`{"op":"add_agent","after":null,"agent":"X()"}`))
	require.NoError(t, err)
	assert.True(t, op.After.Set)
	assert.True(t, op.After.Null)
	op, err = ParseOp([]byte(`{"op":"add_agent","agent":"X()"}`))
	require.NoError(t, err)
	assert.False(t, op.After.Set)
	op, err = ParseOp([]byte(`{"op":"add_agent","after":"a","agent":"X()"}`))
	require.NoError(t, err)
	assert.Equal(t, "a", op.After.Value)
	_, err = ParseOp([]byte(`{"op":"set","idd":"a"}`))
	assert.ErrorIs(t, err, ErrBadOp)
}

func TestEditMultilineValueIntoSingleLineList(t *testing.T) {
	src := "workflow W {\n  source: [NATS(\"a\")]\n}\n"
	res, err := ApplyOp("t", []byte(src), Op{Op: "add_source", Value: "HTTP(\"/x\", {\r\nmethod: \"POST\" })"})
	require.NoError(t, err)
	formatted, d := Format("t", res.Src)
	require.False(t, d.HasErrors())
	assert.Equal(t, string(formatted), string(res.Src), "inserted text is canonical")
	assert.NotContains(t, string(res.Src), "\r")
}

// goldenName turns a case name into its golden file's name: lower case,
// spaces as underscores, other punctuation dropped.
func goldenName(name string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			return r
		case r >= 'A' && r <= 'Z':
			return r - 'A' + 'a'
		case r == ' ':
			return '_'
		}
		return -1
	}, name) + ".golden"
}
