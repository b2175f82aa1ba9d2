// Hover docs from the TypeSpecs: constructor names show their doc and
// arguments, argument names and config keys their own doc.

import { hoverTooltip, type Tooltip } from '@codemirror/view';
import type { TypeSpec } from '../api/types';
import { contextAt, wordAt } from './scan';

export interface HoverDoc {
  from: number;
  to: number;
  title: string;
  detail: string;
  doc: string;
  args?: { name: string; kind: string; required: boolean; doc: string }[];
}

/** The doc to show for the word at pos; exported for tests. */
export function hoverDoc(text: string, pos: number, specs: readonly TypeSpec[]): HoverDoc | null {
  const w = wordAt(text, pos);
  if (!w) return null;
  const spec = specs.find((s) => s.name === w.word);
  const after = text.slice(w.to).match(/^\s*(\(|:|=)/)?.[1];
  if (spec && after === '(') {
    return {
      from: w.from, to: w.to, title: spec.name, detail: spec.categories.join(', ') + (spec.runnable ? '' : ' · not runnable locally'), doc: spec.doc,
      args: spec.args.filter((a) => !['deployment', 'description', 'concurrency'].includes(a.name)).map((a) => ({ name: a.name, kind: a.kind, required: !!a.required, doc: a.doc })),
    };
  }
  if (after === ':' || after === '=') {
    const ctx = contextAt(text, w.from);
    const call = ctx.call ? specs.find((s) => s.name === ctx.call!.name) : undefined;
    if (!call) return null;
    const top = ctx.frames.at(-1);
    const list = top?.kind === 'call' ? call.args : top?.kind === 'object' && top.key === 'config' ? call.config_keys ?? [] : [];
    const arg = list.find((a) => a.name === w.word);
    if (!arg) return null;
    return {
      from: w.from, to: w.to, title: `${call.name} · ${arg.name}`,
      detail: arg.kind + (arg.required ? ', required' : '') + (arg.enum ? ` — one of ${arg.enum.join(', ')}` : ''),
      doc: arg.doc,
    };
  }
  return null;
}

function render(d: HoverDoc): HTMLElement {
  const el = document.createElement('div');
  el.className = 'kumeo-hover';
  const h = el.appendChild(document.createElement('div'));
  h.className = 'kumeo-hover-title';
  h.textContent = d.title;
  const detail = el.appendChild(document.createElement('div'));
  detail.className = 'kumeo-hover-detail';
  detail.textContent = d.detail;
  const p = el.appendChild(document.createElement('p'));
  p.textContent = d.doc;
  if (d.args?.length) {
    const ul = el.appendChild(document.createElement('ul'));
    for (const a of d.args) {
      const li = ul.appendChild(document.createElement('li'));
      const code = li.appendChild(document.createElement('code'));
      code.textContent = a.name + (a.required ? '*' : '');
      li.append(` ${a.kind} — ${a.doc}`);
    }
  }
  return el;
}

export function kumeoHover(specs: () => readonly TypeSpec[]) {
  return hoverTooltip((view, pos): Tooltip | null => {
    const d = hoverDoc(view.state.sliceDoc(), pos, specs());
    if (!d) return null;
    return { pos: d.from, end: d.to, above: true, create: () => ({ dom: render(d) }) };
  });
}
