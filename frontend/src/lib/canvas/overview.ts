// The edges drawn zoomed far out: one SVG path per kind of edge instead of
// an element per edge, so panning hundreds of edges stays cheap; the kinds
// keep the colours the edges have close up (problems, live data, dead
// letters, routes).

/** The path an edge goes in, by priority: what matters most shows. */
export const OVERVIEW_KINDS = ['error', 'warning', 'live', 'deadletter', 'fallback', 'route', 'mapping', 'plain'] as const;
export type OverviewKind = (typeof OVERVIEW_KINDS)[number];

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** The kind of an edge from its class string (see project()). */
export function overviewKind(cls: unknown): OverviewKind {
  const names = typeof cls === 'string' ? cls.split(/\s+/) : [];
  const has = (k: string) => names.includes(`kumeo-edge-${k}`);
  for (const k of OVERVIEW_KINDS) if (k !== 'plain' && has(k)) return k;
  return 'plain';
}

/**
 * The edges as paths by kind: each edge a curve from the right middle of
 * its source's box to the left middle of its target's; edges whose ends
 * have no box are left out. Kinds without edges are absent.
 */
export function overviewPaths(
  edges: readonly { source: string; target: string; class?: unknown }[],
  box: (id: string) => Box | null,
): Partial<Record<OverviewKind, string>> {
  const parts = new Map<OverviewKind, string[]>();
  for (const e of edges) {
    const a = box(e.source);
    const b = box(e.target);
    if (!a || !b) continue;
    const sx = a.x + a.w;
    const sy = a.y + a.h / 2;
    const tx = b.x;
    const ty = b.y + b.h / 2;
    const dx = Math.max(24, Math.abs(tx - sx) / 2);
    const kind = overviewKind(e.class);
    let list = parts.get(kind);
    if (!list) parts.set(kind, (list = []));
    list.push(`M${sx.toFixed(0)} ${sy.toFixed(0)}C${(sx + dx).toFixed(0)} ${sy.toFixed(0)} ${(tx - dx).toFixed(0)} ${ty.toFixed(0)} ${tx.toFixed(0)} ${ty.toFixed(0)}`);
  }
  const out: Partial<Record<OverviewKind, string>> = {};
  for (const k of OVERVIEW_KINDS) {
    const list = parts.get(k);
    if (list) out[k] = list.join('');
  }
  return out;
}
