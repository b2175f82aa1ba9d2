package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumeo/kumeo/engine/bus/bustest"
)

// Sources and targets of every kind, end to end through the runtime.

func TestHTTPSourceToFileTarget(t *testing.T) {
	dir := t.TempDir()
	src := `workflow H {
	  source: HTTP("/orders", { method: "POST" })
	  target: File("out/orders.jsonl")
	  agents: [ TTag(id: "a") ]
	}`
	f := parse(t, src)
	f.Filename = filepath.Join(dir, "h.kumeo")
	b := bustest.Run(t)
	run, err := Start(context.Background(), f, "", Options{Bus: b})
	require.NoError(t, err)
	require.NotEmpty(t, run.HTTPURL())
	for i := 0; i < 20; i++ {
		resp, err := http.Post(run.HTTPURL()+"/orders", "application/json", strings.NewReader(fmt.Sprintf(`{"n": %d}`, i)))
		require.NoError(t, err)
		var body map[string]string
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
		resp.Body.Close()
		assert.Equal(t, http.StatusAccepted, resp.StatusCode)
		assert.NotEmpty(t, body["event_id"])
	}
	bustest.Eventually(t, 10*time.Second, func() bool { l := run.Ledger(); return l.Out == 20 && l.InFlight == 0 }, "all events handled: %+v", run.Ledger())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, run.Stop(ctx)) // flushes the file target
	data, err := os.ReadFile(filepath.Join(dir, "out/orders.jsonl"))
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	require.Len(t, lines, 20)
	var e map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &e))
	assert.Equal(t, "yes", e["a"])
}

func TestFileSourceDrains(t *testing.T) {
	dir := t.TempDir()
	var in bytes.Buffer
	for i := 0; i < 100; i++ {
		fmt.Fprintf(&in, "{\"n\": %d}\n", i)
	}
	in.WriteString("not json\n")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "in.jsonl"), in.Bytes(), 0o644))
	f := parse(t, `workflow F { source: File("in.jsonl") target: NATS("f.out") agents: [ TTag(id: "a") ] }`)
	f.Filename = filepath.Join(dir, "f.kumeo")
	h := &harness{t: t, bus: bustest.Run(t)}
	h.nc = bustest.Connect(t, h.bus)
	out := h.collect("f.out")
	dlq := h.collect(DLQSubject("F"))
	run, err := Start(context.Background(), f, "", Options{Bus: h.bus})
	require.NoError(t, err)
	h.run = run
	t.Cleanup(func() { run.Stop(context.Background()) })
	done := run.Done()
	require.NotNil(t, done, "a File source is finite")
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("file source never drained")
	}
	eventually(t, func() bool { return len(out()) == 100 && len(dlq()) == 1 }, "out %d dlq %d", len(out()), len(dlq()))
	h.assertSettled()
	assert.Equal(t, Ledger{In: 101, Out: 100, DeadLettered: 1}, run.Ledger())
}

func TestTimerSource(t *testing.T) {
	h := start(t, `workflow T { source: Timer("20ms") target: NATS("t.out") agents: [ TTag(id: "a") ] }`, Options{})
	out := h.collect("t.out")
	eventually(t, func() bool { return len(out()) >= 3 }, "ticks %d", len(out()))
	var e map[string]any
	require.NoError(t, json.Unmarshal(out()[0].Data, &e))
	assert.Equal(t, 1.0, e["tick"])
	assert.Equal(t, "yes", e["a"])
}

func TestMQTTSourceAndTarget(t *testing.T) {
	b := bustest.Run(t, bustest.MQTT())
	h := start(t, `workflow M {
	  source: MQTT("plant/+/telemetry")
	  target: MQTT("plant/alerts")
	  agents: [ TTag(id: "a") ]
	}`, Options{Bus: b})
	_ = h
	opts := mqtt.NewClientOptions().AddBroker("tcp://" + b.MQTTAddr()).SetClientID("kumeo-test").SetCleanSession(true)
	c := mqtt.NewClient(opts)
	tok := c.Connect()
	require.True(t, tok.WaitTimeout(10*time.Second) && tok.Error() == nil, "mqtt connect: %v", tok.Error())
	t.Cleanup(func() { c.Disconnect(100) })
	got := make(chan []byte, 10)
	tok = c.Subscribe("plant/alerts", 1, func(_ mqtt.Client, m mqtt.Message) { got <- m.Payload() })
	require.True(t, tok.WaitTimeout(10*time.Second) && tok.Error() == nil, "mqtt subscribe: %v", tok.Error())
	tok = c.Publish("plant/line1/telemetry", 1, false, `{"temp": 71.5}`)
	require.True(t, tok.WaitTimeout(10*time.Second) && tok.Error() == nil, "mqtt publish: %v", tok.Error())
	select {
	case p := <-got:
		var e map[string]any
		require.NoError(t, json.Unmarshal(p, &e))
		assert.Equal(t, map[string]any{"temp": 71.5, "a": "yes"}, e)
	case <-time.After(10 * time.Second):
		t.Fatal("no MQTT message reached the MQTT target")
	}
}
