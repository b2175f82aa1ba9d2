package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumeo/kumeo/dsl"
	"github.com/kumeo/kumeo/dsl/document"
)

// flow is a small valid workflow with non-ASCII text before its agents, so
// byte and UTF-16 offsets differ where edits happen.
const flow = `// Prüfung ✓ — 😀
workflow Orders {
  source: NATS("orders.in")
  target: NATS("orders.out")

  agents: [
    DataProcessor(id: "validate", config: { required_fields: ["id"] }),
    DataProcessor(id: "enrich", config: { steps: ["trim"] })
  ]
}
`

func TestWorkspaceOpenExample(t *testing.T) {
	path := filepath.Join("..", "examples", "fraud_detection.kumeo")
	want, err := os.ReadFile(path)
	require.NoError(t, err)

	rec := &recorder{}
	ws := NewWorkspace(WorkspaceOptions{InitialPath: path, Emit: rec.emit, ConfigDir: "-"})
	t.Cleanup(ws.shutdown)
	assert.Equal(t, path, ws.InitialPath())

	doc, err := ws.Open(ws.InitialPath())
	require.NoError(t, err)
	assert.True(t, filepath.IsAbs(doc.Path), "path %q is not absolute", doc.Path)
	assert.Equal(t, "fraud_detection.kumeo", doc.Name)
	assert.Equal(t, string(want), doc.Text, "text must be returned byte for byte")
	assert.Equal(t, 1, doc.Version)
	assert.True(t, doc.ParseOK)
	assert.False(t, doc.Dirty)
	assert.NotEmpty(t, doc.Graph.Nodes)
	assert.NotEmpty(t, doc.Graph.Edges)
	assert.NotNil(t, doc.Diagnostics)
	assert.NotNil(t, doc.Layout)
	assert.Empty(t, doc.Layout, "no sidecar: empty layout")

	events := rec.named(EventOpened)
	require.Len(t, events, 1)
	assert.Equal(t, doc, events[0])
}

// The JSON field names are the contract with the frontend.
func TestDocJSONShape(t *testing.T) {
	ws, _ := newTestWorkspace(t)
	doc, err := ws.Open(writeFile(t, t.TempDir(), "o.kumeo", flow))
	require.NoError(t, err)
	b, err := json.Marshal(doc)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	for _, k := range []string{"path", "name", "text", "version", "graph", "diagnostics", "layout", "parseOK", "dirty"} {
		assert.Contains(t, m, k)
	}
	node := m["graph"].(map[string]any)["nodes"].([]any)[0].(map[string]any)
	assert.Equal(t, []any{"from", "to"}, keys(node["range"].(map[string]any)))
}

func keys(m map[string]any) []any {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	if len(out) == 2 && out[0] > out[1] {
		out[0], out[1] = out[1], out[0]
	}
	res := make([]any, len(out))
	for i, k := range out {
		res[i] = k
	}
	return res
}

func TestWorkspaceOpenKeepsBytes(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name string
		text string
	}{
		{"empty", ""},
		{"crlf", "workflow A {\r\n  // note\r\n}\r\n"},
		{"no trailing newline", "workflow A {}"},
		{"unicode", "// Prüfung ✓\nworkflow Ü {}\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, dir, strings.ReplaceAll(tc.name, " ", "_")+".kumeo", tc.text)
			ws, _ := newTestWorkspace(t)
			doc, err := ws.Open(path)
			require.NoError(t, err)
			assert.Equal(t, tc.text, doc.Text)
		})
	}
}

