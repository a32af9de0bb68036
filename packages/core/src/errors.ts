/**
 * Typed errors: one class per failure, each with a `name` that survives
 * structured cloning and a message that says what to do.
 */

/**
 * Base class of every error PyBox throws.
 *
 * @example
 * ```ts
 * try { await ctx.exec(code) } catch (e) { if (e instanceof PyBoxError) console.log(e.name, e.message) }
 * ```
 */
export class PyBoxError extends Error {
  override name = 'PyBoxError';
}

/**
 * A Python exception raised by a call that throws instead of returning `{ ok: false }`, such as
 * `ctx.get()` of an undefined name.
 *
 * @example
 * ```ts
 * await ctx.get('missing').catch((e) => e instanceof PythonError && e.type) // 'NameError'
 * ```
 */
export class PythonError extends PyBoxError {
  override name = 'PythonError';
  constructor(
    /** The Python exception type, e.g. `ValueError`. */
    readonly type: string,
    /** The exception message. */
    readonly pythonMessage: string,
    /** The formatted traceback, pointing into the user's code. */
    readonly traceback: string,
  ) {
    super(`${type}: ${pythonMessage}`);
  }
}

/**
 * The box was closed (or its worker died); create a new one.
 *
 * @example
 * ```ts
 * await box.close()
 * await box.createContext().catch((e) => e instanceof BoxClosedError) // true
 * ```
 */
export class BoxClosedError extends PyBoxError {
  override name = 'BoxClosedError';
  constructor(message = 'this PyBox is closed: create a new box with PyBox.create()') {
    super(message);
  }
}

/**
 * The context was disposed, was lost when the box restarted (a trap or a hard stop), or never
 * belonged to this box.
 *
 * @example
 * ```ts
 * await ctx.dispose()
 * await ctx.exec('1').catch((e) => e instanceof ContextDisposedError) // true
 * ```
 */
export class ContextDisposedError extends PyBoxError {
  override name = 'ContextDisposedError';
  constructor(message = 'this context was disposed: create a new one with box.createContext()') {
    super(message);
  }
}

/**
 * An exec was started on a context whose previous exec has not finished.
 *
 * @example
 * ```ts
 * const first = ctx.exec('await slow()')
 * await ctx.exec('1').catch((e) => e instanceof ContextBusyError) // true
 * ```
 */
export class ContextBusyError extends PyBoxError {
  override name = 'ContextBusyError';
  constructor(message = 'this context is already running an exec: await it first, or use another context') {
    super(message);
  }
}

/**
 * A tool definition is invalid (name, description, schema or handler).
 *
 * @example
 * ```ts
 * await box.defineTool({ name: 'not valid', handler: () => 1 }).catch((e) => e instanceof ToolDefinitionError) // true
 * ```
 */
export class ToolDefinitionError extends PyBoxError {
  override name = 'ToolDefinitionError';
}

/**
 * A host-API argument is invalid: not JSON, cyclic, a BigInt, a bad name, a bad option...
 *
 * @example
 * ```ts
 * await ctx.set('x', 10n).catch((e) => e instanceof InvalidArgumentError) // true
 * ```
 */
export class InvalidArgumentError extends PyBoxError {
  override name = 'InvalidArgumentError';
}

/**
 * The exec ran longer than its CPU time limit (`timeoutMs`).
 *
 * @example
 * ```ts
 * await ctx.exec('while True: pass', { timeoutMs: 100 }).catch((e) => e instanceof TimeLimitError) // true
 * ```
 */
export class TimeLimitError extends PyBoxError {
  override name = 'TimeLimitError';
}

/**
 * The exec, waits included, ran longer than its wall-clock limit (`wallTimeoutMs`).
 *
 * @example
 * ```ts
 * await ctx.exec('import asyncio\nawait asyncio.sleep(60)', { wallTimeoutMs: 100 })
 *   .catch((e) => e instanceof WallTimeLimitError) // true
 * ```
 */
export class WallTimeLimitError extends PyBoxError {
  override name = 'WallTimeLimitError';
}

/**
 * The exec was stopped on request: its `signal` was aborted (also before it started), or
 * `box.interrupt()` was called while it ran.
 *
 * @example
 * ```ts
 * await ctx.exec('1', { signal: AbortSignal.abort() }).catch((e) => e instanceof AbortedError) // true
 * ```
 */
export class AbortedError extends PyBoxError {
  override name = 'AbortedError';
}

/**
 * Which output callback of an exec threw.
 *
 * @example
 * ```ts
 * const which: CallbackName = error.callback // 'onStdout' | 'onStderr'
 * ```
 */
export type CallbackName = 'onStdout' | 'onStderr';

/**
 * An exec's `onStdout` or `onStderr` callback threw. The exec is stopped (like an abort) and
 * rejects with this error; the context and the box are unaffected, and nothing of the throw
 * reaches Python.
 *
 * @example
 * ```ts
 * const r = ctx.exec('print("hi")', { onStdout: () => { throw new Error('socket closed') } })
 * await r.catch((e) => e instanceof CallbackError && e.callback) // 'onStdout'
 * ```
 */
