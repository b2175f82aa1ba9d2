// What the inspector needs besides the components: drafts of the fields
// being edited (kept, with Go's error, when an edit is refused), and small
// readers of the text for workflow settings and endpoint options.

import { tokenize, callArgs, type Token } from '../editor/scan';
import type { EditOp, Graph, GraphNode } from '../api/types';

/**
 * Field drafts: what the user typed, per field key, until Go accepted it.
 * A refused edit keeps the draft and shows the error next to the field.
 */
export class FieldDrafts {
  drafts = $state<Record<string, string>>({});
  errors = $state<Record<string, string>>({});

  /** What a field shows: the draft, else the current value. */
  value(key: string, current: string): string {
    return this.drafts[key] ?? current;
  }

  input(key: string, text: string): void {
    this.drafts[key] = text;
  }

  /**
   * Sends the field's draft through apply (which answers an error message or
   * null). An unchanged value sends nothing. Resolves to whether the field
   * now matches the text.
   */
  commit(key: string, current: string, apply: (text: string) => Promise<string | null>): Promise<boolean> {
    const text = this.drafts[key];
    if (text === undefined || text.trim() === current.trim()) {
      this.revert(key);
      return Promise.resolve(true);
    }
    // Enter and then leaving the field commit the same text once.
    const pending = this.#pending.get(key);
    if (pending && pending.text === text) return pending.done;
    const done = this.#commit(key, text, apply).finally(() => {
      if (this.#pending.get(key)?.done === done) this.#pending.delete(key);
    });
    this.#pending.set(key, { text, done });
    return done;
  }

  #pending = new Map<string, { text: string; done: Promise<boolean> }>();

  async #commit(key: string, text: string, apply: (text: string) => Promise<string | null>): Promise<boolean> {
    const err = await apply(text.trim());
    if (this.drafts[key] !== text) return false; // typed on meanwhile
    if (err) {
      this.errors[key] = err;
      return false;
    }
    this.revert(key);
    return true;
  }

  /** Drops a field's draft and error (Escape). */
  revert(key: string): void {
    delete this.drafts[key];
    delete this.errors[key];
  }

  /** Shows an error that belongs to no typed value (a refused button action). */
  fail(key: string, err: string): void {
    this.errors[key] = err;
  }

  reset(): void {
    this.drafts = {};
    this.errors = {};
  }
}

/** A property of an object or block, with its value as written. */
export interface Prop {
  key: string;
  value: string;
  from: number;
  to: number;
}

/**
 * The properties of a workflow or subworkflow block, in order: keys at the
 * block's top level, values as written (comments inside kept).
 */
export function blockProps(text: string, name: string): Prop[] | null {
  const toks = tokenize(text).filter((t) => t.type !== 'comment');
  for (let i = 0; i + 2 < toks.length; i++) {
    const t = toks[i];
    if (t.type === 'ident' && (t.value === 'workflow' || t.value === 'subworkflow') && toks[i + 1].type === 'ident' && toks[i + 1].value === name && toks[i + 2].value === '{') {
      return propsIn(text, toks, i + 3);
    }
  }
  return null;
}

/** The properties of an object written as text ({ a: 1, b: "x" }). */
export function objectProps(value: string): Prop[] {
  const toks = tokenize(value).filter((t) => t.type !== 'comment');
  if (toks[0]?.value !== '{' || toks[0].type !== 'punct') return [];
  return propsIn(value, toks, 1);
}

/** Properties from toks[start] up to the bracket closing the block or object. */
function propsIn(text: string, toks: Token[], start: number): Prop[] {
  const props: Prop[] = [];
  let depth = 0;
  let cur: { key: string; from: number; end: number } | null = null;
  const finish = () => {
    if (cur && cur.from >= 0) props.push({ key: cur.key, from: cur.from, to: cur.end, value: text.slice(cur.from, cur.end) });
    cur = null;
  };
  for (let k = start; k < toks.length; k++) {
    const t = toks[k];
    const punct = t.type === 'punct';
    if (depth === 0 && punct && '}])'.includes(t.value)) break;
    if (depth === 0 && punct && t.value === ',') {
      finish();
      continue;
    }
    if (depth === 0 && (t.type === 'ident' || t.type === 'string') && toks[k + 1]?.type === 'punct' && (toks[k + 1].value === ':' || toks[k + 1].value === '=')) {
      finish();
      cur = { key: t.value, from: -1, end: -1 };
      k++;
      continue;
    }
    if (punct && '{[('.includes(t.value)) depth++;
    else if (punct && '}])'.includes(t.value)) depth--;
    if (cur) {
      if (cur.from < 0) cur.from = t.from;
      cur.end = t.to;
    }
  }
  finish();
  return props;
}

