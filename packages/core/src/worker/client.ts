/**
 * The facade's side of a worker transport: an {@link EngineHost} that
 * forwards every call to a {@link RemoteEngine} over Comlink. It also makes
 * sure nothing hangs: when the worker dies or the host closes, every
 * pending call rejects.
 */
import * as Comlink from '../comlink.js';
import type { EngineExecOptions, EngineTool, ExecResult, GuestAssets } from '../engine/engine.js';
import { nextTurn, validateTool } from '../engine/tools.js';
import { BoxClosedError, GuestCrashError } from '../errors.js';
import type { EngineHost } from '../host.js';
import { toJson } from '../json.js';
import type { FileInfo } from '../types.js';
import {
  installErrorTransfer,
  reviveError,
  toWire,
  type RemoteEngineApi,
  type RemoteInitOptions,
  type ToolCallOutcome,
  type ToolCallRequest,
  type ToFacade,
  type ToWorker,
} from './protocol.js';

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

/** How much longer than its time limit an exec may keep the worker busy before a hard stop. */
const HARD_STOP_GRACE_MS = 2000;
/** How long an interrupted exec may keep the worker busy before a hard stop (no SharedArrayBuffer, or a long builtin). */
const INTERRUPT_GRACE_MS = 500;

/**
 * An {@link EngineHost} whose engine runs in a worker.
 *
 * When code cannot be stopped from inside (a long builtin, or an interrupt
 * on a page without SharedArrayBuffer), a watchdog stops the worker hard
 * and starts a fresh one from the boot image: the box stays usable, its
 * tools and initial files come back, and its contexts are gone (their
 * handles reject with `ContextDisposedError`).
 */
export class WorkerHost implements EngineHost {
  private worker!: WorkerHandle;
  private proxy!: Comlink.Remote<RemoteEngineApi>;
  private remote!: Comlink.Remote<RemoteEngineApi>;
  private ready: Promise<void> = Promise.resolve();
  private readonly handlers = new Map<string, EngineTool['handler']>();
  private readonly toolSpecs = new Map<string, Omit<EngineTool, 'handler'>>();
  private readonly pending = new Set<(e: Error) => void>();
  private readonly resetListeners: (() => void)[] = [];
  private nextExecId = 1;
  private dead: Error | null = null;
  /** Watchdog state: running execs (id → time limit), tool calls in progress, the last sign of life. */
  private readonly running = new Map<number, number>();
  private toolsInFlight = 0;
  private lastSignal = 0;
  private interruptedAt = 0;
  private watchdog: ReturnType<typeof setInterval> | undefined;

  /**
   * Set to stop a CPU-bound exec from this thread. Needs SharedArrayBuffer
   * (always in Node; in browsers only on cross-origin isolated pages).
   */
  private readonly interruptFlag: Int32Array | undefined =
    typeof SharedArrayBuffer === 'function' ? new Int32Array(new SharedArrayBuffer(4)) : undefined;

  private constructor(
    private readonly spawn: () => WorkerHandle,
    private readonly assets: GuestAssets,
    private readonly options: RemoteInitOptions,
  ) {}

  /**
   * Starts the engine in a worker made by `spawn` with the given assets (the
   * compiled module is shared, not recompiled). `spawn` is called again if
   * the worker has to be replaced after a hard stop.
   */
  static async start(spawn: () => WorkerHandle, assets: GuestAssets, options: RemoteInitOptions): Promise<WorkerHost> {
    const host = new WorkerHost(spawn, assets, options);
    await host.boot();
    return host;
  }

  /** Starts a worker and its engine, with the tools defined so far. */
  private boot(): Promise<void> {
    const worker = this.spawn();
    this.worker = worker;
    this.proxy = Comlink.wrap<RemoteEngineApi>(worker.endpoint);
    this.remote = methodsOf(this.proxy);
    worker.onDeath((e) => {
      if (this.worker === worker) this.fail(new GuestCrashError(`the PyBox worker died: ${e.message}`));
    });
    const booting = this.guard(async () => {
      await this.remote.init(this.assets, { ...this.options, interruptFlag: this.interruptFlag });
      await this.connect();
      if (this.toolSpecs.size) await this.remote.defineTools([...this.toolSpecs.values()]);
    }).catch((e: unknown) => {
      worker.terminate();
      this.fail(e instanceof Error ? e : new Error(String(e)));
      throw e;
    });
    this.ready = booting.catch(() => undefined);
    return booting;
  }

  /** Calls `listener` after a hard stop replaced the worker (its contexts are gone). */
  onReset(listener: () => void): void {
    this.resetListeners.push(listener);
  }

  private fail(error: Error): void {
    if (this.dead) return;
    this.dead = error;
    for (const reject of this.pending) reject(error);
    this.pending.clear();
    this.stopWatchdog();
    this.worker?.unref?.();
  }

