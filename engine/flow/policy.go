package flow

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/kumeo/kumeo/dsl"
)

// ErrPolicy is wrapped by every error of ParseRetry, ParseTimeout,
// ParseFallback and ParseFailurePolicy.
var ErrPolicy = errors.New("invalid error-handling setting")

// Backoff says how the delay between retries grows.
type Backoff string

// Backoff kinds.
const (
	// BackoffExponential multiplies the delay by Multiplier after every
	// attempt, up to Max, and draws the actual delay uniformly from
	// [0, that bound) ("full jitter").
	BackoffExponential Backoff = dsl.BackoffExponential
	// BackoffFixed waits Initial before every retry, without jitter.
	BackoffFixed Backoff = dsl.BackoffFixed
)

// Retry defaults, used for keys a retry setting leaves out.
const (
	DefaultRetryInitial    = 100 * time.Millisecond
	DefaultRetryMax        = 30 * time.Second
	DefaultRetryMultiplier = 2.0
)

// RetryPolicy is a parsed `retry` setting. The zero value retries nothing.
type RetryPolicy struct {
	// Attempts is the number of retries after the first failure: an agent
	// with `retry: 3` (or `retry: { attempts: 3 }`) handles an event at
	// most four times.
	Attempts   int
	Backoff    Backoff
	Initial    time.Duration // delay bound before the first retry
	Max        time.Duration // longest delay bound
	Multiplier float64       // growth per attempt of exponential backoff
}

// DefaultRetry returns the policy for n retries with every other key at
// its default.
func DefaultRetry(n int) RetryPolicy {
	return RetryPolicy{Attempts: n, Backoff: BackoffExponential, Initial: DefaultRetryInitial, Max: DefaultRetryMax, Multiplier: DefaultRetryMultiplier}
}

// retryKeys and failureKeys are the keys the language's spec declares for
// retry and on_failure objects.
var (
	retryKeys   = specNames(dsl.RetryKeys())
	failureKeys = specNames(dsl.FailureKeys())
)

func specNames(keys []dsl.ArgSpec) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k.Name
	}
	return out
}

// ParseRetry parses a `retry` value as dsl.Interface returns it: nil (no
// retries), a whole number of retries (`retry: 3`), or
// `{ attempts, backoff: "exponential"|"fixed", initial, max, multiplier }`.
// Durations are strings such as "200ms" (see ParseDuration).
func ParseRetry(v any) (RetryPolicy, error) {
	switch x := v.(type) {
	case nil:
		return DefaultRetry(0), nil
	case map[string]any:
		return parseRetryObject(x)
	}
	n, err := count(v)
	if err != nil {
		return RetryPolicy{}, policyErr("retry", "a number of retries such as 3 or { attempts: 3, backoff: \"exponential\", initial: \"200ms\" }, not %s", describe(v))
	}
	return DefaultRetry(n), nil
}

func parseRetryObject(m map[string]any) (RetryPolicy, error) {
	p := DefaultRetry(0)
	if err := knownKeys("retry", m, retryKeys); err != nil {
		return p, err
	}
	if v, ok := m["attempts"]; ok {
		n, err := count(v)
		if err != nil {
			return p, policyErr("retry.attempts", "a whole number of retries (0 or more), not %s", describe(v))
		}
		p.Attempts = n
	}
	if v, ok := m["backoff"]; ok {
		s, _ := v.(string)
		switch Backoff(s) {
		case BackoffExponential, BackoffFixed:
			p.Backoff = Backoff(s)
		default:
			return p, policyErr("retry.backoff", "\"exponential\" or \"fixed\", not %s", describe(v))
		}
	}
	var err error
	if v, ok := m["initial"]; ok {
		if p.Initial, err = positiveDuration("retry.initial", v); err != nil {
			return p, err
		}
		if _, ok := m["max"]; !ok && p.Max < p.Initial {
			p.Max = p.Initial
		}
	}
	if v, ok := m["max"]; ok {
		if p.Max, err = positiveDuration("retry.max", v); err != nil {
			return p, err
		}
		if p.Max < p.Initial {
			return p, policyErr("retry.max", "a duration of at least initial (%s), not %s", p.Initial, describe(v))
		}
	}
	if v, ok := m["multiplier"]; ok {
		f, ok := number(v)
		if !ok || f < 1 || math.IsInf(f, 0) {
			return p, policyErr("retry.multiplier", "a number of at least 1, not %s", describe(v))
		}
		p.Multiplier = f
	}
	return p, nil
}

