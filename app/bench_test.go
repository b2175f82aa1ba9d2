package app

import (
	"encoding/json"
	"fmt"
	"strings"
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

// BenchmarkUpdateKeystroke500 is one typed character in a 500-agent
// workflow as the window sends it: the whole text in, the new language view
// and the JSON reply out.
func BenchmarkUpdateKeystroke500(b *testing.B) {
	dir := b.TempDir()
	text := string(workflowgen.Fraud(500))
	path := writeFile(b, dir, "big.kumeo", text)
	w := NewWorkspace(WorkspaceOptions{Dir: dir, ConfigDir: "-"})
	defer w.shutdown()
	if _, err := w.Open(path); err != nil {
		b.Fatal(err)
	}
	typed := strings.Replace(text, `id: "prep_7"`, `id: "prep_7x"`, 1)
	if typed == text {
		b.Fatal("no prep_7 in the generated workflow")
	}
	size := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t := typed
		if i%2 == 1 {
			t = text
		}
		a, err := w.Update(path, t)
		if err != nil {
			b.Fatal(err)
		}
		out, err := json.Marshal(a)
		if err != nil {
			b.Fatal(err)
		}
		size = len(out)
	}
	b.ReportMetric(float64(size)/1024, "KiB/reply")
}
