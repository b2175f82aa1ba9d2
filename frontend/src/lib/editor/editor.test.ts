import { describe, expect, it } from 'vitest';
import type { Graph, TypeSpec } from '../api/types';
import specsJson from '../testdata/specs.json';
import fraud from '../testdata/fraud_detection.json';
import { channelNames, complete } from './completion';
import { hoverDoc } from './hover';
import { fixText, toLint } from './lint';

const specs = specsJson as unknown as TypeSpec[];
const graph = fraud as unknown as Graph;
const data = { specs, graph };

function labels(text: string, explicit = false) {
  const r = complete(text, text.length, data, explicit);
  return r ? r.options.map((o) => o.label) : null;
}

describe('complete', () => {
  it('offers agent types in agents', () => {
    const l = labels('workflow W {\n  agents: [\n    LL');
    expect(l).toContain('LLM');
    expect(l).toContain('Router');
    expect(l).not.toContain('NATS');
  });
  it('offers source types for source', () => {
    const l = labels('workflow W {\n  source: N');
    expect(l).toContain('NATS');
    expect(l).toContain('Timer');
    expect(l).not.toContain('LLM');
  });
  it('offers the unused argument names of the call', () => {
    const l = labels('workflow W {\n  agents: [ LLM(id: "x", ')!;
    expect(l).toContain('prompt');
    expect(l).toContain('engine');
    expect(l).not.toContain('id');
  });
  it('offers config keys of the agent type', () => {
    const l = labels('workflow W {\n  agents: [ DataProcessor(config: { ')!;
    expect(l).toContain('required_fields');
  });
  it('offers workflow properties at block level', () => {
    const l = labels('workflow W {\n  source: NATS("x")\n  ')!;
    expect(l).toContain('agents');
    expect(l).not.toContain('source');
  });
  it('offers channel names inside input strings', () => {
    const l = labels('workflow W {\n  agents: [ LLM(input: "tx.')!;
    expect(l).toContain('tx.valid');
    expect(l).toContain('source');
    expect(channelNames(graph)).toContain('validate.output');
  });
  it('offers config paths', () => {
    const text = 'workflow W {\n  config: { thresholds: { block: 0.9 } }\n  agents: [ Router(rules: { "score > config.th';
    const r = complete(text, text.length, data)!;
    expect(r.options.map((o) => o.label)).toContain('config.thresholds.block');
    expect(text.slice(r.from)).toBe('config.th');
  });
  it('offers enum values', () => {
    const l = labels('workflow W {\n  agents: [ MissingValueHandler(strategy: "')!;
    expect(l).toEqual(['mean_imputation', 'median_imputation', 'mode_imputation', 'constant']);
  });
  it('offers nothing in comments', () => {
    expect(labels('workflow W {\n  // LL')).toBeNull();
  });
  it('offers block keywords at the top level', () => {
    expect(labels('wor')).toEqual(['workflow', 'subworkflow', 'integration']);
  });
});

describe('hoverDoc', () => {
  const text = 'workflow W {\n  agents: [ MLModel(model: "models.x", threshold: 1) ]\n}';
  it('documents a constructor', () => {
    const d = hoverDoc(text, text.indexOf('MLModel') + 2, specs)!;
    expect(d.title).toBe('MLModel');
    expect(d.doc).toMatch(/machine-learning/);
    expect(d.args!.find((a) => a.name === 'model')!.required).toBe(true);
  });
  it('documents an argument', () => {
    const d = hoverDoc(text, text.indexOf('model:') + 1, specs)!;
    expect(d.title).toBe('MLModel · model');
    expect(d.detail).toMatch(/required/);
  });
  it('stays quiet elsewhere', () => {
    expect(hoverDoc(text, text.indexOf('agents') + 1, specs)).toBeNull();
  });
});

describe('lint', () => {
  it('keeps exact ranges and turns suggestions into fixes', () => {
    const [d] = toLint([{ severity: 'warning', code: 'K2001', summary: 'unknown type', detail: 'LMM', from: 3, to: 6, line: 1, col: 4, suggestions: ['LLM'] }], 100);
    expect(d).toMatchObject({ from: 3, to: 6, severity: 'warning', source: 'K2001', message: 'unknown type: LMM' });
    expect(d.actions!.map((a) => a.name)).toEqual(['Replace with LLM']);
  });
  it('clamps ranges past the end', () => {
    expect(toLint([{ severity: 'error', code: 'K1', summary: 's', detail: '', from: 50, to: 80, line: 1, col: 1, suggestions: [] }], 10)[0]).toMatchObject({ from: 10, to: 10 });
  });
  it('keeps the quotes of a quoted name', () => {
    expect(fixText('"valdate"', 'validate')).toBe('"validate"');
    expect(fixText('valdate', 'validate')).toBe('validate');
  });
});
