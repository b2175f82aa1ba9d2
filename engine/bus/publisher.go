package bus

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
)

// Publisher is a publish-only client connection to the bus. It speaks the
// NATS client protocol itself so that a caller can hand it headers already
// encoded (see AppendHeader): nats.go builds every message's header bytes
// from a nats.Header map, which costs more than the rest of a publish.
// What a subscriber receives is exactly what nats.go's PublishMsg would
// have sent for the same headers and data.
//
// Messages are buffered and written by a flusher goroutine (or by Publish
// itself once much is buffered), in the order Publish was called; Flush waits until the server has processed
// everything published before it. Publish returns the errors nats.go's
// PublishMsg returns for the same cases (nats.ErrBadSubject,
// nats.ErrMaxPayload, nats.ErrConnectionClosed). Its methods are safe for
// concurrent use.
type Publisher struct {
	conn       net.Conn
	maxPayload atomic.Int64 // the server's, updated by INFO
	onClose    func(error)

	// mu guards the fields below. The flusher holds it while it writes,
	// like nats.go's flusher holds its connection's lock: publishers wait
	// for the write and their messages go out together in the next one.
	// On a net.Pipe (in-process) that makes for fewer, larger writes, each
	// of which costs a handoff to the server's goroutine.
	mu    sync.Mutex
	buf   []byte // protocol not yet written
	err   error  // set once the connection is unusable
	pongs []chan error

	failed  atomic.Bool
	closing atomic.Bool // Close was called
	kick    chan struct{}
	done    chan struct{} // closed when the connection is unusable
}

// flushAt is the buffered size from which Publish writes itself instead
// of leaving it to the flusher, which bounds the buffer when the server
// reads more slowly than messages are published.
const flushAt = 64 << 10

