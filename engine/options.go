package engine

import (
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/kumeo/kumeo/dsl"
	"github.com/kumeo/kumeo/engine/bus"
)

// Options configure a run. The zero value runs the workflow on a private
// embedded NATS server with in-memory JetStream, all agents chained in
// process. A run goes on one of Bus, NATSURL and Conn (or the private
// server, whose listeners Listen and MQTTListen open); Start refuses
// options that set more than one with ErrOptions.
type Options struct {
	// Bus is the embedded server to run on. Nil starts a private one that
	// is shut down with the run (see Listen, MQTTListen, DataDir).
	Bus *bus.Bus
	// NATSURL runs against an external NATS server instead (kumeo agent).
	NATSURL string
	// NATSOptions are added to the options of the connection to NATSURL:
	// credentials (nats.UserInfo, nats.UserCredentials), TLS, a name.
	NATSOptions []nats.Option
	// Conn runs on an existing connection (tests).
	Conn *nats.Conn
	// DataDir enables durable mode: sources are captured by a JetStream
	// file-store stream and consumed with explicit acks after each event
	// is fully handled.
	DataDir string
	// Listen and MQTTListen open loopback listeners on a private bus.
	Listen     string
	MQTTListen string
	// HTTPListen is where HTTP sources listen; empty means 127.0.0.1:0.
	HTTPListen string
	// Only runs just these agent ids; the others are expected to run
	// elsewhere and are reached through NATS (kumeo agent).
	Only []string
	// Endpoints says whether this run starts the workflow's sources and
	// targets (its adapters: HTTP, File, Timer, MQTT, webhooks). In a
	// cluster they run in exactly one process: `kumeo agent --endpoints`
	// (EndpointsOnly) while every `kumeo agent --agent ID` leaves them
	// to it (EndpointsElsewhere).
	Endpoints EndpointMode
	// NoChain sends every agent-to-agent hop through NATS.
	NoChain bool
	// Concurrency is the number of workers per subscription; 0 means
	// 2 × GOMAXPROCS.
	Concurrency int
	// MetricsInterval between metric snapshots; 0 means 500 ms.
	MetricsInterval time.Duration
	// TraceRate bounds how many new traces per second are recorded in the
	// event inspector; 0 means 200, negative disables recording.
	TraceRate int
	// TracePerAgent is the ring size of recent events per agent.
	TracePerAgent int
	// AckWait is how long a durable source message may stay unacked before
	// JetStream redelivers it (a crashed process); 0 means 30 s.
	AckWait time.Duration
	// Instance names this process in metrics snapshots; empty means the
	// host name and process id when the run is on an external server
	// (kumeo agent: several replicas publish the same agent's metrics),
	// and nothing otherwise.
	Instance string
	// Dir resolves relative file names; default: the workflow file's dir.
	Dir    string
	Logger *slog.Logger
}

// EndpointMode says where a run's sources and targets run.
type EndpointMode int

// Endpoint modes.
const (
	// EndpointsHere starts sources and targets with the agents (default).
	EndpointsHere EndpointMode = iota
	// EndpointsElsewhere starts none: another process runs them.
	EndpointsElsewhere
	// EndpointsOnly starts sources and targets and runs no agent.
	EndpointsOnly
)

// validate reports options that contradict each other: the run goes on
// one bus, one external server or one connection, and the listeners of a
// private bus need a bus of the run's own.
func (o Options) validate() error {
	var set []string
	if o.Bus != nil {
		set = append(set, "Bus")
	}
	if o.NATSURL != "" {
		set = append(set, "NATSURL")
	}
	if o.Conn != nil {
		set = append(set, "Conn")
	}
	if len(set) > 1 {
		return fmt.Errorf("%w: %s are set; expected at most one of Bus, NATSURL and Conn", ErrOptions, strings.Join(set, " and "))
	}
	if o.Endpoints == EndpointsOnly && len(o.Only) > 0 {
		return fmt.Errorf("%w: Endpoints is EndpointsOnly and Only names agents; a run of just the sources and targets runs no agent", ErrOptions)
	}
	if o.Endpoints < EndpointsHere || o.Endpoints > EndpointsOnly {
		return fmt.Errorf("%w: Endpoints is %d; expected EndpointsHere, EndpointsElsewhere or EndpointsOnly", ErrOptions, o.Endpoints)
	}
	if len(set) == 1 {
		for _, l := range []struct{ name, v string }{{"Listen", o.Listen}, {"MQTTListen", o.MQTTListen}} {
			if l.v != "" {
				return fmt.Errorf("%w: %s and %s are set; %s opens a listener on the run's private bus, which %s replaces", ErrOptions, set[0], l.name, l.name, set[0])
			}
		}
	}
	return nil
}

// withDefaults fills in what o leaves to the engine for a run of f.
func (o Options) withDefaults(f *dsl.File) Options {
	if o.Dir == "" {
		o.Dir = workflowDir(f.Filename)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 2 * runtime.GOMAXPROCS(0)
	}
	if o.AckWait <= 0 {
		o.AckWait = 30 * time.Second
	}
	if o.TraceRate == 0 {
		o.TraceRate = 200
	}
	if o.HTTPListen == "" {
		o.HTTPListen = "127.0.0.1:0"
	}
	return o
}

func (o Options) instance() string {
	if o.Instance != "" || o.NATSURL == "" {
		return o.Instance
	}
	host, _ := os.Hostname()
	return fmt.Sprintf("%s-%d", host, os.Getpid())
}

// RedactURL returns the server URLs of a NATS URL list ("nats://a,nats://b")
// with any user and password replaced by "redacted", for logs and errors.
func RedactURL(urls string) string {
	parts := strings.Split(urls, ",")
	for i, p := range parts {
		u, err := url.Parse(strings.TrimSpace(p))
		if err != nil || u.User == nil {
			if at := strings.LastIndex(p, "@"); at >= 0 {
				parts[i] = "redacted@" + p[at+1:]
			}
			continue
		}
		u.User = url.User("redacted")
		parts[i] = u.String()
	}
	return strings.Join(parts, ",")
}
