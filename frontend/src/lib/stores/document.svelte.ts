// The document sync core: the open document's text (a CodeMirror
// EditorState with the one undo history both views share), the version Go
// knows, the last good graph and the diagnostics, kept in step with Go's
// Workspace service (through the api module).
//
// Text flow:
//   typing / undo / redo  -> transaction -> debounced Edit(changes since the
//                                            text Go has), or Update(text)
//   canvas action         -> Apply(op)   -> returned minimal edits dispatched
//                                            as one transaction (undoable)
//   format                -> Format      -> same as Apply
//
// Files, layout, conflicts and Go's events are the workspace store's
// (workspace.svelte.ts), which builds on this class.

import {
  Annotation, ChangeSet, Compartment, EditorState, Transaction,
  type ChangeSpec, type Extension, type Text, type TransactionSpec,
} from '@codemirror/state';
import { history, redo, redoDepth, undo, undoDepth } from '@codemirror/commands';
import {
  errorCode, errorMessage, wailsApi,
  type Analysis, type Api, type Change, type Diagnostic, type Doc, type EditOp, type Graph, type Layout, type TextEdit,
} from '../api';
import { lineSeparatorOf, mapperOf, minimalChange } from '../util/text';
import { applyGraphDelta } from '../graph/delta';

/** Marks transactions whose text Go already knows (Apply, Format, reload). */
export const fromGo = Annotation.define<boolean>();

/** What the store needs of an attached CodeMirror view. */
export interface TextView {
  readonly state: EditorState;
  dispatch(spec: TransactionSpec): void;
  setState(state: EditorState): void;
  /** Moves keyboard focus to the editor. */
  focus?(): void;
}

export interface WorkspaceOptions {
  /**
   * Delay between the last keystroke of a burst and Update; at most 100 ms.
   * A keystroke after a pause at least this long, with no Update under
   * way, is sent at once.
   */
  debounceMs?: number;
}

/** A diagnostic with from/to as CodeMirror positions of the current text. */
export type EditorDiagnostic = Diagnostic;

/** since followed by next; null when since is unknown or not of next's text. */
function extend(since: ChangeSet | null, next: ChangeSet): ChangeSet | null {
  return since && since.newLength === next.length ? since.compose(next) : null;
}


export class DocumentSync {
  /** Path and name of the open document, or null. */
  path = $state<string | null>(null);
  name = $state('');
  /** Version of the text Go last answered for. */
  version = $state(0);
  /** The last graph that parsed; kept while the text does not parse. */
  graph = $state.raw<Graph | null>(null);
  /** Diagnostics of the current text, with positions in editor coordinates. */
  diagnostics = $state.raw<Diagnostic[]>([]);
  parseOK = $state(true);
  dirty = $state(false);
  /** Increases on every change of the text, for views that follow it. */
  revision = $state(0);
  canUndo = $state(false);
  canRedo = $state(false);
  /** The last failure, shown until dismissed or the next success. */
  error = $state<string | null>(null);
  /** Operations sent to Go and not answered yet. */
  pending = $state(0);

  api: Api;
  readonly #debounceMs: number;
  #state: EditorState;
  #view: TextView | null = null;
  #extensions = new Compartment();
  #editorExtensions: Extension = [];
  #sep: '\r\n' | '\n' = '\n';
  /** The text as saved on disk; null when unknown (Go reported it dirty). */
  #saved: Text | null = null;
  /** The text Go last received or produced (of document version `version`). */
  #known: Text | null = null;
  /** What was typed since #known, so an Update can send just the changes. */
  #sinceKnown: ChangeSet | null = null;
  /** What was typed since the text of the Update under way. */
  #sinceSent: ChangeSet | null = null;
  /** The Update waiting to be sent: a debounce timer, or a microtask. */
  #timer: ReturnType<typeof setTimeout> | null = null;
  #soon: object | null = null;
  /** When the last local change was scheduled (Date.now()). */
  #lastInput = -Infinity;
  #updateSeq = 0;
  #updating: Promise<void> | null = null;
  #queue: Promise<unknown> = Promise.resolve();
  /** Local changes made while an operation was in flight, from its base text. */
  #tracked: ChangeSet | null = null;
  /** The version whose text the graph is of; -1 while the text does not parse. */
  #graphVersion = -1;

