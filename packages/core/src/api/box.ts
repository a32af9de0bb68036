/**
 * `PyBox`: the public facade, identical on every runtime. It validates
 * input (validate.ts), applies limits, owns the failure domains (each exec
 * has its own stop; handles know the box's generation) and tracks every
 * pending call so that `close()` can reject them; an {@link EngineHost}
 * does the work.
 */
import { isThenable } from '../engine/tools.js';
import type { ResetInfo, RestoredState } from '../engine/types.js';
import { damaged } from '../engine/snapshot-codec.js';
import { BoxClosedError, ContextDisposedError, describeValue, InvalidArgumentError } from '../errors.js';
import { PendingCalls } from '../pending.js';
import { Context, type ExecStop } from './context.js';
import type { EngineHost } from './host.js';
import { PausedRun } from './paused.js';
import { prepareTools } from '../tools/define.js';
import { renderStubs, type StubSource } from '../tools/stubs.js';
import {
  DEFAULT_LIMITS,
  type ContextOptions,
  type FileInfo,
  type Limits,
  type PyBoxOptions,
  type ToolCallEvent,
  type ToolDefinition,
  type ToolsInput,
} from './types.js';
import { checkFileData, checkLimits, checkOptions, checkPath, checkRmOptions, checkTools } from './validate.js';

/**
 * Async access to the box's virtual filesystem (`/data`, `/tmp`, `/out`; `/lib` is read-only).
 *
 * @example
 * ```ts
 * await box.fs.writeFile('/data/in.csv', 'a,b\n1,2\n')
 * const text = await box.fs.readText('/out/report.txt')
 * ```
 */
export interface BoxFileSystem {
  /** Writes a file (strings as UTF-8), creating parent folders. */
  writeFile(path: string, data: Uint8Array | string): Promise<void>;
  /** Reads a file's bytes. */
  readFile(path: string): Promise<Uint8Array>;
  /** Reads a file as UTF-8 text. */
  readText(path: string): Promise<string>;
  /** Lists a folder. */
  readdir(path: string): Promise<string[]>;
  /** Creates a folder and its parents. */
  mkdir(path: string): Promise<void>;
  /** Removes a file, or a folder with `recursive`. */
  rm(path: string, options?: { recursive?: boolean; force?: boolean }): Promise<void>;
  /** Type and size of a path, or `null` if it does not exist. */
  stat(path: string): Promise<FileInfo | null>;
}

/**
 * A sandboxed Python: one guest instance with many contexts, a virtual
 * filesystem and your tools. This is the runtime-independent part of
 * `PyBox`; create boxes with `PyBox.create()` from `@pybox/core` (browser)
 * or `@pybox/node`.
 *
 * @example
 * ```ts
 * const box = await PyBox.create({ tools: [searchTool] })
 * const ctx = await box.createContext()
 * const r = await ctx.exec('hits = await search("wasm")\nprint(len(hits))')
 * console.log(r.stdout)
 * await box.close()
 * ```
 */
export abstract class PyBoxBase {
  /** The box's virtual filesystem. */
  readonly fs: BoxFileSystem;
  /** The limits in force (defaults filled in). */
  readonly limits: Required<Limits>;
  private closed = false;
  private readonly pending = new PendingCalls({ mapError: (e) => (this.closed ? new BoxClosedError() : e) });
  private readonly live = new Set<Context>();
  /** What each tool's stub is made from, in definition order. */
  private readonly stubs = new Map<string, StubSource>();
  private readonly toolCallListeners = new Set<(event: ToolCallEvent) => void>();
  private validateResults = false;
  /** The stops of the execs running now: `interrupt()` and `close()` reach exactly these. */
  private readonly running = new Set<ExecStop>();
  /** Bumped whenever the guest is replaced: handles from an older generation are dead. */
  private generation = 0;
  private lastReset: ResetInfo | null = null;
  private readonly pausedRuns: PausedRun[] = [];
  private execsStarted = 0;
  private guestResets = 0;

