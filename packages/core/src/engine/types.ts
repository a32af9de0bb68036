/**
 * The engine's types: what goes into an engine (assets, options, tools) and
 * what comes out of an exec. Type-only, so every engine module can import it
 * without an import cycle.
 */
import type { CrashReason } from '../errors.js';
import type { GuestError } from './abi.js';
import type { EngineMount } from './mount-router.js';
import type { GuestActivity } from './signals.js';
import type { StdlibSource } from './stdlib.js';

export type { GuestError };

/**
 * The assets a guest needs: the compiled reactor and the stdlib bundle.
 *
 * @example
 * ```ts
 * const assets: GuestAssets = { module: await WebAssembly.compile(wasmBytes), stdlib: zipBytes }
 * ```
 */
export interface GuestAssets {
  /** The compiled `pybox.wasm` (compile it once, share it between engines). */
  module: WebAssembly.Module;
  /**
   * The bytes of `python313.zip`, or (browsers) its URL: then it is fetched in the background
   * and read synchronously only if Python needs it before the fetch is done.
   */
  stdlib: StdlibSource;
  /**
   * A boot image of this module (see image.ts). With it, an engine starts by
   * copying memory instead of booting CPython: about 20× faster.
   */
  image?: Uint8Array;
}

/**
 * The subset of JSON Schema PyBox reads from a tool's parameters.
 *
 * @example
 * ```ts
 * const schema: JsonSchemaObject = { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] }
 * ```
 */
export interface JsonSchemaObject {
  type?: 'object';
  properties?: Record<string, { type?: string | string[]; description?: string; [k: string]: unknown }>;
  required?: string[];
  additionalProperties?: boolean | object;
  [k: string]: unknown;
}

/**
 * A tool as the engine sees it: a definition plus a callable handler.
 *
 * @example
 * ```ts
 * const add: EngineTool = { name: 'add', handler: ({ a, b }) => Number(a) + Number(b) }
 * ```
 */
export interface EngineTool {
  /** A Python identifier: the name the tool has in Python. */
  name: string;
  /** What the tool does; becomes the Python docstring. */
  description?: string;
  /** The full text `help(tool)` shows (the tool's Python stub). */
  doc?: string;
  /** JSON Schema of the parameters (an object schema); property order is the Python parameter order. */
  parameters?: JsonSchemaObject;
  /** Called with the arguments object; may return a value or a Promise. */
  handler: (args: Record<string, unknown>) => unknown;
  /**
   * Whether Python may call the handler synchronously (without `await`).
   * Defaults to `true` for a plain function, `false` for an `async function`.
   */
  sync?: boolean;
}

/**
 * Options of one exec at the engine level.
 *
 * @example
 * ```ts
 * await engine.exec(ctx, 'sum(range(10))', { timeoutMs: 1000, wallTimeoutMs: 5000 })
 * ```
 */
export interface EngineExecOptions {
  /** CPU time limit in ms: time spent running Python, not waiting on tools. */
  timeoutMs?: number;
  /** Wall-clock limit in ms for the whole exec, tool waits included. */
  wallTimeoutMs?: number;
  /** Cap in bytes on the guest's total allocations while this exec runs (default 512 MiB; there is no unlimited mode). */
  memoryBytes?: number;
  /** The file name tracebacks show (default `<exec>`). */
  filename?: string;
  /** Receives stdout text as it is printed. */
  onStdout?: (text: string) => void;
  /** Receives stderr text as it is printed. */
  onStderr?: (text: string) => void;
  /**
   * Called at each of the guest's checks for a stop while this exec's Python
   * runs (every few thousand bytecodes): the worker sends output it holds in
   * a batch from there, since no timer of its own fires while Python keeps it busy.
   */
  onCheck?: () => void;
  /**
   * Stops this exec (and no other) when aborted: at once while it waits, at
   * the guest's next check while Python runs. Already aborted: the code
   * never runs (AbortedError).
   */
  signal?: AbortSignal;
  /**
   * The exec's number on the `execSignals` block (see {@link EngineOptions}):
   * another thread stops this exec, and no other, by aborting its number there.
   */
  execId?: number;
}

/**
 * A value as it crosses into Python: JSON text (validated and encoded by
 * the facade), or bytes.
 *
 * @example
 * ```ts
 * const v: EncodedValue = { json: '{"rows":[1,2]}' }
 * ```
 */
export type EncodedValue = { json: string } | { bytes: Uint8Array };

/**
 * What a restore of the guest (after a trap) or a replaced worker (after a hard stop) cost.
 *
 * @example
 * ```ts
 * host.onReset?.((info) => console.warn(`box restarted (${info.reason}): ${info.contextsLost} contexts lost`))
 * ```
 */