func TestWorkspaceOpenErrors(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.kumeo")
	require.NoError(t, os.WriteFile(big, make([]byte, MaxFileSize+1), 0o644))

	cases := []struct {
		name string
		path string
		want error
	}{
		{"no path", "", ErrNoPath},
		{"missing", filepath.Join(dir, "missing.kumeo"), os.ErrNotExist},
		{"directory", dir, ErrNotFile},
		{"too large", big, ErrTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ws, rec := newTestWorkspace(t)
			doc, err := ws.Open(tc.path)
			require.Error(t, err)
			assert.True(t, errors.Is(err, tc.want), "got %v, want %v", err, tc.want)
			assert.Equal(t, Doc{}, doc)
			assert.Empty(t, rec.all(), "a failed open must not emit")
			assert.Empty(t, ws.Recent(), "a failed open is not recent")
		})
	}
}

func TestWorkspaceOpenRelativeToDir(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "o.kumeo", flow)
	ws := NewWorkspace(WorkspaceOptions{Dir: dir, ConfigDir: "-"})
	t.Cleanup(ws.shutdown)
	doc, err := ws.Open("o.kumeo")
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, "o.kumeo"), doc.Path)
}

func TestWorkspaceOpenTwiceKeepsUnsavedText(t *testing.T) {
	ws, _ := newTestWorkspace(t)
	path := writeFile(t, t.TempDir(), "o.kumeo", flow)
	_, err := ws.Open(path)
	require.NoError(t, err)
	_, err = ws.Update(path, flow+"// more\n")
	require.NoError(t, err)

	doc, err := ws.Open(path)
	require.NoError(t, err)
	assert.Equal(t, flow+"// more\n", doc.Text)
	assert.Equal(t, 2, doc.Version)
	assert.True(t, doc.Dirty)
}

func TestWorkspaceUpdate(t *testing.T) {
	ws, _ := newTestWorkspace(t)
	path := writeFile(t, t.TempDir(), "o.kumeo", flow)
	doc, err := ws.Open(path)
	require.NoError(t, err)
	good := doc.Graph

	// A semantic problem: the text parses, the graph follows it.
	warn := strings.Replace(flow, `DataProcessor(id: "enrich"`, `Nope(id: "enrich"`, 1)
	a, err := ws.Update(path, warn)
	require.NoError(t, err)
	assert.Equal(t, 2, a.Version)
	assert.True(t, a.ParseOK)
	assert.True(t, hasCode(a.Diagnostics, dsl.CodeUnknownType), "%+v", a.Diagnostics)
	assert.Equal(t, "Nope", node(t, a.Graph, "Orders/agent/enrich").Type)

	// A syntax error: the graph is the last good one.
	broken := strings.Replace(warn, `source: NATS("orders.in")`, `source: NATS("orders.in"`, 1)
	a, err = ws.Update(path, broken)
	require.NoError(t, err)
	assert.Equal(t, 3, a.Version)
	assert.False(t, a.ParseOK)
	require.NotEmpty(t, a.Diagnostics)
	assert.Equal(t, "error", a.Diagnostics[0].Severity)
	assert.Equal(t, "Nope", node(t, a.Graph, "Orders/agent/enrich").Type, "last good graph while broken")
	assert.Len(t, a.Graph.Nodes, len(good.Nodes))

	// The document keeps exactly what was typed.
	doc, err = ws.Open(path)
	require.NoError(t, err)
	assert.Equal(t, broken, doc.Text)
	assert.False(t, doc.ParseOK)
	assert.True(t, doc.Dirty)

	// Fixed again: the graph follows the text.
	a, err = ws.Update(path, flow)
	require.NoError(t, err)
	assert.True(t, a.ParseOK)
	assert.Equal(t, good, a.Graph)

	_, err = ws.Update(filepath.Join(t.TempDir(), "other.kumeo"), flow)
	assert.ErrorIs(t, err, ErrNotOpen)
}

