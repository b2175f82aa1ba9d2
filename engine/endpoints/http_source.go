package endpoints

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/kumeo/kumeo/dsl"
	"github.com/kumeo/kumeo/engine/trace"
)

// DefaultMaxBody is the largest request body an HTTP source accepts unless
// its max_body option says otherwise.
const DefaultMaxBody = 1 << 20

// publishTimeout bounds how long an HTTP source waits for the bus to take
// an event before it answers 503.
const publishTimeout = 5 * time.Second

// HTTPServer routes requests to the HTTP sources registered on it, by
// exact path (a trailing '/' is ignored). One server serves every HTTP
// source of a run. It listens on a loopback address when it has one, and
// its Handler can be served by anyone else (the desktop app, httptest).
type HTTPServer struct {
	// OnFail, when set before Start, is called if the listener stops
	// serving with an error (not by Shutdown).
	OnFail func(error)

	listen string
	log    *slog.Logger

	mu      sync.RWMutex
	routes  map[string]*HTTPSource
	srv     *http.Server
	addr    string
	serving chan struct{} // closed when Serve has returned
}

// NewHTTPServer creates a server for HTTP sources. listen is a loopback
// "host:port" (an empty host means 127.0.0.1, port 0 a random port), or ""
// for no listener. Nothing listens until Start.
func NewHTTPServer(listen string, logger *slog.Logger) (*HTTPServer, error) {
	if listen != "" {
		host, port, err := net.SplitHostPort(listen)
		if err != nil {
			return nil, fmt.Errorf("%w: HTTPListen %q: expected a loopback host:port such as 127.0.0.1:8080", ErrInvalidOptions, listen)
		}
		if host == "" {
			host = "127.0.0.1"
		}
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return nil, fmt.Errorf("%w: HTTPListen %q: HTTP sources listen on loopback only: expected 127.0.0.1, ::1 or localhost", ErrInvalidOptions, listen)
		}
		listen = net.JoinHostPort(host, port)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &HTTPServer{listen: listen, log: logger, routes: map[string]*HTTPSource{}}, nil
}

// Start listens, if the server has a listen address, and serves in the
// background. Without one it does nothing.
func (s *HTTPServer) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.listen == "" || s.srv != nil {
		return nil
	}
	ln, err := net.Listen("tcp", s.listen)
	if err != nil {
		return fmt.Errorf("%w: HTTPListen %q: %w", ErrInvalidOptions, s.listen, err)
	}
	s.srv = &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	s.addr = ln.Addr().String()
	s.serving = make(chan struct{})
	srv, serving := s.srv, s.serving
	go func() {
		defer close(serving)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("HTTP source server stopped", "addr", ln.Addr().String(), "error", err)
			if s.OnFail != nil {
				s.OnFail(fmt.Errorf("listener on %s stopped: %w", ln.Addr(), err))
			}
		}
	}()
	return nil
}

// Shutdown stops listening and waits for requests in progress to finish,
// or for ctx to end. The server may be started again.
func (s *HTTPServer) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	srv, serving := s.srv, s.serving
	s.srv, s.addr = nil, ""
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	err := srv.Shutdown(ctx)
	if err != nil {
		srv.Close()
	}
	<-serving
	return err
}

// Addr returns the host:port the server listens on, or "" when it does
// not listen.
func (s *HTTPServer) Addr() string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.addr
}

// URL returns the base URL ("http://127.0.0.1:8080") of the listener, or
// "" when the server does not listen.
func (s *HTTPServer) URL() string {
	if a := s.Addr(); a != "" {
		return "http://" + a
	}
	return ""
}

// Paths returns the paths of the registered sources, sorted.
func (s *HTTPServer) Paths() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return sortedKeys(s.routes)
}

// Handler returns the handler routing to the registered sources. Unknown
// paths get 404 with a JSON body listing the known ones.
func (s *HTTPServer) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := routePath(r.URL.Path)
		s.mu.RLock()
		src := s.routes[p]
		var paths []string
		if src == nil {
			paths = sortedKeys(s.routes)
		}
		s.mu.RUnlock()
		if src == nil {
			writeJSON(w, http.StatusNotFound, map[string]any{
				"error":    fmt.Sprintf("no HTTP source at %s", r.URL.Path),
				"expected": "one of the workflow's HTTP source paths",
				"paths":    paths,
			})
			return
		}
		src.ServeHTTP(w, r)
	})
}

func (s *HTTPServer) register(src *HTTPSource) error {
	p := routePath(src.path)
	s.mu.Lock()
	defer s.mu.Unlock()
	if other, ok := s.routes[p]; ok && other != src {
		return fmt.Errorf("%w: two HTTP sources on path %s (%s and %s): expected one source per path", ErrConflict, p, other.name, src.name)
	}
	s.routes[p] = src
	return nil
}

