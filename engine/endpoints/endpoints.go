// Package endpoints resolves a workflow's sources and targets for a local
// run.
//
// Every source and target goes through NATS. The runtime consumes each
// source from Endpoint.Subject and publishes each target's events to
// Endpoint.Subject. A NATS endpoint is just its subject. An MQTT endpoint
// is the subject nats-server's built-in MQTT listener maps its topic to, so
// it needs no adapter either. Everything else has an Adapter that moves
// events between the bus and the outside world:
//
//   - ingress (sources): HTTP, Timer and File take events from outside and
//     publish their raw bytes on an internal subject
//     kumeo.<workflow>.in.<kind>.<name>, each with a new trace (the headers
//     of package trace, hop 0, from the endpoint's Name);
//   - egress (targets): HTTP and File subscribe to the target's subject and
//     deliver each event outside.
//
// Source and Target resolve one endpoint; Resolve resolves every endpoint
// of a workflow into a Set that shares one HTTP server between its HTTP
// sources and starts and stops the adapters in the right order.
//
// MQTT endpoints need the bus started with an MQTT listener
// (bus.Options.MQTTListen), which nats-server runs on JetStream (always on
// in the bus) under the bus's server name; Options.MQTTEnabled says so.
// MQTTSubject gives the server's topic-to-subject mapping.
//
// Malformed events are not judged here, except by the HTTP source, which
// can answer its client: a File source publishes every non-empty line as
// it is, with its line number in HeaderLine, and the runtime dead-letters
// lines that are not JSON objects with the reason. That keeps the count of
// what went in and what came out in one place.
package endpoints

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"

	"github.com/nats-io/nats.go"

	"github.com/kumeo/kumeo/dsl"
	"github.com/kumeo/kumeo/dsl/subject"
)

// Errors returned while resolving or running endpoints, always wrapped with
// detail; test with errors.Is.
var (
	// ErrInvalidEndpoint: the constructor's arguments are wrong (a bad
	// subject, path, URL, interval or option).
	ErrInvalidEndpoint = errors.New("endpoints: invalid endpoint")
	// ErrUnknownType: the constructor is not a source or target type.
	ErrUnknownType = errors.New("endpoints: unknown endpoint type")
	// ErrUnsupported: a known type the local engine cannot run (Kafka).
	ErrUnsupported = errors.New("endpoints: not supported by the local engine")
	// ErrNotEnabled: the endpoint needs something the run was started
	// without (MQTT needs the bus's MQTT listener).
	ErrNotEnabled = errors.New("endpoints: not enabled for this run")
	// ErrInvalidOptions: Options itself is wrong (e.g. a non-loopback
	// HTTP listen address).
	ErrInvalidOptions = errors.New("endpoints: invalid options")
	// ErrConflict: two endpoints of one workflow clash (the same HTTP path
	// twice, or a target publishing into a source's subject).
	ErrConflict = errors.New("endpoints: conflicting endpoints")
	// ErrNotStarted: an adapter was used before Start or after Stop.
	ErrNotStarted = errors.New("endpoints: adapter not started")
)

// HeaderLine is set on events from a File source: the 1-based line number
// the event was read from.
const HeaderLine = "Kumeo-Line"

// Endpoint is a source or target resolved for a run.
type Endpoint struct {
	Role dsl.EndpointRole // dsl.RoleSource or dsl.RoleTarget
	Type string           // constructor name: NATS, HTTP, Timer, File, MQTT
	Name string           // label such as HTTP("/orders"); the trace "from" of ingress events
	// Subject is where the runtime consumes a source's events or publishes
	// a target's events. Source subjects may hold wildcards.
	Subject string
	// Subjects is every subject a source consumes: Subject, and for an
	// MQTT filter ending in "/#" also its parent level, which MQTT matches
	// too ("a/#" matches "a"). For targets it is just Subject.
	Subjects []string
	// Adapter moves events between NATS and the outside; nil for NATS and
	// MQTT endpoints.
	Adapter Adapter
	// Options is the endpoint's options object as plain data (nil when
	// none was written), for settings the runtime reads itself, such as a
	// NATS queue group.
	Options map[string]any
	// Decl is the declaration the endpoint was resolved from.
	Decl *dsl.Endpoint
}

