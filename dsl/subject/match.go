package subject

import "strings"

// Matches reports whether a NATS subject pattern, whose tokens may
// be '*' (any one token) or a final '>' (one or more tokens), matches the
// literal subject s.
func Matches(pattern, s string) bool {
	pt := strings.Split(pattern, ".")
	st := strings.Split(s, ".")
	for i, p := range pt {
		if p == ">" {
			return len(st) > i
		}
		if i >= len(st) || p != "*" && p != st[i] {
			return false
		}
	}
	return len(pt) == len(st)
}
