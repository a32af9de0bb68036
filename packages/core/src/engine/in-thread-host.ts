/**
 * The in-thread transport: an {@link EngineHost} over an engine on the
 * caller's thread (the lowest latency; it blocks the thread while Python
 * runs). It carries calls and decides nothing: the facade has validated them.
 */
import type { EngineHost } from '../api/host.js';
import type { FileInfo } from '../api/types.js';
import type { Engine } from './engine.js';
import type { EncodedValue, EngineExecOptions, EngineTool, ExecResult, ResetInfo } from './types.js';

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
    // Nothing to release: the facade has aborted the running execs.
  }
}
