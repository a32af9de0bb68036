/**
 * The worker side of a transport: an {@link Engine} behind the
 * {@link RemoteEngineApi}. Both the Web Worker and the worker_threads entry
 * expose an instance of this class; neither adds logic of its own.
 */
import { Engine } from '../engine/engine.js';
import type { EngineOptions, ExecResult, GuestAssets } from '../engine/engine.js';
import { BoxClosedError } from '../errors.js';
import type { FileInfo } from '../types.js';
import type { RemoteEngineApi, RemoteExecOptions, RemoteOutput, RemoteToolSpec, ToolCaller } from './protocol.js';

/** Serves one engine to one facade. */
export class RemoteEngine implements RemoteEngineApi {
  private engine: Engine | null = null;
  private readonly aborts = new Map<number, AbortController>();

  private get e(): Engine {
    if (!this.engine) throw new BoxClosedError('the engine is not initialised');
    return this.engine;
  }

  async init(assets: GuestAssets, options: EngineOptions): Promise<void> {
    this.engine = await Engine.create(assets, options);
    this.engine.snapshot(); // the state crashes restore to
  }

  defineTools(specs: RemoteToolSpec[], caller: ToolCaller): void {
    // Handlers live with the facade: every call crosses back, so none is synchronous here.
    this.e.defineTools(specs.map((spec) => ({ ...spec, sync: false, handler: (args) => caller(spec.name, args) })));
  }

  createContext(parent?: number): number {
    return this.e.createContext(parent);
  }

  deleteContext(ctx: number): void {
    this.e.deleteContext(ctx);
  }

  async exec(ctx: number, code: string, options: RemoteExecOptions, output?: RemoteOutput): Promise<ExecResult> {
    const abort = new AbortController();
    this.aborts.set(options.execId, abort);
    try {
      return await this.e.exec(ctx, code, {
        timeoutMs: options.timeoutMs,
        wallTimeoutMs: options.wallTimeoutMs,
        memoryBytes: options.memoryBytes,
        filename: options.filename,
        onStdout: output?.onStdout ? (t) => void output.onStdout!(t) : undefined,
        onStderr: output?.onStderr ? (t) => void output.onStderr!(t) : undefined,
        signal: abort.signal,
      });
    } finally {
      this.aborts.delete(options.execId);
    }
  }

  abort(execId: number): void {
    this.aborts.get(execId)?.abort();
  }

  abortAll(): void {
    for (const a of this.aborts.values()) a.abort();
  }

  set(ctx: number, name: string, value: unknown): void {
    this.e.set(ctx, name, value);
  }
  get(ctx: number, name: string): unknown {
    return this.e.get(ctx, name);
  }
  protect(ctx: number, name: string): void {
    this.e.protect(ctx, name);
  }
  names(ctx: number): string[] {
    return this.e.names(ctx);
  }
  writeFile(path: string, data: Uint8Array | string): void {
    this.e.fs.writeFile(path, data);
  }
  readFile(path: string): Uint8Array {
    return this.e.fs.readFile(path);
  }
  readdir(path: string): string[] {
    return this.e.fs.readdir(path);
  }
  mkdir(path: string): void {
    this.e.fs.mkdir(path);
  }
  rm(path: string, options?: { recursive?: boolean; force?: boolean }): void {
    this.e.fs.rm(path, options);
  }
  stat(path: string): FileInfo | null {
    return this.e.fs.stat(path);
  }
}
