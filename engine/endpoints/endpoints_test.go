package endpoints_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumeo/kumeo/dsl"
	"github.com/kumeo/kumeo/engine/endpoints"
)

func TestResolve(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "in.jsonl"), []byte("{}\n"), 0o644))
	opts := endpoints.Options{Dir: dir, MQTTEnabled: true}

	for _, tc := range []struct {
		name, role, call string
		subject          string
		subjects         []string
		adapter          bool
	}{
		{name: "nats source", role: "source", call: `NATS("orders.created")`, subject: "orders.created"},
		{name: "nats wildcard source", role: "source", call: `NATS("orders.*.created")`, subject: "orders.*.created"},
		{name: "nats tail wildcard source", role: "source", call: `NATS("orders.>", {queue: "q"})`, subject: "orders.>"},
		{name: "nats named arg", role: "source", call: `NATS(subject: "a.b")`, subject: "a.b"},
		{name: "nats target", role: "target", call: `NATS("orders.scored")`, subject: "orders.scored"},
		{name: "http source", role: "source", call: `HTTP("/orders/new", {method: "POST"})`, subject: "kumeo.W.in.http.orders.new", adapter: true},
		{name: "http source root", role: "source", call: `HTTP("/")`, subject: "kumeo.W.in.http.root", adapter: true},
		{name: "http source sanitised", role: "source", call: `HTTP("/v1.0/a~b:c/x")`, subject: "kumeo.W.in.http.v1_0.a_b_c.x", adapter: true},
		{name: "http target", role: "target", call: `HTTP("https://example.com/hook", {timeout: "2s"})`, subject: "kumeo.W.out.http.0", adapter: true},
		{name: "timer", role: "source", call: `Timer("5s")`, subject: "kumeo.W.in.timer.0", adapter: true},
		{name: "timer days", role: "source", call: `Timer("1d")`, subject: "kumeo.W.in.timer.0", adapter: true},
		{name: "file source", role: "source", call: `File("in.jsonl")`, subject: "kumeo.W.in.file.0", adapter: true},
		{name: "file target", role: "target", call: `File("out/results.jsonl")`, subject: "kumeo.W.out.file.0", adapter: true},
		{name: "mqtt source", role: "source", call: `MQTT("plant/+/telemetry")`, subject: "plant.*.telemetry"},
		{name: "mqtt multi-level source", role: "source", call: `MQTT("plant/#")`, subject: "plant.>", subjects: []string{"plant.>", "plant"}},
		{name: "mqtt target", role: "target", call: `MQTT("alerts/high")`, subject: "alerts.high"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var e *endpoints.Endpoint
			if tc.role == "source" {
				e = source(t, tc.call, opts)
			} else {
				e = target(t, tc.call, opts)
			}
			assert.Equal(t, tc.subject, e.Subject)
			if tc.subjects == nil {
				tc.subjects = []string{tc.subject}
			}
			assert.Equal(t, tc.subjects, e.Subjects)
			assert.Equal(t, tc.adapter, e.Adapter != nil)
			assert.Equal(t, dsl.EndpointRole(tc.role), e.Role)
			assert.NotEmpty(t, e.Name)
		})
	}

	t.Run("options as data", func(t *testing.T) {
		e := source(t, `NATS("a", {queue: "workers", durable: true})`, opts)
		assert.Equal(t, map[string]any{"queue": "workers", "durable": true}, e.Options)
	})
	t.Run("runnable types", func(t *testing.T) {
		for name, want := range map[string]bool{"NATS": true, "HTTP": true, "Timer": true, "File": true, "MQTT": true, "Kafka": false} {
			_, ok := dsl.Builtin().Lookup(name)
			require.True(t, ok, name)
			assert.Equal(t, want, slices.Contains(endpoints.Types(), name), name)
		}
	})
}

