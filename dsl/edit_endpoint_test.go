package dsl

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// endpoints is a workflow with a list of targets, options and comments, so
// the tests see that only the addressed endpoint changes.
const endpointsSrc = `workflow W {
  // where events come from
  source: NATS("in", { queue: "q" })
  target: [
    NATS("a"),   // first
    Kafka(topic: "b", { acks: "all", retries: 3 }),
    File("out.jsonl")
  ]
  agents: [DataProcessor(id: "p")]
}
`

func TestEditEndpoints(t *testing.T) {
	idx := func(i int) *int { return &i }
	tests := []struct {
		name string
		op   Op
		old  string
		new  string
	}{
		{"set the address of the source", Op{Op: "set", ID: "source", Key: "address", Value: `"in.v2"`}, `NATS("in",`, `NATS("in.v2",`},
		{"set the address of a target by index", Op{Op: "set", ID: "target", Index: idx(0), Key: "address", Value: `"a2"`}, `NATS("a"),   // first`, `NATS("a2"),   // first`},
		{"set a named address", Op{Op: "set", ID: "target", Index: idx(1), Key: "address", Value: `"b2"`}, `topic: "b"`, `topic: "b2"`},
		{"replace one endpoint of a list", Op{Op: "set", ID: "target", Index: idx(2), Value: `MQTT("m")`}, `File("out.jsonl")`, `MQTT("m")`},
		{"set an option of a target by index", Op{Op: "set", ID: "target", Index: idx(1), Key: "acks", Value: `"one"`}, `acks: "all"`, `acks: "one"`},
		{"unset an option", Op{Op: "unset", ID: "target", Index: idx(1), Key: "acks"}, `{ acks: "all", retries: 3 }`, `{ retries: 3 }`},
		{"unset the last option drops the object", Op{Op: "unset", ID: "source", Key: "queue"}, `NATS("in", { queue: "q" })`, `NATS("in")`},
		{"unset a missing option does nothing", Op{Op: "unset", ID: "target", Index: idx(0), Key: "acks"}, ``, ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := ApplyOp("t", []byte(endpointsSrc), tt.op)
			require.NoError(t, err)
			want := endpointsSrc
			if tt.old != "" {
				want = replaceOnce(endpointsSrc, tt.old, tt.new)
			}
			assert.Equal(t, want, string(res.Src))
		})
	}
}

func TestEditEndpointAddressInserted(t *testing.T) {
	res, err := ApplyOp("t", []byte("workflow W {\n  source: Timer()\n}\n"), Op{Op: "set", ID: "source", Key: "address", Value: `"5s"`})
	require.NoError(t, err)
	assert.Equal(t, "workflow W {\n  source: Timer(\"5s\")\n}\n", string(res.Src))
}

func TestEditEndpointErrors(t *testing.T) {
	idx := func(i int) *int { return &i }
	for name, op := range map[string]Op{
		"address that is not a string":   {Op: "set", ID: "source", Key: "address", Value: `in.x`},
		"address that does not parse":    {Op: "set", ID: "source", Key: "address", Value: `"in`},
		"endpoint that is not a call":    {Op: "set", ID: "target", Index: idx(0), Value: `"a"`},
		"index outside the list":         {Op: "set", ID: "target", Index: idx(3), Key: "address", Value: `"x"`},
		"negative index":                 {Op: "unset", ID: "target", Index: idx(-1), Key: "acks"},
		"whole endpoint that is invalid": {Op: "set", ID: "target", Index: idx(0), Value: `NATS(`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ApplyOp("t", []byte(endpointsSrc), op)
			require.Error(t, err)
			assert.True(t, errorsIsAny(err, ErrInvalidValue, ErrNoEndpoint), "got %v", err)
		})
	}
}

func errorsIsAny(err error, targets ...error) bool {
	for _, t := range targets {
		if errors.Is(err, t) {
			return true
		}
	}
	return false
}
