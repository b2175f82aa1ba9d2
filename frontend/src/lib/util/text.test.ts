import { describe, expect, it } from 'vitest';
import { EditorState } from '@codemirror/state';
import { lineSeparatorOf, minimalChange, offsetMapper } from './text';

describe('offsetMapper', () => {
  it('is the identity for LF text', () => {
    const m = offsetMapper('a\nb\n');
    expect(m.toPos(3)).toBe(3);
    expect(m.toOffset(3)).toBe(3);
  });

  it('maps CRLF offsets to CodeMirror positions and back', () => {
    const text = 'ab\r\ncd\r\nef';
    const state = EditorState.create({ doc: text, extensions: EditorState.lineSeparator.of(lineSeparatorOf(text)) });
    expect(state.sliceDoc()).toBe(text);
    const m = offsetMapper(text);
    for (const [offset, ch] of [[0, 'a'], [4, 'c'], [5, 'd'], [8, 'e'], [9, 'f']] as const) {
      const pos = m.toPos(offset);
      expect(state.doc.sliceString(pos, pos + 1)).toBe(ch);
      expect(m.toOffset(pos)).toBe(offset);
    }
    expect(m.toPos(text.length)).toBe(state.doc.length);
    expect(m.toOffset(state.doc.length)).toBe(text.length);
  });
});

describe('minimalChange', () => {
  it('keeps the common prefix and suffix', () => {
    expect(minimalChange('hello world', 'hello brave world')).toEqual({ from: 6, to: 6, insert: 'brave ' });
    expect(minimalChange('abc', 'abc')).toBeNull();
    expect(minimalChange('aaa', 'aa')).toEqual({ from: 2, to: 3, insert: '' });
  });
});
