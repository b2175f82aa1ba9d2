import { describe, expect, it } from 'vitest';
import type { Graph, Layout } from '../api/types';
import { sizeOf } from './geometry';
import { autoLayout, carryLayout, elkGraph, elkLayout, ELK_MAX_NODES, layeredLayout, placeNear, placeUnplaced } from './layout';
import fraud from '../testdata/fraud_detection.json';
import risk from '../testdata/risk_subworkflow.json';

const fraudGraph = fraud as unknown as Graph;
const riskGraph = risk as unknown as Graph;

function overlaps(graph: Graph, pos: Layout, container: (id: string) => string): string[] {
  const out: string[] = [];
  const ns = graph.nodes.filter((n) => pos[n.id] && n.kind !== 'subworkflow');
  for (let i = 0; i < ns.length; i++) {
    for (let j = i + 1; j < ns.length; j++) {
      const a = ns[i], b = ns[j];
      if (container(a.id) !== container(b.id)) continue;
      const pa = pos[a.id], pb = pos[b.id], sa = sizeOf(a.kind), sb = sizeOf(b.kind);
      if (pa.x < pb.x + sb.width && pa.x + sa.width > pb.x && pa.y < pb.y + sb.height && pa.y + sa.height > pb.y) out.push(`${a.id} ${b.id}`);
    }
  }
  return out;
}

describe('elkGraph', () => {
  it('nests subworkflow children and drops group-to-child edges', () => {
    const g = elkGraph(riskGraph);
    const group = g.children!.find((c) => c.id === 'RiskScore')!;
    expect(group.children!.map((c) => c.id)).toEqual(['RiskScore/agent/risk', 'RiskScore/agent/clamp']);
    const ids = g.edges!.map((e) => `${e.sources[0]}>${e.targets[0]}`);
    expect(ids).not.toContain('RiskScore>RiskScore/agent/risk');
    expect(ids).toContain('RiskScore/agent/risk>RiskScore/agent/clamp');
  });
});

describe('elkLayout', () => {
  it('lays a pipeline out left to right without overlaps, deterministically', async () => {
    const a = await elkLayout(fraudGraph);
    const b = await elkLayout(fraudGraph);
    expect(a).toEqual(b);
    for (const n of fraudGraph.nodes) expect(a[n.id]).toBeDefined();
    const x = (id: string) => a[`CardFraud/agent/${id}`].x;
    expect(x('validate')).toBeLessThan(x('features'));
    expect(x('features')).toBeLessThan(x('score'));
    expect(x('policy')).toBeLessThan(x('route'));
    expect(a['CardFraud/source/NATS:payments.card.tx'].x).toBeLessThan(x('validate'));
    expect(overlaps(fraudGraph, a, () => '')).toEqual([]);
  });

  it('gives children positions relative to their group', async () => {
    const a = await elkLayout(riskGraph);
    expect(a['RiskScore/agent/risk'].x).toBeGreaterThanOrEqual(0);
    expect(a['RiskScore/agent/risk'].x).toBeLessThan(a['RiskScore/agent/clamp'].x);
    expect(a['RiskScore/agent/risk'].y).toBeGreaterThanOrEqual(40);
  });
});

describe('placeUnplaced', () => {
  const computed: Layout = {
    'CardFraud/source/NATS:payments.card.tx': { x: 0, y: 0 },
    'CardFraud/agent/validate': { x: 260, y: 0 },
    'CardFraud/agent/features': { x: 520, y: 0 },
  };
  const small: Graph = {
    nodes: fraudGraph.nodes.filter((n) => computed[n.id]),
    edges: fraudGraph.edges.filter((e) => computed[e.from] && computed[e.to]),
  };

  it('uses the computed layout when nothing is stored', () => {
    expect(placeUnplaced(small, {}, computed)).toEqual(computed);
  });

  it('never moves stored nodes and places new ones next to a placed neighbour', () => {
    const stored: Layout = {
      'CardFraud/source/NATS:payments.card.tx': { x: 1000, y: 500 },
      'CardFraud/agent/validate': { x: 1300, y: 500 },
    };
    const out = placeUnplaced(small, stored, computed);
    expect(Object.keys(out)).toEqual(['CardFraud/agent/features']);
    // Same offset from validate as in the computed layout.
    expect(out['CardFraud/agent/features']).toEqual({ x: 1560, y: 500 });
  });

  it('moves a new node down until it overlaps nothing', () => {
    const stored: Layout = {
      'CardFraud/source/NATS:payments.card.tx': { x: 0, y: 0 },
      'CardFraud/agent/validate': { x: 260, y: 0 },
      // Sits where features would go.
    };
    const blocker = { 'CardFraud/agent/features': { x: 0, y: 0 } };
    const graph: Graph = { nodes: [...small.nodes, { ...small.nodes[2], id: 'x/agent/block', agent_id: 'block' }], edges: small.edges };
    const out = placeUnplaced(graph, { ...stored, 'x/agent/block': { x: 520, y: 0 } }, { ...computed, ...blocker, 'CardFraud/agent/features': { x: 520, y: 0 } });
    const all = { ...stored, 'x/agent/block': { x: 520, y: 0 }, ...out };
    expect(overlaps(graph, all, () => '')).toEqual([]);
    expect(out['CardFraud/agent/features'].x).toBe(520);
    expect(out['CardFraud/agent/features'].y).toBeGreaterThan(0);
  });
});

