// Autocompletion for .kumeo text: constructor types and their argument
// names from the TypeSpecs Go sends, channel names and agent ids from the
// graph, and config./models./data./schemas. paths from the text.

import type { Completion, CompletionContext, CompletionResult, CompletionSource } from '@codemirror/autocomplete';
import { snippetCompletion } from '@codemirror/autocomplete';
import type { Category, Graph, TypeSpec } from '../api/types';
import { collectPaths, contextAt, type CursorContext } from './scan';

export interface CompletionData {
  specs: readonly TypeSpec[];
  graph: Graph | null;
}

const WORKFLOW_KEYS: [string, string][] = [
  ['source', 'Where events come from: a constructor or a list of them.'],
  ['target', 'Where results go.'],
  ['context', 'Shared knowledge given to agents.'],
  ['nats', 'NATS URL used when deployed.'],
  ['models', 'Named model definitions.'],
  ['data', 'Named files and values.'],
  ['schemas', 'Named JSON Schemas.'],
  ['config', 'Values referenced as config.x.y.'],
  ['preprocessors', 'Agents run on every source event before agents.'],
  ['agents', 'The pipeline.'],
  ['monitor', 'Metrics, dashboard and alert thresholds.'],
  ['deployment', 'Kubernetes settings.'],
];
const SUBWORKFLOW_KEYS: [string, string][] = [
  ['input', 'Names of the inputs.'],
  ['output', 'Names of the outputs.'],
  ['context', 'Shared knowledge given to agents.'],
  ['agents', 'The pipeline.'],
];
const INTEGRATION_KEYS: [string, string][] = [
  ['workflow', 'The workflow the subworkflow is wired into.'],
  ['use', 'The subworkflow.'],
  ['mapping', '{ input: {...}, output: {...} }'],
];

/** Channel names produced in the graph: source, agent outputs, edge channels. */
export function channelNames(graph: Graph | null): string[] {
  const out = new Set<string>(['source']);
  for (const n of graph?.nodes ?? []) {
    if (n.kind === 'agent') {
      if (n.props?.output) out.add(n.props.output);
      if (n.agent_id) out.add(`${n.agent_id}.output`);
    }
  }
  for (const e of graph?.edges ?? []) if (e.channel && !e.channel.startsWith('target.')) out.add(e.channel);
  return [...out].sort();
}

export function agentIds(graph: Graph | null): string[] {
  return [...new Set((graph?.nodes ?? []).filter((n) => n.kind === 'agent' && n.agent_id).map((n) => n.agent_id!))].sort();
}

function categoryFor(ctx: CursorContext): Category | null {
  const key = ctx.valueOf ?? ctx.path.at(-1) ?? '';
  if (key === 'source') return 'source';
  if (key === 'target') return 'target';
  if (key === 'context') return 'context';
  if (key === 'agents' || key === 'preprocessors' || key === 'fallback') return 'agent';
  return null;
}

function typeCompletion(spec: TypeSpec, category: Category | null, graph: Graph | null): Completion {
  const info = spec.doc;
  if (category === 'agent' || (!category && spec.categories.includes('agent'))) {
    const base = spec.name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
    const taken = new Set(agentIds(graph));
    let id = base;
    for (let i = 2; taken.has(id); i++) id = `${base}_${i}`;
    const req = spec.args.filter((a) => a.required && a.name !== 'id').map((a) => `, ${a.name}: \${${a.name}}`).join('');
    return snippetCompletion(`${spec.name}(id: "\${${id}}"${req})`, { label: spec.name, type: 'class', detail: spec.categories.join(', '), info });
  }
  const first = spec.args.find((a) => a.positional === 0);
  return snippetCompletion(first ? `${spec.name}("\${${first.name}}")` : `${spec.name}(\${})`, { label: spec.name, type: 'class', detail: spec.categories.join(', '), info });
}

