package dsl

import (
	"errors"
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

func TestEditOps(t *testing.T) {
	idx := func(i int) *int { return &i }
	tests := []struct {
		name string
		src  string
		op   Op
		want string
	}{
		{
			name: "add agent after",
			src:  base,
			op:   Op{Op: "add_agent", After: Ref{Set: true, Value: "a"}, Agent: `Router(id:"r",rules:{"x > 1":"target.out","default":"target.out"})`},
			want: `// header comment
workflow W {
  source: NATS("in")   // where events come from
  target: [NATS("out")]

  agents: [
    // validates
    DataProcessor(id: "a", config: { required_fields: ['x'] }),   // trailing a
    Router(id: "r", rules: { "x > 1": "target.out", "default": "target.out" }),

    /* scores */ MLModel(id="b",   model: "m.onnx"),
    LLM(
      id: "c",
      prompt: """
        hi {{x}}
      """,  // odd spacing kept
    )
  ]
}
`,
		},
		{
			name: "add agent at end after last without comma",
			src:  base,
			op:   Op{Op: "add_agent", After: Ref{Set: true, Value: "c"}, Agent: `DataProcessor(id: "d")`},
			want: `// header comment
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
    ),
    DataProcessor(id: "d")
  ]
}
`,
		},
		{
			name: "add agent first with null after keeps leading comment with its agent",
			src:  base,
			op:   Op{Op: "add_agent", After: Ref{Set: true, Null: true}, Agent: `DataProcessor(id: "z")`},
			want: `// header comment
workflow W {
  source: NATS("in")   // where events come from
  target: [NATS("out")]

  agents: [
    DataProcessor(id: "z"),
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
`,
		},
		{
			name: "add agent without id gets a fresh one; absent after appends",
			src:  "workflow W {\n  agents: [A(id: \"a\"), B(id: \"b\")]\n}\n",
			op:   Op{Op: "add_agent", Agent: `LLM(prompt: "p")`},
			want: "workflow W {\n  agents: [A(id: \"a\"), B(id: \"b\"), LLM(id: \"llm_1\", prompt: \"p\")]\n}\n",
		},
		{
			name: "add agent to a workflow without agents",
			src:  "workflow W {\n  source: NATS(\"in\") // c\n}\n",
			op:   Op{Op: "add_agent", Agent: `DataProcessor(id: "a")`},
			want: "workflow W {\n  source: NATS(\"in\") // c\n  agents: [\n    DataProcessor(id: \"a\")\n  ]\n}\n",
		},
		{
			name: "add agent to empty list",
			src:  "workflow W {\n  agents: []\n}\n",
			op:   Op{Op: "add_agent", Agent: `DataProcessor(id: "a")`},
			want: "workflow W {\n  agents: [DataProcessor(id: \"a\")]\n}\n",
		},
		{
			name: "add agent to list holding only a comment",
			src:  "workflow W {\n  agents: [\n    // Other agents\n  ]\n}\n",
			op:   Op{Op: "add_agent", Agent: `DataProcessor(id: "a")`},
			want: "workflow W {\n  agents: [\n    // Other agents\n    DataProcessor(id: \"a\")\n  ]\n}\n",
		},
		{
			name: "remove agent with its comments",
			src:  base,
			op:   Op{Op: "remove_agent", ID: "a"},
			want: `// header comment
workflow W {
  source: NATS("in")   // where events come from
  target: [NATS("out")]

  agents: [
    /* scores */ MLModel(id="b",   model: "m.onnx"),
    LLM(
      id: "c",
      prompt: """
        hi {{x}}
      """,  // odd spacing kept
    )
  ]
}
`,
		},
		{
			name: "remove last agent leaves the previous comma",
			src:  base,
			op:   Op{Op: "remove_agent", ID: "c"},
			want: `// header comment
workflow W {
  source: NATS("in")   // where events come from
  target: [NATS("out")]

  agents: [
    // validates
    DataProcessor(id: "a", config: { required_fields: ['x'] }),   // trailing a

    /* scores */ MLModel(id="b",   model: "m.onnx"),
  ]
}
`,
		},
		{
			name: "remove agent inline",
			src:  "workflow W { agents: [A(id: \"a\"), B(id: \"b\"), C(id: \"c\")] }",
			op:   Op{Op: "remove_agent", ID: "b"},
			want: "workflow W { agents: [A(id: \"a\"), C(id: \"c\")] }",
		},
		{
			name: "remove last agent inline",
			src:  "workflow W { agents: [A(id: \"a\"), B(id: \"b\")] }",
			op:   Op{Op: "remove_agent", ID: "b"},
			want: "workflow W { agents: [A(id: \"a\")] }",
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
			want: `workflow W {
  agents: [
    DataProcessor(id: 'clean'),  // first
    MLModel(id: "b", input: clean.output, model: "m"),
    LLM(id: "c", input: { x: "clean.output/f", y: b.output }, prompt: "p", fallback: 'clean'),
    LLM(id: "d", input: "clean.output ?? b.output", prompt: "q"),
  ]
}
`,
		},
		{
			name: "rename agent without id adds one",
			src:  "workflow W {\n  agents: [\n    Router(rules: { \"default\": \"target.x\" })\n  ]\n}\n",
			op:   Op{Op: "rename_agent", ID: "Router", To: "route"},
			want: "workflow W {\n  agents: [\n    Router(id: \"route\", rules: { \"default\": \"target.x\" })\n  ]\n}\n",
		},
		{
			name: "rename leaves explicit output channels alone",
			src:  "workflow W { agents: [A(id: \"a\", output: \"tx.valid\"), B(id: \"b\", input: \"tx.valid\")] }",
			op:   Op{Op: "rename_agent", ID: "a", To: "z"},
			want: "workflow W { agents: [A(id: \"z\", output: \"tx.valid\"), B(id: \"b\", input: \"tx.valid\")] }",
		},
		{
			name: "set replaces a value in place",
			src:  base,
			op:   Op{Op: "set", ID: "b", Key: "model", Value: `"n.onnx"`},
			want: replaceOnce(base, `model: "m.onnx"`, `model: "n.onnx"`),
		},
		{
			name: "set adds an argument to a single-line call",
			src:  base,
			op:   Op{Op: "set", ID: "b", Key: "timeout", Value: `"30s"`},
			want: replaceOnce(base, `model: "m.onnx")`, `model: "m.onnx", timeout: "30s")`),
		},
		{
			name: "set adds an argument to a multi-line call with trailing comma",
			src:  base,
			op:   Op{Op: "set", ID: "c", Key: "timeout", Value: `"20s"`},
			want: replaceOnce(base, "      \"\"\",  // odd spacing kept\n", "      \"\"\",  // odd spacing kept\n      timeout: \"20s\",\n"),
		},
		{
			name: "set a nested config key",
			src:  base,
			op:   Op{Op: "set", ID: "a", Key: "config.steps", Value: `["trim"]`},
			want: replaceOnce(base, `required_fields: ['x'] }`, `required_fields: ['x'], steps: ["trim"] }`),
		},
		{
			name: "set a nested key that does not exist yet",
			src:  base,
			op:   Op{Op: "set", ID: "b", Key: "config.threshold", Value: `0.5`},
			want: replaceOnce(base, `model: "m.onnx")`, `model: "m.onnx", config: { threshold: 0.5 })`),
		},
		{
			name: "set a workflow property",
			src:  base,
			op:   Op{Op: "set", ID: "workflow", Key: "nats", Value: `"nats://x:4222"`},
			want: replaceOnce(base, "  ]\n}\n", "  ]\n  nats: \"nats://x:4222\"\n}\n"),
		},
		{
			name: "set the source",
			src:  base,
			op:   Op{Op: "set", ID: "source", Value: `NATS("other")`},
			want: replaceOnce(base, `NATS("in")`, `NATS("other")`),
		},
		{
			name: "set a source option",
			src:  base,
			op:   Op{Op: "set", ID: "source", Key: "queue", Value: `"q"`},
			want: replaceOnce(base, `NATS("in")`, `NATS("in", { queue: "q" })`),
		},
		{
			name: "unset removes an argument with its comma",
			src:  base,
			op:   Op{Op: "unset", ID: "b", Key: "model"},
			want: replaceOnce(base, `MLModel(id="b",   model: "m.onnx")`, `MLModel(id="b")`),
		},
		{
			name: "unset a line argument with its comment",
			src:  base,
			op:   Op{Op: "unset", ID: "c", Key: "prompt"},
			want: replaceOnce(base, "      prompt: \"\"\"\n        hi {{x}}\n      \"\"\",  // odd spacing kept\n", ""),
		},
		{
			name: "connect sets input",
			src:  base,
			op:   Op{Op: "connect", From: "a", To: "c"},
			want: replaceOnce(base, "      id: \"c\",\n", "      id: \"c\",\n      input: a.output,\n"),
		},
		{
			name: "connect replaces an existing input",
			src:  "workflow W { agents: [A(id: \"a\", output: \"x.y\"), B(id: \"b\"), C(id: \"c\", input: b.output)] }",
			op:   Op{Op: "connect", From: "a", To: "c"},
			want: "workflow W { agents: [A(id: \"a\", output: \"x.y\"), B(id: \"b\"), C(id: \"c\", input: \"x.y\")] }",
		},
		{
			name: "connect adds to an object input",
			src:  "workflow W { agents: [A(id: \"a\"), B(id: \"b\"), C(id: \"c\", input: { x: b.output })] }",
			op:   Op{Op: "connect", From: "a", To: "c"},
			want: "workflow W { agents: [A(id: \"a\"), B(id: \"b\"), C(id: \"c\", input: { x: b.output, a: a.output })] }",
		},
		{
			name: "connect what is already connected changes nothing",
			src:  base,
			op:   Op{Op: "connect", From: "a", To: "b"},
			want: base,
		},
		{
			name: "disconnect a default input",
			src:  base,
			op:   Op{Op: "disconnect", From: "a", To: "b"},
			want: replaceOnce(base, `MLModel(id="b",   model`, `MLModel(id="b", input: null,   model`),
		},
		{
			name: "disconnect one key of an object input",
			src:  "workflow W { agents: [A(id: \"a\"), B(id: \"b\"), C(id: \"c\", input: { x: b.output, y: a.output })] }",
			op:   Op{Op: "disconnect", From: "a", To: "c"},
			want: "workflow W { agents: [A(id: \"a\"), B(id: \"b\"), C(id: \"c\", input: { x: b.output })] }",
		},
		{
			name: "move agent to the front carries its comment",
			src:  base,
			op:   Op{Op: "move_agent", ID: "b", Index: idx(0)},
			want: `// header comment
workflow W {
  source: NATS("in")   // where events come from
  target: [NATS("out")]

  agents: [
    /* scores */ MLModel(id="b",   model: "m.onnx"),
    // validates
    DataProcessor(id: "a", config: { required_fields: ['x'] }),   // trailing a

    LLM(
      id: "c",
      prompt: """
        hi {{x}}
      """,  // odd spacing kept
    )
  ]
}
`,
		},
		{
			name: "move agent inline to the end",
			src:  "workflow W { agents: [A(id: \"a\"), B(id: \"b\"), C(id: \"c\")] }",
			op:   Op{Op: "move_agent", ID: "a", Index: idx(2)},
			want: "workflow W { agents: [B(id: \"b\"), C(id: \"c\"), A(id: \"a\")] }",
		},
		{
			name: "add a target to a single target",
			src:  "workflow W {\n  target: NATS(\"a\") // t\n}\n",
			op:   Op{Op: "add_target", Value: `NATS("b")`},
			want: "workflow W {\n  target: [NATS(\"a\"), NATS(\"b\")] // t\n}\n",
		},
		{
			name: "add a source to a list",
			src:  base,
			op:   Op{Op: "add_source", Value: `HTTP("/x")`},
			want: replaceOnce(base, `source: NATS("in")`, `source: [NATS("in"), HTTP("/x")]`),
		},
		{
			name: "remove a target by address",
			src:  "workflow W {\n  target: [\n    NATS(\"a\"), // first\n    NATS(\"b\")\n  ]\n}\n",
			op:   Op{Op: "remove_target", Address: "a"},
			want: "workflow W {\n  target: [\n    NATS(\"b\")\n  ]\n}\n",
		},
		{
			name: "remove the only source property",
			src:  "workflow W {\n  // the input\n  source: NATS(\"a\")\n  agents: []\n}\n",
			op:   Op{Op: "remove_source", Address: "a"},
			want: "workflow W {\n  agents: []\n}\n",
		},
		{
			name: "select a workflow by name",
			src:  "workflow A { agents: [X(id: \"x\")] }\n\nworkflow B { agents: [X(id: \"x\")] }\n",
			op:   Op{Op: "rename_agent", Workflow: "B", ID: "x", To: "y"},
			want: "workflow A { agents: [X(id: \"x\")] }\n\nworkflow B { agents: [X(id: \"y\")] }\n",
		},
		{
			name: "CRLF line endings are kept",
			src:  "workflow W {\r\n  agents: [\r\n    A(id: \"a\")\r\n  ]\r\n}\r\n",
			op:   Op{Op: "add_agent", Agent: `B(id: "b")`},
			want: "workflow W {\r\n  agents: [\r\n    A(id: \"a\"),\r\n    B(id: \"b\")\r\n  ]\r\n}\r\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := ApplyOp("t.kumeo", []byte(tt.src), tt.op)
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(res.Src))
			assert.Equal(t, tt.want, string(ApplyEdits([]byte(tt.src), res.Edits)), "edits must produce the same text")
			_, d := Parse("t.kumeo", res.Src)
			assert.False(t, d.HasErrors(), "%v", d)
		})
	}
}

func replaceOnce(s, old, new string) string {
	i := indexOf(s, old)
	if i < 0 {
		panic("replaceOnce: " + old + " not found")
	}
	return s[:i] + new + s[i+len(old):]
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
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