// Adapter moves events between the bus and the outside world. Start
// returns once the adapter is ready (an egress adapter has subscribed);
// its work continues in the background until Stop, which flushes what it
// holds and returns when it is done or ctx ends.
type Adapter interface {
	Start(ctx context.Context, nc *nats.Conn) error
	Stop(ctx context.Context) error
}

// Finite is implemented by sources that run out of input (File). Done is
// closed when the source has published everything (or stopped or failed:
// see Err).
type Finite interface {
	Done() <-chan struct{}
	Err() error
}

// StatsReporter is implemented by every adapter.
type StatsReporter interface {
	Stats() Stats
}

// Done returns the adapter's Done channel for a finite source, and nil
// (a channel that never closes) for every other endpoint.
func (e *Endpoint) Done() <-chan struct{} {
	if f, ok := e.Adapter.(Finite); ok {
		return f.Done()
	}
	return nil
}

// Stats returns the adapter's counters; zero for endpoints without one.
func (e *Endpoint) Stats() Stats {
	if s, ok := e.Adapter.(StatsReporter); ok {
		return s.Stats()
	}
	return Stats{}
}

// Options configures endpoint resolution for one run.
type Options struct {
	// Dir is the directory of the workflow file; relative File paths are
	// resolved against it. Empty means the working directory.
	Dir string

	// HTTPListen is the loopback "host:port" HTTP sources listen on
	// ("127.0.0.1:8080", or "127.0.0.1:0" for a random port; an empty
	// host means 127.0.0.1). Empty means no listener: HTTP sources are
	// reachable only through HTTPServer.Handler (the desktop app serves
	// it itself; tests use httptest).
	HTTPListen string

	// HTTP is the HTTP server HTTP sources register their paths on. Resolve
	// creates one per Set. When Source is called directly and HTTP is nil,
	// the HTTP source gets a server of its own on HTTPListen, started and
	// stopped with it.
	HTTP *HTTPServer

	// MQTTEnabled says the bus runs its MQTT listener (bus.Options.MQTTListen).
	// MQTT endpoints are refused without it.
	MQTTEnabled bool

	// Publish, when set, is how sources publish their events; nil
	// publishes on core NATS. A durable run sets one that returns once
	// its sources stream stored the event: the server drops core messages
	// offered faster than a stream stores them, and an HTTP source then
	// answers only for events that are kept.
	Publish func(ctx context.Context, nc *nats.Conn, m *nats.Msg) error

	// Backpressure, when set, is called by ingress adapters before each
	// publish and may block until the runtime has room for another event.
	// An error (usually ctx's) stops that publish: the HTTP source answers
	// 503, the File and Timer sources stop.
	Backpressure func(ctx context.Context) error

	// Logger receives adapter errors and warnings. Nil discards them.
	Logger *slog.Logger
}

// publisher is Options.Publish or a core NATS publish.
func (o Options) publisher() func(context.Context, *nats.Conn, *nats.Msg) error {
	if o.Publish != nil {
		return o.Publish
	}
	return func(_ context.Context, nc *nats.Conn, m *nats.Msg) error { return nc.PublishMsg(m) }
}

