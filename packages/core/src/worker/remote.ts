/**
 * The worker side of a transport: an {@link Engine} behind the
 * {@link RemoteEngineApi}. Both the Web Worker and the worker_threads entry
 * expose an instance of this class; neither adds logic of its own.
 */
import type { FileInfo } from '../api/types.js';
import { Engine } from '../engine/engine.js';
import type { EngineMount } from '../engine/mount-router.js';
import { ExecSignals, type GuestActivity } from '../engine/signals.js';
import type { EncodedValue, EngineExecOptions, ExecResult, GuestAssets, RestoredState } from '../engine/types.js';
import * as Comlink from '../comlink.js';
import { AbortedError, BoxClosedError, InvalidArgumentError } from '../errors.js';
import type {
  RemoteEngineApi,
  RemoteInitOptions,
  RemoteToolSpec,
  ToFacade,
  ToolCallOutcome,
  ToolCallRequest,
  ToWorker,
  FastPort,
} from './protocol.js';
import { reviveError, toWire } from './protocol.js';

/**
 * What a worker entry can add to the engine it serves.
 *
 * @example
 * ```ts
 * Comlink.expose(new RemoteEngine({ createMounts: (specs) => specs.map(toMount) }), endpoint)
 * ```
 */
export interface RemoteEngineOptions {
  /**
   * Builds the engine's mounts from the specs `init` receives as
   * `mountSpecs` (runs in the worker). Without it, specs are refused.
   */
  createMounts?: (specs: unknown[]) => EngineMount[];
  /**
   * Loads the guest assets in the worker (once per worker thread, shared by its engines), for
   * facades that do not send them (a worker thread serving many boxes).
   */
  loadAssets?: () => Promise<GuestAssets>;
}

/**
 * Serves one engine to one facade (the worker side of the protocol).
 *
 * @example
 * ```ts
 * installErrorTransfer()
 * Comlink.expose(new RemoteEngine())
 * ```
 */
export class RemoteEngine implements RemoteEngineApi {
  private engine: Engine | null = null;
  private readonly aborts = new Map<number, AbortController>();

  constructor(private readonly options: RemoteEngineOptions = {}) {}

  private get e(): Engine {
    if (!this.engine) throw new BoxClosedError('the engine is not initialised');
    return this.engine;
  }

  private async assets(sent: GuestAssets | null): Promise<GuestAssets> {
    if (sent) return sent;
    if (!this.options.loadAssets) throw new InvalidArgumentError('this worker has no assets of its own: send them with init');
    return this.options.loadAssets();
  }

  async init(sent: GuestAssets | null, options: RemoteInitOptions): Promise<void> {
    const assets = await this.assets(sent);
    const { mountSpecs, filesFrom, ...engineOptions } = options;
    const files = filesFrom ? await Engine.snapshotFiles(filesFrom) : engineOptions.files;
    this.engine = await Engine.create(assets, { ...engineOptions, files, mounts: this.mounts(mountSpecs), activity: this.activity(options) });
    this.engine.onReset((info) => this.post({ t: 'reset', info }));
  }

  async restore(sent: GuestAssets | null, options: RemoteInitOptions, bytes: Uint8Array, maxBytes?: number): Promise<RestoredState> {
    const assets = await this.assets(sent);
    const { engine, state } = await Engine.restore(
      assets,
      bytes,
      { mounts: this.mounts(options.mountSpecs), execSignals: options.execSignals, activity: this.activity(options) },
      maxBytes,
    );
    this.engine = engine;
    engine.onReset((info) => this.post({ t: 'reset', info }));
    return state;
  }

  async snapshot(facade: unknown): Promise<Uint8Array> {
    const bytes = await this.e.snapshot(facade);
    return Comlink.transfer(bytes, [bytes.buffer]);
  }

  cancelPaused(ctx: number): void {
    this.e.cancelPaused(ctx);
  }

  /** The box closed (its port did): the engine may serve a later restore on this worker. */
  release(): void {
    this.engine?.release();
    this.engine = null;
    this.port?.close();
  }

  private mounts(mountSpecs: unknown[] | undefined): EngineMount[] | undefined {
    if (!mountSpecs?.length) return undefined;
    if (!this.options.createMounts) {
      throw new InvalidArgumentError('this runtime cannot mount host folders: use @pybox/node for mounts');
    }
    return this.options.createMounts(mountSpecs);
  }

  /** The watchdog learns when guest code runs from the shared block, or from messages without one. */
  private activity(options: RemoteInitOptions): GuestActivity {
    this.signals = options.execSignals ? new ExecSignals(options.execSignals) : undefined;
    return (
      this.signals ?? {
        enter: (id, budgetMs) => this.post({ t: 'busy', id, budgetMs }),
        leave: () => this.post({ t: 'idle' }),
      }
    );
  }

  private signals: ExecSignals | undefined;