// Edit is Update for the changed parts: the same analysis, the graph told
// as a delta, bytes outside the changes kept as they are on disk.
func TestWorkspaceEdit(t *testing.T) {
	ws, _ := newTestWorkspace(t)
	// A comment with bytes that are not UTF-8: the window shows U+FFFD.
	onDisk := "// caf\xe9 ✓\n" + flow
	path := writeFile(t, t.TempDir(), "o.kumeo", onDisk)
	doc, err := ws.Open(path)
	require.NoError(t, err)
	// What the window holds: the text as JSON carries it.
	var shown string
	raw, err := json.Marshal(doc.Text)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &shown))
	require.Contains(t, shown, "\uFFFD", "the window's text has the replacement character")

	// Rename the agent and add a comment at the end, in one Edit.
	at := strings.Index(shown, `"enrich"`) + 1
	u := func(s string) int { return len(utf16.Encode([]rune(s))) }
	edits := []TextChange{
		{From: u(shown[:at]), To: u(shown[:at]) + len("enrich"), Insert: "enrich2"},
		{From: u(shown), To: u(shown), Insert: "// ü end\n"},
	}
	a, err := ws.Edit(path, doc.Version, edits)
	require.NoError(t, err)
	assert.Equal(t, doc.Version+1, a.Version)
	assert.True(t, a.ParseOK)
	require.NotNil(t, a.Delta(), "the graph goes out as a delta")
	// The delta is told through the window's own changes: the window
	// rebuilds exactly the graph, and nodes between the two changes (the
	// targets after the agent) stay indexes of the previous graph.
	assert.Equal(t, edits, a.Delta().Edits)
	wire, err := json.Marshal(a)
	require.NoError(t, err)
	assertRebuilds(t, a.Graph, doc.Graph, doc.Version, wire)
	full, _ := a.Delta().Full()
	assert.Equal(t, len(a.Graph.Nodes)-1, len(a.Delta().Nodes)-full, "only the renamed agent goes in full")

	want := strings.Replace(onDisk, `"enrich"`, `"enrich2"`, 1) + "// ü end\n"
	got, err := ws.Open(path)
	require.NoError(t, err)
	assert.Equal(t, want, got.Text, "bytes outside the edits are kept, even invalid UTF-8")

	// The same analysis Update gives for that text.
	other, _ := newTestWorkspace(t)
	p2 := writeFile(t, t.TempDir(), "o.kumeo", want)
	_, err = other.Open(p2)
	require.NoError(t, err)
	b, err := other.Update(p2, want)
	require.NoError(t, err)
	assert.Equal(t, b.Graph.Nodes[0].ID, a.Graph.Nodes[0].ID)
	assert.Equal(t, len(b.Graph.Nodes), len(a.Graph.Nodes))
	assert.Equal(t, b.Diagnostics, a.Diagnostics)
	assert.NotNil(t, node(t, a.Graph, "Orders/agent/enrich2"))

	// On another version: stale, nothing changes.
	_, err = ws.Edit(path, doc.Version, edits)
	assert.ErrorIs(t, err, ErrStale)
	// Changes that do not fit the text are refused, the text is kept.
	for _, bad := range [][]TextChange{
		{{From: 5, To: 3}},
		{{From: 0, To: 2, Insert: "x"}, {From: 1, To: 4}},
		{{From: 0, To: 1 << 20}},
		{{From: -1, To: 0}},
	} {
		_, err := ws.Edit(path, a.Version, bad)
		assert.Error(t, err, "%+v", bad)
	}
	again, err := ws.Open(path)
	require.NoError(t, err)
	assert.Equal(t, got.Text, again.Text)
	assert.Equal(t, a.Version, again.Version)

	_, err = ws.Edit(filepath.Join(t.TempDir(), "other.kumeo"), 1, nil)
	assert.ErrorIs(t, err, ErrNotOpen)
}

// A file that never parsed shows what parsed before the error.
func TestWorkspaceOpenBrokenFile(t *testing.T) {
	ws, _ := newTestWorkspace(t)
	doc, err := ws.Open(writeFile(t, t.TempDir(), "b.kumeo", "workflow A {\n  source: NATS(\"x\")\n  agents: [\n"))
	require.NoError(t, err)
	assert.False(t, doc.ParseOK)
	assert.NotEmpty(t, doc.Diagnostics)
	assert.NotNil(t, doc.Graph.Nodes)
}

