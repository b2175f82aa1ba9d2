package engine

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// arithOp is one operator as a computed feature, with what Go computes
// for it on float64s (every JSON number is one).
type arithOp struct {
	name, expr string
	want       func(a, b float64) any
}

// arithOps covers every arithmetic and comparison operator of the
// language, on two event fields, on a field and a literal, and on a field
// and a config value (config: n = 3, half = 0.5, big = 2^53).
var arithOps = []arithOp{
	{"add", "a + b", func(a, b float64) any { return a + b }},
	{"add_lit", "a + 1", func(a, b float64) any { return a + 1 }},
	{"add_cfg", "a + config.half", func(a, b float64) any { return a + 0.5 }},
	{"sub", "a - b", func(a, b float64) any { return a - b }},
	{"sub_lit", "a - 2.5", func(a, b float64) any { return a - 2.5 }},
	{"sub_cfg", "config.n - a", func(a, b float64) any { return 3 - a }},
	{"mul", "a * b", func(a, b float64) any { return a * b }},
	{"mul_lit", "a * -3", func(a, b float64) any { return a * -3 }},
	{"mul_cfg", "a * config.half", func(a, b float64) any { return a * 0.5 }},
	{"div", "a / b", func(a, b float64) any { return a / b }},
	{"div_lit", "a / 4", func(a, b float64) any { return a / 4 }},
	{"div_cfg", "a / config.n", func(a, b float64) any { return a / 3 }},
	{"mod", "a % b", func(a, b float64) any { return math.Mod(a, b) + 0 }},
	{"mod_lit", "a % 3", func(a, b float64) any { return math.Mod(a, 3) + 0 }},
	{"mod_neg", "a % -4", func(a, b float64) any { return math.Mod(a, -4) + 0 }},
	{"mod_cfg", "a % config.n", func(a, b float64) any { return math.Mod(a, 3) + 0 }},
	{"mod_of_cfg", "config.big % b", func(a, b float64) any { return math.Mod(1<<53, b) + 0 }},
	{"neg", "-a", func(a, b float64) any { return -a }},
	{"neg_sum", "-(a + b)", func(a, b float64) any { return -(a + b) }},
	{"eq", "a == b", func(a, b float64) any { return a == b }},
	{"eq_lit", "a == 10", func(a, b float64) any { return a == 10 }},
	{"eq_big", "a == 9007199254740992", func(a, b float64) any { return a == 1<<53 }},
	{"eq_cfg", "a == config.big", func(a, b float64) any { return a == 1<<53 }},
	{"ne", "a != b", func(a, b float64) any { return a != b }},
	{"ne_lit", "a != 6.0", func(a, b float64) any { return a != 6 }},
	{"ne_cfg", "b != config.n", func(a, b float64) any { return b != 3 }},
	{"lt", "a < b", func(a, b float64) any { return a < b }},
	{"lt_lit", "a < -1", func(a, b float64) any { return a < -1 }},
	{"lt_cfg", "a < config.big", func(a, b float64) any { return a < 1<<53 }},
	{"le", "a <= b", func(a, b float64) any { return a <= b }},
	{"le_lit", "a <= 10", func(a, b float64) any { return a <= 10 }},
	{"le_cfg", "a <= config.n", func(a, b float64) any { return a <= 3 }},
	{"gt", "a > b", func(a, b float64) any { return a > b }},
	{"gt_lit", "a > 9.5", func(a, b float64) any { return a > 9.5 }},
	{"gt_cfg", "a > config.half", func(a, b float64) any { return a > 0.5 }},
	{"ge", "a >= b", func(a, b float64) any { return a >= b }},
	{"ge_lit", "a >= 9007199254740992", func(a, b float64) any { return a >= 1<<53 }},
	{"ge_cfg", "a >= config.n", func(a, b float64) any { return a >= 3 }},
}

