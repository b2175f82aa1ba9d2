import { describe, expect, it } from 'vitest';
import { definitionAt, pathKey } from './definition';
import type { Graph } from '../api/types';
import fraud from '../testdata/fraud_detection.json';
import text from '../testdata/fraud_detection.kumeo?raw';

const graph = fraud as unknown as Graph;

/** Position just inside the n-th occurrence of marker. */
function at(marker: string, n = 0, into = 1): number {
  let i = -1;
  for (let k = 0; k <= n; k++) {
    i = text.indexOf(marker, i + 1);
    if (i < 0) throw new Error(`${marker} #${n}`);
  }
  return i + into;
}

function target(pos: number) {
  const d = definitionAt(text, pos, graph);
  return d ? { text: text.slice(d.from, d.to), what: d.what } : null;
}

describe('definitionAt', () => {
  it('goes from a channel to the agent that outputs it', () => {
    const d = target(at('input: "tx.scored"', 0, 'input: "tx'.length));
    expect(d?.what).toBe('channel tx.scored (output of score)');
    expect(d?.text).toMatch(/^MLModel\(id: "score"/);
  });

  it('goes from "source" to the source', () => {
    expect(target(at('input: "source"', 0, 'input: "s'.length))?.text).toBe('NATS("payments.card.tx")');
  });

  it('goes from a route to its target', () => {
    const d = target(at('"target.alerts.fraud.review"', 0, 3));
    expect(d).toEqual({ text: 'NATS("alerts.fraud.review")', what: 'target alerts.fraud.review' });
  });

  it('goes from a config path in an expression to the config key', () => {
    const pos = at('config.thresholds.block"', 0, 'config.thresholds.bl'.length);
    const d = definitionAt(text, pos, graph)!;
    expect(d.what).toBe('config.thresholds.block');
    expect(text.slice(d.from, d.to)).toBe('block');
    expect(text.slice(d.from - 30, d.from)).toContain('thresholds: {');
  });

  it('stops at the deepest existing key of a path, and reads models paths', () => {
    expect(pathKey(text, 'config.thresholds.nope')?.what).toBe('config.thresholds');
    const m = definitionAt(text, at('"models.scorer"', 0, 9), graph)!;
    expect(m.what).toBe('models.scorer');
    expect(text.slice(m.from, m.to + 20)).toMatch(/^scorer: \{ file:/);
  });

  it("does not take an agent's own config argument for the workflow's config", () => {
    const src = `workflow W {
  agents: [ Router(id: "r", config: { limit: 1 }, rules: { "x > config.limit": "a" }) ]
  config: { limit: 2 }
}`;
    const d = pathKey(src, 'config.limit')!;
    expect(src.slice(d.from - 10, d.to)).toBe('config: { limit');
  });

  it('finds nothing for plain words and unknown strings', () => {
    expect(definitionAt(text, at('"trim"', 0, 2), graph)).toBeNull();
    expect(definitionAt(text, at('workflow', 0, 2), graph)).toBeNull();
    expect(definitionAt(text, at('// reject', 0, 4), graph)).toBeNull();
  });
});
