// The only module that touches window.go and window.runtime. Stores take an
// Api object, so tests pass fakes and the real one is built here from the
// Wails bindings (or from a harness that provides the same globals).

import type {
  AgentStatus, Analysis, Change, ClusterContexts, Conflict, DeadLetter, DeployJob, DeployPreview, DeployRevision, DeployStatus, DeployTarget,
  Diagnostic, DirEntry, Doc, EditOp, Layout, MetricsEvent, MetricsWatch, Pin, ReloadResult, RunInfo, RunStatus, Sent, SendResult, TextEdit,
  TraceRecord, TypeSpec,
} from './types';

import { toApiError } from './errors';

export type * from './types';
export { ApiError, errorCode, errorMessage } from './errors';

export interface WorkspaceApi {
  initialPath(): Promise<string>;
  open(path: string): Promise<Doc>;
  update(path: string, text: string): Promise<Analysis>;
  /** Update with just the changes made on the text of version (UTF-16 offsets of Go's text). */
  edit(path: string, version: number, edits: TextEdit[]): Promise<Analysis>;
  /** Diagnostics and graph of a text, without storing it (the merge check). */
  analyze(path: string, text: string): Promise<Analysis>;
  apply(path: string, op: EditOp, baseVersion: number): Promise<Change>;
  format(path: string): Promise<Change>;
  save(path: string): Promise<void>;
  saveAs(path: string, newPath: string): Promise<void>;
  revert(path: string): Promise<Doc>;
  setLayout(path: string, layout: Layout): Promise<void>;
  specs(): Promise<TypeSpec[]>;
  listDir(dir: string): Promise<DirEntry[]>;
  recent(): Promise<string[]>;
  newFromTemplate(dir: string, name: string): Promise<Doc>;
  close(path: string): Promise<void>;
  resolveConflict(path: string, choice: 'mine' | 'theirs' | 'merge', mergedText: string): Promise<Doc>;
  /** Test events pinned for a source of a workflow file, most recently pinned first. */
  pins(path: string, source: string): Promise<Pin[]>;
  pin(path: string, source: string, payload: string): Promise<Pin[]>;
  unpin(path: string, source: string, payload: string): Promise<Pin[]>;
}

export interface RunsApi {
  start(path: string): Promise<RunInfo>;
  stop(id: string): Promise<void>;
  reload(id: string): Promise<ReloadResult>;
  check(path: string): Promise<Diagnostic[]>;
  list(): Promise<RunInfo[]>;
  send(id: string, source: string, json: string): Promise<SendResult>;
  sentHistory(id: string, source: string): Promise<Sent[]>;
  recent(id: string, agent: string, n: number): Promise<TraceRecord[]>;
  trace(id: string, traceID: string): Promise<TraceRecord[]>;
  deadLetters(id: string): Promise<DeadLetter[]>;
  resend(id: string, seq: number): Promise<void>;
}

/** The cluster side: app.Deploy. A job's progress arrives as events (Events.deploy*). */
export interface DeployApi {
  contexts(): Promise<ClusterContexts>;
  /** What deploying the document's current text (saved or not) would change. */
  preview(target: DeployTarget): Promise<DeployPreview>;
  start(target: DeployTarget): Promise<DeployJob>;
  /** Restores a recorded deploy (0: the one before the latest) as a new revision. */
  rollback(target: DeployTarget, revision: number): Promise<DeployJob>;
  undeploy(target: DeployTarget): Promise<DeployJob>;
  cancel(id: string): Promise<void>;
  jobs(): Promise<DeployJob[]>;
  /** The latest status of a running or recently finished job (what its events said so far). */
  jobStatus(id: string): Promise<DeployStatus>;
  status(target: DeployTarget): Promise<AgentStatus[]>;
  /** Recorded deploys, oldest first. */
  history(target: DeployTarget): Promise<DeployRevision[]>;
  revisionSource(target: DeployTarget, revision: number): Promise<string>;
  /**
   * Streams the deployed workflow's metrics (Events.deployMetrics(id), a
   * ClusterMetricsEvent: the local run's snapshot schema) until stopMetrics.
   */
  watchMetrics(target: DeployTarget): Promise<MetricsWatch>;
  stopMetrics(id: string): Promise<void>;
}

export type Unsubscribe = () => void;

export interface EventsApi {
  on<T = unknown>(name: string, listener: (data: T) => void): Unsubscribe;
}

export interface Api {
  workspace: WorkspaceApi;
  runs: RunsApi;
  deploy: DeployApi;
  events: EventsApi;
}

/** Event names emitted by the Go services. */
export const Events = {
  reloaded: 'workspace:reloaded',
  conflict: 'workspace:conflict',
  opened: 'workspace:opened',
  runMetrics: (id: string) => `run:${id}:metrics`,
  runStatus: (id: string) => `run:${id}:status`,
  runDeadLetter: (id: string) => `run:${id}:deadletter`,
  runReloaded: (id: string) => `run:${id}:reloaded`,
  runStarted: 'runs:started',
  deployEvent: (id: string) => `deploy:${id}:event`,
  deployStatus: (id: string) => `deploy:${id}:status`,
  deployMetrics: (id: string) => `deploy:${id}:metrics`,
} as const;

