import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EditorSelection } from '@codemirror/state';
import type { EditOp, TextEdit } from '../api/types';
import { createFakeApi, type FakeOptions } from '../api/fake';
import { WorkspaceStore } from './workspace.svelte';

const PATH = '/w/flow.kumeo';
const TEXT = 'agent a\nagent b\n';

/** Operations of the fake "language": add_agent appends a line, rename rewrites a word. */
function edit(text: string, op: EditOp): TextEdit[] {
  switch (op.op) {
    case 'add_agent':
      return [{ from: text.length, to: text.length, insert: `agent ${op.agent}\n` }];
    case 'rename_agent': {
      const at = text.search(new RegExp(`agent ${op.id}\r?\n`));
      if (at < 0) throw new Error(`agent not found: ${op.id}`);
      return [{ from: at + 6, to: at + 6 + op.id.length, insert: op.to }];
    }
    case 'remove_agent': {
      const at = text.indexOf(`agent ${op.id}\n`);
      return [{ from: at, to: at + op.id.length + 7, insert: '' }];
    }
  }
  throw new Error(`unknown op ${op.op}`);
}

async function setup(opts: FakeOptions = {}) {
  const fake = createFakeApi({ files: { [PATH]: TEXT, '/w/other.kumeo': 'agent z\n' }, edit, ...opts });
  const store = new WorkspaceStore(fake.api, { debounceMs: 50 });
  await store.open(PATH);
  return { fake, store };
}

/** Types text at the end of the document as a user would. */
function type(store: WorkspaceStore, insert: string, at = store.editorState.doc.length) {
  const tr = store.editorState.update({ changes: { from: at, insert }, userEvent: 'input.type', selection: { anchor: at + insert.length } });
  store.onTransactions([tr], tr.state);
}

