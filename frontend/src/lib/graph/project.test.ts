import { describe, expect, it } from 'vitest';
import type { Diagnostic, Graph } from '../api/types';
import { assignProblems, HANDLE_INNER_IN, HANDLE_INNER_OUT, keepMeasured, project, withSelection, type NodeMetrics } from './project';
import fraud from '../testdata/fraud_detection.json';
import { rangeOf } from './geometry';
import risk from '../testdata/risk_subworkflow.json';

const fraudGraph = fraud as unknown as Graph;
const riskGraph = risk as unknown as Graph;

function diag(from: number, to: number, severity: Diagnostic['severity'] = 'error', code = 'K0001'): Diagnostic {
  return { severity, code, summary: `problem at ${from}`, detail: '', from, to, line: 1, col: 1, suggestions: [] };
}

function metrics(rate: number): NodeMetrics {
  return { rate, p50: 1, p99: 3, errors: 0, in: 10, out: 10, inFlight: 0, deadLettered: 0, series: [rate] };
}

describe('project', () => {
  it('returns nothing without a graph', () => {
    expect(project({ graph: null })).toEqual({ nodes: [], edges: [] });
  });

  it('uses graph node ids as node ids and keeps the graph order', () => {
    const { nodes, edges } = project({ graph: fraudGraph });
    expect(nodes.map((n) => n.id)).toEqual(fraudGraph.nodes.map((n) => n.id));
    expect(edges.map((e) => e.id)).toEqual(fraudGraph.edges.map((e) => e.id));
    expect(nodes.map((n) => n.type)).toEqual(fraudGraph.nodes.map((n) => n.kind));
  });

  it('is deterministic', () => {
    const input = { graph: fraudGraph, diagnostics: [diag(700, 705)], metrics: new Map([['CardFraud/agent/score', metrics(5)]]), running: true };
    expect(JSON.stringify(project(input))).toBe(JSON.stringify(project(input)));
  });

  it('takes stored positions first, then computed ones', () => {
    const { nodes } = project({
      graph: fraudGraph,
      layout: { 'CardFraud/agent/score': { x: 500, y: 20 } },
      auto: { 'CardFraud/agent/score': { x: 1, y: 1 }, 'CardFraud/agent/policy': { x: 700, y: 30 } },
    });
    const at = (id: string) => nodes.find((n) => n.id === id)!.position;
    expect(at('CardFraud/agent/score')).toEqual({ x: 500, y: 20 });
    expect(at('CardFraud/agent/policy')).toEqual({ x: 700, y: 30 });
    // Without either, a node still gets a position.
    expect(at('CardFraud/agent/validate')).toEqual({ x: expect.any(Number), y: expect.any(Number) });
  });

  it('labels edges with their channel and routes with their rule', () => {
    const { edges } = project({ graph: fraudGraph });
    const data = edges.find((e) => e.id === 'data:CardFraud/agent/validate->CardFraud/agent/features#tx.valid')!;
    expect(data.label).toBe('tx.valid');
    expect(data.sourceHandle).toBe('out');
    expect(data.targetHandle).toBe('in');
    expect(data.deletable).toBe(true);
    const route = edges.find((e) => e.data.kind === 'route' && e.target.endsWith('cleared'))!;
    expect(route.label).toBe('default');
    expect(route.deletable).toBe(false);
    expect(route.class).toContain('kumeo-edge-route');
  });

  it('makes subworkflows groups with their children inside', () => {
    const { nodes, edges } = project({
      graph: riskGraph,
      layout: { RiskScore: { x: 0, y: 0 }, 'RiskScore/agent/risk': { x: 30, y: 50 }, 'RiskScore/agent/clamp': { x: 300, y: 50 } },
    });
    const group = nodes.find((n) => n.id === 'RiskScore')!;
    expect(group.type).toBe('subworkflow');
    expect(nodes.indexOf(group)).toBe(0);
    // Wide enough for the right-most child (x 300 + 200) plus padding.
    expect(group.width).toBeGreaterThanOrEqual(500);
    const risk = nodes.find((n) => n.id === 'RiskScore/agent/risk')!;
    expect(risk.parentId).toBe('RiskScore');
    expect(nodes.indexOf(risk)).toBeGreaterThan(nodes.indexOf(group));
    const prep = nodes.find((n) => n.id === 'Payments/agent/prep')!;
    expect(prep.parentId).toBeUndefined();
    // Group-to-own-child edges use the inner handles; mapping edges the outer ones.
    const inner = edges.find((e) => e.source === 'RiskScore' && e.target === 'RiskScore/agent/risk')!;
    expect(inner.sourceHandle).toBe(HANDLE_INNER_OUT);
    const mappingIn = edges.find((e) => e.data.kind === 'mapping' && e.target === 'RiskScore')!;
    expect(mappingIn.targetHandle).toBe('in');
    expect(mappingIn.label).toBe('transaction');
    expect(HANDLE_INNER_IN).toBe('inner-in');
  });

  it('puts diagnostics on the innermost node whose range holds them', () => {
    const risky = riskGraph.nodes.find((n) => n.id === 'RiskScore/agent/risk')!;
    const r = risky.range as unknown as { start: { offset: number }; end: { offset: number } };
    const { nodes } = project({
      graph: riskGraph,
      diagnostics: [diag(r.start.offset + 2, r.start.offset + 5), diag(r.start.offset, r.start.offset + 1, 'warning'), diag(99999, 99999)],
    });
    const risk = nodes.find((n) => n.id === risky.id)!;
    expect(risk.data.errors).toBe(1);
    expect(risk.data.warnings).toBe(1);
    expect(risk.class).toContain('has-errors');
    expect(risk.data.problems.map((p) => p.severity)).toEqual(['error', 'warning']);
    // Not counted again on the group that contains the agent.
    expect(nodes.find((n) => n.id === 'RiskScore')!.data.errors).toBe(0);
  });

  it('marks an edge whose own text holds a diagnostic, and the node around it too', () => {
    const route = fraudGraph.edges.find((e) => e.kind === 'route')!;
    const r = rangeOf(route.range)!;
    const d: Diagnostic = { severity: 'error', code: 'K1019', summary: 'Invalid Router rule', detail: '', from: r.from + 1, to: r.from + 2, line: 1, col: 1, suggestions: [] };
    const { nodes, edges } = project({ graph: fraudGraph, diagnostics: [d] });
    const e = edges.find((x) => x.id === route.id)!;
    expect(e.class).toContain('kumeo-edge-error');
    expect(e.data.problems).toEqual([{ severity: 'error', code: 'K1019', summary: 'Invalid Router rule' }]);
    expect(edges.filter((x) => x.data.problems)).toHaveLength(1);
    expect(nodes.find((n) => n.id === route.from)!.data.errors).toBe(1);
  });

  it('accepts {from,to} ranges', () => {
    const graph: Graph = {
      nodes: [{ id: 'w/agent/a', kind: 'agent', type: 'LLM', label: 'a', workflow: 'w', agent_id: 'a', index: 0, known: true, range: { from: 10, to: 20 } }],
      edges: [],
    };
    const m = assignProblems(graph.nodes, [diag(12, 14), diag(20, 22)]);
    expect(m.get('w/agent/a')).toHaveLength(1);
  });

  it('shows live metrics and animates edges whose producer is busy during a run', () => {
    const m = new Map([['CardFraud/agent/validate', metrics(12.5)]]);
    const idle = project({ graph: fraudGraph, metrics: m, running: false });
    expect(idle.edges.every((e) => !e.animated)).toBe(true);
    const live = project({ graph: fraudGraph, metrics: m, running: true });
    const node = live.nodes.find((n) => n.id === 'CardFraud/agent/validate')!;
    expect(node.data.metrics?.rate).toBe(12.5);
    expect(node.data.running).toBe(true);
    const out = live.edges.find((e) => e.source === 'CardFraud/agent/validate')!;
    expect(out.animated).toBe(true);
    expect(out.class).toContain('kumeo-edge-live');
    const quiet = live.edges.find((e) => e.source === 'CardFraud/agent/score')!;
    expect(quiet.animated).toBe(false);
  });

  it('marks selected nodes and edges', () => {
    const { nodes, edges } = project({ graph: fraudGraph, selected: new Set(['CardFraud/agent/score', fraudGraph.edges[0].id]) });
    expect(nodes.filter((n) => n.selected).map((n) => n.id)).toEqual(['CardFraud/agent/score']);
    expect(edges.filter((e) => e.selected).map((e) => e.id)).toEqual([fraudGraph.edges[0].id]);
  });

  it('selects on a projection by copying only the nodes and edges whose flag changes', () => {
    const p = project({ graph: fraudGraph });
    const pick = new Set(['CardFraud/agent/score', fraudGraph.edges[0].id]);
    const s = withSelection(p, pick);
    expect(s.nodes).toEqual(project({ graph: fraudGraph, selected: pick }).nodes);
    expect(s.edges).toEqual(project({ graph: fraudGraph, selected: pick }).edges);
    const changed = s.nodes.filter((n, i) => n !== p.nodes[i]).map((n) => n.id);
    expect(changed).toEqual(['CardFraud/agent/score']);
    expect(s.edges.filter((e, i) => e !== p.edges[i])).toHaveLength(1);
    // Nothing to change: the same projection comes back.
    expect(withSelection(s, pick)).toBe(s);
    expect(withSelection(p, new Set())).toBe(p);
  });

  it('only lets agents, sources and targets be deleted', () => {
    const { nodes } = project({ graph: fraudGraph });
    const deletable = new Set(nodes.filter((n) => n.deletable).map((n) => n.type));
    expect([...deletable].sort()).toEqual(['agent', 'source', 'target']);
  });
});

