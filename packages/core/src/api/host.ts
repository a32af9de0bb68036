/**
 * The seam between the public facade and an engine: the same async calls
 * whether the engine runs on this thread or behind a worker boundary.
 * Transports implement it; they carry calls, they don't decide anything.
 */
import type { Engine, EngineExecOptions, EngineTool, ExecResult } from './engine/engine.js';
import type { FileInfo } from './types.js';

/** An engine as the facade drives it. Every method may reject with a typed error. */
export interface EngineHost {
  /** Adds or replaces tools in every context. */
  defineTools(tools: EngineTool[]): Promise<void>;
  /** Creates a context (optionally inheriting from `parent`) and returns its id. */
  createContext(parent?: number): Promise<number>;
  /** Deletes a context. */
  deleteContext(ctx: number): Promise<void>;
  /** Runs code in a context, servicing its tool calls. */
  exec(ctx: number, code: string, options: EngineExecOptions): Promise<ExecResult>;
  /** Binds a JSON value (or bytes) to a name. */
  set(ctx: number, name: string, value: unknown): Promise<void>;
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
