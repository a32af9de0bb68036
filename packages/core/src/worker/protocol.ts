/**
 * The wire protocol between a facade (client.ts) and an engine in a worker
 * (remote.ts), for Web Workers and worker_threads alike. Two channels:
 *
 * - **Comlink** is the control channel: `init`, `connect`, tool definitions,
 *   contexts, values (`set`/`get`/`protect`/`names`) and the filesystem.
 *   These are request/response calls, and Comlink gives them typed proxies
 *   and error transfer ({@link installErrorTransfer}) for free.
 * - **The fast port** ({@link FastPort}), a MessagePort of its own, carries
 *   the hot path: execs, their aborts, their streamed output and their tool
 *   calls, one way each, with no replies and no per-call listeners (Comlink
 *   adds both and makes many concurrent calls quadratic; measured in
 *   bench/). Messages in one direction keep their order, so an exec's output
 *   always arrives before its result and its abort never before the exec.
 *   The worker also reports on it when guest code starts and stops running
 *   (`busy`/`idle`, for the watchdog) where no SharedArrayBuffer carries that,
 *   and when a trap made its engine restore the guest (`reset`).
 * - **The shared block** (engine/signals.ts), where SharedArrayBuffer exists:
 *   the watchdog reads there which exec runs guest code, and an abort reaches
 *   CPU-bound code and `time.sleep` of exactly its exec.
 *
 * Imported by both ends, so both register the same transfer handler.
 */
import * as Comlink from '../comlink.js';
import type { FileInfo } from '../api/types.js';
import { CRASH_REASONS, describeThrown, errorClasses, GuestCrashError, PythonError, type CrashReason } from '../errors.js';
import type { EncodedValue, EngineOptions, EngineTool, ExecResult, GuestAssets, ResetInfo } from '../engine/types.js';

/** A tool definition as it crosses: no handler, the worker calls back by name. */
export type RemoteToolSpec = Omit<EngineTool, 'handler'>;

/** One tool call crossing to the facade. */
export interface ToolCallRequest {
  id: number;
  name: string;
  args: Record<string, unknown>;
}

/** The outcome of a tool call crossing back to the worker. */
export type ToolCallOutcome = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: WireError };

/** The hot-path channel (see the module comment): execs, output and tool calls. */
export type FastPort = MessagePort;

/** Facade → worker on the {@link FastPort}. */
export type ToWorker =
  | { t: 'exec'; id: number; ctx: number; code: string; options: RemoteExecOptions; stdout: boolean; stderr: boolean }
  | { t: 'abort'; id: number }
  | { t: 'outcomes'; outcomes: ToolCallOutcome[] };

/** Worker → facade on the {@link FastPort}. */
export type ToFacade =
  | { t: 'out'; id: number; stream: 'stdout' | 'stderr'; text: string }
  | { t: 'done'; id: number; result: ExecResult }
  | { t: 'fail'; id: number; error: WireError }
  | { t: 'calls'; calls: ToolCallRequest[] }
  | { t: 'busy'; id: number; budgetMs: number }
  | { t: 'idle' }
  | { t: 'reset'; info: ResetInfo };

/** Exec options as they cross (the signal stays behind: an `abort` message, and the shared block, reach the worker instead). */
export interface RemoteExecOptions {
  timeoutMs?: number;
  wallTimeoutMs?: number;
  memoryBytes?: number;
  filename?: string;
}

/**
 * Engine options as they cross to a worker. Mounts cannot cross (they are
 * live objects), so their serialisable specs do, and the worker's
 * `createMounts` (see {@link RemoteEngine}) turns them into mounts.
 */
export interface RemoteInitOptions extends Omit<EngineOptions, 'mounts' | 'activity'> {
  /** Specs for the worker's `createMounts`, e.g. `{ hostPath, guestPath, mode }` in `@pybox/node`. */
  mountSpecs?: unknown[];
}

/** The API a worker exposes (see worker/remote.ts). */
export interface RemoteEngineApi {
  init(assets: GuestAssets, options: RemoteInitOptions): Promise<void>;
  /** Hands the worker its end of the {@link FastPort}. */
  connect(port: FastPort): void;
  defineTools(specs: RemoteToolSpec[]): void;
  createContext(parent?: number): number;
  deleteContext(ctx: number): void;
  set(ctx: number, name: string, value: EncodedValue): void;
  get(ctx: number, name: string): unknown;
  protect(ctx: number, name: string): void;
  names(ctx: number): string[];
  writeFile(path: string, data: Uint8Array | string): void;
  readFile(path: string): Uint8Array;
  readdir(path: string): string[];
  mkdir(path: string): void;
  rm(path: string, options?: { recursive?: boolean; force?: boolean }): void;
  stat(path: string): FileInfo | null;
}

/** An error as it crosses the boundary. */
export interface WireError {
  name: string;
  message: string;
  type?: string;
  pythonMessage?: string;
  traceback?: string;
  reason?: CrashReason;
  contextsLost?: number;
}

/** Rebuilds a typed error from its wire form. */
export function reviveError(w: WireError): Error {
  if (w.name === 'PythonError') return new PythonError(w.type ?? 'Exception', w.pythonMessage ?? w.message, w.traceback ?? '');
  if (w.name === 'GuestCrashError') {
    const reason = w.reason !== undefined && CRASH_REASONS.includes(w.reason) ? w.reason : 'trap';
    return new GuestCrashError(w.message, { reason, contextsLost: w.contextsLost ?? 0 });
  }
  const Cls = (errorClasses as unknown as Record<string, new (m: string) => Error>)[w.name];
  if (Cls) return new Cls(w.message);
  const e = new Error(w.message);
  e.name = w.name;
  return e;
}

/** The wire form of a thrown value, keeping its class name and Python or crash details. Never throws. */
export function toWire(e: unknown): WireError {
  if (e instanceof PythonError) {
    return { name: e.name, message: e.message, type: e.type, pythonMessage: e.pythonMessage, traceback: e.traceback };
  }
  if (e instanceof GuestCrashError) return { name: e.name, message: e.message, reason: e.reason, contextsLost: e.contextsLost };
  return describeThrown(e);
}

/**
 * Makes thrown errors cross Comlink with their class and Python details (both ends call this).
 *
 * @example
 * ```ts
 * installErrorTransfer()
 * Comlink.expose(new RemoteEngine())
 * ```
 */
export function installErrorTransfer(): void {
  const builtin = Comlink.transferHandlers.get('throw');
  if (!builtin || (builtin as { pybox?: boolean }).pybox) return;
  const handler = {
    pybox: true,
    canHandle: builtin.canHandle, // Comlink's own test for "a thrown value"
    serialize: ({ value }: { value: unknown }) => [toWire(value), []] as [WireError, Transferable[]],
    deserialize: (w: WireError) => {
      throw reviveError(w);
    },
  };
  Comlink.transferHandlers.set('throw', handler as unknown as Comlink.TransferHandler<unknown, unknown>);
}
