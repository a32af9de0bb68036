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
import { Executor } from './exec.js';
import { VirtualFileSystem } from './fs.js';
import { applyImage, encodeImage } from './image.js';
import { OutputRouter } from './output.js';
import { TrapGuard } from './recovery.js';
import { captureMemory, restoreMemory, type CleanState } from './snapshot.js';
import { guestToolSpec, IDENTIFIER, ToolRunner, validateTool } from './tools.js';
import type { EngineExecOptions, EngineOptions, EngineTool, ExecResult, GuestAssets } from './types.js';
import { adoptInstance, closeFdsFrom, createWasi, wasiImports } from './wasi.js';
import { ContextDisposedError, InvalidArgumentError, PyBoxError } from '../errors.js';
import { toJson } from '../json.js';

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
  private readonly contexts = new Set<number>();
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
    this.guard = new TrapGuard(() => this.restoreClean());
    this.executor = new Executor({
      abi: () => this.abi,
      guard: this.guard,
      tools: this.tools,
      output: this.output,
      outputLimit: options.outputLimit ?? 1024 * 1024,
      interruptFlag: options.interruptFlag,
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

  /** Applies the box-wide output and result caps. */
  private configure(): void {
    const settings = { outputLimit: this.options.outputLimit, resultLimit: this.options.resultLimit };
    const clean = Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined));
    this.check(this.guard.call(() => this.abi.configure(clean)).answer, 'configure');
  }

  /** Replaces a trapped instance by a clean one: no contexts, the tools defined again. */
  private restoreClean(): void {
    const instance = new WebAssembly.Instance(this.assets.module, this.imports());
    restoreMemory((instance.exports as unknown as GuestExports).memory, this.clean!);
    this.attach(instance, false);
    closeFdsFrom(this.wasi, this.bootFds); // the clean guest knows none of them: their files stop counting
    this.executor.reset();
    this.contexts.clear();
    if (this.tools.specs().length) this.abi.defineTools(this.tools.specs());
    this.reseed();
    this.configure();
  }

  private check(answer: GuestAnswer, what: string): GuestAnswer {
    if (answer.status === 'error') throw answerError(answer, what);
    return answer;
  }

  private requireContext(ctx: number): void {
    if (!this.contexts.has(ctx)) throw new ContextDisposedError();
  }

  // ---- contexts and values -----------------------------------------------

  /**
   * Creates an execution context (its own globals). With a parent, names
   * missing in the child resolve in the parent at lookup time.
   */
  createContext(parent?: number): number {
    if (parent !== undefined) this.requireContext(parent);
    const answer = this.check(this.guard.call(() => this.abi.contextCreate(parent ?? 0)).answer, 'createContext');
    const id = answer.id!;
    this.contexts.add(id);
    return id;
  }

  /** Deletes a context and everything it defined. */
  deleteContext(ctx: number): void {
    this.requireContext(ctx);
    this.contexts.delete(ctx);
    this.executor.forget(ctx);
    this.guard.call(() => this.abi.contextDelete(ctx));
  }

  /** Binds `name` to a JSON value or to `bytes` (from a Uint8Array). Protected names too. */
  set(ctx: number, name: string, value: unknown): void {
    this.requireContext(ctx);
    checkName(name);
    const reply =
      value instanceof Uint8Array
        ? this.guard.call(() => this.abi.setBytes(ctx, name, value))
        : this.guard.call(() => this.abi.setJson(ctx, name, toJson(value, `the value of ${name}`)));
    this.check(reply.answer, 'set');
  }

  /**
   * Reads `name`: JSON-compatible values come back as JS values, `bytes` as a
   * Uint8Array. Throws `PythonError` (NameError) when it is not defined,
   * and {@link InvalidArgumentError} when the value cannot cross as JSON.
   */
  get(ctx: number, name: string): unknown {
    this.requireContext(ctx);
    checkName(name);
    const { answer, attachment } = this.guard.call(() => this.abi.get(ctx, name));
    this.check(answer, 'get');
    if (answer.bytes) return attachment ?? new Uint8Array();
    if (answer.jsonError) {
      throw new InvalidArgumentError(`${name} cannot be read as JSON: ${answer.jsonError} (repr: ${answer.repr})`);
    }
    return answer.value;
  }

  /** Protects `name`: Python can no longer rebind or delete it (the host still can). */
  protect(ctx: number, name: string): void {
    this.requireContext(ctx);
    checkName(name);
    this.check(this.guard.call(() => this.abi.protect(ctx, name)).answer, 'protect');
  }

  /** The names a context defines itself (not inherited ones, not tools). */
  names(ctx: number): string[] {
    this.requireContext(ctx);
    return this.check(this.guard.call(() => this.abi.names(ctx)).answer, 'names').names ?? [];
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
    this.check(this.guard.call(() => this.abi.defineTools(tools.map(guestToolSpec))).answer, 'defineTools');
    this.tools.define(tools);
  }

  /**
   * Runs code in a context. Top-level `await` works; tool calls are serviced
   * here (concurrently when gathered). Python exceptions come back as
   * `{ ok: false, error }`; host-side failures throw typed errors.
   */
  async exec(ctx: number, code: string, options: EngineExecOptions = {}): Promise<ExecResult> {
    this.requireContext(ctx);
    if (typeof code !== 'string') throw new InvalidArgumentError('code must be a string');
    return this.executor.exec(ctx, code, options);
  }

  /**
   * Asks the running exec to stop. It stops at its next check (within about
   * a millisecond of Python code) or, when it is waiting on tools, at once.
   * From another thread, use `interruptFlag` instead.
   */
  interrupt(): void {
    this.executor.interrupt();
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
    return encodeImage(new Uint8Array(this.abi.exports.memory.buffer));
  }
}

function checkName(name: string): void {
  if (typeof name !== 'string' || !IDENTIFIER.test(name)) {
    throw new InvalidArgumentError(`name must be a Python identifier, got ${JSON.stringify(String(name))}`);
  }
}
