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
)

// ErrNoFeedSubject is returned by Feed when the workflow has no source
// subject without wildcards to publish a file's events to.
var ErrNoFeedSubject = errors.New("engine: no source subject without wildcards to publish the input to")

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

// Feed publishes each non-empty line of a JSON Lines file as one event on
// the first source subject without wildcards.
//
// In durable mode every event is stored in the sources stream before Feed
// counts it: it is published with an acknowledgement from JetStream (the
// server drops events offered faster than its stream can store them when
// nobody waits for an answer), with an id made of the file and the line's
// offset so that an event sent twice is stored once. The position up to
// which the file is stored is kept in the data directory, and a later
// run fed the same file takes it up from there.
func (r *Run) Feed(ctx context.Context, path string) (FeedResult, error) {
	subject := ""
	for _, s := range r.Plan().Sources {
		if !strings.ContainsAny(s.Subject, "*>") {
			subject = s.Subject
			break
		}
	}
	if subject == "" {
		return FeedResult{}, ErrNoFeedSubject
	}
	f, err := os.Open(path)
	if err != nil {
		return FeedResult{}, err
	}
	defer f.Close()
	if r.opts.DataDir == "" {
		return feedCore(ctx, r.nc, subject, f)
	}
	return r.feedDurable(ctx, subject, path, f)
}

// feedCore publishes the file on core NATS, waiting for the server every
// 1,000 events.
func feedCore(ctx context.Context, nc *nats.Conn, subject string, f io.Reader) (FeedResult, error) {
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
		if err := nc.Publish(subject, line); err != nil {
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
	Lines  int    `json:"lines"`  // event lines stored
	Head   string `json:"head"`   // SHA-256 of the file's first headLen bytes
	Size   int64  `json:"size"`   // the file's size when the position was kept
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

func (r *Run) feedDurable(ctx context.Context, subject, path string, f *os.File) (FeedResult, error) {
	var res FeedResult
	abs, err := filepath.Abs(path)
	if err != nil {
		return res, err
	}
	js, err := jetstream.New(r.nc)
	if err != nil {
		return res, err
	}
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: feedBucket(r.Plan().Name), Description: "how far each input file is stored in the sources stream",
		Storage: jetstream.FileStorage, History: 1,
	})
	if err != nil {
		return res, fmt.Errorf("engine: input positions: %w", err)
	}
	sum := sha256.Sum256([]byte(abs))
	key := hex.EncodeToString(sum[:12])
	head, err := fileHead(f)
	if err != nil {
		return res, err
	}
	st, err := f.Stat()
	if err != nil {
		return res, err
	}
	pos := feedPosition{Path: abs, Head: head}
	if e, err := kv.Get(ctx, key); err == nil {
		var kept feedPosition
		if json.Unmarshal(e.Value(), &kept) == nil && kept.Head == head && kept.Offset <= st.Size() && kept.Offset > 0 {
			pos = kept
			res.ResumedLine, res.ResumedOffset = kept.Lines+1, kept.Offset
		}
	} else if !errors.Is(err, jetstream.ErrKeyNotFound) {
		return res, fmt.Errorf("engine: input position of %s: %w", abs, err)
	}
	if _, err := f.Seek(pos.Offset, io.SeekStart); err != nil {
		return res, err
	}
	res.Lines = pos.Lines
	keep := func() error {
		pos.Size = st.Size()
		b, _ := json.Marshal(pos)
		if _, err := kv.Put(ctx, key, b); err != nil {
			return fmt.Errorf("engine: keep input position of %s: %w", abs, err)
		}
		return nil
	}

	type sent struct {
		msg *nats.Msg
		ack jetstream.PubAckFuture
		end int64
	}
	var window []sent
	sinceKept := 0
	// settle waits for the oldest event in the window to be stored
	// (publishing it again, under the same id, if the server refused it)
	// and moves the position past it.
	settle := func() error {
		s := window[0]
		window = window[1:]
		select {
		case <-s.ack.Ok():
		case err := <-s.ack.Err():
			if err := publishStored(ctx, js, s.msg, err); err != nil {
				return err
			}
		case <-ctx.Done():
			return ctx.Err()
		}
		pos.Offset, pos.Lines = s.end, pos.Lines+1
		res.Lines = pos.Lines
		if sinceKept++; sinceKept >= feedKeepEvery {
			sinceKept = 0
			return keep()
		}
		return nil
	}
	lines := newLineReader(f, pos.Offset)
	for {
		line, start, err := lines.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return res, err
		}
		msg := &nats.Msg{Subject: subject, Data: line, Header: nats.Header{}}
		msg.Header.Set(jetstream.MsgIDHeader, fmt.Sprintf("%s:%d", key, start))
		for len(window) >= feedWindow {
			if err := settle(); err != nil {
				return res, err
			}
		}
		ack, err := js.PublishMsgAsync(msg)
		if err != nil {
			return res, fmt.Errorf("engine: publish line %d of %s: %w", pos.Lines+len(window)+1, abs, err)
		}
		window = append(window, sent{msg: msg, ack: ack, end: lines.offset})
		res.Published++
		if ctx.Err() != nil {
			break
		}
	}
	for len(window) > 0 {
		if err := settle(); err != nil {
			return res, err
		}
	}
	if err := keep(); err != nil {
		return res, err
	}
	return res, ctx.Err()
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
