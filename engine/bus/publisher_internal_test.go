package bus

import (
	"errors"
	"net"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPublisherAnswersPings runs a server that pings every 20 ms and drops
// a client after two unanswered pings: the publisher stays connected and
// usable well past that.
func TestPublisherAnswersPings(t *testing.T) {
	srv, err := server.NewServer(&server.Options{DontListen: true, NoLog: true, NoSigs: true,
		PingInterval: 20 * time.Millisecond, MaxPingsOut: 2})
	require.NoError(t, err)
	go srv.Start()
	t.Cleanup(srv.Shutdown)
	require.True(t, srv.ReadyForConnections(10*time.Second))

	conn, err := srv.InProcessConn()
	require.NoError(t, err)
	closed := make(chan error, 1)
	p, err := newPublisher(conn, "test", 10*time.Second, func(err error) { closed <- err })
	require.NoError(t, err)
	t.Cleanup(func() { p.Close() })
	nc, err := nats.Connect("", nats.InProcessServer(srv))
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	got := make(chan *nats.Msg, 1)
	_, err = nc.ChanSubscribe("s", got)
	require.NoError(t, err)
	require.NoError(t, nc.Flush())

	select {
	case err := <-closed:
		t.Fatalf("publisher dropped: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	require.NoError(t, p.Publish("s", nil, []byte("still here")))
	select {
	case m := <-got:
		assert.Equal(t, "still here", string(m.Data))
	case <-time.After(10 * time.Second):
		t.Fatal("message not delivered")
	}
	require.NoError(t, p.Flush(10*time.Second))
}

// TestPublisherHandshakeErrors: a server that is not NATS, or that
// refuses the connection, makes newPublisher fail with the reason.
func TestPublisherHandshakeErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		server string
		want   string
	}{
		{name: "not NATS", server: "HTTP/1.1 400 Bad Request\r\n", want: "expected INFO"},
		{name: "no headers", server: `INFO {"max_payload":1024}` + "\r\n", want: nats.ErrHeadersNotSupported.Error()},
		{name: "auth", server: `INFO {"max_payload":1024,"headers":true,"auth_required":true}` + "\r\n", want: "authentication"},
		{name: "refused", server: `INFO {"max_payload":1024,"headers":true}` + "\r\n-ERR 'Authorization Violation'\r\n", want: "Authorization Violation"},
		{name: "closed", server: `INFO {"max_payload":1024,"headers":true}` + "\r\n", want: "EOF"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, s := netPipe()
			go func() {
				s.Write([]byte(tc.server))
				buf := make([]byte, 4096)
				s.Read(buf) // CONNECT and PING
				s.Close()
			}()
			_, err := newPublisher(c, "test", 5*time.Second, nil)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			var ne interface{ Timeout() bool }
			assert.False(t, errors.As(err, &ne) && ne.Timeout(), "failed by timing out: %v", err)
		})
	}
}

func netPipe() (net.Conn, net.Conn) { return net.Pipe() }
