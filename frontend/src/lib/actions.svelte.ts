// App-level commands shared by the toolbar, keyboard shortcuts and panels:
// they combine the stores and ask the user through small dialogs.

import { workspace, dirname } from './stores/workspace.svelte';
import { run } from './stores/run.svelte';
import { ui } from './stores/ui.svelte';
import { copyAgents, pasteOps, type CopiedAgent } from './canvas/clipboard';
import { insertionPoint } from './canvas/actions';

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
  /** Agents copied on the canvas (their text as written). */
  clipboard = $state.raw<CopiedAgent[]>([]);

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
      // The canvas fits a newly opened file itself, once it is laid out.
      ui.select([]);
      void this.refreshFiles();
      // Its run may be going already (started before the window reloaded).
      void run.pickUp();
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

  /** Copies the selected agents; their text also goes to the system clipboard. */
  copy(): boolean {
    const copied = copyAgents(workspace.text, workspace.graph, ui.selectedNodes);
    if (copied.length === 0) return false;
    this.clipboard = copied;
    void navigator.clipboard?.writeText(copied.map((c) => c.text).join(',\n')).catch(() => {});
    return true;
  }

  /** Pastes the copied agents after the selected agent (else at the end of their workflow) and selects them. */
  async paste(after?: { workflow: string; after?: string }): Promise<boolean> {
    if (this.clipboard.length === 0) return false;
    const at = after ?? insertionPoint(workspace.graph, ui.selectedNodes);
    const workflow = at?.workflow ?? this.clipboard[0].workflow;
    const known = workspace.graph?.nodes.some((n) => n.workflow === workflow);
    const plan = pasteOps(this.clipboard, workspace.graph, known ? { workflow, after: at?.after } : {});
    for (const op of plan.ops) if (!(await workspace.apply(op))) return false;
    ui.select(plan.nodes);
    return true;
  }

  /** Copies the selected agents and pastes the copies right after the last of them. */
  async duplicate(): Promise<boolean> {
    if (!this.copy()) return false;
    const last = this.clipboard.at(-1)!;
    return this.paste({ workflow: last.workflow, after: last.stage === 'preprocessors' ? undefined : last.id });
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
