package app

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/kumeo/kumeo/internal/workflowgen"
)

// BenchmarkApplyRename500 is a canvas rename in a 500-agent workflow as the
// window sees it: the edit, the new language view and the JSON reply.
func BenchmarkApplyRename500(b *testing.B) {
	dir := b.TempDir()
	path := writeFile(b, dir, "big.kumeo", string(workflowgen.Fraud(500)))
	w := NewWorkspace(WorkspaceOptions{Dir: dir, ConfigDir: "-"})
	defer w.shutdown()
	doc, err := w.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	version := doc.Version
	size := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		from, to := "prep_7", "prep_7x"
		if i%2 == 1 {
			from, to = to, from
		}
		op := fmt.Sprintf(`{"op":"rename_agent","workflow":"GeneratedFraud","id":%q,"to":%q}`, from, to)
		ch, err := w.Apply(path, op, version)
		if err != nil {
			b.Fatal(err)
		}
		version = ch.Version
		out, err := json.Marshal(ch)
		if err != nil {
			b.Fatal(err)
		}
		size = len(out)
	}
	b.ReportMetric(float64(size)/1024, "KiB/reply")
}
