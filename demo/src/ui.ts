/**
 * The page's DOM: finds the elements of index.html and renders state into
 * them. Text goes in through `textContent` only, never as HTML.
 */
import type { ExecResult, ToolDefinition } from '@pybox/core';
import type { Example } from './examples.js';
import type { FileEntry } from './files.js';
import type { Report, ToolCall } from './tools.js';

function byTestId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.querySelector<T>(`[data-testid="${id}"]`);
  if (!el) throw new Error(`index.html lacks [data-testid="${id}"]`);
  return el;
}

/** Creates an element with a class, text and children. */
function h(tag: string, props: { class?: string; text?: string; testid?: string } = {}, ...children: Node[]): HTMLElement {
  const el = document.createElement(tag);
  if (props.class) el.className = props.class;
  if (props.text !== undefined) el.textContent = props.text;
  if (props.testid) el.dataset.testid = props.testid;
  el.append(...children);
  return el;
}

const dom = {
  status: byTestId('status'),
  examples: byTestId('examples'),
  code: byTestId<HTMLTextAreaElement>('code'),
  run: byTestId<HTMLButtonElement>('run'),
  stop: byTestId<HTMLButtonElement>('stop'),
  hint: byTestId('hint'),
  tools: byTestId('tools'),
  output: byTestId('output'),
  duration: byTestId('duration'),
  result: byTestId('result'),
  toolCount: byTestId('tool-count'),
  toolLog: byTestId('tool-log'),
  files: byTestId('files'),
  fileContent: byTestId('file-content'),
  reports: byTestId('reports'),
};

/** The editor's textarea. */
export const editor = dom.code;

/** Shows what the page is doing; `kind` colours it. */
export function setStatus(text: string, kind: 'busy' | 'ready' | 'error'): void {
  dom.status.textContent = text;
  dom.status.className = `status ${kind}`;
}

/** Enables Run or Stop, whichever applies. */
export function setRunning(running: boolean): void {
  dom.run.disabled = running;
  dom.stop.disabled = !running;
}

/**
 * Wires the controls: example buttons load their code, Run (or Ctrl/⌘+Enter)
 * runs the editor's code, Stop stops it. Tab indents by four spaces.
 */
export function bindControls(examples: Example[], hint: string, on: { run(): void; stop(): void }): void {
  for (const example of examples) {
    const button = h('button', { text: example.label, testid: `example-${example.id}` }) as HTMLButtonElement;
    button.type = 'button';
    button.addEventListener('click', () => {
      editor.value = example.code;
      for (const b of dom.examples.children) b.classList.toggle('active', b === button);
      editor.setSelectionRange(0, 0);
      editor.scrollTop = 0;
      editor.focus();
    });
    dom.examples.append(button);
  }
  dom.examples.firstElementChild?.classList.add('active');
  editor.value = examples[0]?.code ?? '';
  dom.hint.textContent = hint;
  dom.run.addEventListener('click', on.run);
  dom.stop.addEventListener('click', on.stop);
  editor.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      if (!dom.run.disabled) on.run();
    } else if (e.key === 'Tab' && !e.shiftKey) {
      e.preventDefault();
      editor.setRangeText('    ', editor.selectionStart, editor.selectionEnd, 'end');
    }
  });
}

/** Lists the tools as Python sees them: `name(params)` and the description. */
export function renderTools(tools: ToolDefinition[]): void {
  dom.tools.replaceChildren(
    ...tools.map((t) => {
      // The demo's tools use JSON Schema (parameters may also be a Standard Schema).
      const schema = t.parameters as { properties?: Record<string, unknown> } | undefined;
      const params = Object.keys(schema?.properties ?? {}).join(', ');
      return h('li', {}, h('code', { text: `await ${t.name}(${params})` }), h('span', { text: t.description ?? '' }));
    }),
  );
}

/** Clears the output and result of the previous run. */
export function startRun(): void {
  dom.output.replaceChildren();
  dom.result.replaceChildren(h('span', { class: 'muted', text: 'running…' }));
  dom.duration.textContent = '';
}

/** Appends streamed output; stderr is shown in red. */
export function appendOutput(stream: 'stdout' | 'stderr', text: string): void {
  dom.output.append(stream === 'stderr' ? h('span', { class: 'stderr', text }) : document.createTextNode(text));
  dom.output.scrollTop = dom.output.scrollHeight;
}

