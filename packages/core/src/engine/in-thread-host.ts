/**
 * The in-thread transport: an {@link EngineHost} over an engine on the
 * caller's thread (the lowest latency; it blocks the thread while Python
 * runs). It carries calls and decides nothing: the facade has validated them.
 */
import type { EngineHost } from '../api/host.js';
import type { FileInfo } from '../api/types.js';
import { Engine } from './engine.js';
import type { EngineMount } from './mount-router.js';
import type { EncodedValue, EngineExecOptions, EngineTool, ExecResult, GuestAssets, ResetInfo, RestoredState, ToolOutcome } from './types.js';

/**
 * An {@link EngineHost} over an engine on the caller's thread: the lowest latency.
 *
 * @example
 * ```ts
 * const host = new InThreadHost(await Engine.create(assets))
 * ```
 */
export class InThreadHost implements EngineHost {
  constructor(readonly engine: Engine) {}

  /**
   * A host over an engine restored from a snapshot, and what the snapshot held.
   *
   * @example
   * ```ts
   * const { host, state } = await InThreadHost.restore(assets, bytes, { mounts })
   * ```
   */
  static async restore(
    assets: GuestAssets,
    bytes: Uint8Array,
    options: { mounts?: EngineMount[]; maxBytes?: number } = {},
  ): Promise<{ host: InThreadHost; state: RestoredState }> {
    const { engine, state } = await Engine.restore(assets, bytes, { mounts: options.mounts }, options.maxBytes);
    return { host: new InThreadHost(engine), state };
  }

  snapshot(facade: unknown): Promise<Uint8Array> {
    return this.engine.snapshot(facade);
  }
  resumePaused(ctx: number, results: ToolOutcome[], options: EngineExecOptions): Promise<ExecResult> {
    return this.engine.resumePaused(ctx, results, options);
  }
  async cancelPaused(ctx: number): Promise<void> {
    this.engine.cancelPaused(ctx);
  }

  async defineTools(tools: EngineTool[]): Promise<void> {
    this.engine.defineTools(tools);
  }
  async createContext(parent?: number): Promise<number> {
    return this.engine.createContext(parent);
  }
  async deleteContext(ctx: number): Promise<void> {
    this.engine.deleteContext(ctx);
  }
  exec(ctx: number, code: string, options: EngineExecOptions): Promise<ExecResult> {
    return this.engine.exec(ctx, code, options);
  }
  async set(ctx: number, name: string, value: EncodedValue): Promise<void> {
    this.engine.setEncoded(ctx, name, value);
  }
  async get(ctx: number, name: string): Promise<unknown> {
    return this.engine.get(ctx, name);
  }
  async protect(ctx: number, name: string): Promise<void> {
    this.engine.protect(ctx, name);
  }
  async names(ctx: number): Promise<string[]> {
    return this.engine.names(ctx);
  }
  async writeFile(path: string, data: Uint8Array | string): Promise<void> {
    this.engine.fs.writeFile(path, data);
  }
  async readFile(path: string): Promise<Uint8Array> {
    return this.engine.fs.readFile(path);
  }
  async readdir(path: string): Promise<string[]> {
    return this.engine.fs.readdir(path);
  }
  async mkdir(path: string): Promise<void> {
    this.engine.fs.mkdir(path);
  }
  async rm(path: string, options?: { recursive?: boolean; force?: boolean }): Promise<void> {
    this.engine.fs.rm(path, options);
  }
  async stat(path: string): Promise<FileInfo | null> {
    return this.engine.fs.stat(path);
  }
  onReset(listener: (info: ResetInfo) => void): void {
    this.engine.onReset(listener);
  }
  async close(): Promise<void> {
    // The facade has aborted the running execs; a clean engine may serve a later restore.
    this.engine.release();
  }
}