func hasCode(ds []Diag, code string) bool {
	for _, d := range ds {
		if d.Code == code {
			return true
		}
	}
	return false
}

func node(t *testing.T, g Graph, id string) Node {
	t.Helper()
	for _, n := range g.Nodes {
		if n.ID == id {
			return n
		}
	}
	t.Fatalf("no node %s in %+v", id, g.Nodes)
	return Node{}
}

func TestWorkspaceApply(t *testing.T) {
	cases := []struct {
		name  string
		op    string
		check func(t *testing.T, c Change)
	}{
		{"rename", `{"op":"rename_agent","id":"enrich","to":"anreichern"}`, func(t *testing.T, c Change) {
			assert.Contains(t, c.Text, `DataProcessor(id: "anreichern"`)
			node(t, c.Graph, "Orders/agent/anreichern")
		}},
		{"set", `{"op":"set","id":"validate","key":"timeout","value":"\"30s\""}`, func(t *testing.T, c Change) {
			assert.Contains(t, c.Text, `timeout: "30s"`)
		}},
		{"add", `{"op":"add_agent","agent":"Router(id: \"route\", rules: { \"default\": \"target.orders.out\" })"}`, func(t *testing.T, c Change) {
			node(t, c.Graph, "Orders/agent/route")
		}},
		{"remove", `{"op":"remove_agent","id":"validate"}`, func(t *testing.T, c Change) {
			assert.NotContains(t, c.Text, `"validate"`)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ws, _ := newTestWorkspace(t)
			path := writeFile(t, t.TempDir(), "o.kumeo", flow)
			doc, err := ws.Open(path)
			require.NoError(t, err)

			c, err := ws.Apply(path, tc.op, doc.Version)
			require.NoError(t, err)
			assert.Equal(t, doc.Version+1, c.Version)
			assert.True(t, c.ParseOK)
			require.NotEmpty(t, c.Edits)
			assert.Equal(t, c.Text, applyChanges(t, doc.Text, c.Edits), "UTF-16 edits against the previous text give the new text")
			assert.True(t, strings.HasPrefix(c.Text, "// Prüfung ✓ — 😀\n"), "untouched bytes stay")
			assert.Equal(t, u16(c.Text), c.Length, "the length the window checks its result against")
			wire, err := json.Marshal(c)
			require.NoError(t, err)
			assert.NotContains(t, string(wire), `"text"`, "the reply carries edits, not the whole text")
			assertRebuilds(t, c.Graph, doc.Graph, doc.Version, wire, "the graph delta against the previous graph gives the new graph")
			tc.check(t, c)

			// The file on disk is untouched until Save.
			disk, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, flow, string(disk))
			doc2, err := ws.Open(path)
			require.NoError(t, err)
			assert.Equal(t, c.Text, doc2.Text)
			assert.True(t, doc2.Dirty)
		})
	}
}

func TestWorkspaceApplyRefuses(t *testing.T) {
	ws, _ := newTestWorkspace(t)
	path := writeFile(t, t.TempDir(), "o.kumeo", flow)
	doc, err := ws.Open(path)
	require.NoError(t, err)
	rename := `{"op":"rename_agent","id":"enrich","to":"x"}`

	_, err = ws.Apply(path, rename, doc.Version-1)
	assert.ErrorIs(t, err, ErrStale)
	assert.Contains(t, err.Error(), "version 0")

	a, err := ws.Update(path, flow+"\n")
	require.NoError(t, err)
	_, err = ws.Apply(path, rename, doc.Version)
	assert.ErrorIs(t, err, ErrStale, "the edit was made before the user typed")

	_, err = ws.Apply(path, `{"op":"rename_agent","id":"nobody","to":"x"}`, a.Version)
	assert.ErrorIs(t, err, dsl.ErrNoAgent)
	_, err = ws.Apply(path, `{"op":"explode"}`, a.Version)
	assert.ErrorIs(t, err, dsl.ErrUnknownOp)
	_, err = ws.Apply(path, `not json`, a.Version)
	assert.Error(t, err)

	b, err := ws.Update(path, "workflow Orders {\n  source: NATS(\n")
	require.NoError(t, err)
	_, err = ws.Apply(path, rename, b.Version)
	assert.ErrorIs(t, err, ErrSyntax)

	doc, err = ws.Open(path)
	require.NoError(t, err)
	assert.Equal(t, b.Version, doc.Version, "refused edits change nothing")
	assert.Equal(t, "workflow Orders {\n  source: NATS(\n", doc.Text)
}

