import { describe, expect, it } from 'vitest';
import type { Graph, Layout } from '../api/types';
import { sizeOf } from './geometry';
import { autoLayout, elkGraph, elkLayout, placeUnplaced } from './layout';
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
