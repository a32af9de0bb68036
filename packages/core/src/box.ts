/**
 * `PyBox`: the public facade, identical on every runtime. It validates
 * input, applies limits, tracks every pending call so that `close()` can
 * reject them, and delegates the work to an {@link EngineHost}.
 */
import { Context } from './context.js';
import { BoxClosedError, InvalidArgumentError, ToolDefinitionError } from './errors.js';
import type { EngineHost } from './host.js';
import { prepareTools } from './tools/define.js';
import { renderStubs, type StubSource } from './tools/stubs.js';
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

/** Async access to the box's virtual filesystem (`/data`, `/tmp`, `/out`; `/lib` is read-only). */
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
  private readonly pending = new Set<(e: Error) => void>();
  private readonly contexts = new Set<Context>();
  /** What each tool's stub is made from, in definition order. */
  private readonly stubs = new Map<string, StubSource>();
  private readonly toolCallListeners = new Set<(event: ToolCallEvent) => void>();
  private validateResults = false;

  /** @internal Use `PyBox.create()`. */
  protected constructor(
    private readonly host: EngineHost,
    limits: Limits,
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...definedOnly(limits) };
    host.onReset?.(() => {
      // A hard stop replaced the engine: its contexts no longer exist.
      for (const ctx of this.contexts) ctx.invalidate();
      this.contexts.clear();
    });
    const fsCall = <T>(fn: () => Promise<T>) => this.track(fn);
    this.fs = {
      writeFile: (path, data) => fsCall(() => host.writeFile(path, data)),
      readFile: (path) => fsCall(() => host.readFile(path)),
      readText: async (path) => new TextDecoder().decode(await fsCall(() => host.readFile(path))),
      readdir: (path) => fsCall(() => host.readdir(path)),
      mkdir: (path) => fsCall(() => host.mkdir(path)),
      rm: (path, options) => fsCall(() => host.rm(path, options)),
      stat: (path) => fsCall(() => host.stat(path)),
    };
  }

  /**
   * Wraps an engine host in the facade and applies the options. Runtimes
   * call this from their `PyBox.create()`.
   * @internal
   */
  protected static async open<T extends PyBoxBase>(
    make: (host: EngineHost, limits: Limits) => T,
    host: EngineHost,
    options: PyBoxOptions,
  ): Promise<T> {
    validateLimits(options.limits ?? {});
    const box = make(host, options.limits ?? {});
    box.validateResults = options.validateResults === true;
    try {
      const tools = options.tools;
      if (tools !== undefined && (Array.isArray(tools) ? tools.length : Object.keys(tools ?? {}).length)) await box.defineTools(tools);
    } catch (e) {
      await box.close();
      throw e;
    }
    return box;
  }

  /**
   * Adds a tool to every context (existing and future). Redefining a name replaces it.
   * @throws ToolDefinitionError when the definition is invalid
   */
  defineTool(tool: ToolDefinition): Promise<void> {
    return this.defineTools([tool]);
  }

  /**
   * Adds several tools at once: an array of definitions, or a record of AI
   * SDK tools keyed by name (`{ get_weather: tool({ ... }) }`).
   * @throws ToolDefinitionError when a definition or its schema is invalid
   */
  defineTools(tools: ToolsInput): Promise<void> {
    if (typeof tools !== 'object' || tools === null) {
      return Promise.reject(new ToolDefinitionError('tools must be an array of definitions or a record of AI SDK tools'));
    }
    return this.track(async () => {
      const prepared = await prepareTools(tools, {
        validateResults: this.validateResults,
        onCall: (event) => {
          for (const listener of this.toolCallListeners) {
            try {
              listener(event);
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
  async createContext(options: ContextOptions = {}): Promise<Context> {
    const parent = options.parent;
    if (parent !== undefined && !(parent instanceof Context && this.contexts.has(parent))) {
      throw new InvalidArgumentError('parent must be a live context of this box');
    }
    const id = await this.track(() => this.host.createContext(parent?.id));
    const ctx = new Context(this, id, options.name ?? `context-${id}`, {
      host: this.host,
      track: (fn) => this.track(fn),
      forget: (c) => this.contexts.delete(c),
    });
    this.contexts.add(ctx);
    return ctx;
  }

  /** Stops the running exec(s) of this box as soon as possible; they reject with `AbortedError`. */
  interrupt(): void {
    if (!this.closed) this.host.interrupt();
  }

  /** Whether `close()` was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Releases the box. Every pending call rejects with `BoxClosedError`; later calls too. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const error = new BoxClosedError();
    for (const reject of this.pending) reject(error);
    this.pending.clear();
    this.contexts.clear();
    await this.host.close();
  }

  /** `await using box = await PyBox.create()` closes it at the end of the scope. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Runs a host call so that close() can reject it, and a closed box refuses it. */
  private track<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new BoxClosedError());
    return new Promise<T>((resolve, reject) => {
      const fail = (e: Error) => reject(e);
      this.pending.add(fail);
      let op: Promise<T>;
      try {
        op = fn();
      } catch (e) {
        op = Promise.reject(e);
      }
      op.then(
        (v) => {
          this.pending.delete(fail);
          resolve(v);
        },
        (e: unknown) => {
          this.pending.delete(fail);
          reject(this.closed ? new BoxClosedError() : e);
        },
      );
    });
  }
}

function definedOnly(limits: Limits): Limits {
  return Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined)) as Limits;
}

function validateLimits(limits: Limits): void {
  if (typeof limits !== 'object' || limits === null) throw new InvalidArgumentError('limits must be an object');
  for (const [key, value] of Object.entries(limits)) {
    if (!(key in DEFAULT_LIMITS)) throw new InvalidArgumentError(`unknown limit "${key}"`);
    if (value !== undefined && !(typeof value === 'number' && Number.isFinite(value) && value > 0)) {
      throw new InvalidArgumentError(`limits.${key} must be a positive number, got ${String(value)}`);
    }
  }
}
