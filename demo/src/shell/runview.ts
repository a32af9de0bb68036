/**
 * What a run shows, in the agent's steps and under the editor alike: the
 * tool calls as they happen, the output as it streams, and one result view
 * (the value's repr, or the exception).
 */
import type { ToolCall } from '../tools.js';
import { formatMs, h, preview } from './dom.js';

/**
 * A live list of tool calls: each shows `name(args)`, its state and time,
 * and a preview of the result; a click shows the whole arguments and result.
 *
 * @example
 * ```ts
 * const calls = new CallList()
 * feed.subscribe((call) => calls.show(call))
 * step.append(calls.el)
 * ```
 */
export class CallList {
  readonly el = h('ol', { class: 'calls', testid: 'tool-log', attrs: { 'aria-label': 'Tool calls' } });
  private readonly items = new Map<number, HTMLLIElement>();
  private readonly expanded = new Set<number>();
  private readonly count = h('span', { class: 'count', testid: 'tool-count' });

  private readonly title = h('h4', { class: 'calls-title', attrs: { hidden: '' } });

  /** The heading with the count, to put above the list (shown once there is a call). */
  heading(text = 'Tool calls'): HTMLElement {
    this.title.replaceChildren(text, ' ', this.count);
    return this.title;
  }

  /** Adds a call, or updates it when it is already listed. */
  show(call: ToolCall): void {
    const li = this.render(call);
    const old = this.items.get(call.id);
    if (old) old.replaceWith(li);
    else this.el.append(li);
    this.items.set(call.id, li);
    this.count.textContent = `(${this.items.size})`;
    this.title.hidden = false;
  }

  /** Empties the list. */
  clear(): void {
    this.el.replaceChildren();
    this.items.clear();
    this.expanded.clear();
    this.count.textContent = '';
    this.title.hidden = true;
  }

  private render(call: ToolCall): HTMLLIElement {
    const args = Object.entries(call.args)
      .map(([k, v]) => `${k}=${preview(v, 60)}`)
      .join(', ');
    const outcome =
      call.status === 'ok'
        ? preview(call.result, 140)
        : call.status === 'pending'
          ? 'waiting…'
          : call.status === 'abandoned'
            ? 'abandoned: the run ended first'
            : call.error!;
    const time = call.durationMs === undefined ? '' : formatMs(call.durationMs);
    const li = h(
      'li',
      { class: `call ${call.status}`, testid: 'tool-call' },
      h(
        'div',
        { class: 'call-line' },
        h('code', { class: 'call-sig', text: `${call.name}(${args})` }),
        h('span', { class: `badge ${call.status}`, text: call.status }),
        h('span', { class: 'call-time', text: time, testid: 'call-time' }),
      ),
      h('div', { class: 'call-outcome', text: `→ ${outcome}` }),
    );
    li.dataset.status = call.status;
    li.dataset.name = call.name;
    li.tabIndex = 0;
    li.setAttribute('role', 'button');
    li.setAttribute('aria-expanded', String(this.expanded.has(call.id)));
    li.title = 'Show the whole arguments and result';
    if (this.expanded.has(call.id)) li.append(this.details(call));
    const toggle = () => {
      if (this.expanded.has(call.id)) this.expanded.delete(call.id);
      else this.expanded.add(call.id);
      this.show(call);
      this.items.get(call.id)?.focus();
    };
    li.addEventListener('click', (e) => {
      if ((e.target as HTMLElement).closest('.call-details')) return; // let people select the text
      toggle();
    });
    li.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        toggle();
      }
    });
    return li;
  }

  private details(call: ToolCall): HTMLElement {
    const json = (v: unknown) => JSON.stringify(v, null, 2) ?? 'null';
    return h(
      'div',
      { class: 'call-details', testid: 'call-details' },
      h('h5', { text: 'arguments' }),
      h('pre', { text: json(call.args) }),
      h('h5', { text: call.status === 'ok' ? 'result' : 'error' }),
      h('pre', { text: call.status === 'ok' ? json(call.result) : (call.error ?? call.status) }),
    );
  }
}

/**
 * Appends streamed output to `pre`; stderr in red.
 *
 * @example
 * ```ts
 * onStdout: (text) => appendOutput(pre, 'stdout', text)
 * ```
 */
export function appendOutput(pre: HTMLElement, stream: 'stdout' | 'stderr', text: string): void {
  pre.append(stream === 'stderr' ? h('span', { class: 'stderr', text }) : document.createTextNode(text));
  pre.classList.remove('empty');
  pre.scrollTop = pre.scrollHeight;
}

/** What a finished run is shown from. */
export type RunOutcome =
  | { ok: true; repr?: string; /** Omitted: show no value line (the agent's steps show what the model read instead). */ endsWithExpression?: boolean; durationMs: number }
  | { ok: false; error: { type: string; message: string; traceback?: string }; durationMs: number; note?: string };

/**
 * Renders the one result view: the value's repr (`None` when the trailing
 * expression gave None), "no value" only when there was no trailing
 * expression, or the exception with its traceback.
 *
 * @example
 * ```ts
 * showOutcome(resultEl, { ok: true, repr: '42', endsWithExpression: true, durationMs: 3 })
 * ```
 */
export function showOutcome(el: HTMLElement, r: RunOutcome): void {
  const time = h('span', { class: 'duration', text: formatMs(r.durationMs), testid: 'duration' });
  if (r.ok) {
    const value =
      r.endsWithExpression === undefined && r.repr === undefined
        ? ''
        : r.repr !== undefined
        ? h('pre', { class: 'value', text: r.repr, testid: 'result-value' })
        : r.endsWithExpression
          ? h('pre', { class: 'value none', text: 'None', testid: 'result-value' })
          : h('span', { class: 'muted', text: 'no value: the code does not end with an expression', testid: 'no-value' });
    el.replaceChildren(h('div', { class: 'result-head' }, h('span', { class: 'badge ok', text: 'ok', testid: 'result-kind' }), time), value);
    return;
  }
  el.replaceChildren(
    h('div', { class: 'result-head' }, h('span', { class: 'badge error', text: r.error.type, testid: 'error-type' }), time),
    h('p', { class: 'message', text: r.error.message, testid: 'error-message' }),
    ...(r.error.traceback ? [h('pre', { class: 'traceback', text: r.error.traceback, testid: 'traceback' })] : []),
    ...(r.note ? [h('p', { class: 'note', text: r.note, testid: 'error-note' })] : []),
  );
}

/**
 * A pending placeholder for the result while a run goes.
 *
 * @example
 * ```ts
 * showRunning(resultEl)
 * ```
 */
export function showRunning(el: HTMLElement): void {
  el.replaceChildren(h('span', { class: 'badge pending', text: 'running' }));
}
