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
import { ABI_VERSION, answerError, GuestAbi, type GuestAnswer, type GuestExports, type ToolRequest } from './abi.js';
import { GuestClock } from './clock.js';
import { DEFAULT_MEMORY_BYTES, Executor, type ExecHost, type SavedRun } from './exec.js';
import { VirtualFileSystem } from './fs.js';
import { captureFiles, filesOption, restoreFiles, type FileEntry } from './fs-snapshot.js';
import { applyImage, encodeImage, initialMemory } from './image.js';
import { instantiate } from './instantiate.js';
import { OutputRouter } from './output.js';
import { crashReason, TrapGuard } from './recovery.js';
import { ExecSignals } from './signals.js';
import { applyDiff, captureMemory, diffMemory, imageFingerprint, memoryBase, restoreMemory, revertDiff, type CleanState, type MemoryBase } from './snapshot.js';
import { damaged, decodeSnapshot, encodeSnapshot, SNAPSHOT_FORMAT } from './snapshot-codec.js';
import { guestToolSpec, IDENTIFIER, settleError, settleValue, ToolRunner, validateTool, type Settled } from './tools.js';
import type {
  EncodedValue,
  EngineExecOptions,
  EngineOptions,
  EngineTool,
  ExecResult,
  GuestAssets,
  ResetInfo,
  RestoredState,
  ToolOutcome,
} from './types.js';
import { adoptInstance, closeFdsFrom, createWasi, wasiImports } from './wasi.js';
import { ContextBusyError, ContextDisposedError, InvalidArgumentError, PyBoxError, SnapshotError, type CrashReason } from '../errors.js';
import { toJson } from '../json.js';
import { checkBoxOptions } from '../api/validate.js';

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
  private files: VirtualFileSystem;
  private abi!: GuestAbi;
  private readonly wasi: WASI;
  private tools = new ToolRunner();
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
  private resetListeners: ((info: ResetInfo) => void)[] = [];
  /** What the exec loop uses of the engine (a reused engine points it at its new host's hooks). */
  private readonly execHost: ExecHost;
  /** The blocks the latest snapshot found changed, and the guest-call count then (see {@link release}). */
  private lastDiff: { runs: Uint32Array; calls: number } | null = null;
  /** What a trap restores: the boot image, or memory copied right after booting without one (null: boot again). */
  private clean: CleanState | null = null;
  /**
   * On a page's main thread, which refuses a synchronous instance of a module this large: an
   * instance made ahead, for the next crash recovery (which runs synchronously: inside the call
   * that trapped, or, after a host stack overflow, as the exec settles).
   */
  private standby: WebAssembly.Instance | null = null;
  /** Settles once the standby being made is there (null when none is being made). */
  private standbyMaking: Promise<void> | null = null;
  private view = new DataView(new ArrayBuffer(0));
  /** The guest's monotonic clock (it goes on from a snapshot's time after a restore). */
  private readonly clock = new GuestClock();
  /** Runs restored from a snapshot and not yet resumed, by guest context id. */
  private readonly paused = new Map<number, { saved: SavedRun; pending: ToolRequest[] }>();
  /** How many fds the guest has open when it starts (stdin, stdout, stderr, `/`). */
  private readonly bootFds: number;

  private constructor(
    private readonly assets: GuestAssets,
    private options: EngineOptions,
  ) {
    this.files = new VirtualFileSystem(assets.stdlib, { mounts: options.mounts, fsBytes: options.fsBytes });
    for (const [path, data] of Object.entries(options.files ?? {})) this.files.writeFile(path, data);
    this.wasi = createWasi(this.files, options.env, this.output);
    this.bootFds = this.wasi.fds.length;
    this.guard = new TrapGuard(
      (reason) => this.restoreClean(reason),
      () => this.contexts.size,
    );
    this.execHost = {
      abi: () => this.abi,
      guard: this.guard,
      tools: this.tools,
      output: this.output,
      outputLimit: options.outputLimit ?? 1024 * 1024,
      signals: options.execSignals ? new ExecSignals(options.execSignals) : undefined,
      activity: options.activity,
      failure: answerError,
      clock: this.clock,
    };
    this.executor = new Executor(this.execHost);
  }

  /** The filesystem Python sees. */
  get fs(): VirtualFileSystem {
    return this.files;
  }

  /**
   * Instantiates a guest, boots CPython and its driver.
   * @param assets the compiled module and the stdlib bundle
   * @param options environment, initial files and output caps
   */
  static async create(assets: GuestAssets, options: EngineOptions = {}): Promise<Engine> {
    const engine = new Engine(assets, options);
    const instance = await instantiate(assets.module, engine.imports());
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
    await engine.prepareStandby();
    return engine;
  }

  /** Makes the {@link standby} instance, where one is needed and none is ready. */
  private prepareStandby(): Promise<void> | null {
    if (!ON_PAGE_THREAD || this.standby || this.standbyMaking) return this.standbyMaking;
    this.standbyMaking = WebAssembly.instantiate(this.assets.module, this.imports())
      .then(
        (instance) => {
          this.standby ??= instance;
        },
        () => {}, // out of memory now: a crash would then fail to restore, and say so
      )
      .finally(() => {
        this.standbyMaking = null;
      });
    return this.standbyMaking;
  }

  private imports(): WebAssembly.Imports {
    return {
      wasi_snapshot_preview1: wasiImports(this.wasi, {
        memory: () => this.memoryView(),
        sleep: (ms) => this.executor.sleep(ms),
        clock: this.clock,
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
    const instance = this.standby ?? new WebAssembly.Instance(this.assets.module, this.imports());
    this.standby = null;
    if (this.clean) {
      restoreMemory((instance.exports as unknown as GuestExports).memory, this.clean);
      this.attach(instance, false);
    } else {
      // Restored from a snapshot with no boot image: boot the guest again.
      this.attach(instance, true);
      const init = this.abi.init().answer;
      if (init.status !== 'ok') throw answerError(init, 'starting Python');
    }
    closeFdsFrom(this.wasi, this.bootFds); // the clean guest knows none of them: their files stop counting
    this.executor.reset();
    this.contexts.clear();
    this.paused.clear();
    if (this.tools.specs().length) this.abi.defineTools(this.tools.specs());
    this.reseed();
    this.configure();
    void this.prepareStandby();
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
    this.paused.delete(id);
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
    if (this.standbyMaking) await this.standbyMaking; // after a crash recovery: ready for the next one
    const id = this.guestId(ctx);
    if (typeof code !== 'string') throw new InvalidArgumentError('code must be a string');
    if (this.paused.has(id)) {
      throw new ContextBusyError('this context has a paused run restored from a snapshot: resume it or cancel it first (box.paused)');
    }
    return this.cutSafe(() => this.executor.exec(id, code, options));
  }

  /**
   * Runs an exec, then, back on a short stack, restores the guest after a
   * host stack overflow inside it (the guard leaves that restore to here:
   * where it was caught, the stack had no room for one). An overflow that
   * cut a guest call so early that even its error was lost on the way out
   * (the exec failed with a plain RangeError after guest calls ran) is a
   * crash too: the exec fails with its {@link GuestCrashError}.
   */
  private async cutSafe(run: () => Promise<ExecResult>): Promise<ExecResult> {
    const { calls, crashes } = this.guard;
    try {
      return await run();
    } catch (e) {
      const lost = this.guard.restorePending(); // a stack overflow's restore, here on a short stack
      if (e instanceof PyBoxError || crashReason(e) !== 'stack-overflow' || this.guard.calls === calls) throw e;
      // The crash was handled, but its error was lost on the way out: that error, then.
      if (this.guard.crashes !== crashes && this.guard.lastCrash) throw this.guard.lastCrash;
      throw this.guard.cutError(`the host ran out of stack while the exec ran: ${(e as Error).message}`, lost);
    }
  }

  // ---- snapshots -----------------------------------------------------------

  /** The live contexts, in creation order, with their parents (context handles). */
  contextList(): { id: number; parent: number | null }[] {
    const handles = new Map<number, number>();
    for (const [handle, id] of this.contexts) handles.set(id, handle);
    const parents = new Map<number, number>();
    for (const c of this.guestState()) parents.set(c.id, c.parent);
    return [...this.contexts].map(([handle, id]) => ({ id: handle, parent: handles.get(parents.get(id) ?? 0) ?? null }));
  }

  private guestState(): NonNullable<GuestAnswer['contexts']> {
    return this.check(this.guard.call(() => this.abi.state()).answer, 'state').contexts ?? [];
  }

  /**
   * A snapshot of the whole box: the guest's memory as a diff to its base,
   * the in-memory files (mounts excluded), the contexts and the execs that
   * wait on tool calls, and `facade` (what the box's facade records about
   * itself). Taken between guest calls; the compression runs after.
   * @throws SnapshotError (`not-now`) when called from inside a guest call (a synchronous tool handler)
   */
  async snapshot(facade: unknown): Promise<Uint8Array> {
    if (this.executor.inGuestCall) {
      throw new SnapshotError(
        'box.snapshot() was called while Python is running (from a synchronous tool handler): call it from an async handler or after the exec',
        'not-now',
      );
    }
    // Before anything is read: from here on the state is captured with no turn of the event loop.
    const base = await memoryBase(this.assets.module, this.assets.image);
    const guest = this.guestState();
    const suspended = new Map(guest.map((c) => [c.id, c]));
    const handles = new Map<number, number>();
    for (const [handle, id] of this.contexts) handles.set(id, handle);
    const runs: { context: number; saved: SavedRun; pending: ToolRequest[] }[] = [];
    for (const [id, saved] of this.executor.saveRuns()) {
      const handle = handles.get(id);
      if (handle !== undefined) runs.push({ context: handle, saved, pending: suspended.get(id)?.pending ?? [] });
    }
    for (const [id, paused] of this.paused) {
      const handle = handles.get(id);
      if (handle !== undefined) runs.push({ context: handle, ...paused });
    }
    const diff = diffMemory(this.abi.exports.memory, base);
    this.lastDiff = { runs: diff.runs, calls: this.guard.calls }; // no guest call after this point
    const files = captureFiles(this.fs, (this.options.mounts ?? []).map((m) => m.guestPath));
    const o = this.options;
    const description: SnapshotDescription = {
      format: SNAPSHOT_FORMAT,
      build: base.build, // the module's own (pybox_build_id), read once per module
      base: this.baseId(),
      takenAt: Date.now(),
      guestClockMs: this.clock.now(),
      memoryPages: diff.pages,
      options: {
        env: o.env ?? {},
        outputLimit: o.outputLimit,
        resultLimit: o.resultLimit,
        timeoutMs: o.timeoutMs,
        memoryBytes: o.memoryBytes,
        fsBytes: o.fsBytes,
      },
      contexts: [...this.contexts].map(([handle, id]) => ({
        id: handle,
        guest: id,
        parent: handles.get(suspended.get(id)?.parent ?? 0) ?? null,
      })),
      nextHandle: this.nextHandle,
      runs,
      files: files.entries,
      facade,
    };
    return encodeSnapshot(description, [new Uint8Array(diff.runs.buffer), diff.xor, files.data]);
  }

  /** What a snapshot's memory is a diff to. */
  private baseId(): string {
    return this.assets.image ? `image:${imageFingerprint(this.assets.image)}` : 'module';
  }

  /**
   * An engine in the state of a snapshot: a fresh instance of the module,
   * the boot image, the snapshot's memory diff and files; its contexts and
   * paused runs as they were, `random` reseeded. `options` gives the mounts
   * and the transport's hooks; environment and limits come from the snapshot.
   * @throws SnapshotError when the snapshot is damaged, too large, newer, or of another build or image
   */
  static async restore(
    assets: GuestAssets,
    bytes: Uint8Array,
    options: Pick<EngineOptions, 'mounts' | 'execSignals' | 'activity'> = {},
    maxBytes?: number,
  ): Promise<{ engine: Engine; state: RestoredState }> {
    const { description, sections } = await decodeSnapshot(bytes, maxBytes);
    const d = readDescription(description, sections.length);
    const base = await memoryBase(assets.module, assets.image);
    if (d.build !== base.build) {
      throw new SnapshotError(
        `the snapshot was taken with guest build ${d.build.slice(0, 12)}, this PyBox runs ${base.build.slice(0, 12)}: restore it with the PyBox (wasm/) that took it`,
        'other-build',
      );
    }
    const baseId = assets.image ? `image:${imageFingerprint(assets.image)}` : 'module';
    if (d.base !== baseId) {
      throw new SnapshotError(
        `the snapshot was taken from another boot image (${d.base}, this box boots from ${baseId}): restore it with the same @pybox/core build (its dist/wasm/pybox.image)`,
        'other-image',
      );
    }
    const [runs, xor, data] = sections as [Uint8Array, Uint8Array, Uint8Array];
    if (runs.byteLength % 8 !== 0) throw damaged('the memory index');
    const engineOptions: EngineOptions = { ...d.options, ...options };
    // A released engine of the same assets is reused: its memory goes back to the base through the
    // blocks its last snapshot found changed, with no new instance and no boot image to copy.
    const spare = takeSpare(assets);
    const engine = spare ?? new Engine(assets, engineOptions);
    let memory: WebAssembly.Memory;
    let instance: WebAssembly.Instance | null = null;
    if (spare) {
      memory = spare.abi.exports.memory;
      spare.reuseFor(engineOptions, base);
    } else {
      instance = await instantiate(assets.module, engine.imports());
      memory = (instance.exports as unknown as GuestExports).memory;
    }
    try {
      if (instance && assets.image) applyImage(assets.image, memory);
      const aligned = runs.byteOffset % 4 === 0 ? runs : runs.slice();
      applyDiff(memory, { pages: d.memoryPages, runs: new Uint32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 4), xor });
      restoreFiles(engine.fs, d.files, data);
    } catch (e) {
      if (e instanceof PyBoxError) throw e;
      throw damaged(e instanceof Error ? e.message : String(e));
    }
    if (instance) engine.attach(instance, false);
    engine.clean = assets.image ? { image: assets.image } : null;
    engine.clock.resumeAt(d.guestClockMs);
    engine.reseed();
    const guest = new Set(engine.guestState().map((c) => c.id));
    for (const c of d.contexts) {
      const id = c.guest;
      if (!guest.has(id)) throw damaged(`context ${c.id} is not in the guest`);
      engine.contexts.set(c.id, id);
    }
    engine.nextHandle = d.nextHandle;
    const state: RestoredState = { contexts: d.contexts.map(({ id, parent }) => ({ id, parent })), paused: [], facade: d.facade, options: d.options };
    for (const run of d.runs) {
      const id = engine.contexts.get(run.context);
      if (id === undefined) continue;
      engine.paused.set(id, { saved: run.saved, pending: run.pending });
      const settled = new Set(run.saved.settled.map((s) => s.id));
      state.paused.push({
        context: run.context,
        pending: run.pending.filter((p) => !settled.has(p.id)),
        stdout: run.saved.stdout,
        stderr: run.saved.stderr,
      });
    }
    await engine.prepareStandby();
    return { engine, state };
  }

  /**
   * Gives this engine back for reuse by a later restore of the same assets (when its memory is
   * exactly what its latest snapshot saw and nothing runs). Its host must not call it again.
   * At most a few are kept per thread: each holds its guest's memory.
   */
  release(): void {
    const clean = this.lastDiff !== null && this.lastDiff.calls === this.guard.calls;
    if (!clean || this.executor.busy || this.guard.isBroken) return;
    const key = this.assets.image ?? this.assets.module;
    const list = spareEngines.get(key) ?? [];
    if (list.length >= MAX_SPARES || list.includes(this)) return;
    list.push(this);
    spareEngines.set(key, list);
  }

  /** Makes a released engine a fresh one for `options`: its memory back at the base, its host-side state new. */
  private reuseFor(options: EngineOptions, base: MemoryBase): void {
    revertDiff(this.abi.exports.memory, base, this.lastDiff!.runs);
    this.lastDiff = null;
    this.abi = new GuestAbi(this.abi.exports); // its input buffer was the old session's allocation
    this.options = options;
    closeFdsFrom(this.wasi, this.bootFds); // what the old session left open
    this.files = new VirtualFileSystem(this.assets.stdlib, { mounts: options.mounts, fsBytes: options.fsBytes });
    // The instance's WASI imports are bound to this shim object: give it fresh descriptors.
    this.wasi.fds = createWasi(this.files, options.env, this.output).fds;
    this.tools = new ToolRunner();
    Object.assign(this.execHost, {
      tools: this.tools,
      outputLimit: options.outputLimit ?? 1024 * 1024,
      signals: options.execSignals ? new ExecSignals(options.execSignals) : undefined,
      activity: options.activity,
    });
    this.executor.reset();
    this.contexts.clear();
    this.paused.clear();
    this.resetListeners = [];
  }

  /**
   * The files a snapshot holds, as `EngineOptions.files` takes them (a restored box started
   * again after a hard stop keeps its files, not its contexts).
   */
  static async snapshotFiles(bytes: Uint8Array): Promise<Record<string, Uint8Array>> {
    const { description, sections } = await decodeSnapshot(bytes);
    const d = readDescription(description, sections.length);
    return filesOption(d.files, sections[2]!);
  }

  /**
   * Goes on with a paused run restored from a snapshot. `results` answer
   * pending calls directly (by id); the other pending calls go to the tools.
   */
  async resumePaused(ctx: number, results: ToolOutcome[], options: EngineExecOptions = {}): Promise<ExecResult> {
    const id = this.guestId(ctx);
    const paused = this.paused.get(id);
    if (!paused) throw new InvalidArgumentError('this context has no paused run: it was resumed or cancelled already');
    const known = new Map(paused.pending.map((p) => [p.id, p]));
    const supplied: Settled[] = [];
    for (const r of results) {
      const call = known.get(r.id);
      if (!call) throw new InvalidArgumentError(`the paused run waits on no call with id ${r.id}: use the ids in its pending list`);
      supplied.push(r.ok ? settleValue(r.id, r.value, call.tool) : settleError(r.id, Object.assign(new Error(r.error.message), { name: r.error.name })));
    }
    this.paused.delete(id);
    return this.cutSafe(() => this.executor.resume(id, { saved: paused.saved, pending: paused.pending, supplied }, options));
  }

  /** Abandons a paused run restored from a snapshot (its coroutine is closed). */
  cancelPaused(ctx: number): void {
    const id = this.guestId(ctx);
    if (!this.paused.delete(id)) return;
    this.check(this.hostCall(() => this.abi.cancel(id)).answer, 'cancel');
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

/** A browser page's main thread (not a worker, not Node): it refuses large synchronous instances. */
const ON_PAGE_THREAD = typeof document !== 'undefined';

/** Released engines, by the assets they run (see {@link Engine.release}). */
const spareEngines = new WeakMap<object, Engine[]>();
const MAX_SPARES = 2;

function takeSpare(assets: GuestAssets): Engine | undefined {
  return spareEngines.get(assets.image ?? assets.module)?.pop();
}

/** The JSON description of a snapshot (snapshot-codec.ts carries it). */
interface SnapshotDescription {
  format: number;
  build: string;
  base: string;
  takenAt: number;
  guestClockMs: number;
  memoryPages: number;
  options: RestoredState['options'];
  /** Context handles, their parents' handles. */
  contexts: { id: number; parent: number | null; guest?: number }[];
  nextHandle: number;
  runs: { context: number; saved: SavedRun; pending: ToolRequest[] }[];
  files: FileEntry[];
  facade: unknown;
}

/** Checks the shape of a decoded description (a checksummed blob can still be hand-made). */
function readDescription(d: Record<string, unknown>, sections: number): SnapshotDescription & { contexts: { id: number; parent: number | null; guest: number }[] } {
  const isInt = (v: unknown): v is number => Number.isSafeInteger(v);
  const ok =
    typeof d.build === 'string' &&
    typeof d.base === 'string' &&
    typeof d.guestClockMs === 'number' &&
    Number.isFinite(d.guestClockMs) &&
    isInt(d.memoryPages) &&
    isInt(d.nextHandle) &&
    typeof d.options === 'object' &&
    d.options !== null &&
    Array.isArray(d.contexts) &&
    d.contexts.every((c: { id?: unknown; guest?: unknown }) => isInt(c?.id) && isInt(c?.guest)) &&
    Array.isArray(d.runs) &&
    Array.isArray(d.files) &&
    sections === 3;
  if (!ok) throw damaged('its description');
  return { ...(d as unknown as ReturnType<typeof readDescription>), options: readRecordedOptions(d.options as Record<string, unknown>) };
}

/**
 * The environment and caps a snapshot records, held to what `PyBox.create`
 * accepts: a hand-made description cannot bring other options (mounts,
 * signals) nor values a box could not have been created with.
 */
function readRecordedOptions(o: Record<string, unknown>): RestoredState['options'] {
  const options: RestoredState['options'] = {
    env: o.env as Record<string, string>,
    outputLimit: o.outputLimit as number | undefined,
    resultLimit: o.resultLimit as number | undefined,
    timeoutMs: o.timeoutMs as number | undefined,
    memoryBytes: o.memoryBytes as number | undefined,
    fsBytes: o.fsBytes as number | undefined,
  };
  try {
    const { env, outputLimit, resultLimit, timeoutMs, memoryBytes, fsBytes } = options;
    checkBoxOptions({ env, limits: { outputChars: outputLimit, resultChars: resultLimit, timeoutMs, memoryBytes, fsBytes } }, []);
  } catch (e) {
    throw damaged(`its options: ${e instanceof Error ? e.message : String(e)}`);
  }
  return options;
}

function checkName(name: string): void {
  if (typeof name !== 'string' || !IDENTIFIER.test(name)) {
    throw new InvalidArgumentError(`name must be a Python identifier, got ${JSON.stringify(String(name))}`);
  }
}
