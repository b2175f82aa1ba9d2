import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BOTTOM_HEIGHT, UiStore } from './ui.svelte';

/** A localStorage stand-in for the store's saved settings. */
function memoryStorage() {
  const m = new Map<string, string>();
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), removeItem: (k: string) => void m.delete(k), map: m };
}

describe('UiStore', () => {
  let storage: ReturnType<typeof memoryStorage>;
  beforeEach(() => {
    storage = memoryStorage();
    (globalThis as { localStorage?: unknown }).localStorage = storage;
  });
  afterEach(() => {
    delete (globalThis as { localStorage?: unknown }).localStorage;
  });

  it('starts the bottom panel at its default height and remembers a new one', () => {
    const ui = new UiStore();
    expect(ui.bottomHeight).toBe(BOTTOM_HEIGHT.initial);
    ui.setBottomHeight(250, 900);
    expect(ui.bottomHeight).toBe(250);
    expect(new UiStore().bottomHeight).toBe(250);
  });

  it('keeps the height between the minimum and a share of the window', () => {
    const ui = new UiStore();
    ui.setBottomHeight(10, 900);
    expect(ui.bottomHeight).toBe(BOTTOM_HEIGHT.min);
    ui.setBottomHeight(5000, 900);
    expect(ui.bottomHeight).toBe(Math.round(900 * BOTTOM_HEIGHT.maxShare));
  });

  it('saves only when asked (a drag saves its end)', () => {
    const ui = new UiStore();
    ui.setBottomHeight(300, 900, false);
    expect(ui.bottomHeight).toBe(300);
    expect(storage.map.has('kumeo.bottomHeight')).toBe(false);
  });

  it('ignores a stored height that is not a number', () => {
    storage.setItem('kumeo.bottomHeight', 'tall');
    expect(new UiStore().bottomHeight).toBe(BOTTOM_HEIGHT.initial);
  });

  it('shows a workflow’s settings until another node is selected', () => {
    const ui = new UiStore();
    ui.select(['W/agent/a']);
    ui.showSettings('W');
    expect(ui.settingsFor).toBe('W');
    // The canvas reporting the same selection again changes nothing.
    ui.select(['W/agent/a']);
    expect(ui.settingsFor).toBe('W');
    ui.select([]);
    expect(ui.settingsFor).toBe('W');
    ui.select(['W/agent/b']);
    expect(ui.settingsFor).toBeNull();
    ui.showSettings('W');
    ui.focusNode('W/agent/c');
    expect(ui.settingsFor).toBeNull();
  });
});
