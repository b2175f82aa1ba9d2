// Package subject builds the NATS subjects of Kumeo (see scheme.go) and
// checks the tokens they are made of.
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
