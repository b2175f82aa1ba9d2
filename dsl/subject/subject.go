// Package subject builds the NATS subjects of Kumeo (see scheme.go), matches
// subject patterns and checks the tokens subjects are made of. The checker,
// the canvas graph, the engine and the benchmarks all take subjects from here.
package subject

// ValidToken reports whether s can be one token of a NATS subject: not
// empty, and free of the separator '.', the wildcards '*' and '>', and
// whitespace or control characters.
func ValidToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '.', c == '*', c == '>', c <= ' ', c == 0x7f:
			return false
		}
	}
	return true
}