  /** Runs a remote call that rejects if the worker dies, is replaced, or the host closes first. */
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

  /** `guard` for calls that need a booted worker (they wait out a restart). */
  private call<T>(fn: (remote: Comlink.Remote<RemoteEngineApi>) => Promise<T>): Promise<T> {
    return this.ready.then(() => this.guard(() => fn(this.remote)));
  }

  // ---- watchdog ----------------------------------------------------------

  private alive(): void {
    this.lastSignal = performance.now();
  }

  private startWatchdog(): void {
    if (this.watchdog !== undefined) return;
    this.watchdog = setInterval(() => this.checkWatchdog(), 100);
    (this.watchdog as { unref?: () => void }).unref?.();
  }

  private stopWatchdog(): void {
    clearInterval(this.watchdog);
    this.watchdog = undefined;
  }

  private checkWatchdog(): void {
    if (this.running.size === 0) return this.stopWatchdog();
    if (this.toolsInFlight > 0) return; // the worker is waiting on us, not busy
    const busy = performance.now() - this.lastSignal;
    const limit = Math.max(...this.running.values());
    if (busy > limit + HARD_STOP_GRACE_MS) {
      void this.hardStop(`the exec kept running ${Math.round(busy)} ms, past its time limit, inside code that cannot be interrupted`);
    } else if (this.interruptedAt && performance.now() - this.interruptedAt > INTERRUPT_GRACE_MS) {
      void this.hardStop('the exec was interrupted while running code that does not check for interrupts');
    }
  }

