// Positions for nodes the user has not placed: an ELK layered layout, left
// to right, of the whole graph; nodes that already have a stored position
// keep it, and new nodes are placed relative to a placed neighbour so they
// land next to what they connect to. ELK is loaded on first use so it stays
// out of the main bundle.

import type { ElkNode, ElkExtendedEdge } from 'elkjs/lib/elk-api';
import type { Graph, GraphNode, Layout, Point } from '../api/types';
import { GROUP_MIN, GROUP_PAD, sizeOf, type Size } from './geometry';

const layoutOptions: Record<string, string> = {
  'elk.algorithm': 'layered',
  'elk.direction': 'RIGHT',
  'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
  'elk.spacing.nodeNode': '36',
  'elk.layered.spacing.nodeNodeBetweenLayers': '60',
  'elk.spacing.edgeNode': '24',
  'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
  'elk.randomSeed': '1',
};

const groupOptions: Record<string, string> = {
  'elk.padding': `[top=${GROUP_PAD.top},left=${GROUP_PAD.left},bottom=${GROUP_PAD.bottom},right=${GROUP_PAD.right}]`,
};

type Elk = { layout(graph: ElkNode): Promise<ElkNode> };
let elkPromise: Promise<Elk> | null = null;
let bundledPromise: Promise<Elk> | null = null;

function bundled(): Promise<Elk> {
  bundledPromise ??= import('elkjs/lib/elk.bundled.js').then((m) => {
    const ELK = (m as unknown as { default: new () => Elk }).default;
    return new ELK();
  });
  return bundledPromise;
}

/**
 * ELK runs in a web worker in the app, so a large layout never blocks
 * typing. Without workers (tests), or when the worker cannot start (some
 * webviews refuse workers from their asset scheme), the bundled build runs
 * in place.
 */
function loadElk(): Promise<Elk> {
  elkPromise ??= (async () => {
    if (typeof Worker === 'undefined') return bundled();
    try {
      const [api, url] = await Promise.all([import('elkjs/lib/elk-api.js'), import('elkjs/lib/elk-worker.min.js?url')]);
      const ELK = (api as unknown as { default: new (o: { workerFactory: () => Worker }) => Elk }).default;
      const inWorker = new ELK({ workerFactory: () => new Worker((url as { default: string }).default) });
      // Prove the worker answers before relying on it.
      const probe = inWorker.layout({ id: 'probe', children: [{ id: 'a', width: 1, height: 1 }] });
      const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('elk worker timeout')), 4000));
      await Promise.race([probe, timeout]);
      return inWorker;
    } catch {
      return bundled();
    }
  })();
  return elkPromise;
}

function isGroup(n: GraphNode | undefined): boolean {
  return n?.kind === 'subworkflow';
}

/** The group a node is drawn in, or '' at the top level. */
function containerOf(n: GraphNode, byId: Map<string, GraphNode>): string {
  return n.kind !== 'subworkflow' && n.parent && isGroup(byId.get(n.parent)) ? n.parent : '';
}

/** The ELK input for a graph; exported for tests. */
export function elkGraph(graph: Graph): ElkNode {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const elkNodes = new Map<string, ElkNode>();
  const root: ElkNode = { id: '__root', layoutOptions, children: [], edges: [] };
  for (const n of graph.nodes) {
    const s = sizeOf(n.kind);
    const en: ElkNode = isGroup(n)
      ? { id: n.id, layoutOptions: groupOptions, children: [], width: GROUP_MIN.width, height: GROUP_MIN.height }
      : { id: n.id, width: s.width, height: s.height };
    elkNodes.set(n.id, en);
  }
  for (const n of graph.nodes) {
    const c = containerOf(n, byId);
    const parent = c ? elkNodes.get(c)! : root;
    parent.children!.push(elkNodes.get(n.id)!);
  }
  for (const g of graph.nodes.filter(isGroup)) {
    // An empty group keeps its minimum size; ELK sizes the others.
    const en = elkNodes.get(g.id)!;
    if (en.children!.length > 0) {
      delete en.width;
      delete en.height;
    }
  }
  const seen = new Set<string>();
  for (const e of graph.edges) {
    const from = byId.get(e.from);
    const to = byId.get(e.to);
    if (!from || !to || e.from === e.to) continue;
    // Edges between a group and its own children confuse the layered
    // algorithm; the group's title side takes their place.
    if (containerOf(to, byId) === from.id || containerOf(from, byId) === to.id) continue;
    const key = e.from + '\u0000' + e.to;
    if (seen.has(key)) continue;
    seen.add(key);
    const edge: ElkExtendedEdge = { id: e.id, sources: [e.from], targets: [e.to] };
    root.edges!.push(edge);
  }
  return root;
}

