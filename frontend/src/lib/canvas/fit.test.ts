import { describe, expect, it } from 'vitest';
import { fitBox, openingView, READABLE_ZOOM } from './fit';
import { absoluteBoxes, projectedSize } from './minimap';

// The card screening example laid out: a source, five agents and a target
// in a row, 1,740 wide (the size each kind is drawn at, 60 between layers).
const row = [
  { id: 'src', type: 'source', position: { x: 12, y: 96 }, initialWidth: 190, initialHeight: 52 },
  ...[0, 1, 2, 3, 4].map((i) => ({ id: `a${i}`, type: 'agent', position: { x: 262 + i * 260, y: 84 }, initialWidth: 200, initialHeight: 76 })),
  { id: 'dst', type: 'target', position: { x: 1562, y: 96 }, initialWidth: 190, initialHeight: 52 },
];
const boxesOf = (nodes: typeof row) => {
  const b = absoluteBoxes(nodes, projectedSize);
  return { all: nodes.map((n) => b.get(n.id)!), sources: nodes.filter((n) => n.type === 'source').map((n) => b.get(n.id)!) };
};

describe('openingView', () => {
  it('fits a graph that is readable whole, never above zoom 1', () => {
    const { all, sources } = boxesOf(row);
    const v = openingView(all, sources, { width: 2400, height: 900 })!;
    expect(v.zoom).toBe(1);
    // Centred.
    expect(v.x + (12 + 1740 / 2) * v.zoom).toBeCloseTo(1200);
    const narrower = openingView(all, sources, { width: 1500, height: 900 })!;
    expect(narrower.zoom).toBeCloseTo(1500 / (1740 * 1.16));
    expect(narrower.zoom).toBeGreaterThanOrEqual(READABLE_ZOOM);
  });

  it('opens a graph too wide for the canvas at the readable zoom, its sources at the left', () => {
    const { all, sources } = boxesOf(row);
    const v = openingView(all, sources, { width: 616, height: 734 })!;
    expect(v).toEqual({ zoom: READABLE_ZOOM, x: 40 - 12 * READABLE_ZOOM, y: 734 / 2 - (96 + 26) * READABLE_ZOOM });
    // Without sources, the first node.
    expect(openingView(all.slice(1), [], { width: 616, height: 734 })!.x).toBeCloseTo(40 - 262 * READABLE_ZOOM);
  });

  it('does not depend on which nodes were measured, nor on what they measured', () => {
    const { all, sources } = boxesOf(row);
    const want = openingView(all, sources, { width: 616, height: 734 });
    const wide = openingView(all, sources, { width: 1500, height: 734 });
    for (const measured of [[0], [3, 6], [0, 1, 2, 3, 4, 5, 6]]) {
      const drawn = row.map((n, i) => (measured.includes(i) ? { ...n, measured: { width: n.initialWidth + 37, height: n.initialHeight + 21 } } : n));
      const b = boxesOf(drawn);
      expect(openingView(b.all, b.sources, { width: 616, height: 734 })).toEqual(want);
      expect(openingView(b.all, b.sources, { width: 1500, height: 734 })).toEqual(wide);
    }
  });

  it('has nothing to open on an empty graph or a canvas without a size', () => {
    const { all, sources } = boxesOf(row);
    expect(openingView([], [], { width: 616, height: 734 })).toBeNull();
    expect(openingView(all, sources, { width: 0, height: 734 })).toBeNull();
    expect(openingView(all, sources, { width: 616, height: 0 })).toBeNull();
  });
});

describe('fitBox', () => {
  it('centres the box with padding, between the least zoom and maxZoom', () => {
    const box = { x: 100, y: 50, w: 400, h: 200 };
    const v = fitBox(box, { width: 1000, height: 1000 }, { padding: 0.1, maxZoom: 10 });
    expect(v.zoom).toBeCloseTo(1000 / (400 * 1.2));
    expect(v.x + (box.x + box.w / 2) * v.zoom).toBeCloseTo(500);
    expect(v.y + (box.y + box.h / 2) * v.zoom).toBeCloseTo(500);
    expect(fitBox(box, { width: 1000, height: 1000 }, { padding: 0.1, maxZoom: 1.2 }).zoom).toBe(1.2);
    expect(fitBox({ x: 0, y: 0, w: 1e6, h: 10 }, { width: 1000, height: 1000 }, { padding: 0, maxZoom: 1 }).zoom).toBe(0.1);
  });
});
