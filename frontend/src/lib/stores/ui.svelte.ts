// UI state that is not part of the document: which panes are shown, the
// theme, the canvas selection and the bottom panel.

export type ViewMode = 'both' | 'canvas' | 'text';
export type Theme = 'light' | 'dark';
export type BottomTab = 'problems' | 'metrics' | 'events' | 'deadletters' | 'send';

function stored<T extends string>(key: string, fallback: T, allowed: readonly T[]): T {
  try {
    const v = globalThis.localStorage?.getItem(key) as T | null;
    return v && allowed.includes(v) ? v : fallback;
  } catch {
    return fallback;
  }
}

function save(key: string, value: string): void {
  try {
    globalThis.localStorage?.setItem(key, value);
  } catch {
    // Storage may be unavailable; the setting then lasts for the session.
  }
}

export class UiStore {
  view = $state<ViewMode>(stored('kumeo.view', 'both', ['both', 'canvas', 'text']));
  theme = $state<Theme>(stored('kumeo.theme', 'light', ['light', 'dark']));
  /** Selected canvas nodes and edges, by id. */
  selectedNodes = $state.raw<string[]>([]);
  selectedEdges = $state.raw<string[]>([]);
  /** The node whose text holds the editor's cursor. */
  cursorNode = $state<string | null>(null);
  bottomOpen = $state(true);
  bottomTab = $state<BottomTab>('problems');
  sidebarOpen = $state(true);
  helpOpen = $state(false);
  searchOpen = $state(false);
  /** Fraction of the main area the canvas takes when both views show. */
  split = $state(0.6);
  /** Incremented to ask the canvas to fit the view / focus a node. */
  fitRequest = $state(0);
  focusRequest = $state.raw<{ id: string; n: number } | null>(null);

  setView(v: ViewMode): void {
    this.view = v;
    save('kumeo.view', v);
  }

  toggleTheme(): void {
    this.theme = this.theme === 'light' ? 'dark' : 'light';
    save('kumeo.theme', this.theme);
  }

  select(nodes: string[], edges: string[] = []): void {
    this.selectedNodes = nodes;
    this.selectedEdges = edges;
  }

  focusNode(id: string): void {
    this.selectedNodes = [id];
    this.selectedEdges = [];
    this.focusRequest = { id, n: (this.focusRequest?.n ?? 0) + 1 };
  }

  showTab(tab: BottomTab): void {
    this.bottomTab = tab;
    this.bottomOpen = true;
  }
}

export const ui = new UiStore();