/** Positions by node id (children relative to their group) from an ELK result. */
export function positionsOf(result: ElkNode): Layout {
  const out: Layout = {};
  const walk = (n: ElkNode) => {
    for (const c of n.children ?? []) {
      out[c.id] = { x: Math.round(c.x ?? 0), y: Math.round(c.y ?? 0) };
      walk(c);
    }
  };
  walk(result);
  return out;
}

/**
 * Above this many nodes ELK's layered layout takes minutes (edges to the
 * far end of a long pipeline become hundreds of dummy nodes each), so big
 * graphs get layeredLayout instead.
 */
export const ELK_MAX_NODES = 150;

/**
 * A layered layout, left to right, in linear time: each node's layer is the
 * longest path from a source to it, nodes in a layer are ordered by where
 * their producers are, layers are centred on each other. Groups are laid
 * out inside first and then placed as one node. Edges are not routed (the
 * canvas draws them as curves), so long edges cost nothing.
 */
export function layeredLayout(graph: Graph): Layout {
  const gapX = 60;
  const gapY = 36;
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const index = new Map(graph.nodes.map((n, i) => [n.id, i]));
  const members = new Map<string, GraphNode[]>();
  for (const n of graph.nodes) {
    const c = containerOf(n, byId);
    const list = members.get(c);
    if (list) list.push(n);
    else members.set(c, [n]);
  }
  // The node representing id inside container c (id itself or the group holding it), or null.
  const repIn = (id: string, c: string): string | null => {
    let n = byId.get(id);
    for (let guard = 0; n && guard < 64; guard++) {
      if (containerOf(n, byId) === c) return n.id;
      n = byId.get(containerOf(n, byId));
    }
    return null;
  };
  const depth = (c: string): number => {
    let d = 0;
    for (let n = byId.get(c); n && d < 64; n = byId.get(containerOf(n, byId))) d++;
    return d;
  };
  const sizes = new Map<string, Size>();
  const sizeFor = (n: GraphNode): Size => sizes.get(n.id) ?? sizeOf(n.kind);
  const out: Layout = {};
  // Innermost groups first, the top level last.
  const containers = [...members.keys()].sort((a, b) => depth(b) - depth(a));
  for (const c of containers) {
    const nodes = members.get(c)!;
    const ids = new Set(nodes.map((n) => n.id));
    const succ = new Map<string, string[]>();
    const preds = new Map<string, string[]>();
    for (const e of graph.edges) {
      const a = repIn(e.from, c);
      const b = repIn(e.to, c);
      if (!a || !b || a === b || !ids.has(a) || !ids.has(b)) continue;
      (succ.get(a) ?? succ.set(a, []).get(a)!).push(b);
      (preds.get(b) ?? preds.set(b, []).get(b)!).push(a);
    }
    // Longest-path layers (Kahn); a cycle is broken at its first node in text order.
    const indeg = new Map(nodes.map((n) => [n.id, preds.get(n.id)?.length ?? 0]));
    const layer = new Map<string, number>();
    const queue = nodes.filter((n) => indeg.get(n.id) === 0).map((n) => n.id);
    let done = 0;
    const visit = (id: string) => {
      done++;
      const l = layer.get(id) ?? 0;
      layer.set(id, l);
      for (const t of succ.get(id) ?? []) {
        if (!layer.has(t) || layer.get(t)! < l + 1) layer.set(t, Math.max(layer.get(t) ?? 0, l + 1));
        const d = indeg.get(t)! - 1;
        indeg.set(t, d);
        if (d === 0) queue.push(t);
      }
    };
    const seen = new Set<string>();
    while (done < nodes.length) {
      while (queue.length) {
        const id = queue.shift()!;
        if (seen.has(id)) continue;
        seen.add(id);
        visit(id);
      }
      const stuck = nodes.find((n) => !seen.has(n.id));
      if (!stuck) break;
      indeg.set(stuck.id, 0);
      queue.push(stuck.id);
    }
    // Order in each layer by the mean order of the producers, then text order.
    const layers: string[][] = [];
    for (const n of nodes) (layers[layer.get(n.id) ?? 0] ??= []).push(n.id);
    const order = new Map<string, number>();
    for (const ids of layers) {
      if (!ids) continue;
      const key = (id: string) => {
        const ps = (preds.get(id) ?? []).filter((p) => order.has(p));
        return ps.length ? ps.reduce((s, p) => s + order.get(p)!, 0) / ps.length : Infinity;
      };
      const keys = new Map(ids.map((id) => [id, key(id)]));
      ids.sort((a, b) => keys.get(a)! - keys.get(b)! || index.get(a)! - index.get(b)!);
      ids.forEach((id, i) => order.set(id, i));
    }
    const heights = layers.map((ids) => (ids ?? []).reduce((h, id, i) => h + sizeFor(byId.get(id)!).height + (i ? gapY : 0), 0));
    const tallest = Math.max(0, ...heights);
    const pad = c ? { x: GROUP_PAD.left, y: GROUP_PAD.top } : { x: 0, y: 0 };
    let x = pad.x;
    let right = pad.x;
    let bottom = pad.y;
    layers.forEach((ids, l) => {
      if (!ids) return;
      let y = pad.y + Math.round((tallest - heights[l]) / 2);
      let widest = 0;
      for (const id of ids) {
        const s = sizeFor(byId.get(id)!);
        out[id] = { x, y };
        y += s.height + gapY;
        widest = Math.max(widest, s.width);
        bottom = Math.max(bottom, y - gapY);
      }
      right = x + widest;
      x += widest + gapX;
    });
    if (c) {
      sizes.set(c, {
        width: Math.max(GROUP_MIN.width, right + GROUP_PAD.right),
        height: Math.max(GROUP_MIN.height, bottom + GROUP_PAD.bottom),
      });
    }
  }
  return out;
}

