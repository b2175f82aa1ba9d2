import { describe, expect, it } from 'vitest';
import { absoluteBoxes } from './minimap';
import { boundsOf, nearView, regionAround, regionStale, sameItems, viewBox } from './nearview';

const node = (id: string, x: number, y: number, parentId?: string) => ({ id, position: { x, y }, width: 100, height: 50, parentId });
const edge = (source: string, target: string) => ({ id: `${source}->${target}`, source, target });

describe('nearView', () => {
  // A row of nodes 1,000 apart; a group far right with a child inside it.
  const nodes = [
    node('a', 0, 0),
    node('b', 1000, 0),
    node('c', 2000, 0),
    node('d', 3000, 0),
    { ...node('g', 5000, 0), width: 400, height: 300 },
    node('g/x', 50, 100, 'g'),
  ];
  const edges = [edge('a', 'b'), edge('b', 'c'), edge('c', 'd'), edge('a', 'd'), edge('d', 'g/x')];
  const boxes = absoluteBoxes(nodes);
  const ids = (xs: { id: string }[]) => xs.map((x) => x.id);

  it('holds the nodes that meet the region and the edges that reach it, with their ends', () => {
    const held = nearView(nodes, edges, boxes, { x: 900, y: -10, w: 300, h: 100 });
    // b meets the region; a→b and b→c reach it, and so does a→d, which crosses it.
    expect(ids(held.edges)).toEqual(['a->b', 'b->c', 'a->d']);
    expect(ids(held.nodes)).toEqual(['a', 'b', 'c', 'd']);
    // The same objects as the full lists, in their order.
    expect(held.nodes[0]).toBe(nodes[0]);
  });

  it('holds nothing for an empty part of the canvas but the kept selection', () => {
    expect(nearView(nodes, edges, boxes, { x: 0, y: 5000, w: 100, h: 100 })).toEqual({ nodes: [], edges: [] });
    const kept = nearView(nodes, edges, boxes, { x: 0, y: 5000, w: 100, h: 100 }, new Set(['c']), new Set(['a->b']));
    expect(ids(kept.nodes)).toEqual(['a', 'b', 'c']);
    expect(ids(kept.edges)).toEqual(['a->b']);
  });

  it('holds a group with any node inside it, and places children by their group', () => {
    expect(boxes.get('g/x')).toEqual({ x: 5050, y: 100, w: 100, h: 50 });
    const held = nearView(nodes, edges, boxes, { x: 5040, y: 90, w: 20, h: 20 });
    expect(ids(held.nodes)).toEqual(['d', 'g', 'g/x']);
    expect(ids(held.edges)).toEqual(['d->g/x']);
  });
});

describe('the held region', () => {
  const canvas = { width: 800, height: 600 };

  it('is the view with half a view around it', () => {
    const view = viewBox({ x: -100, y: -50, zoom: 0.5 }, canvas);
    expect(view).toEqual({ x: 200, y: 100, w: 1600, h: 1200 });
    expect(regionAround(view)).toEqual({ x: -600, y: -500, w: 3200, h: 2400 });
  });

  it('is replaced when the view leaves it or is much smaller', () => {
    const view = viewBox({ x: 0, y: 0, zoom: 1 }, canvas);
    const region = regionAround(view);
    expect(regionStale(null, view)).toBe(true);
    expect(regionStale(region, view)).toBe(false);
    expect(regionStale(region, viewBox({ x: -300, y: 0, zoom: 1 }, canvas))).toBe(false); // panned within
    expect(regionStale(region, viewBox({ x: -500, y: 0, zoom: 1 }, canvas))).toBe(true); // panned out of it
    expect(regionStale(region, viewBox({ x: 0, y: 0, zoom: 0.9 }, canvas))).toBe(false); // zoomed out a little
    expect(regionStale(region, viewBox({ x: 0, y: 0, zoom: 0.6 }, canvas))).toBe(true); // zoomed out past it
    expect(regionStale(region, viewBox({ x: 0, y: 0, zoom: 1.5 }, canvas))).toBe(false);
    expect(regionStale(region, viewBox({ x: 0, y: 0, zoom: 2.5 }, canvas))).toBe(true); // zoomed far in
  });
});

describe('helpers', () => {
  it('bounds boxes', () => {
    expect(boundsOf([])).toBeNull();
    expect(boundsOf([{ x: 0, y: 0, w: 10, h: 10 }, { x: -5, y: 20, w: 10, h: 5 }])).toEqual({ x: -5, y: 0, w: 15, h: 25 });
  });
  it('compares lists by their items', () => {
    const a = { id: 'a' };
    expect(sameItems([a], [a])).toBe(true);
    expect(sameItems([a], [{ id: 'a' }])).toBe(false);
    expect(sameItems([a], [a, a])).toBe(false);
  });
});
