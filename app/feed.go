package app

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/nats-io/nats.go"

	"github.com/kumeo/kumeo/engine/trace"
)

// FeedResult says how many events a JSON Lines file fed into a run.
type FeedResult struct {
	Events int `json:"events"`
}

// Feed publishes every non-empty line of a JSON Lines file, as written, to
// the run's source with the given address ("" is the first source), each
// as a new trace. Lines that are not JSON objects are sent too: the run
// dead-letters them with the reason, as it would in production. A relative
// file name is resolved against the workflow's directory.
func (r *Runs) Feed(id, sourceAddress, file string) (FeedResult, error) {
	x, err := r.running(id)
	if err != nil {
		return FeedResult{}, err
	}
	ep, err := x.source(sourceAddress)
	if err != nil {
		return FeedResult{}, err
	}
	if !filepath.IsAbs(file) {
		if _, err := os.Stat(file); err != nil {
			file = filepath.Join(dirOf(x.path), file)
		}
	}
	f, err := os.Open(file)
	if err != nil {
		return FeedResult{}, fmt.Errorf("feed run %s: %w", id, err)
	}
	defer f.Close()
	r.mu.Lock()
	nc := r.nc
	r.mu.Unlock()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 8*1024*1024)
	n := 0
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		span := trace.Root(ep.Name)
		if err := nc.PublishMsg(&nats.Msg{Subject: ep.Subject, Data: append([]byte(nil), line...), Header: span.Header()}); err != nil {
			return FeedResult{Events: n}, fmt.Errorf("feed run %s: %w", id, err)
		}
		n++
	}
	if err := sc.Err(); err != nil {
		return FeedResult{Events: n}, fmt.Errorf("feed run %s: read %s: %w", id, file, err)
	}
	return FeedResult{Events: n}, nc.Flush()
}
