package workload

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestIDRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		slot int
		seq  uint64
	}{{0, 0}, {1, 2}, {999, 123456}, {MaxSlots - 1, 9_999_999_999}} {
		b := Encode(Event{Amount: 1, Currency: "EUR", Merchant: "m", Country: "DE", CardCountry: "DE"})
		PutID(b[IDOff:], tc.slot, tc.seq)
		slot, seq, ok := ParseID(b)
		require.True(t, ok, "%s", b)
		assert.Equal(t, tc.slot, slot)
		assert.Equal(t, tc.seq, seq)
	}
	_, _, ok := ParseID([]byte(`{"amount":1}`))
	assert.False(t, ok)
	_, _, ok = ParseID([]byte(`{"tx_id":"x000001-000000000a"}`))
	assert.False(t, ok)
}

func TestExpected(t *testing.T) {
	ok := Event{Amount: 100, Currency: "EUR", Merchant: "m", MCC: "5411", Country: "DE", CardCountry: "DE", Hour: 12}
	tests := []struct {
		name string
		edit func(*Event)
		want Route
	}{
		{"ordinary", func(*Event) {}, Cleared},
		{"padded currency is trimmed", func(e *Event) { e.Currency = " GBP " }, Cleared},
		{"missing field", func(e *Event) { e.Missing = "merchant" }, Dead},
		{"unsupported currency", func(e *Event) { e.Currency = "JPY" }, Dead},
		{"zero amount", func(e *Event) { e.Amount = 0 }, Dead},
		{"over the limit in EUR", func(e *Event) { e.Amount = 20000.01 }, Dead},
		{"under the limit in USD", func(e *Event) { e.Currency, e.Amount = "USD", 21000 }, Cleared},
		{"large at night", func(e *Event) { e.Amount, e.Hour = 3000, 2 }, Review},
		{"large and foreign", func(e *Event) { e.Amount, e.CardCountry = 3000, "FR" }, Review},
		{"risky and foreign", func(e *Event) { e.Amount, e.MCC, e.CardCountry = 600, "7995", "FR" }, Review},
		{"large, foreign, at night", func(e *Event) { e.Amount, e.CardCountry, e.Hour = 3000, "FR", 1 }, Block},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := ok
			tc.edit(&e)
			assert.Equal(t, tc.want, Expected(e))
		})
	}
}

func TestMix(t *testing.T) {
	ts := Templates(4096, 1)
	counts, mean := Mix(ts)
	assert.InDelta(t, 200, mean, 25, "events are about 200 bytes")
	for r := Route(0); r < NumRoutes; r++ {
		share := float64(counts[r]) / float64(len(ts))
		assert.Greater(t, share, 0.02, "route %s is exercised", r)
	}
	assert.Greater(t, counts[Cleared], len(ts)/2, "most payments are cleared")
	again := Templates(4096, 1)
	for i := range ts {
		require.Equal(t, ts[i], again[i], "generation is deterministic")
	}
}
