/**
 * `Context`: one set of Python globals inside a box. State persists from one
 * exec to the next. Each exec gets its own stop (its signal, `box.interrupt()`,
 * a throwing output callback): it ends that exec and nothing else.
 */
import {
  AbortedError,
  CallbackError,
  ContextBusyError,
  ContextDisposedError,
  describeThrown,
  type CallbackName,
} from '../errors.js';
import type { PyBoxBase } from './box.js';
import type { EngineHost } from './host.js';
import { isThenable } from '../engine/tools.js';
import type { EngineExecOptions } from '../engine/types.js';
import type { ExecOptions, ExecResult, Limits } from './types.js';
import { checkExec, checkName, encodeValue, type CheckedExecOptions } from './validate.js';

export { MAX_CODE_CHARS } from './validate.js';

/** Stops one running exec; `why` completes "the exec was ...". */
export type ExecStop = (why: string) => void;

/**
 * What a context needs from its box.
 * @internal
 */
export interface ContextLink {
  host: EngineHost;
  /** The box the context belongs to. */
  box: PyBoxBase;
  /** The box's limits (defaults filled in). */
  limits: Required<Limits>;
  /** The box's generation when the context was created. */
  generation: number;
  /** The box's generation now (it changes when the guest is replaced). */
  currentGeneration(): number;
  /** The error for a handle of an older generation. */
  lostError(): Error;
  track<T>(fn: () => Promise<T>): Promise<T>;
  forget(ctx: Context): void;
  /** Registers a running exec's stop with the box; returns what unregisters it. */
  startExec(stop: ExecStop): () => void;
}

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
    /** The name it was created with (`createContext({ name })`), kept by snapshots; `context-<id>` by default. */
    readonly name: string,
    private readonly link: ContextLink,
    /** The context it inherits names from (`createContext({ parent })`), if any. */
    readonly parent?: Context,
  ) {}

  /**
   * The box this context belongs to.
   *
   * @example
   * ```ts
   * ctx.box.describeTools()   // the stubs of the tools this context can call
   * ```
   */
  get box(): PyBoxBase {
    return this.link.box;
  }

  /** Whether `dispose()` was called (a context lost to a guest restart is not disposed, but not live either). */
  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Whether calls on this context can succeed: not disposed, and not lost to a guest restart. */
  get isLive(): boolean {
    return !this.disposed && this.link.generation === this.link.currentGeneration();
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
   *
   * An `onStdout`/`onStderr` that throws (or returns a promise that rejects)
   * stops the exec, which rejects with `CallbackError` (the callback is not
   * called again for this exec).
   */
  async exec(code: string, options?: ExecOptions): Promise<ExecResult> {
    this.checkLive();
    const opts = checkExec(code, options);
    if (this.pausedRun) {
      throw new ContextBusyError('this context has a paused run restored from a snapshot: resume it or cancel it first (box.paused)');
    }
    return this.run(opts, (engineOptions) => this.link.host.exec(this.id, code, { ...engineOptions, filename: opts.filename }));
  }

  /**
   * Runs an exec-like call (an exec, or a paused run going on) with its own stop, guarded
   * output callbacks and the box's limits.
   * @internal
   */
  async run(opts: CheckedExecOptions, start: (options: EngineExecOptions) => Promise<ExecResult>): Promise<ExecResult> {
    this.checkLive();
    if (opts.signal?.aborted) {
      throw new AbortedError('the exec was aborted before it started: its signal was already aborted, so the code did not run');
    }
    if (this.busy) throw new ContextBusyError();
    const controller = new AbortController();
    let why: string | null = null;
    let callbackError: CallbackError | null = null;
    const stop: ExecStop = (reason) => {
      if (why !== null) return;
      why = reason;
      controller.abort();
    };
    const onAbort = () => stop('aborted: its signal was aborted');
    const guarded = (name: CallbackName, fn: ((text: string) => void) | undefined) => {
      if (!fn) return undefined;
      const failed = (how: 'threw' | 'rejected', e: unknown) => {
        if (callbackError) return;
        const thrown = describeThrown(e);
        callbackError = new CallbackError(
          `${name} ${how} (${thrown.name}: ${thrown.message}), so the exec was stopped: output callbacks must not throw`,
          name,
        );
        stop(`stopped because ${name} ${how}`);
      };
      return (text: string) => {
        if (callbackError) return;
        try {
          const out: unknown = fn(text);
          // An async callback's rejection is its throw (unobserved, it would end a Node process).
          if (isThenable(out)) Promise.resolve(out).then(undefined, (e: unknown) => failed('rejected', e));
        } catch (e) {
          failed('threw', e);
        }
      };
    };
    const end = this.link.startExec(stop);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    this.busy = true;
    const limits = this.link.limits;
    try {
      const result = await this.link.track(() =>
        start({
          timeoutMs: opts.timeoutMs ?? limits.timeoutMs,
          wallTimeoutMs: opts.wallTimeoutMs ?? limits.wallTimeoutMs,
          memoryBytes: limits.memoryBytes,
          onStdout: guarded('onStdout', opts.onStdout),
          onStderr: guarded('onStderr', opts.onStderr),
          signal: controller.signal,
        }),
      );
      if (callbackError) throw callbackError;
      return result;
    } catch (e) {
      if (callbackError) throw callbackError;
      if (why !== null && e instanceof AbortedError) throw new AbortedError(`the exec was ${why as string}`);
      throw e;
    } finally {
      this.busy = false; // first: with the host's stack nearly exhausted, a call here may throw
      end();
      opts.signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Set while this context holds a run restored from a snapshot that was not resumed yet.
   * @internal
   */
  pausedRun = false;

  /** Binds `name` to a JSON value, or to Python `bytes` when given a Uint8Array. */
  async set(name: string, value: unknown): Promise<void> {
    this.checkLive();
    const encoded = encodeValue(checkName(name), value);
    return this.link.track(() => this.link.host.set(this.id, name, encoded));
  }

  /** Reads `name` (also from a parent context): a JSON value, or a Uint8Array for `bytes`. */
  async get(name: string): Promise<unknown> {
    this.checkLive();
    checkName(name);
    return this.link.track(() => this.link.host.get(this.id, name));
  }

  /** Protects `name`: Python code can no longer rebind or delete it. */
  async protect(name: string): Promise<void> {
    this.checkLive();
    checkName(name);
    return this.link.track(() => this.link.host.protect(this.id, name));
  }

  /** The names this context defines (inherited names and tools excluded). */
  async names(): Promise<string[]> {
    this.checkLive();
    return this.link.track(() => this.link.host.names(this.id));
  }

  /** Frees the context; later calls reject with `ContextDisposedError`. A context lost to a restart is just forgotten. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.link.forget(this);
    if (this.link.generation !== this.link.currentGeneration()) return; // its guest is gone already
    await this.link.track(() => this.link.host.deleteContext(this.id));
  }

  /** `await using ctx = await box.createContext()` disposes it at the end of the scope. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }

  private checkLive(): void {
    if (this.disposed) throw new ContextDisposedError();
    if (this.link.generation !== this.link.currentGeneration()) throw this.link.lostError();
  }
}
