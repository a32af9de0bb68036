/**
 * `Context`: one set of Python globals inside a box. State persists from one
 * exec to the next.
 */
import { ContextBusyError, ContextDisposedError, InvalidArgumentError } from '../errors.js';
import type { EngineHost } from './host.js';
import type { ExecOptions, ExecResult, Limits } from './types.js';

/**
 * What a context needs from its box.
 * @internal
 */
export interface ContextLink {
  host: EngineHost;
  /** The box's limits (defaults filled in). */
  limits: Required<Limits>;
  track<T>(fn: () => Promise<T>): Promise<T>;
  forget(ctx: Context): void;
}

const EXEC_OPTION_KEYS = new Set(['timeoutMs', 'wallTimeoutMs', 'onStdout', 'onStderr', 'signal', 'filename']);

/**
 * The largest source an exec accepts. Compiling is not interruptible, and
 * megabytes of source take seconds to compile: agent code is far smaller.
 */
export const MAX_CODE_CHARS = 2 * 1024 * 1024;

/**
 * A persistent Python namespace. Create it with `box.createContext()`.
 *
 * @example
 * ```ts
 * const ctx = await box.createContext()
 * await ctx.set('rows', [{ a: 1 }, { a: 2 }])
 * const r = await ctx.exec('total = sum(r["a"] for r in rows)\ntotal')
 * // r.ok && r.value === 3
 * ```
 */
export class Context {
  private disposed = false;
  private busy = false;

  /** @internal Use `box.createContext()`. */
  constructor(
    /** The engine's id for this context. */
    readonly id: number,
    /** A label for debugging. */
    readonly name: string,
    private readonly link: ContextLink,
  ) {}

  /** Whether `dispose()` was called. */
  get isDisposed(): boolean {
    return this.disposed;
  }

  /**
   * Runs Python code. Top-level `await` works, so agent code can
   * `await tool(...)` and `asyncio.gather` tool calls. The value of a
   * trailing expression is returned (`value` as JSON when possible, and its
   * `repr`). A Python exception resolves to `{ ok: false, error }`; limits,
   * aborts and misuse reject with typed errors.
   *
   * One exec at a time per context: a second call while one runs rejects
   * with `ContextBusyError` (use another context for parallel work).
   */
  async exec(code: string, options: ExecOptions = {}): Promise<ExecResult> {
    this.checkLive();
    if (typeof code !== 'string') throw new InvalidArgumentError('code must be a string');
    if (code.length > MAX_CODE_CHARS) {
      throw new InvalidArgumentError(
        `code is ${code.length} characters; the limit is ${MAX_CODE_CHARS}: pass large data with ctx.set() or a file instead`,
      );
    }
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options must be an object');
    for (const key of Object.keys(options)) {
      if (!EXEC_OPTION_KEYS.has(key)) throw new InvalidArgumentError(`unknown exec option "${key}"`);
    }
    for (const key of ['timeoutMs', 'wallTimeoutMs'] as const) {
      const v = options[key];
      if (v !== undefined && !(typeof v === 'number' && Number.isFinite(v) && v > 0)) {
        throw new InvalidArgumentError(`${key} must be a positive number, got ${String(v)}`);
      }
    }
    if (this.busy) throw new ContextBusyError();
    const limits = this.link.limits;
    this.busy = true;
    try {
      return await this.link.track(() =>
        this.link.host.exec(this.id, code, {
          timeoutMs: options.timeoutMs ?? limits.timeoutMs,
          wallTimeoutMs: options.wallTimeoutMs ?? limits.wallTimeoutMs,
          memoryBytes: limits.memoryBytes,
          filename: options.filename,
          onStdout: options.onStdout,
          onStderr: options.onStderr,
          signal: options.signal,
        }),
      );
    } finally {
      this.busy = false;
    }
  }

  /** Binds `name` to a JSON value, or to Python `bytes` when given a Uint8Array. */
  set(name: string, value: unknown): Promise<void> {
    return this.call(() => this.link.host.set(this.id, name, value));
  }

  /** Reads `name` (also from a parent context): a JSON value, or a Uint8Array for `bytes`. */
  get(name: string): Promise<unknown> {
    return this.call(() => this.link.host.get(this.id, name));
  }

  /** Protects `name`: Python code can no longer rebind or delete it. */
  protect(name: string): Promise<void> {
    return this.call(() => this.link.host.protect(this.id, name));
  }

  /** The names this context defines (inherited names and tools excluded). */
  names(): Promise<string[]> {
    return this.call(() => this.link.host.names(this.id));
  }

  /** Frees the context; later calls reject with `ContextDisposedError`. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.link.forget(this);
    await this.link.track(() => this.link.host.deleteContext(this.id));
  }

  /** `await using ctx = await box.createContext()` disposes it at the end of the scope. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }

  /** @internal The engine behind this context is gone (a hard stop): later calls reject. */
  invalidate(): void {
    this.disposed = true;
  }

  private checkLive(): void {
    if (this.disposed) throw new ContextDisposedError();
  }

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    this.checkLive();
    return this.link.track(fn);
  }
}