func TestWorkspaceApplyRenameCarriesLayout(t *testing.T) {
	ws, _ := newTestWorkspace(t)
	dir := t.TempDir()
	path := writeFile(t, dir, "o.kumeo", flow)
	doc, err := ws.Open(path)
	require.NoError(t, err)
	require.NoError(t, ws.SetLayout(path, map[string]Pos{
		"Orders/agent/enrich":   {X: 10, Y: 20},
		"Orders/agent/validate": {X: 1, Y: 2},
	}))

	c, err := ws.Apply(path, `{"op":"rename_agent","id":"enrich","to":"anreichern"}`, doc.Version)
	require.NoError(t, err)
	node(t, c.Graph, "Orders/agent/anreichern")
	other, err := ws.Apply(path, `{"op":"rename_agent","id":"validate","to":"validate"}`, c.Version)
	require.NoError(t, err)
	assert.Nil(t, other.Layout, "no position moved, no layout in the reply")

	want := map[string]Pos{"Orders/agent/anreichern": {X: 10, Y: 20}, "Orders/agent/validate": {X: 1, Y: 2}}
	assert.Equal(t, want, c.Layout, "the reply carries the layout the window takes")
	doc, err = ws.Open(path)
	require.NoError(t, err)
	assert.Equal(t, want, doc.Layout)
	assert.Equal(t, want, readLayout(path), "the sidecar follows the rename")

	// A fresh workspace reads the positions back.
	ws2, _ := newTestWorkspace(t)
	doc2, err := ws2.Open(path)
	require.NoError(t, err)
	assert.Equal(t, want, doc2.Layout)
}

func TestWorkspaceFormat(t *testing.T) {
	ws, _ := newTestWorkspace(t)
	messy := "// Prüfung ✓ 😀\nworkflow   Orders{\nsource:NATS(\"orders.in\")   // ein Kommentar   \n      target : NATS(\"orders.out\")\n agents:[DataProcessor(id:\"validate\")]}\n"
	path := writeFile(t, t.TempDir(), "o.kumeo", messy)
	doc, err := ws.Open(path)
	require.NoError(t, err)

	c, err := ws.Format(path)
	require.NoError(t, err)
	want, diags := dsl.Format(path, []byte(messy))
	require.False(t, diags.HasErrors())
	assert.Equal(t, string(want), c.Text)
	assert.Equal(t, doc.Version+1, c.Version)
	assert.Greater(t, len(c.Edits), 1, "formatting changes gaps, not the whole text")
	assert.Equal(t, c.Text, applyChanges(t, doc.Text, c.Edits))
	for _, e := range c.Edits {
		assert.Less(t, e.To-e.From, 20, "edits are small: %+v", e)
	}

	again, err := ws.Format(path)
	require.NoError(t, err)
	assert.Empty(t, again.Edits)
	assert.Equal(t, c.Version, again.Version, "formatting a formatted text changes nothing")

	_, err = ws.Update(path, "workflow {")
	require.NoError(t, err)
	_, err = ws.Format(path)
	assert.ErrorIs(t, err, ErrSyntax)
}