describe('keepMeasured', () => {
  it('carries measured sizes onto new nodes with the same id', () => {
    const prev = [{ id: 'a', measured: { width: 10, height: 5 } }, { id: 'b' }];
    const next = [{ id: 'a' }, { id: 'c' }];
    expect(keepMeasured<{ id: string; measured?: unknown }>(next, prev)).toEqual([{ id: 'a', measured: { width: 10, height: 5 } }, { id: 'c' }]);
  });
});

describe('edge labels', () => {
  it('slide apart or hide when they would cover each other', () => {
    // Three edges from one node to three nodes stacked at the same place: one label fits the middle.
    const g: Graph = {
      nodes: [
        { id: 'a', kind: 'agent', label: 'a', workflow: 'W', known: true },
        { id: 'b', kind: 'agent', label: 'b', workflow: 'W', known: true },
        { id: 'c', kind: 'agent', label: 'c', workflow: 'W', known: true },
      ] as Graph['nodes'],
      edges: [
        { id: 'ab', from: 'a', to: 'b', kind: 'route', channel: 'a.to.b.channel' },
        { id: 'ac', from: 'a', to: 'c', kind: 'route', channel: 'a.to.c.channel' },
        { id: 'ab2', from: 'a', to: 'b', kind: 'route', channel: 'a.again.channel' },
      ] as Graph['edges'],
    };
    const layout = { a: { x: 0, y: 0 }, b: { x: 600, y: 0 }, c: { x: 600, y: 0 } };
    const { edges } = project({ graph: g, layout });
    const at = edges.map((e) => e.data.labelAt);
    expect(at[0]).toBe(0.5);
    expect(new Set(at.filter((x) => x !== null)).size).toBe(at.filter((x) => x !== null).length);
    expect(edges.every((e) => e.type === 'kumeo')).toBe(true);
  });
});
