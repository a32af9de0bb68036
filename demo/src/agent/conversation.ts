/**
 * The conversation view: for each task, the user's words, then per model
 * turn its words (streamed) and the code it ran as a step (highlighted,
 * with its live tool calls, output, result and the exact text the model got
 * back), and the final answer.
 */
import type { AgentEvent, AgentResult, AgentStep } from '@pybox/agent';
import { button, formatMs, h } from '../shell/dom.js';
import { highlightedPython } from '../shell/highlight.js';
import { renderMarkdown } from '../shell/markdown.js';
import { CallList, appendOutput, showOutcome, showRunning } from '../shell/runview.js';
import { noteFor } from '../shell/stops.js';

/** One step's card. */
export interface StepView {
  index: number;
  code: string;
  el: HTMLElement;
  calls: CallList;
  output: HTMLElement;
  result: HTMLElement;
  /** Where the code is shown (the edit box replaces it). */
  codeSlot: HTMLElement;
}

/**
 * Renders agent events into the conversation element.
 *
 * @example
 * ```ts
 * const view = new Conversation(el, (step) => editStep(step))
 * view.startTask('Which lines missed their target?', 'offline')
 * await runAgent({ ..., onEvent: (e) => view.handle(e) })
 * ```
 */
export class Conversation {
  private task: HTMLElement | null = null;
  private turnText: HTMLElement | null = null;
  private thinking: HTMLElement | null = null;
  private readonly steps = new Map<number, StepView>();
  private stepBase = 0;
  /** The step whose code is running, if any: tool calls go there. */
  current: StepView | null = null;

  /** Whether the view follows new content (the user has not scrolled up to read). */
  private follow = true;

  constructor(
    readonly el: HTMLElement,
    private readonly onEdit: (step: StepView) => void,
  ) {
    el.addEventListener('scroll', () => (this.follow = el.scrollHeight - el.scrollTop - el.clientHeight < 60), { passive: true });
    new MutationObserver(() => {
      if (this.follow && el.scrollHeight > el.clientHeight) el.scrollTop = el.scrollHeight;
    }).observe(el, { childList: true, subtree: true, characterData: true });
  }

  /** Whether anything was asked yet. */
  get isEmpty(): boolean {
    return this.task === null;
  }

  /** Forgets everything (a new conversation). */
  clear(): void {
    this.el.replaceChildren();
    this.task = null;
    this.steps.clear();
    this.stepBase = 0;
    this.current = null;
  }

  /** Opens a task block: the user's words and who answers. */
  startTask(text: string, modelName: string): HTMLElement {
    // Steps are numbered across the conversation (runAgent counts per run).
    this.stepBase = this.steps.size;
    this.task = h(
      'section',
      { class: 'task', testid: 'task-block' },
      h('div', { class: 'user', testid: 'user-task' }, h('span', { class: 'who', text: 'You' }), h('p', { text: text })),
      h('p', { class: 'model-name muted', text: `answered by ${modelName}` }),
    );
    this.follow = true;
    this.el.append(this.task);
    return this.task;
  }

  /** Shows one agent event. */
  handle(event: AgentEvent): void {
    switch (event.type) {
      case 'model_start':
        this.turnText = h('div', { class: 'model-text streaming' });
        this.thinking = h('p', { class: 'thinking muted', text: 'The model is thinking…', testid: 'thinking' });
        this.append(this.turnText, this.thinking);
        break;
      case 'text':
        this.thinking?.remove();
        this.turnText?.append(event.delta);
        break;
      case 'retry':
        this.append(h('p', { class: 'note warn', text: `Retrying in ${formatMs(event.delayMs)} (attempt ${event.attempt}): ${event.error.message}` }));
        break;
      case 'model_end': {
        this.thinking?.remove();
        const el = this.turnText;
        this.turnText = null;
        if (!el) break;
        el.classList.remove('streaming');
        if (!event.text.trim()) {
          el.remove();
          break;
        }
        const final = event.toolCalls.length === 0;
        renderMarkdown(el, event.text);
        if (final) {
          // The answer: a labelled box; the label stays out of the answer's own text.
          el.dataset.testid = 'answer';
          const box = h('div', { class: 'answer' }, h('span', { class: 'who', text: 'Answer' }));
          el.before(box);
          box.append(el);
        } else el.dataset.testid = 'model-text';
        break;
      }
      case 'invalid_call':
        this.append(h('p', { class: 'note warn', testid: 'invalid-call', text: `The model made a call the loop could not run (${event.call.name}): ${event.message}. It was told so.` }));
        break;
      case 'code':
        this.current = this.addStep(this.stepBase + event.step, event.code);
        break;
      case 'output': {
        const step = this.steps.get(this.stepBase + event.step);
        if (step) appendOutput(step.output, event.stream, event.text);
        break;
      }
      case 'step':
        this.finishStep(event.step);
        this.current = null;
        break;
      case 'done':
        this.showUsage(event.result);
        break;
      case 'tool_call':
        break; // the page's call feed shows calls live, as they start
    }
  }

