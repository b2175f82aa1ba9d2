// The run store: one local run of the open workflow on the embedded engine.
// It follows the run's metrics and status events and keeps, per canvas
// node, the latest numbers and a short rate history for sparklines.

import {
  Events, errorMessage, wailsApi,
  type Api, type DeadLetter, type MetricsEvent, type Pin, type ReloadResult, type RunInfo, type RunReloadedEvent, type RunStatus,
  type Sent, type SendResult, type Snapshot, type TraceRecord, type Unsubscribe,
} from '../api';
import type { NodeMetrics } from '../graph/project';
import { agentNodeId } from '../api/protocol.gen';

/** Samples kept per node for the sparkline. */
export const SERIES_LENGTH = 40;

export type RunState = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped' | 'failed' | string;

/** The canvas node id of an agent's snapshot. */
export function nodeIdOf(s: Pick<Snapshot, 'workflow' | 'agent'>): string {
  return agentNodeId(s.workflow, s.agent);
}

/** Folds a metrics event into the per-node metrics, keeping the rate history. */
export function foldMetrics(prev: ReadonlyMap<string, NodeMetrics>, snapshots: readonly Snapshot[]): Map<string, NodeMetrics> {
  const next = new Map(prev);
  for (const s of snapshots) {
    const id = nodeIdOf(s);
    const old = prev.get(id);
    const series = [...(old?.series ?? []), s.rate_per_s].slice(-SERIES_LENGTH);
    next.set(id, {
      rate: s.rate_per_s,
      p50: s.latency_ms?.p50 ?? 0,
      p99: s.latency_ms?.p99 ?? 0,
      errors: s.errors,
      in: s.events_in,
      out: s.events_out,
      inFlight: s.in_flight,
      deadLettered: s.dead_lettered,
      series,
    });
  }
  return next;
}

/** One line of the send tab's list: a pinned payload, or a recently sent one. */
export interface SendEntry {
  payload: string;
  pinned: boolean;
  /** The event and trace of a sent entry. */
  eventID?: string;
  traceID?: string;
}

/**
 * The send tab's list: pinned payloads first (most recently pinned first),
 * then the sent ones, most recent first, without the pinned ones (a payload
 * shows once).
 */
export function sendEntries(pins: readonly Pin[], sent: readonly Sent[]): SendEntry[] {
  const pinned = new Set(pins.map((p) => p.payload));
  const out: SendEntry[] = pins.map((p) => ({ payload: p.payload, pinned: true }));
  const seen = new Set<string>();
  for (const s of sent) {
    if (pinned.has(s.payload) || seen.has(s.payload)) continue;
    seen.add(s.payload);
    out.push({ payload: s.payload, pinned: false, eventID: s.eventID, traceID: s.traceID });
  }
  return out;
}

export class RunStore {
  info = $state.raw<RunInfo | null>(null);
  state = $state<RunState>('idle');
  error = $state<string | null>(null);
  /** Why the last run failed by itself (a source failed, the bus went away); cleared by the next start. */
  failure = $state<string | null>(null);
  /** Latest snapshot by node id. */
  snapshots = $state.raw<Map<string, Snapshot>>(new Map());
  metrics = $state.raw<Map<string, NodeMetrics>>(new Map());
  ledger = $state.raw<unknown>(null);
  /** Records shown in the events panel, and the trace picked from them. */
  records = $state.raw<TraceRecord[]>([]);
  trace = $state.raw<TraceRecord[]>([]);
  traceID = $state<string | null>(null);
  deadLetters = $state.raw<DeadLetter[]>([]);
  sentHistory = $state.raw<Sent[]>([]);
  /** Payloads pinned for the source shown in the send tab (kept by Go per file and source). */
  pins = $state.raw<Pin[]>([]);
  /** What the last hot reload changed, shown briefly in the toolbar. */
  lastReload = $state.raw<ReloadResult | null>(null);
  lastSent = $state.raw<SendResult | null>(null);

  api: Api;
  #unsubscribe: Unsubscribe[] = [];

  constructor(api: Api = wailsApi) {
    this.api = api;
  }

  get running(): boolean {
    return this.info !== null && (this.state === 'running' || this.state === 'starting' || this.state === 'reloading');
  }