describe('autoLayout', () => {
  it('returns nothing for an empty graph', async () => {
    expect(await autoLayout(null, null)).toEqual({});
    expect(await autoLayout({ nodes: [], edges: [] }, {})).toEqual({});
  });
  it('returns positions only for nodes without stored ones', async () => {
    const stored = { 'CardFraud/agent/score': { x: 5, y: 5 } };
    const out = await autoLayout(fraudGraph, stored);
    expect(out['CardFraud/agent/score']).toBeUndefined();
    expect(Object.keys(out)).toHaveLength(fraudGraph.nodes.length - 1);
  });
});

describe('layeredLayout', () => {
  const chain = (n: number): Graph => ({
    nodes: [
      { id: 'src', kind: 'source', label: 'src', workflow: 'W', known: true } as Graph['nodes'][number],
      ...Array.from({ length: n }, (_, i) => ({ id: `W/agent/a${i}`, kind: 'agent', label: `a${i}`, workflow: 'W', known: true }) as Graph['nodes'][number]),
      { id: 'sink', kind: 'target', label: 'sink', workflow: 'W', known: true } as Graph['nodes'][number],
    ],
    edges: [
      { id: 'e0', from: 'src', to: 'W/agent/a0', kind: 'data' },
      ...Array.from({ length: n - 1 }, (_, i) => ({ id: `e${i + 1}`, from: `W/agent/a${i}`, to: `W/agent/a${i + 1}`, kind: 'data' })),
      // Every agent also reports to the sink: long edges.
      ...Array.from({ length: n }, (_, i) => ({ id: `s${i}`, from: `W/agent/a${i}`, to: 'sink', kind: 'route' })),
    ] as Graph['edges'],
  });

  it('puts each node right of its producers, without overlaps, for any size', () => {
    for (const g of [fraudGraph, riskGraph, chain(2000)]) {
      const pos = layeredLayout(g);
      expect(Object.keys(pos).length).toBe(g.nodes.length);
      const byId = new Map(g.nodes.map((n) => [n.id, n]));
      const container = (id: string) => {
        const n = byId.get(id)!;
        return n.kind !== 'subworkflow' && n.parent && byId.get(n.parent)?.kind === 'subworkflow' ? n.parent : '';
      };
      expect(overlaps(g, pos, container)).toEqual([]);
      for (const e of g.edges) {
        if (container(e.from) !== container(e.to) || e.from === e.to) continue;
        expect(pos[e.to].x, `${e.from} > ${e.to}`).toBeGreaterThan(pos[e.from].x);
      }
    }
  });

  it('is what elkLayout uses for a big graph', async () => {
    const g = chain(ELK_MAX_NODES + 10);
    expect(await elkLayout(g)).toEqual(layeredLayout(g));
  });
});

describe('carryLayout and placeNear', () => {
  it('keeps positions, hands a renamed node the old position and places new ones beside a producer', () => {
    const g = fraudGraph;
    const auto = placeUnplaced(g, {}, Object.fromEntries(g.nodes.map((n, i) => [n.id, { x: i * 300, y: 0 }])));
    const agent = g.nodes.findIndex((n) => n.kind === 'agent');
    const old = g.nodes[agent];
    const renamed: Graph = { ...g, nodes: g.nodes.map((n, i) => (i === agent ? { ...n, id: `${n.id}_x` } : n)) };
    const carried = carryLayout(renamed, {}, g, auto);
    expect(carried.missing).toEqual([]);
    expect(carried.auto[`${old.id}_x`]).toEqual(auto[old.id]);

    const added: Graph = {
      nodes: [...g.nodes, { ...old, id: 'W/agent/new', label: 'new' }],
      edges: [...g.edges, { id: 'new-edge', from: old.id, to: 'W/agent/new', kind: 'data' } as Graph['edges'][number]],
    };
    const c = carryLayout(added, {}, g, auto);
    expect(c.missing).toEqual(['W/agent/new']);
    const placed = placeNear(added, c.auto, c.missing);
    expect(placed['W/agent/new'].x).toBeGreaterThan(auto[old.id].x);
    expect(overlaps(added, { ...c.auto, ...placed }, () => '')).toEqual([]);
  });
});
