/**
 * The engine: one guest instance, its filesystem, its contexts and tools.
 * This module holds its lifecycle (create, restore after a trap, boot
 * images) and the context and value calls; execs run in exec.ts, output in
 * output.ts, WASI in wasi.ts and clock.ts. It runs wherever WebAssembly does
 * (a Web Worker, a Node worker thread, the main thread) and uses no
 * Node-only API. The worker transports and the in-thread host wrap it; the
 * public facade (`PyBox`) sits on top of either.
 */
import type { WASI } from '@bjorn3/browser_wasi_shim';
import { ABI_VERSION, answerError, GuestAbi, type GuestAnswer, type GuestExports } from './abi.js';
import { DEFAULT_MEMORY_BYTES, Executor } from './exec.js';
import { VirtualFileSystem } from './fs.js';
import { applyImage, encodeImage, initialMemory } from './image.js';
import { OutputRouter } from './output.js';
import { TrapGuard } from './recovery.js';
import { ExecSignals } from './signals.js';
import { captureMemory, restoreMemory, type CleanState } from './snapshot.js';
import { guestToolSpec, IDENTIFIER, ToolRunner, validateTool } from './tools.js';
import type {
  EncodedValue,
  EngineExecOptions,
  EngineOptions,
  EngineTool,
  ExecResult,
  GuestAssets,
  ResetInfo,
} from './types.js';
import { adoptInstance, closeFdsFrom, createWasi, wasiImports } from './wasi.js';
import { ContextDisposedError, InvalidArgumentError, PyBoxError, type CrashReason } from '../errors.js';
import { toJson } from '../json.js';

/** The id a host call that is not an exec reports to the watchdog (exec ids are positive). */
const HOST_CALL_ID = -1;

/**
 * One CPython guest instance with its filesystem, contexts and tools.
 *
 * @example
 * ```ts
 * const engine = await Engine.create(assets)
 * engine.defineTools([{ name: 'add', handler: ({ a, b }) => Number(a) + Number(b),
 *   parameters: { type: 'object', properties: { a: {}, b: {} }, required: ['a', 'b'] } }])
 * const ctx = engine.createContext()
 * const r = await engine.exec(ctx, 'await add(1, 2)')   // { ok: true, value: 3, ... }
 * ```
 */
export class Engine {
  /** The filesystem Python sees. */
  readonly fs: VirtualFileSystem;
  private abi!: GuestAbi;
  private readonly wasi: WASI;
  private readonly tools = new ToolRunner();
  private readonly output = new OutputRouter();
  private readonly guard: TrapGuard;
  private readonly executor: Executor;
  /**
   * Live contexts: the handle the engine gives out → the guest's id. Handles
   * are never reused, so a handle from before a restore (when the guest's ids
   * start over) can never address a new context.
   */
  private readonly contexts = new Map<number, number>();
  private nextHandle = 1;
  private readonly resetListeners: ((info: ResetInfo) => void)[] = [];
  /** What a trap restores: the boot image, or memory copied right after booting without one. */
  private clean: CleanState | null = null;
  private view = new DataView(new ArrayBuffer(0));
  /** How many fds the guest has open when it starts (stdin, stdout, stderr, `/`). */
  private readonly bootFds: number;

  private constructor(
    private readonly assets: GuestAssets,
    private readonly options: EngineOptions,
  ) {
    this.fs = new VirtualFileSystem(assets.stdlib, { mounts: options.mounts, fsBytes: options.fsBytes });
    for (const [path, data] of Object.entries(options.files ?? {})) this.fs.writeFile(path, data);
    this.wasi = createWasi(this.fs, options.env, this.output);
    this.bootFds = this.wasi.fds.length;
    this.guard = new TrapGuard((reason) => this.restoreClean(reason));
    const signals = options.execSignals ? new ExecSignals(options.execSignals) : undefined;
    this.executor = new Executor({
      abi: () => this.abi,
      guard: this.guard,
      tools: this.tools,
      output: this.output,
      outputLimit: options.outputLimit ?? 1024 * 1024,
      signals,
      activity: options.activity,
      failure: answerError,
    });
  }

  /**
   * Instantiates a guest, boots CPython and its driver.
   * @param assets the compiled module and the stdlib bundle
   * @param options environment, initial files and output caps
   */
  static async create(assets: GuestAssets, options: EngineOptions = {}): Promise<Engine> {
    const engine = new Engine(assets, options);
    const instance = await WebAssembly.instantiate(assets.module, engine.imports());
    if (assets.image) {
      applyImage(assets.image, (instance.exports as unknown as GuestExports).memory);
      engine.attach(instance, false);
      engine.reseed(); // every box booted from one image would share the random state
      engine.clean = { image: assets.image };
    } else {
      engine.attach(instance, true);
      const init = engine.abi.init().answer;
      if (init.status !== 'ok') throw answerError(init, 'starting Python');
    }
    engine.configure();
    engine.clean ??= { memory: captureMemory(engine.abi.exports.memory) };
    return engine;
  }

