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

/** Runs ELK on the whole graph. */
export async function elkLayout(graph: Graph): Promise<Layout> {
  if (graph.nodes.length === 0) return {};
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
