import { describe, expect, it } from 'vitest';
import { defaultChoice, diffLines, merge, mergedText, sideBySide, splitLines, type Hunk } from './diff';

/** Applies hunks (a -> b) to a, taking b's lines: must give b back. */
function apply(a: string[], b: string[], hunks: Hunk[]): string[] {
  const out: string[] = [];
  let at = 0;
  for (const h of hunks) {
    out.push(...a.slice(at, h.aFrom), ...b.slice(h.bFrom, h.bTo));
    at = h.aTo;
  }
  return [...out, ...a.slice(at)];
}

/** Lines the hunks leave unchanged: the common subsequence they claim. */
function common(a: string[], hunks: Hunk[]): number {
  return a.length - hunks.reduce((n, h) => n + h.aTo - h.aFrom, 0);
}

/** Length of a longest common subsequence, by dynamic programming. */
function lcs(a: string[], b: string[]): number {
  const t = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--)
    for (let j = b.length - 1; j >= 0; j--) t[i][j] = a[i] === b[j] ? t[i + 1][j + 1] + 1 : Math.max(t[i + 1][j], t[i][j + 1]);
  return t[0][0];
}

describe('splitLines', () => {
  it('keeps every line break so joining gives the text back', () => {
    for (const text of ['', 'a', 'a\n', 'a\nb', 'a\r\nb\r\n', 'a\rb\n\n', '\n\n']) {
      expect(splitLines(text).join('')).toBe(text);
    }
    expect(splitLines('a\r\nb\nc')).toEqual(['a\r\n', 'b\n', 'c']);
    expect(splitLines('')).toEqual([]);
  });
});

describe('diffLines', () => {
  it('finds nothing in equal texts', () => {
    expect(diffLines(['a\n', 'b\n'], ['a\n', 'b\n'])).toEqual([]);
  });

  it('reports a changed line, an insertion and a deletion as separate hunks', () => {
    const a = splitLines('one\ntwo\nthree\nfour\nfive\nsix\n');
    const b = splitLines('one\nTWO\nthree\nfour\nnew\nfive\n');
    expect(diffLines(a, b)).toEqual([
      { aFrom: 1, aTo: 2, bFrom: 1, bTo: 2 },
      { aFrom: 4, aTo: 4, bFrom: 4, bTo: 5 },
      { aFrom: 5, aTo: 6, bFrom: 6, bTo: 6 },
    ]);
  });

  it('handles one side empty', () => {
    expect(diffLines([], ['a\n'])).toEqual([{ aFrom: 0, aTo: 0, bFrom: 0, bTo: 1 }]);
    expect(diffLines(['a\n', 'b\n'], [])).toEqual([{ aFrom: 0, aTo: 2, bFrom: 0, bTo: 0 }]);
  });

  it('tells a last line without a newline from one with', () => {
    expect(diffLines(splitLines('a\nb'), splitLines('a\nb\n'))).toEqual([{ aFrom: 1, aTo: 2, bFrom: 1, bTo: 2 }]);
  });

  it('gives a shortest script that rebuilds b on pseudo-random texts', () => {
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let round = 0; round < 200; round++) {
      const a = Array.from({ length: rnd(14) }, () => 'abcd'[rnd(4)]);
      const b = Array.from({ length: rnd(14) }, () => 'abcd'[rnd(4)]);
      const hunks = diffLines(a, b);
      expect(apply(a, b, hunks)).toEqual(b);
      expect(common(a, hunks)).toBe(lcs(a, b));
      for (let i = 1; i < hunks.length; i++) {
        expect(hunks[i].aFrom > hunks[i - 1].aTo || hunks[i].bFrom > hunks[i - 1].bTo).toBe(true);
      }
    }
  });
});

