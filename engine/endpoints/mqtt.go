package endpoints

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/kumeo/kumeo/dsl"
)

// MQTTSubject maps an MQTT topic (filter when filter is true) to the NATS
// subject nats-server's MQTT listener uses for it, so that a NATS
// subscriber on the subject sees what MQTT clients publish to the topic and
// MQTT subscribers of the topic see what is published on the subject.
//
// The rules are the server's: '/' separates levels and becomes '.', '+'
// becomes '*' and '#' becomes '>'; a '.' inside a level becomes "//"; an
// empty level (a leading, trailing or doubled '/') is kept as a '/' token
// ("/a" → "/.a", "a/" → "a./", "a//b" → "a./.b").
//
// A topic is refused when the server would refuse it (empty, invalid
// UTF-8, NUL, whitespace, DEL), when a wildcard is misplaced ('+' must be a
// whole level, '#' the whole last level) or appears in a topic name
// (filter false), and when it holds '*' or '>', which would turn into NATS
// wildcards.
func MQTTSubject(topic string, filter bool) (string, error) {
	what := "topic"
	if filter {
		what = "topic filter"
	}
	switch {
	case topic == "":
		return "", fmt.Errorf("%w: MQTT %s is empty: expected levels separated by '/', such as \"plant/line1/telemetry\"", ErrInvalidSubject, what)
	case !utf8.ValidString(topic):
		return "", fmt.Errorf("%w: MQTT %s %q is not valid UTF-8", ErrInvalidSubject, what, topic)
	}
	levels := strings.Split(topic, "/")
	for i, l := range levels {
		for j := 0; j < len(l); j++ {
			switch c := l[j]; c {
			case 0, ' ', '\t', '\n', '\r', '\f', 0x7f:
				return "", fmt.Errorf("%w: MQTT %s %q has a space or control character, which the NATS MQTT bridge does not support", ErrInvalidSubject, what, topic)
			case '*', '>':
				return "", fmt.Errorf("%w: MQTT %s %q has %q, which is a NATS wildcard and cannot be bridged: use '+' or '#' in filters, letters elsewhere", ErrInvalidSubject, what, topic, string(c))
			case '+', '#':
				if !filter {
					return "", fmt.Errorf("%w: MQTT topic %q has the wildcard %q: a target publishes to one topic, wildcards are only allowed in sources", ErrInvalidSubject, topic, string(c))
				}
				if len(l) != 1 {
					return "", fmt.Errorf("%w: MQTT topic filter %q has %q inside the level %q: a wildcard must be a whole level, as in \"plant/+/telemetry\"", ErrInvalidSubject, topic, string(c), l)
				}
				if c == '#' && i != len(levels)-1 {
					return "", fmt.Errorf("%w: MQTT topic filter %q has '#' before the last level: '#' matches the remaining levels and must come last, as in \"plant/#\"", ErrInvalidSubject, topic)
				}
			}
		}
	}
	return mqttToNATS(topic), nil
}

// mqttToNATS is nats-server's mqttToNATSSubjectConversion for a topic that
// has passed MQTTSubject's checks.
func mqttToNATS(mt string) string {
	res := make([]byte, 0, len(mt)+10)
	end := len(mt) - 1
	for i := 0; i < len(mt); i++ {
		switch c := mt[i]; c {
		case '/':
			switch {
			case i == 0 || res[len(res)-1] == '.':
				res = append(res, '/', '.')
			case i == end || mt[i+1] == '/':
				res = append(res, '.', '/')
			default:
				res = append(res, '.')
			}
		case '.':
			res = append(res, '/', '/')
		case '+':
			res = append(res, '*')
		case '#':
			res = append(res, '>')
		default:
			res = append(res, c)
		}
	}
	if len(res) > 0 && res[len(res)-1] == '.' {
		res = append(res, '/')
	}
	return string(res)
}

func (r *resolver) mqtt() error {
	filter := r.role == dsl.RoleSource
	s, err := MQTTSubject(r.ep.Address, filter)
	if err != nil {
		return fmt.Errorf("%w: %s %s: %w", ErrInvalidEndpoint, r.role, r.e.Name, err)
	}
	if !r.opts.MQTTEnabled {
		return fmt.Errorf("%w: %s %s: MQTT endpoints use the bus's MQTT listener; start the run with it (bus.Options.MQTTListen and endpoints.Options.MQTTEnabled)", ErrNotEnabled, r.role, r.e.Name)
	}
	r.e.Subject = s
	r.e.Subjects = []string{s}
	// The server subscribes "a.>" and "a" for "a/#": MQTT's '#' also
	// matches the parent level.
	if filter && len(s) > 2 && strings.HasSuffix(s, ".>") {
		r.e.Subjects = append(r.e.Subjects, s[:len(s)-2])
	}
	return nil
}
