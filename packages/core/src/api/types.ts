/**
 * The public option and result types shared by every runtime.
 */
import { DEFAULT_FS_BYTES } from '../engine/quota.js';
import type { ExecResult, GuestError, JsonSchemaObject } from '../engine/types.js';
import type { AiSdkTool, ResultSchema, ToolSchema } from '../tools/schema.js';

export type { ExecResult, GuestError, JsonSchemaObject };
export type { AiSdkTool, AiSdkSchema, JsonSchema, ResultSchema, ToolSchema } from '../tools/schema.js';

/**
 * A host function Python can call. It appears in every context as a Python
 * function with a real signature (from `parameters`) and a docstring (from
 * `description`). Python calls it as `await name(...)`; when `handler` is a
 * plain (non-async) function on the same thread as the engine, `name(...)`
 * without `await` works too.
 *
 * The arguments are validated on the host before `handler` runs: a call that
 * breaks the schema raises `TypeError` (wrong type, missing or unexpected
 * argument) or `ValueError` (any other rule) in Python, with a message that
 * names the argument and the rule, and the handler is not called.
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
  /**
   * The arguments: a JSON Schema of type "object" (property order is the
   * parameter order), or a Standard Schema that exports JSON Schema (zod 4,
   * arktype, valibot wrapped with `toStandardJsonSchema`), or an AI SDK
   * `jsonSchema()`. A Standard Schema's own `validate` decides, and the
   * handler receives its output.
   */
  parameters?: ToolSchema;
  /**
   * The result's schema (same forms as `parameters`). It types the Python
   * stub's return value; with `validateResults`, results are checked too.
   */
  outputSchema?: ResultSchema;
  /**
   * Receives the validated arguments as an object and returns a JSON value
   * (or a Promise of one). A thrown error becomes a Python exception: its
   * type is the error's `name` when that is a Python builtin (`ValueError`,
   * `KeyError`, `PermissionError`, `TimeoutError`...), otherwise `ToolError`.
   */
  handler: (args: Record<string, unknown>) => unknown;
}

/**
 * The tools a box accepts: definitions, or the record of AI SDK tools an app
 * already has (`{ get_weather: tool({ description, inputSchema, execute }) }`).
 *
 * @example
 * ```ts
 * import { tool } from 'ai'
 * import { z } from 'zod'
 * const box = await PyBox.create({ tools: {
 *   get_weather: tool({ description: 'Weather of a city.', inputSchema: z.object({ city: z.string() }),
 *     execute: async ({ city }) => ({ city, tempC: 21 }) }),
 * } })
 * ```
 */
export type ToolsInput = ToolDefinition[] | Record<string, AiSdkTool>;

/**
 * One tool call made by Python code, reported once it settled (see
 * `box.onToolCall`). `args` are the arguments as Python passed them.
 *
 * @example
 * ```ts
 * box.onToolCall((e) => console.log(e.name, e.args, e.ok ? e.result : e.error.message, `${e.ms.toFixed(1)} ms`))
 * ```
 */
export type ToolCallEvent = {
  /** A number unique in this process, in call order. */
  id: number;
  name: string;
  args: Record<string, unknown>;
  /** Time from the call reaching the host to its settling. */
  ms: number;
} & ({ ok: true; result: unknown } | { ok: false; error: { type: string; message: string } });

/**
 * Limits that stop runaway code. Box-wide defaults; `timeoutMs` and
 * `wallTimeoutMs` can also be set per exec. Every value is checked when the
 * box is created (see the README for the valid ranges).
 *
 * @example
 * ```ts
 * const box = await PyBox.create({ limits: { timeoutMs: 5_000, memoryBytes: 128 * 1024 * 1024 } })
 * ```
 */
export interface Limits {
  /** CPU time of one exec in ms, at most 2^31−1 (waiting on tools and timers is not counted). Default 30 000. */
  timeoutMs?: number;
  /** Wall-clock time of one exec in ms, at most 2^31−1, waits included. Default 120 000. */
  wallTimeoutMs?: number;
  /** Cap on the guest's allocations in whole bytes, 16 MiB to 4 GiB: MemoryError in Python past it. Default 512 MiB. */
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

/**
 * Options for `PyBox.create` (unknown keys are refused).
 *
 * @example
 * ```ts
 * const options: PyBoxOptions = { tools: [addTool], files: { '/data/a.csv': 'x,y\n1,2\n' }, env: { TZ: 'UTC' } }
 * ```
 */
export interface PyBoxOptions {
  /** Tools available in every context: definitions, or a record of AI SDK tools. */
  tools?: ToolsInput;
  /**
   * Development mode: check every tool result against the tool's
   * `outputSchema`; a mismatch raises `ToolError` in Python. Default false.
   */
  validateResults?: boolean;
  /** Files to create before Python starts, by absolute path (under /data, /tmp or /out). */
  files?: Record<string, string | Uint8Array>;
  /** What Python sees as `os.environ` (empty by default: nothing of the host leaks in). */
  env?: Record<string, string>;
  /** Box-wide limits. */
  limits?: Limits;
}

/**
 * Options for one exec (unknown keys are refused).
 *
 * @example
 * ```ts
 * await ctx.exec(code, { timeoutMs: 2_000, onStdout: (t) => process.stdout.write(t), signal: controller.signal })
 * ```
 */
export interface ExecOptions {
  /** CPU time limit in ms for this exec (default: the box's `limits.timeoutMs`). */
  timeoutMs?: number;
  /** Wall-clock limit in ms for this exec, tool waits included. */
  wallTimeoutMs?: number;
  /** Receives stdout text as Python prints it. If it throws, the exec stops and rejects with `CallbackError`. */
  onStdout?: (text: string) => void;
  /** Receives stderr text as Python prints it. If it throws, the exec stops and rejects with `CallbackError`. */
  onStderr?: (text: string) => void;
  /** Aborting it stops this exec (no other) with an `AbortedError`; already aborted, the code never runs. */
  signal?: AbortSignal;
  /** File name shown in tracebacks (default `<exec>`). */
  filename?: string;
}

/**
 * Options for `box.createContext`.
 *
 * @example
 * ```ts
 * const child = await box.createContext({ name: 'step-2', parent: base })
 * ```
 */
export interface ContextOptions {
  /** A label for debugging. */
  name?: string;
  /** Names missing in the new context resolve in this one, at lookup time. */
  parent?: { readonly id: number };
}

/**
 * What `box.fs.stat` reports.
 *
 * @example
 * ```ts
 * const info = await box.fs.stat('/out/report.csv') // { type: 'file', size: 1234 } or null
 * ```
 */
export interface FileInfo {
  type: 'file' | 'directory';
  size: number;
}

/**
 * Default limits: safe for a browser tab or a server process.
 *
 * @example
 * ```ts
 * const box = await PyBox.create({ limits: { ...DEFAULT_LIMITS, timeoutMs: 5_000 } })
 * ```
 */
export const DEFAULT_LIMITS: Required<Limits> = {
  timeoutMs: 30_000,
  wallTimeoutMs: 120_000,
  memoryBytes: 512 * 1024 * 1024,
  outputChars: 1024 * 1024,
  resultChars: 1024 * 1024,
  fsBytes: DEFAULT_FS_BYTES,
};