  /** Shows why a run ended without an answer (stopped, an HTTP error...). */
  showError(error: unknown): void {
    this.thinking?.remove();
    this.turnText?.classList.remove('streaming');
    const e = error instanceof Error ? error : new Error(String(error));
    if (this.current) {
      showOutcome(this.current.result, { ok: false, error: { type: e.name, message: e.message }, durationMs: 0, note: noteFor(e.name) });
      this.current = null;
    }
    const hint = e.name === 'AbortedError' ? 'Stopped. The context keeps what the code did; the model will not remember this task.' : hintFor(e.name);
    this.append(
      h('div', { class: 'agent-error', testid: 'agent-error' }, h('span', { class: 'badge error', text: e.name }), h('p', { text: e.message }), ...(hint ? [h('p', { class: 'muted', text: hint })] : [])),
    );
  }

  private addStep(index: number, code: string): StepView {
    const calls = new CallList();
    const output = h('pre', { class: 'output empty', testid: 'step-output', attrs: { 'aria-label': `Output of step ${index}` } });
    const result = h('div', { class: 'result', testid: 'step-result' });
    const codeSlot = h('div', { class: 'code-slot' }, highlightedPython(code, 'step-code'));
    const el = h(
      'article',
      { class: 'step', testid: 'step' },
      h('header', {}, h('strong', { text: `Step ${index}` }), h('span', { class: 'muted', text: ' · run_python' })),
      codeSlot,
      calls.heading(),
      calls.el,
      h('h4', { text: 'Output' }),
      output,
      result,
    );
    el.dataset.step = String(index);
    const view: StepView = { index, code, el, calls, output, result, codeSlot };
    el.querySelector('header')!.append(button('Edit & re-run', () => this.onEdit(view), { class: 'small', testid: 'step-edit', title: 'Change this code and run it again in the same context' }));
    showRunning(result);
    this.steps.set(index, view);
    this.append(el);
    return view;
  }

  private finishStep(step: AgentStep): void {
    const view = this.steps.get(this.stepBase + step.index);
    if (!view) return;
    if (!view.output.textContent) view.output.textContent = '(nothing printed)';
    if (step.ok) showOutcome(view.result, { ok: true, durationMs: step.durationMs });
    else showOutcome(view.result, { ok: false, error: step.error!, durationMs: step.durationMs, note: noteFor(step.error!.type) });
    // What PTC is about: the model reads only this, not the tool results.
    view.result.append(
      h('details', { class: 'model-read' }, h('summary', { text: `What the model read back (${step.output.length} characters; ${step.toolCalls.length} tool results stayed here)` }), h('pre', { text: step.output, testid: 'step-model-read' })),
    );
  }

  private showUsage(result: AgentResult): void {
    const u = result.usage;
    const calls = result.steps.reduce((n, s) => n + s.toolCalls.length, 0);
    const parts = [
      `${result.steps.length} step${result.steps.length === 1 ? '' : 's'}`,
      `${calls} tool call${calls === 1 ? '' : 's'}`,
      `${u.requests} model request${u.requests === 1 ? '' : 's'}`,
      `${u.inputTokens.toLocaleString('en')} tokens in, ${u.outputTokens.toLocaleString('en')} out`,
      `model ${formatMs(result.timing.modelMs)}, code ${formatMs(result.timing.codeMs)}`,
    ];
    this.append(h('p', { class: 'usage muted', testid: 'usage', text: parts.join(' · ') }));
    if (result.stopReason !== 'answer') this.append(h('p', { class: 'note warn', testid: 'stop-reason', text: result.stopMessage ?? result.stopReason }));
  }

  private append(...nodes: Node[]): void {
    (this.task ?? this.el).append(...nodes);
  }
}

function hintFor(name: string): string | undefined {
  switch (name) {
    case 'ModelAuthError':
      return 'The endpoint refused the key: check it under Model.';
    case 'ModelRateLimitError':
      return 'The endpoint is rate limiting: wait a little and ask again.';
    case 'ModelConnectionError':
      return 'The endpoint could not be reached from this page (a typo in the base URL, or a server that does not allow requests from browser pages, CORS).';
    case 'ModelRequestError':
      return 'The endpoint refused the request: check the model id.';
    case 'GuestCrashError':
      return 'Python was restarted (a hard stop): see the notice at the top.';
    default:
      return undefined;
  }
}
