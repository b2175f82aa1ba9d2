import { describe, expect, it } from 'vitest';
import { centreOn, drawnSize, minimapPicture, minimapToCanvas, type MapNode } from './minimap';

const node = (id: string, x: number, y: number, extra: Partial<MapNode> = {}): MapNode => ({
  id, position: { x, y }, measured: { width: 200, height: 60 }, ...extra,
});

/** The rectangles of a path made by minimapPicture, as [x, y, w, h]. */
function rects(d: string): number[][] {
  return [...d.matchAll(/M(-?\d+) (-?\d+)h(-?\d+)v(-?\d+)h-?\d+z/g)].map((m) => m.slice(1, 5).map(Number));
}

describe('minimapPicture', () => {
  const size = { width: 160, height: 100 };

  it('draws every node once, in the path of its state', () => {
    const p = minimapPicture(
      [node('a', 0, 0), node('b', 300, 0, { data: { errors: 2 } }), node('c', 600, 0, { selected: true, data: { errors: 1 } }), node('d', 900, 0, { hidden: true })],
      { x: 0, y: 0, zoom: 1 }, { width: 100, height: 100 }, size,
    );
    expect(rects(p.nodes)).toEqual([[0, 0, 200, 60]]);
    expect(rects(p.errors)).toEqual([[300, 0, 200, 60]]);
    expect(rects(p.selected)).toEqual([[600, 0, 200, 60]]); // selected wins over errors
    expect(p.nodes + p.errors + p.selected).not.toContain('900');
  });

  it('places nodes inside groups by their parents', () => {
    const p = minimapPicture(
      [node('g', 100, 50, { measured: { width: 400, height: 300 } }), node('a', 10, 20, { parentId: 'g' })],
      { x: 0, y: 0, zoom: 1 }, { width: 10, height: 10 }, size,
    );
    expect(rects(p.nodes)).toEqual([[100, 50, 400, 300], [110, 70, 200, 60]]);
  });

  it('uses the projected size of nodes not drawn yet and skips sizeless ones', () => {
    const p = minimapPicture(
      [{ id: 'a', position: { x: 0, y: 0 }, initialWidth: 180, initialHeight: 50 }, { id: 'b', position: { x: 5, y: 5 } }],
      { x: 0, y: 0, zoom: 1 }, { width: 10, height: 10 }, size,
    );
    expect(rects(p.nodes)).toEqual([[0, 0, 180, 50]]);
  });

  it('covers the nodes and the view, at the minimap aspect ratio, centred', () => {
    // View: canvas 800x400 at zoom 2, scrolled to (100, 50) in canvas units.
    const vp = { x: -200, y: -100, zoom: 2 };
    const p = minimapPicture([node('a', 0, 0), node('b', 1400, 500)], vp, { width: 800, height: 400 }, size);
    expect(p.view).toEqual({ x: 100, y: 50, width: 400, height: 200 });
    // Content spans x 0..1600, y 0..560 and is drawn 150 px wide (5 px
    // margins): width decides.
    expect(p.box.width / p.box.height).toBeCloseTo(160 / 100);
    expect(p.box.width).toBeCloseTo((1600 / 150) * 160);
    expect(p.box.x + p.box.width / 2).toBeCloseTo(800);
    expect(p.box.y + p.box.height / 2).toBeCloseTo(280);
    expect(p.box.x).toBeLessThanOrEqual(0);
    expect(p.box.y).toBeLessThanOrEqual(0);
    expect(p.box.y + p.box.height).toBeGreaterThanOrEqual(560);
    // The mask is the outside (first rectangle) minus the view (second).
    expect(rects(p.mask)[1]).toEqual([100, 50, 400, 200]);
  });

  it('grows to show a view far from the nodes', () => {
    const p = minimapPicture([node('a', 0, 0)], { x: -5000, y: 0, zoom: 1 }, { width: 400, height: 300 }, size);
    expect(p.box.x + p.box.width).toBeGreaterThanOrEqual(5400);
    expect(p.box.x).toBeLessThanOrEqual(0);
  });

  it('draws a node at least 2 minimap pixels each way', () => {
    // 100,000 units wide in 150 px: a 60-unit-high node would be 0.09 px.
    const p = minimapPicture([node('a', 0, 0), node('b', 99800, 0)], { x: 0, y: 0, zoom: 1 }, { width: 10, height: 10 }, size);
    const scale = p.box.width / size.width;
    for (const [, , w, h] of rects(p.nodes)) {
      expect(w).toBeGreaterThanOrEqual(Math.floor(2 * scale));
      expect(h).toBeGreaterThanOrEqual(Math.floor(2 * scale));
    }
  });
});

describe('minimap coordinates', () => {
  it('maps minimap pixels to canvas points and back through centreOn', () => {
    const box = { x: -50, y: -20, width: 1600, height: 1000 };
    const size = { width: 160, height: 100 };
    expect(minimapToCanvas({ x: 0, y: 0 }, box, size)).toEqual({ x: -50, y: -20 });
    expect(minimapToCanvas({ x: 80, y: 50 }, box, size)).toEqual({ x: 750, y: 480 });
    const vp = centreOn({ x: 750, y: 480 }, 0.5, { width: 800, height: 600 });
    // The canvas point lands in the middle of the canvas.
    expect(750 * vp.zoom + vp.x).toBe(400);
    expect(480 * vp.zoom + vp.y).toBe(300);
  });

  it('drawnSize prefers the measured size', () => {
    expect(drawnSize({ measured: { width: 10, height: 20 }, width: 30, height: 40, initialWidth: 50, initialHeight: 60 })).toEqual({ w: 10, h: 20 });
    expect(drawnSize({ width: 30, height: 40, initialWidth: 50 })).toEqual({ w: 30, h: 40 });
    expect(drawnSize({})).toEqual({ w: 0, h: 0 });
  });
});
