// The workspace store is the only place the UI talks to the Go Workspace
// service. Components read its state and call its methods.

import * as WorkspaceService from '../../../wailsjs/go/app/Workspace';
import { EventsOn } from '../../../wailsjs/runtime/runtime';

/** An open workflow file, as Go reports it. */
export interface WorkflowDocument {
  path: string;
  name: string;
  text: string;
}

/** The calls the store makes to Go; tests pass a fake. */
export interface WorkspaceBackend {
  initialPath(): Promise<string>;
  open(path: string): Promise<WorkflowDocument>;
  /** Subscribes to documents Go opened; returns the unsubscribe function. */
  onOpened(listener: (doc: WorkflowDocument) => void): () => void;
}

/** Event names emitted by the Go Workspace service. */
export const WorkspaceEvents = {
  opened: 'workspace:opened',
} as const;

export const wailsWorkspaceBackend: WorkspaceBackend = {
  initialPath: () => WorkspaceService.InitialPath(),
  open: (path) => WorkspaceService.Open(path),
  onOpened: (listener) =>
    EventsOn(WorkspaceEvents.opened, (doc: WorkflowDocument) => listener(doc)),
};

export function errorMessage(err: unknown): string {
  if (typeof err === 'string') return err;
  if (err instanceof Error) return err.message;
  return String(err);
}

export class WorkspaceStore {
  /** The open document, or null before anything is opened. */
  doc = $state<WorkflowDocument | null>(null);
  /** The last failure to open, shown to the user until the next success. */
  error = $state<string | null>(null);
  loading = $state(false);

  #backend: WorkspaceBackend;
  #unsubscribe: (() => void) | null = null;
  // Only the most recent open() may change the state: answers to earlier
  // calls that arrive late are ignored.
  #latest = 0;

  constructor(backend: WorkspaceBackend) {
    this.#backend = backend;
  }

  /** Listens for documents Go opens and opens the file given on start. */
  async start(): Promise<void> {
    this.#unsubscribe ??= this.#backend.onOpened((doc) => {
      this.doc = doc;
      this.error = null;
    });
    let path: string;
    try {
      path = await this.#backend.initialPath();
    } catch (err) {
      this.error = errorMessage(err);
      return;
    }
    if (path) await this.open(path);
  }

  stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
  }

  async open(path: string): Promise<void> {
    const call = ++this.#latest;
    this.loading = true;
    try {
      const doc = await this.#backend.open(path);
      if (call !== this.#latest) return;
      this.doc = doc;
      this.error = null;
    } catch (err) {
      if (call !== this.#latest) return;
      this.error = errorMessage(err);
    } finally {
      if (call === this.#latest) this.loading = false;
    }
  }
}

export const workspace = new WorkspaceStore(wailsWorkspaceBackend);
