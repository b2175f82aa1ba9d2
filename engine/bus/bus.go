// Package bus embeds a NATS server with JetStream in the Kumeo process.
//
// A Bus is created with New, started with the non-blocking Start, and
// waited for with Ready, which says what failed if the server cannot serve.
// Clients connect in-process (no socket) unless a TCP listener is asked
// for. Shutdown drains every client the Bus handed out before it stops the
// server, so a message published before Shutdown still reaches its
// subscribers.
//
//	b, err := bus.New(bus.Options{DataDir: dir})
//	if err != nil { ... }
//	if err := b.Start(); err != nil { ... }
//	if err := b.Ready(10 * time.Second); err != nil { ... }
//	nc, err := b.Connect()
//	...
//	err = b.Shutdown(ctx)
package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Errors returned by the bus, always wrapped with detail; test with errors.Is.
var (
	ErrInvalidOptions = errors.New("bus: invalid options")
	ErrAlreadyStarted = errors.New("bus: already started")
	ErrNotStarted     = errors.New("bus: not started")
	ErrStartFailed    = errors.New("bus: server failed to start")
	ErrNotReady       = errors.New("bus: server not ready")
	ErrClosed         = errors.New("bus: shut down")
	ErrNoListener     = errors.New("bus: no TCP listener")
)

type state int

const (
	stateNew state = iota
	stateStarted
	stateClosing
	stateClosed
)

// Bus is an embedded NATS server with JetStream enabled.
// Its methods are safe for concurrent use.
type Bus struct {
	opts  Options
	sopts *server.Options
	srv   *server.Server
	log   *serverLog

	startDone chan struct{} // closed when server.Start has returned

	mu       sync.Mutex
	state    state
	ready    bool
	tempDir  string
	conns    map[*nats.Conn]chan struct{} // value closed when the conn is closed
	pubs     map[*Publisher]bool          // publishers handed out, flushed by Shutdown
	jsConn   *nats.Conn
	js       jetstream.JetStream
	shutDone chan struct{}
	shutErr  error
}

// New validates opts and creates a bus. Nothing listens or runs until Start.
func New(opts Options) (*Bus, error) {
	sopts, err := opts.serverOptions(opts.DataDir)
	if err != nil {
		return nil, err
	}
	srv, err := server.NewServer(sopts)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidOptions, err)
	}
	l := &serverLog{l: opts.Logger}
	srv.SetLoggerV2(l, l.enabled(slog.LevelDebug), l.enabled(LevelTrace), false)
	return &Bus{
		opts:      opts,
		sopts:     sopts,
		srv:       srv,
		log:       l,
		startDone: make(chan struct{}),
		conns:     make(map[*nats.Conn]chan struct{}),
	}, nil
}

// Start starts the server in the background and returns at once. Recovery
// of a file store can take a while; use Ready to wait for it.
func (b *Bus) Start() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.state {
	case stateStarted:
		return ErrAlreadyStarted
	case stateClosing, stateClosed:
		return ErrClosed
	}
	if b.opts.DataDir != "" {
		if err := os.MkdirAll(b.opts.DataDir, 0o700); err != nil {
			return fmt.Errorf("%w: data dir: %v", ErrStartFailed, err)
		}
	} else {
		// JetStream always needs a store directory; a private one keeps
		// quick runs from sharing the server's default under /tmp.
		dir, err := os.MkdirTemp("", "kumeo-bus-*")
		if err != nil {
			return fmt.Errorf("%w: temp store dir: %v", ErrStartFailed, err)
		}
		b.tempDir = dir
		b.sopts.StoreDir = dir
	}
	b.state = stateStarted
	go func() {
		defer close(b.startDone)
		b.srv.Start()
	}()
	return nil
}

