// Data shapes exchanged with the Go services (app.Workspace, app.Runs).
// Every text offset is a UTF-16 code unit offset, i.e. a CodeMirror
// position.

import type { Diagnostic, Span } from './protocol.gen';

// The document protocol (text, graph, diagnostics, edits, errors) is
// generated from Go.
export type * from './protocol.gen';

/**
 * A source range: Go sends a Span; the raw dsl shape
 * {start:{offset},end:{offset}} of `kumeo graph` (the test fixtures) is read
 * too.
 */
export type SourceRange =
  | Span
  | { start: { offset: number; line?: number; column?: number }; end: { offset: number; line?: number; column?: number } };

/** A round-trip edit operation (dsl.Op). */
export type EditOp =
  | { op: 'add_agent'; workflow?: string; after?: string | null; agent: string; stage?: string }
  | { op: 'remove_agent'; workflow?: string; id: string }
  | { op: 'rename_agent'; workflow?: string; id: string; to: string }
  // id: an agent id, 'workflow', or 'source' / 'target' with the endpoint's
  // index; for an endpoint, no key sets the whole call, 'address' its address.
  | { op: 'set'; workflow?: string; id: string; index?: number; key?: string; value: string }
  | { op: 'unset'; workflow?: string; id: string; index?: number; key: string }
  | { op: 'connect'; workflow?: string; from: string; to: string }
  | { op: 'disconnect'; workflow?: string; from: string; to: string }
  | { op: 'move_agent'; workflow?: string; id: string; index: number }
  | { op: 'add_source' | 'add_target'; workflow?: string; value: string }
  | { op: 'remove_source' | 'remove_target'; workflow?: string; address?: string; index?: number };

export type ArgKind =
  | 'any' | 'string' | 'number' | 'bool' | 'object' | 'array' | 'expression' | 'duration'
  | 'channel' | 'template' | 'model' | 'schema' | 'retry' | 'agent' | 'on_failure';

export interface ArgSpec {
  name: string;
  kind: ArgKind;
  required?: boolean;
  positional: number;
  default?: unknown;
  enum?: string[];
  doc: string;
}

export type Category = 'agent' | 'source' | 'target' | 'context';

export interface TypeSpec {
  name: string;
  categories: Category[];
  doc: string;
  icon?: string;
  args: ArgSpec[];
  config_keys?: ArgSpec[];
  runnable: boolean;
}

export interface LatencySummary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** engine/metrics.Snapshot */
export interface Snapshot {
  workflow: string;
  agent: string;
  ts: number;
  events_in: number;
  events_out: number;
  filtered: number;
  dead_lettered: number;
  errors: number;
  retries: number;
  in_flight: number;
  pending: number;
  rate_per_s: number;
  latency_ms: LatencySummary;
}

export interface MetricsEvent {
  snapshots: Snapshot[];
  ledger?: unknown;
}

/**
 * deploy:<id>:metrics (app.ClusterMetricsEvent): the deployed workflow's
 * snapshots, each agent's replicas merged, and the state of the link to
 * the cluster's NATS.
 */
export interface ClusterMetricsEvent extends MetricsEvent {
  snapshots: (Snapshot & { replicas: number; stale: boolean })[];
  connected: boolean;
  via?: string;
  error?: string;
  /** How old the newest snapshot is, -1 before the first. */
  ageMs: number;
}

export interface RunSource {
  address: string;
  type: string;
  subject: string;
}

export interface RunInfo {
  id: string;
  path?: string;
  workflow: string;
  agents: string[];
  sources: RunSource[];
  httpURL?: string;
  /** host:port of the MQTT listener when the workflow has MQTT endpoints. */
  mqttAddr?: string;
  state?: string;
  startMs?: number;
  /** What the run goes without (contexts, output_schema checks, notifications), as warnings on the text. */
  skipped?: Diagnostic[] | null;
}

/** What a hot reload changed (agent names). */
export interface ReloadResult {
  kept: string[] | null;
  changed: string[] | null;
  added: string[] | null;
  removed: string[] | null;
}

/** run:<id>:reloaded, after a save reloaded the running workflow. */
export interface RunReloadedEvent {
  id: string;
  result: ReloadResult;
  error: string;
  diagnostics: Diagnostic[] | null;
}

/** A test event sent to a source. */
export interface Sent {
  eventID: string;
  traceID: string;
  payload: string;
  ts: number;
}

/** A test event payload pinned for a source of a workflow file, kept across runs and restarts. */
export interface Pin {
  payload: string;
  ts: number;
}

export interface RunStatus {
  id?: string;
  state: string;
  error?: string;
}

export interface SendResult {
  eventID: string;
  traceID: string;
}

/** engine/trace.Record */
export interface TraceRecord {
  trace_id: string;
  event_id: string;
  parent_id?: string;
  hop?: number;
  from?: string;
  seq?: number;
  ts: number;
  agent: string;
  dir: 'in' | 'out' | 'filtered' | 'dlq' | string;
  subject?: string;
  size?: number;
  payload?: string;
  truncated?: boolean;
  error?: string;
}

export interface DeadLetter {
  seq: number;
  agent: string;
  error: string;
  payload: string;
  traceID: string;
  ts: number;
}
