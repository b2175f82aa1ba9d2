// The minimap's geometry, kept out of the component so it can be tested:
// what the minimap shows (every node and the view), as a viewBox and a few
// SVG paths, and how a point on it maps back to the canvas.

import type { Box } from './overview';

/** What the minimap needs of a canvas node. */
export interface MapNode {
  id: string;
  position: { x: number; y: number };
  parentId?: string;
  hidden?: boolean;
  selected?: boolean;
  measured?: { width?: number; height?: number };
  width?: number;
  height?: number;
  initialWidth?: number;
  initialHeight?: number;
  data?: unknown;
}

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Viewport {
  x: number;
  y: number;
  zoom: number;
}

export interface MinimapPicture {
  /** The part of the canvas the minimap shows, in canvas coordinates. */
  box: Rect;
  /** Nodes as rectangles: plain, with errors, selected (each one path). */
  nodes: string;
  errors: string;
  selected: string;
  /** The part of the canvas in view. */
  view: Rect;
  /** Everything but the view, to shade (even-odd fill). */
  mask: string;
}

/** A node's size: measured once drawn, else the size the projection gave it. */
export function drawnSize(n: Pick<MapNode, 'measured' | 'width' | 'height' | 'initialWidth' | 'initialHeight'>): { w: number; h: number } {
  return { w: n.measured?.width ?? n.width ?? n.initialWidth ?? 0, h: n.measured?.height ?? n.height ?? n.initialHeight ?? 0 };
}

/**
 * A node's size as the projection gave it (the size its kind is drawn at,
 * a group's size around its children), whatever was measured.
 */
export function projectedSize(n: Pick<MapNode, 'width' | 'height' | 'initialWidth' | 'initialHeight'>): { w: number; h: number } {
  return { w: n.width ?? n.initialWidth ?? 0, h: n.height ?? n.initialHeight ?? 0 };
}

/**
 * Every node's box in canvas coordinates (positions inside groups are
 * relative to the group), sized by size: drawn sizes unless told otherwise.
 */
export function absoluteBoxes(nodes: readonly MapNode[], size: (n: MapNode) => { w: number; h: number } = drawnSize): Map<string, Box> {
  const byId = new Map<string, MapNode>();
  for (const n of nodes) byId.set(n.id, n);
  const out = new Map<string, Box>();
  const at = (n: MapNode, depth: number): { x: number; y: number } => {
    const known = out.get(n.id);
    if (known) return known;
    const parent = n.parentId ? byId.get(n.parentId) : undefined;
    // A cycle of parents (never made by the projection) stops somewhere.
    if (!parent || depth > 32) return n.position;
    const p = at(parent, depth + 1);
    return { x: p.x + n.position.x, y: p.y + n.position.y };
  };
  for (const n of nodes) {
    const { x, y } = at(n, 0);
    const { w, h } = size(n);
    out.set(n.id, { x, y, w, h });
  }
  return out;
}

/** The least size of a node on the minimap, in its pixels. */
const MIN_PX = 2;

const rect = (x: number, y: number, w: number, h: number) => `M${x.toFixed(0)} ${y.toFixed(0)}h${w.toFixed(0)}v${h.toFixed(0)}h${(-w).toFixed(0)}z`;

const hasErrors = (data: unknown) => typeof data === 'object' && data !== null && ((data as { errors?: number }).errors ?? 0) > 0;

/**
 * The minimap of nodes seen through a canvas of the given size at viewport
 * vp, drawn into a size.width × size.height box: the picture covers every
 * node and the view, centred, with a margin of 5 minimap pixels.
 */
export function minimapPicture(
  nodes: readonly MapNode[], vp: Viewport, canvas: { width: number; height: number }, size: { width: number; height: number },
  boxes: ReadonlyMap<string, Box> = absoluteBoxes(nodes),
): MinimapPicture {
  const view: Rect = { x: -vp.x / vp.zoom, y: -vp.y / vp.zoom, width: canvas.width / vp.zoom, height: canvas.height / vp.zoom };
  let x0 = view.x, y0 = view.y, x1 = view.x + view.width, y1 = view.y + view.height;
  const shown: { n: MapNode; x: number; y: number; w: number; h: number }[] = [];
  for (const n of nodes) {
    if (n.hidden) continue;
    const { x, y, w, h } = boxes.get(n.id)!;
    if (!w || !h) continue;
    x0 = Math.min(x0, x);
    y0 = Math.min(y0, y);
    x1 = Math.max(x1, x + w);
    y1 = Math.max(y1, y + h);
    shown.push({ n, x, y, w, h });
  }
  // One scale for both axes, the content centred, a margin of 5 px.
  const margin = 5;
  const scale = Math.max((x1 - x0) / Math.max(1, size.width - 2 * margin), (y1 - y0) / Math.max(1, size.height - 2 * margin)) || 1;
  const width = size.width * scale;
  const height = size.height * scale;
  const box: Rect = { x: (x0 + x1) / 2 - width / 2, y: (y0 + y1) / 2 - height / 2, width, height };
  const out = margin * scale;
  const mask = rect(box.x - out, box.y - out, box.width + 2 * out, box.height + 2 * out) + rect(view.x, view.y, view.width, view.height);
  // A node is at least MIN_PX minimap pixels each way, so a long thin
  // graph still shows.
  const least = MIN_PX * scale;
  const plain: string[] = [];
  const errors: string[] = [];
  const selected: string[] = [];
  for (const { n, x, y, w, h } of shown) {
    (n.selected ? selected : hasErrors(n.data) ? errors : plain).push(rect(x, y, Math.max(w, least), Math.max(h, least)));
  }
  return { box, nodes: plain.join(''), errors: errors.join(''), selected: selected.join(''), view, mask };
}

/** The canvas point under a point of the minimap (in its own pixels). */
export function minimapToCanvas(p: { x: number; y: number }, box: Rect, size: { width: number; height: number }): { x: number; y: number } {
  return { x: box.x + (p.x / size.width) * box.width, y: box.y + (p.y / size.height) * box.height };
}

/** The viewport that centres the canvas point c at the given zoom. */
export function centreOn(c: { x: number; y: number }, zoom: number, canvas: { width: number; height: number }): Viewport {
  return { x: canvas.width / 2 - c.x * zoom, y: canvas.height / 2 - c.y * zoom, zoom };
}
