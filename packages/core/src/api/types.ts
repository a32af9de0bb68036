/**
 * The public option and result types shared by every runtime.
 */
import { DEFAULT_FS_BYTES } from '../engine/quota.js';
import type { ExecResult, GuestError, JsonSchemaObject } from '../engine/types.js';

export type { ExecResult, GuestError, JsonSchemaObject };

/**
 * A host function Python can call. It appears in every context as a Python
 * function with a real signature (from `parameters`) and a docstring (from
 * `description`). Python calls it as `await name(...)`; when `handler` is a
 * plain (non-async) function on the same thread as the engine, `name(...)`
 * without `await` works too.
 *
 * @example
 * ```ts
 * box.defineTool({
 *   name: 'get_weather',
 *   description: 'Current weather for a city.',
 *   parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
 *   handler: async ({ city }) => ({ city, tempC: 21 }),
 * })
 * ```
 */
export interface ToolDefinition {
  /** A Python identifier: the function's name in Python. */
  name: string;
  /** What the tool does; the Python docstring starts with it. */
  description?: string;
  /** JSON Schema (type "object") of the arguments; property order is the parameter order. */
  parameters?: JsonSchemaObject;
  /**
   * Receives the arguments as an object and returns a JSON value (or a
   * Promise of one). A thrown error becomes a Python exception: its type is
   * the error's `name` when that is a Python builtin (`ValueError`,
   * `KeyError`, `PermissionError`, `TimeoutError`...), otherwise `ToolError`.
   */
  handler: (args: Record<string, unknown>) => unknown;
}

/**
 * Limits that stop runaway code. Box-wide defaults; `timeoutMs` and
 * `wallTimeoutMs` can also be set per exec.
 */
export interface Limits {
  /** CPU time of one exec in ms (time spent waiting on tools is not counted). Default 30 000. */
  timeoutMs?: number;
  /** Wall-clock time of one exec in ms, tool waits included. Default 120 000. */
  wallTimeoutMs?: number;
  /** Cap on the guest's allocations in bytes: MemoryError in Python past it. Default 512 MiB. */
  memoryBytes?: number;
  /** Characters of stdout+stderr kept per exec; the rest is dropped with a notice. Default 1 MiB. */
  outputChars?: number;
  /** Characters of a result's JSON value and repr. Default 1 MiB. */
  resultChars?: number;
  /**
   * Bytes the box's in-memory files may hold (an integer ≥ 0): files by their
   * size (sparse ones too), plus 128 bytes and the name's length per file or
   * folder; an overlay mount's in-memory changes count, host folders do not.
   * Past it Python gets `OSError(ENOSPC)` and `box.fs` a `QuotaExceededError`.
   * Default 256 MiB.
   */
  fsBytes?: number;
}

/** Options for `PyBox.create`. */
export interface PyBoxOptions {
  /** Tools available in every context. */
  tools?: ToolDefinition[];
  /** Files to create before Python starts, by absolute path (under /data, /tmp or /out). */
  files?: Record<string, string | Uint8Array>;
  /** What Python sees as `os.environ` (empty by default: nothing of the host leaks in). */
  env?: Record<string, string>;
  /** Box-wide limits. */
  limits?: Limits;
}

/** Options for one exec. */
export interface ExecOptions {
  /** CPU time limit in ms for this exec (default: the box's `limits.timeoutMs`). */
  timeoutMs?: number;
  /** Wall-clock limit in ms for this exec, tool waits included. */
  wallTimeoutMs?: number;
  /** Receives stdout text as Python prints it. */
  onStdout?: (text: string) => void;
  /** Receives stderr text as Python prints it. */
  onStderr?: (text: string) => void;
  /** Aborting it stops the exec with an `AbortedError`. */
  signal?: AbortSignal;
  /** File name shown in tracebacks (default `<exec>`). */
  filename?: string;
}

/** Options for `box.createContext`. */
export interface ContextOptions {
  /** A label for debugging. */
  name?: string;
  /** Names missing in the new context resolve in this one, at lookup time. */
  parent?: { readonly id: number };
}

/** What `box.fs.stat` reports. */
export interface FileInfo {
  type: 'file' | 'directory';
  size: number;
}

/** Default limits: safe for a browser tab or a server process. */
export const DEFAULT_LIMITS: Required<Limits> = {
  timeoutMs: 30_000,
  wallTimeoutMs: 120_000,
  memoryBytes: 512 * 1024 * 1024,
  outputChars: 1024 * 1024,
  resultChars: 1024 * 1024,
  fsBytes: DEFAULT_FS_BYTES,
};
