// Diagnostics from Go shown by @codemirror/lint, with "did you mean"
// suggestions as quick fixes.

import { forEachDiagnostic, openLintPanel, type Diagnostic as CMDiagnostic } from '@codemirror/lint';
import type { EditorView } from '@codemirror/view';
import type { Diagnostic } from '../api/types';

/** The text that replaces `current` with a suggestion, keeping its quotes. */
export function fixText(current: string, suggestion: string): string {
  const q = current[0];
  if ((q === '"' || q === "'") && current.length >= 2 && current.endsWith(q) && !suggestion.startsWith(q)) return q + suggestion + q;
  return suggestion;
}

/** CodeMirror diagnostics for Go's (positions already in editor coordinates). */
export function toLint(diags: readonly Diagnostic[], docLength: number): CMDiagnostic[] {
  return diags.map((d) => {
    const from = Math.max(0, Math.min(d.from, docLength));
    const to = Math.max(from, Math.min(d.to, docLength));
    const message = d.detail ? `${d.summary}: ${d.detail}` : d.summary;
    return {
      from,
      to,
      severity: d.severity === 'warning' ? 'warning' : d.severity === 'info' ? 'info' : 'error',
      source: d.code,
      message,
      actions: (d.suggestions ?? []).map((s) => ({
        name: `Replace with ${s}`,
        apply(view: EditorView, f: number, t: number) {
          view.dispatch({ changes: { from: f, to: t, insert: fixText(view.state.sliceDoc(f, t), s) }, userEvent: 'input.quickfix' });
        },
      })),
    };
  });
}

/**
 * Mod-.: applies the first quick fix of the problem at the cursor, or
 * opens the list of problems when there is none.
 */
export function quickFix(view: EditorView): boolean {
  const pos = view.state.selection.main.head;
  let done = false;
  forEachDiagnostic(view.state, (d, from, to) => {
    if (done || pos < from || pos > to || !d.actions?.length) return;
    d.actions[0].apply(view, from, to);
    done = true;
  });
  return done || openLintPanel(view);
}
