// Offsets Go sends are UTF-16 offsets into the file's text. CodeMirror
// counts a line break as one position, so in a file with CRLF line breaks
// the two differ; these helpers convert between them and compute minimal
// replacements.

import type { Text } from '@codemirror/state';

export interface OffsetMapper {
  /** CodeMirror position of a UTF-16 offset into the text. */
  toPos(offset: number): number;
  /** UTF-16 offset into the text of a CodeMirror position. */
  toOffset(pos: number): number;
}

const identity: OffsetMapper = { toPos: (o) => o, toOffset: (p) => p };

/** The line separator to configure for a text so it round-trips byte for byte. */
export function lineSeparatorOf(text: string): '\r\n' | '\n' {
  return text.includes('\r\n') ? '\r\n' : '\n';
}

/** A mapper for text whose line separator is sep. */
export function offsetMapper(text: string, sep: string = lineSeparatorOf(text)): OffsetMapper {
  if (sep !== '\r\n') return identity;
  const crlf: number[] = []; // string offsets of each "\r\n"
  for (let i = text.indexOf('\r\n'); i >= 0; i = text.indexOf('\r\n', i + 2)) crlf.push(i);
  if (crlf.length === 0) return identity;
  // Number of separators that start before offset o (an offset between \r and \n counts the pair).
  const before = (o: number) => {
    let lo = 0, hi = crlf.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (crlf[mid] < o) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return {
    toPos: (o) => {
      const n = before(o);
      // Inside a separator: snap to its start.
      if (n > 0 && crlf[n - 1] + 1 === o) return o - n + 1 - 1;
      return o - n;
    },
    toOffset: (p) => {
      // The k-th separator (0-based) sits at position crlf[k] - k.
      let lo = 0, hi = crlf.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (crlf[mid] - mid < p) lo = mid + 1;
        else hi = mid;
      }
      return p + lo;
    },
  };
}

const mappers = new WeakMap<Text, OffsetMapper>();

/** The mapper of a CodeMirror document, cached per document. */
export function mapperOf(doc: Text, sep: string): OffsetMapper {
  if (sep !== '\r\n') return identity;
  let m = mappers.get(doc);
  if (!m) {
    m = offsetMapper(doc.sliceString(0, doc.length, sep), sep);
    mappers.set(doc, m);
  }
  return m;
}

/** The single replacement that turns a into b: common prefix and suffix kept. */
export function minimalChange(a: string, b: string): { from: number; to: number; insert: string } | null {
  if (a === b) return null;
  let start = 0;
  const max = Math.min(a.length, b.length);
  while (start < max && a.charCodeAt(start) === b.charCodeAt(start)) start++;
  let endA = a.length, endB = b.length;
  while (endA > start && endB > start && a.charCodeAt(endA - 1) === b.charCodeAt(endB - 1)) {
    endA--;
    endB--;
  }
  return { from: start, to: endA, insert: b.slice(start, endB) };
}
