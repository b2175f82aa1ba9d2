package bus

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
)

// serverLog adapts the nats-server Logger interface to slog. It is always
// installed, even without a user logger, because the server's own logger
// exits the process on Fatalf; here a fatal line is kept so Ready can
// report it, and the process lives on.
type serverLog struct {
	l *slog.Logger // nil: discard

	mu     sync.Mutex
	fatals []string
}

func (s *serverLog) log(level slog.Level, format string, v []any) {
	if s.l == nil || !s.l.Enabled(context.Background(), level) {
		return
	}
	s.l.Log(context.Background(), level, fmt.Sprintf(format, v...), "component", "nats-server")
}

func (s *serverLog) Noticef(format string, v ...any) { s.log(slog.LevelInfo, format, v) }
func (s *serverLog) Warnf(format string, v ...any)   { s.log(slog.LevelWarn, format, v) }
func (s *serverLog) Errorf(format string, v ...any)  { s.log(slog.LevelError, format, v) }
func (s *serverLog) Debugf(format string, v ...any)  { s.log(slog.LevelDebug, format, v) }
func (s *serverLog) Tracef(format string, v ...any)  { s.log(LevelTrace, format, v) }

func (s *serverLog) Fatalf(format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	s.mu.Lock()
	s.fatals = append(s.fatals, msg)
	s.mu.Unlock()
	s.log(slog.LevelError, format, v)
}

// fatal returns the fatal lines logged so far, or "".
func (s *serverLog) fatal() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch len(s.fatals) {
	case 0:
		return ""
	case 1:
		return s.fatals[0]
	}
	msg := s.fatals[0]
	for _, f := range s.fatals[1:] {
		msg += "; " + f
	}
	return msg
}

func (s *serverLog) enabled(level slog.Level) bool {
	return s.l != nil && s.l.Enabled(context.Background(), level)
}