// Delay returns how long to wait before retry number attempt (1 for the
// first retry). Fixed backoff always waits Initial. Exponential backoff
// draws the delay uniformly from [0, min(Max, Initial·Multiplier^(attempt-1)))
// ("full jitter", which spreads retries of many events that failed
// together); rnd returns numbers in [0, 1) and defaults to math/rand/v2.
func (p RetryPolicy) Delay(attempt int, rnd func() float64) time.Duration {
	if p.Initial <= 0 {
		return 0
	}
	if p.Backoff == BackoffFixed {
		return p.Initial
	}
	if attempt < 1 {
		attempt = 1
	}
	maxD := p.Max
	if maxD < p.Initial {
		maxD = p.Initial
	}
	mult := p.Multiplier
	if mult < 1 {
		mult = DefaultRetryMultiplier
	}
	bound := float64(p.Initial) * math.Pow(mult, float64(attempt-1))
	if math.IsNaN(bound) || bound > float64(maxD) {
		bound = float64(maxD)
	}
	if rnd == nil {
		rnd = rand.Float64
	}
	r := rnd()
	if r < 0 || r >= 1 || math.IsNaN(r) {
		r = 0
	}
	return time.Duration(r * bound)
}

// ParseTimeout parses a `timeout` value: nil (no timeout, 0) or a positive
// duration string such as "30s". Numbers without a unit are rejected
// rather than guessed.
func ParseTimeout(v any) (time.Duration, error) {
	if v == nil {
		return 0, nil
	}
	return positiveDuration("timeout", v)
}

// FailureAction is what happens to an event that failed for good.
type FailureAction string

// Failure actions.
const (
	// ActionQuarantine sends the event with its error to the workflow's
	// dead-letter channel, where it can be inspected and replayed. It is
	// the default: failing events are never lost silently.
	ActionQuarantine FailureAction = dsl.FailureQuarantine
	// ActionReject answers the event as rejected (to its fallback channel
	// when one is given, otherwise the dead-letter channel) and counts it
	// as rejected rather than as an error.
	ActionReject FailureAction = dsl.FailureReject
	// ActionDrop discards the event; it is counted, not stored.
	ActionDrop FailureAction = dsl.FailureDrop
)

// FailureActions lists the valid actions, as the language's spec of
// on_failure declares them.
var FailureActions = func() []FailureAction {
	var out []FailureAction
	for _, k := range dsl.FailureKeys() {
		for _, a := range k.Enum {
			if k.Name == "action" {
				out = append(out, FailureAction(a))
			}
		}
	}
	return out
}()

// Fallback is what handles events an agent failed on: another agent
// (by id or as an inline agent call) or a channel with an action.
type Fallback struct {
	// Agent is the id of an agent of the workflow.
	Agent string
	// Call is an inline agent call in dsl.Interface form ("$call" names the
	// type).
	Call map[string]any
	// Action and Channel are set by { action, channel }.
	Action  FailureAction
	Channel string
}

// IsZero reports whether no fallback is set.
func (f Fallback) IsZero() bool {
	return f.Agent == "" && f.Call == nil && f.Action == "" && f.Channel == ""
}

// ParseFallback parses a `fallback` value: an agent id ("backup"), an
// inline agent call, or { action, channel }. nil is no fallback.
func ParseFallback(v any) (Fallback, error) {
	return parseFallback("fallback", v)
}

func parseFallback(where string, v any) (Fallback, error) {
	switch x := v.(type) {
	case nil:
		return Fallback{}, nil
	case string:
		id := strings.TrimSpace(x)
		if id == "" {
			return Fallback{}, policyErr(where, "an agent id, an agent call or { action, channel }, not an empty string")
		}
		return Fallback{Agent: id}, nil
	case map[string]any:
		if _, ok := x["$call"]; ok {
			return Fallback{Call: x}, nil
		}
		if err := knownKeys(where, x, []string{"action", "channel"}); err != nil {
			return Fallback{}, err
		}
		var f Fallback
		if a, ok := x["action"]; ok {
			act, err := parseAction(where+".action", a)
			if err != nil {
				return Fallback{}, err
			}
			f.Action = act
		}
		if c, ok := x["channel"]; ok {
			s, ok := c.(string)
			if !ok || strings.TrimSpace(s) == "" {
				return Fallback{}, policyErr(where+".channel", "a channel name, not %s", describe(c))
			}
			f.Channel = strings.TrimSpace(s)
		}
		if f.IsZero() {
			return Fallback{}, policyErr(where, "{ action, channel } with at least one of them")
		}
		return f, nil
	}
	return Fallback{}, policyErr(where, "an agent id, an agent call or { action, channel }, not %s", describe(v))
}

