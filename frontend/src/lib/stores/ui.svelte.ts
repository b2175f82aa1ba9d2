// UI state that is not part of the document: which panes are shown, the
// theme, the canvas selection and the bottom panel.

export type ViewMode = 'both' | 'canvas' | 'text';
export type Theme = 'light' | 'dark';
export type BottomTab = 'problems' | 'metrics' | 'events' | 'deadletters' | 'send' | 'deploy';

function stored<T extends string>(key: string, fallback: T, allowed: readonly T[]): T {
  try {
    const v = globalThis.localStorage?.getItem(key) as T | null;
    return v && allowed.includes(v) ? v : fallback;
  } catch {
    return fallback;
  }
}

function storedNumber(key: string, fallback: number, min: number, max: number): number {
  try {
    const v = Number(globalThis.localStorage?.getItem(key) ?? NaN);
    return Number.isFinite(v) ? Math.min(max, Math.max(min, v)) : fallback;
  } catch {
    return fallback;
  }
}

/** The bottom panel's height: a sensible default, and the bounds a drag keeps to. */
export const BOTTOM_HEIGHT = { initial: 176, min: 96, maxShare: 0.6 };

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
  bottomOpen = $state(true);
  /** The palette shows icons only, remembered between sessions. */
  paletteCompact = $state(stored('kumeo.palette', 'full', ['full', 'compact']) === 'compact');
  /** Height of the bottom panel in pixels, remembered between sessions. */
  bottomHeight = $state(storedNumber('kumeo.bottomHeight', BOTTOM_HEIGHT.initial, BOTTOM_HEIGHT.min, 4000));
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

  /** The workflow whose own settings the inspector shows while no node is selected. */
  settingsFor = $state<string | null>(null);

  togglePalette(): void {
    this.paletteCompact = !this.paletteCompact;
    save('kumeo.palette', this.paletteCompact ? 'compact' : 'full');
  }

  select(nodes: string[], edges: string[] = []): void {
    // Another node selected: the inspector shows it instead of settings.
    if (nodes.length > 0 && nodes.join('\n') !== this.selectedNodes.join('\n')) this.settingsFor = null;
    this.selectedNodes = nodes;
    this.selectedEdges = edges;
  }

  /** Shows a workflow's settings in the inspector until another node is selected. */
  showSettings(workflow: string): void {
    this.settingsFor = workflow;
  }

  focusNode(id: string): void {
    this.selectedNodes = [id];
    this.selectedEdges = [];
    this.settingsFor = null;
    this.focusRequest = { id, n: (this.focusRequest?.n ?? 0) + 1 };
  }

  /**
   * Sets the bottom panel's height, kept between the minimum and a share of
   * the window's height (available), and remembers it unless told not to
   * (during a drag, only its end is saved).
   */
  setBottomHeight(px: number, available: number, remember = true): void {
    const max = Math.max(BOTTOM_HEIGHT.min, Math.round(available * BOTTOM_HEIGHT.maxShare));
    this.bottomHeight = Math.round(Math.min(max, Math.max(BOTTOM_HEIGHT.min, px)));
    if (remember) save('kumeo.bottomHeight', String(this.bottomHeight));
  }

  showTab(tab: BottomTab): void {
    this.bottomTab = tab;
    this.bottomOpen = true;
  }
}

export const ui = new UiStore();