  constructor(api: Api = wailsApi, options: WorkspaceOptions = {}) {
    this.api = api;
    this.#debounceMs = Math.min(options.debounceMs ?? 80, 100);
    this.#state = this.#createState('');
  }

  // ---- text ---------------------------------------------------------------

  /** The current text, byte for byte. */
  get text(): string {
    return this.#state.sliceDoc();
  }

  /** The current editor state (document, selection and history). */
  get editorState(): EditorState {
    return this.#state;
  }

  #createState(text: string): EditorState {
    this.#sep = lineSeparatorOf(text);
    return EditorState.create({
      doc: text,
      extensions: [
        EditorState.lineSeparator.of(this.#sep),
        history(),
        this.#extensions.of(this.#editorExtensions),
      ],
    });
  }

  /** Sets the editor's extensions (language, lint, completion, keymaps). */
  setEditorExtensions(ext: Extension): void {
    this.#editorExtensions = ext;
    this.#dispatch({ effects: this.#extensions.reconfigure(ext) });
  }

  /** Connects a CodeMirror view; it shows the store's state from now on. */
  attach(view: TextView): void {
    this.#view = view;
    if (view.state !== this.#state) view.setState(this.#state);
  }

  detach(view: TextView): void {
    if (this.#view === view) this.#view = null;
  }

  /** Every transaction of the attached view must be passed here after view.update. */
  onTransactions(trs: readonly Transaction[], state: EditorState): void {
    this.#state = state;
    let local = false;
    let changed = false;
    for (const tr of trs) {
      if (!tr.docChanged) continue;
      changed = true;
      if (this.#tracked) this.#tracked = this.#tracked.compose(tr.changes);
      this.#sinceKnown = extend(this.#sinceKnown, tr.changes);
      this.#sinceSent = extend(this.#sinceSent, tr.changes);
      if (!tr.annotation(fromGo)) local = true;
      // Keep diagnostics on the text they describe while the answer is pending.
      if (this.diagnostics.length) this.diagnostics = mapDiagnostics(this.diagnostics, tr.changes);
    }
    if (changed) {
      this.revision++;
      this.dirty = this.#saved === null || !state.doc.eq(this.#saved);
    }
    this.canUndo = undoDepth(state) > 0;
    this.canRedo = redoDepth(state) > 0;
    if (local) this.#scheduleUpdate();
  }

  #dispatch(spec: TransactionSpec): void {
    if (this.#view) {
      this.#view.dispatch(spec);
      return;
    }
    const tr = this.#state.update(spec);
    this.onTransactions([tr], tr.state);
  }

  #replaceState(text: string): void {
    this.#state = this.#createState(text);
    this.#view?.setState(this.#state);
    this.revision++;
    this.canUndo = false;
    this.canRedo = false;
  }

  undo(): boolean {
    return undo({ state: this.#state, dispatch: (tr) => this.#dispatch(tr) });
  }

  redo(): boolean {
    return redo({ state: this.#state, dispatch: (tr) => this.#dispatch(tr) });
  }

  /** Selects a range of the text (UTF-16 offsets from Go) and scrolls to it. */
  reveal(from: number, to: number = from): void {
    const m = mapperOf(this.#state.doc, this.#sep);
    const len = this.#state.doc.length;
    const a = clamp(m.toPos(from), 0, len);
    const b = clamp(m.toPos(to), 0, len);
    this.#dispatch({ selection: { anchor: a, head: b }, scrollIntoView: true });
    this.#view?.focus?.();
  }

  /** Selects a range given in editor positions and scrolls to it. */
  select(from: number, to: number = from): void {
    const len = this.#state.doc.length;
    this.#dispatch({ selection: { anchor: clamp(from, 0, len), head: clamp(to, 0, len) }, scrollIntoView: true });
    this.#view?.focus?.();
  }

  /** Replaces a range given in editor positions (quick fixes, completions from outside). */
  replaceRange(from: number, to: number, insert: string): void {
    this.#dispatch({ changes: { from, to, insert }, userEvent: 'input' });
  }

  // ---- documents from Go -------------------------------------------------

  /** The current text as a CodeMirror Text. */
  protected get doc(): Text {
    return this.#state.doc;
  }

  /** The text as saved on disk; null when unknown. */
  protected get savedText(): Text | null {
    return this.#saved;
  }

  /** Records saved as the text on disk and sets dirty by it. */
  protected setSaved(saved: Text | null): void {
    this.#saved = saved;
    this.dirty = saved === null || !this.#state.doc.eq(saved);
  }

  /** Takes a layout Go answered with; the workspace store keeps it. */
  protected takeLayout(_layout: Layout): void {}

  /** Makes doc, as Go sent it, the open document with a fresh history. */
  protected load(doc: Doc): void {
    this.cancelUpdate();
    this.#updateSeq++;
    this.#tracked = null;
    this.path = doc.path;
    this.name = doc.name;
    this.#replaceState(doc.text);
    this.#setKnown(this.#state.doc);
    this.#saved = doc.dirty ? null : this.#state.doc;
    this.dirty = !!doc.dirty;
    this.takeLayout(doc.layout ?? {});
    this.error = null;
    this.#setAnalysis(doc);
  }

  #setAnalysis(a: Analysis): void {
    this.version = a.version;
    let graph: Graph | null | undefined = a.graph;
    if (!graph && a.graphDelta) {
      const edits = a.graphDelta.edits ?? (a as Partial<Change>).edits ?? [];
      graph = applyGraphDelta(this.graph, this.#graphVersion, a.graphDelta, edits);
      // A delta about another graph than the one shown: ask for the whole one.
      if (!graph) void this.#refetchGraph(a.version);
    }
    if (graph || (a.parseOK && !a.graphDelta)) this.graph = graph ?? { nodes: [], edges: [] };
    // While the text does not parse the graph is an older text's.
    this.#graphVersion = a.parseOK && (graph || !a.graphDelta) ? a.version : -1;
    this.parseOK = a.parseOK;
    this.diagnostics = this.#toEditor(a.diagnostics ?? []);
  }

  /** Diagnostics from Go (UTF-16 offsets of the current text) in editor positions. */
  #toEditor(diags: Diagnostic[]): Diagnostic[] {
    const m = mapperOf(this.#state.doc, this.#sep);
    const len = this.#state.doc.length;
    return diags.map((d) => {
      const from = clamp(m.toPos(d.from), 0, len);
      return { ...d, from, to: clamp(Math.max(m.toPos(d.to), from), 0, len) };
    });
  }

  // ---- typing -------------------------------------------------------------

  #scheduleUpdate(): void {
    if (!this.path) return;
    const now = Date.now();
    // Debounced within a burst of typing or while an Update is under way;
    // the first change after a pause goes at once: at the end of the
    // current task, so changes dispatched together are sent together. (A
    // timer would wait behind the frame the keystroke paints and the
    // browser's other input, some 20–30 ms.)
    const burst = this.#timer !== null || this.#soon !== null || this.#updating !== null || now - this.#lastInput < this.#debounceMs;
    this.#lastInput = now;
    this.cancelUpdate();
    if (burst) {
      this.#timer = setTimeout(() => {
        this.#timer = null;
        void this.#sendUpdate();
      }, this.#debounceMs);
      return;
    }
    const soon = {};
    this.#soon = soon;
    queueMicrotask(() => {
      if (this.#soon !== soon) return;
      this.#soon = null;
      void this.#sendUpdate();
    });
  }

  protected cancelUpdate(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#soon = null;
  }

  async #sendUpdate(): Promise<void> {
    const path = this.path;
    if (!path) return;
    const doc = this.#state.doc;
    if (this.#known && doc.eq(this.#known)) return;
    const seq = ++this.#updateSeq;
    // Just what changed since the text Go has, when that is known; else
    // (or when Go's copy moved on meanwhile) the whole text.
    const edits = this.#known && this.#sinceKnown ? this.#goEdits(this.#sinceKnown, this.#known) : null;
    const version = this.version;
    const whole = () => this.api.workspace.update(path, doc.sliceString(0, doc.length, this.#sep));
    this.#sinceSent = ChangeSet.empty(doc.length);
    const run = (async () => {
      try {
        const a = edits
          ? await this.api.workspace.edit(path, version, edits).catch((err) => {
              if (errorCode(err) === 'stale') return whole();
              throw err;
            })
          : await whole();
        if (seq !== this.#updateSeq || path !== this.path) return;
        this.#known = doc;
        this.#sinceKnown = this.#sinceSent;
        this.version = a.version;
        // Only results for the text on screen are shown; a newer Update follows otherwise.
        if (this.#state.doc === doc) this.#setAnalysis(a);
        this.error = null;
      } catch (err) {
        if (seq === this.#updateSeq) this.error = errorMessage(err);
      } finally {
        if (seq === this.#updateSeq) this.#sinceSent = null;
      }
    })();
    this.#updating = run;
    await run;
    if (this.#updating === run) this.#updating = null;
  }

  #setKnown(doc: Text | null): void {
    this.#known = doc;
    this.#sinceKnown = doc ? ChangeSet.empty(doc.length) : null;
    this.#sinceSent = null;
  }

  /** changes (made on base) as Go's text changes: UTF-16 offsets of base's text with its line breaks. */
  #goEdits(changes: ChangeSet, base: Text): TextEdit[] {
    const m = mapperOf(base, this.#sep);
    const out: TextEdit[] = [];
    changes.iterChanges((fromA, toA, _fromB, _toB, inserted) => {
      out.push({ from: m.toOffset(fromA), to: m.toOffset(toA), insert: inserted.sliceString(0, inserted.length, this.#sep) });
    });
    return out;
  }

  /** Sends any typed text Go has not seen and waits for the answer. */
  async flush(): Promise<void> {
    this.cancelUpdate();
    if (this.#updating) await this.#updating;
    if (this.path && !(this.#known && this.#state.doc.eq(this.#known))) await this.#sendUpdate();
  }

  // ---- operations ---------------------------------------------------------

  /** Runs operations one after another, each on the result of the previous one. */
  #enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(fn, fn);
    this.#queue = next.catch(() => {});
    return next;
  }

  /**
   * Performs a canvas action through Go; resolves to whether it succeeded.
   * applied runs right after the new text and graph are in place, in the
   * same task, so what it changes (a selection, positions) shows in the
   * same frame instead of one after.
   */
  apply(op: EditOp, applied?: () => void): Promise<boolean> {
    return this.#enqueue(() => this.#change((path) => this.api.workspace.apply(path, op, this.version), op.op, applied));
  }

  /** Formats the whole file (Ctrl+Shift+F). */
  format(): Promise<boolean> {
    return this.#enqueue(() => this.#change((path) => this.api.workspace.format(path), 'format'));
  }

  async #change(send: (path: string) => Promise<Change>, what: string, applied?: () => void, retried = false): Promise<boolean> {
    const path = this.path;
    if (!path) return false;
    await this.flush();
    if (!this.parseOK && what !== 'format') {
      this.error = 'The text has syntax errors: fix them in the editor before editing on the canvas.';
      return false;
    }
    const base = this.#state.doc;
    this.#tracked = ChangeSet.empty(base.length);
    this.pending++;
    let retry = false;
    try {
      const ch = await send(path);
      if (path !== this.path) return false;
      this.#applyChange(ch, base, what);
      this.error = null;
      applied?.();
      return true;
    } catch (err) {
      const msg = errorMessage(err);
      // Go's copy moved on (another window, a reload): send our text again and retry once.
      if (!retried && errorCode(err) === 'stale') retry = true;
      else this.error = msg;
    } finally {
      this.pending--;
      this.#tracked = null;
    }
    if (!retry) return false;
    this.#setKnown(null);
    await this.flush();
    return this.#change(send, what, applied, true);
  }

  /** Dispatches the text change Go answered with, mapped over anything typed meanwhile. */
  #applyChange(ch: Change, base: Text, what: string): void {
    if (ch.layout) this.takeLayout(ch.layout);
    // No edits: Go's text is the text the operation was made on.
    let changes = ChangeSet.empty(base.length);
    const edits = [...(ch.edits ?? [])].sort((a, b) => a.from - b.from || a.to - b.to);
    if (edits.length > 0) {
      const m = mapperOf(base, this.#sep);
      const specs: ChangeSpec[] = edits.map((e) => ({ from: m.toPos(e.from), to: m.toPos(e.to), insert: e.insert }));
      changes = ChangeSet.of(specs, base.length, this.#sep);
    }
    const typedMeanwhile = this.#tracked && !this.#tracked.empty ? this.#tracked : null;
    if (typedMeanwhile) changes = changes.map(typedMeanwhile);
    if (!changes.empty) {
      this.#dispatch({
        changes,
        annotations: [fromGo.of(true), Transaction.userEvent.of(what === 'format' ? 'format' : 'canvas')],
      });
    }
    this.version = ch.version;
    if (!typedMeanwhile && this.#length() !== ch.length) {
      // The edits did not produce Go's text (should not happen): take Go's text.
      this.#setKnown(null);
      void this.#resync();
      return;
    }
    if (typedMeanwhile) {
      this.#setKnown(null);
      this.#scheduleUpdate();
    } else {
      this.#setKnown(this.#state.doc);
      this.#setAnalysis(ch);
    }
  }

  /** Asks Go for the whole graph of the text of version (which it holds). */
  async #refetchGraph(version: number): Promise<void> {
    const path = this.path;
    const doc = this.#state.doc;
    if (!path) return;
    try {
      const a = await this.api.workspace.analyze(path, this.text);
      // Typed since: the graph would be of a newer text than version's; the
      // Update that follows the typing brings a delta, and a new request.
      if (path !== this.path || this.version !== version || this.#state.doc !== doc || !a.graph) return;
      this.graph = a.graph;
      this.#graphVersion = version;
    } catch (err) {
      this.error = errorMessage(err);
    }
  }

  /** The text's length in UTF-16 code units, line separators as in the file. */
  #length(): number {
    const doc = this.#state.doc;
    return doc.length + (this.#sep === '\r\n' ? doc.lines - 1 : 0);
  }

  /** Takes Go's copy of the open document's text (undoable). */
  async #resync(): Promise<void> {
    const path = this.path;
    if (!path) return;
    try {
      const doc = await this.api.workspace.open(path);
      if (path === this.path) this.replaceText(doc, true);
    } catch (err) {
      this.error = errorMessage(err);
    }
  }

  /** Replaces the text with a document from Go by one minimal change. */
  protected replaceText(doc: Doc, addToHistory: boolean): void {
    this.cancelUpdate();
    this.#updateSeq++;
    const d = minimalChange(this.#state.sliceDoc(), doc.text);
    if (d) {
      const m = mapperOf(this.#state.doc, this.#sep);
      this.#dispatch({
        changes: { from: m.toPos(d.from), to: m.toPos(d.to), insert: d.insert },
        annotations: [fromGo.of(true), Transaction.addToHistory.of(addToHistory), Transaction.userEvent.of('reload')],
      });
    }
    this.#setKnown(this.#state.doc);
    if (doc.layout) this.takeLayout(doc.layout);
    this.#setAnalysis(doc);
  }

  dismissError(): void {
    this.error = null;
  }
}

function mapDiagnostics(diags: Diagnostic[], changes: ChangeSet): Diagnostic[] {
  return diags.map((d) => {
    const from = changes.mapPos(d.from, 1);
    return { ...d, from, to: Math.max(from, changes.mapPos(d.to, -1)) };
  });
}

function clamp(n: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, n));
}

