// Data shapes exchanged with the Go services (app.Workspace, app.Runs).
// Every text offset is a UTF-16 code unit offset, i.e. a CodeMirror
// position.

import type { GraphDelta } from '../graph/delta';

export type NodeKind = 'source' | 'target' | 'context' | 'agent' | 'subworkflow' | 'deadletter';
export type EdgeKind = 'data' | 'route' | 'sink' | 'fallback' | 'deadletter' | 'mapping';

/** A source range. Go sends {from,to}; the raw dsl shape {start:{offset},end:{offset}} is accepted too. */
export type SourceRange =
  | { from: number; to: number }
  | { start: { offset: number; line?: number; column?: number }; end: { offset: number; line?: number; column?: number } };

export interface GraphNode {
  id: string;
  kind: NodeKind;
  type?: string;
  label: string;
  workflow: string;
  parent?: string;
  agent_id?: string;
  stage?: string;
  index: number;
  known: boolean;
  props?: Record<string, string>;
  range?: SourceRange;
}

export interface GraphEdge {
  id: string;
  from: string;
  to: string;
  kind: EdgeKind;
  channel?: string;
  label?: string;
  range?: SourceRange;
}

export interface Graph {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

export type Severity = 'error' | 'warning' | 'info';

export interface Diagnostic {
  severity: Severity;
  code: string;
  summary: string;
  detail?: string;
  from: number;
  to: number;
  line: number;
  col: number;
  suggestions?: string[];
}

export interface Point {
  x: number;
  y: number;
}

export type Layout = Record<string, Point>;

export interface Doc {
  path: string;
  name: string;
  text: string;
  version: number;
  graph: Graph | null;
  diagnostics: Diagnostic[] | null;
  layout: Layout | null;
  parseOK: boolean;
  dirty: boolean;
}

export interface Analysis {
  version: number;
  graph: Graph | null;
  diagnostics: Diagnostic[] | null;
  parseOK: boolean;
  /**
   * In place of graph: the graph as changes to the one of version
   * graphDelta.base, its ranges moved through graphDelta.edits (or, in a
   * Change, through its edits).
   */
  graphDelta?: GraphDelta;
}

export interface TextEdit {
  from: number;
  to: number;
  insert: string;
}

export interface Change extends Analysis {
  /**
   * The new text's length in UTF-16 code units: the edits applied to the
   * previous text must give a text this long (Go does not send the text).
   */
  length: number;
  edits: TextEdit[] | null;
}

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

export interface DirEntry {
  name: string;
  path: string;
  kind?: string;
  dir?: boolean;
  isDir?: boolean;
  size?: number;
  modTime?: number;
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

export interface Conflict {
  path: string;
  mine: string;
  theirs: string;
  /** The file's content both started from (absent from older senders). */
  base?: string;
}
