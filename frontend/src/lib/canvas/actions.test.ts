import { describe, expect, it } from 'vitest';
import type { Graph, TypeSpec } from '../api/types';
import fraud from '../testdata/fraud_detection.json';
import risk from '../testdata/risk_subworkflow.json';
import { agentSource, connectOp, deleteOps, endpointSource, freshId, insertionPoint, mainWorkflow, searchNodes } from './actions';

const g = fraud as unknown as Graph;
const rg = risk as unknown as Graph;

const llm: TypeSpec = {
  name: 'LLM', categories: ['agent'], doc: '', runnable: true,
  args: [
    { name: 'id', kind: 'string', positional: -1, doc: '' },
    { name: 'engine', kind: 'string', positional: -1, doc: '' },
    { name: 'prompt', kind: 'template', required: true, positional: -1, doc: '' },
  ],
};
const nats: TypeSpec = {
  name: 'NATS', categories: ['source', 'target'], doc: '', runnable: true,
  args: [{ name: 'subject', kind: 'string', required: true, positional: 0, doc: '' }],
};

describe('new agents', () => {
  it('get a fresh snake-case id', () => {
    expect(freshId('DataProcessor', g)).toBe('data_processor');
    const withOne: Graph = { nodes: [...g.nodes, { ...g.nodes[5], id: 'CardFraud/agent/data_processor', agent_id: 'data_processor' }], edges: [] };
    expect(freshId('DataProcessor', withOne)).toBe('data_processor_2');
  });
  it('carry their required arguments', () => {
    expect(agentSource(llm, 'llm')).toBe('LLM(id: "llm", prompt: "")');
  });
  it('go after the selected agent, else the last one', () => {
    expect(insertionPoint(g, ['CardFraud/agent/score'])).toEqual({ workflow: 'CardFraud', after: 'score' });
    expect(insertionPoint(g, [])).toEqual({ workflow: 'CardFraud', after: 'route' });
    expect(insertionPoint(null, [])).toBeNull();
  });
  it('go to the top-level workflow, not a subworkflow, by default', () => {
    expect(mainWorkflow(rg)).toBe('Payments');
    expect(mainWorkflow(rg, ['RiskScore/agent/risk'])).toBe('RiskScore');
  });
});

describe('endpoints', () => {
  it('get an address not in use', () => {
    expect(endpointSource(nats, 'source', g)).toEqual({ value: 'NATS("events.in")', address: 'events.in' });
    const taken: Graph = { nodes: [{ id: 'x', kind: 'source', label: '', workflow: 'w', index: 0, known: true, props: { address: 'events.in' }, range: { from: 0, to: 0 } }], edges: [] };
    expect(endpointSource(nats, 'source', taken).address).toBe('events_2.in');
  });
});

describe('connectOp', () => {
  it('connects a source or an agent into an agent', () => {
    expect(connectOp(g, 'CardFraud/source/NATS:payments.card.tx', 'CardFraud/agent/score')).toEqual({ op: 'connect', workflow: 'CardFraud', from: 'source', to: 'score' });
    expect(connectOp(g, 'CardFraud/agent/validate', 'CardFraud/agent/policy')).toEqual({ op: 'connect', workflow: 'CardFraud', from: 'validate', to: 'policy' });
  });
  it('explains connections it cannot make', () => {
    expect(connectOp(g, 'CardFraud/agent/route', 'CardFraud/target/NATS:alerts.fraud.block')).toHaveProperty('error');
    expect(connectOp(rg, 'Payments/agent/prep', 'RiskScore/agent/risk')).toHaveProperty('error');
  });
});

describe('deleteOps', () => {
  it('removes agents, endpoints and data connections', () => {
    const ops = deleteOps(
      g,
      ['CardFraud/agent/score', 'CardFraud/target/NATS:alerts.fraud.block', 'CardFraud/deadletter'],
      ['data:CardFraud/agent/validate->CardFraud/agent/features#tx.valid', 'data:CardFraud/agent/features->CardFraud/agent/score#tx.features'],
    );
    expect(ops).toEqual([
      { op: 'remove_agent', workflow: 'CardFraud', id: 'score' },
      { op: 'remove_target', workflow: 'CardFraud', address: 'alerts.fraud.block' },
      // The edge into the removed agent goes with it.
      { op: 'disconnect', workflow: 'CardFraud', from: 'validate', to: 'features' },
    ]);
  });
});

describe('searchNodes', () => {
  it('ranks exact and prefix label matches first', () => {
    expect(searchNodes(g, 'score').map((n) => n.label)[0]).toBe('score');
    expect(searchNodes(g, 'Router').map((n) => n.label)).toEqual(['route']);
    expect(searchNodes(g, '')).toEqual([]);
  });
});
