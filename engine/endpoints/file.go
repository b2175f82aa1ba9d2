package endpoints

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/kumeo/kumeo/dsl"
	"github.com/kumeo/kumeo/engine/trace"
)

// fileFlushEvery is how many lines a File source publishes before it waits
// for the bus to have them all (a NATS flush), so a large file never runs
// far ahead of the server.
const fileFlushEvery = 256

// DefaultFileFlush is how often a File target writes its buffer to the
// file unless its flush option says otherwise.
const DefaultFileFlush = time.Second

// ErrStopped is what FileSource.Err returns when the source was stopped
// before the end of its file.
var ErrStopped = errors.New("endpoints: stopped before the end of input")

func (r *resolver) filePath() (string, error) {
	p := r.ep.Address
	if p == "" {
		return "", r.errorf("expected a file path such as \"events.jsonl\"")
	}
	if !filepath.IsAbs(p) && r.opts.Dir != "" {
		p = filepath.Join(r.opts.Dir, p)
	}
	return filepath.Clean(p), nil
}

func (r *resolver) file() error {
	path, err := r.filePath()
	if err != nil {
		return err
	}
	if r.role == dsl.RoleTarget {
		return r.fileTarget(path)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("%w: source %s: expected a readable JSON Lines file: %w", ErrInvalidEndpoint, r.e.Name, err)
	}
	if fi.IsDir() {
		return r.errorf("%s is a directory: expected a JSON Lines file", path)
	}
	r.checkOptions("rate")
	rate, err := r.optNumber("rate", 0)
	if err != nil {
		return err
	}
	subj := r.internal("file", strconv.Itoa(r.ep.Index))
	r.e.Subject = subj
	r.e.Adapter = &FileSource{
		name: r.e.Name, subject: subj, path: path, rate: rate,
		backpressure: r.opts.Backpressure, publish: r.opts.publisher(), log: r.opts.logger(),
		done: make(chan struct{}),
	}
	return nil
}

// FileSource is the ingress adapter of a File source: it reads a JSON
// Lines file once, from the start, and publishes every line that is not
// blank as one event, in order, with its line number in HeaderLine. Lines
// are published as they are, malformed or not (the runtime dead-letters
// lines that are not JSON objects); a trailing "\r" and a leading UTF-8
// byte order mark are removed. A line larger than the bus accepts is
// counted as failed and logged with its number.
//
// Publishing waits for the bus every 256 lines, for the runtime's
// Options.Backpressure before every line, and follows the rate option
// (events per second) when it is set.
type FileSource struct {
	name, subject, path string
	rate                float64
	backpressure        func(context.Context) error
	publish             func(context.Context, *nats.Conn, *nats.Msg) error
	log                 *slog.Logger
	counters
	line atomic.Int64

	mu       sync.Mutex
	cancel   context.CancelFunc
	started  bool
	done     chan struct{}
	doneOnce sync.Once
	err      error
}

// Path returns the file the source reads.
func (f *FileSource) Path() string { return f.path }

// Line returns the number of the last line read.
func (f *FileSource) Line() int64 { return f.line.Load() }

// Done is closed when the source has published its whole file, has been
// stopped, or has failed; Err says which.
func (f *FileSource) Done() <-chan struct{} { return f.done }

// Err returns nil while the source runs and after it published its whole
// file; ErrStopped (wrapped) when it was stopped first; the read or
// publish error when it failed.
func (f *FileSource) Err() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

func (f *FileSource) finish(err error) {
	f.doneOnce.Do(func() {
		f.mu.Lock()
		f.err = err
		f.mu.Unlock()
		close(f.done)
	})
}

