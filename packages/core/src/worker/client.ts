/**
 * The facade's side of a worker transport: an {@link EngineHost} that
 * forwards every call to a {@link RemoteEngine} in a worker (Comlink for
 * control calls, the fast port for execs, see protocol.ts). It also makes
 * sure nothing hangs: when the worker dies or the host closes, every
 * pending call rejects; and its {@link Watchdog} replaces a worker stuck in
 * code that cannot be stopped from inside.
 */
import type { EngineHost } from '../api/host.js';
import type { FileInfo } from '../api/types.js';
import * as Comlink from '../comlink.js';
import { EXEC_SLOTS, ExecSignals, type BusyState } from '../engine/signals.js';
import { nextTurn, toolErrorFields } from '../engine/tools.js';
import type { EncodedValue, EngineExecOptions, EngineTool, ExecResult, GuestAssets, ResetInfo } from '../engine/types.js';
import { AbortedError, BoxClosedError, ContextDisposedError, GuestCrashError, type CrashReason } from '../errors.js';
import { toJson } from '../json.js';
import { PendingCalls } from '../pending.js';
import {
  installErrorTransfer,
  reviveError,
  type RemoteEngineApi,
  type RemoteInitOptions,
  type ToolCallOutcome,
  type ToolCallRequest,
  type ToFacade,
  type ToWorker,
} from './protocol.js';
import { Watchdog } from './watchdog.js';

/**
 * A started worker, whatever its kind (Web Worker, worker_threads).
 *
 * @example
 * ```ts
 * const worker = new Worker(url, { type: 'module' })
 * const handle: WorkerHandle = { endpoint: worker, terminate: () => worker.terminate(),
 *   onDeath: (cb) => worker.addEventListener('error', (e) => cb(new Error(e.message))) }
 * ```
 */
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

/** An exec sent on the fast port, until its result arrives. */
interface PendingExec {
  resolve: (r: ExecResult) => void;
  reject: (e: Error) => void;
  onStdout?: ((t: string) => void) | undefined;
  onStderr?: ((t: string) => void) | undefined;
}

/**
 * An {@link EngineHost} whose engine runs in a worker.
 *
 * When code cannot be stopped from inside (a long builtin, or an abort on a
 * page without SharedArrayBuffer), the watchdog stops the worker hard and
 * starts a fresh one from the boot image: the box stays usable, its tools
 * and initial files come back, and its contexts are gone (the error says
 * why and how many; their handles reject with `ContextDisposedError`).
 *
 * @example
 * ```ts
 * const host = await WorkerHost.start(spawnWorker, assets, toEngineOptions(options))
 * ```
 */
