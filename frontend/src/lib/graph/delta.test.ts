import { describe, expect, it } from 'vitest';
import type { Graph } from '../api/types';
import { applyGraphDelta, mapPos } from './delta';

describe('mapPos', () => {
  // The cases of Go's TestMapPos: "abcdef", "cd" replaced by "XYZ", "😀" inserted at 5.
  const edits = [
    { from: 2, to: 4, insert: 'XYZ' },
    { from: 5, to: 5, insert: '😀' },
  ];
  it('moves offsets as Go does', () => {
    expect([0, 2, 3, 4, 5, 6].map((p) => mapPos(p, edits))).toEqual([0, 2, null, 5, 6, 9]);
  });
});

describe('applyGraphDelta', () => {
  const prev: Graph = {
    nodes: [
      { id: 'w/agent/a', kind: 'agent', label: 'a', workflow: 'w', index: 0, known: true, range: { from: 10, to: 20 } },
      { id: 'w/agent/b', kind: 'agent', label: 'b', workflow: 'w', index: 1, known: true, range: { from: 30, to: 40 } },
    ],
    edges: [{ id: 'e1', from: 'w/agent/a', to: 'w/agent/b', kind: 'data', range: { from: 12, to: 14 } }],
  } as Graph;
  const rename = [{ from: 31, to: 32, insert: 'bee' }];

  it('takes unchanged nodes and edges from the previous graph with their ranges moved', () => {
    const b2 = { ...prev.nodes[1], id: 'w/agent/bee', label: 'bee', range: { from: 30, to: 42 } };
    const g = applyGraphDelta(prev, 3, { base: 3, nodes: [0, b2], edges: [0] }, rename)!;
    expect(g.nodes.map((n) => n.id)).toEqual(['w/agent/a', 'w/agent/bee']);
    expect(g.nodes[0]).toEqual(prev.nodes[0]);
    expect(g.nodes[1]).toBe(b2);
    expect(g.edges[0].range).toEqual({ from: 12, to: 14 });
    // After the edit: moved by its length change.
    const later = applyGraphDelta(prev, 3, { base: 3, nodes: [0, 1], edges: [0] }, [{ from: 5, to: 5, insert: 'xyz' }])!;
    expect(later.nodes.map((n) => n.range)).toEqual([{ from: 13, to: 23 }, { from: 33, to: 43 }]);
    expect(prev.nodes[0].range).toEqual({ from: 10, to: 20 });
  });

  it('refuses a delta about another graph, a missing index or a range inside an edit', () => {
    expect(applyGraphDelta(prev, 2, { base: 3, nodes: [0, 1], edges: [] }, [])).toBeNull();
    expect(applyGraphDelta(null, 3, { base: 3, nodes: [0], edges: [] }, [])).toBeNull();
    expect(applyGraphDelta(prev, 3, { base: 3, nodes: [0, 7], edges: [] }, [])).toBeNull();
    expect(applyGraphDelta(prev, 3, { base: 3, nodes: [0, 1], edges: [] }, [{ from: 15, to: 25, insert: '' }])).toBeNull();
  });
});
