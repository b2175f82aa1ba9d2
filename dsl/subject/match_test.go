package subject

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestMatches(t *testing.T) {
	tests := []struct {
		pattern, subject string
		want             bool
	}{
		{"orders.created", "orders.created", true},
		{"orders.created", "orders.deleted", false},
		{"orders.*", "orders.created", true},
		{"orders.*", "orders", false},
		{"orders.*", "orders.created.eu", false},
		{"*.created", "orders.created", true},
		{"orders.>", "orders.created", true},
		{"orders.>", "orders.created.eu", true},
		{"orders.>", "orders", false},
		{">", "orders", true},
		{"orders", "orders.created", false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, Matches(tt.pattern, tt.subject), "%q ~ %q", tt.pattern, tt.subject)
	}
}
