// Keyboard shortcuts of the window. The editor handles its own keys (typing,
// undo, search); these apply everywhere else, and the ones marked global
// also inside the editor.

import { workspace } from './stores/workspace.svelte';
import { run } from './stores/run.svelte';
import { ui } from './stores/ui.svelte';
import { actions } from './actions.svelte';

export interface Shortcut {
  /** "Mod" is Ctrl, or Cmd on macOS. */
  keys: string;
  label: string;
  run: () => unknown;
  /** Also when focus is in the editor or a text field. */
  global?: boolean;
}

export const isMac = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform ?? '');

/** Whether a keyboard event is the key combination ("Mod-Shift-f"). */
export function matches(e: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'shiftKey' | 'altKey'>, keys: string, mac = isMac): boolean {
  const parts = keys.split('-');
  let key = parts.pop()!;
  if (key === '' && keys.endsWith('--')) key = '-';
  const mods = new Set(parts);
  const mod = mac ? e.metaKey : e.ctrlKey;
  if (mods.has('Mod') !== mod) return false;
  if (!mac && mods.has('Mod') === false && e.ctrlKey) return false;
  if (mods.has('Alt') !== e.altKey) return false;
  // Shift is implied by characters like "?"; only check it for letters and named keys.
  const letter = key.length === 1 && /[a-z0-9]/i.test(key);
  if ((letter || key.length > 1) && mods.has('Shift') !== e.shiftKey) return false;
  return e.key.toLowerCase() === key.toLowerCase();
}

export function displayKeys(keys: string, mac = isMac): string {
  return keys
    .split('-')
    .map((p) => (p === 'Mod' ? (mac ? '⌘' : 'Ctrl') : p === 'Shift' ? (mac ? '⇧' : 'Shift') : p === 'Alt' ? (mac ? '⌥' : 'Alt') : p.length === 1 ? p.toUpperCase() : p))
    .join(mac ? '' : '+');
}

export const shortcuts: Shortcut[] = [
  { keys: 'Mod-s', label: 'Save', run: () => actions.save(), global: true },
  { keys: 'Mod-Shift-s', label: 'Save as…', run: () => actions.saveAs(), global: true },
  { keys: 'Mod-n', label: 'New workflow', run: () => actions.newFile(), global: true },
  { keys: 'Mod-z', label: 'Undo (text and canvas edits)', run: () => workspace.undo() },
  { keys: 'Mod-Shift-z', label: 'Redo', run: () => workspace.redo() },
  { keys: 'Mod-y', label: 'Redo', run: () => workspace.redo() },
  { keys: 'Mod-c', label: 'Copy the selected agents', run: () => actions.copy() },
  { keys: 'Mod-v', label: 'Paste agents (fresh ids and output channels)', run: () => actions.paste() },
  { keys: 'Mod-d', label: 'Duplicate the selected agents', run: () => actions.duplicate() },
  { keys: 'Mod-Shift-f', label: 'Format the file', run: () => workspace.format(), global: true },
  { keys: 'Mod-k', label: 'Find a node', run: () => (ui.searchOpen = true), global: true },
  { keys: 'Mod-0', label: 'Fit the graph in view', run: () => ui.fitRequest++, global: true },
  { keys: 'Mod-1', label: 'Canvas and text', run: () => ui.setView('both'), global: true },
  { keys: 'Mod-2', label: 'Canvas only', run: () => ui.setView('canvas'), global: true },
  { keys: 'Mod-3', label: 'Text only', run: () => ui.setView('text'), global: true },
  { keys: 'Mod-b', label: 'Show or hide the files', run: () => (ui.sidebarOpen = !ui.sidebarOpen), global: true },
  { keys: 'Mod-j', label: 'Show or hide the bottom panel', run: () => (ui.bottomOpen = !ui.bottomOpen), global: true },
  { keys: 'Mod-Shift-l', label: 'Light or dark theme', run: () => ui.toggleTheme(), global: true },
  { keys: 'F5', label: 'Run the workflow', run: () => actions.startRun(), global: true },
  { keys: 'Shift-F5', label: 'Stop the run', run: () => actions.stopRun(), global: true },
  { keys: 'F6', label: 'Reload the running workflow', run: () => actions.reloadRun(), global: true },
  { keys: '?', label: 'Keyboard shortcuts', run: () => (ui.helpOpen = !ui.helpOpen) },
  { keys: 'Escape', label: 'Clear the selection, close overlays', run: () => (ui.helpOpen ? (ui.helpOpen = false) : ui.select([])) },
];

/** Canvas-only keys, documented in the help. */
export const canvasKeys: { keys: string; label: string }[] = [
  { keys: 'Delete', label: 'Delete the selected nodes or connections' },
  { keys: 'Shift-drag', label: 'Select several nodes with a box' },
  { keys: 'Mod-click', label: 'Add a node to the selection' },
  { keys: 'Alt-click', label: 'Show the node’s text in the editor' },
];

function inTextField(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el || !el.closest) return false;
  return !!el.closest('.cm-editor, input, textarea, select, [contenteditable="true"]');
}

export function handleKeydown(e: KeyboardEvent): void {
  if (e.defaultPrevented) return;
  const inText = inTextField(e.target);
  for (const s of shortcuts) {
    if (!matches(e, s.keys)) continue;
    if (inText && !s.global) return;
    e.preventDefault();
    void s.run();
    return;
  }
  void run;
}