export type ConflictEvent = Conflict;
export type { MetricsEvent, RunStatus };

type Method = (...args: unknown[]) => Promise<unknown>;

interface WailsWindow {
  go?: { app?: Record<string, Record<string, Method> | undefined> };
  runtime?: { EventsOnMultiple?: (name: string, cb: (...data: unknown[]) => void, max: number) => Unsubscribe };
}

function wails(): WailsWindow {
  return (globalThis as unknown as { window?: WailsWindow }).window ?? {};
}

/** Calls window.go.app.<service>.<method>; rejects when the binding is missing. */
function call<T>(service: string, method: string, ...args: unknown[]): Promise<T> {
  const fn = wails().go?.app?.[service]?.[method];
  if (typeof fn !== 'function') {
    return Promise.reject(new Error(`${service}.${method} is not available`));
  }
  return (fn(...args) as Promise<T>).catch((err: unknown) => {
    throw toApiError(err);
  });
}

function has(service: string, method: string): boolean {
  return typeof wails().go?.app?.[service]?.[method] === 'function';
}

export const wailsApi: Api = {
  workspace: {
    initialPath: () => (has('Workspace', 'InitialPath') ? call('Workspace', 'InitialPath') : Promise.resolve('')),
    open: (path) => call('Workspace', 'Open', path),
    update: (path, text) => call('Workspace', 'Update', path, text),
    edit: (path, version, edits) => call('Workspace', 'Edit', path, version, edits),
    analyze: (path, text) => call('Workspace', 'Analyze', path, text),
    apply: (path, op, baseVersion) => call('Workspace', 'Apply', path, JSON.stringify(op), baseVersion),
    format: (path) => call('Workspace', 'Format', path),
    save: (path) => call('Workspace', 'Save', path),
    saveAs: (path, newPath) => call('Workspace', 'SaveAs', path, newPath),
    revert: (path) => call('Workspace', 'Revert', path),
    setLayout: (path, layout) => call('Workspace', 'SetLayout', path, layout),
    specs: () => call('Workspace', 'Specs'),
    listDir: (dir) => call('Workspace', 'ListDir', dir),
    recent: () => call('Workspace', 'Recent'),
    newFromTemplate: (dir, name) => call('Workspace', 'NewFromTemplate', dir, name),
    close: (path) => call('Workspace', 'Close', path),
    resolveConflict: (path, choice, mergedText) => call('Workspace', 'ResolveConflict', path, choice, mergedText),
    pins: (path, source) => call('Workspace', 'Pins', path, source),
    pin: (path, source, payload) => call('Workspace', 'Pin', path, source, payload),
    unpin: (path, source, payload) => call('Workspace', 'Unpin', path, source, payload),
  },
  runs: {
    start: (path) => call('Runs', 'Start', path),
    stop: (id) => call('Runs', 'Stop', id),
    reload: (id) => call('Runs', 'Reload', id),
    check: (path) => call('Runs', 'Check', path),
    list: () => call('Runs', 'List'),
    send: (id, source, json) => call('Runs', 'Send', id, source, json),
    sentHistory: (id, source) => call('Runs', 'SentHistory', id, source),
    recent: (id, agent, n) => call('Runs', 'Recent', id, agent, n),
    trace: (id, traceID) => call('Runs', 'Trace', id, traceID),
    deadLetters: (id) => call('Runs', 'DeadLetters', id),
    resend: (id, seq) => call('Runs', 'Resend', id, seq),
  },
  deploy: {
    contexts: () => call('Deploy', 'Contexts'),
    preview: (target) => call('Deploy', 'Preview', target),
    start: (target) => call('Deploy', 'Start', target),
    rollback: (target, revision) => call('Deploy', 'Rollback', target, revision),
    undeploy: (target) => call('Deploy', 'Undeploy', target),
    cancel: (id) => call('Deploy', 'Cancel', id),
    jobs: () => call('Deploy', 'Jobs'),
    jobStatus: (id) => call('Deploy', 'JobStatus', id),
    status: (target) => call('Deploy', 'Status', target),
    history: (target) => call('Deploy', 'History', target),
    revisionSource: (target, revision) => call('Deploy', 'RevisionSource', target, revision),
    watchMetrics: (target) => call('Deploy', 'WatchMetrics', target),
    stopMetrics: (id) => call('Deploy', 'StopMetrics', id),
  },
  events: {
    on(name, listener) {
      const on = wails().runtime?.EventsOnMultiple;
      if (typeof on !== 'function') return () => {};
      // Go emits one payload per event; Wails passes it as the first argument.
      return on(name, (data: unknown) => listener(data as never), -1);
    },
  },
};