  private imports(): WebAssembly.Imports {
    return {
      wasi_snapshot_preview1: wasiImports(this.wasi, {
        memory: () => this.memoryView(),
        sleep: (ms) => this.executor.sleep(ms),
      }),
      pybox: {
        // Decoded by the router, and only as much as the exec's output limit still has room for.
        output: (stream: number, ptr: number, len: number) =>
          this.output.write(stream === 2 ? 2 : 1, new Uint8Array(this.abi.exports.memory.buffer, ptr, len)),
        call_tool: (ptr: number, len: number) =>
          this.tools.callSync(this.abi.readText(ptr, len), (json) => this.abi.putLengthPrefixed(json)),
        interrupted: () => this.executor.interrupted(),
      },
    };
  }

  /** A DataView of guest memory, renewed when the memory has grown. */
  private memoryView(): DataView {
    const buffer = this.abi.exports.memory.buffer;
    if (this.view.buffer !== buffer) this.view = new DataView(buffer);
    return this.view;
  }

  private attach(instance: WebAssembly.Instance, initialize: boolean): void {
    const exports = instance.exports as unknown as GuestExports;
    if (exports.pybox_abi_version() !== ABI_VERSION) {
      throw new PyBoxError(`guest ABI ${exports.pybox_abi_version()} does not match engine ABI ${ABI_VERSION}`);
    }
    this.abi = new GuestAbi(exports);
    if (initialize) this.wasi.initialize(instance as never);
    else adoptInstance(this.wasi, instance);
  }

