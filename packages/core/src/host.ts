/**
 * The seam between the public facade and an engine: the same async calls
 * whether the engine runs on this thread or behind a worker boundary.
 * Transports implement it; they carry calls, they don't decide anything.
 */
import type { Engine, EngineExecOptions, EngineTool, ExecResult } from './engine/engine.js';
import type { FileInfo } from './types.js';

/** An engine as the facade drives it. Every method may reject with a typed error. */
export interface EngineHost {
  defineTools(tools: EngineTool[]): Promise<void>;
  createContext(parent?: number): Promise<number>;
  deleteContext(ctx: number): Promise<void>;
  exec(ctx: number, code: string, options: EngineExecOptions): Promise<ExecResult>;
  set(ctx: number, name: string, value: unknown): Promise<void>;
  get(ctx: number, name: string): Promise<unknown>;
  protect(ctx: number, name: string): Promise<void>;
  names(ctx: number): Promise<string[]>;
  writeFile(path: string, data: Uint8Array | string): Promise<void>;
  readFile(path: string): Promise<Uint8Array>;
  readdir(path: string): Promise<string[]>;
  mkdir(path: string): Promise<void>;
  rm(path: string, options?: { recursive?: boolean; force?: boolean }): Promise<void>;
  stat(path: string): Promise<FileInfo | null>;
  /** Stops the running exec(s) as soon as possible. */
  interrupt(): void;
  /** Releases the engine; pending calls reject. */
  close(): Promise<void>;
  /** Registers a callback for when the engine was replaced after a hard stop and its contexts are gone. */
  onReset?(listener: () => void): void;
}

/** An {@link EngineHost} over an engine on the caller's thread: the lowest latency. */
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