func TestResolveErrors(t *testing.T) {
	dir := t.TempDir()
	opts := endpoints.Options{Dir: dir, MQTTEnabled: true}
	for _, tc := range []struct {
		name, role, call string
		opts             *endpoints.Options
		is               []error
		contains         []string
	}{
		{name: "kafka source", role: "source", call: `Kafka("orders")`, is: []error{endpoints.ErrUnsupported},
			contains: []string{"Kafka sources are not supported by the local engine; use NATS or MQTT"}},
		{name: "kafka target", role: "target", call: `Kafka("orders")`, is: []error{endpoints.ErrUnsupported},
			contains: []string{"Kafka targets are not supported"}},
		{name: "unknown with suggestion", role: "source", call: `Nats("orders")`, is: []error{endpoints.ErrUnknownType},
			contains: []string{"did you mean NATS?", "expected one of", "MQTT"}},
		{name: "unknown", role: "source", call: `Carrier("x")`, is: []error{endpoints.ErrUnknownType},
			contains: []string{"Carrier", "expected one of File, HTTP, Kafka, MQTT, NATS, Timer"}},
		{name: "agent as source", role: "source", call: `LLM(id: "x")`, is: []error{endpoints.ErrUnknownType},
			contains: []string{"LLM cannot be a source (it is used as: agent)"}},
		{name: "not a call", role: "source", call: `"orders"`, is: []error{endpoints.ErrInvalidEndpoint},
			contains: []string{`expected a constructor call such as NATS("orders")`}},
		{name: "empty subject", role: "source", call: `NATS("")`, is: []error{endpoints.ErrInvalidEndpoint, endpoints.ErrInvalidSubject},
			contains: []string{"subject is empty"}},
		{name: "subject double dot", role: "source", call: `NATS("a..b")`, is: []error{endpoints.ErrInvalidSubject},
			contains: []string{`"a..b" has an empty token`}},
		{name: "subject space", role: "source", call: `NATS("a b")`, is: []error{endpoints.ErrInvalidSubject},
			contains: []string{"space or control character at byte 1"}},
		{name: "subject partial wildcard", role: "source", call: `NATS("a.b*")`, is: []error{endpoints.ErrInvalidSubject},
			contains: []string{`wildcard inside the token "b*"`}},
		{name: "subject > not last", role: "source", call: `NATS("a.>.b")`, is: []error{endpoints.ErrInvalidSubject},
			contains: []string{"'>' before the last token"}},
		{name: "target wildcard", role: "target", call: `NATS("a.*")`, is: []error{endpoints.ErrInvalidSubject},
			contains: []string{"wildcards are only allowed in sources"}},
		{name: "timer bad interval", role: "source", call: `Timer("five")`, is: []error{endpoints.ErrInvalidEndpoint},
			contains: []string{`invalid interval "five": expected a number followed by ms, s, m, h or d, such as "5s"`}},
		{name: "timer zero", role: "source", call: `Timer("0s")`, is: []error{endpoints.ErrInvalidEndpoint},
			contains: []string{"at least 1ms"}},
		{name: "timer target", role: "target", call: `Timer("5s")`, is: []error{endpoints.ErrInvalidEndpoint},
			contains: []string{"Timer can only be a source"}},
		{name: "http source url", role: "source", call: `HTTP("https://example.com/x")`, is: []error{endpoints.ErrInvalidEndpoint},
			contains: []string{`takes a path such as "/orders"`}},
		{name: "http source relative", role: "source", call: `HTTP("orders")`, is: []error{endpoints.ErrInvalidEndpoint},
			contains: []string{"starting with '/'"}},
		{name: "http source space", role: "source", call: `HTTP("/a b")`, is: []error{endpoints.ErrInvalidEndpoint},
			contains: []string{"no spaces"}},
		{name: "http source bad escape", role: "source", call: `HTTP("/a%zz")`, is: []error{endpoints.ErrInvalidEndpoint},
			contains: []string{"valid URL path"}},
		{name: "http source query", role: "source", call: `HTTP("/orders?x=1")`, is: []error{endpoints.ErrInvalidEndpoint},
			contains: []string{"without query"}},
		{name: "http source GET", role: "source", call: `HTTP("/orders", {method: "GET"})`, is: []error{endpoints.ErrInvalidEndpoint},
			contains: []string{"expected POST, PUT or PATCH"}},
		{name: "http target path", role: "target", call: `HTTP("/hook")`, is: []error{endpoints.ErrInvalidEndpoint},
			contains: []string{"is a path: an HTTP target takes an absolute URL"}},
		{name: "http target timeout", role: "target", call: `HTTP("http://x/hook", {timeout: 5})`, is: []error{endpoints.ErrInvalidEndpoint},
			contains: []string{"option timeout: expected a string"}},
		{name: "http target headers", role: "target", call: `HTTP("http://x/hook", {headers: {A: 1}})`, is: []error{endpoints.ErrInvalidEndpoint},
			contains: []string{"option headers.A: expected a string"}},
		{name: "http listen not loopback", role: "source", call: `HTTP("/x")`, opts: &endpoints.Options{HTTPListen: "0.0.0.0:8080"},
			is: []error{endpoints.ErrInvalidOptions}, contains: []string{"loopback only"}},
		{name: "file missing", role: "source", call: `File("missing.jsonl")`, is: []error{endpoints.ErrInvalidEndpoint, os.ErrNotExist},
			contains: []string{"missing.jsonl", "expected a readable JSON Lines file"}},
		{name: "file dir", role: "source", call: `File(".")`, is: []error{endpoints.ErrInvalidEndpoint},
			contains: []string{"is a directory"}},
		{name: "file rate", role: "source", call: `File(".", {rate: -1})`, is: []error{endpoints.ErrInvalidEndpoint}},
		{name: "mqtt disabled", role: "source", call: `MQTT("a/b")`, opts: &endpoints.Options{},
			is: []error{endpoints.ErrNotEnabled}, contains: []string{"MQTTListen"}},
		{name: "mqtt target wildcard", role: "target", call: `MQTT("a/+")`, is: []error{endpoints.ErrInvalidEndpoint, endpoints.ErrInvalidSubject},
			contains: []string{"wildcards are only allowed in sources"}},
		{name: "mqtt hash not last", role: "source", call: `MQTT("a/#/b")`, is: []error{endpoints.ErrInvalidSubject},
			contains: []string{"'#' before the last level"}},
		{name: "mqtt partial plus", role: "source", call: `MQTT("a/b+")`, is: []error{endpoints.ErrInvalidSubject},
			contains: []string{"must be a whole level"}},
		{name: "mqtt nats wildcard", role: "source", call: `MQTT("a/*")`, is: []error{endpoints.ErrInvalidSubject},
			contains: []string{"NATS wildcard"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := opts
			if tc.opts != nil {
				o = *tc.opts
			}
			d := decl(t, tc.role, tc.call)
			var err error
			if tc.role == "source" {
				_, err = endpoints.Source("W", d, o)
			} else {
				_, err = endpoints.Target("W", d, o)
			}
			require.Error(t, err)
			for _, want := range tc.is {
				assert.ErrorIs(t, err, want)
			}
			for _, s := range tc.contains {
				assert.Contains(t, err.Error(), s)
			}
		})
	}

	t.Run("workflow name", func(t *testing.T) {
		_, err := endpoints.Source("a.b", decl(t, "source", `NATS("x")`), opts)
		assert.ErrorIs(t, err, endpoints.ErrInvalidEndpoint)
		assert.Contains(t, err.Error(), `workflow name "a.b"`)
	})
	t.Run("nil", func(t *testing.T) {
		_, err := endpoints.Source("W", nil, opts)
		assert.ErrorIs(t, err, endpoints.ErrInvalidEndpoint)
	})
}

