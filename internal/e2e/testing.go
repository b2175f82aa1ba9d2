package e2e

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"
)

// Serve serves the built frontend (frontend/dist of this module) with the
// app's services on workspace directory dir, until the test ends, and
// returns the base URL. The test is skipped when the frontend is not built.
func Serve(t testing.TB, dir string) string {
	t.Helper()
	dist, err := FindDist()
	if err != nil {
		t.Skip(err)
	}
	_, url := Start(t, Options{Dist: dist, Workspace: dir})
	return url
}

// Start serves opts until the test ends and returns the server and its base
// URL. An empty ConfigDir is a temporary directory of the test.
func Start(t testing.TB, opts Options) (*Server, string) {
	t.Helper()
	if opts.ConfigDir == "" {
		opts.ConfigDir = t.TempDir()
	}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := s.Close(ctx); err != nil {
			t.Errorf("e2e: close: %v", err)
		}
		hs.CloseClientConnections()
		hs.Close()
	})
	return s, hs.URL
}