  /** @internal Use `PyBox.create()`. */
  protected constructor(
    private readonly host: EngineHost,
    limits: Limits,
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...definedOnly(limits) };
    host.onReset((info) => {
      // A trap or a hard stop replaced the guest: its contexts no longer exist.
      this.generation++;
      this.guestResets++;
      this.lastReset = info;
      this.live.clear();
      this.pausedRuns.length = 0;
    });
    this.fs = {
      writeFile: async (path, data) => {
        checkPath(path);
        checkFileData(data);
        return this.track(() => host.writeFile(path, data));
      },
      readFile: async (path) => this.track(() => host.readFile(checkPath(path))),
      readText: async (path) => new TextDecoder().decode(await this.track(() => host.readFile(checkPath(path)))),
      readdir: async (path) => this.track(() => host.readdir(checkPath(path))),
      mkdir: async (path) => this.track(() => host.mkdir(checkPath(path))),
      rm: async (path, options) => {
        checkPath(path);
        const checked = checkRmOptions(options);
        return this.track(() => host.rm(path, checked));
      },
      stat: async (path) => this.track(() => host.stat(checkPath(path))),
    };
  }

  /**
   * Wraps an engine host in the facade and applies the options. Runtimes
   * call this from their `PyBox.create()`, after `checkBoxOptions`.
   * @internal
   */
  protected static async open<T extends PyBoxBase>(
    make: (host: EngineHost, limits: Limits) => T,
    host: EngineHost,
    options: PyBoxOptions,
  ): Promise<T> {
    const box = make(host, checkLimits(options.limits));
    box.validateResults = options.validateResults === true;
    try {
      if (options.tools !== undefined) await box.defineTools(options.tools);
    } catch (e) {
      await box.close();
      throw e;
    }
    return box;
  }

  /**
   * Wraps the host of an engine restored from a snapshot in the facade: the
   * limits and contexts (names, parents) the snapshot holds, its paused runs,
   * the tools given again. Runtimes call this from their `PyBox.restore()`.
   * @internal
   */
  protected static async openRestored<T extends PyBoxBase>(
    make: (host: EngineHost, limits: Limits) => T,
    host: EngineHost,
    state: RestoredState,
    options: Pick<PyBoxOptions, 'tools' | 'validateResults'>,
  ): Promise<T> {
    let record: FacadeRecord;
    try {
      record = readFacadeRecord(state.facade);
    } catch (e) {
      await host.close();
      throw e;
    }
    const box = make(host, record.limits);
    box.validateResults = options.validateResults ?? record.validateResults;
    try {
      if (options.tools !== undefined) await box.defineTools(options.tools);
    } catch (e) {
      await box.close();
      throw e;
    }
    const names = new Map(record.contexts.map((c) => [c.id, c.name]));
    const byId = new Map<number, Context>();
    for (const { id, parent } of state.contexts) {
      const ctx = box.makeContext(id, names.get(id) ?? `context-${id}`, parent === null ? undefined : byId.get(parent));
      byId.set(id, ctx);
    }
    for (const run of state.paused) {
      const ctx = byId.get(run.context);
      if (!ctx) continue;
      ctx.pausedRun = true;
      box.pausedRuns.push(
        new PausedRun(ctx, run.pending, run.stdout, run.stderr, {
          host,
          toolNames: () => box.toolNames,
          done: (r) => {
            const i = box.pausedRuns.indexOf(r);
            if (i >= 0) box.pausedRuns.splice(i, 1);
          },
        }),
      );
    }
    return box;
  }

  /**
   * A snapshot of the whole box, as bytes to store or send anywhere: every
   * context (its variables, name, parent and protected names), the files of
   * the in-memory filesystem (not mounts), the limits and configuration, and
   * every exec waiting on tool calls (it becomes a {@link PausedRun} of the
   * restored box). Restore it with `PyBox.restore(bytes, { tools })`. The box
   * goes on unchanged. It holds the difference to the boot image, gzipped.
   * @throws SnapshotError (`not-now`) when called from a synchronous tool handler of an in-thread box
   *
   * @example
   * ```ts
   * const bytes = await box.snapshot()
   * await store.put(sessionId, bytes)
   * await box.close()
   * // later, anywhere with the same PyBox build:
   * const again = await PyBox.restore(await store.get(sessionId), { tools })
   * ```
   */
  async snapshot(): Promise<Uint8Array> {
    const record: FacadeRecord = {
      limits: this.limits,
      validateResults: this.validateResults,
      contexts: [...this.live].filter((c) => c.isLive).map((c) => ({ id: c.id, name: c.name })),
      tools: this.toolNames,
    };
    return this.track(() => this.host.snapshot(record));
  }

  /**
   * The live contexts of this box, in creation order (after a restore: the snapshot's, with
   * the names they were created with).
   *
   * @example
   * ```ts
   * const main = box.contexts().find((c) => c.name === 'main') ?? (await box.createContext({ name: 'main' }))
   * ```
   */
  contexts(): Context[] {
    return [...this.live].filter((c) => c.isLive);
  }

  /**
   * The runs of a restored box that were waiting on tool calls when the snapshot was taken,
   * until each is resumed or cancelled.
   *
   * @example
   * ```ts
   * for (const run of box.paused) console.log(run.context.name, run.pending)
   * ```
   */
  get paused(): readonly PausedRun[] {
    return [...this.pausedRuns];
  }

  /**
   * Adds a tool to every context (existing and future). Redefining a name replaces it.
   * @throws ToolDefinitionError when the definition is invalid
   */
  async defineTool(tool: ToolDefinition): Promise<void> {
    return this.defineTools([tool]);
  }

  /**
   * Adds several tools at once.
   * @throws ToolDefinitionError when `tools` is not an array or a definition is invalid
   */
  async defineTools(tools: ToolsInput): Promise<void> {
    checkTools(tools);
    if (Array.isArray(tools) && tools.length === 0) return;
    return this.track(async () => {
      const prepared = await prepareTools(tools, {
        validateResults: this.validateResults,
        onCall: (event) => {
          for (const listener of this.toolCallListeners) {
            try {
              const out: unknown = listener(event);
              if (isThenable(out)) Promise.resolve(out).then(undefined, () => undefined); // unobserved, a rejection ends a Node process
            } catch {
              // A listener's bug must not change what Python sees, nor starve the other listeners.
            }
          }
        },
      });
      await this.host.defineTools(prepared.map((p) => p.engine));
      for (const p of prepared) {
        this.stubs.delete(p.stub.name); // a redefined tool moves to the end
        this.stubs.set(p.stub.name, p.stub);
      }
    });
  }

  /**
   * The Python stubs of the tools, as text for a prompt: one `async def` per
   * tool with typed parameters and a docstring, and the `TypedDict`s they
   * use. Each tool's own part is also what `help(tool)` shows in Python.
   * @param names only these tools (default: all, in definition order)
   *
   * @example
   * ```ts
   * const prompt = `You can call these Python functions:\n\n${box.describeTools()}`
   * // async def get_orders(customer_id: str, status: Literal["open", "closed"] = "open") -> list[Order]:
   * //     """Orders of one customer. ..."""
   * ```
   */
  describeTools(names?: string[]): string {
    const all = [...this.stubs.values()];
    if (names === undefined) return renderStubs(all);
    const unknown = names.filter((n) => !this.stubs.has(n));
    if (unknown.length) throw new InvalidArgumentError(`no tool named ${unknown.join(', ')}: define it first`);
    return renderStubs(names.map((n) => this.stubs.get(n)!));
  }

  /**
   * The names of the defined tools, in definition order.
   *
   * @example
   * ```ts
   * box.toolNames // ['get_orders', 'get_customer']
   * ```
   */
  get toolNames(): string[] {
    return [...this.stubs.keys()];
  }

  /**
   * Calls `listener` after every tool call Python code makes in this box
   * (name, arguments, result or error, duration), including calls refused by
   * validation. Returns a function that removes the listener.
   *
   * @example
   * ```ts
   * const stop = box.onToolCall((e) => console.log(`${e.name}(${JSON.stringify(e.args)}) ${e.ok ? 'ok' : e.error.type}`))
   * await ctx.exec('await get_weather("Oslo")')
   * stop()
   * ```
   */
  onToolCall(listener: (event: ToolCallEvent) => void): () => void {
    if (typeof listener !== 'function') throw new InvalidArgumentError('onToolCall needs a function');
    this.toolCallListeners.add(listener);
    return () => void this.toolCallListeners.delete(listener);
  }

  /**
   * Creates an execution context: its own Python globals. With `parent`,
   * names it lacks are looked up in the parent when used (live inheritance).
   */
  async createContext(options?: ContextOptions): Promise<Context> {
    const { name, parent } = checkOptions<ContextOptions>(options, ['name', 'parent'], 'createContext options');
    if (name !== undefined && typeof name !== 'string') {
      throw new InvalidArgumentError(`createContext options.name must be a string, got ${describeValue(name)}`);
    }
    if (parent !== undefined && !(parent instanceof Context && this.live.has(parent) && parent.isLive)) {
      throw new InvalidArgumentError('parent must be a live context of this box');
    }
    const generation = this.generation;
    const id = await this.track(() => this.host.createContext(parent?.id));
    if (generation !== this.generation) throw this.lostError();
    return this.makeContext(id, name ?? `context-${id}`, parent as Context | undefined);
  }

  /** The handle of an engine context. */
  private makeContext(id: number, name: string, parent: Context | undefined): Context {
    const generation = this.generation;
    const ctx = new Context(id, name, {
      host: this.host,
      box: this,
      limits: this.limits,
      generation,
      currentGeneration: () => this.generation,
      lostError: () => this.lostError(),
      track: (fn) => this.track(fn),
      forget: (c) => this.live.delete(c),
      startExec: (stop) => {
        if (this.closed) throw new BoxClosedError();
        this.execsStarted++;
        this.running.add(stop);
        return () => this.running.delete(stop);
      },
    }, parent);
    this.live.add(ctx);
    return ctx;
  }

  /** Why handles of an older generation are dead. */
  private lostError(): ContextDisposedError {
    const info = this.lastReset;
    if (!info) return new ContextDisposedError();
    return new ContextDisposedError(
      `this context was lost when the box restarted its guest (${info.reason}; ${info.contextsLost} context(s) lost): create a new one with box.createContext()`,
    );
  }

  /**
   * Stops the execs of this box that are running now (none started later); they reject with
   * `AbortedError`. Other work of the box (contexts, files, tools) is untouched.
   */
  interrupt(): void {
    for (const stop of [...this.running]) stop('interrupted: box.interrupt() was called while it ran');
  }

  /**
   * How much the box has been used: execs started, and guest restarts (a trap or a hard stop).
   * A pool recycles boxes by these.
   *
   * @example
   * ```ts
   * if (box.usage.resets > 0 || box.usage.execs > 1000) await replace(box)
   * ```
   */
  get usage(): { execs: number; resets: number; running: number } {
    return { execs: this.execsStarted, resets: this.guestResets, running: this.running.size };
  }

  /** Whether `close()` was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Releases the box. Every pending call rejects with `BoxClosedError`; later calls too. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const stop of [...this.running]) stop('the box was closed');
    this.running.clear();
    this.pending.rejectAll(new BoxClosedError());
    this.live.clear();
    await this.host.close();
  }

  /** `await using box = await PyBox.create()` closes it at the end of the scope. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Runs a host call so that close() can reject it, and a closed box refuses it. */
  private track<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new BoxClosedError());
    return this.pending.track(fn);
  }
}

/** What the facade records in a snapshot about itself. */
interface FacadeRecord {
  limits: Required<Limits>;
  validateResults: boolean;
  /** Names of the live contexts, by engine handle. */
  contexts: { id: number; name: string }[];
  /** The tools defined when the snapshot was taken (functions are not data: they are given again). */
  tools: string[];
}

/** The facade's record, its limits held to what `PyBox.create` accepts (a description can be hand-made). */
function readFacadeRecord(value: unknown): FacadeRecord {
  const r = (typeof value === 'object' && value !== null ? value : {}) as Partial<FacadeRecord>;
  let limits: Limits;
  try {
    limits = checkLimits(r.limits);
  } catch (e) {
    throw damaged(`its limits: ${e instanceof Error ? e.message : String(e)}`);
  }
  return {
    limits: { ...DEFAULT_LIMITS, ...limits },
    validateResults: r.validateResults === true,
    contexts: Array.isArray(r.contexts) ? r.contexts.filter((c) => typeof c?.id === 'number' && typeof c?.name === 'string') : [],
    tools: Array.isArray(r.tools) ? r.tools : [],
  };
}

function definedOnly(limits: Limits): Limits {
  return Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined)) as Limits;
}
