import { describe, expect, it } from 'vitest';
import { overviewKind, overviewPaths } from './overview';

describe('overviewKind', () => {
  it('takes the most important class of an edge', () => {
    expect(overviewKind('kumeo-edge kumeo-edge-data')).toBe('plain');
    expect(overviewKind('kumeo-edge kumeo-edge-route')).toBe('route');
    expect(overviewKind('kumeo-edge kumeo-edge-route kumeo-edge-live')).toBe('live');
    expect(overviewKind('kumeo-edge kumeo-edge-deadletter kumeo-edge-live kumeo-edge-error')).toBe('error');
    expect(overviewKind('kumeo-edge kumeo-edge-mapping kumeo-edge-warning')).toBe('warning');
    expect(overviewKind('kumeo-edge-routed')).toBe('plain'); // whole class names only
    expect(overviewKind(undefined)).toBe('plain');
  });
});

describe('overviewPaths', () => {
  const boxes: Record<string, { x: number; y: number; w: number; h: number }> = {
    a: { x: 0, y: 0, w: 100, h: 40 },
    b: { x: 300, y: 100, w: 100, h: 40 },
  };
  const box = (id: string) => boxes[id] ?? null;

  it('draws each edge from the right middle of its source to the left middle of its target, by kind', () => {
    const p = overviewPaths(
      [
        { source: 'a', target: 'b', class: 'kumeo-edge kumeo-edge-data' },
        { source: 'a', target: 'b', class: 'kumeo-edge kumeo-edge-route kumeo-edge-error' },
        { source: 'a', target: 'gone', class: 'kumeo-edge kumeo-edge-route' },
      ],
      box,
    );
    expect(Object.keys(p)).toEqual(['error', 'plain']);
    expect(p.plain).toBe('M100 20C200 20 200 120 300 120');
    expect(p.error).toBe(p.plain);
  });

  it('bends short and backward edges by at least 24', () => {
    const p = overviewPaths([{ source: 'b', target: 'a' }], box);
    expect(p.plain).toBe('M400 120C600 120 -200 20 0 20');
    const q = overviewPaths([{ source: 'a', target: 'a' }], box);
    expect(q.plain).toBe('M100 20C150 20 -50 20 0 20');
  });
});
