import { describe, expect, it } from 'vitest';
import type { Analysis } from '../api/types';
import { MergeSession } from './merge.svelte';

const base = 'workflow W {\n  source: NATS("in")\n  // keep me\n  target: NATS("out")\n}\n';
const conflict = {
  path: '/w.kumeo',
  base,
  mine: base.replace('"in"', '"in.v2"'),
  theirs: base.replace('"out"', '"out.v2"'),
};

/** A fake Go check: the text parses when its braces balance. */
function checker() {
  const seen: string[] = [];
  let hold: (() => void) | null = null;
  const analyze = async (text: string): Promise<Analysis> => {
    seen.push(text);
    if (hold) await new Promise<void>((r) => (hold = r));
    const ok = text.split('{').length === text.split('}').length;
    return {
      version: 1, parseOK: ok, graph: null,
      diagnostics: ok ? [] : [{ severity: 'error', code: 'E001', summary: 'unbalanced', detail: '', from: 0, to: 1, line: 1, col: 1, suggestions: [] }],
    } as unknown as Analysis;
  };
  return { analyze, seen, holdNext: () => (hold = () => {}), release: () => hold?.() };
}

describe('MergeSession', () => {
  it('starts from each side’s own change and merges both', () => {
    const s = new MergeSession(conflict, checker().analyze);
    expect(s.choices).toEqual(['mine', 'theirs']);
    expect(s.result).toBe(base.replace('"in"', '"in.v2"').replace('"out"', '"out.v2"'));
    expect(s.conflicts).toBe(0);
  });

  it('rebuilds the result from the choices', () => {
    const s = new MergeSession(conflict, checker().analyze);
    expect(s.choose(1, 'mine')).toBe(true);
    expect(s.result).toBe(conflict.mine);
    expect(s.chooseAll('theirs')).toBe(true);
    expect(s.result).toBe(conflict.theirs);
    expect(s.choose(5, 'mine')).toBe(false);
  });

  it('keeps hand edits: choices are refused until the result is rebuilt', () => {
    const s = new MergeSession(conflict, checker().analyze);
    s.edit(s.result + '// mine and theirs\n');
    expect(s.edited).toBe(true);
    expect(s.choose(0, 'theirs')).toBe(false);
    expect(s.result).toContain('// mine and theirs');
    s.rebuild();
    expect(s.edited).toBe(false);
    expect(s.result).not.toContain('// mine and theirs');
  });

  it('checks the result through the analyzer and refuses one that does not parse', async () => {
    const c = checker();
    const s = new MergeSession(conflict, c.analyze);
    expect(await s.verify()).toBe(true);
    expect(s.check).toBe('ok');
    expect(await s.verify()).toBe(true);
    expect(c.seen).toHaveLength(1);

    s.edit(s.result + 'workflow X {\n');
    expect(s.check).toBe('idle');
    expect(await s.verify()).toBe(false);
    expect(s.check).toBe('errors');
    expect(s.diagnostics.map((d) => d.summary)).toEqual(['unbalanced']);
    expect(c.seen.at(-1)).toBe(s.result);
  });

  it('ignores a check answered after the result changed', async () => {
    const c = checker();
    const s = new MergeSession(conflict, c.analyze);
    c.holdNext();
    const first = s.verify();
    s.edit('workflow {');
    c.release();
    expect(await first).toBe(false);
    expect(s.check).toBe('idle');
  });

  it('reports a check that could not run', async () => {
    const s = new MergeSession(conflict, async () => {
      throw new Error('Workspace.Analyze is not available');
    });
    expect(await s.verify()).toBe(false);
    expect(s.check).toBe('failed');
    expect(s.checkError).toMatch(/not available/);
  });
});
