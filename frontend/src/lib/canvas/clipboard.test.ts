import { describe, expect, it } from 'vitest';
import type { Graph } from '../api/types';
import fraud from '../testdata/fraud_detection.json';
import text from '../testdata/fraud_detection.kumeo?raw';
import { copyAgents, nextName, pasteOps, rewriteAgent } from './clipboard';

const g = fraud as unknown as Graph;

describe('copyAgents', () => {
  it('takes the selected agents in text order, as written, and nothing else', () => {
    const c = copyAgents(text, g, ['CardFraud/agent/route', 'CardFraud/source/NATS:payments.card.tx', 'CardFraud/agent/validate']);
    expect(c.map((a) => a.id)).toEqual(['validate', 'route']);
    expect(c[0].text).toMatch(/^DataProcessor\(\n\s+id: "validate",[\s\S]*steps: \["trim"\]\n\s+\}\n\s+\)$/);
    expect(c[0]).toMatchObject({ workflow: 'CardFraud', output: 'tx.valid', stage: 'agents' });
  });
});

describe('nextName', () => {
  it('numbers from 2 and strips an existing number', () => {
    expect(nextName('score', new Set(['score']))).toBe('score_2');
    expect(nextName('score_2', new Set(['score', 'score_2']))).toBe('score_3');
    expect(nextName('tx.valid', new Set(['tx.valid', 'tx.valid_2']))).toBe('tx.valid_3');
  });
});

describe('rewriteAgent', () => {
  it('changes the id and renamed channels, keeping comments and layout', () => {
    const src = `Router(
      id: "route", // the router
      input: ["tx.checked", "other"],
      rules: { "x > 1": "tx.checked" }
    )`;
    const out = rewriteAgent(src, 'route_2', new Map([['tx.checked', 'tx.checked_2']]));
    expect(out).toBe(`Router(
      id: "route_2", // the router
      input: ["tx.checked_2", "other"],
      rules: { "x > 1": "tx.checked" }
    )`);
  });
});

describe('pasteOps', () => {
  it('pastes a chain wired to itself, reading the same outside input', () => {
    const copied = copyAgents(text, g, ['CardFraud/agent/features', 'CardFraud/agent/score']);
    const plan = pasteOps(copied, g, { workflow: 'CardFraud', after: 'route' });
    expect(plan.nodes).toEqual(['CardFraud/agent/features_2', 'CardFraud/agent/score_2']);
    expect(plan.ops.map((o) => ('after' in o ? o.after : undefined))).toEqual(['route', 'features_2']);
    const [f, s] = plan.ops.map((o) => ('agent' in o ? o.agent : ''));
    expect(f).toContain('id: "features_2"');
    expect(f).toContain('input: "tx.valid"'); // from outside the copied set
    expect(f).toContain('output: "tx.features_2"');
    expect(s).toContain('input: "tx.features_2"'); // from the copy of features
    expect(s).toContain('output: "tx.scored_2"');
  });

  it('does nothing without copied agents', () => {
    expect(pasteOps([], g)).toEqual({ ops: [], nodes: [] });
  });
});
