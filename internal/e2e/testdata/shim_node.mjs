// Runs shim.js in Node against a live e2e server, with Node's own WebSocket
// (node --experimental-websocket on Node 20) and Proxy.
// Usage: node --experimental-websocket shim_node.mjs BASE_URL SHIM_FILE WORKFLOW_PATH
import { readFileSync } from 'node:fs';

const [base, shimFile, workflow] = process.argv.slice(2);

globalThis.window = globalThis;
globalThis.location = new URL(base);
globalThis.document = { title: '' };
new Function(readFileSync(shimFile, 'utf8'))();

const out = {};
const opened = new Promise((resolve) => {
  const off = window.runtime.EventsOn('workspace:opened', (doc) => {
    off();
    resolve(doc.path);
  });
});
const doc = await window.go.app.Workspace.Open(workflow);
out.openedPath = doc.path;
out.version = doc.version;
out.eventPath = await opened;
try {
  await window.go.app.Workspace.Apply(workflow, '{"op":"remove_agent","id":"validate"}', doc.version + 7);
  out.staleError = null;
} catch (err) {
  out.staleError = err;
}
out.specs = (await window.go.app.Workspace.Specs()).length;
let once = 0;
window.runtime.EventsOnce('custom:ping', () => once++);
window.runtime.EventsEmit('custom:ping', 1);
window.runtime.EventsEmit('custom:ping', 2);
out.once = once;
out.environment = (await window.runtime.Environment()).buildType;
await window.runtime.WindowSetSize(10, 10);
console.log(JSON.stringify(out));
process.exit(0);
