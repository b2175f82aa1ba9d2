// The deploy store: the open workflow and a Kubernetes cluster. It picks
// the kubeconfig context and namespace, keeps the change set of the
// document's current text against the cluster, runs deploys, rollbacks and
// undeploys as Go jobs whose progress arrives as events, follows each
// agent's rollout, and lists the deploy history. It also says where the
// canvas' live numbers come from: the local run or the cluster.

import {
  Events, errorCode, errorMessage, wailsApi,
  type AgentStatus, type Api, type ClusterMetricsEvent, type DeployAction, type DeployEvent, type DeployJob, type DeployJobKind, type DeployPreview,
  type DeployRevision, type DeployState, type DeployStatus, type DeployTarget, type ErrorCode, type Unsubscribe,
} from '../api';
import { agentNodeId } from '../api/protocol.gen';
import type { NodeDeploy, NodeMetrics } from '../graph/flow';
import { foldMetrics } from './run.svelte';
import { workspace } from './workspace.svelte';

/** Where the canvas' live numbers come from. */
export type MetricsSource = 'local' | 'cluster';

/** The state of the store's job: none yet, or the last job's. */
export type JobState = 'idle' | 'starting' | DeployState;

/** One line of the progress log. */
export interface LogLine {
  step: string;
  text: string;
  failed?: boolean;
}

/** A progress event as one line of text. */
export function describeEvent(e: DeployEvent): LogLine {
  if (e.change) {
    const c = e.change;
    const where = c.namespace ? `${c.namespace} ` : '';
    return { step: e.step, text: `${e.step} ${where}${c.kind}/${c.name}${c.note ? ` (${c.note})` : ''}${e.message ? ` — ${e.message}` : ''}` };
  }
  if (e.agent) {
    const a = e.agent;
    const reason = a.reason ? `: ${a.reason}` : '';
    return { step: e.step, text: `rollout ${a.kind}/${a.name} ${a.ready}/${a.desired} ready, ${a.phase}${reason}`, failed: a.phase === 'failed' };
  }
  return { step: e.step, text: `${e.step} ${e.message ?? ''}`.trim() };
}

/** The key of a workload's status: its agent id, or its name for NATS. */
function statusKey(s: AgentStatus): string {
  return s.agent || `${s.kind}/${s.name}`;
}

/**
 * What the canvas shows per agent node: the change set's action on it and
 * its rollout. workflow is the workflow's name in the file.
 */
export function nodeStates(workflow: string, agents: Readonly<Record<string, DeployAction>> | null, rollout: ReadonlyMap<string, AgentStatus>): Map<string, NodeDeploy> {
  const out = new Map<string, NodeDeploy>();
  if (!workflow) return out;
  for (const [id, action] of Object.entries(agents ?? {})) {
    out.set(agentNodeId(workflow, id), { action, phase: null, ready: 0, desired: 0, reason: '' });
  }
  for (const s of rollout.values()) {
    if (!s.agent) continue;
    const id = agentNodeId(workflow, s.agent);
    const prev = out.get(id) ?? { action: null, phase: null, ready: 0, desired: 0, reason: '' };
    out.set(id, { ...prev, phase: s.phase, ready: s.ready, desired: s.desired, reason: s.reason ?? '' });
  }
  return out;
}

export interface DeployStoreOptions {
  /** Sends the editor's pending edits to Go, so the text deployed is what the window shows. */
  flush?: () => Promise<void>;
  /** How long after the last edit the change set is refreshed (ms). */
  debounce?: number;
}

export class DeployStore {
  contexts = $state.raw<string[]>([]);
  /** The kubeconfig's current context. */
  currentContext = $state('');
  /** The context picked ('' until the contexts are known). */
  context = $state('');
  /** The namespace asked for; '' is the workflow's (its deployment block's, else its name). */
  namespace = $state('');
  contextsError = $state<string | null>(null);

