// Line diff and two-way merge for the conflict dialog: the unsaved text
// ("mine") against the file on disk ("theirs"), optionally with the text
// both started from ("base") to tell who changed what.
//
// Lines keep their terminators, so joining lines gives the text back byte
// for byte and a last line without a newline differs from one with.

/** Splits text into lines, each with its line break (\n, \r\n or \r). */
export function splitLines(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 13) {
      if (c === 13 && text.charCodeAt(i + 1) === 10) i++;
      out.push(text.slice(start, i + 1));
      start = i + 1;
    }
  }
  if (start < text.length) out.push(text.slice(start));
  return out;
}

/** Lines a[aFrom, aTo) are replaced by b[bFrom, bTo); either side may be empty. */
export interface Hunk {
  aFrom: number;
  aTo: number;
  bFrom: number;
  bTo: number;
}

/**
 * The hunks turning a into b, in order, none adjacent to another: a
 * shortest edit script (Myers) after the common prefix and suffix.
 */
export function diffLines(a: readonly string[], b: readonly string[]): Hunk[] {
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
  const n = a.length - pre - suf;
  const m = b.length - pre - suf;
  if (n === 0 && m === 0) return [];
  if (n === 0 || m === 0) return [{ aFrom: pre, aTo: pre + n, bFrom: pre, bTo: pre + m }];

  // Myers' greedy algorithm, keeping each round's furthest x per diagonal
  // to walk the path back. Lines are compared as interned numbers.
  const ids = new Map<string, number>();
  const intern = (s: string) => {
    let id = ids.get(s);
    if (id === undefined) ids.set(s, (id = ids.size));
    return id;
  };
  const A = Int32Array.from({ length: n }, (_, i) => intern(a[pre + i]));
  const B = Int32Array.from({ length: m }, (_, i) => intern(b[pre + i]));
  const max = n + m;
  const off = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = -1;
  for (let d = 0; d <= max && found < 0; d++) {
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[off + k - 1] < v[off + k + 1]) ? v[off + k + 1] : v[off + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && A[x] === B[y]) {
        x++;
        y++;
      }
      v[off + k] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
    trace.push(v.slice(off - d - 1, off + d + 2));
  }

  // Walk back from (n, m), collecting the matched runs (snakes).
  const matches: [number, number][] = [];
  let x = n;
  let y = m;
  for (let d = found; d > 0; d--) {
    const prev = trace[d - 1];
    const at = (k: number) => prev[k + d];
    const k = x - y;
    const down = k === -d || (k !== d && at(k - 1) < at(k + 1));
    const pk = down ? k + 1 : k - 1;
    const px = at(pk);
    const py = px - pk;
    const sx = down ? px : px + 1;
    const sy = sx - k;
    for (let i = x - 1, j = y - 1; i >= sx && j >= sy; i--, j--) matches.push([i, j]);
    x = px;
    y = py;
  }
  for (let i = x - 1, j = y - 1; i >= 0 && j >= 0; i--, j--) matches.push([i, j]);
  matches.reverse();

  const hunks: Hunk[] = [];
  let ai = 0;
  let bi = 0;
  for (const [i, j] of [...matches, [n, m] as [number, number]]) {
    if (i > ai || j > bi) hunks.push({ aFrom: pre + ai, aTo: pre + i, bFrom: pre + bi, bTo: pre + j });
    ai = i + 1;
    bi = j + 1;
  }
  return hunks;
}

/** Who changed the lines of a hunk, relative to the base text. */
export type ChangedBy = 'mine' | 'theirs' | 'both' | 'unknown';
/** Which lines a hunk takes in the merge. */
export type Choice = 'mine' | 'theirs' | 'both';

export interface MergeHunk extends Hunk {
  mine: string[];
  theirs: string[];
  changedBy: ChangedBy;
}

/** A run of lines both sides share, or a hunk (by index). */
export type Segment = { kind: 'same'; from: number; lines: string[] } | { kind: 'hunk'; index: number };

export interface Merge {
  mine: string[];
  theirs: string[];
  hunks: MergeHunk[];
  segments: Segment[];
}

/**
 * Compares mine with theirs. With the base text it is a three-way merge:
 * each hunk is a region of the base one side or both changed, so changes
 * of different lines never meet in one hunk, and a hunk says who changed
 * it. Without the base it is a plain diff and every hunk is 'unknown'.
 */
export function merge(mineText: string, theirsText: string, baseText?: string | null): Merge {
  const mine = splitLines(mineText);
  const theirs = splitLines(theirsText);
  const hunks: MergeHunk[] =
    baseText == null
      ? diffLines(mine, theirs).map((h) => ({ ...h, mine: mine.slice(h.aFrom, h.aTo), theirs: theirs.slice(h.bFrom, h.bTo), changedBy: 'unknown' as const }))
      : threeWay(splitLines(baseText), mine, theirs);
  const segments: Segment[] = [];
  let at = 0;
  hunks.forEach((h, index) => {
    if (h.aFrom > at) segments.push({ kind: 'same', from: at, lines: mine.slice(at, h.aFrom) });
    segments.push({ kind: 'hunk', index });
    at = h.aTo;
  });
  if (at < mine.length) segments.push({ kind: 'same', from: at, lines: mine.slice(at) });
  return { mine, theirs, hunks, segments };
}

