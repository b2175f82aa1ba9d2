// Runs shim.js in Node against a live e2e server: a minimal EventSource
// stands in for the browser's, the rest (fetch, Proxy) is Node's own.
// Usage: node shim_node.mjs BASE_URL SHIM_FILE WORKFLOW_PATH
import { readFileSync } from 'node:fs';

const [base, shimFile, workflow] = process.argv.slice(2);

class EventSource {
  constructor(path) {
    this.listeners = {};
    this.onmessage = null;
    this.controller = new AbortController();
    this.#read(new URL(path, base));
  }
  addEventListener(type, fn) {
    (this.listeners[type] ||= []).push(fn);
  }
  close() {
    this.controller.abort();
  }
  async #read(url) {
    const res = await fetch(url, { signal: this.controller.signal });
    const decoder = new TextDecoder();
    let buf = '';
    try {
      for await (const chunk of res.body) {
        buf += decoder.decode(chunk, { stream: true });
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          let type = 'message';
          let data = '';
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) type = line.slice(7);
            else if (line.startsWith('data: ')) data += line.slice(6);
          }
          if (block.startsWith(':')) continue;
          const ev = { data };
          if (type === 'message' && this.onmessage) this.onmessage(ev);
          for (const fn of this.listeners[type] || []) fn(ev);
        }
      }
    } catch {
      // aborted
    }
  }
}

const realFetch = globalThis.fetch;
globalThis.fetch = (input, init) => realFetch(new URL(input, base), init);
globalThis.window = globalThis;
globalThis.EventSource = EventSource;
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
