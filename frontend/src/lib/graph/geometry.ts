// Sizes and ranges shared by the projection and the auto layout.

import type { NodeKind, SourceRange } from '../api/types';

export interface Size {
  width: number;
  height: number;
}

/** The size each node kind is drawn at (the node components use the same widths). */
export const NODE_SIZE: Record<Exclude<NodeKind, 'subworkflow'>, Size> = {
  agent: { width: 200, height: 76 },
  source: { width: 190, height: 52 },
  target: { width: 190, height: 52 },
  context: { width: 190, height: 44 },
  deadletter: { width: 160, height: 40 },
};

/** Room inside a subworkflow group around its children; the top holds the title. */
export const GROUP_PAD = { top: 44, left: 48, bottom: 24, right: 48 };
export const GROUP_MIN: Size = { width: 260, height: 140 };

export function sizeOf(kind: NodeKind): Size {
  return kind === 'subworkflow' ? GROUP_MIN : NODE_SIZE[kind] ?? NODE_SIZE.agent;
}

/** [from, to) of a range in either shape Go may send, or null. */
export function rangeOf(r: SourceRange | null | undefined): { from: number; to: number } | null {
  if (!r) return null;
  if ('from' in r) return { from: r.from, to: r.to };
  if ('start' in r && r.start && r.end) {
    // The dsl's zero range (line 0) means "no position".
    if (r.start.line === 0 && r.end.offset === 0) return null;
    return { from: r.start.offset, to: r.end.offset };
  }
  return null;
}
