/**
 * The facade's side of a worker transport: an {@link EngineHost} that
 * forwards every call to a {@link RemoteEngine} over Comlink. It also makes
 * sure nothing hangs: when the worker dies or the host closes, every
 * pending call rejects.
 */
import * as Comlink from '../comlink.js';
import { validateTool, type EngineExecOptions, type EngineTool, type ExecResult, type GuestAssets } from '../engine/engine.js';
import { BoxClosedError, GuestCrashError } from '../errors.js';
import type { EngineHost } from '../host.js';
import { toJson } from '../json.js';
import type { FileInfo } from '../types.js';
import { installErrorTransfer, type RemoteEngineApi, type RemoteInitOptions } from './protocol.js';

/** A started worker, whatever its kind (Web Worker, worker_threads). */
export interface WorkerHandle {
  /** The Comlink endpoint of the worker. */
  endpoint: Comlink.Endpoint;
  /** Stops the worker at once. */
  terminate(): void;
  /** Registers a callback for the worker dying (an uncaught error or an exit). */
  onDeath(callback: (error: Error) => void): void;
  /** Keeps the process alive while calls are pending (Node); optional. */
  ref?(): void;
  /** Lets an idle worker not keep the process alive (Node); optional. */
  unref?(): void;
}

installErrorTransfer();

/** An {@link EngineHost} whose engine runs in a worker. */
export class WorkerHost implements EngineHost {
  private readonly remote: Comlink.Remote<RemoteEngineApi>;
  private readonly handlers = new Map<string, EngineTool['handler']>();
  private readonly pending = new Set<(e: Error) => void>();
  private nextExecId = 1;
  private dead: Error | null = null;

  private constructor(private readonly worker: WorkerHandle) {
    this.remote = Comlink.wrap<RemoteEngineApi>(worker.endpoint);
    worker.onDeath((e) => this.fail(new GuestCrashError(`the PyBox worker died: ${e.message}`)));
  }

  /**
   * Set to stop a CPU-bound exec from this thread. Needs SharedArrayBuffer
   * (always in Node; in browsers only on cross-origin isolated pages).
   */
  private readonly interruptFlag: Int32Array | undefined =
    typeof SharedArrayBuffer === 'function' ? new Int32Array(new SharedArrayBuffer(4)) : undefined;

  /** Starts the engine in `worker` with the given assets (the compiled module is shared, not recompiled). */
  static async start(worker: WorkerHandle, assets: GuestAssets, options: RemoteInitOptions): Promise<WorkerHost> {
    const host = new WorkerHost(worker);
    try {
      await host.guard(() => host.remote.init(assets, { ...options, interruptFlag: host.interruptFlag }));
    } catch (e) {
      worker.terminate();
      throw e;
    }
    return host;
  }

  private fail(error: Error): void {
    if (this.dead) return;
    this.dead = error;
    for (const reject of this.pending) reject(error);
    this.pending.clear();
    this.worker.unref?.();
  }

  /** Runs a remote call that rejects if the worker dies or the host closes first. */
  private guard<T>(fn: () => Promise<T>): Promise<T> {
    if (this.dead) return Promise.reject(this.dead);
    return new Promise<T>((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref?.();
      this.pending.add(reject);
      const settle = () => {
        this.pending.delete(reject);
        if (this.pending.size === 0) this.worker.unref?.();
      };
      fn().then(
        (v) => {
          settle();
          resolve(v);
        },
        (e: unknown) => {
          settle();
          reject(e);
        },
      );
    });
  }

  /** Runs a tool handler for the worker; results cross as JSON. */
  private async callTool(name: string, args: Record<string, unknown>): Promise<unknown> {
    const handler = this.handlers.get(name);
    if (!handler) throw Object.assign(new Error(`unknown tool ${name}`), { name: 'ToolError' });
    const value = await handler(args);
    try {
      return JSON.parse(toJson(value === undefined ? null : value, `the result of tool ${name}`));
    } catch (e) {
      throw Object.assign(new Error((e as Error).message), { name: 'TypeError' });
    }
  }

  async defineTools(tools: EngineTool[]): Promise<void> {
    for (const tool of tools) validateTool(tool); // the same typed errors as in-thread
    const caller = Comlink.proxy((name: string, args: Record<string, unknown>) => this.callTool(name, args));
    const specs = tools.map(({ handler: _handler, ...spec }) => spec);
    await this.guard(() => this.remote.defineTools(specs, caller));
    for (const tool of tools) this.handlers.set(tool.name, tool.handler);
  }

  createContext(parent?: number): Promise<number> {
    return this.guard(() => this.remote.createContext(parent));
  }
  deleteContext(ctx: number): Promise<void> {
    return this.guard(() => this.remote.deleteContext(ctx));
  }

  async exec(ctx: number, code: string, options: EngineExecOptions): Promise<ExecResult> {
    const execId = this.nextExecId++;
    const { onStdout, onStderr, signal } = options;
    const output = onStdout || onStderr ? Comlink.proxy({ onStdout, onStderr }) : undefined;
    const onAbort = () => {
      if (this.interruptFlag) Atomics.store(this.interruptFlag, 0, 1); // reaches CPU-bound code too
      void this.remote.abort(execId).catch(() => undefined);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await this.guard(() =>
        this.remote.exec(
          ctx,
          code,
          {
            execId,
            timeoutMs: options.timeoutMs,
            wallTimeoutMs: options.wallTimeoutMs,
            memoryBytes: options.memoryBytes,
            filename: options.filename,
          },
          output,
        ) as Promise<ExecResult>,
      );
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  set(ctx: number, name: string, value: unknown): Promise<void> {
    // Validate here: values that cannot be JSON must fail with the same typed error as in-thread.
    if (!(value instanceof Uint8Array)) toJson(value, `the value of ${name}`);
    return this.guard(() => this.remote.set(ctx, name, value));
  }
  get(ctx: number, name: string): Promise<unknown> {
    return this.guard(() => this.remote.get(ctx, name));
  }
  protect(ctx: number, name: string): Promise<void> {
    return this.guard(() => this.remote.protect(ctx, name));
  }
  names(ctx: number): Promise<string[]> {
    return this.guard(() => this.remote.names(ctx));
  }
  writeFile(path: string, data: Uint8Array | string): Promise<void> {
    return this.guard(() => this.remote.writeFile(path, data));
  }
  readFile(path: string): Promise<Uint8Array> {
    return this.guard(() => this.remote.readFile(path));
  }
  readdir(path: string): Promise<string[]> {
    return this.guard(() => this.remote.readdir(path));
  }
  mkdir(path: string): Promise<void> {
    return this.guard(() => this.remote.mkdir(path));
  }
  rm(path: string, options?: { recursive?: boolean; force?: boolean }): Promise<void> {
    return this.guard(() => this.remote.rm(path, options));
  }
  stat(path: string): Promise<FileInfo | null> {
    return this.guard(() => this.remote.stat(path));
  }

  interrupt(): void {
    if (this.interruptFlag) Atomics.store(this.interruptFlag, 0, 1);
    void this.remote.abortAll().catch(() => undefined);
  }

  async close(): Promise<void> {
    this.fail(new BoxClosedError());
    this.remote[Comlink.releaseProxy]();
    this.worker.terminate();
  }
}
