// Package workload generates the card payments of the engine benchmark and
// knows where each one must end up.
//
// The flow is examples/fraud_bench.kumeo: validate (required fields, trim
// every top-level string) → features (a rule-based risk score) → policy
// (three rules; failures are dead-lettered) → route (three targets). Every
// variant of the benchmark does this same work; the expected outcome of
// each generated event is computed here, independently of all of them, so
// the load generator can check that every event arrived where it should.
package workload

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/kumeo/kumeo/dsl/subject"
)

// Subjects of the workflow (see examples/fraud_bench.kumeo).
const (
	Workflow      = "FraudBench"
	SourceSubject = "payments.card.tx"
)

// DLQSubject is where the workflow's dead letters go.
var DLQSubject = subject.DLQ(Workflow)

// Route is where an event ends: one of the three targets or dead-lettered.
type Route uint8

// Routes, in the order of the Router's rules.
const (
	Block Route = iota
	Review
	Cleared
	Dead
	NumRoutes
)

// TargetSubjects are the subjects of Block, Review and Cleared.
var TargetSubjects = [3]string{"alerts.fraud.block", "alerts.fraud.review", "payments.card.cleared"}

// Names are short names of the routes, also used on the Node-RED wire.
var Names = [NumRoutes]string{"block", "review", "cleared", "dlq"}

func (r Route) String() string {
	if r < NumRoutes {
		return Names[r]
	}
	return "route(" + strconv.Itoa(int(r)) + ")"
}

// RouteOfName returns the route with the given short name.
func RouteOfName(name []byte) (Route, bool) {
	for i, n := range Names {
		if string(name) == n {
			return Route(i), true
		}
	}
	return 0, false
}

// Settings of the workflow's config block.
const (
	BlockThreshold  = 0.9
	ReviewThreshold = 0.6
	MaxAmountEUR    = 20000
	FxUSD           = 0.92
	FxGBP           = 1.17
)

// Event is one payment before encoding. Missing lists fields left out of
// the JSON (events that must fail validation).
type Event struct {
	Amount      float64
	Currency    string
	Merchant    string
	MCC         string
	Country     string
	CardCountry string
	Hour        int
	Customer    string
	Channel     string
	Missing     string
}

// Template is an encoded event whose tx_id is filled in per send.
type Template struct {
	JSON []byte // tx_id holds IDLen placeholder bytes at IDOff
	Want Route
}

// Transaction ids are "t" + 6-digit slot + "-" + 10-digit sequence: the load
// generator finds the slot of an arriving event from its id.
const (
	IDLen      = 1 + slotDigits + 1 + seqDigits
	IDOff      = len(`{"tx_id":"`)
	MaxSlots   = 1_000_000
	slotDigits = 6
	seqDigits  = 10
)

// idKey is searched for in arriving events (every encoder of every variant
// writes it without spaces).
var idKey = []byte(`"tx_id":"`)

// PutID writes the id of slot and seq into dst[:IDLen].
func PutID(dst []byte, slot int, seq uint64) {
	dst[0] = 't'
	putDigits(dst[1:1+slotDigits], uint64(slot))
	dst[1+slotDigits] = '-'
	putDigits(dst[2+slotDigits:IDLen], seq)
}

func putDigits(dst []byte, v uint64) {
	for i := len(dst) - 1; i >= 0; i-- {
		dst[i] = byte('0' + v%10)
		v /= 10
	}
}

// ParseID finds the transaction id in an encoded event and returns its
// slot and sequence number.
func ParseID(b []byte) (slot int, seq uint64, ok bool) {
	i := bytes.Index(b, idKey)
	if i < 0 || len(b) < i+len(idKey)+IDLen {
		return 0, 0, false
	}
	id := b[i+len(idKey) : i+len(idKey)+IDLen]
	if id[0] != 't' || id[1+slotDigits] != '-' {
		return 0, 0, false
	}
	s, ok1 := digits(id[1 : 1+slotDigits])
	q, ok2 := digits(id[2+slotDigits:])
	return int(s), q, ok1 && ok2
}