func (s *HTTPServer) unregister(src *HTTPSource) {
	p := routePath(src.path)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.routes[p] == src {
		delete(s.routes, p)
	}
}

func routePath(p string) string {
	if len(p) > 1 {
		p = strings.TrimRight(p, "/")
		if p == "" {
			p = "/"
		}
	}
	return p
}

// HTTPSource is the ingress adapter of an HTTP source: each request with
// the source's method and a JSON object body becomes one event on the
// source's subject, and is answered 202 with the event and trace ids.
type HTTPSource struct {
	name, path, method, subject string
	maxBody                     int64
	server                      *HTTPServer
	ownServer                   bool
	backpressure                func(context.Context) error
	publish                     func(context.Context, *nats.Conn, *nats.Msg) error
	log                         *slog.Logger
	counters

	mu       sync.RWMutex
	nc       *nats.Conn // nil when not started
	stop     chan struct{}
	inflight sync.WaitGroup
}

func (r *resolver) http() error {
	if r.role == dsl.RoleTarget {
		return r.httpTarget()
	}
	p := r.ep.Address
	if strings.Contains(p, "://") {
		return r.errorf("%q is a URL: an HTTP source takes a path such as \"/orders\", served on the run's local HTTP listener", p)
	}
	if err := validPath(p); err != nil {
		return r.errorf("%v", err)
	}
	r.checkOptions("method", "max_body")
	method, err := r.bodyMethod("an event is a request body")
	if err != nil {
		return err
	}
	maxBody, err := r.optNumber("max_body", DefaultMaxBody)
	if err != nil {
		return err
	}
	if maxBody < 1 {
		return r.errorf("option max_body: expected a byte count >= 1")
	}
	src := &HTTPSource{
		name: r.e.Name, path: routePath(unescapePath(p)), method: method, maxBody: int64(maxBody),
		subject: r.internal("http", pathTokens(p)), server: r.opts.HTTP,
		backpressure: r.opts.Backpressure, publish: r.opts.publisher(), log: r.opts.logger(),
	}
	if src.server == nil {
		if src.server, err = NewHTTPServer(r.opts.HTTPListen, r.opts.Logger); err != nil {
			return err
		}
		src.ownServer = true
	}
	r.e.Subject, r.e.Adapter = src.subject, src
	return nil
}

func validPath(p string) error {
	if !strings.HasPrefix(p, "/") {
		return fmt.Errorf("path %q: expected an absolute path starting with '/', such as \"/orders\"", p)
	}
	for _, c := range p {
		if c <= ' ' || c == 0x7f {
			return fmt.Errorf("path %q: expected no spaces or control characters", p)
		}
	}
	if strings.ContainsAny(p, "?#") {
		return fmt.Errorf("path %q: expected a plain path without query or fragment, such as \"/orders\"", p)
	}
	if _, err := url.ParseRequestURI(p); err != nil {
		return fmt.Errorf("path %q: expected a valid URL path (escape special characters with %%XX): %v", p, err)
	}
	return nil
}

// unescapePath returns p as Request.URL.Path holds it (p is valid).
func unescapePath(p string) string {
	if u, err := url.ParseRequestURI(p); err == nil {
		return u.Path
	}
	return p
}

// Path returns the URL path the source serves.
func (h *HTTPSource) Path() string { return h.path }

// Method returns the HTTP method the source accepts.
func (h *HTTPSource) Method() string { return h.method }

// Server returns the server the source registers on.
func (h *HTTPSource) Server() *HTTPServer { return h.server }

// Handler returns a handler for this source alone, whatever the request
// path.
func (h *HTTPSource) Handler() http.Handler { return h }

// Start registers the source's path on its server (and starts the server
// when the source owns it); events are published with nc.
func (h *HTTPSource) Start(_ context.Context, nc *nats.Conn) error {
	if nc == nil {
		return fmt.Errorf("%w: %s: nil NATS connection", ErrNotStarted, h.name)
	}
	if err := h.server.register(h); err != nil {
		return err
	}
	h.mu.Lock()
	h.nc, h.stop = nc, make(chan struct{})
	h.mu.Unlock()
	if h.ownServer {
		if err := h.server.Start(); err != nil {
			h.server.unregister(h)
			h.mu.Lock()
			h.nc = nil
			h.mu.Unlock()
			return err
		}
	}
	return nil
}