  connect(port: FastPort): void {
    this.port = port;
    port.onmessage = (event: MessageEvent<ToWorker>) => {
      const message = event.data;
      if (message.t === 'exec' || message.t === 'resume') void this.exec(message);
      else if (message.t === 'abort') this.aborts.get(message.id)?.abort();
      else this.deliver(message.outcomes);
    };
    (port as { unref?: () => void }).unref?.(); // Node: an idle channel keeps nothing alive
  }

  private post(message: ToFacade): void {
    this.port?.postMessage(message);
  }

  defineTools(specs: RemoteToolSpec[]): void {
    // Handlers live with the facade: every call crosses back, so none is synchronous here.
    this.e.defineTools(specs.map((spec) => ({ ...spec, sync: false, handler: (args) => this.callTool(spec.name, args) })));
  }

  private port: FastPort | null = null;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private outbox: ToolCallRequest[] = [];
  private nextCallId = 1;

  /** Queues a call for the facade; the calls of one tick leave as one batch. */
  private callTool(name: string, args: Record<string, unknown>): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const id = this.nextCallId++;
      this.waiting.set(id, { resolve, reject });
      this.outbox.push({ id, name, args });
      if (this.outbox.length === 1) {
        queueMicrotask(() => {
          const batch = this.outbox;
          this.outbox = [];
          this.post({ t: 'calls', calls: batch });
        });
      }
    });
  }

  private deliver(outcomes: ToolCallOutcome[]): void {
    for (const outcome of outcomes) {
      const waiter = this.waiting.get(outcome.id);
      if (!waiter) continue;
      this.waiting.delete(outcome.id);
      if (outcome.ok) waiter.resolve(outcome.value);
      else waiter.reject(reviveError(outcome.error));
    }
  }

  createContext(parent?: number): number {
    return this.e.createContext(parent);
  }

  deleteContext(ctx: number): void {
    this.e.deleteContext(ctx);
  }

  /** Runs an exec that arrived on the fast port; its output and outcome go back on it. */
  private async exec(request: Extract<ToWorker, { t: 'exec' | 'resume' }>): Promise<void> {
    const { id, ctx, options } = request;
    const abort = new AbortController();
    this.aborts.set(id, abort);
    const relay = new OutputRelay((stream, text) => this.post({ t: 'out', id, stream, text }));
    try {
      if (this.signals?.isAborted(id)) throw new AbortedError('the exec was aborted before it started');
      const engineOptions: EngineExecOptions = {
        timeoutMs: options.timeoutMs,
        wallTimeoutMs: options.wallTimeoutMs,
        memoryBytes: options.memoryBytes,
        filename: options.filename,
        onStdout: request.stdout ? (t) => relay.write('stdout', t) : undefined,
        onStderr: request.stderr ? (t) => relay.write('stderr', t) : undefined,
        onCheck: request.stdout || request.stderr ? () => relay.due() : undefined,
        signal: abort.signal,
        execId: id,
      };
      const result: ExecResult =
        request.t === 'exec'
          ? await this.e.exec(ctx, request.code, engineOptions)
          : await this.e.resumePaused(ctx, request.results, engineOptions);
      relay.close(); // the same port: every chunk arrives before the result
      this.post({ t: 'done', id, result });
    } catch (e) {
      relay.close();
      this.post({ t: 'fail', id, error: toWire(e) });
    } finally {
      this.aborts.delete(id);
    }
  }

  set(ctx: number, name: string, value: EncodedValue): void {
    this.e.setEncoded(ctx, name, value);
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
  /** The file's bytes are moved to the facade, not copied: a read costs the file's size once. */
  readFile(path: string): Uint8Array {
    const bytes = this.e.fs.readFile(path);
    return Comlink.transfer(bytes, [bytes.buffer as ArrayBuffer]);
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

/**
 * Streams output to the facade in batches: a message per write would flood
 * the channel when code prints in a loop. A batch leaves every 16 ms or
 * 64 KiB (messages post even while the guest keeps the worker busy: at the
 * next write or the guest's next check for a stop), and as soon as the worker
 * is free again (e.g. waiting on a tool).
 */
class OutputRelay {
  private stream: 'stdout' | 'stderr' | null = null;
  private buffer: string[] = [];
  private size = 0;
  private last = performance.now();
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly send: (stream: 'stdout' | 'stderr', text: string) => void) {}

  write(stream: 'stdout' | 'stderr', text: string): void {
    if (stream !== this.stream) this.flush();
    this.stream = stream;
    this.buffer.push(text);
    this.size += text.length;
    if (this.size >= 65536 || performance.now() - this.last >= 16) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), 0);
  }

  /** Sends a batch that has waited its 16 ms (the guest checks in while it runs). */
  due(): void {
    if (this.buffer.length && performance.now() - this.last >= 16) this.flush();
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.stream && this.buffer.length) this.send(this.stream, this.buffer.join(''));
    this.buffer = [];
    this.size = 0;
    this.last = performance.now();
  }

  close(): void {
    this.flush();
  }
}
