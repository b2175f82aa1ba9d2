package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/kumeo/kumeo/engine/endpoints"
	"github.com/kumeo/kumeo/engine/trace"
)

// SendResult identifies a test event sent to a run.
type SendResult struct {
	EventID string `json:"eventID"`
	TraceID string `json:"traceID"`
}

// Address is a source or target as written in the workflow: its address,
// or its subject when it has no declaration.
func Address(e *endpoints.Endpoint) string {
	if e.Decl != nil {
		return e.Decl.Address
	}
	return e.Subject
}

// Source finds the run's source by address or subject, as written in the
// workflow; "" is the first source whose subject has no wildcard. A source
// reading a wildcard subject has nothing to publish to (ErrNoSource).
func (r *Run) Source(addr string) (*endpoints.Endpoint, error) {
	for _, s := range r.Plan().Sources {
		wild := strings.ContainsAny(s.Subject, "*>")
		if addr == "" && !wild || addr != "" && (Address(s) == addr || s.Subject == addr) {
			if wild {
				return nil, fmt.Errorf("source %s reads the wildcard subject %s: %w to publish to", s.Name, s.Subject, ErrNoSource)
			}
			return s, nil
		}
	}
	if addr == "" {
		return nil, fmt.Errorf("%w: no source with a literal subject", ErrNoSource)
	}
	return nil, fmt.Errorf("%w %q", ErrNoSource, addr)
}

// source is Run.Source of a running job, its error naming the run.
func (s *Session) source(id, addr string) (*Job, *endpoints.Endpoint, error) {
	j, err := s.running(id)
	if err != nil {
		return nil, nil, err
	}
	ep, err := j.run.Source(addr)
	if err != nil {
		return nil, nil, fmt.Errorf("run %s: %w", id, err)
	}
	return j, ep, nil
}

// Send publishes a test event to the run's source with the given address
// ("" is the first source, see Run.Source), starting a new trace, and
// remembers it in the source's history.
func (s *Session) Send(id, addr, payload string) (SendResult, error) {
	j, ep, err := s.source(id, addr)
	if err != nil {
		return SendResult{}, err
	}
	if !json.Valid([]byte(payload)) {
		return SendResult{}, fmt.Errorf("send to %s: %w: the payload is not valid JSON", ep.Name, ErrInvalidEvent)
	}
	span := trace.Root(ep.Name)
	if err := s.publish(&nats.Msg{Subject: ep.Subject, Data: []byte(payload), Header: span.Header()}); err != nil {
		return SendResult{}, fmt.Errorf("send to %s: %w", ep.Name, err)
	}
	key := Address(ep)
	j.mu.Lock()
	h := append([]Sent{{EventID: span.EventID, TraceID: span.TraceID, Payload: payload, TS: time.Now().UnixMilli()}}, j.sent[key]...)
	if len(h) > MaxSent {
		h = h[:MaxSent]
	}
	j.sent[key] = h
	j.mu.Unlock()
	return SendResult{EventID: span.EventID, TraceID: span.TraceID}, nil
}

// Resend publishes a dead letter's original bytes again to the run's first
// source, as a new event.
func (s *Session) Resend(id string, seq int) error {
	j, err := s.running(id)
	if err != nil {
		return err
	}
	var payload []byte
	found := false
	for _, d := range j.DeadLetters() {
		if d.Seq == seq {
			payload, found = []byte(d.Payload), true
			break
		}
	}
	if !found {
		return fmt.Errorf("run %s: %w %d", id, ErrNoDeadLetter, seq)
	}
	_, ep, err := s.source(id, "")
	if err != nil {
		return err
	}
	if err := s.publish(&nats.Msg{Subject: ep.Subject, Data: payload}); err != nil {
		return fmt.Errorf("resend to %s: %w", ep.Name, err)
	}
	return nil
}

func (s *Session) publish(m *nats.Msg) error {
	s.mu.Lock()
	nc := s.nc
	s.mu.Unlock()
	if err := nc.PublishMsg(m); err != nil {
		return err
	}
	return nc.FlushTimeout(5 * time.Second)
}

// Feed publishes the events of a JSON Lines file to the run's source with
// the given address ("" is the first source), each as a new trace (see
// Run.FeedWith). A relative file name not found as it is resolves in the
// directory of the run's file.
func (s *Session) Feed(ctx context.Context, id, addr, file string) (FeedResult, error) {
	j, err := s.running(id)
	if err != nil {
		return FeedResult{}, err
	}
	if !filepath.IsAbs(file) {
		if _, err := os.Stat(file); err != nil {
			file = filepath.Join(filepath.Dir(j.path), file)
		}
	}
	res, err := j.run.FeedWith(ctx, file, FeedOptions{Source: addr, Trace: true})
	if err != nil {
		return res, fmt.Errorf("feed run %s: %w", id, err)
	}
	return res, nil
}
