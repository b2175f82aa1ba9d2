package bus

import (
	"fmt"
	"log/slog"
	"net"
	"strconv"

	"github.com/nats-io/nats-server/v2/server"
)

// DefaultName is the server name used when Options.Name is empty.
const DefaultName = "kumeo"

// Options configures an embedded bus. The zero value is a valid,
// memory-store, in-process-only bus.
type Options struct {
	// Name is the NATS server name. Empty means DefaultName.
	Name string

	// DataDir is where JetStream keeps file-store streams. Empty means a
	// quick, non-durable run: streams should use memory storage (see
	// Bus.StorageType) and any file-store stream lives in a private
	// temporary directory removed at Shutdown.
	DataDir string

	// Listen is an optional TCP listener for NATS clients outside the
	// process, as "host:port" ("127.0.0.1:4222", or "127.0.0.1:0" for a
	// random port). Empty means no listener: in-process connections only.
	// An empty host means 127.0.0.1, never all interfaces.
	Listen string

	// MQTTListen is an optional MQTT listener, same form as Listen.
	MQTTListen string

	// MaxPayload is the largest message the server accepts, in bytes.
	// Zero means the NATS default (1 MiB).
	MaxPayload int32

	// JetStreamMaxMemory and JetStreamMaxStore cap JetStream's memory and
	// file storage, in bytes. Zero means the server's dynamic default.
	JetStreamMaxMemory int64
	JetStreamMaxStore  int64

	// SyncAlways makes the file store fsync every write. Off by default:
	// the server syncs periodically and on Shutdown.
	SyncAlways bool

	// PreferTCP makes Connect use the TCP listener instead of the
	// in-process connection. It requires Listen. In-process has the best
	// idle latency; loopback TCP can be faster under heavy load.
	PreferTCP bool

	// Logger receives the embedded server's log lines. Nil means the server
	// logs nothing. Debug lines are sent when the logger is enabled at
	// slog.LevelDebug, protocol traces at LevelTrace.
	Logger *slog.Logger
}

// LevelTrace is the slog level used for the server's protocol traces.
const LevelTrace = slog.LevelDebug - 4

// serverOptions maps Options onto nats-server options. storeDir is the
// JetStream directory actually used.
func (o Options) serverOptions(storeDir string) (*server.Options, error) {
	so := &server.Options{
		ServerName:         o.Name,
		JetStream:          true,
		StoreDir:           storeDir,
		JetStreamMaxMemory: o.JetStreamMaxMemory,
		JetStreamMaxStore:  o.JetStreamMaxStore,
		SyncAlways:         o.SyncAlways,
		MaxPayload:         o.MaxPayload,
		NoSigs:             true,
		NoLog:              true,
		DontListen:         o.Listen == "",
	}
	if so.ServerName == "" {
		so.ServerName = DefaultName
	}
	if o.MaxPayload < 0 {
		return nil, fmt.Errorf("%w: MaxPayload must be >= 0, got %d", ErrInvalidOptions, o.MaxPayload)
	}
	if o.JetStreamMaxMemory < 0 || o.JetStreamMaxStore < 0 {
		return nil, fmt.Errorf("%w: JetStream limits must be >= 0", ErrInvalidOptions)
	}
	if o.Listen != "" {
		host, port, err := splitListen("Listen", o.Listen)
		if err != nil {
			return nil, err
		}
		so.Host, so.Port = host, port
	}
	if o.MQTTListen != "" {
		host, port, err := splitListen("MQTTListen", o.MQTTListen)
		if err != nil {
			return nil, err
		}
		so.MQTT.Host, so.MQTT.Port = host, port
	}
	if o.PreferTCP && o.Listen == "" {
		return nil, fmt.Errorf("%w: PreferTCP needs a Listen address", ErrInvalidOptions)
	}
	return so, nil
}

// splitListen parses "host:port" into nats-server form, where port 0 means
// "the default port" and -1 means "random".
func splitListen(field, addr string) (string, int, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("%w: %s %q: expected host:port: %v", ErrInvalidOptions, field, addr, err)
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("%w: %s %q: port must be 0..65535", ErrInvalidOptions, field, addr)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	if port == 0 {
		port = server.RANDOM_PORT
	}
	return host, port, nil
}