func digits(b []byte) (uint64, bool) {
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	return v, true
}

// Expected returns where e must end up, computed with typed Go values.
func Expected(e Event) Route {
	if e.Missing != "" {
		return Dead
	}
	cur := strings.TrimSpace(e.Currency)
	country, card := strings.TrimSpace(e.Country), strings.TrimSpace(e.CardCountry)
	mcc := strings.TrimSpace(e.MCC)
	amountEUR := e.Amount
	switch cur {
	case "USD":
		amountEUR = e.Amount * FxUSD
	case "GBP":
		amountEUR = e.Amount * FxGBP
	}
	night := e.Hour >= 0 && e.Hour < 6
	large := e.Amount > 2500
	score := Score(e.Amount, country != card, e.Hour, mcc)
	if cur != "EUR" && cur != "USD" && cur != "GBP" {
		return Dead
	}
	if !(e.Amount > 0 && amountEUR <= MaxAmountEUR) {
		return Dead
	}
	if !(score >= 0 && score <= 1.5) {
		return Dead
	}
	switch {
	case score >= BlockThreshold:
		return Block
	case score >= ReviewThreshold || large && night:
		return Review
	}
	return Cleared
}

// Score is the features agent's risk score, added up in the same order as
// the workflow's expression so the float results are identical.
func Score(amount float64, crossBorder bool, hour int, mcc string) float64 {
	s := amount / 10000
	if amount > 2500 {
		s = 0.45
	}
	if crossBorder {
		s += 0.3
	} else {
		s += 0
	}
	if hour < 6 {
		s += 0.2
	} else {
		s += 0
	}
	if mcc == "7995" || mcc == "4829" {
		s += 0.25
	} else {
		s += 0
	}
	return s
}

var (
	merchants = []string{"Corner Books", "Fresh Market", "City Taxi", "Nordic Air", "Pixel Games", "Green Grocer",
		"Hotel Aurora", "Cafe Lumen", "Metro Fuel", "Urban Outfit", "Sky Casino", "QuickWire"}
	mccs      = []string{"5942", "5411", "4121", "4511", "5816", "5499", "7011", "5814", "5541", "5651"}
	riskyMCC  = []string{"7995", "4829"}
	countries = []string{"DE", "FR", "NL", "ES", "IT", "GB", "US", "PL"}
)

// Generate returns n events drawn from a fixed mix (seeded, so every run
// and every variant sees the same events): mostly ordinary payments, some
// large or foreign or at night (review), a few with everything against
// them (block), and about 4% that must be dead-lettered (a missing field,
// an unsupported currency, an amount out of range). About a third of the
// merchants and 2% of the currencies carry padding that validate trims.
func Generate(n int, seed uint64) []Event {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	out := make([]Event, n)
	for i := range out {
		e := Event{
			Amount:   float64(r.IntN(48000)+500) / 100, // 5.00 .. 484.99
			Currency: pick(r, []string{"EUR", "EUR", "EUR", "EUR", "USD", "USD", "GBP"}),
			Merchant: pick(r, merchants),
			MCC:      pick(r, mccs),
			Country:  "DE",
			Hour:     r.IntN(24),
			Customer: "c-" + strconv.Itoa(100000+r.IntN(900000)),
			Channel:  pick(r, []string{"ecom", "pos", "moto"}),
		}
		e.Country = pick(r, countries)
		e.CardCountry = e.Country
		if r.IntN(100) < 12 {
			e.CardCountry = pick(r, countries)
		}
		switch p := r.IntN(1000); {
		case p < 10: // missing field
			e.Missing = pick(r, []string{"merchant", "currency", "hour"})
		case p < 30: // unsupported currency
			e.Currency = pick(r, []string{"JPY", "CHF", "SEK"})
		case p < 40: // amount out of range
			if r.IntN(2) == 0 {
				e.Amount = -float64(r.IntN(10000)) / 100
			} else {
				e.Amount = float64(2200000+r.IntN(5000000)) / 100
			}
		case p < 90: // everything against it
			e.Amount = float64(300000+r.IntN(1200000)) / 100
			e.CardCountry = otherCountry(r, e.Country)
			e.Hour = r.IntN(6)
		case p < 220: // large and foreign, large at night, or risky and foreign
			switch r.IntN(3) {
			case 0:
				e.Amount = float64(260000+r.IntN(1000000)) / 100
				e.CardCountry = otherCountry(r, e.Country)
				e.Hour = 6 + r.IntN(18)
			case 1:
				e.Amount = float64(260000+r.IntN(1000000)) / 100
				e.CardCountry = e.Country
				e.Hour = r.IntN(6)
			default:
				e.MCC = pick(r, riskyMCC)
				e.CardCountry = otherCountry(r, e.Country)
				e.Amount = float64(50000+r.IntN(200000)) / 100
			}
		case p < 300:
			e.Amount = float64(50000+r.IntN(200000)) / 100
		}
		if r.IntN(3) == 0 {
			e.Merchant = "  " + e.Merchant + " "
		}
		if r.IntN(50) == 0 {
			e.Currency = " " + e.Currency
		}
		out[i] = e
	}
	return out
}