/** Completions at pos of text; exported for tests. */
export function complete(text: string, pos: number, data: CompletionData, explicit = false): CompletionResult | null {
  const ctx = contextAt(text, pos);
  if (ctx.path[0] === '//') return null;
  const spec = ctx.call ? data.specs.find((s) => s.name === ctx.call!.name) : undefined;

  if (ctx.string) {
    const from = ctx.string.from + (text.startsWith('"""', ctx.string.from) ? 3 : 1);
    const key = ctx.valueOf ?? '';
    let options: Completion[] = [];
    const arg = spec?.args.find((a) => a.name === key);
    if (arg?.enum) options = arg.enum.map((v) => ({ label: v, type: 'enum' }));
    else if (key === 'input' || key === 'output' || ctx.path.includes('rules') || ctx.path.includes('mapping')) {
      options = channelNames(data.graph).map((c) => ({ label: c, type: 'variable', detail: 'channel' }));
    } else if (key === 'fallback') options = agentIds(data.graph).map((id) => ({ label: id, type: 'variable', detail: 'agent' }));
    else if (key === 'model') options = collectPaths(text, ['models']).filter((p) => p.split('.').length === 2).map((p) => ({ label: p, type: 'property' }));
    else if (key === 'schema') options = collectPaths(text, ['schemas']).filter((p) => p.split('.').length === 2).map((p) => ({ label: p, type: 'property' }));
    const typed = text.slice(from, pos);
    if (/^(config|models|data|schemas)\./.test(typed) || typed.includes('config.')) {
      const w = /[A-Za-z0-9_.]*$/.exec(typed)![0];
      return { from: pos - w.length, options: collectPaths(text).map((p) => ({ label: p, type: 'property' })), validFor: /^[\w.]*$/ };
    }
    if (options.length === 0) return null;
    return { from, options, validFor: /^[^"']*$/ };
  }

  if (ctx.keyPosition) {
    const top = ctx.frames.at(-1)!;
    let options: Completion[] = [];
    if (top.kind === 'call' && spec) {
      const used = new Set(top.keys);
      options = spec.args
        .filter((a) => !used.has(a.name))
        .map((a) => ({ label: a.name, type: 'property', detail: a.kind + (a.required ? ' (required)' : ''), info: a.doc, apply: `${a.name}: `, boost: a.required ? 2 : a.name === 'id' ? 1 : 0 }));
    } else if (top.kind === 'object' && top.key === 'config' && spec?.config_keys) {
      const used = new Set(top.keys);
      options = spec.config_keys.filter((a) => !used.has(a.name)).map((a) => ({ label: a.name, type: 'property', detail: a.kind, info: a.doc, apply: `${a.name}: ` }));
    } else if (top.kind === 'block') {
      const keys = top.name === 'subworkflow' ? SUBWORKFLOW_KEYS : top.name === 'integration' ? INTEGRATION_KEYS : WORKFLOW_KEYS;
      const used = new Set(top.keys);
      options = keys.filter(([k]) => !used.has(k)).map(([k, doc]) => ({ label: k, type: 'keyword', info: doc, apply: `${k}: ` }));
    }
    if (options.length === 0) return null;
    return { from: ctx.wordFrom, options, validFor: /^\w*$/ };
  }

  // A value: constructor, path or reference.
  const word = ctx.word;
  if (!explicit && word === '') return null;
  if (ctx.frames.length === 0) {
    return {
      from: ctx.wordFrom,
      options: [
        snippetCompletion('workflow ${Name} {\n\tsource: NATS("${in}")\n\ttarget: NATS("${out}")\n\tagents: [\n\t\t${}\n\t]\n}', { label: 'workflow', type: 'keyword' }),
        snippetCompletion('subworkflow ${Name} {\n\tinput: ["${in}"]\n\toutput: ["${out}"]\n\tagents: [\n\t\t${}\n\t]\n}', { label: 'subworkflow', type: 'keyword' }),
        snippetCompletion('integration {\n\tworkflow: ${Workflow},\n\tuse: ${Sub},\n\tmapping: { input: {}, output: {} }\n}', { label: 'integration', type: 'keyword' }),
      ],
      validFor: /^\w*$/,
    };
  }
  if (word.includes('.')) {
    const paths = collectPaths(text).map((p) => ({ label: p, type: 'property' }));
    const channels = agentIds(data.graph).map((id) => ({ label: `${id}.output`, type: 'variable', detail: 'channel' }));
    return { from: ctx.wordFrom, options: [...paths, ...channels, { label: 'source', type: 'variable' }], validFor: /^[\w.]*$/ };
  }
  const category = categoryFor(ctx);
  const types = data.specs.filter((s) => !category || s.categories.includes(category));
  const options: Completion[] = types.map((s) => typeCompletion(s, category, data.graph));
  if (!category) {
    for (const a of ['true', 'false', 'null']) options.push({ label: a, type: 'constant' });
    for (const root of ['config', 'models', 'data', 'schemas', 'source']) options.push({ label: root, type: 'namespace' });
    for (const id of agentIds(data.graph)) options.push({ label: id, type: 'variable', detail: 'agent' });
  }
  return { from: ctx.wordFrom, options, validFor: /^\w*$/ };
}

export function kumeoCompletion(data: () => CompletionData): CompletionSource {
  return (context: CompletionContext) => complete(context.state.sliceDoc(), context.pos, data(), context.explicit);
}
