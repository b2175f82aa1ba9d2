// Canvas intents turned into edit operations. Pure: the Canvas component
// calls these and sends the result through the workspace store.

import type { ArgSpec, EditOp, Graph, GraphEdge, GraphNode, TypeSpec } from '../api/types';

/** A placeholder value for a required argument of the given kind. */
export function placeholder(arg: ArgSpec): string {
  if (arg.enum && arg.enum.length > 0) return JSON.stringify(arg.enum[0]);
  switch (arg.kind) {
    case 'number':
      return '0';
    case 'bool':
      return 'false';
    case 'object':
    case 'on_failure':
      return '{}';
    case 'array':
      return '[]';
    case 'retry':
      return '3';
    case 'duration':
      return '"30s"';
    case 'channel':
      return '"source"';
    default:
      return '""';
  }
}

/** The id a new agent of this type gets: its type in snake case, numbered when taken. */
export function freshId(type: string, graph: Graph | null, workflow?: string): string {
  const base = type.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/[^A-Za-z0-9_]/g, '_').toLowerCase() || 'agent';
  const taken = new Set(
    (graph?.nodes ?? []).filter((n) => n.kind === 'agent' && (!workflow || n.workflow === workflow)).map((n) => n.agent_id ?? n.label),
  );
  if (!taken.has(base)) return base;
  for (let i = 2; ; i++) if (!taken.has(`${base}_${i}`)) return `${base}_${i}`;
}

/** Kumeo source for a new agent: its id and its required arguments. */
export function agentSource(spec: TypeSpec, id: string): string {
  const args = [`id: ${JSON.stringify(id)}`];
  for (const a of spec.args) {
    if (a.required && a.name !== 'id') args.push(`${a.name}: ${placeholder(a)}`);
  }
  return `${spec.name}(${args.join(', ')})`;
}

/** Kumeo source for a new source or target, with an address not in use. */
export function endpointSource(spec: TypeSpec, role: 'source' | 'target', graph: Graph | null): { value: string; address: string } {
  const first = spec.args.find((a) => a.positional === 0);
  const kind = first?.kind;
  const taken = new Set((graph?.nodes ?? []).filter((n) => n.kind === role).map((n) => n.props?.address ?? ''));
  let base: string;
  switch (spec.name) {
    case 'HTTP':
      base = role === 'source' ? '/events' : 'http://localhost:8080/events';
      break;
    case 'File':
      base = role === 'source' ? 'events.jsonl' : 'out.jsonl';
      break;
    case 'Timer':
      base = '5s';
      break;
    default:
      base = kind === 'duration' ? '5s' : role === 'source' ? 'events.in' : 'events.out';
  }
  let address = base;
  for (let i = 2; taken.has(address); i++) address = base.replace(/(\.\w+)?$/, (ext) => `_${i}${ext}`);
  return { value: `${spec.name}(${JSON.stringify(address)})`, address };
}

/** The agent a new agent goes after: the selected one, else the last of its workflow. */
export function insertionPoint(graph: Graph | null, selected: readonly string[]): { workflow: string; after?: string } | null {
  if (!graph) return null;
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  for (const id of selected) {
    const n = byId.get(id);
    if (n?.kind === 'agent' && n.stage !== 'preprocessors') return { workflow: n.workflow, after: n.agent_id };
  }
  const wf = mainWorkflow(graph);
  if (!wf) return null;
  const agents = graph.nodes.filter((n) => n.kind === 'agent' && n.workflow === wf && n.stage !== 'preprocessors');
  const last = agents.at(-1);
  return last ? { workflow: wf, after: last.agent_id } : { workflow: wf };
}

/** The workflow new sources, targets and agents go to when nothing says otherwise. */
export function mainWorkflow(graph: Graph | null, selected: readonly string[] = []): string | null {
  if (!graph) return null;
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  for (const id of selected) {
    const n = byId.get(id);
    if (n) return n.workflow;
  }
  const groups = new Set(graph.nodes.filter((n) => n.kind === 'subworkflow').map((n) => n.id));
  const top = graph.nodes.find((n) => !groups.has(n.workflow));
  return top?.workflow ?? graph.nodes[0]?.workflow ?? null;
}

/** The reference an operation uses for a node as a producer. */
function producerRef(n: GraphNode): string | null {
  if (n.kind === 'source') return 'source';
  if (n.kind === 'agent') return n.agent_id ?? n.label;
  return null;
}

/** connect operation for a drag from one node's out handle to another's in handle. */
export function connectOp(graph: Graph | null, from: string, to: string): EditOp | { error: string } {
  const byId = new Map((graph?.nodes ?? []).map((n) => [n.id, n]));
  const a = byId.get(from);
  const b = byId.get(to);
  if (!a || !b) return { error: 'Unknown node.' };
  if (b.kind !== 'agent') return { error: 'Connect into an agent: a connection sets the agent’s input.' };
  const ref = producerRef(a);
  if (!ref) return { error: `A ${a.kind} cannot feed an agent.` };
  if (a.workflow !== b.workflow) return { error: 'Both ends must be in the same workflow.' };
  if (from === to) return { error: 'An agent cannot read its own output.' };
  return { op: 'connect', workflow: b.workflow, from: ref, to: b.agent_id ?? b.label };
}

/** Operations that delete the given nodes and edges; agents first, in reverse text order. */
export function deleteOps(graph: Graph | null, nodeIds: readonly string[], edgeIds: readonly string[]): EditOp[] {
  if (!graph) return [];
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const edgeById = new Map(graph.edges.map((e) => [e.id, e]));
  const ops: EditOp[] = [];
  const nodes = nodeIds.map((id) => byId.get(id)).filter((n): n is GraphNode => !!n);
  const removed = new Set(nodes.map((n) => n.id));
  for (const n of nodes) {
    if (n.kind === 'agent') ops.push({ op: 'remove_agent', workflow: n.workflow, id: n.agent_id ?? n.label });
  }
  for (const n of nodes) {
    if (n.kind === 'source' || n.kind === 'target') {
      const address = n.props?.address;
      ops.push(address ? { op: `remove_${n.kind}`, workflow: n.workflow, address } : { op: `remove_${n.kind}`, workflow: n.workflow, index: n.index });
    }
  }
  for (const id of edgeIds) {
    const e: GraphEdge | undefined = edgeById.get(id);
    if (!e || e.kind !== 'data' || removed.has(e.from) || removed.has(e.to)) continue;
    const from = byId.get(e.from);
    const to = byId.get(e.to);
    if (!from || !to || to.kind !== 'agent') continue;
    const ref = producerRef(from);
    if (ref) ops.push({ op: 'disconnect', workflow: to.workflow, from: ref, to: to.agent_id ?? to.label });
  }
  return ops;
}

/** Nodes whose label, id, type or props match a search, best first. */
export function searchNodes(graph: Graph | null, query: string, limit = 20): GraphNode[] {
  const q = query.trim().toLowerCase();
  if (!graph || !q) return [];
  const scored: { n: GraphNode; s: number }[] = [];
  for (const n of graph.nodes) {
    const label = n.label.toLowerCase();
    let s = -1;
    if (label === q) s = 0;
    else if (label.startsWith(q)) s = 1;
    else if (label.includes(q)) s = 2;
    else if ((n.type ?? '').toLowerCase().includes(q)) s = 3;
    else if (Object.values(n.props ?? {}).some((v) => v.toLowerCase().includes(q))) s = 4;
    if (s >= 0) scored.push({ n, s });
  }
  scored.sort((a, b) => a.s - b.s);
  return scored.slice(0, limit).map((x) => x.n);
}