func pick(r *rand.Rand, from []string) string { return from[r.IntN(len(from))] }

func otherCountry(r *rand.Rand, c string) string {
	for {
		if o := pick(r, countries); o != c {
			return o
		}
	}
}

// Encode writes e as compact JSON with a placeholder transaction id.
func Encode(e Event) []byte {
	b := make([]byte, 0, 256)
	b = append(b, `{"tx_id":"`...)
	b = append(b, bytes.Repeat([]byte("0"), IDLen)...)
	b = append(b, '"')
	field := func(k string) bool { return e.Missing != k }
	if field("amount") {
		b = append(b, `,"amount":`...)
		b = strconv.AppendFloat(b, e.Amount, 'f', 2, 64)
	}
	str := func(k, v string) {
		if field(k) {
			b = append(b, `,"`...)
			b = append(b, k...)
			b = append(b, `":`...)
			b = strconv.AppendQuote(b, v)
		}
	}
	str("currency", e.Currency)
	str("merchant", e.Merchant)
	str("mcc", e.MCC)
	str("country", e.Country)
	str("card_country", e.CardCountry)
	if field("hour") {
		b = append(b, `,"hour":`...)
		b = strconv.AppendInt(b, int64(e.Hour), 10)
	}
	str("customer", e.Customer)
	str("channel", e.Channel)
	b = append(b, `,"ts":1795453200}`...)
	return b
}

// Templates returns n encoded events with their expected routes.
func Templates(n int, seed uint64) []Template {
	evs := Generate(n, seed)
	out := make([]Template, n)
	for i, e := range evs {
		out[i] = Template{JSON: Encode(e), Want: Expected(e)}
	}
	return out
}

// Mix counts the expected routes of ts and their mean size in bytes.
func Mix(ts []Template) (counts [NumRoutes]int, meanBytes float64) {
	total := 0
	for _, t := range ts {
		counts[t.Want]++
		total += len(t.JSON)
	}
	if len(ts) > 0 {
		meanBytes = float64(total) / float64(len(ts))
	}
	return counts, meanBytes
}

// Describe summarises a mix for logs.
func Describe(ts []Template) string {
	c, mean := Mix(ts)
	n := float64(len(ts))
	return fmt.Sprintf("%d templates, mean %.0f bytes: block %.1f%%, review %.1f%%, cleared %.1f%%, dead-lettered %.1f%%",
		len(ts), mean, 100*float64(c[Block])/n, 100*float64(c[Review])/n, 100*float64(c[Cleared])/n, 100*float64(c[Dead])/n)
}
