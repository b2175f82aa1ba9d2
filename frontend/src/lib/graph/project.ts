// The canvas is a pure function of the model: project() turns the graph Go
// sends (plus stored positions, computed positions, live metrics and
// diagnostics) into Svelte Flow nodes and edges. Same input, same output;
// nothing here reads or writes state.

import type { Diagnostic, Graph, GraphEdge, GraphNode, Layout, NodeKind, Point, Severity } from '../api/types';
import { GROUP_MIN, GROUP_PAD, rangeOf, sizeOf } from './geometry';
import type { FlowEdge, FlowNode, KumeoEdgeData, KumeoNodeData, NodeDeploy, NodeMetrics, Problem } from './flow';
import { placeLabels } from './labels';

export type { FlowEdge, FlowNode, KumeoEdgeData, KumeoNodeData, NodeDeploy, NodeMetrics, Problem } from './flow';

export interface ProjectInput {
  graph: Graph | null;
  /** Positions the user set (the layout sidecar). Children are relative to their group. */
  layout?: Layout | null;
  /** Positions computed for nodes the user has not placed. */
  auto?: Layout | null;
  /** Live metrics by node id. */
  metrics?: ReadonlyMap<string, NodeMetrics> | null;
  diagnostics?: readonly Diagnostic[] | null;
  running?: boolean;
  selected?: ReadonlySet<string> | null;
  /** Nodes an event trace passed through (highlighted). */
  traced?: ReadonlySet<string> | null;
  /** The agents in the cluster by node id (the deploy panel's change set and rollout). */
  deploy?: ReadonlyMap<string, NodeDeploy> | null;
}

export interface Projection {
  nodes: FlowNode[];
  edges: FlowEdge[];
}

/** Handle ids every node component uses. */
export const HANDLE_IN = 'in';
export const HANDLE_OUT = 'out';
/** Group handles for edges between a subworkflow and its own children. */
export const HANDLE_INNER_OUT = 'inner-out';
export const HANDLE_INNER_IN = 'inner-in';

export function project(input: ProjectInput): Projection {
  const graph = input.graph;
  if (!graph || !graph.nodes) return { nodes: [], edges: [] };
  const layout = input.layout ?? {};
  const auto = input.auto ?? {};
  const selected = input.selected ?? new Set<string>();
  const traced = input.traced ?? null;
  const running = !!input.running;

  const byId = new Map<string, GraphNode>();
  for (const n of graph.nodes) byId.set(n.id, n);
  const problems = assignProblems(graph.nodes, input.diagnostics ?? []);

  const positionOf = (n: GraphNode, i: number): Point =>
    layout[n.id] ?? auto[n.id] ?? { x: 40 + (i % 4) * 260, y: 40 + Math.floor(i / 4) * 140 };

  // Groups first: Svelte Flow needs a parent before its children.
  const groups = graph.nodes.filter((n) => n.kind === 'subworkflow');
  const others = graph.nodes.filter((n) => n.kind !== 'subworkflow');
  const childrenOf = new Map<string, GraphNode[]>();
  for (const n of others) {
    if (n.parent && byId.get(n.parent)?.kind === 'subworkflow') {
      const list = childrenOf.get(n.parent) ?? [];
      list.push(n);
      childrenOf.set(n.parent, list);
    }
  }
  // Fallback grid slot of each node among its siblings (used only before
  // the auto layout has answered).
  const slot = new Map<string, number>();
  const counters = new Map<string, number>();
  for (const n of graph.nodes) {
    const key = n.parent && byId.get(n.parent)?.kind === 'subworkflow' && n.kind !== 'subworkflow' ? n.parent : '';
    const c = counters.get(key) ?? 0;
    slot.set(n.id, c);
    counters.set(key, c + 1);
  }

  const nodes: FlowNode[] = [];
  for (const g of groups) {
    const kids = childrenOf.get(g.id) ?? [];
    let width = GROUP_MIN.width;
    let height = GROUP_MIN.height;
    for (const k of kids) {
      const p = positionOf(k, slot.get(k.id)!);
      const s = sizeOf(k.kind);
      width = Math.max(width, p.x + s.width + GROUP_PAD.right);
      height = Math.max(height, p.y + s.height + GROUP_PAD.bottom);
    }
    nodes.push({
      ...base(g, positionOf(g, slot.get(g.id)!), problems, input.metrics, running, selected, input.deploy),
      width: Math.round(width),
      height: Math.round(height),
      zIndex: -1,
      deletable: false,
    });
  }
  for (const n of others) {
    const inGroup = !!(n.parent && byId.get(n.parent)?.kind === 'subworkflow');
    const node = base(n, positionOf(n, slot.get(n.id)!), problems, input.metrics, running, selected, input.deploy);
    if (inGroup) node.parentId = n.parent;
    const size = sizeOf(n.kind);
    node.initialWidth = size.width;
    node.initialHeight = size.height;
    nodes.push(node);
  }

  const edgeProblems = assignProblems(graph.edges ?? [], input.diagnostics ?? []);
  const edges: FlowEdge[] = [];
  for (const e of graph.edges ?? []) {
    if (!byId.has(e.from) || !byId.has(e.to)) continue;
    const from = byId.get(e.from)!;
    const to = byId.get(e.to)!;
    // An edge from a group into one of its children leaves from the inside.
    const sourceHandle = from.kind === 'subworkflow' && to.parent === from.id ? HANDLE_INNER_OUT : HANDLE_OUT;
    const targetHandle = to.kind === 'subworkflow' && from.parent === to.id ? HANDLE_INNER_IN : HANDLE_IN;
    const rate = input.metrics?.get(e.from)?.rate ?? 0;
    // Edges between a group and its own children stay short and unlabelled.
    const inner = sourceHandle === HANDLE_INNER_OUT || targetHandle === HANDLE_INNER_IN;
    const label = inner ? undefined : e.label || e.channel || undefined;
    const problems = edgeProblems.get(e.id);
    const flag = !problems ? '' : problems.some((p) => p.severity === 'error') ? ' kumeo-edge-error' : problems.some((p) => p.severity === 'warning') ? ' kumeo-edge-warning' : '';
    edges.push({
      id: e.id,
      type: 'kumeo',
      source: e.from,
      target: e.to,
      sourceHandle,
      targetHandle,
      ...(label ? { label } : {}),
      animated: running && (rate > 0 || from.kind === 'source'),
      class: `kumeo-edge kumeo-edge-${e.kind}${running && rate > 0 ? ' kumeo-edge-live' : ''}${flag}`,
      data: { kind: e.kind, channel: e.channel ?? '', labelAt: label ? 0.5 : null, ...(problems ? { problems } : {}) },
      selected: selected.has(e.id),
      // Only channel connections map to a disconnect operation.
      deletable: e.kind === 'data' && from.kind !== 'subworkflow' && to.kind === 'agent',
    });
  }
  if (traced?.size) for (const n of nodes) if (traced.has(n.id)) n.class += ' traced';
  placeLabels(nodes, edges);
  return { nodes, edges };
}