func TestWorkspaceSave(t *testing.T) {
	ws, _ := newTestWorkspace(t)
	dir := t.TempDir()
	path := writeFile(t, dir, "o.kumeo", flow)
	require.NoError(t, os.Chmod(path, 0o600))
	_, err := ws.Open(path)
	require.NoError(t, err)
	edited := strings.Replace(flow, "orders.out", "orders.done", 1)
	_, err = ws.Update(path, edited)
	require.NoError(t, err)

	// While the new content is being written, the file still holds the
	// old content and the new one sits complete in a temporary file in the
	// same directory; the rename swaps them.
	var seen bool
	beforeRename = func(tmp, target string) {
		if target != path {
			return
		}
		seen = true
		assert.Equal(t, dir, filepath.Dir(tmp))
		got, err := os.ReadFile(target)
		assert.NoError(t, err)
		assert.Equal(t, flow, string(got), "the target is untouched before the rename")
		got, err = os.ReadFile(tmp)
		assert.NoError(t, err)
		assert.Equal(t, edited, string(got), "the temporary file is complete before the rename")
	}
	t.Cleanup(func() { beforeRename = nil })

	require.NoError(t, ws.Save(path))
	assert.True(t, seen, "save went through the temporary file")
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, edited, string(got))
	st, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm(), "mode kept")
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, ents, 1, "no temporary file left: %v", ents)

	doc, err := ws.Open(path)
	require.NoError(t, err)
	assert.False(t, doc.Dirty)

	require.NoError(t, ws.Close(path))
	assert.ErrorIs(t, ws.Save(path), ErrNotOpen)
}

func TestWriteAtomicFailureKeepsFile(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "o.kumeo", flow)
	require.Error(t, writeAtomic(filepath.Join(dir, "missing", "x.kumeo"), []byte("x")))
	require.ErrorIs(t, writeAtomic(dir, []byte("x")), ErrNotFile)
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, flow, string(got))
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, ents, 1)
}

func TestWorkspaceSaveAs(t *testing.T) {
	ws, _ := newTestWorkspace(t)
	dir := t.TempDir()
	path := writeFile(t, dir, "o.kumeo", flow)
	_, err := ws.Open(path)
	require.NoError(t, err)
	require.NoError(t, ws.SetLayout(path, map[string]Pos{"Orders/agent/enrich": {X: 5, Y: 6}}))
	_, err = ws.Update(path, flow+"// copy\n")
	require.NoError(t, err)

	newPath := filepath.Join(dir, "copy.kumeo")
	require.NoError(t, ws.SaveAs(path, newPath))
	got, err := os.ReadFile(newPath)
	require.NoError(t, err)
	assert.Equal(t, flow+"// copy\n", string(got))
	old, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, flow, string(old), "the old file is left as it was")
	assert.Equal(t, map[string]Pos{"Orders/agent/enrich": {X: 5, Y: 6}}, readLayout(newPath))

	_, err = ws.Update(path, flow)
	assert.ErrorIs(t, err, ErrNotOpen, "the document moved to the new path")
	doc, err := ws.Open(newPath)
	require.NoError(t, err)
	assert.False(t, doc.Dirty)
	assert.Equal(t, "copy.kumeo", doc.Name)
	assert.Equal(t, newPath, ws.Recent()[0])

	// Another open document is not replaced.
	_, err = ws.Open(path)
	require.NoError(t, err)
	assert.ErrorIs(t, ws.SaveAs(newPath, path), ErrExists)
}

func TestWorkspaceRevert(t *testing.T) {
	ws, _ := newTestWorkspace(t)
	path := writeFile(t, t.TempDir(), "o.kumeo", flow)
	_, err := ws.Open(path)
	require.NoError(t, err)
	a, err := ws.Update(path, "workflow {")
	require.NoError(t, err)

	doc, err := ws.Revert(path)
	require.NoError(t, err)
	assert.Equal(t, flow, doc.Text)
	assert.Equal(t, a.Version+1, doc.Version)
	assert.False(t, doc.Dirty)
	assert.True(t, doc.ParseOK)
}