// Start opens the file and publishes it in the background.
func (f *FileSource) Start(_ context.Context, nc *nats.Conn) error {
	if nc == nil {
		return fmt.Errorf("%w: %s: nil NATS connection", ErrNotStarted, f.name)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.started {
		return fmt.Errorf("%w: %s: already started (a File source reads its file once)", ErrNotStarted, f.name)
	}
	file, err := os.Open(f.path)
	if err != nil {
		return fmt.Errorf("%w: source %s: %w", ErrInvalidEndpoint, f.name, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	f.started, f.cancel = true, cancel
	go func() {
		defer file.Close()
		f.finish(f.run(ctx, nc, file))
	}()
	return nil
}

// Stop stops publishing and waits for the reader to finish. A source
// never started is marked done.
func (f *FileSource) Stop(ctx context.Context) error {
	f.mu.Lock()
	cancel, started := f.cancel, f.started
	f.mu.Unlock()
	if !started {
		f.finish(fmt.Errorf("%w: %s was never started", ErrStopped, f.name))
		return nil
	}
	cancel()
	select {
	case <-f.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("endpoints: stop %s: %w", f.name, ctx.Err())
	}
}

func (f *FileSource) run(ctx context.Context, nc *nats.Conn, file io.Reader) error {
	br := bufio.NewReaderSize(file, 64<<10)
	limit := int(nc.MaxPayload())
	start := time.Now()
	var sent int64
	var pending int
	flush := func() error {
		fctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		if err := nc.FlushWithContext(fctx); err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("%w: %s at line %d", ErrStopped, f.name, f.line.Load())
			}
			return fmt.Errorf("endpoints: %s: waiting for the bus after line %d: %w", f.name, f.line.Load(), err)
		}
		pending = 0
		return nil
	}
	for n := int64(1); ; n++ {
		if ctx.Err() != nil {
			return fmt.Errorf("%w: %s at line %d", ErrStopped, f.name, f.line.Load())
		}
		line, tooLong, err := readLine(br, limit)
		if err == io.EOF && line == nil {
			if pending > 0 {
				return flush()
			}
			return nil
		}
		if err != nil && err != io.EOF {
			return fmt.Errorf("endpoints: %s: reading %s after line %d: %w", f.name, f.path, n-1, err)
		}
		f.line.Store(n)
		if n == 1 {
			line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(bytes.TrimSpace(line)) == 0 && !tooLong {
			continue
		}
		f.received.Add(1)
		if tooLong {
			err := fmt.Errorf("%s: line %d is longer than the bus accepts (%d bytes)", f.name, n, limit)
			f.fail(err)
			f.log.Error("File source skipped a line", "endpoint", f.name, "line", n, "error", err)
			continue
		}
		if err := f.wait(ctx, start, sent); err != nil {
			return err
		}
		h := trace.Root(f.name).Header()
		h.Set(HeaderLine, strconv.FormatInt(n, 10))
		if err := f.publish(ctx, nc, &nats.Msg{Subject: f.subject, Data: line, Header: h}); err != nil {
			if errors.Is(err, nats.ErrMaxPayload) {
				err := fmt.Errorf("%s: line %d: %w", f.name, n, err)
				f.fail(err)
				f.log.Error("File source skipped a line", "endpoint", f.name, "line", n, "error", err)
				continue
			}
			f.fail(err)
			return fmt.Errorf("endpoints: %s: publish line %d: %w", f.name, n, err)
		}
		f.delivered.Add(1)
		sent++
		if pending++; pending >= fileFlushEvery {
			if err := flush(); err != nil {
				return err
			}
		}
	}
}

// wait holds the next publish back for the runtime's backpressure and the
// rate option.
func (f *FileSource) wait(ctx context.Context, start time.Time, sent int64) error {
	if f.backpressure != nil {
		if err := f.backpressure(ctx); err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("%w: %s at line %d", ErrStopped, f.name, f.line.Load())
			}
			return fmt.Errorf("endpoints: %s: backpressure at line %d: %w", f.name, f.line.Load(), err)
		}
	}
	if f.rate <= 0 {
		return nil
	}
	next := start.Add(time.Duration(float64(sent) / f.rate * float64(time.Second)))
	if d := time.Until(next); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return fmt.Errorf("%w: %s at line %d", ErrStopped, f.name, f.line.Load())
		}
	}
	return nil
}

// readLine reads one line without its "\n". A line longer than limit is
// consumed but not returned: tooLong is set instead. At the end of input
// it returns io.EOF, with the last line when the file does not end in a
// newline.
func readLine(br *bufio.Reader, limit int) (line []byte, tooLong bool, err error) {
	for {
		chunk, err := br.ReadSlice('\n')
		if !tooLong {
			if len(line)+len(chunk) > limit+1 { // +1: the newline
				tooLong, line = true, nil
			} else {
				line = append(line, chunk...)
			}
		}
		switch err {
		case bufio.ErrBufferFull:
			continue
		case nil:
			return bytes.TrimSuffix(line, []byte("\n")), tooLong, nil
		case io.EOF:
			if line == nil && !tooLong {
				return nil, false, io.EOF
			}
			if line == nil {
				line = []byte{}
			}
			return line, tooLong, io.EOF
		default:
			return nil, false, err
		}
	}
}

// FileTarget is the egress adapter of a File target: it appends each
// event on the target's subject to the file as one line (creating the
// file and its directory). Writes are buffered and flushed every flush
// interval (option flush, default 1s) and on Stop, which also syncs the
// file to disk. An event holding line breaks is written compacted when it
// is JSON, and rejected otherwise, so one line is always one event.
type FileTarget struct {
	egress
	path  string
	every time.Duration
	log   *slog.Logger
	counters

	mu     sync.Mutex
	file   *os.File
	w      *bufio.Writer
	quit   chan struct{}
	ticker sync.WaitGroup
}

