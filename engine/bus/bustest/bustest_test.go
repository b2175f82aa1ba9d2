package bustest_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumeo/kumeo/engine/bus/bustest"
)

func TestRun(t *testing.T) {
	for _, tc := range []struct {
		name    string
		opts    []bustest.Option
		url     bool
		storage jetstream.StorageType
	}{
		{name: "default", storage: jetstream.MemoryStorage},
		{name: "tcp", opts: []bustest.Option{bustest.TCP()}, url: true, storage: jetstream.MemoryStorage},
		{name: "file store", opts: []bustest.Option{bustest.FileStore()}, storage: jetstream.FileStorage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := bustest.Run(t, tc.opts...)
			assert.Equal(t, tc.url, b.ClientURL() != "")
			assert.Equal(t, tc.storage, b.StorageType())

			nc := bustest.Connect(t, b)
			var got atomic.Int32
			_, err := nc.Subscribe("x", func(*nats.Msg) { got.Add(1) })
			require.NoError(t, err)
			require.NoError(t, nc.Publish("x", nil))
			bustest.Eventually(t, 10*time.Second, func() bool { return got.Load() == 1 }, "message delivered")
		})
	}
}

func TestShutdownTwice(t *testing.T) {
	b := bustest.Run(t)
	bustest.Shutdown(t, b) // the registered cleanup shuts it down again
}