/** Shows what an exec resolved to: its value, or the Python exception. */
export function showResult(r: ExecResult): void {
  showDuration(r.durationMs);
  if (r.ok) {
    const value = 'value' in r ? JSON.stringify(r.value, null, 2) : undefined;
    dom.result.replaceChildren(
      h('span', { class: 'badge ok', text: 'ok', testid: 'result-kind' }),
      value === undefined
        ? h('p', { class: 'muted', text: 'no value: the code does not end with an expression' })
        : h('pre', { class: 'value', text: value, testid: 'result-value' }),
      ...(r.repr !== undefined && r.repr !== value ? [h('pre', { class: 'repr', text: `repr: ${r.repr}`, testid: 'result-repr' })] : []),
    );
  } else {
    showError(r.error.type, r.error.message, r.error.traceback);
  }
}

/** Shows why an exec was rejected (time limit, abort...). */
export function showFailure(error: unknown, durationMs: number): void {
  showDuration(durationMs);
  const e = error instanceof Error ? error : new Error(String(error));
  showError(e.name, e.message);
}

function showError(type: string, message: string, traceback?: string): void {
  dom.result.replaceChildren(
    h('span', { class: 'badge error', text: type, testid: 'error-type' }),
    h('p', { class: 'message', text: message, testid: 'error-message' }),
    ...(traceback ? [h('pre', { class: 'traceback', text: traceback, testid: 'traceback' })] : []),
  );
}

function showDuration(ms: number): void {
  dom.duration.textContent = ms < 1000 ? `${ms.toFixed(1)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** Renders the tool-call log: `name(arg=value, ...)`, status, timing and a result preview. */
export function renderCalls(calls: readonly ToolCall[]): void {
  dom.toolCount.textContent = calls.length ? `(${calls.length})` : '';
  dom.toolLog.replaceChildren(
    ...calls.map((c) => {
      const args = Object.entries(c.args)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(', ');
      const timing = `+${Math.round(c.startMs)} ms` + (c.durationMs === undefined ? '' : ` · ${Math.round(c.durationMs)} ms`);
      const outcome = c.status === 'ok' ? preview(c.result) : c.status === 'error' ? c.error! : c.status;
      const li = h(
        'li',
        { class: `call ${c.status}`, testid: 'tool-call' },
        h('code', { class: 'call-sig', text: `${c.name}(${args})` }),
        h('div', { class: 'call-detail' }, h('span', { class: 'call-outcome', text: `→ ${outcome}` }), h('span', { class: 'call-time', text: timing })),
      );
      li.dataset.status = c.status;
      return li;
    }),
  );
}

function preview(value: unknown, max = 90): string {
  const json = JSON.stringify(value) ?? 'null';
  return json.length > max ? `${json.slice(0, max - 1)}…` : json;
}

/** Lists the files under each root; clicking one calls `onOpen`. */
export function renderFiles(roots: Record<string, FileEntry[]>, onOpen: (path: string) => void): void {
  dom.files.replaceChildren(
    ...Object.entries(roots).map(([root, entries]) =>
      h(
        'div',
        { class: 'root' },
        h('h3', { text: root }),
        entries.length === 0
          ? h('p', { class: 'muted', text: 'empty' })
          : h(
              'ul',
              {},
              ...entries.map((entry) => {
                const button = h('button', { class: 'file', testid: 'file' }, h('span', { text: entry.path.slice(root.length + 1) }), h('span', { class: 'size', text: formatSize(entry.size) }));
                button.dataset.path = entry.path;
                button.title = entry.path;
                button.addEventListener('click', () => onOpen(entry.path));
                return h('li', {}, button);
              }),
            ),
      ),
    ),
  );
}

function formatSize(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KiB`;
}

/** Shows a file's content and highlights it in the list; `path` null shows a placeholder. */
export function showFile(path: string | null, text: string | null): void {
  for (const b of dom.files.querySelectorAll<HTMLElement>('[data-testid="file"]')) b.classList.toggle('active', b.dataset.path === path);
  dom.fileContent.dataset.path = path ?? '';
  dom.fileContent.textContent = path === null ? 'Click a file to see it.' : text ?? `${path} no longer exists`;
  dom.fileContent.classList.toggle('muted', path === null);
}

/** Shows the reports sent with `send_report`, newest first. */
export function renderReports(reports: readonly Report[]): void {
  dom.reports.replaceChildren(
    ...(reports.length === 0
      ? [h('p', { class: 'muted', text: 'Nothing yet: the agent sends reports with send_report(title, body).' })]
      : [...reports].reverse().map((r) => h('article', { class: 'report', testid: 'report' }, h('h4', { text: r.title }), h('pre', { text: r.body })))),
  );
}
