package endpoints

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ErrInvalidSubject is wrapped by the errors of ValidateSubject and
// MQTTSubject; errors from Source and Target wrap it as well as
// ErrInvalidEndpoint.
var ErrInvalidSubject = errors.New("invalid subject")

// ValidateSubject checks that s is a NATS subject: tokens separated by '.',
// none empty, no whitespace or control characters. With wildcards, '*' may
// stand for one whole token and '>' for the last one (a source may
// subscribe to many subjects); without, s must be a literal subject (a
// target publishes to exactly one).
func ValidateSubject(s string, wildcards bool) error {
	if s == "" {
		return fmt.Errorf("%w: subject is empty: expected tokens separated by '.', such as \"orders.created\"", ErrInvalidSubject)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%w: subject %q is not valid UTF-8", ErrInvalidSubject, s)
	}
	for i, r := range s {
		if r <= ' ' || r == 0x7f {
			return fmt.Errorf("%w: subject %q has a space or control character at byte %d: expected tokens separated by '.', such as \"orders.created\"", ErrInvalidSubject, s, i)
		}
	}
	tokens := strings.Split(s, ".")
	for i, t := range tokens {
		switch {
		case t == "":
			return fmt.Errorf("%w: subject %q has an empty token (a leading, trailing or doubled '.'): expected tokens separated by single dots, such as \"orders.created\"", ErrInvalidSubject, s)
		case t == "*" || t == ">":
			if !wildcards {
				return fmt.Errorf("%w: subject %q has the wildcard %q: a target publishes to one literal subject, wildcards are only allowed in sources", ErrInvalidSubject, s, t)
			}
			if t == ">" && i != len(tokens)-1 {
				return fmt.Errorf("%w: subject %q has '>' before the last token: '>' matches the rest of a subject and must come last, as in \"orders.>\"", ErrInvalidSubject, s)
			}
		case strings.ContainsAny(t, "*>"):
			return fmt.Errorf("%w: subject %q has a wildcard inside the token %q: '*' and '>' must be whole tokens, as in \"orders.*.created\"", ErrInvalidSubject, s, t)
		}
	}
	return nil
}

// sanitizeToken turns s into one subject token: characters other than
// ASCII letters, digits, '_' and '-' become '_'.
func sanitizeToken(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			b[i] = '_'
		}
	}
	return string(b)
}

// pathTokens maps an HTTP path to subject tokens: one per non-empty path
// segment, sanitised; "root" for "/".
func pathTokens(path string) string {
	var toks []string
	for _, seg := range strings.Split(path, "/") {
		if seg != "" {
			toks = append(toks, sanitizeToken(seg))
		}
	}
	if len(toks) == 0 {
		return "root"
	}
	return strings.Join(toks, ".")
}
