import { describe, expect, it } from 'vitest';
import {
  WorkspaceStore,
  type WorkflowDocument,
  type WorkspaceBackend,
} from './workspace.svelte';

function doc(name: string, text = `workflow ${name} {}\n`): WorkflowDocument {
  return { path: `/w/${name}.kumeo`, name: `${name}.kumeo`, text };
}

/** A backend whose open() answers only when the test resolves it. */
function fakeBackend(initialPath = '') {
  const pending = new Map<string, { resolve: (d: WorkflowDocument) => void; reject: (e: unknown) => void }>();
  const listeners = new Set<(d: WorkflowDocument) => void>();
  const backend: WorkspaceBackend = {
    initialPath: async () => initialPath,
    open: (path) => new Promise((resolve, reject) => pending.set(path, { resolve, reject })),
    onOpened: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return {
    backend,
    listeners,
    answer: (path: string, d: WorkflowDocument) => pending.get(path)!.resolve(d),
    fail: (path: string, err: unknown) => pending.get(path)!.reject(err),
    emit: (d: WorkflowDocument) => listeners.forEach((l) => l(d)),
    wasAsked: (path: string) => pending.has(path),
  };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('WorkspaceStore', () => {
  it('opens the initial file on start', async () => {
    const fake = fakeBackend('/w/a.kumeo');
    const store = new WorkspaceStore(fake.backend);
    const started = store.start();
    await tick();
    expect(fake.wasAsked('/w/a.kumeo')).toBe(true);
    expect(store.loading).toBe(true);

    fake.answer('/w/a.kumeo', doc('a'));
    await started;
    expect(store.doc).toEqual(doc('a'));
    expect(store.loading).toBe(false);
    expect(store.error).toBeNull();
  });

  it('opens nothing when no file was given', async () => {
    const store = new WorkspaceStore(fakeBackend('').backend);
    await store.start();
    expect(store.doc).toBeNull();
    expect(store.loading).toBe(false);
  });

  it('keeps the document and reports the error when an open fails', async () => {
    const fake = fakeBackend();
    const store = new WorkspaceStore(fake.backend);
    const first = store.open('/w/a.kumeo');
    fake.answer('/w/a.kumeo', doc('a'));
    await first;

    const second = store.open('/w/missing.kumeo');
    fake.fail('/w/missing.kumeo', 'open workflow: no such file or directory');
    await second;
    expect(store.doc).toEqual(doc('a'));
    expect(store.error).toBe('open workflow: no such file or directory');
    expect(store.loading).toBe(false);
  });

  it('ignores an answer that arrives after a newer open', async () => {
    const fake = fakeBackend();
    const store = new WorkspaceStore(fake.backend);
    const slow = store.open('/w/old.kumeo');
    const fast = store.open('/w/new.kumeo');
    fake.answer('/w/new.kumeo', doc('new'));
    await fast;
    fake.answer('/w/old.kumeo', doc('old'));
    await slow;
    expect(store.doc).toEqual(doc('new'));
    expect(store.loading).toBe(false);
  });

  it('follows documents Go opens on its own until stopped', async () => {
    const fake = fakeBackend();
    const store = new WorkspaceStore(fake.backend);
    await store.start();
    fake.emit(doc('b'));
    expect(store.doc).toEqual(doc('b'));

    store.stop();
    expect(fake.listeners.size).toBe(0);
    fake.emit(doc('c'));
    expect(store.doc).toEqual(doc('b'));
  });
});
