package flow

import (
	"testing"

	"github.com/kumeo/kumeo/dsl"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConfigReadsItsSpec(t *testing.T) {
	spec, ok := dsl.Builtin().Lookup(dsl.TypeMissingValueHandler)
	require.True(t, ok)

	c := NewConfig(spec, map[string]any{"id": "fill"}, map[string]any{"fields": []any{"x"}, "other": 1.0})
	s, err := c.Enum("strategy")
	require.NoError(t, err)
	assert.Equal(t, spec.Arg("strategy").Default, s, "the spec's default")
	v, ok := c.Value("fields")
	assert.True(t, ok)
	assert.Equal(t, []any{"x"}, v)
	assert.Equal(t, "config.fields", c.Where("fields"))
	assert.Equal(t, "fill", c.ID())
	assert.Empty(t, c.Undeclared())

	_, ok = c.Value("other")
	assert.False(t, ok, "a key the spec does not declare reads as absent")
	assert.Equal(t, []string{"other"}, c.Undeclared())

	c = NewConfig(spec, map[string]any{"strategy": "average"}, nil)
	_, err = c.Enum("strategy")
	assert.ErrorIs(t, err, ErrSetting)
	assert.EqualError(t, err, `expected one of "mean_imputation", "median_imputation", "mode_imputation", "constant", not the string "average"`)
	assert.Equal(t, "strategy", c.Where("strategy"))

	s, err = NewConfig(spec, nil, nil).Enum("mode")
	assert.NoError(t, err, "an undeclared enum reads as absent, without a default")
	assert.Empty(t, s)

	_, given, err := NewConfig(spec, map[string]any{"id": 3.0}, nil).String("id")
	assert.True(t, given)
	assert.ErrorIs(t, err, ErrSetting)
}