// FailurePolicy is a parsed `on_failure` setting.
type FailurePolicy struct {
	Action   FailureAction // ActionQuarantine unless given
	Retry    RetryPolicy   // retries before the action is taken
	Fallback Fallback      // zero when none
	// Channel receives failing events instead of the dead-letter channel.
	Channel string
	// Error replaces the error message attached to failing events.
	Error string
	// Notify is kept as written; the runtime decides what it supports.
	Notify any
}

// ParseFailurePolicy parses an `on_failure` value:
// { action: "quarantine"|"reject"|"drop", retry: n or {...}, fallback,
// channel, error, notify }. nil yields the default policy (quarantine,
// no retries).
func ParseFailurePolicy(v any) (FailurePolicy, error) {
	p := FailurePolicy{Action: ActionQuarantine, Retry: DefaultRetry(0)}
	if v == nil {
		return p, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return p, policyErr("on_failure", "{ action: \"quarantine\"|\"reject\"|\"drop\", retry: n, fallback: ... }, not %s", describe(v))
	}
	if err := knownKeys("on_failure", m, failureKeys); err != nil {
		return p, err
	}
	var err error
	if a, ok := m["action"]; ok {
		if p.Action, err = parseAction("on_failure.action", a); err != nil {
			return p, err
		}
	}
	if r, ok := m["retry"]; ok {
		if p.Retry, err = ParseRetry(r); err != nil {
			return p, fmt.Errorf("on_failure: %w", err)
		}
	}
	if f, ok := m["fallback"]; ok {
		if p.Fallback, err = parseFallback("on_failure.fallback", f); err != nil {
			return p, err
		}
	}
	if c, ok := m["channel"]; ok {
		s, ok := c.(string)
		if !ok || strings.TrimSpace(s) == "" {
			return p, policyErr("on_failure.channel", "a channel name, not %s", describe(c))
		}
		p.Channel = strings.TrimSpace(s)
	}
	if e, ok := m["error"]; ok {
		s, ok := e.(string)
		if !ok {
			return p, policyErr("on_failure.error", "an error message string, not %s", describe(e))
		}
		p.Error = s
	}
	p.Notify = m["notify"]
	return p, nil
}

func parseAction(where string, v any) (FailureAction, error) {
	s, _ := v.(string)
	for _, a := range FailureActions {
		if string(a) == s {
			return a, nil
		}
	}
	q := make([]string, len(FailureActions))
	for i, a := range FailureActions {
		q[i] = fmt.Sprintf("%q", a)
	}
	return "", policyErr(where, "one of %s, not %s", strings.Join(q, ", "), describe(v))
}

func policyErr(where, format string, args ...any) error {
	return fmt.Errorf("%w: %s: expected %s", ErrPolicy, where, fmt.Sprintf(format, args...))
}

func knownKeys(where string, m map[string]any, keys []string) error {
	var unknown []string
	for k := range m {
		found := false
		for _, want := range keys {
			if k == want {
				found = true
				break
			}
		}
		if !found {
			unknown = append(unknown, fmt.Sprintf("%q", k))
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	sort.Strings(unknown)
	quoted := make([]string, len(keys))
	for i, k := range keys {
		quoted[i] = fmt.Sprintf("%q", k)
	}
	return fmt.Errorf("%w: %s: unknown key %s: expected %s", ErrPolicy, where, strings.Join(unknown, ", "), strings.Join(quoted, ", "))
}

func positiveDuration(where string, v any) (time.Duration, error) {
	s, ok := v.(string)
	if !ok {
		if _, isNum := number(v); isNum {
			return 0, policyErr(where, "a duration with a unit such as \"30s\" or \"200ms\", not the bare number %s", describe(v))
		}
		return 0, policyErr(where, "a duration such as \"30s\" or \"200ms\", not %s", describe(v))
	}
	d, err := ParseDuration(strings.TrimSpace(s))
	if err != nil || d <= 0 {
		return 0, policyErr(where, "a positive duration such as \"30s\" or \"200ms\", not %q", s)
	}
	return d, nil
}

// number converts the numeric types of decoded JSON, YAML and dsl values.
func number(v any) (float64, bool) { return ToFloat(v) }

// ToFloat converts the numeric types decoded JSON and YAML produce
// (json.Number included) to float64.
func ToFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case float32:
		return float64(x), true
	case int32:
		return float64(x), true
	case uint64:
		return float64(x), true
	case uint32:
		return float64(x), true
	case uint:
		return float64(x), true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	}
	return 0, false
}

// count returns a whole, non-negative number.
func count(v any) (int, error) {
	f, ok := number(v)
	if !ok || f < 0 || f != math.Trunc(f) || f > math.MaxInt32 {
		return 0, errors.New("not a count")
	}
	return int(f), nil
}

// describe names a value in error-handling messages, which give numbers
// bare ("not 0.5").
func describe(v any) string { return describeAs(v, "") }
