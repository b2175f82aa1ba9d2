// The graph of a canvas edit's reply, told as changes to the graph the
// window has (Go's GraphDelta): each element is the index of an unchanged
// node or edge of the previous graph, whose range moves through the edit's
// text changes, or a full node or edge. Go decides what is unchanged by the
// same rule as mapPos here, so the result is exactly Go's graph.

import type { Graph, GraphDelta, GraphEdge, GraphNode, SourceRange, TextEdit } from '../api/types';
import { rangeOf } from './geometry';

export type { GraphDelta };

/**
 * Moves offset p of the previous text through edits (sorted, not
 * overlapping, in previous-text offsets): past each edit ending at or before
 * p, not by those starting at or after it; null when p is strictly inside a
 * replaced range.
 */
export function mapPos(p: number, edits: readonly TextEdit[]): number | null {
  let shift = 0;
  for (const e of edits) {
    if (p <= e.from) break;
    if (p < e.to) return null;
    shift += e.insert.length - (e.to - e.from);
  }
  return p + shift;
}

function mapRange(r: SourceRange | undefined, edits: readonly TextEdit[]): SourceRange | undefined | null {
  const x = rangeOf(r);
  if (!x) return r;
  const from = mapPos(x.from, edits);
  const to = mapPos(x.to, edits);
  return from === null || to === null ? null : { from, to };
}

/**
 * The graph delta describes, built on prev (the graph of version
 * prevVersion); null when the delta is not about prev, so the caller asks
 * for the whole graph instead.
 */
export function applyGraphDelta(
  prev: Graph | null, prevVersion: number, delta: GraphDelta, edits: readonly TextEdit[],
): Graph | null {
  if (!prev || delta.base !== prevVersion) return null;
  const sorted = [...edits].sort((a, b) => a.from - b.from || a.to - b.to);
  const take = <T extends { range?: SourceRange }>(list: readonly T[], x: number | T): T | null => {
    if (typeof x !== 'number') return x;
    const old = list[x];
    if (!old) return null;
    const range = mapRange(old.range, sorted);
    return range === null ? null : { ...old, range };
  };
  const nodes: GraphNode[] = [];
  for (const x of delta.nodes) {
    const n = take(prev.nodes, x);
    if (!n) return null;
    nodes.push(n);
  }
  const edges: GraphEdge[] = [];
  for (const x of delta.edges) {
    const e = take(prev.edges ?? [], x);
    if (!e) return null;
    edges.push(e);
  }
  return { nodes, edges };
}
