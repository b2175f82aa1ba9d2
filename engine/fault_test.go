package engine

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumeo/kumeo/engine/bus/bustest"
)

func waitFault(t *testing.T, r *Run) {
	t.Helper()
	select {
	case <-r.Fault():
	case <-time.After(15 * time.Second):
		t.Fatal("the run did not report a fault")
	}
}

// The embedded server going away under a run is a fault the run reports
// by itself; Stop still releases it.
func TestFaultWhenTheBusShutsDown(t *testing.T) {
	b := bustest.Run(t)
	run, err := Start(context.Background(), parse(t, `workflow B { source: NATS("b.in") target: NATS("b.out") agents: [ TTag(id: "a") ] }`), "", Options{Bus: b})
	require.NoError(t, err)
	assert.NoError(t, run.Err())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, b.Shutdown(ctx))
	waitFault(t, run)
	assert.ErrorIs(t, run.Err(), ErrConnClosed)
	run.Stop(ctx)
	assert.ErrorIs(t, run.Err(), ErrConnClosed, "the fault stays after Stop")
}

// A File source whose file fails while being read faults the run with the
// source's error. /proc/self/mem opens as a regular file, and reading it
// at offset 0 fails (EIO).
func TestFaultWhenAFileSourceFails(t *testing.T) {
	if _, err := os.Stat("/proc/self/mem"); err != nil {
		t.Skip("no /proc/self/mem to read from")
	}
	f := parse(t, `workflow F { source: File("/proc/self/mem") target: NATS("f.out") agents: [ TTag(id: "a") ] }`)
	f.Filename = filepath.Join(t.TempDir(), "f.kumeo")
	run, err := Start(context.Background(), f, "", Options{Bus: bustest.Run(t)})
	require.NoError(t, err)
	t.Cleanup(func() { run.Stop(context.Background()) })
	waitFault(t, run)
	assert.ErrorContains(t, run.Err(), "engine: source")
	assert.ErrorContains(t, run.Err(), "/proc/self/mem")
	assert.NotErrorIs(t, run.Err(), ErrConnClosed)
}

// Stopping, and a File source finishing its file, are not faults.
func TestNoFaultOnStopOrDrain(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "in.jsonl"), []byte(`{"n": 1}`+"\n"), 0o644))
	f := parse(t, `workflow F { source: File("in.jsonl") target: NATS("f.out") agents: [ TTag(id: "a") ] }`)
	f.Filename = filepath.Join(dir, "f.kumeo")
	run, err := Start(context.Background(), f, "", Options{})
	require.NoError(t, err)
	select {
	case <-run.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("file source never drained")
	}
	require.NoError(t, run.Stop(context.Background()))
	select {
	case <-run.Fault():
		t.Fatalf("fault after a clean drain and stop: %v", run.Err())
	case <-time.After(200 * time.Millisecond):
	}
	assert.NoError(t, run.Err())
}

// The durable consumer deleted under a durable run is a fault: nothing
// would be read again.
func TestFaultWhenTheDurableConsumerIsDeleted(t *testing.T) {
	dir := t.TempDir()
	b := bustest.Run(t, bustest.DataDir(dir))
	run := startDurable(t, b, dir, time.Second)
	t.Cleanup(func() { run.Stop(context.Background()) })
	js, err := jetstream.New(bustest.Connect(t, b))
	require.NoError(t, err)
	require.NoError(t, js.DeleteConsumer(context.Background(), streamName("D"), "kumeo-kumeo-D-source"))
	waitFault(t, run)
	assert.ErrorContains(t, run.Err(), "engine: durable sources")
	assert.NotErrorIs(t, run.Err(), ErrConnClosed)
}
