package baseline

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumeo/kumeo/bench/internal/workload"
)

// TestStagesRouteLikeExpected: the four stages send every generated event
// where the workload's own model says it must go.
func TestStagesRouteLikeExpected(t *testing.T) {
	subjects, stages := Stages()
	require.Len(t, stages, 4)
	target := map[string]workload.Route{workload.DLQSubject: workload.Dead}
	for i, s := range workload.TargetSubjects {
		target[s] = workload.Route(i)
	}
	for i, tpl := range workload.Templates(2048, 7) {
		data := append([]byte(nil), tpl.JSON...)
		workload.PutID(data[workload.IDOff:], i, uint64(i))
		subject := subjects[0]
		var reason string
		for hop := 0; hop < len(stages) && subject == subjects[hop]; hop++ {
			subject, data, reason = Handle(stages[hop], data)
		}
		got, ok := target[subject]
		require.True(t, ok, "event %d ended on %q", i, subject)
		assert.Equal(t, tpl.Want, got, "event %d: %s (%s)", i, tpl.JSON, reason)
		if got == workload.Dead {
			assert.NotEmpty(t, reason)
		}
		slot, seq, ok := workload.ParseID(data)
		require.True(t, ok)
		assert.Equal(t, i, slot)
		assert.Equal(t, uint64(i), seq)
	}
}