func (o Options) logger() *slog.Logger {
	if o.Logger != nil {
		return o.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// Source resolves a source of the named workflow.
func Source(workflow string, ep *dsl.Endpoint, opts Options) (*Endpoint, error) {
	return resolve(workflow, dsl.RoleSource, ep, opts)
}

// Target resolves a target of the named workflow.
func Target(workflow string, ep *dsl.Endpoint, opts Options) (*Endpoint, error) {
	return resolve(workflow, dsl.RoleTarget, ep, opts)
}

func resolve(workflow string, role dsl.EndpointRole, ep *dsl.Endpoint, opts Options) (*Endpoint, error) {
	if ep == nil {
		return nil, fmt.Errorf("%w: nil %s", ErrInvalidEndpoint, role)
	}
	if !subject.ValidToken(workflow) {
		return nil, fmt.Errorf("%w: workflow name %q cannot be a NATS subject token: expected a name without '.', '*', '>' or spaces", ErrInvalidEndpoint, workflow)
	}
	if ep.Type == "" {
		return nil, fmt.Errorf("%w: %s %s: expected a constructor call such as NATS(%q)", ErrInvalidEndpoint, role, describeValue(ep), orDefault(ep.Address, "subject"))
	}
	e := &Endpoint{Role: role, Type: ep.Type, Name: ep.Label(), Decl: ep}
	if ep.Options != nil {
		e.Options, _ = dsl.Interface(ep.Options).(map[string]any)
	}
	r := &resolver{workflow: workflow, role: role, ep: ep, e: e, opts: opts}
	var err error
	if bind, ok := kinds[ep.Type]; ok {
		err = bind(r)
	} else if spec, known := dsl.Builtin().Lookup(ep.Type); known && spec.Is(roleCategory(role)) {
		err = fmt.Errorf("%w: %s: %s %ss are not supported by the local engine; use NATS or MQTT", ErrUnsupported, e.Name, ep.Type, role)
	} else {
		err = unknownType(role, ep.Type)
	}
	if err != nil {
		return nil, err
	}
	if len(e.Subjects) == 0 {
		e.Subjects = []string{e.Subject}
	}
	return e, nil
}

type resolver struct {
	workflow string
	role     dsl.EndpointRole
	ep       *dsl.Endpoint
	e        *Endpoint
	opts     Options
}

// errorf returns an ErrInvalidEndpoint error naming the endpoint.
func (r *resolver) errorf(format string, args ...any) error {
	return fmt.Errorf("%w: %s %s: %s", ErrInvalidEndpoint, r.role, r.e.Name, fmt.Sprintf(format, args...))
}

// internal returns the subject of an ingress adapter:
// kumeo.<workflow>.in.<kind>.<name>.
func (r *resolver) internal(kind, name string) string {
	return subject.In(r.workflow, kind, name)
}

// internalOut returns the subject an egress adapter consumes:
// kumeo.<workflow>.out.<kind>.<index>.
func (r *resolver) internalOut(kind string) string {
	return subject.Out(r.workflow, kind, r.ep.Index)
}

func (r *resolver) onlySource() error {
	if r.role != dsl.RoleSource {
		return fmt.Errorf("%w: target %s: %s can only be a source", ErrInvalidEndpoint, r.e.Name, r.ep.Type)
	}
	return nil
}

func (r *resolver) nats() error {
	s := r.ep.Address
	if err := ValidateSubject(s, r.role == dsl.RoleSource); err != nil {
		return fmt.Errorf("%w: %s %s: %w", ErrInvalidEndpoint, r.role, r.e.Name, err)
	}
	r.e.Subject = s
	return nil
}

// roleCategory is the spec category of an endpoint role.
func roleCategory(role dsl.EndpointRole) dsl.Category {
	if role == dsl.RoleTarget {
		return dsl.CatTarget
	}
	return dsl.CatSource
}

func unknownType(role dsl.EndpointRole, typ string) error {
	cat := roleCategory(role)
	names := dsl.Builtin().TypeNames(cat)
	expected := strings.Join(names, ", ")
	if t, ok := dsl.Builtin().Lookup(typ); ok {
		return fmt.Errorf("%w: %s cannot be a %s (it is used as: %s); expected one of %s", ErrUnknownType, typ, role, joinCats(t.Categories), expected)
	}
	if s := suggest(typ, names); s != "" {
		return fmt.Errorf("%w: %s %s: did you mean %s? expected one of %s", ErrUnknownType, role, typ, s, expected)
	}
	return fmt.Errorf("%w: %s %s: expected one of %s", ErrUnknownType, role, typ, expected)
}

func joinCats(cs []dsl.Category) string {
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = string(c)
	}
	return strings.Join(s, "/")
}

// suggest returns the name closest to typ (ignoring case) within a small
// edit distance, or "".
func suggest(typ string, names []string) string {
	if s := dsl.Suggest(typ, names); len(s) > 0 {
		return s[0]
	}
	return ""
}

func describeValue(ep *dsl.Endpoint) string {
	if ep.Address != "" {
		return fmt.Sprintf("%q", ep.Address)
	}
	return "value"
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// sortedKeys returns the keys of m in order, for messages.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// kinds binds the source and target types this package runs to how an
// endpoint of the type is resolved; Kafka stays not runnable.
var kinds = map[string]func(*resolver) error{
	dsl.TypeNATS:  (*resolver).nats,
	dsl.TypeHTTP:  (*resolver).http,
	dsl.TypeTimer: (*resolver).timer,
	dsl.TypeFile:  (*resolver).file,
	dsl.TypeMQTT:  (*resolver).mqtt,
}

// Types lists the source and target types this package runs, sorted.
func Types() []string { return sortedKeys(kinds) }
