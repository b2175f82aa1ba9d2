import { afterEach, describe, expect, it, vi } from 'vitest';
import { whenIdle } from './idle';

describe('whenIdle', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('uses requestIdleCallback with the timeout where there is one', () => {
    const calls: [() => void, { timeout: number }][] = [];
    const cancelled: number[] = [];
    vi.stubGlobal('requestIdleCallback', (fn: () => void, o: { timeout: number }) => calls.push([fn, o]));
    vi.stubGlobal('cancelIdleCallback', (id: number) => cancelled.push(id));
    let ran = 0;
    const cancel = whenIdle(() => ran++, 70);
    expect(calls).toHaveLength(1);
    expect(calls[0][1]).toEqual({ timeout: 70 });
    calls[0][0]();
    expect(ran).toBe(1);
    cancel();
    expect(cancelled).toEqual([1]);
  });

  it('runs after the next frame without requestIdleCallback (WebKit), and can be cancelled', () => {
    vi.useFakeTimers();
    try {
      vi.stubGlobal('requestIdleCallback', undefined);
      const frames: (() => void)[] = [];
      vi.stubGlobal('requestAnimationFrame', (fn: () => void) => frames.push(fn));
      vi.stubGlobal('cancelAnimationFrame', (id: number) => (frames[id - 1] = () => {}));
      let ran = 0;
      whenIdle(() => ran++);
      vi.runAllTimers();
      expect(ran).toBe(0); // not before the frame
      frames[0]();
      expect(ran).toBe(0); // nor in it
      vi.runAllTimers();
      expect(ran).toBe(1);

      const cancel = whenIdle(() => ran++);
      cancel();
      frames[1]();
      vi.runAllTimers();
      expect(ran).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });
});