  /** Replaces a worker that cannot be stopped from inside with a fresh one. */
  private async hardStop(reason: string): Promise<void> {
    if (this.dead) return;
    this.worker.terminate();
    this.proxy[Comlink.releaseProxy]();
    const error = new GuestCrashError(
      `${reason}. The worker was stopped and restarted: tools and the box's initial files are kept, contexts are gone`,
    );
    for (const reject of this.pending) reject(error);
    this.pending.clear();
    this.execs.clear();
    this.running.clear();
    this.toolsInFlight = 0;
    this.interruptedAt = 0;
    this.stopWatchdog();
    for (const listener of this.resetListeners) listener();
    await this.boot().catch(() => undefined);
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

  /** Opens the fast channel to the current worker (see FastPort in protocol.ts). */
  private async connect(): Promise<void> {
    const channel = new MessageChannel();
    const port = channel.port1;
    port.onmessage = (event: MessageEvent<ToFacade>) => this.receive(event.data, port);
    (port as { unref?: () => void }).unref?.(); // Node: an idle channel keeps nothing alive
    this.port?.close();
    this.port = port;
    await this.remote.connect(Comlink.transfer(channel.port2, [channel.port2]));
  }

  private port: MessagePort | undefined;

  private receive(message: ToFacade, port: MessagePort): void {
    this.alive();
    if (message.t === 'calls') {
      this.runTools(message.calls, port);
      return;
    }
    const exec = this.execs.get(message.id);
    if (!exec) return;
    if (message.t === 'out') {
      (message.stream === 'stdout' ? exec.onStdout : exec.onStderr)?.(message.text);
      return;
    }
    this.execs.delete(message.id);
    if (message.t === 'done') exec.resolve(message.result);
    else exec.reject(reviveError(message.error));
  }

  /** Execs sent on the fast port, by id, until their result arrives. */
  private readonly execs = new Map<
    number,
    { resolve: (r: ExecResult) => void; reject: (e: Error) => void; onStdout?: (t: string) => void; onStderr?: (t: string) => void }
  >();

  /** Runs a batch of tool calls concurrently; outcomes go back in batches as they settle. */
  private runTools(calls: ToolCallRequest[], port: MessagePort): void {
    for (const call of calls) {
      this.toolsInFlight++;
      this.callTool(call.name, call.args)
        .then(
          (value): ToolCallOutcome => ({ id: call.id, ok: true, value }),
          (e: unknown): ToolCallOutcome => ({ id: call.id, ok: false, error: toWire(e) }),
        )
        .then((outcome) => {
          this.toolsInFlight = Math.max(0, this.toolsInFlight - 1);
          this.alive(); // the worker runs again from here
          if (port !== this.port) return; // the worker was replaced meanwhile
          this.outcomes.push(outcome);
          if (this.outcomes.length === 1) {
            // One message for the outcomes of one turn (timers that expire together).
            const flush = () => {
              const batch = this.outcomes;
              this.outcomes = [];
              port.postMessage({ t: 'outcomes', outcomes: batch } satisfies ToWorker);
            };
            if (this.toolsInFlight > 0) void nextTurn().then(flush);
            else queueMicrotask(flush);
          }
        });
    }
  }

  private outcomes: ToolCallOutcome[] = [];

  async defineTools(tools: EngineTool[]): Promise<void> {
    for (const tool of tools) validateTool(tool); // the same typed errors as in-thread
    const specs = tools.map(({ handler: _handler, ...spec }) => spec);
    await this.call((remote) => remote.defineTools(specs));
    for (const tool of tools) {
      this.handlers.set(tool.name, tool.handler);
      const { handler: _handler, ...spec } = tool;
      this.toolSpecs.set(tool.name, spec);
    }
  }

  createContext(parent?: number): Promise<number> {
    return this.call((remote) => remote.createContext(parent));
  }
  deleteContext(ctx: number): Promise<void> {
    return this.call((remote) => remote.deleteContext(ctx));
  }

  async exec(ctx: number, code: string, options: EngineExecOptions): Promise<ExecResult> {
    const execId = this.nextExecId++;
    const { onStdout, onStderr, signal } = options;
    const onAbort = () => {
      this.requestStop();
      void this.remote.abort(execId).catch(() => undefined);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    await this.ready;
    this.running.set(execId, options.timeoutMs ?? 0);
    this.alive();
    this.startWatchdog();
    try {
      return await this.guard(
        () =>
          new Promise<ExecResult>((resolve, reject) => {
            const port = this.port;
            if (!port) return reject(new GuestCrashError('the PyBox worker is not connected'));
            this.execs.set(execId, { resolve, reject, onStdout, onStderr });
            const request: ToWorker = {
              t: 'exec',
              id: execId,
              ctx,
              code,
              options: {
                execId,
                timeoutMs: options.timeoutMs,
                wallTimeoutMs: options.wallTimeoutMs,
                memoryBytes: options.memoryBytes,
                filename: options.filename,
              },
              stdout: onStdout !== undefined,
              stderr: onStderr !== undefined,
            };
            port.postMessage(request);
          }),
      );
    } finally {
      this.execs.delete(execId);
      signal?.removeEventListener('abort', onAbort);
      this.running.delete(execId);
      if (this.running.size === 0) this.interruptedAt = 0;
      this.alive();
    }
  }

  /** Asks running code to stop: through the shared flag when there is one, else by the watchdog. */
  private requestStop(): void {
    if (this.interruptFlag) Atomics.store(this.interruptFlag, 0, 1); // reaches CPU-bound code too
    // A long builtin never sees the flag: the watchdog stops it hard after the grace, with or without one.
    if (this.running.size > 0) this.interruptedAt ||= performance.now();
  }

  set(ctx: number, name: string, value: unknown): Promise<void> {
    // Validate here: values that cannot be JSON must fail with the same typed error as in-thread.
    if (!(value instanceof Uint8Array)) toJson(value, `the value of ${name}`);
    return this.call((remote) => remote.set(ctx, name, value));
  }
  get(ctx: number, name: string): Promise<unknown> {
    return this.call((remote) => remote.get(ctx, name));
  }
  protect(ctx: number, name: string): Promise<void> {
    return this.call((remote) => remote.protect(ctx, name));
  }
  names(ctx: number): Promise<string[]> {
    return this.call((remote) => remote.names(ctx));
  }
  writeFile(path: string, data: Uint8Array | string): Promise<void> {
    return this.call((remote) => remote.writeFile(path, data));
  }
  readFile(path: string): Promise<Uint8Array> {
    return this.call((remote) => remote.readFile(path));
  }
  readdir(path: string): Promise<string[]> {
    return this.call((remote) => remote.readdir(path));
  }
  mkdir(path: string): Promise<void> {
    return this.call((remote) => remote.mkdir(path));
  }
  rm(path: string, options?: { recursive?: boolean; force?: boolean }): Promise<void> {
    return this.call((remote) => remote.rm(path, options));
  }
  stat(path: string): Promise<FileInfo | null> {
    return this.call((remote) => remote.stat(path));
  }

  interrupt(): void {
    this.requestStop();
    void this.remote.abortAll().catch(() => undefined);
  }

  async close(): Promise<void> {
    this.fail(new BoxClosedError());
    this.port?.close();
    this.proxy[Comlink.releaseProxy]();
    this.worker.terminate();
  }
}

const REMOTE_METHODS = [
  'init', 'connect', 'defineTools', 'createContext', 'deleteContext', 'abort', 'abortAll',
  'set', 'get', 'protect', 'names', 'writeFile', 'readFile', 'readdir', 'mkdir', 'rm', 'stat',
] as const satisfies readonly (keyof RemoteEngineApi)[];

/**
 * The remote's methods, each read once: every property read of a Comlink
 * proxy makes a new proxy (registered for finalisation), which slowed every
 * call down as they piled up.
 */
function methodsOf(proxy: Comlink.Remote<RemoteEngineApi>): Comlink.Remote<RemoteEngineApi> {
  return Object.fromEntries(REMOTE_METHODS.map((name) => [name, proxy[name]])) as unknown as Comlink.Remote<RemoteEngineApi>;
}