  preview = $state.raw<DeployPreview | null>(null);
  /** The document the preview is of. */
  previewPath = $state<string | null>(null);
  previewing = $state(false);
  previewError = $state<string | null>(null);
  previewCode = $state<ErrorCode | ''>('');

  job = $state.raw<DeployJob | null>(null);
  jobState = $state<JobState>('idle');
  jobError = $state<string | null>(null);
  jobCode = $state<ErrorCode | ''>('');
  /** The revision the last job recorded. */
  revision = $state(0);
  log = $state.raw<LogLine[]>([]);
  /** Each workload's rollout, by agent id (NATS by kind/name). */
  rollout = $state.raw<Map<string, AgentStatus>>(new Map());

  history = $state.raw<DeployRevision[]>([]);
  historyError = $state<string | null>(null);

  /** The panel is on screen: the canvas shows the change set and rollout. */
  visible = $state(false);

  // The canvas metrics seam: local run or cluster (Deploy.WatchMetrics).
  metricsSource = $state<MetricsSource>('local');
  clusterMetrics = $state.raw<Map<string, NodeMetrics>>(new Map());
  /** The link to the cluster's NATS while the canvas shows cluster metrics. */
  clusterLink = $state.raw<{ connected: boolean; via: string; error: string; ageMs: number } | null>(null);
  metricsError = $state<string | null>(null);

  api: Api;
  #flush: () => Promise<void>;
  #jobEvents: Unsubscribe[] = [];
  #metricsWatch: { id: string; off: Unsubscribe } | null = null;
  #previewSeq = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;
  readonly debounce: number;

  constructor(api: Api = wailsApi, options: DeployStoreOptions = {}) {
    this.api = api;
    this.#flush = options.flush ?? (() => Promise.resolve());
    this.debounce = options.debounce ?? 500;
  }

  /** A job is running. */
  get busy(): boolean {
    return this.jobState === 'starting' || this.jobState === 'applying' || this.jobState === 'rolling_out';
  }

  target(path: string): DeployTarget {
    return { path, workflow: '', context: this.context, namespace: this.namespace.trim() };
  }

  /** The workflow's name in the file, as the last preview or job gave it. */
  get workflow(): string {
    return this.preview?.workflow ?? this.job?.workflow ?? '';
  }

  /** Per canvas node: action and rollout. */
  get nodes(): Map<string, NodeDeploy> {
    return nodeStates(this.workflow, this.preview?.changes.agents ?? null, this.rollout);
  }

  /** What the canvas draws: the deploy states while the panel shows or a job runs, else nothing. */
  get overlay(): Map<string, NodeDeploy> | null {
    return this.visible || this.busy ? this.nodes : null;
  }

  /** Counts of the change set's objects by action. */
  get counts(): Record<DeployAction, number> {
    const n: Record<DeployAction, number> = { create: 0, update: 0, prune: 0, unchanged: 0 };
    for (const c of this.preview?.changes.changes ?? []) n[c.action]++;
    return n;
  }

  async loadContexts(): Promise<void> {
    try {
      const c = await this.api.deploy.contexts();
      this.contexts = c.contexts ?? [];
      this.currentContext = c.current;
      if (!this.context || !this.contexts.includes(this.context)) this.context = c.current || this.contexts[0] || '';
      this.contextsError = null;
    } catch (err) {
      this.contexts = [];
      this.contextsError = errorMessage(err);
    }
  }

  /** Picks a context (or namespace): what was shown was of another cluster. */
  choose(path: string | null, context: string, namespace = this.namespace): void {
    if (context === this.context && namespace === this.namespace) return;
    this.context = context;
    this.namespace = namespace;
    this.preview = null;
    this.rollout = new Map();
    this.history = [];
    if (path) void this.refresh(path);
  }