// Stop unregisters the path, answers 503 to new requests and waits for
// requests being published.
func (h *HTTPSource) Stop(ctx context.Context) error {
	h.server.unregister(h)
	h.mu.Lock()
	stop := h.stop
	h.nc, h.stop = nil, nil
	h.mu.Unlock()
	if stop != nil {
		close(stop)
	}
	var err error
	if h.ownServer {
		err = h.server.Shutdown(ctx)
	}
	select {
	case <-waitDone(&h.inflight):
	case <-ctx.Done():
		return fmt.Errorf("endpoints: stop %s: requests in flight: %w", h.name, ctx.Err())
	}
	return err
}

// ServeHTTP handles one request as described on HTTPSource.
func (h *HTTPSource) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.received.Add(1)
	if r.Method != h.method {
		w.Header().Set("Allow", h.method)
		h.refuse(w, http.StatusMethodNotAllowed, fmt.Sprintf("method %s not allowed", r.Method),
			fmt.Sprintf("%s with a JSON object body", h.method))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.refuse(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than %d bytes", h.maxBody),
				fmt.Sprintf("a JSON object of at most %d bytes", h.maxBody))
			return
		}
		h.refuse(w, http.StatusBadRequest, "reading request body: "+err.Error(), "a JSON object body")
		return
	}
	if msg := checkObject(body); msg != "" {
		h.refuse(w, http.StatusBadRequest, msg, `a JSON object, such as {"id": 1}`)
		return
	}

	h.mu.RLock()
	nc, stop := h.nc, h.stop
	if nc != nil {
		h.inflight.Add(1)
	}
	h.mu.RUnlock()
	if nc == nil {
		h.failf(w, http.StatusServiceUnavailable, "%s is not running", h.name)
		return
	}
	defer h.inflight.Done()

	ctx, cancel := context.WithTimeout(r.Context(), publishTimeout)
	defer cancel()
	go func() {
		select {
		case <-stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	if h.backpressure != nil {
		if err := h.backpressure(ctx); err != nil {
			h.failf(w, http.StatusServiceUnavailable, "workflow busy: %v", err)
			return
		}
	}
	span := trace.Root(h.name)
	msg := &nats.Msg{Subject: h.subject, Data: body, Header: span.Header()}
	if err := h.publish(ctx, nc, msg); err != nil {
		if errors.Is(err, nats.ErrMaxPayload) {
			h.refuse(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("event of %d bytes is larger than the bus accepts (%d bytes with headers)", len(body), nc.MaxPayload()),
				"a smaller JSON object")
			return
		}
		h.failf(w, http.StatusServiceUnavailable, "publish: %v", err)
		return
	}
	if err := nc.FlushWithContext(ctx); err != nil {
		h.failf(w, http.StatusServiceUnavailable, "publish: %v", err)
		return
	}
	h.delivered.Add(1)
	w.Header().Set(trace.HeaderEventID, span.EventID)
	w.Header().Set(trace.HeaderTraceID, span.TraceID)
	writeJSON(w, http.StatusAccepted, map[string]string{"event_id": span.EventID, "trace_id": span.TraceID})
}

// refuse answers a client error and counts the request as rejected.
func (h *HTTPSource) refuse(w http.ResponseWriter, status int, msg, expected string) {
	h.reject(fmt.Errorf("%s: %s", h.name, msg))
	writeJSON(w, status, map[string]string{"error": msg, "expected": expected})
}

// failf answers a server-side failure and counts it.
func (h *HTTPSource) failf(w http.ResponseWriter, status int, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	h.fail(fmt.Errorf("%s: %s", h.name, msg))
	h.log.Warn("HTTP source could not take an event", "endpoint", h.name, "error", msg)
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, status, map[string]string{"error": msg})
}

// checkObject returns "" when body is one JSON object, else what is wrong.
func checkObject(body []byte) string {
	t := bytes.TrimLeft(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")), " \t\r\n")
	if len(t) == 0 {
		return "request body is empty"
	}
	if json.Valid(t) {
		if t[0] != '{' {
			return fmt.Sprintf("request body is a JSON %s, not an object", jsonKind(t[0]))
		}
		return ""
	}
	var v any
	err := json.Unmarshal(t, &v)
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("request body is not valid JSON: %v (at byte %d)", se, se.Offset)
	}
	return "request body is not valid JSON"
}

func jsonKind(c byte) string {
	switch c {
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// bodyMethod reads the option method of an HTTP endpoint, POST by default,
// which must be one with a request body; why says what the body carries.
func (r *resolver) bodyMethod(why string) (string, error) {
	method, err := r.optString("method", http.MethodPost)
	if err != nil {
		return "", err
	}
	method = strings.ToUpper(method)
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodPatch:
		return method, nil
	}
	return "", r.errorf("option method %q: %s: expected POST, PUT or PATCH", method, why)
}

// waitDone returns a channel closed once wg's counter is zero.
func waitDone(wg *sync.WaitGroup) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	return done
}
