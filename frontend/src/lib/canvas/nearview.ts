// What Svelte Flow holds: the nodes near the view and the edges that reach
// it, not the whole graph. Svelte Flow goes over every node and edge it
// holds whenever the lists change (an edit, a selection), so on a graph of
// hundreds of nodes an edit costs in proportion to the graph; holding the
// part around the view keeps that cost to what is on screen. The canvas
// keeps the full lists for the minimap, fitting and the zoomed-out edges.

import type { MapNode, Viewport } from './minimap';
import type { Box } from './overview';

/** The part of the canvas in view. */
export function viewBox(vp: Viewport, canvas: { width: number; height: number }): Box {
  return { x: -vp.x / vp.zoom, y: -vp.y / vp.zoom, w: canvas.width / vp.zoom, h: canvas.height / vp.zoom };
}

/** The region held for a view: the view with half of it again on every side. */
export function regionAround(view: Box): Box {
  return { x: view.x - view.w / 2, y: view.y - view.h / 2, w: view.w * 2, h: view.h * 2 };
}

/**
 * Whether the held region no longer suits the view: the view reaches out
 * of it (a pan or zooming out), or it is far bigger than the view needs
 * (zoomed in a long way since).
 */
export function regionStale(region: Box | null, view: Box): boolean {
  if (!region) return true;
  const inside = view.x >= region.x && view.y >= region.y && view.x + view.w <= region.x + region.w && view.y + view.h <= region.y + region.h;
  return !inside || region.w * region.h > 16 * view.w * view.h;
}

const meets = (a: Box, b: Box) => a.x <= b.x + b.w && b.x <= a.x + a.w && a.y <= b.y + b.h && b.y <= a.y + a.h;

/** The smallest box around the given ones; null for none. */
export function boundsOf(boxes: Iterable<Box>): Box | null {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const b of boxes) {
    x0 = Math.min(x0, b.x);
    y0 = Math.min(y0, b.y);
    x1 = Math.max(x1, b.x + b.w);
    y1 = Math.max(y1, b.y + b.h);
  }
  return Number.isFinite(x0) ? { x: x0, y: y0, w: x1 - x0, h: y1 - y0 } : null;
}

interface HeldNode extends MapNode {
  id: string;
}
interface HeldEdge {
  id: string;
  source: string;
  target: string;
}

/**
 * The nodes and edges to hand Svelte Flow for a region: every node whose
 * box meets it, every edge whose ends' boxes together meet it (a long edge
 * across the view is drawn) with both its ends, the kept nodes and edges
 * (the selection, so keys act on all of it) with their ends, and the
 * groups around any of those. Both lists keep the order of the full ones.
 */
export function nearView<N extends HeldNode, E extends HeldEdge>(
  nodes: readonly N[],
  edges: readonly E[],
  boxes: ReadonlyMap<string, Box>,
  region: Box,
  keepNodes: ReadonlySet<string> = new Set(),
  keepEdges: ReadonlySet<string> = new Set(),
): { nodes: N[]; edges: E[] } {
  const held = new Set<string>(keepNodes);
  for (const n of nodes) {
    const b = boxes.get(n.id);
    if (b && meets(b, region)) held.add(n.id);
  }
  const heldEdges: E[] = [];
  for (const e of edges) {
    const a = boxes.get(e.source);
    const b = boxes.get(e.target);
    if (!a || !b) continue;
    if (keepEdges.has(e.id) || meets(boundsOf([a, b])!, region)) heldEdges.push(e);
  }
  for (const e of heldEdges) {
    held.add(e.source);
    held.add(e.target);
  }
  // Svelte Flow needs a node's group whenever it holds the node.
  const parent = new Map<string, string>();
  for (const n of nodes) if (n.parentId) parent.set(n.id, n.parentId);
  for (const id of [...held]) {
    let depth = 0;
    for (let p = parent.get(id); p && !held.has(p) && depth < 32; p = parent.get(p), depth++) held.add(p);
  }
  return { nodes: nodes.filter((n) => held.has(n.id)), edges: heldEdges };
}

/** Whether two lists hold the same objects in the same order. */
export function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
