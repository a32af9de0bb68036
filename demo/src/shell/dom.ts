/**
 * Tiny DOM helpers. Text goes in through `textContent` only; the one place
 * that renders HTML is markdown.ts, through DOMPurify.
 */

/** Props of {@link h}: a class, text, a test id, a title and attributes. */
export interface Props {
  class?: string;
  text?: string;
  testid?: string;
  title?: string;
  attrs?: Record<string, string>;
}

/**
 * Creates an element with props and children.
 *
 * @example
 * ```ts
 * h('li', { class: 'call', testid: 'tool-call' }, h('code', { text: 'get_sales()' }))
 * ```
 */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props.class) el.className = props.class;
  if (props.text !== undefined) el.textContent = props.text;
  if (props.testid) el.dataset.testid = props.testid;
  if (props.title) el.title = props.title;
  for (const [k, v] of Object.entries(props.attrs ?? {})) el.setAttribute(k, v);
  el.append(...children);
  return el;
}

/**
 * A button that calls `onClick`; `type="button"` so it never submits a form.
 *
 * @example
 * ```ts
 * button('Run', () => run(), { class: 'primary', testid: 'run' })
 * ```
 */
export function button(label: string, onClick: (e: MouseEvent) => void, props: Props = {}): HTMLButtonElement {
  const b = h('button', { text: label, ...props });
  b.type = 'button';
  b.addEventListener('click', onClick);
  return b;
}

/**
 * The element of index.html with this test id (the page's fixed skeleton).
 *
 * @example
 * ```ts
 * const status = byTestId('status')
 * ```
 */
export function byTestId<T extends HTMLElement = HTMLElement>(id: string, root: ParentNode = document): T {
  const el = root.querySelector<T>(`[data-testid="${id}"]`);
  if (!el) throw new Error(`the page lacks [data-testid="${id}"]`);
  return el;
}

/**
 * `ms` as the page shows durations: `12.3 ms`, `2.05 s`.
 *
 * @example
 * ```ts
 * formatMs(2050) // '2.05 s'
 * ```
 */
export function formatMs(ms: number): string {
  return ms < 1000 ? `${ms.toFixed(1)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/**
 * A byte count for people: `512 B`, `3.4 KiB`, `21.7 MB` (downloads use MB, as browsers do).
 *
 * @example
 * ```ts
 * formatBytes(2048) // '2.0 KiB'
 * ```
 */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * JSON for a one-line preview, cut at `max` characters with an ellipsis.
 *
 * @example
 * ```ts
 * preview({ units: 150 }) // '{"units":150}'
 * ```
 */
export function preview(value: unknown, max = 90): string {
  let json: string;
  try {
    json = JSON.stringify(value) ?? 'null';
  } catch {
    json = String(value);
  }
  return json.length > max ? `${json.slice(0, max - 1)}…` : json;
}

/**
 * Whether the page is in its one-column (phone) layout.
 *
 * @example
 * ```ts
 * if (isNarrow()) output.scrollIntoView()
 * ```
 */
export function isNarrow(): boolean {
  return window.matchMedia('(max-width: 900px)').matches;
}
