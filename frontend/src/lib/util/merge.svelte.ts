// One merge of a conflict: the hunks of mine against theirs, a choice per
// hunk, the result text (rebuilt from the choices until edited by hand) and
// Go's verdict on the result. The conflict dialog shows it; nothing here
// touches the document until the dialog applies the result.

import type { Analysis, Conflict, Diagnostic } from '../api/types';
import { defaultChoice, merge, mergedText, type Choice, type Merge } from './diff';

/** errors: the result does not parse. */
export type CheckState = 'idle' | 'checking' | 'ok' | 'errors' | 'failed';

export class MergeSession {
  readonly merge: Merge;
  choices = $state<Choice[]>([]);
  result = $state('');
  /** The result was edited by hand: choices no longer rebuild it. */
  edited = $state(false);
  check = $state<CheckState>('idle');
  diagnostics = $state.raw<Diagnostic[]>([]);
  /** Why the check could not run. */
  checkError = $state('');

  readonly #analyze: (text: string) => Promise<Analysis>;
  #seq = 0;
  #checked: string | null = null;

  constructor(conflict: Conflict, analyze: (text: string) => Promise<Analysis>) {
    this.#analyze = analyze;
    this.merge = merge(conflict.mine, conflict.theirs, conflict.base);
    this.choices = this.merge.hunks.map(defaultChoice);
    this.result = mergedText(this.merge, this.choices);
  }

  /** Hunks both sides changed. */
  get conflicts(): number {
    return this.merge.hunks.filter((h) => h.changedBy === 'both').length;
  }

  /** Picks a side for hunk i; refused (false) once the result was edited by hand. */
  choose(i: number, c: Choice): boolean {
    if (this.edited || i < 0 || i >= this.choices.length) return false;
    this.choices[i] = c;
    this.#rebuild();
    return true;
  }

  chooseAll(c: Choice): boolean {
    if (this.edited) return false;
    this.choices = this.choices.map(() => c);
    this.#rebuild();
    return true;
  }

  /** The user typed in the result. */
  edit(text: string): void {
    if (text === this.result) return;
    this.result = text;
    this.edited = true;
    this.#invalidate();
  }

  /** Drops the hand edits: the result follows the choices again. */
  rebuild(): void {
    this.edited = false;
    this.#rebuild();
  }

  #rebuild(): void {
    const next = mergedText(this.merge, this.choices);
    if (next !== this.result) {
      this.result = next;
      this.#invalidate();
    }
  }

  #invalidate(): void {
    this.#seq++;
    this.#checked = null;
    this.check = 'idle';
    this.diagnostics = [];
    this.checkError = '';
  }

  /** Asks Go whether the result parses; true when it does. */
  async verify(): Promise<boolean> {
    const text = this.result;
    if (this.#checked === text && (this.check === 'ok' || this.check === 'errors')) return this.check === 'ok';
    const seq = ++this.#seq;
    this.check = 'checking';
    try {
      const a = await this.#analyze(text);
      if (seq !== this.#seq) return false;
      this.#checked = text;
      this.diagnostics = (a.diagnostics ?? []).filter((d) => d.severity === 'error');
      // Only a text that does not parse is refused; other errors are shown
      // and stay for the editor's problems panel.
      this.check = a.parseOK ? 'ok' : 'errors';
      return this.check === 'ok';
    } catch (err) {
      if (seq !== this.#seq) return false;
      this.check = 'failed';
      this.checkError = err instanceof Error ? err.message : String(err);
      return false;
    }
  }
}