describe('merge', () => {
  const base = 'workflow W {\n  // a comment\n  source: NATS("in")\n  target: NATS("out")\n  agents: [A(id: "a")]\n}\n';
  const mine = base.replace('NATS("in")', 'NATS("in.v2")');
  const theirs = base.replace('NATS("out")', 'NATS("out.v2")') + '// theirs\n';

  it('says who changed each hunk when the base is known and picks that side', () => {
    const m = merge(mine, theirs, base);
    expect(m.hunks.map((h) => h.changedBy)).toEqual(['mine', 'theirs', 'theirs']);
    const choices = m.hunks.map(defaultChoice);
    expect(choices).toEqual(['mine', 'theirs', 'theirs']);
    expect(mergedText(m, choices)).toBe(base.replace('NATS("in")', 'NATS("in.v2")').replace('NATS("out")', 'NATS("out.v2")') + '// theirs\n');
  });

  it('keeps changes of neighbouring lines by different sides apart', () => {
    const m = merge(mine, theirs, base);
    expect(m.hunks.slice(0, 2).map((h) => [h.mine, h.theirs])).toEqual([
      [['  source: NATS("in.v2")\n'], ['  source: NATS("in")\n']],
      [['  target: NATS("out")\n'], ['  target: NATS("out.v2")\n']],
    ]);
  });

  it('leaves out a change both sides made alike', () => {
    const same = base.replace('"a"', '"z"');
    const m = merge(same + '// mine\n', same, base);
    expect(m.hunks).toHaveLength(1);
    expect(m.hunks[0].changedBy).toBe('mine');
  });

  it('matches a merge by hand on pseudo-random edits of one base', () => {
    let seed = 11;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const edit = (lines: string[], tag: string) => {
      const out = [...lines];
      const at = rnd(out.length + 1);
      if (rnd(2) && out.length) out.splice(at % out.length, 1, `${tag}\n`);
      else out.splice(at, 0, `${tag}\n`);
      return out;
    };
    for (let round = 0; round < 100; round++) {
      const b = Array.from({ length: 3 + rnd(8) }, (_, i) => `l${i}\n`);
      const mi = edit(b, 'mine');
      const th = edit(b, 'theirs');
      const m = merge(mi.join(''), th.join(''), b.join(''));
      expect(mergedText(m, m.hunks.map(() => 'mine'))).toBe(mi.join(''));
      expect(mergedText(m, m.hunks.map(() => 'theirs'))).toBe(th.join(''));
      for (const h of m.hunks) expect(h.changedBy).not.toBe('unknown');
      // A single change on each side that do not touch: taking each side's own change merges both.
      if (m.hunks.length === 2 && m.hunks.every((h) => h.changedBy !== 'both')) {
        const text = mergedText(m, m.hunks.map(defaultChoice));
        expect(text).toContain('mine\n');
        expect(text).toContain('theirs\n');
      }
    }
  });

  it('marks a line both changed as a conflict', () => {
    const m = merge(base.replace('"a"', '"b"'), base.replace('"a"', '"c"'), base);
    expect(m.hunks).toHaveLength(1);
    expect(m.hunks[0].changedBy).toBe('both');
    expect(defaultChoice(m.hunks[0])).toBe('mine');
  });

  it('knows nothing about causes without a base and starts from mine', () => {
    const m = merge(mine, theirs);
    expect(m.hunks.every((h) => h.changedBy === 'unknown')).toBe(true);
    expect(mergedText(m, m.hunks.map(defaultChoice))).toBe(mine);
  });

  it('builds the text from per-hunk choices, both meaning mine then theirs', () => {
    const m = merge(mine, theirs, base);
    expect(mergedText(m, ['theirs', 'theirs', 'theirs'])).toBe(theirs);
    expect(mergedText(m, ['mine', 'mine', 'mine'])).toBe(mine);
    expect(mergedText(m, ['both', 'mine', 'mine'])).toBe(base.replace('  source: NATS("in")\n', '  source: NATS("in.v2")\n  source: NATS("in")\n'));
  });

  it('adds the missing line break when both sides of a last line are taken', () => {
    const m = merge('a\nb', 'a\nc');
    expect(mergedText(m, ['both'])).toBe('a\nb\nc');
  });

  it('lists shared runs and hunks in order for the side-by-side view', () => {
    const m = merge(mine, theirs, base);
    expect(m.segments.map((s) => s.kind)).toEqual(['same', 'hunk', 'hunk', 'same', 'hunk']);
    const first = m.segments[0];
    expect(first.kind === 'same' && first.lines).toEqual(['workflow W {\n', '  // a comment\n']);
  });
});

describe('sideBySide', () => {
  it('folds long shared runs, numbers both sides and pads the shorter side of a hunk', () => {
    const lines = (n: number, tag = 'l') => Array.from({ length: n }, (_, i) => `${tag}${i}\n`).join('');
    const mine = lines(10) + 'mine\n' + lines(10, 'm');
    const theirs = lines(10) + 'theirs\nmore\n' + lines(10, 'm');
    const rows = sideBySide(merge(mine, theirs), 2);
    expect(rows[0]).toEqual({ kind: 'fold', count: 8 });
    expect(rows[1]).toEqual({ kind: 'same', a: 9, b: 9, text: 'l8\n' });
    expect(rows[3]).toEqual({ kind: 'hunk', index: 0 });
    expect(rows[4]).toEqual({ kind: 'pair', index: 0, a: 11, mine: 'mine\n', b: 11, theirs: 'theirs\n' });
    expect(rows[5]).toEqual({ kind: 'pair', index: 0, a: null, mine: null, b: 12, theirs: 'more\n' });
    expect(rows[6]).toEqual({ kind: 'same', a: 12, b: 13, text: 'm0\n' });
    expect(rows.at(-1)).toEqual({ kind: 'fold', count: 8 });
  });
});
