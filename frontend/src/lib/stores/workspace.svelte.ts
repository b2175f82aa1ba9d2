// The workspace store: the open document (its sync with Go is
// DocumentSync's, document.svelte.ts) and what surrounds it, the files: open,
// new, save, save as, revert, the recent list and the directory listing,
// the layout sidecar, conflicts with changes on disk, and Go's workspace
// events. It is the only place that talks to the Go Workspace service
// (through the api module); components read its state and call its methods.
//
//   external change  -> workspace:reloaded / workspace:conflict events
//   save             -> Save; refused when the file changed on disk, which
//                       then arrives as one of those two events

import {
  Events, errorMessage, wailsApi,
  type Conflict, type DirEntry, type Doc, type Layout, type ReloadedEvent, type TypeSpec, type Unsubscribe,
} from '../api';
import { DocumentSync } from './document.svelte';

export { errorMessage };
export { fromGo, type EditorDiagnostic, type TextView, type WorkspaceOptions } from './document.svelte';

export class WorkspaceStore extends DocumentSync {
  layout = $state.raw<Layout>({});
  specs = $state.raw<TypeSpec[]>([]);
  conflict = $state.raw<Conflict | null>(null);
  recent = $state.raw<string[]>([]);
  files = $state.raw<DirEntry[]>([]);
  loading = $state(false);

  #openSeq = 0;
  #unsubscribe: Unsubscribe[] = [];

  // ---- lifecycle ----------------------------------------------------------

  /** Subscribes to Go's events, loads the specs and opens the initial file. */
  async start(): Promise<void> {
    if (this.#unsubscribe.length === 0) {
      this.#unsubscribe.push(
        this.api.events.on<ReloadedEvent | Doc>(Events.reloaded, (e) => this.#reloaded('doc' in e && e.doc ? e.doc : (e as Doc))),
        // From the watcher, or from a save Go refused because the file
        // changed on disk. The same conflict again (a save refused over a
        // conflict already shown) leaves the merge under way alone.
        this.api.events.on<Conflict>(Events.conflict, (c) => {
          if (c.path === this.path && !sameConflict(this.conflict, c)) this.conflict = c;
        }),
        // A file Go opened on its own (not through open()).
        this.api.events.on<Doc>(Events.opened, (doc) => {
          if (doc && doc.path !== this.path && !this.loading) this.load(doc);
        }),
      );
    }
    this.api.workspace.specs().then((s) => (this.specs = s ?? []), () => {});
    this.refreshRecent();
    let path = '';
    try {
      path = await this.api.workspace.initialPath();
    } catch (err) {
      this.error = errorMessage(err);
    }
    if (path) await this.open(path);
  }

