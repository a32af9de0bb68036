/**
 * The agent panel: a task in plain words, a model, and the conversation.
 * The model writes Python that calls the page's tools; it runs in the
 * current context, so follow-up tasks (and the editor) see its variables.
 */
import { codeTool, runAgent, type ModelMessage } from '@pybox/agent';
import { button, byTestId, h, isNarrow } from '../shell/dom.js';
import { createEditor } from '../editor/editor.js';
import type { Runner } from '../shell/runner.js';
import { CallList, appendOutput, showOutcome, showRunning } from '../shell/runview.js';
import { noteFor } from '../shell/stops.js';
import type { ToolCallFeed } from '../tools.js';
import { Conversation, type StepView } from './conversation.js';
import { MODEL_KINDS, loadModelSettings, modelFor, saveModelSettings, type ModelKind, type ModelSettings } from './models.js';
import { OFFLINE_TASKS } from './offline.js';

/** The most code runs one task may take. */
const MAX_STEPS = 8;

/**
 * The agent panel.
 *
 * @example
 * ```ts
 * const agent = new AgentPanel(byTestId('agent-panel'), runner, sandbox.feed, () => tree.current.name)
 * ```
 */
export class AgentPanel {
  private readonly task: HTMLTextAreaElement;
  private readonly runButton: HTMLButtonElement;
  private readonly stopButton: HTMLButtonElement;
  private readonly newButton: HTMLButtonElement;
  private readonly conversation: Conversation;
  private settings: ModelSettings = loadModelSettings();
  /** The conversation so far, as the model knows it (from the last finished run). */
  private messages: ModelMessage[] = [];
  /** What the user did by hand since (steps re-run), told to the model with the next task. */
  private notes: string[] = [];
  private ready = false;

