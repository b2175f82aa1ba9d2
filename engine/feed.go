package engine

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kumeo/kumeo/engine/trace"
)

// ErrNoFeedSubject is returned by Feed when the workflow has no source
// subject without wildcards to publish a file's events to.
var ErrNoFeedSubject = fmt.Errorf("engine: no source subject without wildcards to publish the input to: %w", ErrNoSource)

// FeedResult says what Feed did with a JSON Lines file.
type FeedResult struct {
	// Published is how many events this call published.
	Published int
	// ResumedLine and ResumedOffset are where a durable run took the file
	// up again: the line number (1-based) and byte offset of the first
	// line it published; 0 when it read the file from its start.
	ResumedLine   int
	ResumedOffset int64
	// Lines is the number of event lines in the file up to where Feed
	// stopped, counting those an earlier run already stored.
	Lines int
}

// FeedOptions say where Feed publishes a file's events.
type FeedOptions struct {
	// Source is the address or subject of the source, as written in the
	// workflow; "" is the first source whose subject has no wildcard.
	Source string
	// Trace starts a trace for each event where it is published, named
	// after the source, as a test event's; otherwise the run starts one
	// when the event arrives.
	Trace bool
}

// Feed publishes each non-empty line of a JSON Lines file as one event on
// the first source subject without wildcards (see FeedWith).
func (r *Run) Feed(ctx context.Context, path string) (FeedResult, error) {
	return r.FeedWith(ctx, path, FeedOptions{})
}

// FeedWith publishes each non-empty line of a JSON Lines file, as written,
// as one event on the source o names. Lines that are not JSON objects are
// sent too: the run dead-letters them with the reason.
//
// In durable mode every event is stored in the sources stream before Feed
// counts it: it is published with an acknowledgement from JetStream (the
// server drops events offered faster than its stream can store them when
// nobody waits for an answer), with an id made of the file and the line's
// offset so that an event sent twice is stored once. The position up to
// which the file is stored is kept in the data directory, and a later
// run fed the same file takes it up from there.
func (r *Run) FeedWith(ctx context.Context, path string, o FeedOptions) (FeedResult, error) {
	ep, err := r.Source(o.Source)
	if err != nil {
		if o.Source == "" {
			return FeedResult{}, ErrNoFeedSubject
		}
		return FeedResult{}, err
	}
	f, err := os.Open(path)
	if err != nil {
		return FeedResult{}, err
	}
	defer f.Close()
	fd := feed{subject: ep.Subject}
	if o.Trace {
		fd.traceFrom = ep.Name
	}
	if r.opts.DataDir == "" {
		return fd.core(ctx, r.nc, f)
	}
	return r.feedDurable(ctx, fd, path, f)
}

// feed is where a file's events go.
type feed struct {
	subject   string
	traceFrom string // the source's name when each event starts a trace
}

// msg is one line's message.
func (fd feed) msg(line []byte) *nats.Msg {
	m := &nats.Msg{Subject: fd.subject, Data: line}
	if fd.traceFrom != "" {
		m.Header = trace.Root(fd.traceFrom).Header()
	}
	return m
}

// publish publishes one line on core NATS.
func (fd feed) publish(nc *nats.Conn, line []byte) error {
	if fd.traceFrom == "" {
		return nc.Publish(fd.subject, line)
	}
	return nc.PublishMsg(fd.msg(line))
}

// core publishes the file on core NATS, waiting for the server every
// 1,000 events.
func (fd feed) core(ctx context.Context, nc *nats.Conn, f io.Reader) (FeedResult, error) {
	var res FeedResult
	lines := newLineReader(f, 0)
	for {
		line, _, err := lines.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return res, err
		}
		if err := fd.publish(nc, line); err != nil {
			return res, err
		}
		res.Published++
		res.Lines++
		if res.Published%1000 == 0 {
			if err := nc.Flush(); err != nil {
				return res, err
			}
			if ctx.Err() != nil {
				return res, ctx.Err()
			}
		}
	}
	return res, nc.Flush()
}