describe('WorkspaceStore', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('opens a document with its graph, layout and a fresh history', async () => {
    const { store } = await setup();
    expect(store.path).toBe(PATH);
    expect(store.name).toBe('flow.kumeo');
    expect(store.text).toBe(TEXT);
    expect(store.graph?.nodes.map((n) => n.id)).toEqual(['w/agent/a', 'w/agent/b']);
    expect(store.parseOK).toBe(true);
    expect(store.dirty).toBe(false);
    expect(store.canUndo).toBe(false);
    expect(store.version).toBeGreaterThan(0);
  });

  it('reports a failed open and keeps the open document', async () => {
    const { store } = await setup();
    expect(await store.open('/w/missing.kumeo')).toBe(false);
    expect(store.error).toMatch(/no such file/);
    expect(store.path).toBe(PATH);
  });

  it('sends typed text once, debounced, and shows the answer', async () => {
    const { fake, store } = await setup();
    type(store, 'agent c');
    type(store, '\n');
    expect(fake.typed()).toHaveLength(0);
    expect(store.dirty).toBe(true);
    await vi.advanceTimersByTimeAsync(100);
    expect(fake.typed()).toHaveLength(1);
    // Just the change, made on the version Go has.
    expect(fake.typed()[0].method).toBe('edit');
    expect(fake.typed()[0].args).toEqual([PATH, 1, [{ from: TEXT.length, to: TEXT.length, insert: 'agent c\n' }]]);
    expect(fake.textOf(PATH)).toBe(TEXT + 'agent c\n');
    expect(store.graph?.nodes.map((n) => n.label)).toEqual(['a', 'b', 'c']);
    expect(store.version).toBe(fake.version);
  });

  it('builds the graph of typed text from a delta with the text change it carries', async () => {
    const { fake, store } = await setup();
    const update = fake.api.workspace.update;
    const base = store.version;
    const before = store.graph!;
    fake.api.workspace.update = async (path, text) => {
      const a = await update(path, text);
      const ids = before.nodes.map((n) => n.id);
      const nodes = a.graph!.nodes.map((n) => (ids.includes(n.id) ? ids.indexOf(n.id) : n));
      const edits = [{ from: TEXT.length, to: TEXT.length, insert: 'agent c\n' }];
      return { ...a, graph: undefined, graphDelta: { base, nodes, edges: [], edits } };
    };
    type(store, 'agent c\n');
    await vi.advanceTimersByTimeAsync(100);
    expect(store.graph?.nodes.map((n) => n.id)).toEqual(['w/agent/a', 'w/agent/b', 'w/agent/c']);
    expect(store.graph?.nodes[0]).toEqual(before.nodes[0]);
    expect(fake.callsTo('analyze')).toHaveLength(0);
  });

  it('keeps the last good graph and shows the error while the text does not parse', async () => {
    const { store } = await setup();
    type(store, 'agent !');
    await vi.advanceTimersByTimeAsync(100);
    expect(store.parseOK).toBe(false);
    expect(store.graph?.nodes.map((n) => n.label)).toEqual(['a', 'b']);
    expect(store.diagnostics).toHaveLength(1);
    expect(store.diagnostics[0].from).toBe(TEXT.length + 6);
    // Nothing typed is rewritten.
    expect(store.text).toBe(TEXT + 'agent !');
  });

  it('refuses canvas edits while the text does not parse', async () => {
    const { fake, store } = await setup();
    type(store, '!');
    await vi.advanceTimersByTimeAsync(100);
    expect(await store.apply({ op: 'add_agent', agent: 'c' })).toBe(false);
    expect(store.error).toMatch(/syntax errors/);
    expect(fake.callsTo('apply')).toHaveLength(0);
  });

  it('applies a canvas edit as one undoable transaction, and undo reaches Go', async () => {
    const { fake, store } = await setup();
    expect(await store.apply({ op: 'add_agent', agent: 'c' })).toBe(true);
    expect(store.text).toBe(TEXT + 'agent c\n');
    expect(store.graph?.nodes).toHaveLength(3);
    expect(store.dirty).toBe(true);
    expect(store.canUndo).toBe(true);
    // The text came from Go: no Update for it.
    await vi.advanceTimersByTimeAsync(100);
    expect(fake.typed()).toHaveLength(0);

    expect(store.undo()).toBe(true);
    expect(store.text).toBe(TEXT);
    expect(store.dirty).toBe(false);
    await vi.advanceTimersByTimeAsync(100);
    expect(fake.typed().map((c) => c.text)).toEqual([TEXT]);
    expect(store.graph?.nodes).toHaveLength(2);

    expect(store.redo()).toBe(true);
    expect(store.text).toBe(TEXT + 'agent c\n');
    await vi.advanceTimersByTimeAsync(100);
    expect(fake.textOf(PATH)).toBe(TEXT + 'agent c\n');
  });

  it('undoes typing and canvas edits in order from one history', async () => {
    const { store } = await setup();
    type(store, 'agent t\n');
    await store.apply({ op: 'rename_agent', id: 'a', to: 'alpha' });
    expect(store.text).toBe('agent alpha\nagent b\nagent t\n');
    store.undo();
    expect(store.text).toBe(TEXT + 'agent t\n');
    store.undo();
    expect(store.text).toBe(TEXT);
  });

  it('sends pending typing before an operation, with the version Go answered', async () => {
    const { fake, store } = await setup();
    type(store, 'agent c\n');
    await store.apply({ op: 'add_agent', agent: 'd' });
    const [update] = fake.typed();
    const [apply] = fake.callsTo('apply');
    expect(update.text).toBe(TEXT + 'agent c\n');
    expect(fake.calls.indexOf(update)).toBeLessThan(fake.calls.indexOf(apply));
    expect(store.text).toBe(TEXT + 'agent c\nagent d\n');
    expect(store.version).toBe(fake.version);
  });

  it('keeps the cursor where it was when a canvas edit changes text before it', async () => {
    const { store } = await setup();
    const at = TEXT.indexOf('agent b') + 3;
    const tr = store.editorState.update({ selection: EditorSelection.cursor(at) });
    store.onTransactions([tr], tr.state);
    await store.apply({ op: 'rename_agent', id: 'a', to: 'alpha' });
    expect(store.editorState.selection.main.head).toBe(at + 4);
  });

  it('maps a canvas edit over text typed while it was in flight', async () => {
    const { fake, store } = await setup();
    const release = fake.hold();
    const done = store.apply({ op: 'rename_agent', id: 'b', to: 'beta' });
    await vi.advanceTimersByTimeAsync(0);
    type(store, '// note\n', 0);
    release();
    expect(await done).toBe(true);
    expect(store.text).toBe('// note\nagent a\nagent beta\n');
    // Go learns the combined text.
    await vi.advanceTimersByTimeAsync(100);
    expect(fake.textOf(PATH)).toBe('// note\nagent a\nagent beta\n');
  });

  it('runs operations one after another', async () => {
    const { fake, store } = await setup();
    const a = store.apply({ op: 'add_agent', agent: 'c' });
    const b = store.apply({ op: 'add_agent', agent: 'd' });
    expect(await Promise.all([a, b])).toEqual([true, true]);
    expect(store.text).toBe(TEXT + 'agent c\nagent d\n');
    const versions = fake.callsTo('apply').map((c) => c.args[2] as number);
    expect(versions[1]).toBeGreaterThan(versions[0]);
  });

  it('reports a rejected operation and leaves the text alone', async () => {
    const { store } = await setup();
    expect(await store.apply({ op: 'rename_agent', id: 'nope', to: 'x' })).toBe(false);
    expect(store.error).toMatch(/agent not found/);
    expect(store.text).toBe(TEXT);
    expect(store.canUndo).toBe(false);
  });

  it('takes Go\'s text when the edits it answered do not give a text of the length it reports', async () => {
    const { fake, store } = await setup();
    const apply = fake.api.workspace.apply;
    // Go's copy gains a line the edits leave out.
    fake.api.workspace.apply = async (path, op, version) => {
      const ch = await apply(path, op, version);
      await fake.api.workspace.update(path, TEXT + 'agent c\n// note\n');
      return { ...ch, length: ch.length + '// note\n'.length };
    };
    expect(await store.apply({ op: 'add_agent', agent: 'c' })).toBe(true);
    await vi.waitFor(() => expect(store.text).toBe(TEXT + 'agent c\n// note\n'));
    expect(store.canUndo).toBe(true);
  });

  it('builds the graph from a graph delta, and asks for the whole graph when the delta is about another one', async () => {
    const { fake, store } = await setup();
    const apply = fake.api.workspace.apply;
    let base = 0;
    fake.api.workspace.apply = async (path, op, version) => {
      const ch = await apply(path, op, version);
      // Unchanged nodes by index into the graph shown, new ones in full.
      const before = store.graph!.nodes.map((n) => n.id);
      const nodes = ch.graph!.nodes.map((n) => (before.includes(n.id) && n.id !== 'w/agent/b' ? before.indexOf(n.id) : n));
      return { ...ch, graph: undefined, graphDelta: { base: base || version, nodes, edges: [] } };
    };
    expect(await store.apply({ op: 'add_agent', agent: 'c' })).toBe(true);
    expect(store.graph?.nodes.map((n) => n.id)).toEqual(['w/agent/a', 'w/agent/b', 'w/agent/c']);
    expect(fake.typed()).toHaveLength(0);
    // A delta about a graph the store does not show: the whole one is asked for.
    base = 999;
    expect(await store.apply({ op: 'add_agent', agent: 'd' })).toBe(true);
    await vi.waitFor(() => expect(store.graph?.nodes.map((n) => n.id)).toEqual(['w/agent/a', 'w/agent/b', 'w/agent/c', 'w/agent/d']));
    expect(fake.callsTo('analyze')).toHaveLength(1);
    expect(fake.typed()).toHaveLength(0);
    // The next delta builds on that graph.
    base = 0;
    expect(await store.apply({ op: 'add_agent', agent: 'e' })).toBe(true);
    expect(store.graph?.nodes.map((n) => n.id)).toEqual(['w/agent/a', 'w/agent/b', 'w/agent/c', 'w/agent/d', 'w/agent/e']);
    expect(fake.callsTo('analyze')).toHaveLength(1);
  });

  it('resends the text and retries once when Go says the version is stale', async () => {
    const { fake, store } = await setup();
    // Go's copy moves on behind the store's back.
    await fake.api.workspace.update(PATH, TEXT);
    expect(await store.apply({ op: 'add_agent', agent: 'c' })).toBe(true);
    expect(fake.callsTo('apply')).toHaveLength(2);
    expect(store.text).toBe(TEXT + 'agent c\n');
  });

  it('formats through Go', async () => {
    const { store } = await setup({ format: (t) => [{ from: 0, to: 0, insert: '// formatted\n' }].filter(() => !t.startsWith('//')) });
    expect(await store.format()).toBe(true);
    expect(store.text).toBe('// formatted\n' + TEXT);
    store.undo();
    expect(store.text).toBe(TEXT);
  });

  it('tracks dirty against the saved text', async () => {
    const { fake, store } = await setup();
    type(store, 'agent c\n');
    expect(store.dirty).toBe(true);
    expect(await store.save()).toBe(true);
    expect(fake.typed()).toHaveLength(1);
    expect(store.dirty).toBe(false);
    store.undo();
    expect(store.dirty).toBe(true);
    store.redo();
    expect(store.dirty).toBe(false);
  });

  it('reverts to the file on disk, undoably', async () => {
    const { store } = await setup();
    type(store, 'agent c\n');
    expect(await store.revert()).toBe(true);
    expect(store.text).toBe(TEXT);
    expect(store.dirty).toBe(false);
    store.undo();
    expect(store.text).toBe(TEXT + 'agent c\n');
  });

  it('ignores an Update answer for text that changed since', async () => {
    const { fake, store } = await setup();
    type(store, 'agent c\n');
    const release = fake.hold();
    await vi.advanceTimersByTimeAsync(60);
    type(store, 'agent !');
    release();
    await vi.advanceTimersByTimeAsync(0);
    // The first answer (three agents) is for older text; the diagnostics stay mapped, not replaced.
    expect(store.parseOK).toBe(true);
    await vi.advanceTimersByTimeAsync(100);
    expect(store.parseOK).toBe(false);
    expect(store.graph?.nodes).toHaveLength(3);
  });

  it('reloads an external change without adding it to the history', async () => {
    const { fake, store } = await setup();
    await store.start();
    fake.writeFile(PATH, 'agent x\n');
    await fake.api.workspace.revert(PATH);
    fake.emit('workspace:reloaded', { doc: fake.docOf(PATH) });
    expect(store.text).toBe('agent x\n');
    expect(store.graph?.nodes.map((n) => n.label)).toEqual(['x']);
    expect(store.dirty).toBe(false);
    expect(store.canUndo).toBe(false);
    // Other files' reloads are not ours.
    fake.emit('workspace:reloaded', { doc: { ...fake.docOf(PATH), path: '/w/other.kumeo', text: 'nope' } });
    expect(store.text).toBe('agent x\n');
    store.stop();
    expect(fake.listenerCount('workspace:reloaded')).toBe(0);
  });

  it('shows a conflict and settles it with the user choice', async () => {
    const { fake, store } = await setup();
    await store.start();
    type(store, 'agent mine\n');
    fake.writeFile(PATH, 'agent theirs\n');
    fake.emit('workspace:conflict', { path: PATH, mine: store.text, theirs: 'agent theirs\n' });
    expect(store.conflict?.theirs).toBe('agent theirs\n');
    expect(await store.resolveConflict('merge', 'agent theirs\nagent mine\n')).toBe(true);
    expect(store.conflict).toBeNull();
    expect(store.text).toBe('agent theirs\nagent mine\n');
    expect(fake.callsTo('resolveConflict')[0].args).toEqual([PATH, 'merge', 'agent theirs\nagent mine\n']);
    expect(store.dirty).toBe(true);
    store.stop();
  });

  it('turns a save refused for a change on disk into the conflict dialog, keeping the text, and saves once it is settled', async () => {
    const { fake, store } = await setup();
    await store.start();
    type(store, 'agent mine\n');
    const mine = TEXT + 'agent mine\n';
    // Another program writes; the watcher has not read the file yet.
    fake.writeFile(PATH, 'agent theirs\n');
    expect(await store.save()).toBe(false);
    expect(fake.callsTo('save')).toHaveLength(1);
    expect(store.conflict).toEqual({ path: PATH, mine, theirs: 'agent theirs\n', base: TEXT });
    expect(store.error).toMatch(/changed on disk/);
    expect(store.text).toBe(mine);
    expect(store.dirty).toBe(true);
    expect(fake.docOf(PATH).text).toBe(mine);

    expect(await store.resolveConflict('mine')).toBe(true);
    expect(store.conflict).toBeNull();
    expect(store.error).toBeNull();
    expect(store.dirty).toBe(true);
    expect(await store.save()).toBe(true);
    expect(store.dirty).toBe(false);
    expect(store.error).toBeNull();
    store.stop();
  });

  it('shows the conflict of a refused save when the event comes after the refusal', async () => {
    const { fake, store } = await setup();
    await store.start();
    type(store, 'agent mine\n');
    const mine = TEXT + 'agent mine\n';
    fake.api.workspace.save = async (path) => {
      setTimeout(() => fake.emit('workspace:conflict', { path, mine, theirs: 'agent theirs\n', base: TEXT }), 10);
      throw new Error(`save ${path}: the file changed on disk since it was last read or saved (content differs); nothing was written`);
    };
    expect(await store.save()).toBe(false);
    expect(store.error).toMatch(/changed on disk/);
    await vi.advanceTimersByTimeAsync(20);
    expect(store.conflict).toEqual({ path: PATH, mine, theirs: 'agent theirs\n', base: TEXT });
    expect(store.text).toBe(mine);
    expect(store.dirty).toBe(true);
    store.stop();
  });

  it('keeps the merge under way when a refused save repeats the conflict shown', async () => {
    const { fake, store } = await setup();
    await store.start();
    type(store, 'agent mine\n');
    await store.flush();
    fake.writeFile(PATH, 'agent theirs\n');
    fake.emit('workspace:conflict', { path: PATH, mine: store.text, theirs: 'agent theirs\n', base: TEXT });
    const shown = store.conflict;
    expect(shown).not.toBeNull();
    expect(await store.save()).toBe(false);
    expect(store.conflict).toBe(shown);
    store.stop();
  });

  it('takes the file on disk when a save without edits is refused', async () => {
    const { fake, store } = await setup();
    await store.start();
    fake.writeFile(PATH, 'agent theirs\n');
    expect(await store.save()).toBe(false);
    expect(store.conflict).toBeNull();
    expect(store.text).toBe('agent theirs\n');
    expect(store.dirty).toBe(false);
    store.stop();
  });

  it('stores positions in the layout only, and renames carry them along', async () => {
    const { fake, store } = await setup();
    await store.setPositions({ 'w/agent/a': { x: 10, y: 20 } });
    expect(fake.callsTo('setLayout').at(-1)!.args[1]).toEqual({ 'w/agent/a': { x: 10, y: 20 } });
    expect(store.text).toBe(TEXT);
    expect(await store.renameAgent('w', 'a', 'alpha')).toBe(true);
    expect(store.layout).toEqual({ 'w/agent/alpha': { x: 10, y: 20 } });
    // Go carried the position and answered with the layout: the window
    // does not send it again.
    expect(fake.callsTo('setLayout')).toHaveLength(1);
    expect((await fake.api.workspace.open(PATH)).layout).toEqual({ 'w/agent/alpha': { x: 10, y: 20 } });
  });

  it('opens another file with its own history and closes the previous one', async () => {
    const { fake, store } = await setup();
    type(store, 'agent c\n');
    await Promise.resolve(); // the first change after a pause goes at once
    type(store, 'agent d\n'); // in a burst: it waits
    expect(await store.open('/w/other.kumeo')).toBe(true);
    expect(store.text).toBe('agent z\n');
    expect(store.canUndo).toBe(false);
    expect(store.dirty).toBe(false);
    expect(fake.callsTo('close')[0].args).toEqual([PATH]);
    // The Update waiting for the old file is not sent.
    await vi.advanceTimersByTimeAsync(100);
    expect(fake.typed()).toHaveLength(1);
    expect(fake.typed()[0].text).not.toContain('agent d');
  });

  it('ignores an open answered after a newer one', async () => {
    const { fake, store } = await setup();
    const release = fake.hold();
    const slow = store.open('/w/other.kumeo');
    release();
    const fast = store.open(PATH);
    await Promise.all([slow, fast]);
    expect(store.path).toBe(PATH);
  });

  it('converts offsets of a CRLF file to editor positions and keeps its bytes', async () => {
    const crlf = 'agent a\r\nagent b\r\n';
    const fake = createFakeApi({ files: { [PATH]: crlf }, edit });
    const store = new WorkspaceStore(fake.api, { debounceMs: 50 });
    await store.open(PATH);
    expect(store.text).toBe(crlf);
    await store.apply({ op: 'rename_agent', id: 'b', to: 'beta' });
    expect(store.text).toBe('agent a\r\nagent beta\r\n');
    type(store, 'agent !');
    await vi.advanceTimersByTimeAsync(100);
    const d = store.diagnostics[0];
    expect(store.editorState.sliceDoc(d.from, d.to)).toBe('!');
    store.reveal(9, 14);
    expect(store.editorState.sliceDoc(store.editorState.selection.main.from, store.editorState.selection.main.to)).toBe('agent');
  });

  it('sends typing as changes in the offsets and line breaks of a CRLF file', async () => {
    const crlf = 'agent a\r\nagent b\r\n';
    const fake = createFakeApi({ files: { [PATH]: crlf }, edit });
    const store = new WorkspaceStore(fake.api, { debounceMs: 50 });
    await store.open(PATH);
    // "agent b" becomes "agent bb\r\nagent c": an insert in line 2 and a
    // new line (Enter inserts the document's line break).
    type(store, `b${store.editorState.lineBreak}agent c`, store.editorState.doc.line(2).to);
    expect(store.editorState.doc.lines).toBe(4);
    await vi.advanceTimersByTimeAsync(100);
    const [call] = fake.typed();
    expect(call.method).toBe('edit');
    expect(call.args[2]).toEqual([{ from: 16, to: 16, insert: 'b\r\nagent c' }]);
    expect(fake.textOf(PATH)).toBe('agent a\r\nagent bb\r\nagent c\r\n');
    expect(store.text).toBe(fake.textOf(PATH));
  });

  it('sends the whole text when Go\'s copy moved on, and changes typed during an Update after it', async () => {
    const { fake, store } = await setup();
    // Go's document moves on behind the window's back (another window).
    await fake.api.workspace.update(PATH, TEXT);
    type(store, 'agent c\n');
    await vi.advanceTimersByTimeAsync(100);
    expect(fake.typed().map((c) => c.method)).toEqual(['update', 'edit', 'update']);
    expect(fake.textOf(PATH)).toBe(TEXT + 'agent c\n');
    expect(store.version).toBe(fake.version);

    // Typing while an Update is under way: the next one carries only what
    // was typed after the text that Update sent.
    const release = fake.hold();
    type(store, 'agent d\n');
    await vi.advanceTimersByTimeAsync(0);
    type(store, 'agent e\n');
    release();
    await vi.advanceTimersByTimeAsync(200);
    const last = fake.typed().at(-1)!;
    expect(last.method).toBe('edit');
    expect(last.args[2]).toEqual([{ from: (TEXT + 'agent c\nagent d\n').length, to: (TEXT + 'agent c\nagent d\n').length, insert: 'agent e\n' }]);
    expect(fake.textOf(PATH)).toBe(TEXT + 'agent c\nagent d\nagent e\n');
    expect(store.version).toBe(fake.version);
  });
});
