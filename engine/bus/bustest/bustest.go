// Package bustest starts real embedded buses for tests.
//
// Run starts a bus with a memory store and no listener by default, waits
// until it is ready and registers a cleanup that shuts it down. Options
// add a random-port TCP listener or a file store in a per-test temporary
// directory. Server log lines at warning level and above go to t.Log.
package bustest

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/kumeo/kumeo/engine/bus"
)

// ReadyTimeout bounds how long Run waits for the server.
const ReadyTimeout = 30 * time.Second

// Option adjusts the bus.Options Run uses.
type Option func(t testing.TB, o *bus.Options)

// TCP adds a TCP listener on a random loopback port.
func TCP() Option {
	return func(_ testing.TB, o *bus.Options) { o.Listen = "127.0.0.1:0" }
}

// MQTT adds an MQTT listener on a random loopback port.
func MQTT() Option {
	return func(_ testing.TB, o *bus.Options) { o.MQTTListen = "127.0.0.1:0" }
}

// FileStore uses a JetStream file store in a new temporary directory.
func FileStore() Option {
	return func(t testing.TB, o *bus.Options) { o.DataDir = t.TempDir() }
}

// DataDir uses a JetStream file store in dir (for restart tests).
func DataDir(dir string) Option {
	return func(_ testing.TB, o *bus.Options) { o.DataDir = dir }
}

// With applies an arbitrary change to the options.
func With(f func(o *bus.Options)) Option {
	return func(_ testing.TB, o *bus.Options) { f(o) }
}

// Run starts a bus, waits until it is ready and shuts it down when the test
// ends. It fails the test at once if the bus cannot start.
func Run(t testing.TB, opts ...Option) *bus.Bus {
	t.Helper()
	o := bus.Options{Logger: testLogger(t)}
	for _, opt := range opts {
		opt(t, &o)
	}
	b, err := bus.New(o)
	if err != nil {
		t.Fatalf("bustest: new bus: %v", err)
	}
	if err := b.Start(); err != nil {
		t.Fatalf("bustest: start bus: %v", err)
	}
	t.Cleanup(func() { Shutdown(t, b) })
	if err := b.Ready(ReadyTimeout); err != nil {
		t.Fatalf("bustest: bus not ready: %v", err)
	}
	return b
}

// Shutdown shuts b down within ReadyTimeout and reports an error to t.
// It is safe to call more than once.
func Shutdown(t testing.TB, b *bus.Bus) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), ReadyTimeout)
	defer cancel()
	if err := b.Shutdown(ctx); err != nil {
		t.Errorf("bustest: shutdown: %v", err)
	}
}

// Connect returns an in-process connection to b that is closed when the
// test ends (if Shutdown has not drained it already).
func Connect(t testing.TB, b *bus.Bus, opts ...nats.Option) *nats.Conn {
	t.Helper()
	nc, err := b.Connect(opts...)
	if err != nil {
		t.Fatalf("bustest: connect: %v", err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// Eventually polls cond every few milliseconds until it returns true, and
// fails the test with msg if it has not within timeout. It never sleeps
// longer than one poll interval.
func Eventually(t testing.TB, timeout time.Duration, cond func() bool, msg string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("bustest: condition not met within %s: "+msg, append([]any{timeout}, args...)...)
		}
		<-tick.C
	}
}

// Soon is Eventually with the timeout engine and app tests share: ten
// seconds, far more than any condition takes even on a loaded machine, so
// only a condition that never holds fails.
func Soon(t testing.TB, cond func() bool, msg string, args ...any) {
	t.Helper()
	Eventually(t, 10*time.Second, cond, msg, args...)
}

// testLogger sends server warnings and errors to t.Log until the test ends.
func testLogger(t testing.TB) *slog.Logger {
	h := &tbHandler{t: t}
	t.Cleanup(func() {
		h.mu.Lock()
		h.done = true
		h.mu.Unlock()
	})
	return slog.New(h)
}

type tbHandler struct {
	t    testing.TB
	mu   sync.Mutex
	done bool // set when the test ends; t.Log must not be called after
}

func (h *tbHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }

func (h *tbHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.done {
		return nil
	}
	h.t.Logf("nats-server %s: %s", r.Level, r.Message)
	return nil
}

func (h *tbHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *tbHandler) WithGroup(string) slog.Handler      { return h }
