// Stable identity for the canvas: a fresh projection is matched against the
// nodes and edges Svelte Flow already holds, and every one that did not
// change is handed back as the very same object. Svelte Flow then skips it
// (it compares user nodes by identity) and Svelte does not re-render it, so
// an edit of one agent in a 2,000-node workflow touches one node, not all.

import type { FlowEdge, FlowNode, KumeoEdgeData, KumeoNodeData, NodeDeploy, Problem } from './project';

/** What Svelte Flow keeps on a node besides what the projection sets. */
export interface HeldNode extends Omit<FlowNode, 'data'> {
  data: KumeoNodeData | Record<string, unknown>;
  measured?: { width?: number; height?: number };
  dragging?: boolean;
}

export type HeldEdge = Omit<FlowEdge, 'data'> & { data?: KumeoEdgeData | Record<string, unknown> };

/**
 * The nodes to hand to Svelte Flow: next, with each node equal to the one
 * held under the same id replaced by the held object. A changed node keeps
 * its measured size, and a node being dragged the position under the
 * pointer. When nothing changed the held array itself comes back.
 */
export function stableNodes<T extends HeldNode>(next: readonly FlowNode[], held: readonly T[]): T[] {
  return reuse(next, held, sameNode, (n, o) => {
    const fresh = { ...n } as unknown as T;
    if (o?.measured) fresh.measured = o.measured;
    if (o?.dragging) {
      fresh.position = o.position;
      fresh.dragging = true;
    }
    return fresh;
  });
}

/** The edges to hand to Svelte Flow, reusing every unchanged held edge. */
export function stableEdges<T extends HeldEdge>(next: readonly FlowEdge[], held: readonly T[]): T[] {
  return reuse(next, held, sameEdge, (e) => e as unknown as T);
}

/**
 * next with each item equal (by same) to the held one of its id replaced by
 * the held object, the others made by fresh; the held array itself when
 * nothing changed.
 */
function reuse<N extends { id: string }, T extends { id: string }>(
  next: readonly N[], held: readonly T[], same: (n: N, o: T) => boolean, fresh: (n: N, o: T | undefined) => T,
): T[] {
  const old = new Map<string, T>();
  for (const h of held) old.set(h.id, h);
  let unchanged = next.length === held.length;
  const out = next.map((n, i) => {
    const o = old.get(n.id);
    if (o && same(n, o)) {
      if (held[i] !== o) unchanged = false;
      return o;
    }
    unchanged = false;
    return fresh(n, o);
  });
  return unchanged ? (held as T[]) : out;
}

function sameNode(n: FlowNode, o: HeldNode): boolean {
  if (o.dragging) return false;
  return (
    n.type === o.type &&
    n.position.x === o.position.x &&
    n.position.y === o.position.y &&
    n.parentId === o.parentId &&
    n.width === o.width &&
    n.height === o.height &&
    !!n.selected === !!o.selected &&
    n.class === o.class &&
    n.zIndex === o.zIndex &&
    n.deletable === o.deletable &&
    n.connectable === o.connectable &&
    sameData(n.data, o.data as KumeoNodeData)
  );
}

function sameData(a: KumeoNodeData, b: KumeoNodeData | undefined): boolean {
  if (!b) return false;
  return (
    a.kind === b.kind &&
    a.type === b.type &&
    a.label === b.label &&
    a.workflow === b.workflow &&
    a.agentId === b.agentId &&
    a.known === b.known &&
    a.errors === b.errors &&
    a.warnings === b.warnings &&
    a.metrics === b.metrics &&
    a.running === b.running &&
    sameDeploy(a.deploy, b.deploy) &&
    sameRecord(a.props, b.props) &&
    sameProblems(a.problems, b.problems)
  );
}

function sameDeploy(a: NodeDeploy | null | undefined, b: NodeDeploy | null | undefined): boolean {
  if (!a || !b) return !a === !b;
  return a.action === b.action && a.phase === b.phase && a.ready === b.ready && a.desired === b.desired && a.reason === b.reason;
}

function sameRecord(a: Record<string, string>, b: Record<string, string> | undefined): boolean {
  if (!b) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (a[k] !== b[k]) return false;
  return true;
}

function sameProblems(a: readonly Problem[], b: readonly Problem[] | undefined): boolean {
  if (!b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i].severity !== b[i].severity || a[i].code !== b[i].code || a[i].summary !== b[i].summary) return false;
  }
  return true;
}

function sameEdge(e: FlowEdge, o: HeldEdge): boolean {
  const d = o.data as KumeoEdgeData | undefined;
  return (
    e.source === o.source &&
    e.target === o.target &&
    e.sourceHandle === o.sourceHandle &&
    e.targetHandle === o.targetHandle &&
    e.label === o.label &&
    e.animated === o.animated &&
    e.class === o.class &&
    !!e.selected === !!o.selected &&
    e.deletable === o.deletable &&
    !!d &&
    e.data.kind === d.kind &&
    e.data.channel === d.channel &&
    e.data.labelAt === d.labelAt &&
    sameProblems(e.data.problems ?? [], (d.problems as Problem[] | undefined) ?? [])
  );
}
