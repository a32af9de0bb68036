/**
 * The Contexts tab: every context with the names it defines and inherits
 * and their values; switch, make a child of the current one, reset, dispose.
 */
import { button, byTestId, h } from '../shell/dom.js';
import type { ContextEntry, ContextTree } from './tree.js';

/**
 * Renders the tree of contexts into the tab.
 *
 * @example
 * ```ts
 * const panel = new ContextsPanel(byTestId('contexts-panel'), () => tree, () => sandbox.busy)
 * await panel.refresh()
 * ```
 */
export class ContextsPanel {
  private readonly list: HTMLElement;
  private readonly note: HTMLElement;
  private rendering: Promise<void> | null = null;
  private again = false;

  constructor(
    root: HTMLElement,
    private readonly tree: () => ContextTree,
    private readonly busy: () => boolean,
  ) {
    this.list = byTestId('contexts', root);
    this.note = byTestId('contexts-note', root);
    byTestId('context-child', root).addEventListener('click', () => void this.act(() => this.tree().createChild(this.tree().current).then(() => {})));
  }

  /** Reads every context's names and values again and redraws. */
  refresh(): Promise<void> {
    if (this.rendering) {
      this.again = true;
      return this.rendering;
    }
    this.rendering = (async () => {
      do {
        this.again = false;
        await this.render();
      } while (this.again);
      this.rendering = null;
    })();
    return this.rendering;
  }

  private async render(): Promise<void> {
    const tree = this.tree();
    if (this.busy()) {
      // A running exec holds its context; the values are read when it ends.
      this.note.textContent = 'A run is going: the values update when it ends.';
      return;
    }
    this.note.textContent = '';
    const items = await Promise.all(tree.all.map((entry) => this.renderEntry(tree, entry)));
    this.list.replaceChildren(...items);
  }

  private async renderEntry(tree: ContextTree, entry: ContextEntry): Promise<HTMLElement> {
    const current = entry === tree.current;
    let depth = 0;
    for (let p = entry.parent; p; p = p.parent) depth++;
    let bindings: HTMLElement;
    try {
      const all = await tree.bindings(entry);
      bindings = all.length
        ? h(
            'table',
            { class: 'bindings' },
            ...all.map((b) => {
              const row = h(
                'tr',
                { testid: 'context-var', class: b.from ? 'inherited' : '' },
                h('th', { text: b.name }),
                h('td', {}, h('code', { text: b.shown, testid: 'context-value' })),
                h('td', { class: 'from', text: b.from ? `from ${b.from}` : '' }),
              );
              row.dataset.name = b.name;
              row.dataset.from = b.from ?? '';
              return row;
            }),
          )
        : h('p', { class: 'muted', text: 'no names yet' });
    } catch (e) {
      bindings = h('p', { class: 'muted', text: `cannot read: ${e instanceof Error ? e.message : String(e)}` });
    }
    const li = h(
      'li',
      { class: `context${current ? ' current' : ''}`, testid: 'context' },
      h(
        'div',
        { class: 'context-head' },
        h('strong', { text: entry.name }),
        h('span', { class: 'muted', text: entry.parent ? ` child of ${entry.parent.name}` : ' the first context' }),
        current ? h('span', { class: 'badge ok', text: 'current' }) : button('Use', () => (tree.use(entry), void this.refresh()), { class: 'small', testid: 'context-use' }),
        button('Reset', () => void this.act(() => tree.reset(entry)), { class: 'small', testid: 'context-reset', title: 'Empty this context (and its children)' }),
        ...(entry.parent ? [button('Dispose', () => void this.act(() => tree.dispose(entry)), { class: 'small danger', testid: 'context-dispose', title: 'Free this context (and its children)' })] : []),
      ),
      bindings,
    );
    li.dataset.name = entry.name;
    li.dataset.current = String(current);
    li.style.marginLeft = `${depth * 16}px`;
    return li;
  }

  private async act(fn: () => Promise<void>): Promise<void> {
    if (this.busy()) {
      this.note.textContent = 'Wait for the run to end (or stop it) to change contexts.';
      return;
    }
    try {
      await fn();
    } catch (e) {
      this.note.textContent = e instanceof Error ? e.message : String(e);
    }
    await this.refresh();
  }
}
