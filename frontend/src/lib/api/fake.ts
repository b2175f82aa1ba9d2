// An in-memory stand-in for the Go services, for tests and for running the
// UI in a plain browser without Go. It keeps one text per path and a
// version counter, and answers operations through a handler the test gives.

import { ApiError } from './errors';
import type { Api, DeployApi, Unsubscribe } from './index';
import type { Analysis, Change, Doc, EditOp, Graph, Layout, Pin, RunInfo, Sent, TextEdit, TraceRecord, TypeSpec } from './types';
import { agentNodeId } from './protocol.gen';

export interface FakeOptions {
  files?: Record<string, string>;
  /** Graph and diagnostics for a text (graph null: none); default: one node per line starting with "agent ". */
  analyze?: (text: string) => FakeAnalysis;
  /** Turns an operation into edits on the text; throw to reject it. */
  edit?: (text: string, op: EditOp) => TextEdit[];
  format?: (text: string) => TextEdit[];
  specs?: TypeSpec[];
  initialPath?: string;
  records?: TraceRecord[];
  /** The cluster side; a method not given rejects as if no kubeconfig were found. */
  deploy?: Partial<DeployApi>;
}

/** What a fake analysis gives: Go's, with a null graph for none. */
export type FakeAnalysis = Omit<Analysis, 'version' | 'graph'> & { graph: Graph | null };

export interface Call {
  method: string;
  args: unknown[];
  /** Update and Edit: the text Go holds after the call. */
  text?: string;
}

/** Applies non-overlapping edits (offsets into text) to text. */
export function applyEdits(text: string, edits: TextEdit[]): string {
  let out = text;
  for (const e of [...edits].sort((a, b) => b.from - a.from)) out = out.slice(0, e.from) + e.insert + out.slice(e.to);
  return out;
}

/** A tiny "language": each line "agent NAME" is an agent, "!" anywhere is a syntax error. */
export function lineGraph(text: string): FakeAnalysis {
  if (text.includes('!')) {
    const at = text.indexOf('!');
    return {
      graph: null,
      parseOK: false,
      diagnostics: [{ severity: 'error', code: 'K0001', summary: 'unexpected "!"', detail: '', from: at, to: at + 1, line: 1, col: at + 1, suggestions: [] }],
    };
  }
  const nodes: Graph['nodes'] = [];
  let offset = 0;
  for (const line of text.split('\n')) {
    const m = /^agent (\w+)/.exec(line);
    if (m) {
      nodes.push({ id: agentNodeId('w', m[1]), kind: 'agent', type: 'LLM', label: m[1], workflow: 'w', agent_id: m[1], index: nodes.length, known: true, range: { from: offset, to: offset + line.length } });
    }
    offset += line.length + 1;
  }
  const edges = nodes.slice(1).map((n, i) => ({ id: `data:${nodes[i].id}->${n.id}`, from: nodes[i].id, to: n.id, kind: 'data' as const, channel: `${nodes[i].label}.output`, range: { from: 0, to: 0 } }));
  return { graph: { nodes, edges }, parseOK: true, diagnostics: [] };
}

