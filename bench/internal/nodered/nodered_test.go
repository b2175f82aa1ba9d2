package nodered

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumeo/kumeo/bench/internal/workload"
)

func TestFlowShape(t *testing.T) {
	b, err := Flow(4321)
	require.NoError(t, err)
	var nodes []map[string]any
	require.NoError(t, json.Unmarshal(b, &nodes))
	byID := map[string]map[string]any{}
	for _, n := range nodes {
		byID[n["id"].(string)] = n
		if n["type"] != "tab" {
			assert.Contains(t, n, "x", "flow node %s needs a position or Node-RED takes it for a config node", n["id"])
			assert.NotEqual(t, n["id"], n["name"])
		}
	}
	assert.Equal(t, "4321", byID["tcp-source"]["port"])
	assert.Equal(t, "reply", byID["tcp-reply"]["beserver"])
	// source → validate → features → policy → route → reply; every
	// dead-letter output goes to the reply node too.
	next := func(id string, out int) []any { return byID[id]["wires"].([]any)[out].([]any) }
	assert.Equal(t, []any{"fn-validate"}, next("tcp-source", 0))
	assert.Equal(t, []any{"fn-features"}, next("fn-validate", 0))
	assert.Equal(t, []any{"fn-policy"}, next("fn-features", 0))
	assert.Equal(t, []any{"fn-route"}, next("fn-policy", 0))
	for _, id := range []string{"fn-validate", "fn-features", "fn-policy"} {
		assert.Equal(t, []any{"tcp-reply"}, next(id, 1))
	}
	for out := range 3 {
		assert.Equal(t, []any{"tcp-reply"}, next("fn-route", out))
	}
}

// harness runs the function nodes' code the way Node-RED calls it (the
// body of a function of msg) on every line of a file and prints what the
// reply node would write.
const harness = `
const fs = require("fs");
const [dir, input] = process.argv.slice(2);
const fn = {};
for (const name of ["validate", "features", "policy", "route"]) {
    fn[name] = new Function("msg", "node", fs.readFileSync(dir + "/" + name + ".js", "utf8"));
}
const node = { warn() {}, error() {} };
let out = "";
for (const line of fs.readFileSync(input, "utf8").split("\n")) {
    if (line === "") continue;
    let msg = { payload: line };
    for (const name of ["validate", "features", "policy", "route"]) {
        const outs = fn[name](msg, node);
        const i = outs.findIndex((m) => m !== null);
        msg = outs[i];
        if (name !== "route" && i === 1) break;
    }
    out += msg.payload;
}
process.stdout.write(out);
`

// TestFunctionsRouteLikeExpected runs the function nodes under plain node
// (no Node-RED needed) and checks every event ends where it must.
func TestFunctionsRouteLikeExpected(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed")
	}
	dir := t.TempDir()
	for _, name := range []string{"validate", "features", "policy", "route"} {
		b, err := scripts.ReadFile("js/" + name + ".js")
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name+".js"), b, 0o644))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "harness.js"), []byte(harness), 0o644))
	ts := workload.Templates(2048, 3)
	var in bytes.Buffer
	for i, tpl := range ts {
		b := append([]byte(nil), tpl.JSON...)
		workload.PutID(b[workload.IDOff:], i, uint64(i))
		in.Write(b)
		in.WriteByte('\n')
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "in.jsonl"), in.Bytes(), 0o644))
	out, err := exec.Command("node", filepath.Join(dir, "harness.js"), dir, filepath.Join(dir, "in.jsonl")).Output()
	require.NoError(t, err)
	lines := bytes.Split(bytes.TrimSuffix(out, []byte("\n")), []byte("\n"))
	require.Len(t, lines, len(ts))
	for _, line := range lines {
		name, rest, ok := bytes.Cut(line, []byte("\t"))
		require.True(t, ok, "%s", line)
		route, known := workload.RouteOfName(name)
		require.True(t, known, "%s", line)
		slot, _, ok := workload.ParseID(rest)
		require.True(t, ok, "%s", line)
		assert.Equal(t, ts[slot].Want, route, "%s", line)
	}
}
