// Folding and indentation from brackets: the stream tokenizer gives no
// tree, so both come from the scanner's view of { [ ( and their partners.

import { foldService, indentService, type IndentContext } from '@codemirror/language';
import type { EditorState, Text } from '@codemirror/state';
import { tokenize } from './scan';

const OPEN = new Set(['{', '[', '(']);
const CLOSE = new Set(['}', ']', ')']);

/** Positions of the brackets still open at pos (outermost first). */
export function openBrackets(text: string, pos: number): number[] {
  const stack: number[] = [];
  for (const t of tokenize(text, pos)) {
    if (t.from >= pos) break;
    if (t.type !== 'punct') continue;
    if (OPEN.has(t.value)) stack.push(t.from);
    else if (CLOSE.has(t.value)) stack.pop();
  }
  return stack;
}

/** The position of the bracket closing the one at `open`, or -1. */
export function closingBracket(text: string, open: number): number {
  let depth = 0;
  for (const t of tokenize(text)) {
    if (t.to <= open || t.type !== 'punct') continue;
    if (OPEN.has(t.value)) depth++;
    else if (CLOSE.has(t.value) && --depth === 0) return t.from;
  }
  return -1;
}

/** Indentation for a new line at pos: one unit inside each open bracket. */
export function indentAt(text: string, pos: number, unit: number): number {
  const stack = openBrackets(text, pos);
  if (stack.length === 0) return 0;
  const open = stack[stack.length - 1];
  const lineStart = text.lastIndexOf('\n', open - 1) + 1;
  const base = /^[ \t]*/.exec(text.slice(lineStart))![0].replace(/\t/g, ' '.repeat(unit)).length;
  // A line that starts by closing the bracket lines up with its opener.
  const rest = text.slice(pos).match(/^[ \t]*(.)/)?.[1];
  return rest && CLOSE.has(rest) ? base : base + unit;
}

/** Pairs of matching brackets (open position -> close position), per document. */
const pairsCache = new WeakMap<Text, Map<number, number>>();

export function bracketPairs(text: string): Map<number, number> {
  const pairs = new Map<number, number>();
  const stack: number[] = [];
  for (const t of tokenize(text)) {
    if (t.type !== 'punct') continue;
    if (OPEN.has(t.value)) stack.push(t.from);
    else if (CLOSE.has(t.value) && stack.length) pairs.set(stack.pop()!, t.from);
  }
  return pairs;
}

function pairsOf(state: EditorState): Map<number, number> {
  let p = pairsCache.get(state.doc);
  if (!p) {
    p = bracketPairs(state.sliceDoc());
    pairsCache.set(state.doc, p);
  }
  return p;
}

export const kumeoStructure = [
  indentService.of((cx: IndentContext, pos: number) => indentAt(cx.state.sliceDoc(), pos, cx.unit)),
  foldService.of((state: EditorState, lineStart: number, lineEnd: number) => {
    const line = state.sliceDoc(lineStart, lineEnd);
    const m = /([{[(])\s*(\/\/.*)?$/.exec(line);
    if (!m) return null;
    const open = lineStart + m.index;
    const close = pairsOf(state).get(open) ?? -1;
    if (close < 0 || state.doc.lineAt(close).number === state.doc.lineAt(open).number) return null;
    return { from: open + 1, to: close };
  }),
];
