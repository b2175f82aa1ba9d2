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

// TestEditOps applies one operation to a source and compares the result with
// testdata/edit/<name>.golden (go test ./dsl -run TestEditOps -update rewrites
// them); the result must also come from the returned edits and parse cleanly.
func TestEditOps(t *testing.T) {
	idx := func(i int) *int { return &i }
	tests := []struct {
		name string
		src  string
		op   Op
	}{
		{
			name: "add agent after",
			src:  base,
			op:   Op{Op: "add_agent", After: Ref{Set: true, Value: "a"}, Agent: `Router(id:"r",rules:{"x > 1":"target.out","default":"target.out"})`},
		},
		{
			name: "add agent at end after last without comma",
			src:  base,
			op:   Op{Op: "add_agent", After: Ref{Set: true, Value: "c"}, Agent: `DataProcessor(id: "d")`},
		},
		{
			name: "add agent first with null after keeps leading comment with its agent",
			src:  base,
			op:   Op{Op: "add_agent", After: Ref{Set: true, Null: true}, Agent: `DataProcessor(id: "z")`},
		},
		{
			name: "add agent without id gets a fresh one; absent after appends",
			src:  "workflow W {\n  agents: [A(id: \"a\"), B(id: \"b\")]\n}\n",
			op:   Op{Op: "add_agent", Agent: `LLM(prompt: "p")`},
		},
		{
			name: "add agent to a workflow without agents",
			src:  "workflow W {\n  source: NATS(\"in\") // c\n}\n",
			op:   Op{Op: "add_agent", Agent: `DataProcessor(id: "a")`},
		},
		{
			name: "add agent to empty list",
			src:  "workflow W {\n  agents: []\n}\n",
			op:   Op{Op: "add_agent", Agent: `DataProcessor(id: "a")`},
		},
		{
			name: "add agent to list holding only a comment",
			src:  "workflow W {\n  agents: [\n    // Other agents\n  ]\n}\n",
			op:   Op{Op: "add_agent", Agent: `DataProcessor(id: "a")`},
		},
		{
			name: "remove agent with its comments",
			src:  base,
			op:   Op{Op: "remove_agent", ID: "a"},
		},
		{
			name: "remove last agent leaves the previous comma",
			src:  base,
			op:   Op{Op: "remove_agent", ID: "c"},
		},
		{
			name: "remove agent inline",
			src:  "workflow W { agents: [A(id: \"a\"), B(id: \"b\"), C(id: \"c\")] }",
			op:   Op{Op: "remove_agent", ID: "b"},
		},
		{
			name: "remove last agent inline",
			src:  "workflow W { agents: [A(id: \"a\"), B(id: \"b\")] }",
			op:   Op{Op: "remove_agent", ID: "b"},
		},
		{
			name: "rename updates references and keeps quote style",
			src: `workflow W {
  agents: [
    DataProcessor(id: 'a'),  // first
    MLModel(id: "b", input: a.output, model: "m"),
    LLM(id: "c", input: { x: "a.output/f", y: b.output }, prompt: "p", fallback: 'a'),
    LLM(id: "d", input: "a.output ?? b.output", prompt: "q"),
  ]
}
`,
			op: Op{Op: "rename_agent", ID: "a", To: "clean"},
		},
		{
			name: "rename agent without id adds one",
			src:  "workflow W {\n  agents: [\n    Router(rules: { \"default\": \"target.x\" })\n  ]\n}\n",
			op:   Op{Op: "rename_agent", ID: "Router", To: "route"},
		},
		{
			name: "rename leaves explicit output channels alone",
			src:  "workflow W { agents: [A(id: \"a\", output: \"tx.valid\"), B(id: \"b\", input: \"tx.valid\")] }",
			op:   Op{Op: "rename_agent", ID: "a", To: "z"},
		},
		{
			name: "set replaces a value in place",
			src:  base,
			op:   Op{Op: "set", ID: "b", Key: "model", Value: `"n.onnx"`},
		},
		{
			name: "set adds an argument to a single-line call",
			src:  base,
			op:   Op{Op: "set", ID: "b", Key: "timeout", Value: `"30s"`},
		},
		{
			name: "set adds an argument to a multi-line call with trailing comma",
			src:  base,
			op:   Op{Op: "set", ID: "c", Key: "timeout", Value: `"20s"`},
		},
		{
			name: "set a nested config key",
			src:  base,
			op:   Op{Op: "set", ID: "a", Key: "config.steps", Value: `["trim"]`},
		},
		{
			name: "set a nested key that does not exist yet",
			src:  base,
			op:   Op{Op: "set", ID: "b", Key: "config.threshold", Value: `0.5`},
		},
		{
			name: "set a workflow property",
			src:  base,
			op:   Op{Op: "set", ID: "workflow", Key: "nats", Value: `"nats://x:4222"`},
		},
		{
			name: "set the source",
			src:  base,
			op:   Op{Op: "set", ID: "source", Value: `NATS("other")`},
		},
		{
			name: "set a source option",
			src:  base,
			op:   Op{Op: "set", ID: "source", Key: "queue", Value: `"q"`},
		},
		{
			name: "unset removes an argument with its comma",
			src:  base,
			op:   Op{Op: "unset", ID: "b", Key: "model"},
		},
		{
			name: "unset a line argument with its comment",
			src:  base,
			op:   Op{Op: "unset", ID: "c", Key: "prompt"},
		},
		{
			name: "connect sets input",
			src:  base,
			op:   Op{Op: "connect", From: "a", To: "c"},
		},
		{
			name: "connect replaces an existing input",
			src:  "workflow W { agents: [A(id: \"a\", output: \"x.y\"), B(id: \"b\"), C(id: \"c\", input: b.output)] }",
			op:   Op{Op: "connect", From: "a", To: "c"},
		},
		{
			name: "connect adds to an object input",
			src:  "workflow W { agents: [A(id: \"a\"), B(id: \"b\"), C(id: \"c\", input: { x: b.output })] }",
			op:   Op{Op: "connect", From: "a", To: "c"},
		},
		{
			name: "connect what is already connected changes nothing",
			src:  base,
			op:   Op{Op: "connect", From: "a", To: "b"},
		},
		{
			name: "disconnect a default input",
			src:  base,
			op:   Op{Op: "disconnect", From: "a", To: "b"},
		},
		{
			name: "disconnect one key of an object input",
			src:  "workflow W { agents: [A(id: \"a\"), B(id: \"b\"), C(id: \"c\", input: { x: b.output, y: a.output })] }",
			op:   Op{Op: "disconnect", From: "a", To: "c"},
		},
		{
			name: "move agent to the front carries its comment",
			src:  base,
			op:   Op{Op: "move_agent", ID: "b", Index: idx(0)},
		},
		{
			name: "move agent inline to the end",
			src:  "workflow W { agents: [A(id: \"a\"), B(id: \"b\"), C(id: \"c\")] }",
			op:   Op{Op: "move_agent", ID: "a", Index: idx(2)},
		},
		{
			name: "add a target to a single target",
			src:  "workflow W {\n  target: NATS(\"a\") // t\n}\n",
			op:   Op{Op: "add_target", Value: `NATS("b")`},
		},
		{
			name: "add a source to a list",
			src:  base,
			op:   Op{Op: "add_source", Value: `HTTP("/x")`},
		},
		{
			name: "remove a target by address",
			src:  "workflow W {\n  target: [\n    NATS(\"a\"), // first\n    NATS(\"b\")\n  ]\n}\n",
			op:   Op{Op: "remove_target", Address: "a"},
		},
		{
			name: "remove the only source property",
			src:  "workflow W {\n  // the input\n  source: NATS(\"a\")\n  agents: []\n}\n",
			op:   Op{Op: "remove_source", Address: "a"},
		},
		{
			name: "select a workflow by name",
			src:  "workflow A { agents: [X(id: \"x\")] }\n\nworkflow B { agents: [X(id: \"x\")] }\n",
			op:   Op{Op: "rename_agent", Workflow: "B", ID: "x", To: "y"},
		},
		{
			name: "CRLF line endings are kept",
			src:  "workflow W {\r\n  agents: [\r\n    A(id: \"a\")\r\n  ]\r\n}\r\n",
			op:   Op{Op: "add_agent", Agent: `B(id: "b")`},
		},
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
	assert.Contains(t, edgeSet(BuildGraph(f)), "W/agent/b -data-> W/agent/r")
	assert.Contains(t, edgeSet(BuildGraph(f)), "W/agent/r -route-> W/target/NATS:out")

	res, err = ApplyOp("t", res.Src, Op{Op: "connect", From: "a", To: "c"})
	require.NoError(t, err)
	f, _ = Parse("t", res.Src)
	assert.Contains(t, edgeSet(BuildGraph(f)), "W/agent/a -data-> W/agent/c")

	res, err = ApplyOp("t", res.Src, Op{Op: "disconnect", From: "a", To: "c"})
	require.NoError(t, err)
	f, _ = Parse("t", res.Src)
	for _, e := range edgeSet(BuildGraph(f)) {
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
