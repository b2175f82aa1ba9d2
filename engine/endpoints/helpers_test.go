package endpoints_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/require"

	"github.com/kumeo/kumeo/dsl"
	"github.com/kumeo/kumeo/engine/bus/bustest"
	"github.com/kumeo/kumeo/engine/endpoints"
)

// wait bounds every condition the tests poll for; they normally hold
// within milliseconds.
const wait = 10 * time.Second

// workflow parses `workflow W { body }`.
func workflow(t *testing.T, body string) *dsl.Workflow {
	t.Helper()
	f, diags := dsl.Parse("test.kumeo", []byte("workflow W {\n"+body+"\n}\n"))
	require.False(t, diags.HasErrors(), "parse: %v", diags)
	w := f.Workflow("")
	require.NotNil(t, w)
	return w
}

// decl returns the first source (role "source") or target declared by
// `role: call`.
func decl(t *testing.T, role, call string) *dsl.Endpoint {
	t.Helper()
	w := workflow(t, role+": "+call)
	if role == "source" {
		require.Len(t, w.Sources, 1)
		return w.Sources[0]
	}
	require.Len(t, w.Targets, 1)
	return w.Targets[0]
}

func source(t *testing.T, call string, opts endpoints.Options) *endpoints.Endpoint {
	t.Helper()
	e, err := endpoints.Source("W", decl(t, "source", call), opts)
	require.NoError(t, err)
	return e
}

func target(t *testing.T, call string, opts endpoints.Options) *endpoints.Endpoint {
	t.Helper()
	e, err := endpoints.Target("W", decl(t, "target", call), opts)
	require.NoError(t, err)
	return e
}

// start starts e's adapter on nc and stops it when the test ends.
func start(t *testing.T, e *endpoints.Endpoint, nc *nats.Conn) {
	t.Helper()
	require.NotNil(t, e.Adapter)
	require.NoError(t, e.Adapter.Start(context.Background(), nc))
	t.Cleanup(func() { stop(t, e) })
}

func stop(t *testing.T, e *endpoints.Endpoint) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	require.NoError(t, e.Adapter.Stop(ctx))
}

// collect subscribes to subject and returns a channel of what arrives.
func collect(t *testing.T, nc *nats.Conn, subject string) chan *nats.Msg {
	t.Helper()
	ch := make(chan *nats.Msg, 4096)
	sub, err := nc.ChanSubscribe(subject, ch)
	require.NoError(t, err)
	require.NoError(t, nc.Flush())
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	return ch
}

// next returns the next message from ch, failing the test after wait.
func next(t *testing.T, ch chan *nats.Msg) *nats.Msg {
	t.Helper()
	select {
	case m := <-ch:
		return m
	case <-time.After(wait):
		t.Fatalf("no message within %s", wait)
		return nil
	}
}

// conn starts a bus with opts and returns a connection to it.
func conn(t *testing.T, opts ...bustest.Option) *nats.Conn {
	t.Helper()
	return bustest.Connect(t, bustest.Run(t, opts...))
}