export class CallbackError extends PyBoxError {
  override name = 'CallbackError';
  constructor(
    message: string,
    /** The callback that threw. */
    readonly callback: CallbackName = 'onStdout',
  ) {
    super(message);
  }
}

/**
 * Why a guest had to be replaced:
 * - `trap`: a wasm trap (a guest bug such as a bad function pointer, or memory out of bounds);
 * - `stack-overflow`: the host's stack overflowed inside the guest;
 * - `out-of-memory`: the guest could not allocate its answer;
 * - `hard-stop-time-limit`: code that never checks the time limit ran past it (worker only);
 * - `hard-stop-interrupt`: an interrupted exec did not stop within 0.5 s (worker only);
 * - `worker-died`: the worker exited or threw outside any exec (the box is closed).
 *
 * @example
 * ```ts
 * if (error instanceof GuestCrashError && error.reason === 'hard-stop-time-limit') retryWithLessWork()
 * ```
 */
export type CrashReason =
  | 'trap'
  | 'stack-overflow'
  | 'out-of-memory'
  | 'hard-stop-time-limit'
  | 'hard-stop-interrupt'
  | 'worker-died';

/** Every {@link CrashReason}, for checking one that crossed a boundary. */
export const CRASH_REASONS: readonly CrashReason[] = [
  'trap',
  'stack-overflow',
  'out-of-memory',
  'hard-stop-time-limit',
  'hard-stop-interrupt',
  'worker-died',
];

/**
 * The guest trapped or had to be stopped hard, and was replaced by a clean one (booted from
 * its image): the box, its tools and its initial files survive, its contexts do not. `reason`
 * says why and `contextsLost` how many contexts went; their handles reject with
 * {@link ContextDisposedError}.
 *
 * @example
 * ```ts
 * try { await ctx.exec('sum(range(10**13))', { timeoutMs: 100 }) }
 * catch (e) { if (e instanceof GuestCrashError) console.log(e.reason, e.contextsLost) } // 'hard-stop-time-limit', 1
 * ```
 */
export class GuestCrashError extends PyBoxError {
  override name = 'GuestCrashError';
  /** Why the guest was replaced. */
  readonly reason: CrashReason;
  /** How many contexts were lost with it. */
  readonly contextsLost: number;
  constructor(message: string, details: { reason?: CrashReason; contextsLost?: number } = {}) {
    super(message);
    this.reason = details.reason ?? 'trap';
    this.contextsLost = details.contextsLost ?? 0;
  }
}

/**
 * A write through the host API (`box.fs.writeFile`, `box.fs.mkdir`, initial
 * `files`) would make the box's files exceed `limits.fsBytes`. Python gets
 * `OSError(ENOSPC)` in the same case. Delete files or raise the limit.
 *
 * @example
 * ```ts
 * try {
 *   await box.fs.writeFile('/data/big.bin', bytes)
 * } catch (e) {
 *   if (e instanceof QuotaExceededError) await box.fs.rm('/tmp', { recursive: true, force: true })
 * }
 * ```
 */
export class QuotaExceededError extends PyBoxError {
  override name = 'QuotaExceededError';
}

/** Every error class by name, for rebuilding errors that crossed a worker boundary. */
export const errorClasses = {
  PyBoxError,
  PythonError,
  BoxClosedError,
  ContextDisposedError,
  ContextBusyError,
  ToolDefinitionError,
  InvalidArgumentError,
  TimeLimitError,
  WallTimeLimitError,
  AbortedError,
  CallbackError,
  GuestCrashError,
  QuotaExceededError,
} as const;

/**
 * The `name` and `message` of anything a callback or a tool handler threw, without ever
 * throwing itself: thrown values may be `null`, `Object.create(null)`, frozen, Proxies whose
 * traps throw, or Errors whose `name`/`message` getters throw.
 *
 * @example
 * ```ts
 * describeThrown(Object.create(null)) // { name: 'Error', message: 'a value of type object was thrown' }
 * ```
 */
export function describeThrown(e: unknown): { name: string; message: string } {
  const fallback = { name: 'Error', message: `a value of type ${e === null ? 'null' : typeof e} was thrown` };
  if (typeof e === 'string') return { name: 'Error', message: e };
  if (typeof e !== 'object' || e === null) {
    try {
      return { name: 'Error', message: String(e) };
    } catch {
      return fallback;
    }
  }
  const read = (key: 'name' | 'message'): string | undefined => {
    try {
      const value: unknown = (e as Record<string, unknown>)[key];
      return typeof value === 'string' ? value : undefined;
    } catch {
      return undefined;
    }
  };
  const name = read('name');
  const message = read('message');
  if (message === undefined && name === undefined) return fallback;
  return { name: name || 'Error', message: message ?? '' };
}

/**
 * A short description of any value for an error message ("got ..."): strings quoted (and
 * shortened), numbers and booleans as they are, other values by their kind.
 *
 * @example
 * ```ts
 * describeValue(Symbol()) // 'a symbol'
 * describeValue('x')      // '"x"'
 * ```
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint' || value === undefined) {
    return typeof value === 'bigint' ? `${value}n` : String(value);
  }
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