/**
 * p with the selection set: nodes and edges whose selected flag changes are
 * copied, the others stay the same objects, so selecting costs no new
 * projection of the whole graph.
 */
export function withSelection(p: Projection, selected: ReadonlySet<string>): Projection {
  const flip = <T extends { id: string; selected?: boolean }>(xs: T[]): T[] => {
    let out: T[] | null = null;
    for (let i = 0; i < xs.length; i++) {
      const x = xs[i];
      const want = selected.has(x.id);
      if (!!x.selected === want) continue;
      out ??= xs.slice();
      out[i] = { ...x, selected: want };
    }
    return out ?? xs;
  };
  const nodes = flip(p.nodes);
  const edges = flip(p.edges);
  return nodes === p.nodes && edges === p.edges ? p : { nodes, edges };
}

function base(
  n: GraphNode,
  position: Point,
  problems: Map<string, Problem[]>,
  metrics: ReadonlyMap<string, NodeMetrics> | null | undefined,
  running: boolean,
  selected: ReadonlySet<string>,
  deploy?: ReadonlyMap<string, NodeDeploy> | null,
): FlowNode {
  const list = problems.get(n.id) ?? [];
  const errors = list.filter((p) => p.severity === 'error').length;
  const warnings = list.filter((p) => p.severity === 'warning').length;
  const classes = [`kumeo-node-${n.kind}`];
  if (errors) classes.push('has-errors');
  else if (warnings) classes.push('has-warnings');
  if (!n.known) classes.push('unknown-type');
  return {
    id: n.id,
    type: n.kind,
    position: { x: position.x, y: position.y },
    data: {
      kind: n.kind,
      type: n.type ?? '',
      label: n.label,
      workflow: n.workflow,
      agentId: n.agent_id ?? '',
      known: n.known,
      props: { ...(n.props ?? {}) },
      problems: list,
      errors,
      warnings,
      metrics: metrics?.get(n.id) ?? null,
      running,
      deploy: deploy?.get(n.id) ?? null,
    },
    selected: selected.has(n.id),
    class: classes.join(' '),
    deletable: n.kind === 'agent' || n.kind === 'source' || n.kind === 'target',
    connectable: n.kind !== 'deadletter' && n.kind !== 'context',
  };
}

/**
 * Each diagnostic goes to the innermost node whose range contains the
 * diagnostic's range; diagnostics outside every node stay off the canvas.
 */
export function assignProblems(
  nodes: readonly { id: string; range?: GraphNode['range'] }[], diagnostics: readonly Diagnostic[],
): Map<string, Problem[]> {
  const out = new Map<string, Problem[]>();
  const ranged = nodes
    .map((n) => ({ id: n.id, r: rangeOf(n.range) }))
    .filter((x): x is { id: string; r: { from: number; to: number } } => x.r !== null && x.r.to > x.r.from);
  for (const d of diagnostics) {
    let best: { id: string; r: { from: number; to: number } } | null = null;
    for (const x of ranged) {
      if (d.from >= x.r.from && d.to <= x.r.to && (d.from < x.r.to || d.from === d.to)) {
        if (!best || x.r.to - x.r.from < best.r.to - best.r.from) best = x;
      }
    }
    if (!best) continue;
    const list = out.get(best.id) ?? [];
    list.push({ severity: d.severity, code: d.code, summary: d.summary });
    out.set(best.id, list);
  }
  return out;
}

/**
 * Carries what Svelte Flow learned about nodes it already shows (measured
 * sizes) onto a fresh projection, so replacing the nodes does not make
 * them flash while they are measured again.
 */
export function keepMeasured<T extends { id: string; measured?: unknown }>(next: T[], prev: readonly T[]): T[] {
  if (prev.length === 0) return next;
  const old = new Map(prev.map((n) => [n.id, n]));
  return next.map((n) => {
    const o = old.get(n.id);
    return o && o.measured && !n.measured ? { ...n, measured: o.measured } : n;
  });
}
