package bus_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumeo/kumeo/engine/bus"
	"github.com/kumeo/kumeo/engine/bus/bustest"
)

const wait = 10 * time.Second

func TestInProcessConnection(t *testing.T) {
	b := bustest.Run(t)

	assert.Empty(t, b.ClientURL(), "no listener was asked for")
	_, err := b.ConnectTCP()
	require.ErrorIs(t, err, bus.ErrNoListener)

	sub := bustest.Connect(t, b)
	pub := bustest.Connect(t, b)
	got := make(chan *nats.Msg, 1)
	_, err = sub.ChanSubscribe("kumeo.test.in", got)
	require.NoError(t, err)
	require.NoError(t, sub.Flush())

	require.NoError(t, pub.Publish("kumeo.test.in", []byte("hello")))
	select {
	case m := <-got:
		assert.Equal(t, "hello", string(m.Data))
	case <-time.After(wait):
		t.Fatal("message not delivered over the in-process connection")
	}
	assert.Equal(t, jetstream.MemoryStorage, b.StorageType())
}

func TestTCPListenerPlainConnect(t *testing.T) {
	b := bustest.Run(t, bustest.TCP())

	url := b.ClientURL()
	require.True(t, strings.HasPrefix(url, "nats://127.0.0.1:"), "ClientURL = %q", url)
	require.NotEqual(t, "nats://127.0.0.1:0", url, "random port must be resolved")

	// A plain client, as the nats CLI would connect, knows nothing of the bus.
	ext, err := nats.Connect(url)
	require.NoError(t, err)
	t.Cleanup(ext.Close)

	in := bustest.Connect(t, b)
	got := make(chan *nats.Msg, 1)
	_, err = in.ChanSubscribe("kumeo.test.tcp", got)
	require.NoError(t, err)
	require.NoError(t, in.Flush())

	require.NoError(t, ext.Publish("kumeo.test.tcp", []byte("from outside")))
	select {
	case m := <-got:
		assert.Equal(t, "from outside", string(m.Data))
	case <-time.After(wait):
		t.Fatal("TCP client message not delivered to in-process subscriber")
	}

	tc, err := b.ConnectTCP()
	require.NoError(t, err)
	assert.Equal(t, url, tc.ConnectedUrl())
}

func TestPreferTCP(t *testing.T) {
	b := bustest.Run(t, bustest.TCP(), bustest.With(func(o *bus.Options) { o.PreferTCP = true }))
	nc, err := b.Connect()
	require.NoError(t, err)
	assert.Equal(t, b.ClientURL(), nc.ConnectedUrl())
	assert.NotEmpty(t, nc.ConnectedAddr())
}

func TestMQTTListener(t *testing.T) {
	b := bustest.Run(t, bustest.MQTT())
	addr := b.MQTTAddr()
	require.NotEmpty(t, addr)
	conn, err := net.DialTimeout("tcp", addr, wait)
	require.NoError(t, err)
	require.NoError(t, conn.Close())
}

func TestJetStreamFileStoreSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()

	b1 := bustest.Run(t, bustest.DataDir(dir))
	require.Equal(t, jetstream.FileStorage, b1.StorageType())
	js, err := b1.JetStream()
	require.NoError(t, err)
	_, err = js.CreateStream(ctx, jetstream.StreamConfig{
		Name:     "EVENTS",
		Subjects: []string{"kumeo.wf.events"},
		Storage:  b1.StorageType(),
	})
	require.NoError(t, err)
	const n = 50
	for i := range n {
		_, err := js.Publish(ctx, "kumeo.wf.events", fmt.Appendf(nil, "event-%d", i))
		require.NoError(t, err)
	}
	require.NoError(t, b1.Shutdown(ctx))

	b2 := bustest.Run(t, bustest.DataDir(dir))
	js2, err := b2.JetStream()
	require.NoError(t, err)
	st, err := js2.Stream(ctx, "EVENTS")
	require.NoError(t, err)
	info, err := st.Info(ctx)
	require.NoError(t, err)
	assert.Equal(t, uint64(n), info.State.Msgs)

	for i := range n {
		m, err := st.GetMsg(ctx, uint64(i+1))
		require.NoError(t, err)
		assert.Equal(t, fmt.Sprintf("event-%d", i), string(m.Data))
	}
}

func TestMemoryStoreIsNotDurable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	b := bustest.Run(t)
	js, err := b.JetStream()
	require.NoError(t, err)
	again, err := b.JetStream()
	require.NoError(t, err)
	assert.Same(t, js, again, "JetStream context is shared")

	_, err = js.CreateStream(ctx, jetstream.StreamConfig{
		Name: "Q", Subjects: []string{"q.>"}, Storage: b.StorageType(),
	})
	require.NoError(t, err)
	ack, err := js.Publish(ctx, "q.a", []byte("x"))
	require.NoError(t, err)
	assert.Equal(t, uint64(1), ack.Sequence)
}

