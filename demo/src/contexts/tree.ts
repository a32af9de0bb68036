/**
 * The page's contexts: a tree of named PyBox contexts (a child looks up the
 * names it lacks in its parent, live), one of them current. Runs of the
 * agent and of the editor go to the current one, so state persists from
 * run to run.
 */
import type { Context, PyBox } from '@pybox/core';

/** One context of the tree. */
export interface ContextEntry {
  name: string;
  parent: ContextEntry | null;
  ctx: Context;
}

/** A name a context can read, with its value as the page shows it. */
export interface Binding {
  name: string;
  /** JSON of the value, or the repr when the value is not JSON (a module, a function...). */
  shown: string;
  /** The ancestor it comes from (live: that context's current value), or null for the context's own names. */
  from: string | null;
}

/**
 * The contexts and which one is current.
 *
 * @example
 * ```ts
 * const tree = await ContextTree.create(box)
 * await tree.current.ctx.exec('x = 41')
 * const child = await tree.createChild(tree.current)   // child reads x live
 * ```
 */
export class ContextTree {
  private entries: ContextEntry[] = [];
  private currentEntry!: ContextEntry;
  private childCount = 0;
  private readonly listeners = new Set<() => void>();

  private constructor(private box: PyBox) {}

  /** A tree with one context, `main`, current. */
  static async create(box: PyBox): Promise<ContextTree> {
    const tree = new ContextTree(box);
    tree.currentEntry = await tree.add('main', null);
    return tree;
  }

  /** The context runs go to. */
  get current(): ContextEntry {
    return this.currentEntry;
  }

  /** Every context, parents before children. */
  get all(): readonly ContextEntry[] {
    return this.entries;
  }

  /** Calls `listener` when contexts are added, removed or switched. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** Creates a child of `parent` (named child-1, child-2...) and makes it current. */
  async createChild(parent: ContextEntry): Promise<ContextEntry> {
    const entry = await this.add(`child-${++this.childCount}`, parent);
    this.currentEntry = entry;
    this.changed();
    return entry;
  }

  /** Makes `entry` current. */
  use(entry: ContextEntry): void {
    this.currentEntry = entry;
    this.changed();
  }

  /** Empties `entry` and its children: each is disposed and created again under the same name. */
  async reset(entry: ContextEntry): Promise<void> {
    const subtree = this.subtree(entry);
    await this.disposeAll(subtree);
    const fresh = new Map<ContextEntry, ContextEntry>();
    for (const old of subtree) {
      const parent = old.parent ? (fresh.get(old.parent) ?? old.parent) : null;
      const ctx = await this.box.createContext({ name: old.name, ...(parent ? { parent: parent.ctx } : {}) });
      const renewed: ContextEntry = { name: old.name, parent, ctx };
      fresh.set(old, renewed);
      this.entries[this.entries.indexOf(old)] = renewed;
    }
    this.currentEntry = fresh.get(this.currentEntry) ?? this.currentEntry;
    this.changed();
  }

  /** Disposes `entry` and its children (not `main`, which is always there). */
  async dispose(entry: ContextEntry): Promise<void> {
    if (!entry.parent) throw new Error('main cannot be disposed: reset it instead');
    const subtree = this.subtree(entry);
    await this.disposeAll(subtree);
    this.entries = this.entries.filter((e) => !subtree.includes(e));
    if (subtree.includes(this.currentEntry)) this.currentEntry = entry.parent;
    this.changed();
  }

  /**
   * After a hard stop (or a new box) every context is gone: make the same
   * tree again, empty, in `box`. Returns the names of the contexts lost.
   */
  async rebuild(box: PyBox): Promise<string[]> {
    this.box = box;
    const lost = this.entries.map((e) => e.name);
    const fresh = new Map<ContextEntry, ContextEntry>();
    const entries: ContextEntry[] = [];
    for (const old of this.entries) {
      const parent = old.parent ? fresh.get(old.parent)! : null;
      const ctx = await box.createContext({ name: old.name, ...(parent ? { parent: parent.ctx } : {}) });
      const renewed: ContextEntry = { name: old.name, parent, ctx };
      fresh.set(old, renewed);
      entries.push(renewed);
    }
    this.entries = entries;
    this.currentEntry = fresh.get(this.currentEntry) ?? entries[0]!;
    this.changed();
    return lost;
  }

  /** Whether a hard stop took the contexts (the page never disposes one it still lists). */
  get lost(): boolean {
    return this.entries.some((e) => !e.ctx.isLive); // lost to a restart: not disposed, but not live either
  }

  /** The names `entry` defines and those it inherits (not shadowed), with their current values. */
  async bindings(entry: ContextEntry): Promise<Binding[]> {
    const own = (await entry.ctx.names()).sort();
    const seen = new Set(own);
    const inherited: { name: string; from: string }[] = [];
    for (let p = entry.parent; p; p = p.parent) {
      for (const name of (await p.ctx.names()).sort()) {
        if (!seen.has(name)) inherited.push({ name, from: p.name });
        seen.add(name);
      }
    }
    const show = async (name: string, from: string | null): Promise<Binding> => ({ name, shown: await shownValue(entry.ctx, name), from });
    return Promise.all([...own.map((n) => show(n, null)), ...inherited.map((b) => show(b.name, b.from))]);
  }

  private async add(name: string, parent: ContextEntry | null): Promise<ContextEntry> {
    const ctx = await this.box.createContext({ name, ...(parent ? { parent: parent.ctx } : {}) });
    const entry: ContextEntry = { name, parent, ctx };
    // Children right after their parent's last descendant, so that the list reads as a tree.
    const at = parent ? this.entries.indexOf(this.subtree(parent).at(-1)!) + 1 : this.entries.length;
    this.entries.splice(at, 0, entry);
    return entry;
  }

  /** `entry` and all its descendants, parents first. */
  private subtree(entry: ContextEntry): ContextEntry[] {
    const out = [entry];
    for (const e of this.entries) if (e.parent && out.includes(e.parent) && !out.includes(e)) out.push(e);
    return out;
  }

  private async disposeAll(entries: ContextEntry[]): Promise<void> {
    // Children first: a parent outlives the contexts that read through it.
    for (const e of [...entries].reverse()) await e.ctx.dispose();
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}

/** Characters of a value the pane shows (the whole value is in Python: the pane is a summary). */
const MAX_SHOWN = 120;

/** A value as one line: its JSON, or its repr when it has no JSON form, cut at {@link MAX_SHOWN} with an ellipsis. */
async function shownValue(ctx: Context, name: string): Promise<string> {
  try {
    const value = await ctx.get(name);
    if (value instanceof Uint8Array) return `bytes (${value.byteLength})`;
    const json = JSON.stringify(value);
    return json.length > MAX_SHOWN ? `${json.slice(0, MAX_SHOWN - 1)}…` : json;
  } catch (e) {
    // Not JSON: the error's message carries the repr ("... (repr: <function f at 0x...>)").
    const message = e instanceof Error ? e.message : String(e);
    const repr = /\(repr: (.*)\)$/s.exec(message)?.[1] ?? message;
    return repr.length > MAX_SHOWN ? `${repr.slice(0, MAX_SHOWN - 1)}…` : repr;
  }
}
