import { describe, expect, it } from 'vitest';
import { EditorState } from '@codemirror/state';
import { foldable } from '@codemirror/language';
import { closingBracket, indentAt, kumeoStructure, openBrackets } from './structure';

const SRC = 'workflow W {\n  agents: [\n    LLM(id: "a{", prompt: """ ( """)\n  ]\n}\n';

describe('brackets', () => {
  it('ignores brackets in strings', () => {
    expect(openBrackets(SRC, SRC.indexOf('prompt')).map((p) => SRC[p])).toEqual(['{', '[', '(']);
    expect(closingBracket(SRC, SRC.indexOf('['))).toBe(SRC.indexOf(']'));
    expect(closingBracket(SRC, SRC.indexOf('{'))).toBe(SRC.lastIndexOf('}'));
    // From the line of the bracket, as the fold service scans.
    const line = SRC.lastIndexOf('\n', SRC.indexOf('LLM')) + 1;
    expect(closingBracket(SRC, SRC.indexOf('LLM(') + 3, line)).toBe(SRC.indexOf(')\n'));
  });
  it('indents one unit inside each open bracket', () => {
    expect(indentAt(SRC, SRC.indexOf('agents'), 2)).toBe(2);
    expect(indentAt(SRC, SRC.indexOf('LLM'), 2)).toBe(4);
    // A closing bracket lines up with the line that opened it.
    expect(indentAt(SRC, SRC.indexOf('  ]'), 2)).toBe(2);
    expect(indentAt(SRC, 0, 2)).toBe(0);
  });
});

describe('folding', () => {
  it('folds a block from its line, in a large file too', () => {
    const agent = (i: number) => `    DataProcessor(\n      id: "a${i}", // ) not a bracket\n      config: { note: "} ]" }\n    )`;
    const text = `workflow W {\n  agents: [\n${Array.from({ length: 3000 }, (_, i) => agent(i)).join(',\n')}\n  ]\n}\n`;
    const state = EditorState.create({ doc: text, extensions: kumeoStructure });
    const lineOf = (s: string) => state.doc.lineAt(text.indexOf(s));
    const open = text.indexOf('DataProcessor(\n      id: "a2000"') + 'DataProcessor'.length;
    const call = state.doc.lineAt(open);
    expect(foldable(state, call.from, call.to)).toEqual({ from: open + 1, to: text.indexOf('    )', open) + 4 });
    const agents = lineOf('agents: [');
    expect(foldable(state, agents.from, agents.to)).toEqual({ from: text.indexOf('[') + 1, to: text.lastIndexOf(']') });
    const wf = lineOf('workflow');
    expect(foldable(state, wf.from, wf.to)).toEqual({ from: text.indexOf('{') + 1, to: text.lastIndexOf('}') });
  });
});
