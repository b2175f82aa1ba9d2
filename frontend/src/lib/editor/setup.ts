// The editor's extensions. History lives in the workspace store's state
// (one history for text and canvas edits); everything else is here.

import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap } from '@codemirror/autocomplete';
import { defaultKeymap, historyKeymap, indentWithTab } from '@codemirror/commands';
import {
  bracketMatching, foldKeymap, HighlightStyle, indentOnInput, indentUnit, syntaxHighlighting,
} from '@codemirror/language';
import { lintGutter, lintKeymap } from '@codemirror/lint';
import { highlightSelectionMatches, searchKeymap } from '@codemirror/search';
import { EditorSelection, type Extension } from '@codemirror/state';
import {
  crosshairCursor, drawSelection, dropCursor, EditorView, highlightActiveLine, highlightActiveLineGutter,
  highlightSpecialChars, keymap, lineNumbers, rectangularSelection, type KeyBinding,
} from '@codemirror/view';
import { tags as t } from '@lezer/highlight';
import { kumeoCompletion, type CompletionData } from './completion';
import { definitionAt } from './definition';
import { kumeoHover } from './hover';
import { kumeoLanguage } from './kumeoLanguage';
import { kumeoFoldGutter, kumeoStructure } from './structure';
import type { TypeSpec } from '../api/types';

/** Token colours from CSS variables, so light and dark themes share one style. */
export const highlight = HighlightStyle.define([
  { tag: t.comment, color: 'var(--tok-comment)', fontStyle: 'italic' },
  { tag: t.string, color: 'var(--tok-string)' },
  { tag: t.number, color: 'var(--tok-number)' },
  { tag: [t.keyword, t.bool, t.null, t.atom], color: 'var(--tok-keyword)', fontWeight: '600' },
  { tag: t.typeName, color: 'var(--tok-type)', fontWeight: '600' },
  { tag: t.propertyName, color: 'var(--tok-key)' },
  { tag: t.variableName, color: 'var(--tok-ref)' },
]);

const theme = EditorView.theme({
  '&': { height: '100%', fontSize: '13px', backgroundColor: 'var(--editor-bg)', color: 'var(--text)' },
  '.cm-scroller': { fontFamily: "ui-monospace, 'DejaVu Sans Mono', monospace", lineHeight: '1.5' },
  '.cm-gutters': { background: 'var(--gutter-bg)', borderRight: '1px solid var(--border)', color: 'var(--muted)' },
  '.cm-activeLine': { backgroundColor: 'var(--active-line)' },
  '.cm-activeLineGutter': { backgroundColor: 'var(--active-line)' },
  '&.cm-focused .cm-cursor': { borderLeftColor: 'var(--text)' },
  '&.cm-focused .cm-selectionBackground, .cm-selectionBackground, ::selection': { backgroundColor: 'var(--selection) !important' },
  '.cm-tooltip': { background: 'var(--panel)', color: 'var(--text)', border: '1px solid var(--border)' },
  '.cm-tooltip-autocomplete ul li[aria-selected]': { background: 'var(--kumeo-teal)', color: '#fff' },
  '.kumeo-hover': { maxWidth: '440px', padding: '6px 10px', fontSize: '12.5px' },
  '.kumeo-hover-title': { fontWeight: '650', fontFamily: "ui-monospace, 'DejaVu Sans Mono', monospace" },
  '.kumeo-hover-detail': { color: 'var(--muted)', fontSize: '11.5px' },
  '.kumeo-hover p': { margin: '4px 0' },
  '.kumeo-hover ul': { margin: '4px 0', paddingLeft: '16px' },
  '.cm-node-range': { backgroundColor: 'var(--node-range)' },
  '.cm-panels': { background: 'var(--panel)', color: 'var(--text)' },
});

export interface EditorHooks {
  completion: () => CompletionData;
  specs: () => readonly TypeSpec[];
  /** Keys the app handles (save, format, undo through the store). */
  keys: readonly KeyBinding[];
}

/**
 * Moves the cursor to the definition of the reference at pos (selecting it
 * when it is short, like a key or an endpoint) and reports whether there
 * was one.
 */
export function goToDefinition(view: EditorView, pos: number, graph: CompletionData['graph']): boolean {
  const d = definitionAt(view.state.sliceDoc(), pos, graph);
  if (!d) return false;
  const range = d.to - d.from <= 80 ? EditorSelection.range(d.from, d.to) : EditorSelection.cursor(d.from);
  view.dispatch({
    selection: range,
    effects: EditorView.scrollIntoView(d.from, { y: 'center' }),
    userEvent: 'select.definition',
  });
  view.focus();
  return true;
}

export function editorExtensions(hooks: EditorHooks): Extension {
  const mac = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform ?? '');
  return [
    keymap.of([...hooks.keys]),
    keymap.of([{ key: 'F12', run: (view) => goToDefinition(view, view.state.selection.main.head, hooks.completion().graph), preventDefault: true }]),
    // Ctrl-click (Cmd-click on macOS) on a reference goes to its definition;
    // elsewhere the click keeps its usual meaning.
    EditorView.domEventHandlers({
      mousedown(e, view) {
        if (e.button !== 0 || !(mac ? e.metaKey : e.ctrlKey) || e.altKey || e.shiftKey) return false;
        const pos = view.posAtCoords({ x: e.clientX, y: e.clientY });
        if (pos == null || !goToDefinition(view, pos, hooks.completion().graph)) return false;
        e.preventDefault();
        return true;
      },
    }),
    lineNumbers(),
    highlightActiveLineGutter(),
    highlightSpecialChars(),
    kumeoFoldGutter,
    drawSelection(),
    dropCursor(),
    EditorView.lineWrapping,
    indentOnInput(),
    indentUnit.of('  '),
    syntaxHighlighting(highlight),
    bracketMatching(),
    closeBrackets(),
    autocompletion({ override: [kumeoCompletion(hooks.completion)], icons: false }),
    rectangularSelection(),
    crosshairCursor(),
    highlightActiveLine(),
    highlightSelectionMatches(),
    lintGutter(),
    kumeoHover(hooks.specs),
    kumeoLanguage,
    kumeoStructure,
    theme,
    keymap.of([
      ...closeBracketsKeymap,
      ...defaultKeymap,
      ...searchKeymap,
      ...historyKeymap,
      ...foldKeymap,
      ...completionKeymap,
      ...lintKeymap,
      indentWithTab,
    ]),
  ];
}