export class WorkerHost implements EngineHost {
  private worker!: WorkerHandle;
  private proxy!: Comlink.Remote<RemoteEngineApi>;
  private remote!: Comlink.Remote<RemoteEngineApi>;
  private port: MessagePort | undefined;
  private ready: Promise<void> = Promise.resolve();
  private readonly handlers = new Map<string, EngineTool['handler']>();
  private readonly toolSpecs = new Map<string, Omit<EngineTool, 'handler'>>();
  private readonly pending = new PendingCalls({ onBusy: () => this.worker.ref?.(), onIdle: () => this.worker.unref?.() });
  private readonly resetListeners: ((info: ResetInfo) => void)[] = [];
  private dead: Error | null = null;
  /** Execs sent on the fast port, by id. Ids are never reused, and concurrent ones have distinct signal slots. */
  private readonly execs = new Map<number, PendingExec>();
  private nextExecId = 1;
  /** The current worker's shared block (none without SharedArrayBuffer). */
  private signals: ExecSignals | undefined;
  /** What the worker's messages say it is doing, when there is no shared block. */
  private reported: BusyState = { execId: 0, seq: 0, budgetMs: 0 };
  private readonly watchdog = new Watchdog(
    () => this.signals?.busy() ?? this.reported,
    (reason, why) => void this.hardStop(reason, why),
  );
  /** Bumped when the worker's guest is replaced (a hard stop, or a trap inside the worker). */
  private generation = 0;
  /** Contexts alive in the current guest, to say how many a restart lost. */
  private liveContexts = 0;
  private toolsInFlight = 0;
  private outcomes: ToolCallOutcome[] = [];

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
    this.signals = ExecSignals.create();
    this.reported = { execId: 0, seq: 0, budgetMs: 0 };
    worker.onDeath((e) => {
      if (this.worker !== worker) return;
      this.fail(
        new GuestCrashError(`the PyBox worker died (${e.message}): the box is closed, create a new one`, {
          reason: 'worker-died',
          contextsLost: this.liveContexts,
        }),
      );
    });
    const booting = this.guard(async () => {
      await this.remote.init(this.assets, { ...this.options, execSignals: this.signals?.words });
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

  /** Calls `listener` after the worker's guest was replaced (its contexts are gone). */
  onReset(listener: (info: ResetInfo) => void): void {
    this.resetListeners.push(listener);
  }

  private fail(error: Error): void {
    if (this.dead) return;
    this.dead = error;
    this.pending.rejectAll(error);
    this.execs.clear();
    this.watchdog.stop();
    this.worker?.unref?.();
  }

  /** Runs a remote call that rejects if the worker dies, is replaced, or the host closes first. */
  private guard<T>(fn: () => Promise<T>): Promise<T> {
    if (this.dead) return Promise.reject(this.dead);
    return this.pending.track(fn);
  }

  /**
   * `guard` for calls that need a booted worker (they wait out a restart).
   * A call about a context of an older guest rejects instead of reaching the new one.
   */
  private call<T>(fn: (remote: Comlink.Remote<RemoteEngineApi>) => Promise<T>, aboutContext = false): Promise<T> {
    const generation = this.generation;
    return this.ready.then(() =>
      this.guard(() => {
        if (aboutContext && generation !== this.generation) return Promise.reject(this.lostContext());
        this.watchdog.callStarted();
        return fn(this.remote).finally(() => this.watchdog.callEnded());
      }),
    );
  }

  private lostContext(): ContextDisposedError {
    return new ContextDisposedError('this context was lost when the box restarted its worker: create a new one with box.createContext()');
  }

  /** The guest was replaced: contexts are gone, the facade must learn it. */
  private guestReplaced(info: ResetInfo): void {
    this.generation++;
    this.liveContexts = 0;
    for (const listener of this.resetListeners) listener(info);
  }

  /** Replaces a worker that cannot be stopped from inside with a fresh one. */
  private async hardStop(reason: CrashReason, why: string): Promise<void> {
    if (this.dead) return;
    const info: ResetInfo = { reason, contextsLost: this.liveContexts };
    this.worker.terminate();
    this.proxy[Comlink.releaseProxy]();
    const error = new GuestCrashError(
      `${why}. The worker was stopped and restarted: tools and the box's initial files are kept, ` +
        `${info.contextsLost} context(s) were lost (their handles reject with ContextDisposedError)`,
      info,
    );
    this.pending.rejectAll(error);
    this.execs.clear();
    this.watchdog.reset();
    this.guestReplaced(info);
    await this.boot().catch(() => undefined);
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

  private receive(message: ToFacade, port: MessagePort): void {
    if (port !== this.port) return; // from a worker that was replaced
    switch (message.t) {
      case 'calls':
        return this.runTools(message.calls, port);
      case 'busy':
        this.reported = { execId: message.id, seq: this.reported.seq + 1, budgetMs: message.budgetMs };
        return;
      case 'idle':
        this.reported = { execId: 0, seq: this.reported.seq, budgetMs: 0 };
        return;
      case 'reset':
        return this.guestReplaced(message.info);
    }
    const exec = this.execs.get(message.id);
    if (!exec) return;
    if (message.t === 'out') {
      const callback = message.stream === 'stdout' ? exec.onStdout : exec.onStderr;
      try {
        callback?.(message.text);
      } catch {
        // The facade's callbacks never throw (it reports the error itself); a raw one must not
        // break this handler: stop its exec instead.
        this.abortExec(message.id);
      }
      return;
    }
    this.execs.delete(message.id);
    if (message.t === 'done') exec.resolve(message.result);
    else exec.reject(reviveError(message.error));
  }

  /** Runs a tool handler for the worker; results cross as JSON. */
  private async callTool(name: string, args: Record<string, unknown>): Promise<unknown> {
    const handler = this.handlers.get(name);
    if (!handler) throw Object.assign(new Error(`unknown tool ${name}`), { name: 'ToolError' });
    const value = await handler(args);
    let json: string;
    try {
      json = toJson(value === undefined ? null : value, `the result of tool ${name}`);
    } catch (e) {
      throw Object.assign(new Error((e as Error).message), { name: 'TypeError' });
    }
    return JSON.parse(json);
  }

  /** Runs a batch of tool calls concurrently; outcomes go back in batches as they settle. */
  private runTools(calls: ToolCallRequest[], port: MessagePort): void {
    for (const call of calls) {
      this.toolsInFlight++;
      this.callTool(call.name, call.args)
        .then(
          (value): ToolCallOutcome => ({ id: call.id, ok: true, value }),
          // Whatever the handler threw (null-prototype objects, Proxies, throwing getters...).
          (e: unknown): ToolCallOutcome => ({ id: call.id, ok: false, error: toolErrorFields(e) }),
        )
        .then((outcome) => {
          this.toolsInFlight = Math.max(0, this.toolsInFlight - 1);
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

  async defineTools(tools: EngineTool[]): Promise<void> {
    const specs = tools.map(({ handler: _handler, ...spec }) => spec);
    await this.call((remote) => remote.defineTools(specs));
    for (const tool of tools) {
      this.handlers.set(tool.name, tool.handler);
      const { handler: _handler, ...spec } = tool;
      this.toolSpecs.set(tool.name, spec);
    }
  }

  async createContext(parent?: number): Promise<number> {
    const generation = this.generation;
    const id = await this.call((remote) => remote.createContext(parent), parent !== undefined);
    if (generation === this.generation) this.liveContexts++;
    return id;
  }

  async deleteContext(ctx: number): Promise<void> {
    await this.call((remote) => remote.deleteContext(ctx), true);
    this.liveContexts = Math.max(0, this.liveContexts - 1);
  }

  /** An exec id whose signal slot no running exec uses. */
  private newExecId(): number {
    for (;;) {
      const id = this.nextExecId++;
      let taken = false;
      for (const other of this.execs.keys()) if (other % EXEC_SLOTS === id % EXEC_SLOTS) taken = true;
      if (!taken) return id;
    }
  }

  async exec(ctx: number, code: string, options: EngineExecOptions): Promise<ExecResult> {
    const { onStdout, onStderr, signal } = options;
    if (signal?.aborted) throw new AbortedError('the exec was aborted before it started');
    const generation = this.generation;
    await this.ready;
    if (generation !== this.generation) throw this.lostContext();
    const id = this.newExecId();
    const signals = this.signals;
    const onAbort = () => this.abortExec(id);
    signal?.addEventListener('abort', onAbort, { once: true });
    this.watchdog.execStarted(id);
    try {
      return await this.guard(
        () =>
          new Promise<ExecResult>((resolve, reject) => {
            const port = this.port;
            if (!port) return reject(new GuestCrashError('the PyBox worker is not connected', { reason: 'worker-died' }));
            this.execs.set(id, { resolve, reject, onStdout, onStderr });
            const request: ToWorker = {
              t: 'exec',
              id,
              ctx,
              code,
              options: {
                timeoutMs: options.timeoutMs,
                wallTimeoutMs: options.wallTimeoutMs,
                memoryBytes: options.memoryBytes,
                filename: options.filename,
              },
              stdout: onStdout !== undefined,
              stderr: onStderr !== undefined,
            };
            port.postMessage(request);
            if (signal?.aborted) this.abortExec(id);
          }),
      );
    } finally {
      this.execs.delete(id);
      signal?.removeEventListener('abort', onAbort);
      this.watchdog.execEnded(id);
      if (this.signals === signals) signals?.clear(id);
    }
  }

  /**
   * Stops exec `id` and no other: through the shared block (it reaches CPU-bound code and
   * `time.sleep` within a millisecond), and by a message (it reaches a waiting exec, and one
   * on a page without SharedArrayBuffer, where the watchdog stops code that does not yield).
   */
  private abortExec(id: number): void {
    if (!this.execs.has(id)) return;
    this.signals?.abort(id);
    this.port?.postMessage({ t: 'abort', id } satisfies ToWorker);
    this.watchdog.execAborted(id);
  }

  set(ctx: number, name: string, value: EncodedValue): Promise<void> {
    return this.call((remote) => remote.set(ctx, name, value), true);
  }
  get(ctx: number, name: string): Promise<unknown> {
    return this.call((remote) => remote.get(ctx, name), true);
  }
  protect(ctx: number, name: string): Promise<void> {
    return this.call((remote) => remote.protect(ctx, name), true);
  }
  names(ctx: number): Promise<string[]> {
    return this.call((remote) => remote.names(ctx), true);
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

  async close(): Promise<void> {
    this.fail(new BoxClosedError());
    this.port?.close();
    this.proxy[Comlink.releaseProxy]();
    this.worker.terminate();
  }
}

const REMOTE_METHODS = [
  'init', 'connect', 'defineTools', 'createContext', 'deleteContext',
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