/** An endpoint call's parts: type, address argument and options. */
export interface EndpointParts {
  type: string;
  /** The options object as written, '' when there is none. */
  options: string;
  props: Prop[];
}

export function endpointParts(callText: string): EndpointParts | null {
  const c = callArgs(callText, 0);
  if (!c) return null;
  const opts = c.args.find((a) => (a.name === '' || a.name === 'options') && a.value.startsWith('{'));
  return { type: c.name, options: opts?.value ?? '', props: opts ? objectProps(opts.value) : [] };
}

/** The endpoint's call text with another constructor name. */
export function withType(callText: string, type: string): string {
  const m = /^(\s*)[A-Za-z_][A-Za-z0-9_]*/.exec(callText);
  return m ? m[1] + type + callText.slice(m[0].length) : callText;
}

/**
 * A multi-line value as written in the file, without the indentation its
 * position gave its later lines (what the inspector shows and takes back).
 */
export function dedent(value: string): string {
  const lines = value.split('\n');
  if (lines.length < 2) return value;
  const rest = lines.slice(1).filter((l) => l.trim() !== '');
  const min = Math.min(...rest.map((l) => /^[ \t]*/.exec(l)![0].length));
  if (!Number.isFinite(min) || min === 0) return value;
  return [lines[0], ...lines.slice(1).map((l) => l.slice(Math.min(min, /^[ \t]*/.exec(l)![0].length)))].join('\n');
}

/** Kumeo source of a string value. */
export function quote(s: string): string {
  return JSON.stringify(s);
}

/** The move_agent operation that moves an agent one place up (-1) or down (+1), or null at the end of its list. */
export function moveOp(graph: Graph | null, node: GraphNode, by: -1 | 1): EditOp | null {
  if (node.kind !== 'agent' || !node.agent_id || !graph) return null;
  const siblings = graph.nodes.filter((n) => n.kind === 'agent' && n.workflow === node.workflow && (n.stage ?? '') === (node.stage ?? ''));
  const to = node.index + by;
  if (to < 0 || to >= siblings.length) return null;
  return { op: 'move_agent', workflow: node.workflow, id: node.agent_id, index: to };
}

/** Settings a workflow block may have besides its endpoints and agents, with a starting value. */
export const WORKFLOW_SETTINGS: { key: string; value: string; doc: string }[] = [
  { key: 'nats', value: '"nats://nats:4222"', doc: 'NATS URL used when deployed; the local engine always uses its embedded server.' },
  { key: 'context', value: '[]', doc: 'Shared knowledge given to agents: BayesianNetwork("risk.bn"), KnowledgeBase("docs/"), ...' },
  { key: 'config', value: '{}', doc: 'Values referenced as config.x.y.' },
  { key: 'models', value: '{}', doc: 'Named model definitions: name: { file: "x.onnx", type: "onnx" }.' },
  { key: 'data', value: '{}', doc: 'Named files and values, referenced as data.x.' },
  { key: 'schemas', value: '{}', doc: 'Named JSON Schemas, referenced as schemas.x.' },
  { key: 'monitor', value: '{ metrics: [] }', doc: 'Metrics, dashboard and alert thresholds.' },
  { key: 'deployment', value: '{}', doc: 'Kubernetes settings.' },
];

export const SUBWORKFLOW_SETTINGS: { key: string; value: string; doc: string }[] = [
  { key: 'input', value: '[]', doc: 'Names of the inputs.' },
  { key: 'output', value: '[]', doc: 'Names of the outputs.' },
  { key: 'context', value: '[]', doc: 'Shared knowledge given to agents.' },
];

/** Block keys the inspector does not edit as settings (they have their own nodes). */
export const STRUCTURAL_KEYS = new Set(['source', 'target', 'agents', 'preprocessors']);
