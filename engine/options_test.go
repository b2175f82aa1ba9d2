package engine

import (
	"context"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumeo/kumeo/engine/bus"
)

func TestOptionsConflicts(t *testing.T) {
	b, nc := &bus.Bus{}, &nats.Conn{}
	tests := []struct {
		name string
		opts Options
		says []string // what the error names; nil: valid
	}{
		{"zero", Options{}, nil},
		{"bus", Options{Bus: b}, nil},
		{"url", Options{NATSURL: "nats://127.0.0.1:4222"}, nil},
		{"conn", Options{Conn: nc}, nil},
		{"private bus listeners", Options{Listen: "127.0.0.1:0", MQTTListen: "127.0.0.1:0"}, nil},
		{"bus and url", Options{Bus: b, NATSURL: "nats://x"}, []string{"Bus and NATSURL"}},
		{"bus and conn", Options{Bus: b, Conn: nc}, []string{"Bus and Conn"}},
		{"url and conn", Options{NATSURL: "nats://x", Conn: nc}, []string{"NATSURL and Conn"}},
		{"all three", Options{Bus: b, NATSURL: "nats://x", Conn: nc}, []string{"Bus and NATSURL and Conn"}},
		{"bus and listen", Options{Bus: b, Listen: "127.0.0.1:0"}, []string{"Bus and Listen"}},
		{"url and mqtt listen", Options{NATSURL: "nats://x", MQTTListen: "127.0.0.1:0"}, []string{"NATSURL and MQTTListen"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.opts.validate()
			if tt.says == nil {
				assert.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrOptions)
			for _, s := range tt.says {
				assert.Contains(t, err.Error(), s)
			}
		})
	}
}

// Start refuses conflicting options before it connects to anything.
func TestStartValidatesOptions(t *testing.T) {
	_, err := Start(context.Background(), parse(t, `workflow W { source: NATS("in") agents: [ TTag(id: "a") ] }`), "",
		Options{Bus: &bus.Bus{}, NATSURL: "nats://127.0.0.1:1"})
	require.ErrorIs(t, err, ErrOptions)
	assert.ErrorContains(t, err, "Bus and NATSURL")
}
