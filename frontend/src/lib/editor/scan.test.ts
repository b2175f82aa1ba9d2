import { describe, expect, it } from 'vitest';
import { callArgs, collectPaths, contextAt, tokenize, wordAt } from './scan';

const SRC = `// header
workflow W {
  source: NATS("in")
  config: { thresholds: { block: 0.9, "review": 0.7 }, name: "x" }
  models: { scorer: { file: "m.onnx" } }
  agents: [
    LLM(id: "a", prompt: """
      hello {{x}}
    """, engine: "ollama/llama3"),
    Router(id: "r", rules: { "score > 1": "target.alerts", default: "a.output" })
  ]
}
`;

function at(marker: string, text = SRC): number {
  const i = text.indexOf(marker);
  if (i < 0) throw new Error(marker);
  return i;
}

describe('tokenize', () => {
  it('reads comments, long strings, strings with escapes and numbers', () => {
    const t = tokenize('// c\nx: """a\n"b"""  y: "q\\"r" -1.5e3 /* z */');
    expect(t.map((x) => x.type)).toEqual(['comment', 'ident', 'punct', 'string', 'ident', 'punct', 'string', 'number', 'comment']);
    expect(t[3].value).toBe('a\n"b');
    expect(t[6].value).toBe('q"r');
    expect(t[7].value).toBe('-1.5e3');
  });
  it('marks an unterminated string open', () => {
    expect(tokenize('x: "abc').at(-1)).toMatchObject({ type: 'string', open: true, value: 'abc' });
  });
});

describe('contextAt', () => {
  it('knows the call and argument position', () => {
    const text = 'workflow W {\n  agents: [ LLM(id: "a", ';
    const c = contextAt(text, text.length);
    expect(c.call?.name).toBe('LLM');
    expect(c.call?.keys).toEqual(['id']);
    expect(c.keyPosition).toBe(true);
    expect(c.path).toEqual(['agents']);
  });
  it('knows the key whose value the cursor is in', () => {
    const text = 'workflow W {\n  agents: [ LLM(id: "a", input: "val';
    const c = contextAt(text, text.length);
    expect(c.valueOf).toBe('input');
    expect(c.string?.value).toBe('val');
    expect(c.call?.name).toBe('LLM');
  });
  it('gives the dotted word before the cursor', () => {
    const text = 'workflow W {\n  agents: [ MLModel(model: models.sc';
    const c = contextAt(text, text.length);
    expect(c.word).toBe('models.sc');
    expect(c.valueOf).toBe('model');
    expect(c.keyPosition).toBe(false);
  });
  it('sees block-level key positions', () => {
    const text = 'workflow W {\n  source: NATS("x")\n  ';
    const c = contextAt(text, text.length);
    expect(c.frames.map((f) => f.kind)).toEqual(['block']);
    expect(c.frames[0].name).toBe('workflow');
    expect(c.frames[0].blockName).toBe('W');
    expect(c.keyPosition).toBe(true);
  });
  it('reports object paths inside calls', () => {
    const text = 'workflow W {\n  agents: [ DataProcessor(config: { ';
    const c = contextAt(text, text.length);
    expect(c.path).toEqual(['agents', 'config']);
    expect(c.keyPosition).toBe(true);
    expect(c.call?.name).toBe('DataProcessor');
  });
  it('is inside a long string', () => {
    const c = contextAt(SRC, at('hello') + 2);
    expect(c.string).not.toBeNull();
    expect(c.valueOf).toBe('prompt');
  });
});

describe('callArgs', () => {
  it('lists named and positional arguments with their raw values', () => {
    const from = at('Router(');
    const r = callArgs(SRC, from)!;
    expect(r.name).toBe('Router');
    expect(r.args.map((a) => [a.name, a.value])).toEqual([
      ['id', '"r"'],
      ['rules', '{ "score > 1": "target.alerts", default: "a.output" }'],
    ]);
    expect(SRC.slice(r.args[1].from, r.args[1].to)).toBe(r.args[1].value);
    const n = callArgs('NATS("in", { queue: "q" })', 0)!;
    expect(n.args.map((a) => [a.name, a.index, a.value])).toEqual([['', 0, '"in"'], ['', 1, '{ queue: "q" }']]);
  });
  it('keeps long strings whole', () => {
    const r = callArgs(SRC, at('LLM('))!;
    expect(r.args.map((a) => a.name)).toEqual(['id', 'prompt', 'engine']);
    expect(r.args[1].value.startsWith('"""')).toBe(true);
  });
  it('reads only the range it is given', () => {
    const from = at('Router(');
    const whole = callArgs(SRC, from)!;
    // Text before the range that would confuse a scan (an open string) and a
    // range end inside the call change nothing before the end.
    const junk = 'x = "unterminated\n';
    const shifted = callArgs(junk + SRC, junk.length + from)!;
    expect(shifted.args.map((a) => [a.name, a.value])).toEqual(whole.args.map((a) => [a.name, a.value]));
    expect(shifted.args[0].from).toBe(whole.args[0].from + junk.length);
    const cut = callArgs(SRC, from, whole.args[0].to + 1)!;
    expect(cut.args.map((a) => a.name)).toEqual(['id']); // and nothing past the end
  });
});

describe('collectPaths', () => {
  it('collects config, models and data paths', () => {
    expect(collectPaths(SRC)).toEqual(['config.name', 'config.thresholds', 'config.thresholds.block', 'config.thresholds.review', 'models.scorer', 'models.scorer.file']);
  });
});

describe('wordAt', () => {
  it('finds the identifier under the cursor', () => {
    expect(wordAt(SRC, at('Router') + 2)).toEqual({ word: 'Router', from: at('Router'), to: at('Router') + 6 });
    expect(wordAt('  ', 1)).toBeNull();
  });
});