  async start(path: string): Promise<boolean> {
    if (this.info) await this.stop();
    this.state = 'starting';
    this.error = null;
    this.failure = null;
    try {
      const info = await this.api.runs.start(path);
      this.#attach(info);
      if (this.state === 'starting') this.state = 'running';
      return true;
    } catch (err) {
      this.state = 'failed';
      this.error = errorMessage(err);
      return false;
    }
  }

  /** Follows a run: its metrics, status, dead letters and reloads. */
  #attach(info: RunInfo): void {
    if (this.info?.id === info.id) return;
    for (const u of this.#unsubscribe) u();
    this.#unsubscribe = [];
    this.info = info;
    this.state = info.state && info.state !== 'running' ? info.state : 'running';
    this.metrics = new Map();
    this.snapshots = new Map();
    this.records = [];
    this.trace = [];
    this.traceID = null;
    this.deadLetters = [];
    this.lastReload = null;
    this.#unsubscribe.push(
      this.api.events.on<MetricsEvent>(Events.runMetrics(info.id), (e) => this.onMetrics(e)),
      this.api.events.on<RunStatus>(Events.runStatus(info.id), (s) => this.onStatus(s)),
      this.api.events.on<DeadLetter>(Events.runDeadLetter(info.id), (d) => {
        this.deadLetters = [...this.deadLetters, d].slice(-200);
      }),
      this.api.events.on<RunReloadedEvent>(Events.runReloaded(info.id), (e) => {
        if (e.error) this.error = `Reload failed, the previous version keeps running: ${e.error}`;
        else {
          this.lastReload = e.result;
          this.error = null;
        }
      }),
    );
  }

  /**
   * Follows runs Go starts on its own (kumeo-desktop --run) for the open
   * file, including one already running when the window opens. attached
   * is called for each run taken up that way (not for Run-button starts).
   */
  follow(currentPath: () => string | null, attached?: (info: RunInfo) => void): Unsubscribe {
    const mine = (info: RunInfo) => !info.path || info.path === currentPath();
    const off = this.api.events.on<RunInfo>(Events.runStarted, (info) => {
      // While start() waits for Go, the run announced is most likely its own.
      const own = this.state === 'starting';
      if (!mine(info) || (this.info && own)) return;
      const known = this.info?.id === info.id;
      this.#attach(info);
      if (!known && !own) attached?.(info);
    });
    this.#currentPath = currentPath;
    this.#attached = attached ?? null;
    void this.pickUp();
    return () => {
      off();
      if (this.#currentPath === currentPath) {
        this.#currentPath = null;
        this.#attached = null;
      }
    };
  }

  #currentPath: (() => string | null) | null = null;
  #attached: ((info: RunInfo) => void) | null = null;

  /**
   * Attaches to a run already going for the open file, when none is
   * followed: call it when a file opens (its run may have been started
   * before the window reloaded).
   */
  async pickUp(): Promise<void> {
    const current = this.#currentPath;
    if (!current || this.info) return;
    const path = current();
    let list: RunInfo[];
    try {
      list = (await this.api.runs.list()) ?? [];
    } catch {
      return;
    }
    if (this.info || current() !== path) return;
    const live = list.filter((r) => (!r.state || r.state === 'running') && (!r.path || r.path === path)).at(-1);
    if (!live) return;
    this.#attach(live);
    this.#attached?.(live);
  }

  async stop(): Promise<void> {
    const info = this.info;
    if (!info) return;
    this.state = 'stopping';
    try {
      await this.api.runs.stop(info.id);
    } catch (err) {
      this.error = errorMessage(err);
    }
    for (const u of this.#unsubscribe) u();
    this.#unsubscribe = [];
    this.info = null;
    this.state = 'stopped';
  }

  /** Hot-reloads the running workflow from the current text. */
  async reload(): Promise<boolean> {
    if (!this.info) return false;
    try {
      this.lastReload = await this.api.runs.reload(this.info.id);
      this.error = null;
      return true;
    } catch (err) {
      this.error = errorMessage(err);
      return false;
    }
  }

  onMetrics(e: MetricsEvent): void {
    const snaps = e?.snapshots ?? [];
    if (snaps.length === 0) return;
    const next = new Map(this.snapshots);
    for (const s of snaps) next.set(nodeIdOf(s), s);
    this.snapshots = next;
    this.metrics = foldMetrics(this.metrics, snaps);
    this.ledger = e.ledger ?? null;
  }

  onStatus(s: RunStatus): void {
    this.state = s.state;
    this.error = s.error || null;
    if (s.state === 'failed') this.failure = s.error || 'The run stopped by itself.';
    if (s.state === 'stopped' || s.state === 'failed') {
      for (const u of this.#unsubscribe) u();
      this.#unsubscribe = [];
      this.info = null;
    }
  }

  async send(source: string, json: string): Promise<SendResult | null> {
    if (!this.info) return null;
    try {
      JSON.parse(json);
    } catch (err) {
      this.error = `The event is not valid JSON: ${errorMessage(err)}`;
      return null;
    }
    try {
      const r = await this.api.runs.send(this.info.id, source, json);
      this.lastSent = r;
      this.error = null;
      await this.loadSentHistory(source);
      return r;
    } catch (err) {
      this.error = errorMessage(err);
      return null;
    }
  }

  async loadSentHistory(source: string): Promise<void> {
    if (!this.info) return;
    const path = this.info.path;
    try {
      // Most recent first.
      this.sentHistory = ((await this.api.runs.sentHistory(this.info.id, source)) ?? []).slice(0, 20);
    } catch {
      this.sentHistory = [];
    }
    try {
      this.pins = path ? ((await this.api.workspace.pins(path, source)) ?? []) : [];
    } catch {
      this.pins = [];
    }
  }

  /** Pins a payload for the run's file and source: it stays at the top of the list until unpinned. */
  pin(source: string, payload: string): Promise<boolean> {
    return this.#setPins((path) => this.api.workspace.pin(path, source, payload));
  }

  unpin(source: string, payload: string): Promise<boolean> {
    return this.#setPins((path) => this.api.workspace.unpin(path, source, payload));
  }

  async #setPins(call: (path: string) => Promise<Pin[] | null>): Promise<boolean> {
    const path = this.info?.path;
    if (!path) return false;
    try {
      this.pins = (await call(path)) ?? [];
      return true;
    } catch (err) {
      this.error = errorMessage(err);
      return false;
    }
  }

  /** Loads the recent records of an agent, or of every agent for '' (oldest first). */
  async loadRecent(agent: string, n = 50): Promise<void> {
    const info = this.info;
    if (!info) return;
    try {
      const agents = agent ? [agent] : info.agents ?? [];
      const lists = await Promise.all(agents.map((a) => this.api.runs.recent(info.id, a, agent ? n : Math.ceil(n / Math.max(1, agents.length)) + 5)));
      const all = lists.flatMap((l) => l ?? []);
      all.sort((a, b) => (a.seq ?? a.ts) - (b.seq ?? b.ts));
      this.records = all.slice(-n);
    } catch (err) {
      this.error = errorMessage(err);
    }
  }

  async loadTrace(traceID: string): Promise<void> {
    if (!this.info) return;
    this.traceID = traceID;
    try {
      this.trace = (await this.api.runs.trace(this.info.id, traceID)) ?? [];
    } catch (err) {
      this.error = errorMessage(err);
    }
  }

  clearTrace(): void {
    this.traceID = null;
    this.trace = [];
  }

  async loadDeadLetters(): Promise<void> {
    if (!this.info) return;
    try {
      this.deadLetters = (await this.api.runs.deadLetters(this.info.id)) ?? [];
    } catch (err) {
      this.error = errorMessage(err);
    }
  }

  async resend(seq: number): Promise<void> {
    if (!this.info) return;
    try {
      await this.api.runs.resend(this.info.id, seq);
      await this.loadDeadLetters();
    } catch (err) {
      this.error = errorMessage(err);
    }
  }

  /** Agents the current trace passed through, as canvas node ids. */
  get traceNodes(): Set<string> {
    const wf = this.info?.workflow ?? '';
    return new Set(this.trace.map((r) => agentNodeId(wf, r.agent)));
  }
}

export const run = new RunStore(wailsApi);
