// Package agentserver serves what a cluster asks of a `kumeo agent`
// process over HTTP: liveness (/healthz), readiness (/readyz) and
// Prometheus metrics (/metrics) with the per-agent numbers of the engine's
// metrics snapshots plus the Go runtime and process collectors.
package agentserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/kumeo/kumeo/engine/metrics"
)

// Paths the server answers, and the port rendered manifests probe.
const (
	PathHealth  = "/healthz"
	PathReady   = "/readyz"
	PathMetrics = "/metrics"
	// DefaultListen is the listen address of `kumeo agent --listen`.
	DefaultListen = ":9090"
	// Port is the port of DefaultListen.
	Port = 9090
)

// Config says how the server learns the state of the process. Every
// function is called on each request, so answers are always current; nil
// functions mean alive, ready and no agent metrics.
type Config struct {
	// Live returns an error when the process can no longer do its work
	// (its run faulted); /healthz then answers 503 with the reason.
	Live func() error
	// Ready returns an error while the process does not take events (not
	// yet started, NATS not connected); /readyz then answers 503 with it.
	Ready func() error
	// Snapshots returns the metrics of the agents the process runs.
	Snapshots func() []metrics.Snapshot
	// Latency returns an agent's latency histogram, for an exact count
	// and sum; nil (or a nil result) falls back to the snapshot's
	// quantiles with the sum estimated as count × median.
	Latency func(agent string) *metrics.HistogramSnapshot
	// Logger logs a server that stops with an error; nil discards.
	Logger *slog.Logger
}

// Server is the HTTP server of one agent process.
type Server struct {
	cfg  Config
	reg  *prometheus.Registry
	mux  *http.ServeMux
	srv  *http.Server
	ln   net.Listener
	done chan struct{}
}

// New returns a server for cfg with its own Prometheus registry holding
// the agent collector and the Go runtime and process collectors.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		newAgentCollector(cfg.Snapshots, cfg.Latency),
	)
	s := &Server{cfg: cfg, reg: reg, mux: http.NewServeMux()}
	s.mux.HandleFunc("GET "+PathHealth, s.check(cfg.Live, "alive"))
	s.mux.HandleFunc("GET "+PathReady, s.check(cfg.Ready, "ready"))
	s.mux.Handle("GET "+PathMetrics, promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	return s
}

// Registry is the server's Prometheus registry.
func (s *Server) Registry() *prometheus.Registry { return s.reg }

// Handler serves the three paths.
func (s *Server) Handler() http.Handler { return s.mux }

// check answers 200 with ok when f reports nothing, else 503 with the
// reason.
func (s *Server) check(f func() error, ok string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if f != nil {
			if err := f(); err != nil {
				w.WriteHeader(http.StatusServiceUnavailable)
				fmt.Fprintf(w, "not %s: %v\n", ok, err)
				return
			}
		}
		fmt.Fprintln(w, ok)
	}
}

// Start listens on addr (host:port; port 0 picks one) and serves until
// Shutdown.
func (s *Server) Start(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("agentserver: listen on %q: %w", addr, err)
	}
	s.ln = ln
	s.srv = &http.Server{Handler: s.mux, ReadHeaderTimeout: 10 * time.Second}
	s.done = make(chan struct{})
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.cfg.Logger.Error("agent HTTP server stopped", "err", err)
		}
	}()
	return nil
}

// Addr is the address the server listens on, "" before Start.
func (s *Server) Addr() string {
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// Shutdown stops the server, waiting for requests in progress until ctx
// is done.
func (s *Server) Shutdown(ctx context.Context) error {
	if s.srv == nil {
		return nil
	}
	err := s.srv.Shutdown(ctx)
	<-s.done
	return err
}
