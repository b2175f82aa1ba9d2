package agents

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestNameSet(t *testing.T) {
	alphabet := "ab_é\x00"
	word := func(r *rand.Rand) string {
		b := make([]byte, r.IntN(6))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		return string(b)
	}
	tests := []struct {
		name  string
		names []string
	}{
		{name: "none"},
		{name: "features", names: []string{"tx_id", "amount", "currency", "merchant", "mcc", "amount_eur", "night", "large", "cross_border", "score"}},
		{name: "duplicates and empty", names: []string{"a", "", "a", "b", ""}},
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 50; i++ {
		var names []string
		for j := r.IntN(40); j > 0; j-- {
			names = append(names, word(r))
		}
		tests = append(tests, struct {
			name  string
			names []string
		}{name: "random", names: names})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := map[string]int{}
			for i, n := range tt.names {
				if _, dup := want[n]; !dup {
					want[n] = i
				}
			}
			s := newNameSet(tt.names)
			keys := append([]string{"", "tx", "tx_id ", "score", "scorf", "currency", "merchanx"}, tt.names...)
			for i := 0; i < 200; i++ {
				keys = append(keys, word(r))
			}
			for _, k := range keys {
				w, ok := want[k]
				if !ok {
					w = -1
				}
				assert.Equal(t, w, s.index(k), "key %q", k)
			}
		})
	}
}