func TestWorkspaceSetLayout(t *testing.T) {
	ws, _ := newTestWorkspace(t)
	dir := t.TempDir()
	path := writeFile(t, dir, "o.kumeo", flow)
	before, err := os.Stat(path)
	require.NoError(t, err)
	_, err = ws.Open(path)
	require.NoError(t, err)

	require.NoError(t, ws.SetLayout(path, map[string]Pos{"a": {X: 1, Y: 2}, "b": {X: 3, Y: 4}}))
	require.NoError(t, ws.SetLayout(path, map[string]Pos{"b": {X: 30.5, Y: -4}}))
	want := map[string]Pos{"a": {X: 1, Y: 2}, "b": {X: 30.5, Y: -4}}
	assert.Equal(t, want, readLayout(path), "positions are merged")
	doc, err := ws.Open(path)
	require.NoError(t, err)
	assert.Equal(t, want, doc.Layout)

	raw, err := os.ReadFile(path + LayoutSuffix)
	require.NoError(t, err)
	assert.JSONEq(t, `{"version":1,"positions":{"a":{"x":1,"y":2},"b":{"x":30.5,"y":-4}}}`, string(raw))

	after, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, before.ModTime(), after.ModTime(), "the workflow file is never touched")
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, flow, string(got))

	// A broken sidecar reads as an empty layout.
	require.NoError(t, os.WriteFile(path+LayoutSuffix, []byte("{nope"), 0o644))
	assert.Empty(t, readLayout(path))
}

func TestWorkspaceSpecs(t *testing.T) {
	ws, _ := newTestWorkspace(t)
	specs := ws.Specs()
	byName := map[string]dsl.TypeSpec{}
	for _, s := range specs {
		byName[s.Name] = s
	}
	require.Contains(t, byName, "DataProcessor")
	assert.True(t, byName["DataProcessor"].Runnable)
	assert.True(t, byName["Router"].Runnable)
	require.Contains(t, byName, "NATS")
	require.Contains(t, byName, "LLM")
	assert.False(t, byName["LLM"].Runnable, "model-backed agents do not run locally")
	assert.NotEmpty(t, byName["Router"].Args)
}

