/**
 * The seam between the public facade and an engine: the same async calls
 * whether the engine runs on this thread or behind a worker boundary.
 * Transports implement it; they carry calls, they don't decide anything.
 */
import type { EncodedValue, EngineExecOptions, EngineTool, ExecResult, ResetInfo } from '../engine/types.js';
import type { FileInfo } from './types.js';

/**
 * An engine as the facade drives it. Every method may reject with a typed error.
 *
 * @example
 * ```ts
 * const host: EngineHost = new InThreadHost(await Engine.create(assets))
 * const ctx = await host.createContext()
 * ```
 */
export interface EngineHost {
  /** Adds or replaces tools in every context. */
  defineTools(tools: EngineTool[]): Promise<void>;
  /** Creates a context (optionally inheriting from `parent`) and returns its id. */
  createContext(parent?: number): Promise<number>;
  /** Deletes a context. */
  deleteContext(ctx: number): Promise<void>;
  /** Runs code in a context, servicing its tool calls; `options.signal` stops this exec only. */
  exec(ctx: number, code: string, options: EngineExecOptions): Promise<ExecResult>;
  /** Binds a value (JSON text the facade encoded, or bytes) to a name. */
  set(ctx: number, name: string, value: EncodedValue): Promise<void>;
  /** Reads a name as JSON (or bytes). */
  get(ctx: number, name: string): Promise<unknown>;
  /** Protects a name from rebinding by Python code. */
  protect(ctx: number, name: string): Promise<void>;
  /** Lists a context's own names. */
  names(ctx: number): Promise<string[]>;
  /** Writes a file in the virtual filesystem. */
  writeFile(path: string, data: Uint8Array | string): Promise<void>;
  /** Reads a file from the virtual filesystem. */
  readFile(path: string): Promise<Uint8Array>;
  /** Lists a folder of the virtual filesystem. */
  readdir(path: string): Promise<string[]>;
  /** Creates a folder (and its parents). */
  mkdir(path: string): Promise<void>;
  /** Removes a file or folder. */
  rm(path: string, options?: { recursive?: boolean; force?: boolean }): Promise<void>;
  /** Type and size of a path, or null. */
  stat(path: string): Promise<FileInfo | null>;
  /** Releases the engine; pending calls reject. */
  close(): Promise<void>;
  /** Registers a callback for when the guest was replaced (a trap, a hard stop) and its contexts are gone. */
  onReset(listener: (info: ResetInfo) => void): void;
}
