// Folding and indentation from brackets: the stream tokenizer gives no
// tree, so both come from the scanner's view of { [ ( and their partners.

import {
  codeFolding, foldable, foldedRanges, foldEffect, foldService, indentService, unfoldEffect, type IndentContext,
} from '@codemirror/language';
import { RangeSetBuilder, type EditorState, type Text } from '@codemirror/state';
import { gutter, GutterMarker, ViewPlugin, type EditorView, type ViewUpdate } from '@codemirror/view';
import { tokenize, tokens } from './scan';

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

/**
 * The position of the bracket closing the one at `open`, or -1. The scan
 * starts at `from` (default: the start of the text; the fold service passes
 * the start of open's line, so folding a small block in a large file reads
 * only that block) and stops at the match.
 */
export function closingBracket(text: string, open: number, from = 0): number {
  let depth = 0;
  for (const t of tokens(text, from)) {
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

/**
 * Closing positions found so far, per document and opening bracket: the
 * fold gutter asks about the visible lines only, and each answer scans just
 * the block it folds, so an edit in a large file costs no whole-text scan.
 */
const closeCache = new WeakMap<Text, Map<number, number>>();

function closeOf(state: EditorState, lineStart: number, open: number): number {
  let m = closeCache.get(state.doc);
  if (!m) closeCache.set(state.doc, (m = new Map()));
  let close = m.get(open);
  if (close === undefined) {
    // Starting at the line start assumes the line does not begin inside a
    // multi-line string or comment; then the match may be off, which only
    // affects where a fold ends.
    // Growing windows of text: a match is never a false one (a window cut
    // inside a string or comment leaves it open to the end), only missed.
    const len = state.doc.length;
    for (let size = 4096; ; size *= 16) {
      const end = Math.min(len, lineStart + size);
      const c = closingBracket(state.sliceDoc(lineStart, end), open - lineStart);
      if (c >= 0 || end === len) {
        close = c < 0 ? -1 : c + lineStart;
        break;
      }
    }
    m.set(open, close);
  }
  return close;
}

/** A line that ends by opening a bracket (a comment may follow): a fold starts there. */
const OPENS_BLOCK = /([{[(])\s*(\/\/.*)?$/;

export const kumeoStructure = [
  indentService.of((cx: IndentContext, pos: number) => indentAt(cx.state.sliceDoc(), pos, cx.unit)),
  foldService.of((state: EditorState, lineStart: number, lineEnd: number) => {
    const line = state.sliceDoc(lineStart, lineEnd);
    const m = OPENS_BLOCK.exec(line);
    if (!m) return null;
    const open = lineStart + m.index;
    const close = closeOf(state, lineStart, open);
    if (close < 0 || state.doc.lineAt(close).number === state.doc.lineAt(open).number) return null;
    return { from: open + 1, to: close };
  }),
];

class FoldMarker extends GutterMarker {
  constructor(readonly open: boolean) {
    super();
  }
  eq(other: FoldMarker): boolean {
    return this.open === other.open;
  }
  toDOM(view: EditorView): Node {
    const span = document.createElement('span');
    span.textContent = this.open ? '⌄' : '›';
    span.title = view.state.phrase(this.open ? 'Fold line' : 'Unfold line');
    return span;
  }
}

const canFold = new FoldMarker(true);
const canUnfold = new FoldMarker(false);

/** The fold that starts on the line [from, to], if one is folded. */
function foldAt(state: EditorState, from: number, to: number): { from: number; to: number } | null {
  let found: { from: number; to: number } | null = null;
  foldedRanges(state).between(from, to, (a, b) => {
    if (!found || found.from > a) found = { from: a, to: b };
  });
  return found;
}

/**
 * The fold gutter. CodeMirror's own asks the fold service for the whole
 * range of every visible line on each change, which for a line opening a
 * large block (a workflow's `agents: [`) means reading the block to its
 * end on every keystroke. A line ending in an opening bracket closes on a
 * later line or not at all, so the marker needs only the line; the range
 * is found when the marker is clicked.
 */
const foldMarkers = ViewPlugin.fromClass(
  class {
    markers;
    constructor(view: EditorView) {
      this.markers = this.build(view);
    }
    update(u: ViewUpdate) {
      if (u.docChanged || u.viewportChanged || foldedRanges(u.startState) !== foldedRanges(u.state)) this.markers = this.build(u.view);
    }
    build(view: EditorView) {
      const b = new RangeSetBuilder<FoldMarker>();
      for (const line of view.viewportLineBlocks) {
        const mark = foldAt(view.state, line.from, line.to)
          ? canUnfold
          : OPENS_BLOCK.test(view.state.sliceDoc(line.from, line.to))
            ? canFold
            : null;
        if (mark) b.add(line.from, line.from, mark);
      }
      return b.finish();
    }
  },
);

export const kumeoFoldGutter = [
  foldMarkers,
  gutter({
    class: 'cm-foldGutter',
    markers: (view) => view.plugin(foldMarkers)?.markers ?? new RangeSetBuilder<FoldMarker>().finish(),
    initialSpacer: () => canUnfold,
    domEventHandlers: {
      click(view, line) {
        const folded = foldAt(view.state, line.from, line.to);
        if (folded) {
          view.dispatch({ effects: unfoldEffect.of(folded) });
          return true;
        }
        const range = foldable(view.state, line.from, line.to);
        if (!range) return false;
        view.dispatch({ effects: foldEffect.of(range) });
        return true;
      },
    },
  }),
  codeFolding(),
];
