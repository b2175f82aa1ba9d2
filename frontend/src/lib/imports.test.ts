// No import cycles among the frontend's modules: a cycle makes the order
// modules initialise in depend on which one is loaded first. Type-only
// imports count too; they tie the modules' designs together as much.

import { describe, expect, it } from 'vitest';

/** Every source module's text, by its path from the project root ("/src/..."). */
const files = import.meta.glob(['/src/**/*.{ts,js,svelte}', '!/src/**/*.test.ts'], { query: '?raw', import: 'default', eager: true }) as Record<string, string>;

const IMPORT = /(?:^|[\s;])(?:import|export)\s+(?:[^'";]*?\sfrom\s+)?['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

/** The normalised path of spec imported from file from. */
function join(from: string, spec: string): string {
  const parts = from.split('/').slice(0, -1);
  for (const p of spec.replace(/\?.*$/, '').split('/')) {
    if (p === '..') parts.pop();
    else if (p !== '.') parts.push(p);
  }
  return parts.join('/');
}

/** The module an import specifier names, or null when it is not a source module. */
function resolveImport(from: string, spec: string, known: Record<string, string>): string | null {
  const base = join(from, spec);
  for (const p of [base, `${base}.ts`, `${base}.js`, `${base}/index.ts`]) if (p in known) return p;
  return null;
}

function importGraph(sources: Record<string, string>): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const [f, text] of Object.entries(sources)) {
    const deps: string[] = [];
    for (const m of text.matchAll(IMPORT)) {
      const dep = resolveImport(f, m[1] ?? m[2], sources);
      if (dep) deps.push(dep);
    }
    graph.set(f, deps);
  }
  return graph;
}

/** Every cycle found by a depth-first walk, each as the files along it. */
function cycles(graph: Map<string, string[]>): string[][] {
  const out: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (f: string) => {
    state.set(f, 'open');
    path.push(f);
    for (const d of graph.get(f) ?? []) {
      if (state.get(d) === 'open') out.push([...path.slice(path.indexOf(d)), d]);
      else if (!state.has(d)) visit(d);
    }
    path.pop();
    state.set(f, 'done');
  };
  for (const f of [...graph.keys()].sort()) if (!state.has(f)) visit(f);
  return out;
}

describe('imports', () => {
  it('finds a cycle', () => {
    const g = new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]]);
    expect(cycles(g)).toEqual([['a', 'b', 'c', 'a']]);
  });

  it('has no cycles among the frontend modules', () => {
    const g = importGraph(files);
    expect(g.size).toBeGreaterThan(50);
    const found = cycles(g).map((c) => c.join(' -> '));
    expect(found).toEqual([]);
  });
});