func TestShutdownDrainsPublishedMessages(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []bustest.Option
		tcp  bool
	}{
		{name: "in-process"},
		{name: "tcp", opts: []bustest.Option{bustest.TCP()}, tcp: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := bustest.Run(t, tc.opts...)
			connect := b.Connect
			if tc.tcp {
				connect = b.ConnectTCP
			}
			sub, err := connect()
			require.NoError(t, err)
			pub, err := connect()
			require.NoError(t, err)

			var got atomic.Int64
			_, err = sub.Subscribe("kumeo.test.drain", func(*nats.Msg) {
				if got.Add(1) == 1 {
					// Hold the first message until Shutdown is draining, so
					// the rest are still queued in the client when it starts.
					deadline := time.Now().Add(wait)
					for !sub.IsDraining() && !sub.IsClosed() && time.Now().Before(deadline) {
						runtime.Gosched()
					}
				}
			})
			require.NoError(t, err)
			require.NoError(t, sub.Flush())

			const n = 2000
			for range n {
				require.NoError(t, pub.Publish("kumeo.test.drain", []byte("x")))
			}
			// No flush: the last messages may still sit in pub's buffer.
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			defer cancel()
			require.NoError(t, b.Shutdown(ctx))

			assert.Equal(t, int64(n), got.Load(), "every message published before Shutdown is delivered")
			assert.True(t, sub.IsClosed())
			assert.True(t, pub.IsClosed())
		})
	}
}

func TestLifecycleErrors(t *testing.T) {
	b, err := bus.New(bus.Options{})
	require.NoError(t, err)
	require.ErrorIs(t, b.Ready(time.Second), bus.ErrNotStarted)
	_, err = b.Connect()
	require.ErrorIs(t, err, bus.ErrNotStarted)

	require.NoError(t, b.Start())
	require.ErrorIs(t, b.Start(), bus.ErrAlreadyStarted)
	require.NoError(t, b.Ready(wait))
	require.NoError(t, b.Ready(wait), "Ready is idempotent")

	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	require.NoError(t, b.Shutdown(ctx))
	require.NoError(t, b.Shutdown(ctx), "Shutdown is idempotent")
	require.ErrorIs(t, b.Start(), bus.ErrClosed)
	require.ErrorIs(t, b.Ready(time.Second), bus.ErrClosed)
	_, err = b.Connect()
	require.ErrorIs(t, err, bus.ErrClosed)
	_, err = b.JetStream()
	require.ErrorIs(t, err, bus.ErrClosed)

	never, err := bus.New(bus.Options{})
	require.NoError(t, err)
	require.NoError(t, never.Shutdown(ctx), "shutting down a bus that never started")
}

func TestInvalidOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts bus.Options
		want string
	}{
		{"listen without port", bus.Options{Listen: "127.0.0.1"}, "Listen"},
		{"listen bad port", bus.Options{Listen: "127.0.0.1:http"}, "port"},
		{"listen port out of range", bus.Options{Listen: "127.0.0.1:70000"}, "port"},
		{"mqtt bad", bus.Options{MQTTListen: "nope"}, "MQTTListen"},
		{"negative payload", bus.Options{MaxPayload: -1}, "MaxPayload"},
		{"negative limits", bus.Options{JetStreamMaxStore: -1}, "JetStream"},
		{"tcp without listener", bus.Options{PreferTCP: true}, "PreferTCP"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := bus.New(tc.opts)
			require.ErrorIs(t, err, bus.ErrInvalidOptions)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestReadySaysWhatFailed(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { taken.Close() })

	b, err := bus.New(bus.Options{Listen: taken.Addr().String()})
	require.NoError(t, err)
	require.NoError(t, b.Start())
	t.Cleanup(func() { bustest.Shutdown(t, b) })

	err = b.Ready(wait)
	require.ErrorIs(t, err, bus.ErrStartFailed)
	assert.Contains(t, err.Error(), taken.Addr().String(), "error names the address that failed")
}

func TestStartFailsOnBadDataDir(t *testing.T) {
	file := t.TempDir() + "/not-a-dir"
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	b, err := bus.New(bus.Options{DataDir: file + "/store"})
	require.NoError(t, err)
	err = b.Start()
	require.ErrorIs(t, err, bus.ErrStartFailed)
	assert.Contains(t, err.Error(), "data dir")
}

func TestEmptyListenHostIsLoopback(t *testing.T) {
	b := bustest.Run(t, bustest.With(func(o *bus.Options) { o.Listen = ":0" }))
	assert.True(t, strings.HasPrefix(b.ClientURL(), "nats://127.0.0.1:"), b.ClientURL())
}

func TestLoggerReceivesServerLines(t *testing.T) {
	var mu sync.Mutex
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&lockedWriter{mu: &mu, w: &buf}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	b := bustest.Run(t, bustest.With(func(o *bus.Options) { o.Logger = logger }))
	_ = b
	mu.Lock()
	defer mu.Unlock()
	assert.Contains(t, buf.String(), "Server is ready")
	assert.Contains(t, buf.String(), "component=nats-server")
}

// TestSilentByDefault checks that a bus without a logger writes nothing to
// stdout or stderr. It swaps the process's stdout/stderr, so it must not run
// in parallel with other tests.
func TestSilentByDefault(t *testing.T) {
	r, w, err := os.Pipe()
	require.NoError(t, err)
	stdout, stderr := os.Stdout, os.Stderr
	os.Stdout, os.Stderr = w, w
	out := make(chan []byte)
	go func() {
		data, _ := io.ReadAll(r)
		out <- data
	}()

	func() {
		defer func() { os.Stdout, os.Stderr = stdout, stderr }()
		b, err := bus.New(bus.Options{Listen: "127.0.0.1:0"})
		require.NoError(t, err)
		require.NoError(t, b.Start())
		require.NoError(t, b.Ready(wait))
		nc, err := b.Connect()
		require.NoError(t, err)
		require.NoError(t, nc.Publish("x", nil))
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		require.NoError(t, b.Shutdown(ctx))
	}()
	require.NoError(t, w.Close())
	assert.Empty(t, string(<-out))
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