  constructor(
    private readonly root: HTMLElement,
    private readonly runner: Runner,
    private readonly feed: ToolCallFeed,
    private readonly contextName: () => string,
  ) {
    this.task = byTestId<HTMLTextAreaElement>('task', root);
    this.runButton = byTestId<HTMLButtonElement>('agent-run', root);
    this.stopButton = byTestId<HTMLButtonElement>('agent-stop', root);
    this.newButton = byTestId<HTMLButtonElement>('agent-new', root);
    this.conversation = new Conversation(byTestId('conversation', root), (step) => this.editStep(step));
    this.task.value = OFFLINE_TASKS[0]!.prompt;
    this.renderSuggestions();
    this.bindModelPicker();
    byTestId<HTMLFormElement>('task-form', root).addEventListener('submit', (e) => {
      e.preventDefault();
      void this.run();
    });
    this.task.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        void this.run();
      }
    });
    this.stopButton.addEventListener('click', () => this.runner.stop());
    this.newButton.addEventListener('click', () => this.newConversation());
    this.updateLabels();
  }

  /** Enables the controls as the page's run state says. */
  setBusy(busy: boolean, ready: boolean): void {
    this.ready = ready;
    this.runButton.disabled = busy || !ready;
    this.stopButton.disabled = !busy;
    this.newButton.disabled = busy || this.conversation.isEmpty;
    for (const b of this.root.querySelectorAll<HTMLButtonElement>('[data-testid="step-rerun"]')) b.disabled = busy || !ready;
    byTestId('agent-context', this.root).textContent = `Code runs in context “${this.contextName()}”.`;
  }

  /** Runs the task box's task (a follow-up when a conversation is going). */
  async run(): Promise<void> {
    const asked = this.task.value.trim();
    if (!asked || this.runner.busy || !this.ready) return;
    let model;
    try {
      model = modelFor(this.settings);
    } catch (e) {
      this.showSettingsError(e instanceof Error ? e.message : String(e));
      return;
    }
    this.showSettingsError('');
    const task = [asked, ...this.notes].join('\n\n');
    byTestId('agent-intro', this.root).hidden = true;
    this.conversation.startTask(asked, model.name);
    if (isNarrow()) this.conversation.el.lastElementChild?.scrollIntoView({ block: 'start', behavior: 'smooth' });
    this.task.value = '';
    const unsubscribe = this.feed.subscribe((call) => this.conversation.current?.calls.show(call));
    try {
      const result = await this.runner.run((context, signal) =>
        runAgent({
          context,
          model,
          task,
          messages: this.messages,
          maxSteps: MAX_STEPS,
          signal,
          codeTool: { timeoutMs: this.runner.limits.timeoutMs, wallTimeoutMs: this.runner.limits.wallTimeoutMs },
          onEvent: (event) => this.conversation.handle(event),
        }),
      );
      if (result) {
        this.messages = result.messages;
        this.notes = [];
      }
    } catch (e) {
      this.conversation.showError(e);
    } finally {
      unsubscribe();
      this.updateLabels();
    }
  }

  private newConversation(): void {
    this.conversation.clear();
    this.messages = [];
    this.notes = [];
    this.task.value = OFFLINE_TASKS[0]!.prompt;
    this.updateLabels();
    this.task.focus();
  }

  private updateLabels(): void {
    const following = !this.conversation.isEmpty;
    this.runButton.textContent = following ? 'Send follow-up' : 'Run task';
    this.newButton.disabled = this.runner.busy || !following;
    byTestId('task-label', this.root).textContent = following ? 'Follow-up task (same conversation, same context)' : 'Task';
    byTestId('agent-intro', this.root).hidden = following;
  }

  private renderSuggestions(): void {
    byTestId('suggestions', this.root).replaceChildren(
      h('span', { class: 'muted small', text: 'Try:' }),
      ...OFFLINE_TASKS.map((t) =>
        button(t.label, () => {
          this.task.value = t.prompt;
          this.task.focus();
        }, { class: 'chip', testid: `suggestion-${t.id}`, title: t.prompt }),
      ),
    );
  }

  // ---- model picker -------------------------------------------------------------

  private bindModelPicker(): void {
    const kind = byTestId<HTMLSelectElement>('model-kind', this.root);
    kind.replaceChildren(...(Object.keys(MODEL_KINDS) as ModelKind[]).map((k) => h('option', { text: MODEL_KINDS[k].label, attrs: { value: k } })));
    kind.value = this.settings.kind;
    const fields = {
      baseURL: byTestId<HTMLInputElement>('model-base-url', this.root),
      model: byTestId<HTMLInputElement>('model-name', this.root),
      apiKey: byTestId<HTMLInputElement>('model-key', this.root),
    };
    const show = () => {
      const k = this.settings.kind;
      byTestId('endpoint', this.root).hidden = k === 'offline';
      byTestId('offline-note', this.root).hidden = k !== 'offline';
      if (k !== 'offline') {
        const e = this.settings.endpoints[k];
        fields.baseURL.value = e.baseURL;
        fields.model.value = e.model;
        fields.apiKey.value = e.apiKey;
        fields.baseURL.placeholder = MODEL_KINDS[k].defaults!.baseURL;
      }
    };
    kind.addEventListener('change', () => {
      this.settings = { ...this.settings, kind: kind.value as ModelKind };
      saveModelSettings(this.settings);
      show();
    });
    for (const [key, input] of Object.entries(fields) as [keyof typeof fields, HTMLInputElement][]) {
      input.addEventListener('input', () => {
        const k = this.settings.kind;
        if (k === 'offline') return;
        this.settings.endpoints[k] = { ...this.settings.endpoints[k], [key]: input.value };
        saveModelSettings(this.settings);
      });
    }
    byTestId('forget-key', this.root).addEventListener('click', () => {
      for (const k of Object.keys(this.settings.endpoints) as (keyof ModelSettings['endpoints'])[]) this.settings.endpoints[k].apiKey = '';
      saveModelSettings(this.settings);
      fields.apiKey.value = '';
    });
    show();
  }

  private showSettingsError(text: string): void {
    byTestId('model-error', this.root).textContent = text;
  }

  // ---- edit a step and run it again ------------------------------------------------

  private editStep(step: StepView): void {
    if (step.el.querySelector('[data-testid="step-rerun"]')) return; // already editing
    const slot = h('div', { class: 'step-editor' });
    const shown = step.codeSlot.firstElementChild as HTMLElement;
    shown.hidden = true;
    step.codeSlot.append(slot);
    const rerun = button('Run edited code', () => void this.rerun(step, editor.code), { class: 'primary small', testid: 'step-rerun' });
    const cancel = button('Done', () => {
      editor.destroy();
      slot.remove();
      shown.hidden = false;
    }, { class: 'small' });
    const editor = createEditor({
      parent: slot,
      doc: step.code,
      label: `Code of step ${step.index} (Ctrl+Enter runs it)`,
      testid: 'step-editor',
      onRun: () => void this.rerun(step, editor.code),
      escapeTo: () => rerun,
    });
    slot.append(h('div', { class: 'actions' }, rerun, cancel, h('span', { class: 'muted', text: ' Runs in the current context; the model hears about it with your next task.' })));
    rerun.disabled = this.runner.busy || !this.ready;
    editor.focus();
  }

  /** Runs edited code of a step in the current context and shows it under the step. */
  private async rerun(step: StepView, code: string): Promise<void> {
    if (this.runner.busy) return;
    const calls = new CallList();
    const output = h('pre', { class: 'output empty', testid: 'rerun-output' });
    const result = h('div', { class: 'result', testid: 'rerun-result' });
    const block = h('section', { class: 'rerun', testid: 'rerun' }, h('h4', { text: 'Re-run (edited by you)' }), calls.heading(), calls.el, h('h4', { text: 'Output' }), output, result);
    step.el.append(block);
    showRunning(result);
    const unsubscribe = this.feed.subscribe((call) => calls.show(call));
    try {
      const r = await this.runner.run((context, signal) =>
        codeTool({ context, timeoutMs: this.runner.limits.timeoutMs, wallTimeoutMs: this.runner.limits.wallTimeoutMs }).run(code, {
          signal,
          onOutput: (stream, text) => appendOutput(output, stream, text),
        }),
      );
      if (!r) return;
      if (r.ok) showOutcome(result, { ok: true, ...(r.repr !== undefined ? { repr: r.repr } : {}), durationMs: r.durationMs });
      else showOutcome(result, { ok: false, error: r.error!, durationMs: r.durationMs, note: noteFor(r.error!.type) });
      this.notes.push(`(Note: I edited the code of step ${step.index} and ran it again in the same context:\n\`\`\`python\n${code}\n\`\`\`\nIt returned:\n${r.text})`);
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      showOutcome(result, { ok: false, error: { type: error.name, message: error.message }, durationMs: 0, note: noteFor(error.name) });
    } finally {
      unsubscribe();
    }
  }
}
