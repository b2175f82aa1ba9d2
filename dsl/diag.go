package dsl

import (
	"fmt"
	"sort"
	"strings"
)

// Severity of a diagnostic.
type Severity int

// Severities, most severe first.
const (
	SevError Severity = iota + 1
	SevWarning
	SevInfo
)

func (s Severity) String() string {
	switch s {
	case SevError:
		return "error"
	case SevWarning:
		return "warning"
	case SevInfo:
		return "info"
	}
	return "unknown"
}

// MarshalText encodes the severity as its name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText decodes a severity name.
func (s *Severity) UnmarshalText(b []byte) error {
	switch string(b) {
	case "error":
		*s = SevError
	case "warning":
		*s = SevWarning
	case "info":
		*s = SevInfo
	default:
		return fmt.Errorf("unknown severity %q", b)
	}
	return nil
}

// Diagnostic is one problem found in a file. Code is stable across
// releases so tools can group and filter by it.
type Diagnostic struct {
	Severity    Severity `json:"severity"`
	Code        string   `json:"code"`
	Summary     string   `json:"summary"`
	Detail      string   `json:"detail,omitempty"`
	Filename    string   `json:"filename,omitempty"`
	Range       Range    `json:"range"`
	Suggestions []string `json:"suggestions,omitempty"`
}

// Message renders summary, detail and suggestions as one line.
func (d Diagnostic) Message() string {
	var b strings.Builder
	b.WriteString(d.Summary)
	if d.Detail != "" {
		b.WriteString(": ")
		b.WriteString(d.Detail)
	}
	if len(d.Suggestions) > 0 {
		b.WriteString(" (did you mean ")
		for i, s := range d.Suggestions {
			if i > 0 {
				b.WriteString(" or ")
			}
			b.WriteString(strconvQuote(s))
		}
		b.WriteString("?)")
	}
	return b.String()
}

// String renders the diagnostic as file:line:col: severity: message [code].
func (d Diagnostic) String() string {
	return fmt.Sprintf("%s:%d:%d: %s: %s [%s]", d.Filename, d.Range.Start.Line, d.Range.Start.Column, d.Severity, d.Message(), d.Code)
}

// Diagnostics is a list of diagnostics.
type Diagnostics []Diagnostic

// HasErrors reports whether any diagnostic is an error.
func (ds Diagnostics) HasErrors() bool {
	for _, d := range ds {
		if d.Severity == SevError {
			return true
		}
	}
	return false
}

// Errors returns only the error diagnostics.
func (ds Diagnostics) Errors() Diagnostics {
	var out Diagnostics
	for _, d := range ds {
		if d.Severity == SevError {
			out = append(out, d)
		}
	}
	return out
}

// Error implements error so a Diagnostics value can be returned as one.
func (ds Diagnostics) Error() string {
	parts := make([]string, 0, len(ds))
	for _, d := range ds {
		parts = append(parts, d.String())
	}
	return strings.Join(parts, "\n")
}

// Sort orders diagnostics by position, then severity, then code.
func (ds Diagnostics) Sort() {
	sort.SliceStable(ds, func(i, j int) bool {
		a, b := ds[i], ds[j]
		if a.Range.Start.Offset != b.Range.Start.Offset {
			return a.Range.Start.Offset < b.Range.Start.Offset
		}
		if a.Severity != b.Severity {
			return a.Severity < b.Severity
		}
		return a.Code < b.Code
	})
}

// Suggest returns the candidates closest to name (a misspelled type, key
// or id), best first, at most three: the "did you mean" of diagnostics,
// shared with the engine's error messages.
func Suggest(name string, candidates []string) []string { return suggest(name, candidates) }

// suggest returns the candidates closest to name (edit distance at most a
// third of its length, at least 1), best first, at most three.
func suggest(name string, candidates []string) []string {
	type scored struct {
		s string
		d int
	}
	var best []scored
	limit := len(name) / 3
	if limit < 1 {
		limit = 1
	}
	if limit > 4 {
		limit = 4
	}
	lname := strings.ToLower(name)
	seen := map[string]bool{}
	for _, c := range candidates {
		if c == name || seen[c] || c == "" {
			continue
		}
		seen[c] = true
		d := editDistance(lname, strings.ToLower(c))
		if d <= limit {
			best = append(best, scored{c, d})
		}
	}
	sort.SliceStable(best, func(i, j int) bool {
		if best[i].d != best[j].d {
			return best[i].d < best[j].d
		}
		return best[i].s < best[j].s
	})
	var out []string
	for i := 0; i < len(best) && i < 3; i++ {
		out = append(out, best[i].s)
	}
	return out
}

// editDistance is the optimal string alignment distance (Levenshtein with
// transpositions) between a and b.
func editDistance(a, b string) int {
	if a == b {
		return 0
	}
	la, lb := len(a), len(b)
	prev2 := make([]int, lb+1)
	prev := make([]int, lb+1)
	cur := make([]int, lb+1)
	for j := 0; j <= lb; j++ {
		prev[j] = j
	}
	for i := 1; i <= la; i++ {
		cur[0] = i
		for j := 1; j <= lb; j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := prev[j] + 1
			if w := cur[j-1] + 1; w < v {
				v = w
			}
			if w := prev[j-1] + cost; w < v {
				v = w
			}
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				if w := prev2[j-2] + 1; w < v {
					v = w
				}
			}
			cur[j] = v
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[lb]
}