  stop(): void {
    for (const u of this.#unsubscribe) u();
    this.#unsubscribe = [];
    this.cancelUpdate();
  }

  refreshRecent(): void {
    this.api.workspace.recent().then((r) => (this.recent = r ?? []), () => {});
  }

  async listDir(dir: string): Promise<void> {
    try {
      const entries = (await this.api.workspace.listDir(dir)) ?? [];
      this.files = entries;
    } catch (err) {
      this.error = errorMessage(err);
    }
  }

  /** Opens a file, replacing the current document (the caller asks about unsaved edits first). */
  async open(path: string): Promise<boolean> {
    const call = ++this.#openSeq;
    this.loading = true;
    try {
      const doc = await this.api.workspace.open(path);
      if (call !== this.#openSeq) return false;
      this.#switchTo(doc);
      return true;
    } catch (err) {
      if (call === this.#openSeq) this.error = errorMessage(err);
      return false;
    } finally {
      if (call === this.#openSeq) this.loading = false;
    }
  }

  async newFromTemplate(dir: string, name: string): Promise<boolean> {
    try {
      this.#switchTo(await this.api.workspace.newFromTemplate(dir, name));
      return true;
    } catch (err) {
      this.error = errorMessage(err);
      return false;
    }
  }

  /** Makes doc the open document; Go closes the one open before. */
  #switchTo(doc: Doc): void {
    const old = this.path;
    this.load(doc);
    if (old && old !== doc.path) this.api.workspace.close(old).catch(() => {});
    this.refreshRecent();
  }

  protected override load(doc: Doc): void {
    super.load(doc);
    this.conflict = null;
  }

  protected override takeLayout(layout: Layout): void {
    this.layout = layout;
  }

  // ---- layout -------------------------------------------------------------

  /** Stores node positions in the layout sidecar; the text is not touched. */
  async setPositions(positions: Layout): Promise<void> {
    if (!this.path || Object.keys(positions).length === 0) return;
    this.layout = { ...this.layout, ...positions };
    try {
      await this.api.workspace.setLayout(this.path, this.layout);
    } catch (err) {
      this.error = errorMessage(err);
    }
  }

  /**
   * Renames an agent; Go moves its stored position to the new node id and
   * the reply carries the layout. applied runs as apply's does.
   */
  renameAgent(workflow: string, id: string, to: string, applied?: () => void): Promise<boolean> {
    return this.apply({ op: 'rename_agent', workflow, id, to }, applied);
  }

  // ---- files --------------------------------------------------------------

  /**
   * Saves the text. Go refuses when another program changed the file: the
   * refusal shows as the error, and the change comes as the conflict event
   * (unsaved edits: the conflict dialog) or a reload (none); the text stays.
   */
  async save(): Promise<boolean> {
    const path = this.path;
    if (!path) return false;
    try {
      await this.flush();
      const doc = this.doc;
      await this.api.workspace.save(path);
      this.setSaved(doc);
      this.error = null;
      return true;
    } catch (err) {
      this.error = errorMessage(err);
      return false;
    }
  }

  async saveAs(newPath: string): Promise<boolean> {
    const path = this.path;
    if (!path) return false;
    try {
      await this.flush();
      const doc = this.doc;
      await this.api.workspace.saveAs(path, newPath);
      this.path = newPath;
      this.name = basename(newPath);
      this.setSaved(doc);
      this.refreshRecent();
      return true;
    } catch (err) {
      this.error = errorMessage(err);
      return false;
    }
  }

  /** Goes back to the file on disk; undoable. */
  async revert(): Promise<boolean> {
    const path = this.path;
    if (!path) return false;
    try {
      await this.flush();
      const doc = await this.api.workspace.revert(path);
      this.replaceText(doc, true);
      this.setSaved(this.doc);
      return true;
    } catch (err) {
      this.error = errorMessage(err);
      return false;
    }
  }

  #reloaded(doc: Doc): void {
    if (!doc || doc.path !== this.path) return;
    this.replaceText(doc, false);
    this.setSaved(doc.dirty ? this.savedText : this.doc);
    this.conflict = null;
  }

  /** Settles an external change that met unsaved edits. */
  async resolveConflict(choice: 'mine' | 'theirs' | 'merge', mergedText = ''): Promise<boolean> {
    const path = this.path;
    if (!path) return false;
    try {
      const doc = await this.api.workspace.resolveConflict(path, choice, mergedText);
      this.replaceText(doc, true);
      this.setSaved(choice === 'theirs' ? this.doc : this.savedText);
      if (doc.dirty) this.dirty = true;
      this.conflict = null;
      // A save refused for this conflict can be done now.
      this.error = null;
      return true;
    } catch (err) {
      this.error = errorMessage(err);
      return false;
    }
  }

}

function sameConflict(a: Conflict | null, b: Conflict): boolean {
  return !!a && a.path === b.path && a.mine === b.mine && a.theirs === b.theirs && (a.base ?? '') === (b.base ?? '');
}

export function basename(path: string): string {
  const i = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return i >= 0 ? path.slice(i + 1) : path;
}

export function dirname(path: string): string {
  const i = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return i > 0 ? path.slice(0, i) : i === 0 ? path.slice(0, 1) : '';
}

export const workspace = new WorkspaceStore(wailsApi);