func (r *resolver) fileTarget(path string) error {
	r.checkOptions("flush")
	every, err := r.optDuration("flush", DefaultFileFlush)
	if err != nil {
		return err
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return r.errorf("%s is a directory: expected a file to append events to", path)
	}
	subj := r.internalOut("file")
	r.e.Subject = subj
	r.e.Adapter = &FileTarget{egress: egress{name: r.e.Name, subject: subj}, path: path, every: every, log: r.opts.logger()}
	return nil
}

// Path returns the file the target appends to.
func (f *FileTarget) Path() string { return f.path }

// Start opens (or creates) the file for appending and subscribes.
func (f *FileTarget) Start(ctx context.Context, nc *nats.Conn) error {
	if dir := filepath.Dir(f.path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("endpoints: %s: %w", f.name, err)
		}
	}
	file, err := os.OpenFile(f.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("endpoints: %s: %w", f.name, err)
	}
	f.mu.Lock()
	f.file, f.w, f.quit = file, bufio.NewWriterSize(file, 64<<10), make(chan struct{})
	f.mu.Unlock()
	if err := f.start(ctx, nc, f.handle); err != nil {
		f.mu.Lock()
		f.file, f.w = nil, nil
		f.mu.Unlock()
		file.Close()
		return err
	}
	f.ticker.Add(1)
	go f.flushLoop(f.quit)
	return nil
}

// Stop drains the subscription, writes what is buffered, syncs and closes
// the file.
func (f *FileTarget) Stop(ctx context.Context) error {
	errs := []error{f.stop(ctx)}
	f.mu.Lock()
	quit := f.quit
	f.quit = nil
	f.mu.Unlock()
	if quit != nil {
		close(quit)
		f.ticker.Wait()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.file == nil {
		return errors.Join(errs...)
	}
	if err := f.w.Flush(); err != nil {
		errs = append(errs, fmt.Errorf("endpoints: %s: flush: %w", f.name, err))
	}
	if err := f.file.Sync(); err != nil {
		errs = append(errs, fmt.Errorf("endpoints: %s: sync: %w", f.name, err))
	}
	if err := f.file.Close(); err != nil {
		errs = append(errs, fmt.Errorf("endpoints: %s: close: %w", f.name, err))
	}
	f.file, f.w = nil, nil
	return errors.Join(errs...)
}

// Stats returns the target's counters; messages the subscription dropped
// because writing fell behind count as received and failed.
func (f *FileTarget) Stats() Stats {
	s := f.counters.Stats()
	d := f.dropped()
	s.Received += d
	s.Failed += d
	return s
}

func (f *FileTarget) flushLoop(quit chan struct{}) {
	defer f.ticker.Done()
	t := time.NewTicker(f.every)
	defer t.Stop()
	for {
		select {
		case <-quit:
			return
		case <-t.C:
			f.mu.Lock()
			if f.w != nil && f.w.Buffered() > 0 {
				if err := f.w.Flush(); err != nil {
					f.setErr(err)
					f.log.Error("File target flush failed", "endpoint", f.name, "error", err)
				}
			}
			f.mu.Unlock()
		}
	}
}

func (f *FileTarget) handle(m *nats.Msg) {
	f.received.Add(1)
	line := m.Data
	if len(bytes.TrimSpace(line)) == 0 {
		f.refused(fmt.Errorf("%s: empty event: expected a JSON value to write as one line", f.name))
		return
	}
	if bytes.ContainsAny(line, "\r\n") {
		var buf bytes.Buffer
		if err := json.Compact(&buf, line); err != nil {
			f.refused(fmt.Errorf("%s: event has line breaks and is not JSON (%v): expected one line per event", f.name, err))
			return
		}
		line = buf.Bytes()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.w == nil {
		f.fail(fmt.Errorf("%w: %s: file closed", ErrNotStarted, f.name))
		return
	}
	if _, err := f.w.Write(line); err == nil {
		err = f.w.WriteByte('\n')
		if err != nil {
			f.failWrite(err)
			return
		}
	} else {
		f.failWrite(err)
		return
	}
	f.delivered.Add(1)
}

func (f *FileTarget) refused(err error) {
	f.reject(err)
	f.log.Warn("File target refused an event", "endpoint", f.name, "error", err)
}

func (f *FileTarget) failWrite(err error) {
	err = fmt.Errorf("%s: write %s: %w", f.name, f.path, err)
	f.fail(err)
	f.log.Error("File target write failed", "endpoint", f.name, "error", err)
}