  /**
   * Applies the box-wide caps, what Python sees as `os.environ`, and the limits of host calls
   * that are not execs (`get`, `set`, `names`...: a `__repr__` or `__del__` can run in them).
   */
  private configure(): void {
    const o = this.options;
    const settings = {
      outputLimit: o.outputLimit,
      resultLimit: o.resultLimit,
      env: o.env ?? {},
      timeMs: o.timeoutMs ?? 30_000,
      memoryBytes: o.memoryBytes ?? DEFAULT_MEMORY_BYTES,
    };
    const clean = Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined));
    this.check(this.guard.call(() => this.abi.configure(clean)).answer, 'configure');
  }

  /**
   * Calls `listener` after a trap replaced the instance by a clean one (its
   * contexts are gone; the error of the call that trapped says so too).
   */
  onReset(listener: (info: ResetInfo) => void): void {
    this.resetListeners.push(listener);
  }

  /** Replaces a trapped instance by a clean one: no contexts, the tools defined again. Returns the contexts lost. */
  private restoreClean(reason: CrashReason): number {
    const contextsLost = this.contexts.size;
    const instance = new WebAssembly.Instance(this.assets.module, this.imports());
    restoreMemory((instance.exports as unknown as GuestExports).memory, this.clean!);
    this.attach(instance, false);
    closeFdsFrom(this.wasi, this.bootFds); // the clean guest knows none of them: their files stop counting
    this.executor.reset();
    this.contexts.clear();
    if (this.tools.specs().length) this.abi.defineTools(this.tools.specs());
    this.reseed();
    this.configure();
    for (const listener of this.resetListeners) listener({ reason, contextsLost });
    return contextsLost;
  }

  /**
   * A guest call that is not part of an exec (get, set, names, deleting a context...). Python
   * can run in it (a __repr__, a __del__), so it runs under the host-call limits the guest
   * arms, and the worker's watchdog sees it like any guest call.
   */
  private hostCall<T>(fn: () => T): T {
    const report = this.options.activity && !this.executor.inGuestCall;
    if (report) this.options.activity!.enter(HOST_CALL_ID, this.options.timeoutMs ?? 30_000);
    try {
      return this.guard.call(fn);
    } finally {
      if (report) this.options.activity!.leave();
    }
  }

  private check(answer: GuestAnswer, what: string): GuestAnswer {
    if (answer.status === 'error') throw answerError(answer, what);
    return answer;
  }

  /** The guest id of a live context handle. */
  private guestId(ctx: number): number {
    const id = this.contexts.get(ctx);
    if (id === undefined) throw new ContextDisposedError();
    return id;
  }

  // ---- contexts and values -----------------------------------------------

  /**
   * Creates an execution context (its own globals). With a parent, names
   * missing in the child resolve in the parent at lookup time.
   */
  createContext(parent?: number): number {
    const parentId = parent === undefined ? 0 : this.guestId(parent);
    const answer = this.check(this.hostCall(() => this.abi.contextCreate(parentId)).answer, 'createContext');
    const handle = this.nextHandle++;
    this.contexts.set(handle, answer.id!);
    return handle;
  }

  /** Deletes a context and everything it defined. */
  deleteContext(ctx: number): void {
    const id = this.guestId(ctx);
    this.contexts.delete(ctx);
    this.executor.forget(id);
    this.hostCall(() => this.abi.contextDelete(id));
  }

  /** Binds `name` to a JSON value or to `bytes` (from a Uint8Array). Protected names too. */
  set(ctx: number, name: string, value: unknown): void {
    this.setEncoded(ctx, name, value instanceof Uint8Array ? { bytes: value } : { json: toJson(value, `the value of ${name}`) });
  }

  /** Binds `name` to a value the facade has already encoded. */
  setEncoded(ctx: number, name: string, value: EncodedValue): void {
    const id = this.guestId(ctx);
    checkName(name);
    const reply =
      'bytes' in value
        ? this.hostCall(() => this.abi.setBytes(id, name, value.bytes))
        : this.hostCall(() => this.abi.setJson(id, name, value.json));
    this.check(reply.answer, 'set');
  }

  /**
   * Reads `name`: JSON-compatible values come back as JS values, `bytes` as a
   * Uint8Array. Throws `PythonError` (NameError) when it is not defined,
   * and {@link InvalidArgumentError} when the value cannot cross as JSON.
   */
  get(ctx: number, name: string): unknown {
    const id = this.guestId(ctx);
    checkName(name);
    const { answer, attachment } = this.hostCall(() => this.abi.get(id, name));
    this.check(answer, 'get');
    if (answer.bytes) return attachment ?? new Uint8Array();
    if (answer.jsonError) {
      throw new InvalidArgumentError(`${name} cannot be read as JSON: ${answer.jsonError} (repr: ${answer.repr})`);
    }
    return answer.value;
  }

  /** Protects `name`: Python can no longer rebind or delete it (the host still can). */
  protect(ctx: number, name: string): void {
    const id = this.guestId(ctx);
    checkName(name);
    this.check(this.hostCall(() => this.abi.protect(id, name)).answer, 'protect');
  }

  /** The names a context defines itself (not inherited ones, not tools). */
  names(ctx: number): string[] {
    const id = this.guestId(ctx);
    return this.check(this.hostCall(() => this.abi.names(id)).answer, 'names').names ?? [];
  }

  /** Gives `random` a fresh seed (after starting from an image every box shares). */
  private reseed(): void {
    const bytes = crypto.getRandomValues(new Uint8Array(32));
    this.check(this.guard.call(() => this.abi.reseed(bytes)).answer, 'reseed');
  }

  // ---- tools and execs ---------------------------------------------------

  /** Adds or replaces tools; each becomes a protected Python function in every context. */
  defineTools(tools: EngineTool[]): void {
    for (const tool of tools) validateTool(tool);
    this.check(this.hostCall(() => this.abi.defineTools(tools.map(guestToolSpec))).answer, 'defineTools');
    this.tools.define(tools);
  }

  /**
   * Runs code in a context. Top-level `await` works; tool calls are serviced
   * here (concurrently when gathered). Python exceptions come back as
   * `{ ok: false, error }`; host-side failures throw typed errors.
   */
  async exec(ctx: number, code: string, options: EngineExecOptions = {}): Promise<ExecResult> {
    const id = this.guestId(ctx);
    if (typeof code !== 'string') throw new InvalidArgumentError('code must be a string');
    return this.executor.exec(id, code, options);
  }

  // ---- boot images -------------------------------------------------------

  /**
   * A boot image of this engine's current state (see image.ts): take it
   * right after `create`, with no contexts, to speed up later starts.
   */
  bootImage(): Uint8Array {
    if (this.contexts.size > 0 || this.executor.busy) {
      throw new InvalidArgumentError('a boot image must be taken from an engine with no contexts');
    }
    return encodeImage(new Uint8Array(this.abi.exports.memory.buffer), initialMemory(this.assets.module));
  }
}

function checkName(name: string): void {
  if (typeof name !== 'string' || !IDENTIFIER.test(name)) {
    throw new InvalidArgumentError(`name must be a Python identifier, got ${JSON.stringify(String(name))}`);
  }
}