/** Runs ELK on the whole graph (layeredLayout for a big graph). */
export async function elkLayout(graph: Graph): Promise<Layout> {
  if (graph.nodes.length === 0) return {};
  if (graph.nodes.length > ELK_MAX_NODES) return layeredLayout(graph);
  const elk = await loadElk();
  return positionsOf(await elk.layout(elkGraph(graph)));
}

/**
 * Places the nodes that have no stored position. With nothing stored, the
 * ELK layout is used as it is. Otherwise a node goes where ELK put it
 * relative to a neighbour that is placed (its producer first), then moves
 * down until it overlaps nothing already placed in the same container.
 */
export function placeUnplaced(graph: Graph, stored: Layout, computed: Layout): Layout {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const out: Layout = {};
  const has = (id: string) => Object.prototype.hasOwnProperty.call(stored, id);
  const anyStored = graph.nodes.some((n) => has(n.id));
  if (!anyStored) {
    for (const n of graph.nodes) if (computed[n.id]) out[n.id] = computed[n.id];
    return out;
  }
  const placed = new Map<string, Point>();
  for (const n of graph.nodes) if (has(n.id)) placed.set(n.id, stored[n.id]);

  const neighbours = (id: string): string[] => {
    const preds: string[] = [];
    const succs: string[] = [];
    for (const e of graph.edges) {
      if (e.to === id && e.from !== id) preds.push(e.from);
      if (e.from === id && e.to !== id) succs.push(e.to);
    }
    return [...preds, ...succs];
  };

  for (const n of graph.nodes) {
    if (placed.has(n.id)) continue;
    const container = containerOf(n, byId);
    const mine = computed[n.id] ?? { x: 0, y: 0 };
    let p: Point | null = null;
    for (const m of neighbours(n.id)) {
      const other = byId.get(m);
      if (!other || containerOf(other, byId) !== container) continue;
      const at = placed.get(m);
      const theirs = computed[m];
      if (at && theirs) {
        p = { x: at.x + (mine.x - theirs.x), y: at.y + (mine.y - theirs.y) };
        break;
      }
    }
    if (!p) {
      // Below everything placed in the same container.
      let bottom = -Infinity;
      for (const [id, at] of placed) {
        const other = byId.get(id)!;
        if (containerOf(other, byId) !== container) continue;
        bottom = Math.max(bottom, at.y + sizeOf(other.kind).height);
      }
      p = { x: mine.x, y: bottom === -Infinity ? mine.y : bottom + 40 };
    }
    p = clearOf(p, sizeOf(n.kind), container, placed, byId);
    placed.set(n.id, p);
    out[n.id] = p;
  }
  return out;
}