// feedPosition is what the data directory keeps of a file being fed: how
// far it is stored, and enough of the file to know it again.
type feedPosition struct {
	Path   string `json:"path"`
	Offset int64  `json:"offset"` // bytes stored, up to a line's end
	Lines  int    // event lines stored
	Head   string `json:"head"` // SHA-256 of the file's first headLen bytes
	Size   int64  `json:"size"` // the file's size when the position was kept
}

const (
	headLen = 4096
	// feedWindow bounds the events published and not yet stored.
	feedWindow = 2000 // under the client's own limit of asynchronous publishes
	// feedKeepEvery is how often, in stored events, the position is kept.
	feedKeepEvery = 1024
)

func feedBucket(workflow string) string {
	return strings.TrimSuffix(streamName(workflow), "_SOURCES") + "_INPUTS"
}

// feedDurable publishes the file to the sources stream from where the
// position kept for it says an earlier run stopped.
func (r *Run) feedDurable(ctx context.Context, fd feed, path string, f *os.File) (FeedResult, error) {
	js, err := jetstream.New(r.nc)
	if err != nil {
		return FeedResult{}, err
	}
	w, err := openFeedProgress(ctx, js, r.Plan().Name, path, f)
	if err != nil {
		return w.res, err
	}
	lines := newLineReader(f, w.pos.Offset)
	for {
		line, start, err := lines.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return w.res, err
		}
		msg := fd.msg(line)
		if msg.Header == nil {
			msg.Header = nats.Header{}
		}
		msg.Header.Set(jetstream.MsgIDHeader, fmt.Sprintf("%s:%d", w.key, start))
		for len(w.window) >= feedWindow {
			if err := w.settle(ctx); err != nil {
				return w.res, err
			}
		}
		ack, err := js.PublishMsgAsync(msg)
		if err != nil {
			return w.res, fmt.Errorf("engine: publish line %d of %s: %w", w.pos.Lines+len(w.window)+1, w.pos.Path, err)
		}
		w.window = append(w.window, feedSent{msg: msg, ack: ack, end: lines.offset})
		w.res.Published++
		if ctx.Err() != nil {
			break
		}
	}
	for len(w.window) > 0 {
		if err := w.settle(ctx); err != nil {
			return w.res, err
		}
	}
	if err := w.keep(ctx); err != nil {
		return w.res, err
	}
	return w.res, ctx.Err()
}

// feedProgress is a durable feed in progress: the events published and not
// yet stored, and the position kept for the file.
type feedProgress struct {
	js        jetstream.JetStream
	kv        jetstream.KeyValue
	key       string
	size      int64
	pos       feedPosition
	res       FeedResult
	window    []feedSent
	sinceKept int
}

// feedSent is an event published and not yet known to be stored.
type feedSent struct {
	msg *nats.Msg
	ack jetstream.PubAckFuture
	end int64 // where its line ends in the file
}

// openFeedProgress reads the position kept for the file and seeks f to it;
// a position kept for another content (the file's head changed) or past
// the file's end is not taken up.
func openFeedProgress(ctx context.Context, js jetstream.JetStream, workflow, path string, f *os.File) (*feedProgress, error) {
	w := &feedProgress{js: js}
	abs, err := filepath.Abs(path)
	if err != nil {
		return w, err
	}
	w.kv, err = js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: feedBucket(workflow), Description: "how far each input file is stored in the sources stream",
		Storage: jetstream.FileStorage, History: 1,
	})
	if err != nil {
		return w, fmt.Errorf("engine: input positions: %w", err)
	}
	sum := sha256.Sum256([]byte(abs))
	w.key = hex.EncodeToString(sum[:12])
	head, err := fileHead(f)
	if err != nil {
		return w, err
	}
	st, err := f.Stat()
	if err != nil {
		return w, err
	}
	w.size, w.pos = st.Size(), feedPosition{Path: abs, Head: head}
	if e, err := w.kv.Get(ctx, w.key); err == nil {
		var kept feedPosition
		if json.Unmarshal(e.Value(), &kept) == nil && kept.Head == head && kept.Offset <= st.Size() && kept.Offset > 0 {
			w.pos = kept
			w.res.ResumedLine, w.res.ResumedOffset = kept.Lines+1, kept.Offset
		}
	} else if !errors.Is(err, jetstream.ErrKeyNotFound) {
		return w, fmt.Errorf("engine: input position of %s: %w", abs, err)
	}
	if _, err := f.Seek(w.pos.Offset, io.SeekStart); err != nil {
		return w, err
	}
	w.res.Lines = w.pos.Lines
	return w, nil
}

