// App-level commands shared by the toolbar, keyboard shortcuts and panels:
// they combine the stores and ask the user through small dialogs.

import { workspace, dirname } from './stores/workspace.svelte';
import { run } from './stores/run.svelte';
import { ui } from './stores/ui.svelte';

export interface DialogRequest {
  kind: 'confirm' | 'prompt';
  title: string;
  message: string;
  value?: string;
  ok: string;
  /** Extra choice besides ok/cancel (e.g. "Don't save"). */
  alt?: string;
  resolve: (answer: { choice: 'ok' | 'alt' | 'cancel'; value: string }) => void;
}

class Actions {
  dialog = $state.raw<DialogRequest | null>(null);

  ask(req: Omit<DialogRequest, 'resolve'>): Promise<{ choice: 'ok' | 'alt' | 'cancel'; value: string }> {
    return new Promise((resolve) => {
      this.dialog = {
        ...req,
        resolve: (a) => {
          this.dialog = null;
          resolve(a);
        },
      };
    });
  }

  /** Asks what to do with unsaved edits; resolves to whether to go on. */
  async confirmDiscard(what: string): Promise<boolean> {
    if (!workspace.dirty) return true;
    const a = await this.ask({ kind: 'confirm', title: 'Unsaved changes', message: `${workspace.name} has unsaved changes. Save them before you ${what}?`, ok: 'Save', alt: 'Don’t save' });
    if (a.choice === 'cancel') return false;
    if (a.choice === 'ok') return workspace.save();
    return true;
  }

  async open(path: string): Promise<void> {
    if (path === workspace.path) return;
    if (!(await this.confirmDiscard('open another file'))) return;
    if (await workspace.open(path)) {
      ui.select([]);
      ui.fitRequest++;
      void this.refreshFiles();
    }
  }

  async refreshFiles(): Promise<void> {
    if (workspace.path) await workspace.listDir(dirname(workspace.path));
  }

  save(): Promise<boolean> {
    return workspace.save();
  }

  async saveAs(): Promise<void> {
    if (!workspace.path) return;
    const a = await this.ask({ kind: 'prompt', title: 'Save as', message: 'New file path', value: workspace.path, ok: 'Save' });
    if (a.choice === 'ok' && a.value.trim()) {
      if (await workspace.saveAs(a.value.trim())) void this.refreshFiles();
    }
  }

  async newFile(): Promise<void> {
    const dir = workspace.path ? dirname(workspace.path) : '.';
    const a = await this.ask({ kind: 'prompt', title: 'New workflow', message: `File name in ${dir}`, value: 'untitled.kumeo', ok: 'Create' });
    if (a.choice !== 'ok' || !a.value.trim()) return;
    if (!(await this.confirmDiscard('create a new file'))) return;
    let name = a.value.trim();
    if (!name.endsWith('.kumeo')) name += '.kumeo';
    if (await workspace.newFromTemplate(dir, name)) void this.refreshFiles();
  }

  async revert(): Promise<void> {
    if (!workspace.dirty) return;
    const a = await this.ask({ kind: 'confirm', title: 'Revert', message: 'Go back to the file on disk? You can undo this.', ok: 'Revert' });
    if (a.choice === 'ok') await workspace.revert();
  }

  async startRun(): Promise<void> {
    if (!workspace.path) return;
    await workspace.flush();
    if (!workspace.parseOK) {
      workspace.error = 'Fix the syntax errors before running.';
      return;
    }
    // The engine runs the document's current text, saved or not.
    if (await run.start(workspace.path)) ui.showTab('metrics');
  }

  async stopRun(): Promise<void> {
    await run.stop();
  }

  async reloadRun(): Promise<void> {
    await workspace.flush();
    await run.reload();
  }
}

export const actions = new Actions();
