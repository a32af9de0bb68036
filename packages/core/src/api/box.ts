/**
 * `PyBox`: the public facade, identical on every runtime. It validates
 * input, applies limits, tracks every pending call so that `close()` can
 * reject them, and delegates the work to an {@link EngineHost}.
 */
import { Context } from './context.js';
import { BoxClosedError, InvalidArgumentError, ToolDefinitionError } from '../errors.js';
import { checkFsBytes } from '../engine/quota.js';
import { PendingCalls } from '../pending.js';
import type { EngineHost } from './host.js';
import {
  DEFAULT_LIMITS,
  type ContextOptions,
  type FileInfo,
  type Limits,
  type PyBoxOptions,
  type ToolDefinition,
} from './types.js';

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
  private readonly contexts = new Set<Context>();

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
    try {
      if (options.tools?.length) await box.defineTools(options.tools);
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

  /** Adds several tools at once. */
  defineTools(tools: ToolDefinition[]): Promise<void> {
    if (!Array.isArray(tools)) return Promise.reject(new ToolDefinitionError('tools must be an array'));
    return this.track(() => this.host.defineTools(tools.map((t) => ({ ...t }))));
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
    const ctx = new Context(id, options.name ?? `context-${id}`, {
      host: this.host,
      limits: this.limits,
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
    this.pending.rejectAll(new BoxClosedError());
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
    return this.pending.track(fn);
  }
}

function definedOnly(limits: Limits): Limits {
  return Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined)) as Limits;
}

function validateLimits(limits: Limits): void {
  if (typeof limits !== 'object' || limits === null) throw new InvalidArgumentError('limits must be an object');
  checkFsBytes(limits.fsBytes);
  for (const [key, value] of Object.entries(limits)) {
    if (!(key in DEFAULT_LIMITS)) throw new InvalidArgumentError(`unknown limit "${key}"`);
    if (key === 'fsBytes') continue;
    if (value !== undefined && !(typeof value === 'number' && Number.isFinite(value) && value > 0)) {
      throw new InvalidArgumentError(`limits.${key} must be a positive number, got ${String(value)}`);
    }
  }
}
