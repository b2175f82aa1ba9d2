import { describe, expect, it } from 'vitest';
import { bracketPairs, closingBracket, indentAt, openBrackets } from './structure';

const SRC = 'workflow W {\n  agents: [\n    LLM(id: "a{", prompt: """ ( """)\n  ]\n}\n';

describe('brackets', () => {
  it('ignores brackets in strings', () => {
    expect(openBrackets(SRC, SRC.indexOf('prompt')).map((p) => SRC[p])).toEqual(['{', '[', '(']);
    expect(closingBracket(SRC, SRC.indexOf('['))).toBe(SRC.indexOf(']'));
    expect(closingBracket(SRC, SRC.indexOf('{'))).toBe(SRC.lastIndexOf('}'));
    expect(bracketPairs(SRC).get(SRC.indexOf('['))).toBe(SRC.indexOf(']'));
  });
  it('indents one unit inside each open bracket', () => {
    expect(indentAt(SRC, SRC.indexOf('agents'), 2)).toBe(2);
    expect(indentAt(SRC, SRC.indexOf('LLM'), 2)).toBe(4);
    // A closing bracket lines up with the line that opened it.
    expect(indentAt(SRC, SRC.indexOf('  ]'), 2)).toBe(2);
    expect(indentAt(SRC, 0, 2)).toBe(0);
  });
});