// Ready waits up to timeout for the server to accept clients with
// JetStream enabled. The error says which part failed or timed out.
func (b *Bus) Ready(timeout time.Duration) error {
	b.mu.Lock()
	st, ready := b.state, b.ready
	b.mu.Unlock()
	switch {
	case st == stateNew:
		return ErrNotStarted
	case st != stateStarted:
		return ErrClosed
	case ready:
		return nil
	}
	deadline := time.Now().Add(timeout)
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-b.startDone:
	case <-timer.C:
		if f := b.log.fatal(); f != "" {
			return fmt.Errorf("%w: %s", ErrStartFailed, f)
		}
		return fmt.Errorf("%w: server start (JetStream recovery) did not finish within %s", ErrNotReady, timeout)
	}
	if f := b.log.fatal(); f != "" {
		return fmt.Errorf("%w: %s", ErrStartFailed, f)
	}
	if !b.srv.ReadyForConnections(max(time.Until(deadline), time.Millisecond)) {
		return fmt.Errorf("%w: listeners not accepting connections within %s", ErrNotReady, timeout)
	}
	if !b.srv.JetStreamEnabled() {
		return fmt.Errorf("%w: JetStream is not enabled (store dir %q)", ErrStartFailed, b.sopts.StoreDir)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state != stateStarted {
		return ErrClosed
	}
	b.ready = true
	return nil
}

// Connect returns a client connection. It is in-process unless
// Options.PreferTCP is set. It waits for Ready up to the connect timeout
// (nats.Timeout, 2 s by default). The connection is drained by Shutdown.
func (b *Bus) Connect(opts ...nats.Option) (*nats.Conn, error) {
	if b.opts.PreferTCP {
		return b.ConnectTCP(opts...)
	}
	return b.connect(false, opts)
}

// ConnectTCP returns a client connection over the TCP listener, which must
// have been configured with Options.Listen.
func (b *Bus) ConnectTCP(opts ...nats.Option) (*nats.Conn, error) {
	if b.opts.Listen == "" {
		return nil, fmt.Errorf("%w: set Options.Listen to connect over TCP", ErrNoListener)
	}
	return b.connect(true, opts)
}

func (b *Bus) connect(tcp bool, opts []nats.Option) (*nats.Conn, error) {
	o := nats.GetDefaultOptions()
	o.Name = "kumeo"
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	if err := b.Ready(o.Timeout); err != nil {
		return nil, err
	}
	if tcp {
		o.InProcessServer = nil
		o.Url = b.ClientURL()
		o.Servers = nil
	} else {
		o.InProcessServer = b.srv
	}

	closed := make(chan struct{})
	userClosed := o.ClosedCB
	o.ClosedCB = func(nc *nats.Conn) {
		b.mu.Lock()
		delete(b.conns, nc)
		b.mu.Unlock()
		close(closed)
		if userClosed != nil {
			userClosed(nc)
		}
	}
	nc, err := o.Connect()
	if err != nil {
		return nil, fmt.Errorf("bus: connect: %w", err)
	}
	b.mu.Lock()
	if b.state != stateStarted {
		b.mu.Unlock()
		nc.Close()
		return nil, ErrClosed
	}
	if !nc.IsClosed() {
		b.conns[nc] = closed
	}
	b.mu.Unlock()
	return nc, nil
}

// ClientURL returns the nats:// URL of the TCP listener, or "" when there
// is none or the server is not ready yet.
func (b *Bus) ClientURL() string {
	if b.opts.Listen == "" {
		return ""
	}
	addr, ok := b.srv.Addr().(*net.TCPAddr)
	if !ok || addr == nil {
		return ""
	}
	return "nats://" + addr.String()
}

// MQTTAddr returns the host:port of the MQTT listener, or "" when there is
// none or the server is not ready yet.
func (b *Bus) MQTTAddr() string {
	b.mu.Lock()
	ready := b.ready
	b.mu.Unlock()
	if b.opts.MQTTListen == "" || !ready {
		return ""
	}
	return net.JoinHostPort(b.sopts.MQTT.Host, fmt.Sprint(b.sopts.MQTT.Port))
}

// StorageType is the JetStream storage streams should use on this bus:
// file storage when Options.DataDir is set, memory storage otherwise.
func (b *Bus) StorageType() jetstream.StorageType {
	if b.opts.DataDir != "" {
		return jetstream.FileStorage
	}
	return jetstream.MemoryStorage
}

