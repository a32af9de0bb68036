/**
 * The in-thread transport: an {@link EngineHost} over an engine on the
 * caller's thread (the lowest latency; it blocks the thread while Python runs).
 */
import type { EngineHost } from '../api/host.js';
import type { FileInfo } from '../api/types.js';
import type { Engine } from './engine.js';
import type { EngineExecOptions, EngineTool, ExecResult } from './types.js';

/**
 * An {@link EngineHost} over an engine on the caller's thread: the lowest latency.
 *
 * @example
 * ```ts
 * const host = new InThreadHost(await Engine.create(assets))
 * ```
 */
export class InThreadHost implements EngineHost {
  private readonly aborts = new Set<AbortController>();

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
  async exec(ctx: number, code: string, options: EngineExecOptions): Promise<ExecResult> {
    // interrupt() aborts through the same path as a caller's AbortSignal.
    const abort = new AbortController();
    const outer = options.signal;
    const forward = () => abort.abort(outer?.reason);
    if (outer?.aborted) forward();
    outer?.addEventListener('abort', forward, { once: true });
    this.aborts.add(abort);
    try {
      return await this.engine.exec(ctx, code, { ...options, signal: abort.signal });
    } finally {
      this.aborts.delete(abort);
      outer?.removeEventListener('abort', forward);
    }
  }
  async set(ctx: number, name: string, value: unknown): Promise<void> {
    this.engine.set(ctx, name, value);
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
  interrupt(): void {
    this.engine.interrupt(); // reaches code that is waiting on a tool which calls interrupt()
    for (const a of this.aborts) a.abort();
  }
  async close(): Promise<void> {
    this.interrupt();
  }
}