// ConnectPublisher opens a Publisher: in-process unless Options.PreferTCP
// is set, like Connect. onClose, if not nil, is called once with the reason
// when the connection closes other than by Close (the server shut down).
// Shutdown flushes publishers along with the other connections.
func (b *Bus) ConnectPublisher(name string, onClose func(error)) (*Publisher, error) {
	const timeout = 5 * time.Second
	if err := b.Ready(timeout); err != nil {
		return nil, err
	}
	var conn net.Conn
	var err error
	if b.opts.PreferTCP {
		addr, ok := b.srv.Addr().(*net.TCPAddr)
		if !ok || addr == nil {
			return nil, fmt.Errorf("%w: set Options.Listen to connect over TCP", ErrNoListener)
		}
		conn, err = net.DialTimeout("tcp", addr.String(), timeout)
	} else {
		conn, err = b.srv.InProcessConn()
	}
	if err != nil {
		return nil, fmt.Errorf("bus: connect publisher: %w", err)
	}
	p, err := newPublisher(conn, name, timeout, onClose)
	if err != nil {
		return nil, fmt.Errorf("bus: connect publisher: %w", err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state != stateStarted {
		p.Close()
		return nil, ErrClosed
	}
	if b.pubs == nil {
		b.pubs = map[*Publisher]bool{}
	}
	b.pubs[p] = true
	go func() {
		<-p.done
		b.mu.Lock()
		delete(b.pubs, p)
		b.mu.Unlock()
	}()
	return p, nil
}

// serverInfo is what a publisher needs of the server's INFO.
type serverInfo struct {
	MaxPayload   int64 `json:"max_payload"`
	Headers      bool  `json:"headers"`
	AuthRequired bool  `json:"auth_required"`
	TLSRequired  bool  `json:"tls_required"`
}

// newPublisher runs the protocol handshake on conn (INFO, CONNECT, then a
// PING answered by PONG) and starts the reader and the flusher.
func newPublisher(conn net.Conn, name string, timeout time.Duration, onClose func(error)) (*Publisher, error) {
	fail := func(err error) (*Publisher, error) {
		conn.Close()
		return nil, err
	}
	conn.SetDeadline(time.Now().Add(timeout))
	r := bufio.NewReaderSize(conn, 4096)
	line, err := readLine(r)
	if err != nil {
		return fail(fmt.Errorf("reading the server's INFO: %w", err))
	}
	op, arg := splitOp(line)
	if op != "INFO" {
		return fail(fmt.Errorf("expected INFO from the server, got %q", line))
	}
	var info serverInfo
	if err := json.Unmarshal(arg, &info); err != nil {
		return fail(fmt.Errorf("server INFO: %w", err))
	}
	switch {
	case !info.Headers:
		return fail(nats.ErrHeadersNotSupported)
	case info.AuthRequired || info.TLSRequired:
		return fail(errors.New("the server requires authentication or TLS, which a publisher does not support"))
	}
	connect, _ := json.Marshal(map[string]any{
		"verbose": false, "pedantic": false, "tls_required": false, "name": name,
		"lang": "go", "version": "kumeo-publisher", "protocol": 1, "echo": false,
		"headers": true, "no_responders": false,
	})
	if _, err := conn.Write(append(append([]byte("CONNECT "), connect...), "\r\nPING\r\n"...)); err != nil {
		return fail(err)
	}
	for {
		line, err := readLine(r)
		if err != nil {
			return fail(fmt.Errorf("waiting for the server to accept the connection: %w", err))
		}
		op, arg := splitOp(line)
		if op == "PONG" {
			break
		}
		if op == "-ERR" {
			return fail(fmt.Errorf("server: %s", arg))
		}
		if op == "PING" {
			if _, err := conn.Write([]byte("PONG\r\n")); err != nil {
				return fail(err)
			}
		}
	}
	conn.SetDeadline(time.Time{})
	p := &Publisher{conn: conn, onClose: onClose, kick: make(chan struct{}, 1), done: make(chan struct{})}
	p.maxPayload.Store(info.MaxPayload)
	go p.read(r)
	go p.flusher()
	return p, nil
}

// Publish sends a message with headers hdr (as AppendHeader makes them,
// or empty) and payload data, on subject. Both are copied.
func (p *Publisher) Publish(subject string, hdr, data []byte) error {
	if !validSubject(subject) {
		return nats.ErrBadSubject
	}
	size := len(hdr) + len(data)
	if int64(size) > p.maxPayload.Load() {
		return nats.ErrMaxPayload
	}
	p.mu.Lock()
	if p.err != nil {
		p.mu.Unlock()
		return p.err
	}
	idle := len(p.buf) == 0
	b := p.buf
	if len(hdr) > 0 {
		b = append(b, "HPUB "...)
		b = append(b, subject...)
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(len(hdr)), 10)
	} else {
		b = append(b, "PUB "...)
		b = append(b, subject...)
	}
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(size), 10)
	b = append(b, "\r\n"...)
	b = append(b, hdr...)
	b = append(b, data...)
	b = append(b, "\r\n"...)
	p.buf = b
	full := len(b) >= flushAt
	p.mu.Unlock()
	if full {
		return p.flush()
	}
	if idle {
		select {
		case p.kick <- struct{}{}:
		default:
		}
	}
	return nil
}

// validSubject is nats.go's check of a subject to publish on.
func validSubject(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\r', '\n':
			return false
		}
	}
	return true
}

// Flush waits until the server has processed every message published
// before it, or timeout.
func (p *Publisher) Flush(timeout time.Duration) error {
	ch := make(chan error, 1)
	p.mu.Lock()
	if p.err != nil {
		p.mu.Unlock()
		return p.err
	}
	p.buf = append(p.buf, "PING\r\n"...)
	p.pongs = append(p.pongs, ch)
	p.mu.Unlock()
	if err := p.flush(); err != nil {
		return err
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case err := <-ch:
		return err
	case <-t.C:
		return nats.ErrTimeout
	}
}

// Close closes the connection at once; what is still buffered is not sent
// (Flush first to send it).
func (p *Publisher) Close() error {
	p.closing.Store(true)
	p.fail(nats.ErrConnectionClosed)
	return nil
}

// Done is closed when the publisher can no longer publish.
func (p *Publisher) Done() <-chan struct{} { return p.done }

