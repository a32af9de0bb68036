/**
 * Typed errors: one class per failure, each with a `name` that survives
 * structured cloning and a message that says what to do.
 */

/** Base class of every error PyBox throws. */
export class PyBoxError extends Error {
  override name = 'PyBoxError';
}

/** A Python exception raised by code run with {@link Context.get} or similar calls that throw. */
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

/** The box was closed (or crashed and could not recover); create a new one. */
export class BoxClosedError extends PyBoxError {
  override name = 'BoxClosedError';
  constructor(message = 'this PyBox is closed: create a new box with PyBox.create()') {
    super(message);
  }
}

/** The context was disposed, or never belonged to this box. */
export class ContextDisposedError extends PyBoxError {
  override name = 'ContextDisposedError';
  constructor(message = 'this context was disposed: create a new one with box.createContext()') {
    super(message);
  }
}

/** An exec was started on a context whose previous exec has not finished. */
export class ContextBusyError extends PyBoxError {
  override name = 'ContextBusyError';
  constructor(
    message = 'this context is already running an exec: await it first, or use another context',
  ) {
    super(message);
  }
}

/** A tool definition is invalid (name, description, schema or handler). */
export class ToolDefinitionError extends PyBoxError {
  override name = 'ToolDefinitionError';
}

/** A host-API argument is invalid: not JSON, cyclic, a BigInt, a bad name, a bad option... */
export class InvalidArgumentError extends PyBoxError {
  override name = 'InvalidArgumentError';
}

/** The exec ran longer than its CPU time limit (`timeoutMs`). */
export class TimeLimitError extends PyBoxError {
  override name = 'TimeLimitError';
}

/** The exec, tool waits included, ran longer than its wall-clock limit (`wallTimeoutMs`). */
export class WallTimeLimitError extends PyBoxError {
  override name = 'WallTimeLimitError';
}

/** The exec was stopped on request (`signal` aborted, or `box.interrupt()`). */
export class AbortedError extends PyBoxError {
  override name = 'AbortedError';
}

/**
 * The guest trapped (a wasm trap or host stack overflow) or had to be stopped
 * hard. The box restored itself from its last snapshot; see the docs for what
 * survives.
 */
export class GuestCrashError extends PyBoxError {
  override name = 'GuestCrashError';
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
  GuestCrashError,
  QuotaExceededError,
} as const;
