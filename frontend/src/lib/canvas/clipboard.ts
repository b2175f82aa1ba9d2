// Copy, paste and duplicate of agents on the canvas. Copying takes each
// selected agent's text as written (comments inside it included); pasting
// adds the copies as new agents through add_agent operations, with fresh
// ids and fresh output channels, so a pasted chain is wired to itself and
// reads from the same inputs outside it, and nothing doubles an existing
// producer.

import type { EditOp, Graph, GraphNode } from '../api/types';
import { rangeOf } from '../graph/geometry';
import { callArgs, tokenize } from '../editor/scan';
import { agentNodeId } from '../api/protocol.gen';

export interface CopiedAgent {
  workflow: string;
  id: string;
  /** The agent's text as written. */
  text: string;
  /** Its output channel, when it has one. */
  output?: string;
  /** 'preprocessors' for a preprocessor. */
  stage?: string;
}

/** The selected agents of graph, in text order, with their text. */
export function copyAgents(text: string, graph: Graph | null, selected: readonly string[]): CopiedAgent[] {
  const ids = new Set(selected);
  const out: { at: number; agent: CopiedAgent }[] = [];
  for (const n of graph?.nodes ?? []) {
    if (!ids.has(n.id) || n.kind !== 'agent') continue;
    const r = rangeOf(n.range);
    if (!r) continue;
    out.push({ at: r.from, agent: { workflow: n.workflow, id: n.agent_id ?? n.label, text: text.slice(r.from, r.to), output: n.props?.output, stage: n.stage } });
  }
  return out.sort((a, b) => a.at - b.at).map((x) => x.agent);
}

/** The first free `base_N` (N ≥ 2) among taken, base being id without a `_N` suffix. */
export function nextName(id: string, taken: ReadonlySet<string>): string {
  const base = id.replace(/_\d+$/, '') || id;
  for (let i = 2; ; i++) {
    const name = `${base}_${i}`;
    if (!taken.has(name)) return name;
  }
}

/** The channel names used anywhere in the graph (inputs, outputs, edges). */
function channelsOf(graph: Graph | null): Set<string> {
  const out = new Set<string>();
  for (const e of graph?.edges ?? []) if (e.channel) out.add(e.channel);
  for (const n of graph?.nodes ?? []) if (n.props?.output) out.add(n.props.output);
  return out;
}

/**
 * Rewrites an agent's text: the id argument's value, and every string in
 * its input and output arguments that names a renamed channel.
 */
export function rewriteAgent(agentText: string, id: string, channels: ReadonlyMap<string, string>): string {
  const call = callArgs(agentText, 0);
  if (!call) return agentText;
  const edits: { from: number; to: number; insert: string }[] = [];
  for (const a of call.args) {
    if (a.name === 'id') {
      edits.push({ from: a.from, to: a.to, insert: JSON.stringify(id) });
    } else if (a.name === 'input' || a.name === 'output') {
      for (const t of tokenize(agentText.slice(0, a.to))) {
        if (t.from < a.from || t.type !== 'string' || t.open) continue;
        const renamed = channels.get(t.value);
        if (renamed !== undefined) edits.push({ from: t.from, to: t.to, insert: JSON.stringify(renamed) });
      }
    }
  }
  let s = agentText;
  for (const e of edits.sort((x, y) => y.from - x.from)) s = s.slice(0, e.from) + e.insert + s.slice(e.to);
  return s;
}

export interface PastePlan {
  ops: EditOp[];
  /** Node ids of the agents the operations add. */
  nodes: string[];
}

/**
 * The operations that paste copied agents into workflow (their own when
 * not given), after the agent `after` (or at the end), in their order.
 */
export function pasteOps(copied: readonly CopiedAgent[], graph: Graph | null, opts: { workflow?: string; after?: string } = {}): PastePlan {
  const ops: EditOp[] = [];
  const nodes: string[] = [];
  if (copied.length === 0) return { ops, nodes };
  const workflow = opts.workflow ?? copied[0].workflow;
  const taken = new Set((graph?.nodes ?? []).filter((n: GraphNode) => n.kind === 'agent' && n.workflow === workflow).map((n) => n.agent_id ?? n.label));
  const usedChannels = channelsOf(graph);
  const ids = new Map<string, string>();
  const channels = new Map<string, string>();
  for (const c of copied) {
    const id = nextName(c.id, taken);
    taken.add(id);
    ids.set(c.id, id);
    if (c.output && !channels.has(c.output)) {
      const ch = nextName(c.output, usedChannels);
      usedChannels.add(ch);
      channels.set(c.output, ch);
    }
  }
  let after = opts.after;
  for (const c of copied) {
    const id = ids.get(c.id)!;
    const op: Extract<EditOp, { op: 'add_agent' }> = { op: 'add_agent', workflow, agent: rewriteAgent(c.text, id, channels) };
    if (after !== undefined) op.after = after;
    else if (c.stage === 'preprocessors') op.stage = c.stage;
    ops.push(op);
    nodes.push(agentNodeId(workflow, id));
    after = id;
  }
  return { ops, nodes };
}