// JetStream returns a JetStream context on a shared in-process connection
// owned by the bus.
func (b *Bus) JetStream() (jetstream.JetStream, error) {
	b.mu.Lock()
	if b.js != nil {
		js := b.js
		b.mu.Unlock()
		return js, nil
	}
	b.mu.Unlock()

	nc, err := b.connect(false, []nats.Option{nats.Name("kumeo-bus-jetstream")})
	if err != nil {
		return nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("bus: jetstream: %w", err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.js != nil { // lost a race with another caller
		nc.Close()
		return b.js, nil
	}
	b.jsConn, b.js = nc, js
	return js, nil
}

// Shutdown drains every connection handed out by Connect, ConnectTCP and
// JetStream (pending publishes are flushed and subscribers get the
// messages already sent to them; publishers are flushed too), then shuts the server down and waits for
// it. If ctx ends first, remaining connections are closed, the server is
// still shut down, and the error wraps ctx.Err(). A server still
// recovering its store in Start is waited for even past ctx, since the
// server cannot be stopped in the middle of starting. Calling Shutdown
// again waits for the first call and returns its result.
func (b *Bus) Shutdown(ctx context.Context) error {
	b.mu.Lock()
	switch b.state {
	case stateNew:
		b.state = stateClosed
		b.shutDone = make(chan struct{})
		close(b.shutDone)
		b.mu.Unlock()
		return nil
	case stateClosing, stateClosed:
		done := b.shutDone
		b.mu.Unlock()
		select {
		case <-done:
			b.mu.Lock()
			defer b.mu.Unlock()
			return b.shutErr
		case <-ctx.Done():
			return fmt.Errorf("bus: shutdown: %w", ctx.Err())
		}
	}
	b.state = stateClosing
	b.shutDone = make(chan struct{})
	conns := make(map[*nats.Conn]chan struct{}, len(b.conns))
	for nc, ch := range b.conns {
		conns[nc] = ch
	}
	b.mu.Unlock()

	err := b.shutdown(ctx, conns)

	b.mu.Lock()
	b.state = stateClosed
	b.shutErr = err
	b.js, b.jsConn = nil, nil
	close(b.shutDone)
	b.mu.Unlock()
	return err
}

func (b *Bus) shutdown(ctx context.Context, conns map[*nats.Conn]chan struct{}) error {
	var errs []error
	// server.Start must have returned before server.Shutdown may run.
	select {
	case <-b.startDone:
	case <-ctx.Done():
		errs = append(errs, fmt.Errorf("bus: shutdown: waiting for start: %w", ctx.Err()))
		<-b.startDone
	}

	// Flush every connection first, so that a message published on one
	// connection reaches the server (and its subscribers' queues) before
	// any subscriber starts draining and removes its interest.
	var wg sync.WaitGroup
	b.mu.Lock()
	pubs := make([]*Publisher, 0, len(b.pubs))
	for p := range b.pubs {
		pubs = append(pubs, p)
	}
	b.mu.Unlock()
	for _, p := range pubs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			timeout := 5 * time.Second
			if d, ok := ctx.Deadline(); ok {
				timeout = time.Until(d)
			}
			_ = p.Flush(timeout) // closed publishers: nothing to flush
		}()
	}
	for nc := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = nc.FlushWithContext(ctx) // closed or broken conns: nothing to flush
		}()
	}
	wg.Wait()

	for nc := range conns {
		if err := nc.Drain(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
			nc.Close()
		}
	}
	for nc, closed := range conns {
		select {
		case <-closed:
		case <-ctx.Done():
			nc.Close()
		}
	}
	if ctx.Err() != nil && len(errs) == 0 {
		errs = append(errs, fmt.Errorf("bus: shutdown: draining clients: %w", ctx.Err()))
	}

	b.srv.Shutdown()
	stopped := make(chan struct{})
	go func() {
		b.srv.WaitForShutdown()
		close(stopped)
	}()
	select {
	case <-stopped:
	case <-ctx.Done():
		if len(errs) == 0 {
			errs = append(errs, fmt.Errorf("bus: shutdown: waiting for server: %w", ctx.Err()))
		}
	}
	if b.tempDir != "" {
		if err := os.RemoveAll(b.tempDir); err != nil {
			errs = append(errs, fmt.Errorf("bus: shutdown: remove temp store: %w", err))
		}
	}
	return errors.Join(errs...)
}