function clearOf(p: Point, size: Size, container: string, placed: Map<string, Point>, byId: Map<string, GraphNode>): Point {
  const gap = 20;
  let y = p.y;
  for (let tries = 0; tries < 200; tries++) {
    let hit: number | null = null;
    for (const [id, at] of placed) {
      const other = byId.get(id)!;
      if (containerOf(other, byId) !== container) continue;
      const s = sizeOf(other.kind);
      if (p.x < at.x + s.width + gap && p.x + size.width + gap > at.x && y < at.y + s.height + gap && y + size.height + gap > at.y) {
        hit = Math.max(hit ?? -Infinity, at.y + s.height + gap);
      }
    }
    if (hit === null) return { x: p.x, y };
    y = hit;
  }
  return { x: p.x, y };
}

/** ELK layout of the graph, merged with the stored positions. */
export async function autoLayout(graph: Graph | null, stored: Layout | null): Promise<Layout> {
  if (!graph || graph.nodes.length === 0) return {};
  // Nothing to place: no layout run at all.
  if (stored && graph.nodes.every((n) => Object.prototype.hasOwnProperty.call(stored, n.id))) return {};
  const computed = await elkLayout(graph);
  return placeUnplaced(graph, stored ?? {}, computed);
}

/**
 * Positions of the nodes the user has not placed, for a new version of the
 * graph, from those of the previous version, so an edit never moves what it
 * did not touch. A node keeps its position; a node that took the index of a
 * node that is gone, with the same kind and parent, takes that node's
 * position (a rename, typed or from the canvas); the ids of the nodes still
 * without a position come back in `missing`.
 */
export function carryLayout(graph: Graph, stored: Layout, prev: Graph | null, prevAuto: Layout): { auto: Layout; missing: string[] } {
  const has = (l: Layout, id: string) => Object.prototype.hasOwnProperty.call(l, id);
  const auto: Layout = {};
  const missing: string[] = [];
  let present: Set<string> | null = null;
  graph.nodes.forEach((n, i) => {
    if (has(stored, n.id)) return;
    if (has(prevAuto, n.id)) {
      auto[n.id] = prevAuto[n.id];
      return;
    }
    const o = prev?.nodes[i];
    if (o && o.kind === n.kind && (o.parent ?? '') === (n.parent ?? '')) {
      present ??= new Set(graph.nodes.map((x) => x.id));
      const at = present.has(o.id) ? undefined : has(stored, o.id) ? stored[o.id] : prevAuto[o.id];
      if (at) {
        auto[n.id] = at;
        return;
      }
    }
    missing.push(n.id);
  });
  return { auto, missing };
}

/**
 * Places new nodes without a layout run: right of a placed producer, else
 * left of a placed consumer, else below everything in their container;
 * then down until they overlap nothing. `placed` holds every position
 * known (stored and computed).
 */
export function placeNear(graph: Graph, placed: Layout, ids: readonly string[]): Layout {
  const gapX = 60;
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const at = new Map<string, Point>();
  for (const n of graph.nodes) if (placed[n.id]) at.set(n.id, placed[n.id]);
  const out: Layout = {};
  for (const id of ids) {
    const n = byId.get(id);
    if (!n) continue;
    const container = containerOf(n, byId);
    const size = sizeOf(n.kind);
    const same = (other: string) => {
      const o = byId.get(other);
      return !!o && containerOf(o, byId) === container && at.has(other);
    };
    let p: Point | null = null;
    const pred = graph.edges.find((e) => e.to === id && e.from !== id && same(e.from));
    if (pred) {
      const q = at.get(pred.from)!;
      p = { x: q.x + sizeOf(byId.get(pred.from)!.kind).width + gapX, y: q.y };
    } else {
      const succ = graph.edges.find((e) => e.from === id && e.to !== id && same(e.to));
      if (succ) {
        const q = at.get(succ.to)!;
        p = { x: q.x - size.width - gapX, y: q.y };
      }
    }
    if (!p) {
      let bottom = -Infinity;
      let left = Infinity;
      for (const [other, q] of at) {
        const o = byId.get(other)!;
        if (containerOf(o, byId) !== container) continue;
        bottom = Math.max(bottom, q.y + sizeOf(o.kind).height);
        left = Math.min(left, q.x);
      }
      p = bottom === -Infinity ? { x: container ? GROUP_PAD.left : 40, y: container ? GROUP_PAD.top : 40 } : { x: left, y: bottom + 40 };
    }
    p = clearOf(p, size, container, at, byId);
    at.set(id, p);
    out[id] = p;
  }
  return out;
}
