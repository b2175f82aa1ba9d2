import { describe, expect, it } from 'vitest';
import type { Graph } from '../api/types';
import { project } from './project';
import { stableEdges, stableNodes, type HeldNode } from './stable';
import fraud from '../testdata/fraud_detection.json';

const graph = fraud as unknown as Graph;

describe('stableNodes and stableEdges', () => {
  it('hand back the held arrays when nothing changed', () => {
    const p = project({ graph });
    const held = stableNodes(p.nodes, [] as HeldNode[]);
    const edges = stableEdges(p.edges, []);
    const q = project({ graph: JSON.parse(JSON.stringify(graph)) });
    expect(stableNodes(q.nodes, held)).toBe(held);
    expect(stableEdges(q.edges, edges)).toBe(edges);
  });

  it('replace only what changed, keeping measured sizes and a dragged position', () => {
    const p = project({ graph });
    const held = stableNodes(p.nodes, [] as HeldNode[]).map((n) => ({ ...n, measured: { width: 200, height: 70 } }));
    const renamed = { ...graph, nodes: graph.nodes.map((n, i) => (i === 2 ? { ...n, label: 'other' } : n)) };
    const next = stableNodes(project({ graph: renamed, selected: new Set([graph.nodes[3].id]) }).nodes, held);
    next.forEach((n, i) => {
      if (i === 2 || i === 3) {
        expect(n).not.toBe(held[i]);
        expect(n.measured).toEqual({ width: 200, height: 70 });
      } else expect(n).toBe(held[i]);
    });
    expect(next[2].data.label).toBe('other');
    expect(next[3].selected).toBe(true);

    const dragging = held.map((n, i) => (i === 1 ? { ...n, dragging: true, position: { x: 999, y: 9 } } : n));
    expect(stableNodes(p.nodes, dragging)[1].position).toEqual({ x: 999, y: 9 });
  });
});