// fail makes the publisher unusable, once; err is the reason reported to
// onClose. It must not be called with p.mu held.
func (p *Publisher) fail(err error) {
	if !p.failed.CompareAndSwap(false, true) {
		return
	}
	p.conn.Close() // ends a write in progress
	p.mu.Lock()
	p.err = nats.ErrConnectionClosed
	pongs := p.pongs
	p.pongs = nil
	p.buf = nil
	p.mu.Unlock()
	close(p.done)
	for _, ch := range pongs {
		ch <- nats.ErrConnectionClosed
	}
	if !p.closing.Load() && p.onClose != nil {
		p.onClose(err)
	}
}

// flush writes what is buffered.
func (p *Publisher) flush() error {
	p.mu.Lock()
	if p.err != nil || len(p.buf) == 0 {
		err := p.err
		p.mu.Unlock()
		return err
	}
	_, err := p.conn.Write(p.buf)
	p.buf = p.buf[:0]
	if cap(p.buf) > 4*flushAt {
		p.buf = nil // do not keep what a burst grew
	}
	p.mu.Unlock()
	if err != nil {
		p.fail(err)
		return nats.ErrConnectionClosed
	}
	return nil
}

func (p *Publisher) flusher() {
	for {
		select {
		case <-p.kick:
			p.flush()
		case <-p.done:
			return
		}
	}
}

// read handles what the server sends: PINGs (answered), PONGs (Flush),
// errors and INFO updates.
func (p *Publisher) read(r *bufio.Reader) {
	var lastErr string
	for {
		line, err := readLine(r)
		if err != nil {
			if lastErr != "" {
				err = fmt.Errorf("server: %s", lastErr)
			}
			p.fail(err)
			return
		}
		op, arg := splitOp(line)
		switch op {
		case "PING":
			p.mu.Lock()
			if p.err == nil {
				p.buf = append(p.buf, "PONG\r\n"...)
			}
			p.mu.Unlock()
			select {
			case p.kick <- struct{}{}:
			default:
			}
		case "PONG":
			p.mu.Lock()
			var ch chan error
			if len(p.pongs) > 0 {
				ch = p.pongs[0]
				p.pongs = p.pongs[1:]
			}
			p.mu.Unlock()
			if ch != nil {
				ch <- nil
			}
		case "-ERR":
			lastErr = string(arg)
		case "INFO":
			var info serverInfo
			if json.Unmarshal(arg, &info) == nil && info.MaxPayload > 0 {
				p.maxPayload.Store(info.MaxPayload)
			}
		}
	}
}

// readLine reads one protocol line without its CRLF.
func readLine(r *bufio.Reader) ([]byte, error) {
	line, err := r.ReadBytes('\n')
	if err != nil {
		return nil, err
	}
	return bytes.TrimRight(line, "\r\n"), nil
}

// splitOp splits a protocol line into its operation (upper case) and the
// rest.
func splitOp(line []byte) (string, []byte) {
	op, arg, _ := bytes.Cut(line, []byte{' '})
	return string(bytes.ToUpper(op)), bytes.TrimSpace(arg)
}

// AppendHeaderStart appends the start of a message's headers; each header
// follows (AppendHeader), then AppendHeaderEnd.
func AppendHeaderStart(dst []byte) []byte { return append(dst, "NATS/1.0\r\n"...) }

// AppendHeaderEnd appends the end of a message's headers.
func AppendHeaderEnd(dst []byte) []byte { return append(dst, "\r\n"...) }

// AppendHeader appends the header key: value as nats.go writes it: the
// value trimmed of ASCII white space at both ends, every CR and LF in it
// turned into a space. key must be a valid header name (printable ASCII
// without ':' or space).
func AppendHeader(dst []byte, key, value string) []byte {
	dst = append(dst, key...)
	dst = append(dst, ": "...)
	value = textproto.TrimString(value)
	start := len(dst)
	dst = append(dst, value...)
	for i, c := range dst[start:] {
		if c == '\r' || c == '\n' {
			dst[start+i] = ' '
		}
	}
	return append(dst, "\r\n"...)
}
