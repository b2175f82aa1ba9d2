package endpoints

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
)

// DefaultHTTPTimeout bounds one delivery of an HTTP target unless its
// timeout option says otherwise.
const DefaultHTTPTimeout = 10 * time.Second

// HTTPTarget is the egress adapter of an HTTP target: it sends each event
// on the target's subject as the body of a request (POST by default,
// Content-Type application/json) to the URL, with the event's Kumeo-*
// trace headers. A non-2xx answer or a transport error is logged and
// counted as failed; there are no retries. With concurrency 1 (the
// default) events are sent one at a time, in order.
type HTTPTarget struct {
	egress
	url, method string
	headers     map[string]string
	timeout     time.Duration
	concurrency int
	client      *http.Client
	log         *slog.Logger
	counters

	sem     chan struct{}
	wg      sync.WaitGroup
	ctx     context.Context // canceled when Stop gives up waiting
	cancel  context.CancelFunc
	startMu sync.Mutex
}

func (r *resolver) httpTarget() error {
	raw := r.ep.Address
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		if strings.HasPrefix(raw, "/") {
			return r.errorf("%q is a path: an HTTP target takes an absolute URL such as \"https://example.com/hook\"", raw)
		}
		return r.errorf("%q: expected an absolute http:// or https:// URL such as \"https://example.com/hook\"", raw)
	}
	r.checkOptions("method", "headers", "timeout", "concurrency")
	method, err := r.bodyMethod("an event is sent as a request body")
	if err != nil {
		return err
	}
	headers, err := r.optStringMap("headers")
	if err != nil {
		return err
	}
	timeout, err := r.optDuration("timeout", DefaultHTTPTimeout)
	if err != nil {
		return err
	}
	conc, err := r.optInt("concurrency", 1)
	if err != nil {
		return err
	}
	subj := r.internalOut("http")
	r.e.Subject = subj
	r.e.Adapter = &HTTPTarget{
		egress: egress{name: r.e.Name, subject: subj},
		url:    u.String(), method: method, headers: headers, timeout: timeout, concurrency: conc,
		client: &http.Client{Timeout: timeout},
		log:    r.opts.logger(),
	}
	return nil
}

// URL returns the URL events are sent to.
func (h *HTTPTarget) URL() string { return h.url }

// Start subscribes to the target's subject.
func (h *HTTPTarget) Start(ctx context.Context, nc *nats.Conn) error {
	h.startMu.Lock()
	defer h.startMu.Unlock()
	h.ctx, h.cancel = context.WithCancel(context.Background())
	h.sem = make(chan struct{}, h.concurrency)
	return h.start(ctx, nc, h.handle)
}

// Stop stops taking events and waits for the deliveries in progress; when
// ctx ends first they are canceled.
func (h *HTTPTarget) Stop(ctx context.Context) error {
	h.startMu.Lock()
	defer h.startMu.Unlock()
	err := h.stop(ctx)
	done := waitDone(&h.wg)
	select {
	case <-done:
	case <-ctx.Done():
		if h.cancel != nil {
			h.cancel()
		}
		<-done
		if err == nil {
			err = fmt.Errorf("endpoints: %s: deliveries in progress: %w", h.name, ctx.Err())
		}
	}
	if h.cancel != nil {
		h.cancel()
	}
	return err
}

// Stats returns the target's counters; messages the subscription dropped
// because deliveries fell behind count as received and failed.
func (h *HTTPTarget) Stats() Stats {
	s := h.counters.Stats()
	d := h.dropped()
	s.Received += d
	s.Failed += d
	return s
}

func (h *HTTPTarget) handle(m *nats.Msg) {
	h.received.Add(1)
	if h.concurrency == 1 {
		h.deliver(m)
		return
	}
	h.sem <- struct{}{}
	h.wg.Add(1)
	go func() {
		defer func() {
			<-h.sem
			h.wg.Done()
		}()
		h.deliver(m)
	}()
}

func (h *HTTPTarget) deliver(m *nats.Msg) {
	req, err := http.NewRequestWithContext(h.ctx, h.method, h.url, bytes.NewReader(m.Data))
	if err != nil {
		h.failed(err)
		return
	}
	req.Header.Set("Content-Type", "application/json")
	for k, vs := range m.Header {
		if strings.HasPrefix(k, "Kumeo-") && len(vs) > 0 {
			req.Header.Set(k, vs[0])
		}
	}
	for k, v := range h.headers {
		req.Header.Set(k, v)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		h.failed(err)
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
		h.failed(fmt.Errorf("%s %s: %s: %s", h.method, h.url, resp.Status, strings.TrimSpace(string(snippet))))
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
	h.delivered.Add(1)
}

func (h *HTTPTarget) failed(err error) {
	err = fmt.Errorf("%s: %w", h.name, err)
	h.fail(err)
	h.log.Error("HTTP target delivery failed", "endpoint", h.name, "error", err)
}
