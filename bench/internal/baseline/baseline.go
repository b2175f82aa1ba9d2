// Package baseline is the hand-written Go version of the fraud benchmark
// flow: what a team would write without Kumeo. Four stages (validate,
// features, policy, route), each one goroutine subscribed to a core NATS
// subject on its own connection, each decoding the event with
// encoding/json into map[string]any, doing its work in plain Go,
// re-encoding it with json.Marshal and publishing it to the next subject.
// Events that fail validation or policy are published on the dead-letter
// subject with the reason in a header, like the engine does.
package baseline

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/nats-io/nats.go"

	"github.com/kumeo/kumeo/bench/internal/workload"
)

// Subjects between the stages.
const (
	SubjectValid    = "baseline.tx.valid"
	SubjectFeatures = "baseline.tx.features"
	SubjectChecked  = "baseline.tx.checked"
)

// HeaderError carries the reason of a dead-lettered event.
const HeaderError = "Error"

// Stage is one step: it returns the event to publish next, the subject to
// publish it on, or an error that sends the input to the dead-letter
// subject.
type Stage func(ev map[string]any) (out map[string]any, subject string, err error)

// Stages returns the four stages in order with their input subjects.
func Stages() (subjects []string, stages []Stage) {
	return []string{workload.SourceSubject, SubjectValid, SubjectFeatures, SubjectChecked},
		[]Stage{Validate, Features, Policy, Route}
}

var required = []string{"tx_id", "amount", "currency", "merchant", "country", "card_country", "hour"}

// Validate trims every top-level string and checks the required fields.
func Validate(ev map[string]any) (map[string]any, string, error) {
	for k, v := range ev {
		if s, ok := v.(string); ok {
			if t := strings.TrimSpace(s); t != s {
				ev[k] = t
			}
		}
	}
	var missing []string
	for _, k := range required {
		if ev[k] == nil {
			missing = append(missing, k)
		}
	}
	if missing != nil {
		return nil, "", fmt.Errorf("missing required fields %s", strings.Join(missing, ", "))
	}
	return ev, SubjectValid, nil
}

// Features builds the feature event, with the risk score.
func Features(ev map[string]any) (map[string]any, string, error) {
	amount, ok1 := ev["amount"].(float64)
	hour, ok2 := ev["hour"].(float64)
	cur, _ := ev["currency"].(string)
	mcc, _ := ev["mcc"].(string)
	if !ok1 || !ok2 {
		return nil, "", fmt.Errorf("amount and hour must be numbers")
	}
	out := make(map[string]any, 10)
	for _, k := range []string{"tx_id", "amount", "currency", "merchant", "mcc"} {
		if v, ok := ev[k]; ok {
			out[k] = v
		}
	}
	amountEUR := amount
	switch cur {
	case "USD":
		amountEUR = amount * workload.FxUSD
	case "GBP":
		amountEUR = amount * workload.FxGBP
	}
	cross := ev["country"] != ev["card_country"]
	// The same sum, in the same order, as the workflow's score expression.
	score := amount / 10000
	if amount > 2500 {
		score = 0.45
	}
	if cross {
		score += 0.3
	}
	if hour < 6 {
		score += 0.2
	}
	if mcc == "7995" || mcc == "4829" {
		score += 0.25
	}
	out["amount_eur"] = amountEUR
	out["night"] = hour >= 0 && hour < 6
	out["large"] = amount > 2500
	out["cross_border"] = cross
	out["score"] = score
	if math.IsNaN(score) || math.IsInf(score, 0) || math.IsNaN(amountEUR) || math.IsInf(amountEUR, 0) {
		return nil, "", fmt.Errorf("feature is not a finite number")
	}
	return out, SubjectFeatures, nil
}

// Policy checks every rule and reports all that failed.
func Policy(ev map[string]any) (map[string]any, string, error) {
	cur, _ := ev["currency"].(string)
	amount, _ := ev["amount"].(float64)
	amountEUR, _ := ev["amount_eur"].(float64)
	score, _ := ev["score"].(float64)
	var failed []string
	if cur != "EUR" && cur != "USD" && cur != "GBP" {
		failed = append(failed, "currency (unsupported currency)")
	}
	if !(amount > 0 && amountEUR <= workload.MaxAmountEUR) {
		failed = append(failed, "amount (amount out of range)")
	}
	if !(score >= 0 && score <= 1.5) {
		failed = append(failed, "score_range (score out of range)")
	}
	if failed != nil {
		return nil, "", fmt.Errorf("rules failed: %s", strings.Join(failed, "; "))
	}
	return ev, SubjectChecked, nil
}

// Route picks the target of the first matching rule.
func Route(ev map[string]any) (map[string]any, string, error) {
	score, _ := ev["score"].(float64)
	large, _ := ev["large"].(bool)
	night, _ := ev["night"].(bool)
	switch {
	case score >= workload.BlockThreshold:
		return ev, workload.TargetSubjects[workload.Block], nil
	case score >= workload.ReviewThreshold || large && night:
		return ev, workload.TargetSubjects[workload.Review], nil
	}
	return ev, workload.TargetSubjects[workload.Cleared], nil
}

// Handle runs one stage on an encoded event: decode, work, encode. It
// returns the subject and bytes to publish; a failing event is returned
// unchanged for the dead-letter subject with the reason.
func Handle(stage Stage, data []byte) (subject string, out []byte, reason string) {
	var ev map[string]any
	if err := json.Unmarshal(data, &ev); err != nil || ev == nil {
		return workload.DLQSubject, data, fmt.Sprintf("malformed event: %v", err)
	}
	next, subject, err := stage(ev)
	if err != nil {
		return workload.DLQSubject, data, err.Error()
	}
	b, err := json.Marshal(next)
	if err != nil {
		return workload.DLQSubject, data, err.Error()
	}
	return subject, b, ""
}

// Pipeline is the four running stages.
type Pipeline struct {
	conns []*nats.Conn
	subs  []*nats.Subscription
}

// Start subscribes the four stages, one connection each, made by connect.
func Start(connect func() (*nats.Conn, error)) (*Pipeline, error) {
	p := &Pipeline{}
	subjects, stages := Stages()
	for i, stage := range stages {
		nc, err := connect()
		if err != nil {
			p.Stop()
			return nil, err
		}
		p.conns = append(p.conns, nc)
		sub, err := nc.Subscribe(subjects[i], func(m *nats.Msg) {
			subject, out, reason := Handle(stage, m.Data)
			msg := &nats.Msg{Subject: subject, Data: out}
			if reason != "" {
				msg.Header = nats.Header{HeaderError: []string{reason}}
			}
			_ = nc.PublishMsg(msg)
		})
		if err != nil {
			p.Stop()
			return nil, err
		}
		if err := sub.SetPendingLimits(-1, -1); err != nil {
			p.Stop()
			return nil, err
		}
		p.subs = append(p.subs, sub)
		if err := nc.Flush(); err != nil {
			p.Stop()
			return nil, err
		}
	}
	return p, nil
}

// Stop drains the stages in order and closes their connections.
func (p *Pipeline) Stop() {
	for _, nc := range p.conns {
		_ = nc.Drain()
	}
}