export function createFakeApi(opts: FakeOptions = {}) {
  const files = new Map(Object.entries(opts.files ?? {}));
  const texts = new Map<string, string>();
  /** Per open path, the file's content as last read, written or settled (Go's disk). */
  const bases = new Map<string, string>();
  const layouts = new Map<string, Layout>();
  const lastGood = new Map<string, Graph | null>();
  const listeners = new Map<string, Set<(data: unknown) => void>>();
  const calls: Call[] = [];
  const started: RunInfo[] = [];
  let runs = 0;
  const sent: Sent[] = [];
  const pins = new Map<string, Pin[]>();
  const pinKey = (path: string, source: string) => `${path}\n${source}`;
  const records: TraceRecord[] = opts.records ?? [];
  let version = 0;
  const analyze = opts.analyze ?? lineGraph;
  // Pending answers the test releases by hand (hold()).
  let gate: Promise<void> | null = null;
  let release: () => void = () => {};

  const record = (method: string, ...args: unknown[]) => calls.push({ method, args });
  const wait = async () => {
    if (gate) await gate;
  };
  const analysis = (path: string, text: string): Analysis => {
    const a = analyze(text);
    if (a.parseOK) lastGood.set(path, a.graph);
    return { ...a, graph: (a.parseOK ? a.graph : lastGood.get(path)) ?? undefined, version: ++version };
  };
  const doc = (path: string): Doc => {
    const text = texts.get(path)!;
    const a = analysis(path, text);
    return { path, name: path.split('/').pop()!, text, layout: layouts.get(path) ?? {}, dirty: text !== (bases.get(path) ?? files.get(path)), ...a, graph: a.graph ?? { nodes: [], edges: [] } };
  };
  const change = (path: string, edits: TextEdit[]): Change => {
    const text = applyEdits(texts.get(path)!, edits);
    texts.set(path, text);
    return { ...analysis(path, text), length: text.length, edits };
  };
  const need = (path: string) => {
    if (!texts.has(path)) throw new ApiError('not_open', `${path}: document is not open`);
  };
  const emit = (name: string, data: unknown) => listeners.get(name)?.forEach((l) => l(data));
  const noCluster = () => Promise.reject(new ApiError('kubeconfig', 'kubeconfig: no cluster here (the window has no Go side)'));
  const deployMethods: (keyof DeployApi)[] = ['contexts', 'preview', 'start', 'rollback', 'undeploy', 'cancel', 'jobs', 'jobStatus', 'status', 'history', 'revisionSource', 'watchMetrics', 'stopMetrics'];
  const deploy = Object.fromEntries(
    deployMethods.map((m) => [
      m,
      (...args: unknown[]) => {
        record(`deploy.${m}`, ...args);
        const fn = opts.deploy?.[m] as ((...a: unknown[]) => Promise<unknown>) | undefined;
        return fn ? fn(...args) : noCluster();
      },
    ]),
  ) as unknown as DeployApi;

  const api: Api = {
    workspace: {
      initialPath: async () => opts.initialPath ?? '',
      open: async (path) => {
        record('open', path);
        await wait();
        // As in Go: an open document comes back as it is, unsaved edits included.
        if (texts.has(path)) return doc(path);
        if (!files.has(path)) throw new Error(`open workflow: ${path}: no such file or directory`);
        texts.set(path, files.get(path)!);
        bases.set(path, files.get(path)!);
        return doc(path);
      },
      update: async (path, text) => {
        record('update', path, text);
        calls[calls.length - 1].text = text;
        await wait();
        need(path);
        texts.set(path, text);
        return analysis(path, text);
      },
      edit: async (path, baseVersion, edits) => {
        record('edit', path, baseVersion, edits);
        const call = calls[calls.length - 1];
        await wait();
        need(path);
        if (baseVersion !== version) throw new ApiError('stale', `stale edit: made on version ${baseVersion}, the document is at ${version}`);
        let text = texts.get(path)!;
        let prev = 0;
        let out = '';
        for (const e of edits) {
          if (e.from < prev || e.to < e.from || e.to > text.length) throw new Error(`text change ${e.from}–${e.to} does not fit the text`);
          out += text.slice(prev, e.from) + e.insert;
          prev = e.to;
        }
        text = out + text.slice(prev);
        call.text = text;
        texts.set(path, text);
        return analysis(path, text);
      },
      analyze: async (path, text) => {
        record('analyze', path, text);
        await wait();
        const a = analyze(text);
        return { ...a, graph: (a.parseOK ? a.graph : null) ?? undefined, version };
      },
      apply: async (path, op, baseVersion) => {
        record('apply', path, op, baseVersion);
        await wait();
        need(path);
        if (baseVersion !== version) throw new ApiError('stale', `stale edit: made on version ${baseVersion}, the document is at ${version}`);
        if (!opts.edit) throw new Error('no edit handler');
        const ch = change(path, opts.edit(texts.get(path)!, op));
        // As Go does: a rename carries the agent's position along.
        const layout = layouts.get(path);
        const from = op.op === 'rename_agent' ? agentNodeId(op.workflow ?? 'w', op.id) : '';
        if (op.op === 'rename_agent' && layout?.[from]) {
          const next = { ...layout, [agentNodeId(op.workflow ?? 'w', op.to)]: layout[from] };
          delete next[from];
          layouts.set(path, next);
          ch.layout = next;
        }
        return ch;
      },
      format: async (path) => {
        record('format', path);
        await wait();
        need(path);
        return change(path, opts.format ? opts.format(texts.get(path)!) : []);
      },
      save: async (path) => {
        record('save', path);
        await wait();
        need(path);
        // As in Go: a file another program changed is not overwritten; the
        // change is taken as the watcher takes one, then the save is refused.
        const disk = files.get(path);
        const base = bases.get(path);
        if (disk !== undefined && disk !== base) {
          const mine = texts.get(path)!;
          if (mine === base) {
            texts.set(path, disk);
            bases.set(path, disk);
            emit('workspace:reloaded', { doc: doc(path) });
          } else {
            emit('workspace:conflict', { path, mine, theirs: disk, base });
          }
          throw new ApiError('changed_on_disk', `save ${path}: the file changed on disk since it was last read or saved (content differs); nothing was written`);
        }
        files.set(path, texts.get(path)!);
        bases.set(path, texts.get(path)!);
      },
      saveAs: async (path, newPath) => {
        record('saveAs', path, newPath);
        files.set(newPath, texts.get(path)!);
        texts.set(newPath, texts.get(path)!);
        bases.set(newPath, texts.get(path)!);
      },
      revert: async (path) => {
        record('revert', path);
        texts.set(path, files.get(path)!);
        bases.set(path, files.get(path)!);
        return doc(path);
      },
      setLayout: async (path, layout) => {
        record('setLayout', path, layout);
        layouts.set(path, layout);
      },
      specs: async () => opts.specs ?? [],
      listDir: async (dir) => [...files.keys()].filter((p) => p.startsWith(dir + '/')).map((p) => ({ name: p.slice(dir.length + 1), path: p, kind: p.endsWith('.kumeo') ? 'kumeo' : 'file', dir: false, size: 0, modTime: 0 })),
      recent: async () => [...texts.keys()],
      newFromTemplate: async (dir, name) => {
        const path = `${dir}/${name}`;
        files.set(path, `workflow ${name.replace(/\.kumeo$/, '')} {\n}\n`);
        texts.set(path, files.get(path)!);
        bases.set(path, files.get(path)!);
        return doc(path);
      },
      close: async (path) => {
        record('close', path);
        texts.delete(path);
        bases.delete(path);
      },
      resolveConflict: async (path, choice, merged) => {
        record('resolveConflict', path, choice, merged);
        if (choice === 'theirs') texts.set(path, files.get(path)!);
        if (choice === 'merge') texts.set(path, merged);
        // The next save expects the content the user saw on disk.
        bases.set(path, files.get(path)!);
        return doc(path);
      },
      pins: async (path, source) => [...(pins.get(pinKey(path, source)) ?? [])],
      pin: async (path, source, payload) => {
        record('pin', path, source, payload);
        JSON.parse(payload);
        const list = [{ payload, ts: Date.now() }, ...(pins.get(pinKey(path, source)) ?? []).filter((p) => p.payload !== payload)];
        pins.set(pinKey(path, source), list);
        return [...list];
      },
      unpin: async (path, source, payload) => {
        record('unpin', path, source, payload);
        const list = (pins.get(pinKey(path, source)) ?? []).filter((p) => p.payload !== payload);
        pins.set(pinKey(path, source), list);
        return [...list];
      },
    },
    runs: {
      start: async (path) => {
        record('start', path);
        const info = { id: `run${++runs}`, path, workflow: 'w', agents: [], sources: [], httpURL: '', state: 'running', skipped: [] };
        started.push(info);
        listeners.get('runs:started')?.forEach((l) => l(info));
        return info;
      },
      list: async () => started,
      stop: async (id) => void record('stop', id),
      reload: async (id) => (record('reload', id), { kept: [], changed: [], added: [], removed: [] }),
      check: async () => [],
      send: async (id, source, json) => {
        record('send', id, source, json);
        sent.unshift({ eventID: `e${sent.length + 1}`, traceID: `t${sent.length + 1}`, payload: json, ts: 0 });
        return { eventID: sent[0].eventID, traceID: sent[0].traceID };
      },
      sentHistory: async () => sent.slice(0, 20),
      recent: async (_id, agent, n) => records.filter((r) => r.agent === agent).slice(-n),
      trace: async () => [],
      deadLetters: async () => [],
      resend: async (id, seq) => void record('resend', id, seq),
    },
    deploy,
    events: {
      on(name, listener): Unsubscribe {
        const set = listeners.get(name) ?? new Set();
        set.add(listener as (d: unknown) => void);
        listeners.set(name, set);
        return () => set.delete(listener as (d: unknown) => void);
      },
    },
  };

  return {
    api,
    calls,
    callsTo: (method: string) => calls.filter((c) => c.method === method),
    /** Update and Edit calls: the text typed in the window reaching Go, whole or as changes. */
    typed: () => calls.filter((c) => c.method === 'update' || c.method === 'edit'),
    textOf: (path: string) => texts.get(path),
    get version() {
      return version;
    },
    /** A run started by Go itself (the --run flag). */
    startElsewhere: (path: string) => {
      const info = { id: `run${++runs}`, path, workflow: 'w', agents: [], sources: [], httpURL: '', state: 'running', skipped: [] };
      started.push(info);
      listeners.get('runs:started')?.forEach((l) => l(info));
      return info;
    },
    /** Changes the file on disk (as another program would). */
    writeFile: (path: string, text: string) => files.set(path, text),
    emit,
    listenerCount: (name: string) => listeners.get(name)?.size ?? 0,
    /** Holds every answer until the returned function is called. */
    hold: () => {
      gate = new Promise<void>((r) => (release = r));
      return () => {
        gate = null;
        release();
      };
    },
    docOf: doc,
  };
}