// keep stores the position in the data directory.
func (w *feedProgress) keep(ctx context.Context) error {
	w.pos.Size = w.size
	b, _ := json.Marshal(w.pos)
	if _, err := w.kv.Put(ctx, w.key, b); err != nil {
		return fmt.Errorf("engine: keep input position of %s: %w", w.pos.Path, err)
	}
	return nil
}

// settle waits for the oldest event in the window to be stored
// (publishing it again, under the same id, if the server refused it) and
// moves the position past it.
func (w *feedProgress) settle(ctx context.Context) error {
	s := w.window[0]
	w.window = w.window[1:]
	select {
	case <-s.ack.Ok():
	case err := <-s.ack.Err():
		if err := publishStored(ctx, w.js, s.msg, err); err != nil {
			return err
		}
	case <-ctx.Done():
		return ctx.Err()
	}
	w.pos.Offset, w.pos.Lines = s.end, w.pos.Lines+1
	w.res.Lines = w.pos.Lines
	if w.sinceKept++; w.sinceKept >= feedKeepEvery {
		w.sinceKept = 0
		return w.keep(ctx)
	}
	return nil
}

// publishStored publishes msg again until the stream stores it (the id
// makes a second copy a duplicate the stream ignores), for when the
// asynchronous publish failed with cause.
func publishStored(ctx context.Context, js jetstream.JetStream, msg *nats.Msg, cause error) error {
	wait := 10 * time.Millisecond
	for attempt := 0; attempt < 20; attempt++ {
		if _, err := js.PublishMsg(ctx, msg); err == nil {
			return nil
		} else {
			cause = err
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return ctx.Err()
		}
		if wait < time.Second {
			wait *= 2
		}
	}
	return fmt.Errorf("engine: the sources stream did not store an input event: %w", cause)
}

// fileHead is the SHA-256 of a file's first headLen bytes.
func fileHead(f *os.File) (string, error) {
	buf := make([]byte, headLen)
	n, err := f.ReadAt(buf, 0)
	if err != nil && err != io.EOF {
		return "", err
	}
	sum := sha256.Sum256(buf[:n])
	return hex.EncodeToString(sum[:]), nil
}

// lineReader reads the non-empty lines of a JSON Lines file, trimmed,
// with the byte offset where each starts and where the last one read ends.
type lineReader struct {
	r      *bufio.Reader
	offset int64
}

func newLineReader(r io.Reader, offset int64) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, 64*1024), offset: offset}
}

// maxLine bounds one event's line.
const maxLine = 8 << 20

func (l *lineReader) next() (line []byte, start int64, err error) {
	for {
		start = l.offset
		raw, err := l.r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			long := append([]byte(nil), raw...)
			for errors.Is(err, bufio.ErrBufferFull) && len(long) <= maxLine {
				raw, err = l.r.ReadSlice('\n')
				long = append(long, raw...)
			}
			if len(long) > maxLine {
				return nil, start, fmt.Errorf("line at byte %d is longer than %d bytes", start, maxLine)
			}
			raw = long
		}
		if err == io.EOF && len(raw) > 0 && raw[len(raw)-1] != '\n' {
			// A last line without its newline may still be being written;
			// it is taken as it is, like any other line.
			err = nil
		}
		if err != nil {
			return nil, start, err
		}
		l.offset += int64(len(raw))
		if t := bytes.TrimSpace(raw); len(t) > 0 {
			return append([]byte(nil), t...), start, nil
		}
	}
}
