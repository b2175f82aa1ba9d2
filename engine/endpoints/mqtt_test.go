package endpoints_test

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumeo/kumeo/engine/bus/bustest"
	"github.com/kumeo/kumeo/engine/endpoints"
	"github.com/kumeo/kumeo/engine/trace"
)

var mqttClients atomic.Int64

// mqttClient connects a real MQTT client to the bus's MQTT listener.
func mqttClient(t *testing.T, addr string) mqtt.Client {
	t.Helper()
	o := mqtt.NewClientOptions().
		AddBroker("tcp://" + addr).
		SetClientID(fmt.Sprintf("kumeo-test-%d", mqttClients.Add(1))).
		SetCleanSession(true).
		SetAutoReconnect(false).
		SetConnectTimeout(wait)
	c := mqtt.NewClient(o)
	tok := c.Connect()
	require.True(t, tok.WaitTimeout(wait), "MQTT connect timed out")
	require.NoError(t, tok.Error())
	t.Cleanup(func() { c.Disconnect(100) })
	return c
}

func await(t *testing.T, tok mqtt.Token) {
	t.Helper()
	require.True(t, tok.WaitTimeout(wait), "MQTT operation timed out")
	require.NoError(t, tok.Error())
}

func TestMQTT(t *testing.T) {
	b := bustest.Run(t, bustest.MQTT())
	nc := bustest.Connect(t, b)
	addr := b.MQTTAddr()
	require.NotEmpty(t, addr)
	client := mqttClient(t, addr)
	opts := endpoints.Options{MQTTEnabled: true}

	t.Run("source: MQTT publish reaches the NATS subject", func(t *testing.T) {
		e := source(t, `MQTT("plant/+/telemetry")`, opts)
		require.Nil(t, e.Adapter)
		got := collect(t, nc, e.Subject)
		for _, qos := range []byte{0, 1} {
			await(t, client.Publish("plant/line1/telemetry", qos, false, fmt.Sprintf(`{"temp":21,"qos":%d}`, qos)))
			m := next(t, got)
			assert.Equal(t, "plant.line1.telemetry", m.Subject)
			assert.Equal(t, fmt.Sprintf(`{"temp":21,"qos":%d}`, qos), string(m.Data))
		}
		await(t, client.Publish("plant/line1/other", 0, false, `{}`))
		await(t, client.Publish("plant/line1/telemetry", 0, false, `{"last":true}`))
		assert.Equal(t, `{"last":true}`, string(next(t, got).Data), "other topics do not match")
	})

	t.Run("source: # matches the parent level", func(t *testing.T) {
		e := source(t, `MQTT("site/#")`, opts)
		require.Equal(t, []string{"site.>", "site"}, e.Subjects)
		got := make(chan *nats.Msg, 16)
		for _, s := range e.Subjects {
			sub, err := nc.ChanSubscribe(s, got)
			require.NoError(t, err)
			t.Cleanup(func() { _ = sub.Unsubscribe() })
		}
		require.NoError(t, nc.Flush())
		await(t, client.Publish("site", 0, false, `{"a":1}`))
		await(t, client.Publish("site/x/y", 0, false, `{"a":2}`))
		assert.ElementsMatch(t, []string{"site", "site.x.y"}, []string{next(t, got).Subject, next(t, got).Subject})
	})

	t.Run("target: NATS publish reaches MQTT subscribers", func(t *testing.T) {
		e := target(t, `MQTT("alerts/high")`, opts)
		require.Nil(t, e.Adapter)
		got := make(chan mqtt.Message, 4)
		await(t, client.Subscribe("alerts/high", 1, func(_ mqtt.Client, m mqtt.Message) { got <- m }))
		span := trace.Root("test")
		require.NoError(t, nc.PublishMsg(&nats.Msg{Subject: e.Subject, Data: []byte(`{"level":"high"}`), Header: span.Header()}))
		select {
		case m := <-got:
			assert.Equal(t, "alerts/high", m.Topic())
			assert.Equal(t, `{"level":"high"}`, string(m.Payload()))
		case <-time.After(wait):
			t.Fatal("MQTT subscriber got nothing")
		}
	})

	// The server's own conversion decides; MQTTSubject must agree with it
	// on the edge cases.
	for _, topic := range []string{"/lead/x", "trail/", "a//b", "v1.0/x", "a.b", "ünï/côde"} {
		t.Run("mapping "+topic, func(t *testing.T) {
			subj, err := endpoints.MQTTSubject(topic, false)
			require.NoError(t, err)
			got := collect(t, nc, subj)
			await(t, client.Publish(topic, 0, false, `{}`))
			assert.Equal(t, subj, next(t, got).Subject)

			recv := make(chan mqtt.Message, 1)
			await(t, client.Subscribe(topic, 0, func(_ mqtt.Client, m mqtt.Message) { recv <- m }))
			t.Cleanup(func() { client.Unsubscribe(topic).WaitTimeout(wait) })
			require.NoError(t, nc.Publish(subj, []byte(`{"back":1}`)))
			select {
			case m := <-recv:
				assert.Equal(t, topic, m.Topic())
			case <-time.After(wait):
				t.Fatalf("MQTT subscriber of %q got nothing published on %q", topic, subj)
			}
		})
	}
}
