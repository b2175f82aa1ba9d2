package cluster

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// readyPrefix starts the line a NATS server process prints once it
// accepts clients: the prefix, the client URL and the monitoring URL.
const readyPrefix = "nats-server ready"

// ServeNATS runs a NATS server in this process until SIGINT or SIGTERM:
// core NATS on a random TCP loopback port, the HTTP monitoring endpoint on
// another, no JetStream (agents of a run without a data directory use
// core NATS only). Once it accepts clients it writes one line to w:
// "nats-server ready <client URL> <monitoring URL>". A program serves a
// cluster's NATS by calling this when re-executed with a flag of its own
// (see Options.NATSCommand).
func ServeNATS(w io.Writer) error {
	ns, err := server.NewServer(&server.Options{
		ServerName: "enginebench",
		Host:       "127.0.0.1",
		Port:       server.RANDOM_PORT,
		HTTPHost:   "127.0.0.1",
		HTTPPort:   server.RANDOM_PORT,
		NoSigs:     true,
		NoLog:      true,
	})
	if err != nil {
		return fmt.Errorf("nats server: %w", err)
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	ns.Start()
	defer func() {
		ns.Shutdown()
		ns.WaitForShutdown()
	}()
	if !ns.ReadyForConnections(30 * time.Second) {
		return errors.New("nats server: not accepting clients after 30s")
	}
	mon := ns.MonitorAddr()
	if mon == nil {
		return errors.New("nats server: no monitoring listener")
	}
	if _, err := fmt.Fprintf(w, "%s %s http://%s\n", readyPrefix, ns.ClientURL(), mon.String()); err != nil {
		return err
	}
	<-sigs
	return nil
}
