/**
 * The Editor tab: write Python by hand and run it in the current context.
 * The code is saved in this browser as you type; loading an example keeps
 * your code one click (or Ctrl/Cmd+Z) away.
 */
import type { ExecResult } from '@pybox/core';
import { EXAMPLES, type Example } from '../examples.js';
import { button, byTestId, isNarrow } from '../shell/dom.js';
import { endsWithExpression } from '../shell/highlight.js';
import type { Runner } from '../shell/runner.js';
import { CallList, appendOutput, showOutcome, showRunning } from '../shell/runview.js';
import { noteFor } from '../shell/stops.js';
import type { ToolCallFeed } from '../tools.js';
import { createEditor, errorLineOf, type CodeEditor } from './editor.js';

const STORAGE_KEY = 'pybox-playground:editor';
const FILENAME = 'editor.py';

/**
 * The editor, its examples, and the view of its runs.
 *
 * @example
 * ```ts
 * const editor = new EditorPanel(byTestId('editor-panel'), runner, sandbox.feed)
 * ```
 */
export class EditorPanel {
  readonly editor: CodeEditor;
  private readonly runButton: HTMLButtonElement;
  private readonly stopButton: HTMLButtonElement;
  private readonly output: HTMLElement;
  private readonly result: HTMLElement;
  private readonly calls = new CallList();
  private readonly restore: HTMLElement;

  constructor(
    private readonly root: HTMLElement,
    private readonly runner: Runner,
    private readonly feed: ToolCallFeed,
  ) {
    this.runButton = byTestId<HTMLButtonElement>('run', root);
    this.stopButton = byTestId<HTMLButtonElement>('stop', root);
    this.output = byTestId('output', root);
    this.result = byTestId('result', root);
    this.restore = byTestId('restore-code', root);
    byTestId('calls-slot', root).replaceWith(this.calls.heading(), this.calls.el);
    this.editor = createEditor({
      parent: byTestId('editor-slot', root),
      doc: loadCode() ?? EXAMPLES[0]!.code,
      label: 'Python code (Ctrl+Enter runs, Escape leaves the editor)',
      testid: 'editor',
      onRun: () => void this.run(),
      onChange: (code) => this.save(code),
      escapeTo: () => this.runButton,
    });
    this.renderExamples();
    this.runButton.addEventListener('click', () => void this.run());
    this.stopButton.addEventListener('click', () => this.runner.stop());
    this.result.replaceChildren();
  }

  /** Enables Run or Stop as the page's run state says. */
  setBusy(busy: boolean, ready: boolean): void {
    this.runButton.disabled = busy || !ready;
    this.stopButton.disabled = !busy;
  }

  /** Runs the editor's code in the current context. */
  async run(): Promise<void> {
    if (this.runner.busy || this.runButton.disabled) return;
    const code = this.editor.code;
    this.output.replaceChildren();
    this.output.classList.add('empty');
    this.calls.clear();
    this.editor.markError(null);
    showRunning(this.result);
    if (isNarrow()) this.output.scrollIntoView({ block: 'start', behavior: 'smooth' });
    const unsubscribe = this.feed.subscribe((call) => this.calls.show(call));
    const started = performance.now();
    try {
      const r = await this.runner.run((ctx, signal) =>
        ctx.exec(code, {
          filename: FILENAME,
          signal,
          timeoutMs: this.runner.limits.timeoutMs,
          wallTimeoutMs: this.runner.limits.wallTimeoutMs,
          onStdout: (text) => appendOutput(this.output, 'stdout', text),
          onStderr: (text) => appendOutput(this.output, 'stderr', text),
        }),
      );
      if (r) this.showResult(r, code);
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      showOutcome(this.result, { ok: false, error: { type: error.name, message: error.message }, durationMs: performance.now() - started, note: noteFor(error.name) });
    } finally {
      unsubscribe();
    }
  }

  private showResult(r: ExecResult, code: string): void {
    if (r.ok) {
      showOutcome(this.result, { ok: true, ...(r.repr !== undefined ? { repr: r.repr } : {}), endsWithExpression: endsWithExpression(code), durationMs: r.durationMs });
      return;
    }
    showOutcome(this.result, { ok: false, error: r.error, durationMs: r.durationMs, note: noteFor(r.error.type) });
    const line = errorLineOf(r.error.traceback ?? '', FILENAME);
    if (line !== null) this.editor.markError(line, `${r.error.type}: ${r.error.message}`);
  }

  private renderExamples(): void {
    const group = byTestId('examples', this.root);
    for (const example of EXAMPLES) group.append(button(example.label, () => this.load(example), { testid: `example-${example.id}` }));
  }

  /** Loads an example as one undoable change; unsaved code of yours stays one click away. */
  private load(example: Example): void {
    const previous = this.editor.code;
    if (previous === example.code) return;
    this.editor.replace(example.code);
    const isExample = EXAMPLES.some((e) => e.code === previous);
    if (isExample || !previous.trim()) {
      this.restore.hidden = true;
      return;
    }
    this.restore.replaceChildren(
      `Loaded “${example.label}”. Your code is kept: `,
      button('Bring it back', () => {
        this.editor.replace(previous);
        this.restore.hidden = true;
        this.editor.focus();
      }, { class: 'small', testid: 'restore-button' }),
      ' (or press Ctrl/Cmd+Z in the editor).',
    );
    this.restore.hidden = false;
  }

  private save(code: string): void {
    try {
      localStorage.setItem(STORAGE_KEY, code);
    } catch {
      // Storage blocked (private mode): the code lasts for this page only.
    }
  }
}

function loadCode(): string | null {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}
