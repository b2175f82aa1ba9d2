import { describe, expect, it } from 'vitest';
import type { Graph, GraphNode } from '../api/types';
import { FieldDrafts, blockProps, dedent, endpointParts, moveOp, objectProps, quote, withType } from './inspector.svelte';

const text = `// header
workflow W {
  source: NATS("in", { queue: "q", ack_wait: "30s" })
  nats: "nats://x:4222"   // deployed bus
  config: {
    limits: { block: 5000 },
    // a comment inside
    currencies: ["EUR"]
  }
  agents: [A(id: "a"), B(id: "b")]
}

subworkflow S {
  input: ["x"]
  agents: [C()]
}
`;

describe('blockProps', () => {
  it('lists a workflow’s top-level properties with their values as written', () => {
    const props = blockProps(text, 'W')!;
    expect(props.map((p) => p.key)).toEqual(['source', 'nats', 'config', 'agents']);
    expect(props[1].value).toBe('"nats://x:4222"');
    expect(props[2].value).toBe('{\n    limits: { block: 5000 },\n    // a comment inside\n    currencies: ["EUR"]\n  }');
    expect(text.slice(props[0].from, props[0].to)).toBe('NATS("in", { queue: "q", ack_wait: "30s" })');
  });

  it('shows multi-line values without the indentation of their place in the file', () => {
    expect(dedent(blockProps(text, 'W')![2].value)).toBe('{\n  limits: { block: 5000 },\n  // a comment inside\n  currencies: ["EUR"]\n}');
    expect(dedent('"one line"')).toBe('"one line"');
    expect(dedent('[\n1\n]')).toBe('[\n1\n]');
  });

  it('finds subworkflows and answers null for an unknown block', () => {
    expect(blockProps(text, 'S')!.map((p) => [p.key, p.value])).toEqual([['input', '["x"]'], ['agents', '[C()]']]);
    expect(blockProps(text, 'Nope')).toBeNull();
  });
});

describe('endpoints', () => {
  it('reads type and options of an endpoint call', () => {
    const p = endpointParts('NATS("in", { queue: "q", ack_wait: "30s" })')!;
    expect(p.type).toBe('NATS');
    expect(p.props.map((x) => [x.key, x.value])).toEqual([['queue', '"q"'], ['ack_wait', '"30s"']]);
    expect(endpointParts('Kafka(topic: "t")')!.props).toEqual([]);
    expect(objectProps('"x"')).toEqual([]);
  });

  it('changes the constructor name and nothing else', () => {
    expect(withType('NATS("in", { queue: "q" })', 'Kafka')).toBe('Kafka("in", { queue: "q" })');
  });

  it('quotes addresses as Kumeo strings', () => {
    expect(quote('a"b\\c')).toBe('"a\\"b\\\\c"');
  });
});

describe('moveOp', () => {
  const agent = (id: string, index: number, stage = 'agents'): GraphNode =>
    ({ id: `W/agent/${id}`, kind: 'agent', label: id, workflow: 'W', agent_id: id, stage, index, known: true, range: { from: 0, to: 0 } }) as GraphNode;
  const graph = { nodes: [agent('p', 0, 'preprocessors'), agent('a', 0), agent('b', 1), agent('c', 2)], edges: [] } as unknown as Graph;

  it('moves within the agent’s own list', () => {
    expect(moveOp(graph, graph.nodes[2], -1)).toEqual({ op: 'move_agent', workflow: 'W', id: 'b', index: 0 });
    expect(moveOp(graph, graph.nodes[2], 1)).toEqual({ op: 'move_agent', workflow: 'W', id: 'b', index: 2 });
  });

  it('stops at both ends and for other nodes', () => {
    expect(moveOp(graph, graph.nodes[1], -1)).toBeNull();
    expect(moveOp(graph, graph.nodes[3], 1)).toBeNull();
    expect(moveOp(graph, graph.nodes[0], 1)).toBeNull();
    expect(moveOp(graph, { ...graph.nodes[1], kind: 'source' } as GraphNode, 1)).toBeNull();
  });
});

describe('FieldDrafts', () => {
  it('keeps what was typed, with the error, when the edit is refused', async () => {
    const f = new FieldDrafts();
    f.input('address', 'bad"');
    expect(await f.commit('address', 'in', async () => 'invalid value: address')).toBe(false);
    expect(f.value('address', 'in')).toBe('bad"');
    expect(f.errors.address).toBe('invalid value: address');
    f.revert('address');
    expect(f.value('address', 'in')).toBe('in');
    expect(f.errors.address).toBeUndefined();
  });

  it('clears the draft once the edit is accepted, sends nothing for an unchanged value', async () => {
    const f = new FieldDrafts();
    const sent: string[] = [];
    const apply = async (t: string) => (sent.push(t), null);
    f.input('k', '  in.v2 ');
    expect(await f.commit('k', 'in', apply)).toBe(true);
    expect(sent).toEqual(['in.v2']);
    expect(f.drafts.k).toBeUndefined();
    f.input('k', 'in.v2');
    expect(await f.commit('k', 'in.v2', apply)).toBe(true);
    expect(await f.commit('other', 'x', apply)).toBe(true);
    expect(sent).toHaveLength(1);
  });

  it('sends a value once when Enter and leaving the field both commit it', async () => {
    const f = new FieldDrafts();
    const sent: string[] = [];
    let release!: () => void;
    const apply = (t: string) => (sent.push(t), new Promise<string | null>((r) => (release = () => r(null))));
    f.input('k', 'v2');
    const a = f.commit('k', 'v1', apply);
    const b = f.commit('k', 'v1', apply);
    release();
    expect(await a).toBe(true);
    expect(await b).toBe(true);
    expect(sent).toEqual(['v2']);
  });

  it('keeps newer typing when an answer comes back late', async () => {
    const f = new FieldDrafts();
    f.input('k', 'one');
    let release!: (e: string | null) => void;
    const pending = f.commit('k', 'x', () => new Promise((r) => (release = r)));
    f.input('k', 'two');
    release(null);
    expect(await pending).toBe(false);
    expect(f.value('k', 'x')).toBe('two');
  });
});