/** Hunks of base -> mine and base -> theirs grouped where they overlap. */
function threeWay(base: string[], mine: string[], theirs: string[]): MergeHunk[] {
  const sides = [diffLines(base, mine), diffLines(base, theirs)];
  const all = [...sides[0].map((h) => ({ h, side: 0 })), ...sides[1].map((h) => ({ h, side: 1 }))].sort(
    (x, y) => x.h.aFrom - y.h.aFrom || x.h.aTo - y.h.aTo,
  );
  const overlaps = (h: Hunk, from: number, to: number) =>
    (h.aFrom < to && h.aTo > from) || (h.aFrom === h.aTo && h.aFrom >= from && h.aFrom <= to) || (from === to && h.aFrom <= from && h.aTo >= from);
  const out: MergeHunk[] = [];
  // Lines each side added minus lines it removed before the current chunk.
  const delta = [0, 0];
  for (let i = 0; i < all.length; ) {
    let from = all[i].h.aFrom;
    let to = all[i].h.aTo;
    const members = [[] as Hunk[], [] as Hunk[]];
    let j = i;
    while (j < all.length && (j === i || overlaps(all[j].h, from, to))) {
      const { h, side } = all[j];
      members[side].push(h);
      from = Math.min(from, h.aFrom);
      to = Math.max(to, h.aTo);
      j++;
    }
    i = j;
    const range = (side: number): [number, number] => {
      const hs = members[side];
      if (hs.length === 0) return [from + delta[side], to + delta[side]];
      const first = hs[0];
      const last = hs[hs.length - 1];
      return [first.bFrom - (first.aFrom - from), last.bTo + (to - last.aTo)];
    };
    const [aFrom, aTo] = range(0);
    const [bFrom, bTo] = range(1);
    for (const side of [0, 1]) {
      for (const h of members[side]) delta[side] += h.bTo - h.bFrom - (h.aTo - h.aFrom);
    }
    const m = mine.slice(aFrom, aTo);
    const t = theirs.slice(bFrom, bTo);
    // Both sides made the same change: nothing to choose.
    if (m.length === t.length && m.every((l, k) => l === t[k])) continue;
    const changedBy: ChangedBy = members[0].length && members[1].length ? 'both' : members[0].length ? 'mine' : 'theirs';
    out.push({ aFrom, aTo, bFrom, bTo, mine: m, theirs: t, changedBy });
  }
  return out;
}

/** The choice a hunk starts with: the side that changed it, else mine. */
export function defaultChoice(h: MergeHunk): Choice {
  return h.changedBy === 'theirs' ? 'theirs' : 'mine';
}

/** The merged text: shared lines, and each hunk's chosen side (mine then theirs for both). */
export function mergedText(m: Merge, choices: readonly Choice[]): string {
  let out = '';
  let at = 0;
  m.hunks.forEach((h, i) => {
    out += m.mine.slice(at, h.aFrom).join('');
    const c = choices[i] ?? defaultChoice(h);
    if (c === 'mine' || c === 'both') out += ensureBreak(h.mine, c === 'both' && h.theirs.length > 0);
    if (c === 'theirs' || c === 'both') out += h.theirs.join('');
    at = h.aTo;
  });
  return out + m.mine.slice(at).join('');
}

/** Lines joined; when more follows, a last line without a break gets one. */
function ensureBreak(lines: string[], more: boolean): string {
  const s = lines.join('');
  if (!more || s === '' || /[\r\n]$/.test(s)) return s;
  return s + '\n';
}

/** One row of the side-by-side view; line numbers count from 1. */
export type Row =
  | { kind: 'same'; a: number; b: number; text: string }
  | { kind: 'fold'; count: number }
  | { kind: 'hunk'; index: number }
  | { kind: 'pair'; index: number; a: number | null; mine: string | null; b: number | null; theirs: string | null };

/**
 * The rows of the side-by-side view: shared lines (runs longer than twice
 * `context` folded to their ends), and per hunk a header row and its
 * lines side by side, the shorter side padded.
 */
export function sideBySide(m: Merge, context = 3): Row[] {
  const rows: Row[] = [];
  let shift = 0; // theirs line index minus mine line index
  m.segments.forEach((s, si) => {
    if (s.kind === 'same') {
      const n = s.lines.length;
      const keepHead = si === 0 ? 0 : context;
      const keepTail = si === m.segments.length - 1 ? 0 : context;
      const line = (i: number): Row => ({ kind: 'same', a: s.from + i + 1, b: s.from + i + shift + 1, text: s.lines[i] });
      if (n <= keepHead + keepTail + 1) {
        for (let i = 0; i < n; i++) rows.push(line(i));
      } else {
        for (let i = 0; i < keepHead; i++) rows.push(line(i));
        rows.push({ kind: 'fold', count: n - keepHead - keepTail });
        for (let i = n - keepTail; i < n; i++) rows.push(line(i));
      }
      return;
    }
    const h = m.hunks[s.index];
    rows.push({ kind: 'hunk', index: s.index });
    for (let i = 0; i < Math.max(h.mine.length, h.theirs.length); i++) {
      rows.push({
        kind: 'pair', index: s.index,
        a: i < h.mine.length ? h.aFrom + i + 1 : null, mine: h.mine[i] ?? null,
        b: i < h.theirs.length ? h.bFrom + i + 1 : null, theirs: h.theirs[i] ?? null,
      });
    }
    shift = h.bTo - h.aTo;
  });
  return rows;
}
