import { describe, expect, it } from 'vitest';
import { displayKeys, matches } from './shortcuts';

const ev = (key: string, mods: Partial<Record<'ctrlKey' | 'metaKey' | 'shiftKey' | 'altKey', boolean>> = {}) => ({
  key, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, ...mods,
});

describe('matches', () => {
  it('maps Mod to Ctrl, or Cmd on macOS', () => {
    expect(matches(ev('s', { ctrlKey: true }), 'Mod-s', false)).toBe(true);
    expect(matches(ev('s', { metaKey: true }), 'Mod-s', true)).toBe(true);
    expect(matches(ev('s', { ctrlKey: true }), 'Mod-s', true)).toBe(false);
    expect(matches(ev('s'), 'Mod-s', false)).toBe(false);
  });
  it('tells Shift combinations apart', () => {
    expect(matches(ev('F', { ctrlKey: true, shiftKey: true }), 'Mod-Shift-f', false)).toBe(true);
    expect(matches(ev('f', { ctrlKey: true }), 'Mod-Shift-f', false)).toBe(false);
    expect(matches(ev('Z', { ctrlKey: true, shiftKey: true }), 'Mod-z', false)).toBe(false);
    expect(matches(ev('F5', { shiftKey: true }), 'F5', false)).toBe(false);
    expect(matches(ev('F5', { shiftKey: true }), 'Shift-F5', false)).toBe(true);
  });
  it('accepts characters typed with Shift', () => {
    expect(matches(ev('?', { shiftKey: true }), '?', false)).toBe(true);
    expect(matches(ev('?', { ctrlKey: true, shiftKey: true }), '?', false)).toBe(false);
  });
});

describe('displayKeys', () => {
  it('renders per platform', () => {
    expect(displayKeys('Mod-Shift-f', false)).toBe('Ctrl+Shift+F');
    expect(displayKeys('Mod-Shift-f', true)).toBe('⌘⇧F');
  });
});