func TestValidateSubject(t *testing.T) {
	for _, tc := range []struct {
		s         string
		wildcards bool
		ok        bool
	}{
		{"a", false, true},
		{"a.b.c", false, true},
		{"$KV.bucket.key", false, true},
		{"ünï.côde", false, true},
		{"a.*.c", true, true},
		{"a.>", true, true},
		{">", true, true},
		{"*", true, true},
		{"a.*", false, false},
		{">", false, false},
		{"", true, false},
		{".a", true, false},
		{"a.", true, false},
		{"a..b", true, false},
		{"a b", true, false},
		{"a\tb", true, false},
		{"a\x7f", true, false},
		{"a*", true, false},
		{"a.b>", true, false},
		{">.a", true, false},
		{"\xff", true, false},
	} {
		t.Run(tc.s, func(t *testing.T) {
			err := endpoints.ValidateSubject(tc.s, tc.wildcards)
			if tc.ok {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, endpoints.ErrInvalidSubject)
			}
		})
	}
}

func TestMQTTSubject(t *testing.T) {
	for _, tc := range []struct {
		topic  string
		filter bool
		want   string // "" means an error
	}{
		{"plant/line1/telemetry", false, "plant.line1.telemetry"},
		{"plant/+/telemetry", true, "plant.*.telemetry"},
		{"plant/#", true, "plant.>"},
		{"#", true, ">"},
		{"+", true, "*"},
		{"single", false, "single"},
		{"/lead", false, "/.lead"},
		{"trail/", false, "trail./"},
		{"a//b", false, "a./.b"},
		{"//", false, "/././"},
		{"/", false, "/./"},
		{"v1.0/x", false, "v1//0.x"},
		{"a.b", false, "a//b"},
		{"/+/#", true, "/.*.>"},
		{"", false, ""},
		{"a b", false, ""},
		{"a\x00", false, ""},
		{"a/+", false, ""},
		{"a/#", false, ""},
		{"a/#/b", true, ""},
		{"a/b#", true, ""},
		{"a+/b", true, ""},
		{"a/*", true, ""},
		{"a/>", false, ""},
	} {
		t.Run(tc.topic, func(t *testing.T) {
			got, err := endpoints.MQTTSubject(tc.topic, tc.filter)
			if tc.want == "" {
				assert.ErrorIs(t, err, endpoints.ErrInvalidSubject)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestErrorsAreDistinct(t *testing.T) {
	all := []error{endpoints.ErrInvalidEndpoint, endpoints.ErrUnknownType, endpoints.ErrUnsupported, endpoints.ErrNotEnabled,
		endpoints.ErrInvalidOptions, endpoints.ErrConflict, endpoints.ErrNotStarted, endpoints.ErrInvalidSubject, endpoints.ErrStopped}
	for i, a := range all {
		for j, b := range all {
			assert.Equal(t, i == j, errors.Is(a, b), "%v / %v", a, b)
		}
	}
}
