// What custom nodes may ask of the canvas. Nodes stay dumb: they show their
// data and report edits through these callbacks.

import { getContext, setContext } from 'svelte';

export interface CanvasCallbacks {
  /** The TypeSpec icon name of a type. */
  icon(type: string): string | undefined;
  /** The user renamed an agent inline; resolves to whether the file took it. */
  rename(nodeId: string, to: string): Promise<boolean>;
  /** The user asked to see the node's text. */
  reveal(nodeId: string): void;
}

const KEY = Symbol('kumeo-canvas');

export function setCanvasCallbacks(cb: CanvasCallbacks): void {
  setContext(KEY, cb);
}

export function canvasCallbacks(): CanvasCallbacks {
  return (
    getContext<CanvasCallbacks>(KEY) ?? {
      icon: () => undefined,
      rename: async () => false,
      reveal: () => {},
    }
  );
}