func TestWorkspaceListDir(t *testing.T) {
	ws, _ := newTestWorkspace(t)
	dir := t.TempDir()
	writeFile(t, dir, "b.kumeo", flow)
	writeFile(t, dir, "A.kumeo", flow)
	writeFile(t, dir, "notes.txt", "x")
	writeFile(t, dir, ".hidden", "x")
	require.NoError(t, os.Mkdir(filepath.Join(dir, "zdir"), 0o755))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "data"), 0o755))

	ents, err := ws.ListDir(dir)
	require.NoError(t, err)
	var got []string
	for _, e := range ents {
		got = append(got, e.Kind+":"+e.Name)
		assert.Equal(t, e.Kind == "dir", e.Dir)
		assert.Equal(t, filepath.Join(dir, e.Name), e.Path)
	}
	assert.Equal(t, []string{"dir:data", "dir:zdir", "kumeo:A.kumeo", "kumeo:b.kumeo", "file:notes.txt"}, got)
	assert.Equal(t, int64(len(flow)), ents[2].Size)
	assert.NotZero(t, ents[2].ModTime)

	_, err = ws.ListDir(filepath.Join(dir, "missing"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestWorkspaceRecent(t *testing.T) {
	dir := t.TempDir()
	config := t.TempDir()
	ws := NewWorkspace(WorkspaceOptions{ConfigDir: config})
	t.Cleanup(ws.shutdown)
	assert.Empty(t, ws.Recent())
	assert.NotNil(t, ws.Recent())

	var paths []string
	for i := range 12 {
		p := writeFile(t, dir, string(rune('a'+i))+".kumeo", flow)
		paths = append(paths, p)
		_, err := ws.Open(p)
		require.NoError(t, err)
	}
	require.NoError(t, ws.Close(paths[3]))
	_, err := ws.Open(paths[3]) // opened again: first
	require.NoError(t, err)

	want := []string{paths[3], paths[11], paths[10], paths[9], paths[8], paths[7], paths[6], paths[5], paths[4], paths[2]}
	assert.Equal(t, want, ws.Recent())

	// Persisted, and files that are gone are left out.
	require.NoError(t, os.Remove(paths[11]))
	ws2 := NewWorkspace(WorkspaceOptions{ConfigDir: config})
	t.Cleanup(ws2.shutdown)
	assert.Equal(t, append([]string{paths[3]}, want[2:]...), ws2.Recent())
	_, err = os.Stat(filepath.Join(config, "recent.json"))
	assert.NoError(t, err)
}

func TestWorkspaceNewFromTemplate(t *testing.T) {
	ws, _ := newTestWorkspace(t)
	dir := t.TempDir()

	doc, err := ws.NewFromTemplate(dir, "my flow")
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, "my flow.kumeo"), doc.Path)
	assert.True(t, doc.ParseOK)
	for _, d := range doc.Diagnostics {
		assert.NotEqual(t, "error", d.Severity, "%+v", d)
	}
	assert.Contains(t, doc.Text, "workflow MyFlow {")
	assert.Contains(t, doc.Text, `NATS("my_flow.in")`)
	node(t, doc.Graph, "MyFlow/agent/validate")
	assert.Equal(t, doc.Path, ws.Recent()[0])

	_, err = ws.NewFromTemplate(dir, "my flow.kumeo")
	assert.ErrorIs(t, err, ErrExists)
	for _, bad := range []string{"", "  ", "a/b", `a\b`, ".hidden"} {
		_, err = ws.NewFromTemplate(dir, bad)
		assert.ErrorIs(t, err, ErrInvalidName, "%q", bad)
	}

	for _, name := range []string{"42", "ü", "Orders-2025"} {
		res := dsl.Builtin().Analyze("t.kumeo", []byte(templateText(name)))
		assert.False(t, res.Diagnostics.HasErrors(), "%s: %v", name, res.Diagnostics)
	}
}

func TestWorkspaceClose(t *testing.T) {
	ws, _ := newTestWorkspace(t)
	path := writeFile(t, t.TempDir(), "o.kumeo", flow)
	_, err := ws.Open(path)
	require.NoError(t, err)
	require.NoError(t, ws.Close(path))
	assert.ErrorIs(t, ws.Close(path), ErrNotOpen)
	_, err = ws.Update(path, flow)
	assert.ErrorIs(t, err, ErrNotOpen)
}

// Every error the window tells apart carries its stable code.
func TestWorkspaceErrorsHaveCodes(t *testing.T) {
	for err, code := range map[error]document.Code{
		ErrNoPath: document.CodeNoPath, ErrNotFile: document.CodeNotFile, ErrTooLarge: document.CodeTooLarge,
		ErrNotOpen: document.CodeNotOpen, ErrStale: document.CodeStale, ErrSyntax: document.CodeSyntax,
		ErrNoConflict: document.CodeNoConflict, ErrExists: document.CodeExists,
		ErrInvalidName: document.CodeInvalidName, ErrChangedOnDisk: document.CodeChangedOnDisk,
	} {
		assert.Equal(t, code, document.CodeOf(fmt.Errorf("x: %w", err)), "%v", err)
	}
	ws, _ := newTestWorkspace(t)
	_, err := ws.Update(filepath.Join(t.TempDir(), "nope.kumeo"), "")
	msg, _ := json.Marshal(err.Error())
	assert.JSONEq(t, `{"code":"not_open","message":`+string(msg)+`}`, FormatError(err).(string))
}
