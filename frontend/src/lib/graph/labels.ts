// Where edge labels (channel names) go. A label sits at the middle of its
// edge unless that covers another label (a router's outputs, parallel
// edges): then it slides along the edge to the first free spot; when there
// is none it is hidden, and the edge shows it only while hovered or
// selected. Nodes are avoided too when the edge leaves room.

import type { FlowEdge, FlowNode } from './flow';

/** Label size estimate: 10.5 px monospace, 4 px padding each side. */
const CHAR_W = 6.4;
const LABEL_H = 17;
const PAD_W = 10;
/** Spots tried along an edge, best first. */
const SPOTS = [0.5, 0.35, 0.65, 0.22, 0.78];
const CELL = 128;

interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** The point at t of the bezier Svelte Flow draws from a right-side handle to a left-side one. */
export function bezierPoint(sx: number, sy: number, tx: number, ty: number, t: number): { x: number; y: number } {
  // Svelte Flow's control offset (curvature 0.25).
  const d = tx - sx;
  const off = d >= 0 ? 0.5 * d : 0.25 * 25 * Math.sqrt(-d);
  const c1x = sx + off;
  const c2x = tx - off;
  const u = 1 - t;
  const a = u * u * u;
  const b = 3 * u * u * t;
  const c = 3 * u * t * t;
  const e = t * t * t;
  return { x: a * sx + b * c1x + c * c2x + e * tx, y: a * sy + b * sy + c * ty + e * ty };
}

export function labelWidth(label: string): number {
  return label.length * CHAR_W + PAD_W;
}

/** Boxes bucketed by grid cell, for overlap tests in constant time. */
class Grid {
  #cells = new Map<number, Box[]>();
  add(b: Box): void {
    const i1 = Math.floor(b.x1 / CELL);
    const j1 = Math.floor(b.y1 / CELL);
    for (let i = Math.floor(b.x0 / CELL); i <= i1; i++) {
      for (let j = Math.floor(b.y0 / CELL); j <= j1; j++) {
        const k = i * 65_536 + j;
        const list = this.#cells.get(k);
        if (list) list.push(b);
        else this.#cells.set(k, [b]);
      }
    }
  }
  hits(x0: number, y0: number, x1: number, y1: number): boolean {
    const i1 = Math.floor(x1 / CELL);
    const j1 = Math.floor(y1 / CELL);
    for (let i = Math.floor(x0 / CELL); i <= i1; i++) {
      for (let j = Math.floor(y0 / CELL); j <= j1; j++) {
        const list = this.#cells.get(i * 65_536 + j);
        if (!list) continue;
        for (const o of list) if (x0 < o.x1 && x1 > o.x0 && y0 < o.y1 && y1 > o.y0) return true;
      }
    }
    return false;
  }
}

/** Sets data.labelAt on every labelled edge from the nodes' positions. */
export function placeLabels(nodes: readonly FlowNode[], edges: FlowEdge[]): void {
  const abs = new Map<string, Box>();
  const obstacles = new Grid();
  for (const n of nodes) {
    const parent = n.parentId ? abs.get(n.parentId) : undefined;
    const x = n.position.x + (parent?.x0 ?? 0);
    const y = n.position.y + (parent?.y0 ?? 0);
    const w = n.width ?? n.initialWidth ?? 200;
    const h = n.height ?? n.initialHeight ?? 60;
    const box = { x0: x, y0: y, x1: x + w, y1: y + h };
    abs.set(n.id, box);
    if (n.type !== 'subworkflow') obstacles.add(box);
  }
  const labels = new Grid();
  for (const e of edges) {
    if (!e.label) continue;
    const s = abs.get(e.source);
    const t = abs.get(e.target);
    if (!s || !t) continue;
    // Handles: outputs on the right side, inputs on the left (inner group handles the other way round).
    const sx = e.sourceHandle === 'inner-out' ? s.x0 : s.x1;
    const tx = e.targetHandle === 'inner-in' ? t.x1 : t.x0;
    const sy = (s.y0 + s.y1) / 2;
    const ty = (t.y0 + t.y1) / 2;
    const hw = labelWidth(e.label) / 2;
    const hh = LABEL_H / 2;
    // The first spot free of labels and nodes, else the first free of labels.
    let chosen = -1;
    let fallback = -1;
    for (let k = 0; k < SPOTS.length && chosen < 0; k++) {
      const p = bezierPoint(sx, sy, tx, ty, SPOTS[k]);
      if (labels.hits(p.x - hw, p.y - hh, p.x + hw, p.y + hh)) continue;
      if (fallback < 0) fallback = k;
      if (!obstacles.hits(p.x - hw, p.y - hh, p.x + hw, p.y + hh)) chosen = k;
    }
    if (chosen < 0) chosen = fallback;
    if (chosen >= 0) {
      const p = bezierPoint(sx, sy, tx, ty, SPOTS[chosen]);
      labels.add({ x0: p.x - hw, y0: p.y - hh, x1: p.x + hw, y1: p.y + hh });
    }
    e.data.labelAt = chosen >= 0 ? SPOTS[chosen] : null;
  }
}
