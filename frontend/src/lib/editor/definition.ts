// Go to definition: from a reference in the text to what it names. The
// graph Go sends knows every node's range and every channel's producer; the
// scanner finds what is under the cursor, even in half-typed text.

import type { Graph, GraphNode } from '../api/types';
import { rangeOf } from '../graph/geometry';
import { tokenize, type Token } from './scan';

export interface Definition {
  from: number;
  to: number;
  /** What was found, for the status line: "agent validate", "config.limits". */
  what: string;
}

/**
 * The definition of the reference at pos: an agent id, a channel (its
 * producer), "source", "target.<address>", or a config path
 * (`config.thresholds.block`, also inside an expression string) or a
 * model (`models.scorer`).
 */
export function definitionAt(text: string, pos: number, graph: Graph | null): Definition | null {
  const tok = tokenize(text).find((t) => t.from <= pos && pos <= t.to && t.type !== 'comment' && t.type !== 'punct');
  if (!tok) return null;
  if (tok.type === 'string') {
    const ref = graph ? reference(tok.value, graph, pos) : null;
    if (ref) return ref;
    // Inside an expression: the dotted word under the cursor.
    const inner = dottedAt(text, pos, tok);
    return inner ? pathKey(text, inner) : null;
  }
  if (tok.type === 'ident') {
    const word = dottedAt(text, pos, tok);
    return word ? pathKey(text, word) : null;
  }
  return null;
}

function nodeDef(n: GraphNode, what: string): Definition | null {
  const r = rangeOf(n.range);
  return r && r.to > r.from ? { ...r, what } : null;
}

function contains(n: GraphNode, pos: number): boolean {
  const r = rangeOf(n.range);
  return !!r && r.from <= pos && pos <= r.to;
}

/** The workflow whose agent or endpoint encloses pos, when one does. */
function workflowAt(graph: Graph, pos: number): string | undefined {
  return graph.nodes.find((n) => (n.kind === 'agent' || n.kind === 'source' || n.kind === 'target') && contains(n, pos))?.workflow;
}

function reference(value: string, graph: Graph, pos: number): Definition | null {
  const wf = workflowAt(graph, pos);
  // Prefer nodes of the workflow around the cursor, then any.
  const nodes = wf ? [...graph.nodes.filter((n) => n.workflow === wf), ...graph.nodes.filter((n) => n.workflow !== wf)] : graph.nodes;
  const pick = (ok: (n: GraphNode) => boolean, what: (n: GraphNode) => string) => {
    const n = nodes.find((n) => ok(n) && !contains(n, pos)) ?? nodes.find(ok);
    return n ? nodeDef(n, what(n)) : null;
  };
  if (value === 'source') return pick((n) => n.kind === 'source', (n) => `source ${n.props?.address ?? n.label}`);
  if (value.startsWith('target.')) {
    const addr = value.slice('target.'.length);
    const t = pick((n) => n.kind === 'target' && n.props?.address === addr, () => `target ${addr}`);
    if (t) return t;
  }
  const agent = pick((n) => n.kind === 'agent' && n.agent_id === value, () => `agent ${value}`);
  if (agent) return agent;
  // A channel: the agent that outputs it, or the producer of an edge on it.
  const producer = pick((n) => n.kind === 'agent' && n.props?.output === value, (n) => `channel ${value} (output of ${n.agent_id ?? n.label})`);
  if (producer) return producer;
  const edge = graph.edges.find((e) => e.channel === value);
  const from = edge ? graph.nodes.find((n) => n.id === edge.from) : undefined;
  return from ? nodeDef(from, `channel ${value} (from ${from.agent_id ?? from.label})`) : null;
}

/** The dotted identifier (`config.a.b`) under pos, up to the segment under the cursor. */
function dottedAt(text: string, pos: number, tok: Token): string | null {
  const lo = tok.type === 'string' ? tok.from + 1 : tok.from;
  const hi = tok.type === 'string' ? tok.to - 1 : tok.to;
  let from = pos;
  let to = pos;
  while (from > lo && /[A-Za-z0-9_.]/.test(text[from - 1])) from--;
  while (to < hi && /[A-Za-z0-9_]/.test(text[to])) to++;
  const word = text.slice(from, to).replace(/^\.+/, '');
  return /^(config|models)\.[A-Za-z_]/.test(word) ? word : null;
}

/**
 * The key a config or models path names (the deepest that exists: a
 * half-written path still finds its parent), found with one
 * pass over the tokens: keys are identifiers or strings followed by ':',
 * tracked per bracket depth.
 */
export function pathKey(text: string, dotted: string): Definition | null {
  const want = dotted.split('.');
  const toks = tokenize(text).filter((t) => t.type !== 'comment');
  const path: (string | null)[] = []; // the key of each open bracket
  let best: { tok: Token; depth: number } | null = null;
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i];
    if (t.type === 'punct') {
      if (t.value === '{' || t.value === '[' || t.value === '(') {
        const prev = toks[i - 1];
        const key = prev?.type === 'punct' && prev.value === ':' ? keyBefore(toks, i - 1) : null;
        path.push(key);
      } else if (t.value === '}' || t.value === ']' || t.value === ')') {
        path.pop();
      }
      continue;
    }
    if ((t.type !== 'ident' && t.type !== 'string') || toks[i + 1]?.value !== ':' || toks[i + 1]?.type !== 'punct') continue;
    // The keys from the workflow down: config.* names the workflow's own
    // config block, not an agent's config argument (agents: [...(config:)]);
    // models.* the workflow's models block.
    const rel = [...path.filter((k): k is string => k !== null), t.value];
    if (rel.length > want.length || rel.some((k, j) => k !== want[j])) continue;
    if (!best || rel.length > best.depth) best = { tok: t, depth: rel.length };
    if (rel.length === want.length) break;
  }
  if (!best) return null;
  return { from: best.tok.from, to: best.tok.to, what: want.slice(0, best.depth).join('.') };
}

function keyBefore(toks: Token[], colon: number): string | null {
  const k = toks[colon - 1];
  return k && (k.type === 'ident' || k.type === 'string') ? k.value : null;
}