// arithFlow computes every operator for events whose a is even (a
// condition using % itself), passes the others through, and routes every
// event with comparisons and % in Router rules.
func arithFlow() string {
	var features []string
	for _, f := range []string{"id", "a", "b"} {
		features = append(features, fmt.Sprintf("%q", f))
	}
	for _, op := range arithOps {
		features = append(features, fmt.Sprintf("%q", op.name+": "+op.expr))
	}
	return `workflow Arith {
  source: NATS("arith.in")
  target: [NATS("arith.four"), NATS("arith.neg"), NATS("arith.out")]
  config: { n: 3, half: 0.5, big: 9007199254740992 }
  agents: [
    DataProcessor(id: "calc", when: "a % 2 == 0", config: { features: [
      ` + strings.Join(features, ",\n      ") + `
    ] }),
    Router(id: "route", rules: {
      "a % 4 == 0 && a >= 0": "target.arith.four",
      "a < 0 || -a > 0": "target.arith.neg",
      "default": "target.arith.out"
    })
  ]
}
`
}

// An expression that checks runs: every operator, on numbers decoded from
// JSON (whole, fractional, negative, 2^53) with literals and config
// values, checks clean and computes on a real run what Go computes; % on a
// fraction and division by zero dead-letter the event with a message
// naming the field.
func TestArithmeticOnJSONNumbersChecksAndRuns(t *testing.T) {
	src := arithFlow()
	res := Registry().Analyze("arith.kumeo", []byte(src))
	require.Empty(t, res.Diagnostics, "the workflow checks clean")

	h := start(t, src, Options{})
	four, neg, out := h.collect("arith.four"), h.collect("arith.neg"), h.collect("arith.out")
	dlq := h.collect(DLQSubject("Arith"))
	events := []string{
		`{"id": 1, "a": 10, "b": 4}`,
		`{"id": 2, "a": -8, "b": 3}`,
		`{"id": 3, "a": 9007199254740992, "b": 7}`,
		`{"id": 4, "a": 6.0, "b": -5}`,
		`{"id": 5, "a": 12, "b": 12}`,
		`{"id": 6, "a": 7, "b": 2}`,   // odd: passes calc unchanged
		`{"id": 7, "a": -7, "b": 2}`,  // odd and negative
		`{"id": 8, "a": 2.5, "b": 2}`, // % on a fraction
		`{"id": 9, "a": 4, "b": 0}`,   // % and / by zero
	}
	for _, e := range events {
		require.NoError(t, h.nc.Publish("arith.in", []byte(e)))
	}
	require.NoError(t, h.nc.Flush())
	eventually(t, func() bool { return len(four())+len(neg())+len(out())+len(dlq()) == len(events) },
		"got %d+%d+%d+%d of %d", len(four()), len(neg()), len(out()), len(dlq()), len(events))
	h.assertSettled()

	routed := map[float64]string{}
	for subject, msgs := range map[string][]*nats.Msg{"arith.four": four(), "arith.neg": neg(), "arith.out": out()} {
		for _, m := range msgs {
			var e map[string]any
			require.NoError(t, json.Unmarshal(m.Data, &e), string(m.Data))
			id := e["id"].(float64)
			routed[id] = subject
			a, b := e["a"].(float64), e["b"].(float64)
			if math.Mod(a, 2) != 0 {
				assert.Len(t, e, 3, "event %v passed calc unchanged", id)
				continue
			}
			for _, op := range arithOps {
				want, _ := json.Marshal(op.want(a, b))
				got, _ := json.Marshal(e[op.name])
				assert.Equal(t, string(want), string(got), "event %v: %s = %s", id, op.name, op.expr)
			}
		}
	}
	assert.Equal(t, map[float64]string{1: "arith.out", 2: "arith.neg", 3: "arith.four", 4: "arith.out", 5: "arith.four", 6: "arith.out", 7: "arith.neg"}, routed)

	reasons := map[string]bool{}
	for _, m := range dlq() {
		reasons[m.Header.Get(HeaderError)] = true
	}
	require.Len(t, reasons, 2)
	var all []string
	for r := range reasons {
		all = append(all, r)
	}
	text := strings.Join(all, "\n")
	assert.Contains(t, text, "a % 2: a is 2.5, % needs whole numbers")
	assert.Regexp(t, `a [%/] b: b is 0, cannot divide by zero`, text)
}