export interface ResetInfo {
  reason: CrashReason;
  contextsLost: number;
}

/**
 * The outcome of an exec. `ok: false` carries the Python exception.
 *
 * @example
 * ```ts
 * const r: ExecResult = await ctx.exec('1 + 1')
 * if (r.ok) console.log(r.value) // 2
 * ```
 */
export type ExecResult =
  | {
      ok: true;
      /** The trailing expression's value as JSON, when it has one that JSON can carry. */
      value?: unknown;
      /** `repr()` of the trailing expression's value, when it is not `None`. */
      repr?: string;
      /** Everything printed to stdout. */
      stdout: string;
      /** Everything printed to stderr. */
      stderr: string;
      /** Wall-clock duration of the exec. */
      durationMs: number;
    }
  | {
      ok: false;
      /** The Python exception: type, message and a traceback into the user's code. */
      error: GuestError;
      stdout: string;
      stderr: string;
      durationMs: number;
    };

/**
 * Options for `Engine.create`.
 *
 * @example
 * ```ts
 * const engine = await Engine.create(assets, { env: { LANG: 'C' }, files: { '/data/a.txt': 'hi' } })
 * ```
 */
export interface EngineOptions {
  /** Environment variables Python sees in `os.environ` (nothing of the host leaks in). */
  env?: Record<string, string>;
  /** Files to create before Python starts, by absolute path. */
  files?: Record<string, string | Uint8Array>;
  /** Per-exec cap on stdout+stderr characters (default 1 MiB). */
  outputLimit?: number;
  /** Cap on the characters of a result's value JSON and repr (default 1 MiB). */
  resultLimit?: number;
  /** The filesystem quota in bytes (default 256 MiB; see quota.ts for what counts). */
  fsBytes?: number;
  /**
   * CPU time in ms of a host call that is not an exec (`get`, `set`, `names`, deleting a
   * context...): Python code such as a `__repr__` or `__del__` can run in them (default 30 s).
   */
  timeoutMs?: number;
  /** Cap in bytes on the guest's allocations during host calls that are not execs (default 512 MiB). */
  memoryBytes?: number;
  /**
   * The shared block (engine/signals.ts) through which another thread aborts
   * one exec (by its `execId`), even one stuck in a CPU-bound loop or in
   * `time.sleep`. Needs SharedArrayBuffer.
   */
  execSignals?: Int32Array;
  /** Told whenever guest code starts or stops running (a watchdog on another thread reads it). */
  activity?: GuestActivity;
  /**
   * Folders the embedder provides (e.g. host folders in `@pybox/node`),
   * grafted into the guest's tree at their guest paths before `files` are
   * written. Every path call under a mount goes to the mount's own Fd.
   */
  mounts?: EngineMount[];
}

/**
 * The result of a tool call the host supplies directly to a paused run (e.g. an approval that
 * arrived by webhook), by the call's id: a value, or an error Python raises (its `name` picks
 * the exception type as a handler's error would).
 *
 * @example
 * ```ts
 * const yes: ToolOutcome = { id: 3, ok: true, value: { approved: true } }
 * const no: ToolOutcome = { id: 3, ok: false, error: { name: 'PermissionError', message: 'refused by Ada' } }
 * ```
 */
export type ToolOutcome = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: { name: string; message: string } };

/**
 * A tool call a paused run waits on.
 *
 * @example
 * ```ts
 * const call: PendingCall = { id: 3, tool: 'approve', args: { amount: 120 } }
 * ```
 */
export interface PendingCall {
  /** The call's id: supply its result with this id. */
  id: number;
  /** The tool's name. */
  tool: string;
  /** The arguments Python passed. */
  args: Record<string, unknown>;
}

/**
 * What an engine restored from a snapshot reports to its facade (it crosses a worker boundary).
 *
 * @example
 * ```ts
 * const { engine, state } = await Engine.restore(assets, bytes)
 * state.paused[0]?.pending // [{ id: 1, tool: 'approve', args: { amount: 5 } }]
 * ```
 */
export interface RestoredState {
  /** The live contexts (engine handles), in creation order, and their parents. */
  contexts: { id: number; parent: number | null }[];
  /** The execs that were waiting on tool calls when the snapshot was taken. */
  paused: { context: number; pending: PendingCall[]; stdout: string; stderr: string }[];
  /** What the facade recorded in the snapshot. */
  facade: unknown;
  /** The engine options the snapshot holds (environment and caps). */
  options: Pick<EngineOptions, 'env' | 'outputLimit' | 'resultLimit' | 'timeoutMs' | 'memoryBytes' | 'fsBytes'>;
}
