package subject

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestScheme(t *testing.T) {
	tests := []struct{ got, want string }{
		{Channel("W", "a.output"), "kumeo.W.a.output"},
		{DLQ("W"), "kumeo.W.dlq"},
		{Queue("W", "a"), "kumeo.W.a"},
		{In("W", "http", "orders"), "kumeo.W.in.http.orders"},
		{Out("W", "file", 2), "kumeo.W.out.file.2"},
		{Metrics("W", "a"), "kumeo.metrics.W.a"},
		{WorkflowMetrics("W"), "kumeo.metrics.W.>"},
		{MetricsAll, "kumeo.metrics.>"},
		{Trace("W"), "kumeo.trace.W"},
		{Journal("W"), "kumeo.journal.W"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) { assert.Equal(t, tt.want, tt.got) })
	}
}
