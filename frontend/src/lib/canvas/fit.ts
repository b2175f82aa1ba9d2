// Fitting boxes of the canvas in view, and the view a document opens with,
// kept out of the component so they can be tested.

import type { Box } from './overview';
import { boundsOf } from './nearview';

export interface View {
  x: number;
  y: number;
  zoom: number;
}

export interface CanvasSize {
  width: number;
  height: number;
}

/** Below this zoom text is too small to read: opening fits no further out. */
export const READABLE_ZOOM = 0.6;
/** The canvas' least zoom. */
export const MIN_ZOOM = 0.1;

/**
 * The view that centres box in a canvas of the given size, with padding (a
 * share of the box) on each side, at a zoom no larger than maxZoom.
 */
export function fitBox(box: Box, canvas: CanvasSize, opts: { padding: number; maxZoom: number }): View {
  const pad = 1 + 2 * opts.padding;
  const fit = Math.min(canvas.width / (Math.max(1, box.w) * pad), canvas.height / (Math.max(1, box.h) * pad));
  const zoom = Math.min(opts.maxZoom, Math.max(MIN_ZOOM, fit));
  return { x: canvas.width / 2 - (box.x + box.w / 2) * zoom, y: canvas.height / 2 - (box.y + box.h / 2) * zoom, zoom };
}

/**
 * The view a document opens with in a canvas of the given size: the whole
 * graph (boxes: every top-level node) when it is readable that way, never
 * above zoom 1; a graph too big for that opens at the readable zoom with
 * its sources (or else its first node) at the left, centred on them.
 *
 * The boxes are the projected ones (layout positions, the sizes the node
 * kinds are drawn at), not measured ones, so the same file in the same
 * canvas always opens the same way, whichever nodes were drawn first.
 * null when there is nothing to fit.
 */
export function openingView(boxes: readonly Box[], sources: readonly Box[], canvas: CanvasSize): View | null {
  const all = boundsOf(boxes);
  if (!all || canvas.width <= 0 || canvas.height <= 0) return null;
  const whole = fitBox(all, canvas, { padding: 0.08, maxZoom: 1 });
  if (whole.zoom >= READABLE_ZOOM) return whole;
  const anchor = boundsOf(sources.length ? sources : boxes.slice(0, 1))!;
  const zoom = READABLE_ZOOM;
  return { x: 40 - anchor.x * zoom, y: canvas.height / 2 - (anchor.y + anchor.h / 2) * zoom, zoom };
}