  /** Refreshes the change set once edits have paused. */
  schedule(path: string | null): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (!path || !this.context) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      if (!this.busy) void this.loadPreview(path);
    }, this.debounce);
  }

  /** The change set, the rollout and the history, all at once. */
  async refresh(path: string): Promise<void> {
    if (!this.context) await this.loadContexts();
    if (!this.context) return;
    await Promise.all([this.loadPreview(path), this.loadStatus(path), this.loadHistory(path)]);
  }

  /** The change set of the document's current text against the cluster. */
  async loadPreview(path: string): Promise<boolean> {
    const seq = ++this.#previewSeq;
    this.previewing = true;
    try {
      await this.#flush();
      const p = await this.api.deploy.preview(this.target(path));
      if (seq !== this.#previewSeq) return false;
      this.preview = p;
      this.previewPath = path;
      this.previewError = null;
      this.previewCode = '';
      return true;
    } catch (err) {
      if (seq !== this.#previewSeq) return false;
      this.preview = null;
      this.previewError = errorMessage(err);
      this.previewCode = errorCode(err);
      return false;
    } finally {
      if (seq === this.#previewSeq) this.previewing = false;
    }
  }

  async loadStatus(path: string): Promise<void> {
    try {
      const list = (await this.api.deploy.status(this.target(path))) ?? [];
      if (this.busy) return;
      this.rollout = new Map(list.map((s) => [statusKey(s), s]));
    } catch {
      // The preview says why the cluster cannot be read.
    }
  }

  async loadHistory(path: string): Promise<void> {
    try {
      this.history = (await this.api.deploy.history(this.target(path))) ?? [];
      this.historyError = null;
    } catch (err) {
      this.history = [];
      this.historyError = errorMessage(err);
    }
  }

  deploy(path: string): Promise<boolean> {
    return this.#startJob(path, 'deploy', (t) => this.api.deploy.start(t));
  }

  /** Restores a recorded revision (0: the one before the latest). */
  rollback(path: string, revision: number): Promise<boolean> {
    return this.#startJob(path, 'rollback', (t) => this.api.deploy.rollback(t, revision));
  }

  undeploy(path: string): Promise<boolean> {
    return this.#startJob(path, 'undeploy', (t) => this.api.deploy.undeploy(t));
  }

  async cancel(): Promise<void> {
    if (!this.job || !this.busy) return;
    try {
      await this.api.deploy.cancel(this.job.id);
    } catch (err) {
      this.jobError = errorMessage(err);
    }
  }

  async #startJob(path: string, kind: DeployJobKind, start: (t: DeployTarget) => Promise<DeployJob>): Promise<boolean> {
    if (this.busy) return false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#detachJob();
    this.jobState = 'starting';
    this.jobError = null;
    this.jobCode = '';
    this.log = [{ step: 'start', text: `${kind} ${this.preview?.workflow ?? ''} to ${this.namespace || this.preview?.namespace || 'its namespace'} on ${this.context}` }];
    if (kind !== 'undeploy') this.rollout = new Map();
    try {
      await this.#flush();
      // The job's events are namespaced by its id, known once it has
      // started: what it emitted before is read back with jobStatus.
      const job = await start(this.target(path));
      this.job = job;
      this.#attach(job, path);
      // What the job said before this window listened (a fast failure).
      const last = await this.api.deploy.jobStatus(job.id).catch(() => null);
      if (last && this.job?.id === job.id && this.busy && last.state !== 'applying') this.onStatus(last, path);
      return true;
    } catch (err) {
      this.jobState = 'failed';
      this.jobError = errorMessage(err);
      this.jobCode = errorCode(err);
      return false;
    }
  }

  #attach(job: DeployJob, path: string): void {
    if (this.jobState === 'starting') this.jobState = 'applying';
    this.#jobEvents.push(
      this.api.events.on<DeployEvent>(Events.deployEvent(job.id), (e) => this.onEvent(e)),
      this.api.events.on<DeployStatus>(Events.deployStatus(job.id), (s) => this.onStatus(s, path)),
    );
  }

  #detachJob(): void {
    for (const u of this.#jobEvents) u();
    this.#jobEvents = [];
  }

  onEvent(e: DeployEvent): void {
    this.log = [...this.log, describeEvent(e)].slice(-500);
    if (e.agent) {
      const next = new Map(this.rollout);
      next.set(statusKey(e.agent), e.agent);
      this.rollout = next;
    }
  }

  onStatus(s: DeployStatus, path: string): void {
    this.jobState = s.state;
    if (s.revision) this.revision = s.revision;
    if (s.agents?.length) this.rollout = new Map(s.agents.map((a) => [statusKey(a), a]));
    if (s.state === 'failed' || s.state === 'cancelled') {
      this.jobError = s.error || (s.state === 'cancelled' ? 'Cancelled.' : 'The deploy failed.');
      this.jobCode = s.code ?? '';
    }
    if (s.state === 'done' || s.state === 'failed' || s.state === 'cancelled') {
      this.#detachJob();
      const what = s.kind === 'undeploy' ? 'undeployed' : s.revision ? `revision ${s.revision}` : s.kind;
      this.log = [...this.log, { step: s.state, text: `${s.state}: ${what}${s.error ? ` — ${s.error}` : ''}`, failed: s.state !== 'done' }];
      void Promise.all([this.loadPreview(path), this.loadHistory(path)]);
    }
  }

  async revisionSource(path: string, revision: number): Promise<string | null> {
    try {
      return await this.api.deploy.revisionSource(this.target(path), revision);
    } catch (err) {
      this.historyError = errorMessage(err);
      return null;
    }
  }

  /**
   * The canvas metrics seam: the numbers the canvas draws, from the local
   * run (given) or from the cluster.
   */
  canvasMetrics(local: ReadonlyMap<string, NodeMetrics>): ReadonlyMap<string, NodeMetrics> {
    return this.metricsSource === 'cluster' ? this.clusterMetrics : local;
  }

  /** Switches the canvas between the local run's metrics and the cluster's (Go's Deploy.WatchMetrics). */
  async setMetricsSource(source: MetricsSource, path: string | null): Promise<boolean> {
    if (source === this.metricsSource) return true;
    await this.#stopMetrics();
    this.metricsError = null;
    if (source === 'local' || !path) {
      this.metricsSource = 'local';
      return true;
    }
    try {
      const w = await this.api.deploy.watchMetrics(this.target(path));
      const off = this.api.events.on<ClusterMetricsEvent>(Events.deployMetrics(w.id), (e) => {
        this.clusterLink = { connected: !!e.connected, via: e.via ?? '', error: e.error ?? '', ageMs: e.ageMs ?? -1 };
        if (e?.snapshots?.length) this.clusterMetrics = foldMetrics(this.clusterMetrics, e.snapshots);
      });
      this.#metricsWatch = { id: w.id, off };
      this.clusterMetrics = new Map();
      this.metricsSource = 'cluster';
      return true;
    } catch (err) {
      this.metricsError = `Cluster metrics: ${errorMessage(err)}`;
      this.metricsSource = 'local';
      return false;
    }
  }

  async #stopMetrics(): Promise<void> {
    const w = this.#metricsWatch;
    this.#metricsWatch = null;
    this.clusterLink = null;
    if (!w) return;
    w.off();
    try {
      await this.api.deploy.stopMetrics(w.id);
    } catch {
      // The stream is gone already.
    }
  }

  /** Forgets the cluster state of another document. */
  reset(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#previewSeq++;
    this.preview = null;
    this.previewPath = null;
    this.previewError = null;
    this.previewing = false;
    this.history = [];
    if (!this.busy) {
      this.rollout = new Map();
      this.log = [];
      this.jobState = 'idle';
      this.jobError = null;
    }
    void this.setMetricsSource('local', null);
  }
}

export const deploy = new DeployStore(wailsApi, { flush: () => workspace.flush() });
