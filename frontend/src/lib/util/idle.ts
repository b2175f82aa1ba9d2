// Work that can wait until the window has shown what changed.

/**
 * Runs fn when the window is idle, at the latest after timeoutMs; where the
 * browser has no requestIdleCallback (WebKit, so the desktop window on
 * Linux and macOS) right after the next frame is painted. Returns a
 * function that cancels it.
 */
export function whenIdle(fn: () => void, timeoutMs = 100): () => void {
  if (typeof requestIdleCallback === 'function') {
    const id = requestIdleCallback(fn, { timeout: timeoutMs });
    return () => cancelIdleCallback(id);
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  // A task queued from requestAnimationFrame runs after that frame is painted.
  const frame = requestAnimationFrame(() => (timer = setTimeout(fn, 0)));
  return () => {
    cancelAnimationFrame(frame);
    clearTimeout(timer);
  };
}
