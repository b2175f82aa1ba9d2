package document

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A coded error keeps its code through wrapping and crosses to the window as
// JSON; any other error as its message.
func TestWireError(t *testing.T) {
	err := fmt.Errorf("edit %q: %w: made on version 3", "x.kumeo", ErrStale)
	assert.Equal(t, CodeStale, CodeOf(err))
	var wire struct {
		Code    Code   `json:"code"`
		Message string `json:"message"`
	}
	require.NoError(t, json.Unmarshal([]byte(WireError(err)), &wire))
	assert.Equal(t, CodeStale, wire.Code)
	assert.Equal(t, err.Error(), wire.Message)

	plain := errors.New("something else")
	assert.Equal(t, Code(""), CodeOf(plain))
	assert.Equal(t, "something else", WireError(plain))
}

func TestCodesAreListedOnce(t *testing.T) {
	seen := map[Code]bool{}
	for _, c := range Codes {
		assert.False(t, seen[c], "code %q listed twice", c)
		assert.NotEmpty(t, c)
		seen[c] = true
	}
	assert.True(t, seen[CodeOf(ErrStale)])
	assert.True(t, seen[CodeOf(ErrSyntax)])
}
