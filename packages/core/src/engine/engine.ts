/**
 * The in-thread engine: one guest instance, its filesystem, its tools and
 * the exec/resume loop that services tool calls. It runs wherever
 * WebAssembly does (a Web Worker, a Node worker thread, the main thread) and
 * uses no Node-only API. The Web Worker and worker_threads transports wrap
 * this class; the public facade (`PyBox`) sits on top of either.
 */
import { ConsoleStdout, File, OpenFile, WASI } from '@bjorn3/browser_wasi_shim';
import {
  ABI_VERSION,
  GuestAbi,
  type GuestAnswer,
  type GuestError,
  type GuestExports,
  type GuestReply,
  type ToolRequest,
} from './abi.js';
import { VirtualFileSystem } from './fs.js';
import { applyImage, encodeImage } from './image.js';
import type { EngineMount } from './mounts.js';
import {
  AbortedError,
  ContextBusyError,
  ContextDisposedError,
  GuestCrashError,
  InvalidArgumentError,
  PyBoxError,
  PythonError,
  TimeLimitError,
  ToolDefinitionError,
} from '../errors.js';
import { toJson } from '../json.js';
import { now, sleepFor } from './clock.js';
import {
  guestToolSpec,
  IDENTIFIER,
  isThenable,
  settleError,
  settleValue,
  ToolWaits,
  validateTool,
  type Settled,
} from './tools.js';

/** The two assets a guest needs: the compiled reactor and the stdlib bundle. */
export interface GuestAssets {
  /** The compiled `pybox.wasm` (compile it once, share it between engines). */
  module: WebAssembly.Module;
  /** The bytes of `python313.zip`. */
  stdlib: Uint8Array;
  /**
   * A boot image of this module (see image.ts). With it, an engine starts by
   * copying memory instead of booting CPython: about 20× faster.
   */
  image?: Uint8Array;
}

/** A tool as the engine sees it: a definition plus a callable handler. */
export interface EngineTool {
  /** A Python identifier: the name the tool has in Python. */
  name: string;
  /** What the tool does; becomes the Python docstring. */
  description?: string;
  /** The full text `help(tool)` shows (the tool's Python stub), when the guest supports it. */
  doc?: string;
  /** JSON Schema of the parameters (an object schema); property order is the Python parameter order. */
  parameters?: JsonSchemaObject;
  /** Called with the arguments object; may return a value or a Promise. */
  handler: (args: Record<string, unknown>) => unknown;
  /**
   * Whether Python may call the handler synchronously (without `await`).
   * Defaults to `true` for a plain function, `false` for an `async function`.
   */
  sync?: boolean;
}

/** The subset of JSON Schema PyBox reads from a tool's parameters. */
export interface JsonSchemaObject {
  type?: 'object';
  properties?: Record<string, { type?: string | string[]; description?: string; [k: string]: unknown }>;
  required?: string[];
  additionalProperties?: boolean | object;
  [k: string]: unknown;
}

/** Options of one exec at the engine level. */
export interface EngineExecOptions {
  /** CPU time limit in ms: time spent running Python, not waiting on tools. */
  timeoutMs?: number;
  /** Wall-clock limit in ms for the whole exec, tool waits included. */
  wallTimeoutMs?: number;
  /** Cap in bytes on the guest's total allocations while this exec runs (default 512 MiB; there is no unlimited mode). */
  memoryBytes?: number;
  /** The file name tracebacks show (default `<exec>`). */
  filename?: string;
  /** Receives stdout text as it is printed. */
  onStdout?: (text: string) => void;
  /** Receives stderr text as it is printed. */
  onStderr?: (text: string) => void;
  /** Stops the exec when aborted (while it waits on tools or timers). */
  signal?: AbortSignal;
}

/** The outcome of an exec. `ok: false` carries the Python exception. */
export type ExecResult =
  | {
      ok: true;
      /** The trailing expression's value as JSON, when it has one that JSON can carry. */
      value?: unknown;
      /** `repr()` of the trailing expression's value, when it is not `None`. */
      repr?: string;
      /** Everything printed to stdout. */
      stdout: string;
      /** Everything printed to stderr. */
      stderr: string;
      /** Wall-clock duration of the exec. */
      durationMs: number;
    }
  | {
      ok: false;
      /** The Python exception: type, message and a traceback into the user's code. */
      error: GuestError;
      stdout: string;
      stderr: string;
      durationMs: number;
    };

/** A value read from a context with {@link Engine.get}. */
export type GuestValue = unknown;

/** A copy of a guest's whole state, see {@link Engine.snapshot}. */
export interface EngineSnapshot {
  /** The guest's linear memory. */
  memory: Uint8Array;
  /** The contexts that existed when it was taken. */
  contexts: number[];
}

/** Options for {@link Engine.create}. */
export interface EngineOptions {
  /** Environment variables Python sees in `os.environ` (nothing of the host leaks in). */
  env?: Record<string, string>;
  /** Files to create before Python starts, by absolute path. */
  files?: Record<string, string | Uint8Array>;
  /** Per-exec cap on stdout+stderr characters (default 1 MiB). */
  outputLimit?: number;
  /** Cap on the characters of a result's value JSON and repr (default 1 MiB). */
  resultLimit?: number;
  /**
   * A shared flag another thread sets (`Atomics.store(flag, 0, 1)`) to stop a
   * running exec, even one stuck in a CPU-bound loop. Needs SharedArrayBuffer.
   */
  interruptFlag?: Int32Array;
  /**
   * Folders the embedder provides (e.g. host folders in `@pybox/node`),
   * grafted into the guest's tree at their guest paths before `files` are
   * written. Every path call under a mount goes to the mount's own Fd.
   */
  mounts?: EngineMount[];
}

type Sink = {
  stdout: string[];
  stderr: string[];
  /** Characters still allowed this exec; output past it is dropped with one notice. */
  left: number;
  onStdout?: (t: string) => void;
  onStderr?: (t: string) => void;
};

/** The memory cap when none is given: no exec may grow the guest without bound. */
const DEFAULT_MEMORY_BYTES = 512 * 1024 * 1024;

const TRUNCATED = "\n[output truncated: the exec's output limit was reached]\n";


/**
 * One CPython guest instance with its filesystem, contexts and tools.
 *
 * @example
 * ```ts
 * const engine = await Engine.create(assets)
 * engine.defineTools([{ name: 'add', handler: ({ a, b }) => a + b,
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
  private readonly tools = new Map<string, EngineTool>();
  private readonly sinks: Sink[] = [];
  private readonly running = new Set<number>();
  private readonly contexts = new Set<number>();
  /** Tool calls started synchronously whose handler returned a Promise. */
  private readonly early = new Map<number, Promise<Settled>>();
  private nextEarlyId = -1;
  private crashed: unknown = null;
  private lastSnapshot: EngineSnapshot | null = null;
  private interruptRequested = false;
  /** Set when a sleep was cut short at the deadline of the guest call in progress. */
  private sleptToDeadline = false;
  private readonly outputLimit: number;
  /** The remaining CPU budget of the guest call in progress, for capping sleeps. */
  private callDeadline = Infinity;

  private constructor(
    private readonly assets: GuestAssets,
    private readonly options: EngineOptions,
  ) {
    this.outputLimit = options.outputLimit ?? 1024 * 1024;
    this.fs = new VirtualFileSystem(assets.stdlib, options.mounts);
    for (const [path, data] of Object.entries(options.files ?? {})) this.fs.writeFile(path, data);
    const env = Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`);
    const rawOut = (stream: 1 | 2) => ConsoleStdout.lineBuffered((line) => this.emit(stream, `${line}\n`));
    this.wasi = new WASI(
      ['python3'],
      env,
      [new OpenFile(new File([])), rawOut(1), rawOut(2), this.fs.preopen()],
      { debug: false },
    );
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
    } else {
      engine.attach(instance, true);
      const init = engine.abi.init().answer;
      if (init.status !== 'ok') throw engine.guestFailure(init, 'starting Python');
    }
    engine.configure({ outputLimit: options.outputLimit, resultLimit: options.resultLimit });
    if (!assets.image) engine.snapshot(); // what a trap restores (else the boot image is)
    return engine;
  }

  private imports(): WebAssembly.Imports {
    const wasi = { ...this.wasi.wasiImport } as Record<string, (...args: never[]) => unknown>;
    wasi.poll_oneoff = ((inPtr: number, outPtr: number, n: number, neventsPtr: number) =>
      this.pollOneoff(inPtr, outPtr, n, neventsPtr)) as never;
    // The monotonic clock is read several times per exec and by every limit check: write it
    // as two u32 halves (exact below 2^53 ns, i.e. 104 days) instead of through a BigInt.
    const realtime = wasi.clock_time_get!;
    wasi.clock_time_get = ((id: number, precision: bigint, ptr: number) => {
      if (id !== 1) return realtime(id as never, precision as never, ptr as never);
      const ns = Math.round(now() * 1e6);
      const view = this.memoryView();
      view.setUint32(ptr, ns % 4294967296, true);
      view.setUint32(ptr + 4, Math.floor(ns / 4294967296), true);
      return 0;
    }) as never;
    // Sockets are not part of the sandbox: fail like an unsupported call instead of throwing.
    for (const name of ['sock_accept', 'sock_recv', 'sock_send', 'sock_shutdown']) wasi[name] = (() => 58) as never;
    return {
      wasi_snapshot_preview1: wasi as WebAssembly.ModuleImports,
      pybox: {
        output: (stream: number, ptr: number, len: number) => this.emit(stream, this.abi.readText(ptr, len)),
        call_tool: (ptr: number, len: number) => this.callToolSync(this.abi.readText(ptr, len)),
        interrupted: () =>
          this.interruptRequested || (this.options.interruptFlag?.[0] ?? 0) !== 0 ? 1 : this.sleptToDeadline ? 2 : 0,
      },
    };
  }

  /**
   * WASI `poll_oneoff` for the one thing the guest uses it for: sleeping on a
   * clock (`time.sleep`). Never past the exec's CPU deadline, so a long sleep
   * ends at the time limit like any other code. (The shim's own version reads
   * the flags at the wrong offset and turns absolute sleeps into very long
   * relative ones.)
   */
  private pollOneoff(inPtr: number, outPtr: number, n: number, neventsPtr: number): number {
    const ERRNO_NOTSUP = 58;
    if (n !== 1) return ERRNO_NOTSUP;
    const view = new DataView(this.abi.exports.memory.buffer);
    // subscription: userdata u64 @0, tag u8 @8, clock id u32 @16, timeout u64 @24, flags u16 @40
    if (view.getUint8(inPtr + 8) !== 0) return ERRNO_NOTSUP; // not a clock subscription
    const clock = view.getUint32(inPtr + 16, true);
    const timeoutMs = Number(view.getBigUint64(inPtr + 24, true)) / 1e6;
    const absolute = (view.getUint16(inPtr + 40, true) & 1) === 1;
    const start = clock === 0 ? Date.now() : now(); // realtime or monotonic
    let ms = absolute ? timeoutMs - start : timeoutMs;
    const left = this.callDeadline - now();
    if (ms >= left) {
      ms = Math.max(0, left);
      this.sleptToDeadline = true; // the guest's next check raises the time limit
    }
    sleepFor(ms);
    // event: userdata u64 @0, error u16 @8, type u8 @10
    view.setBigUint64(outPtr, view.getBigUint64(inPtr, true), true);
    view.setUint16(outPtr + 8, 0, true);
    view.setUint8(outPtr + 10, 0);
    view.setUint32(neventsPtr, 1, true);
    return 0;
  }

  private view = new DataView(new ArrayBuffer(0));

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
    else (this.wasi as unknown as { inst: WebAssembly.Instance }).inst = instance;
  }

  private emit(stream: number, text: string): void {
    const sink = this.sinks[this.sinks.length - 1];
    if (!sink) return; // output outside an exec (e.g. a warning at init) is dropped
    // The guest caps output too; this cap holds even if Python code bypasses it.
    if (sink.left <= 0) return;
    if (text.length > sink.left) text = text.slice(0, sink.left) + TRUNCATED;
    sink.left -= text.length;
    if (stream === 2) {
      sink.stderr.push(text);
      sink.onStderr?.(text);
    } else {
      sink.stdout.push(text);
      sink.onStdout?.(text);
    }
  }

  /** Box-wide output and result caps. */
  configure(settings: { outputLimit?: number | undefined; resultLimit?: number | undefined }): void {
    const clean = Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined));
    this.check(this.call(() => this.abi.configure(clean)).answer, 'configure');
  }

  // ---- guard rails -------------------------------------------------------

  /** Runs a guest call; a trap leaves the instance unusable until restored. */
  private call(fn: () => GuestReply): GuestReply {
    if (this.crashed) throw new GuestCrashError('the guest crashed earlier and was not restored');
    try {
      return fn();
    } catch (e) {
      if (e instanceof PyBoxError) throw e;
      this.crashed = e;
      this.recover();
      throw new GuestCrashError(
        `the guest stopped abnormally (${e instanceof Error ? e.message : String(e)}); ` +
          (this.crashed
            ? 'the box cannot be used any more: create a new one'
            : 'the box was restored from its last snapshot: contexts created since then are gone, files and tools are kept'),
      );
    }
  }

  private recover(): void {
    try {
      if (this.lastSnapshot) this.restoreSync(this.lastSnapshot);
      else if (this.assets.image) this.restoreSync({ image: this.assets.image, contexts: [] });
      else return;
      this.configure({ outputLimit: this.options.outputLimit, resultLimit: this.options.resultLimit });
      this.crashed = null;
    } catch {
      // stays crashed
    }
  }

  private check(answer: GuestAnswer, what: string): GuestAnswer {
    if (answer.status === 'error') throw this.guestFailure(answer, what);
    return answer;
  }

  private guestFailure(answer: GuestAnswer, what: string): Error {
    const err = answer.error ?? { type: 'Error', message: 'unknown failure', traceback: '' };
    switch (err.type) {
      case 'UnknownContext':
        return new ContextDisposedError();
      case 'ContextBusy':
        return new ContextBusyError();
      case 'ValueError':
        if (what === 'defineTools') return new ToolDefinitionError(err.message);
        return new InvalidArgumentError(err.message);
      default:
        return new PythonError(err.type, err.message, err.traceback);
    }
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
    const answer = this.check(this.call(() => this.abi.contextCreate(parent ?? 0)).answer, 'createContext');
    const id = answer.id!;
    this.contexts.add(id);
    return id;
  }

  /** Deletes a context and everything it defined. */
  deleteContext(ctx: number): void {
    this.requireContext(ctx);
    this.contexts.delete(ctx);
    this.running.delete(ctx);
    this.call(() => this.abi.contextDelete(ctx));
  }

  /** Whether a context exists. */
  hasContext(ctx: number): boolean {
    return this.contexts.has(ctx);
  }

  /** Binds `name` to a JSON value or to `bytes` (from a Uint8Array). Protected names too. */
  set(ctx: number, name: string, value: unknown): void {
    this.requireContext(ctx);
    checkName(name);
    const reply =
      value instanceof Uint8Array
        ? this.call(() => this.abi.setBytes(ctx, name, value))
        : this.call(() => this.abi.setJson(ctx, name, toJson(value, `the value of ${name}`)));
    this.check(reply.answer, 'set');
  }

  /**
   * Reads `name`: JSON-compatible values come back as JS values, `bytes` as a
   * Uint8Array. Throws {@link PythonError} (NameError) when it is not defined,
   * and {@link InvalidArgumentError} when the value cannot cross as JSON.
   */
  get(ctx: number, name: string): GuestValue {
    this.requireContext(ctx);
    checkName(name);
    const { answer, attachment } = this.call(() => this.abi.get(ctx, name));
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
    this.check(this.call(() => this.abi.protect(ctx, name)).answer, 'protect');
  }

  /** The names a context defines itself (not inherited ones, not tools). */
  names(ctx: number): string[] {
    this.requireContext(ctx);
    return this.check(this.call(() => this.abi.names(ctx)).answer, 'names').names ?? [];
  }

  /** Gives `random` a fresh seed (use after restoring a shared snapshot). */
  reseed(seed?: Uint8Array): void {
    const bytes = seed ?? crypto.getRandomValues(new Uint8Array(32));
    this.check(this.call(() => this.abi.reseed(bytes)).answer, 'reseed');
  }

  // ---- tools -------------------------------------------------------------

  /** Adds or replaces tools; each becomes a protected Python function in every context. */
  defineTools(tools: EngineTool[]): void {
    for (const tool of tools) validateTool(tool);
    this.check(this.call(() => this.abi.defineTools(tools.map(guestToolSpec))).answer, 'defineTools');
    for (const tool of tools) this.tools.set(tool.name, tool);
  }

  /** Runs a tool handler and turns whatever it does into a settled result. */
  private startTool(req: ToolRequest): Promise<Settled> | Settled {
    const tool = this.tools.get(req.tool);
    if (!tool) return settleError(req.id, Object.assign(new Error(`unknown tool ${req.tool}`), { name: 'ToolError' }));
    let out: unknown;
    try {
      out = tool.handler(req.args);
    } catch (e) {
      return settleError(req.id, e);
    }
    if (isThenable(out)) {
      return Promise.resolve(out).then(
        (value) => settleValue(req.id, value, req.tool),
        (e) => settleError(req.id, e),
      );
    }
    return settleValue(req.id, out, req.tool);
  }

  /** The `call_tool` import: a tool called without `await` from Python. */
  private callToolSync(requestJson: string): number {
    const req = JSON.parse(requestJson) as { tool: string; args: Record<string, unknown> };
    const id = this.nextEarlyId--;
    const started = this.startTool({ id, tool: req.tool, args: req.args });
    if (started instanceof Promise) {
      // The handler went async after all: keep its promise and let Python await it.
      this.early.set(id, started);
      return this.abi.putLengthPrefixed(`{"pending":${id}}`);
    }
    return this.abi.putLengthPrefixed(started.json);
  }

  // ---- exec --------------------------------------------------------------

  /**
   * Runs code in a context. Top-level `await` works; tool calls are serviced
   * here (concurrently when gathered). Python exceptions come back as
   * `{ ok: false, error }`; host-side failures throw typed errors.
   */
  async exec(ctx: number, code: string, options: EngineExecOptions = {}): Promise<ExecResult> {
    this.requireContext(ctx);
    if (typeof code !== 'string') throw new InvalidArgumentError('code must be a string');
    if (this.running.has(ctx)) throw new ContextBusyError();
    options.signal?.throwIfAborted?.();
    const started = now();
    const sink: Sink = {
      stdout: [],
      stderr: [],
      left: this.outputLimit + TRUNCATED.length,
      onStdout: options.onStdout,
      onStderr: options.onStderr,
    };
    this.interruptRequested = false;
    if (this.options.interruptFlag) Atomics.store(this.options.interruptFlag, 0, 0);
    const budget = { cpuLeft: options.timeoutMs ?? 0 };
    const waits = new ToolWaits(options, started);
    this.running.add(ctx);
    try {
      let answer = this.guestStep(sink, budget, (deadline) =>
        this.abi.exec(ctx, code, {
          deadline,
          memoryBytes: options.memoryBytes ?? DEFAULT_MEMORY_BYTES,
          filename: options.filename,
        }),
      );
      while (answer.status === 'suspended') {
        for (const req of answer.requests ?? []) waits.add(req.id, this.startTool(req));
        for (const [id, p] of this.early) {
          this.early.delete(id);
          waits.add(id, p);
        }
        let results: string;
        try {
          results = await waits.next(answer.wakeAfterMs);
        } catch (e) {
          this.call(() => this.abi.cancel(ctx));
          throw e;
        }
        answer = this.guestStep(sink, budget, (deadline) =>
          this.abi.resume(ctx, `{"results":[${results}],"deadline":${deadline}}`),
        );
      }
      return this.finish(answer, sink, options, started);
    } finally {
      waits.dispose();
      this.running.delete(ctx);
    }
  }

  /** Turns the final answer of an exec into its result or typed error. */
  private finish(answer: GuestAnswer, sink: Sink, options: EngineExecOptions, started: number): ExecResult {
    const durationMs = now() - started;
    const stdout = sink.stdout.join('');
    const stderr = sink.stderr.join('');
    if (answer.status === 'error') {
      const type = answer.error?.type;
      if (answer.internal) throw this.guestFailure(answer, 'exec');
      if (type === 'UnknownContext') throw new ContextDisposedError();
      if (type === 'ContextBusy') throw new ContextBusyError();
      if (type === 'TimeLimitExceeded') {
        throw new TimeLimitError(
          `the exec used more than its CPU time limit of ${options.timeoutMs} ms; the context keeps its state up to the stop`,
        );
      }
      if (type === 'KeyboardInterrupt' && (this.interruptRequested || this.options.interruptFlag?.[0])) {
        throw new AbortedError('the exec was interrupted');
      }
      return { ok: false, error: answer.error!, stdout, stderr, durationMs };
    }
    const result: ExecResult = { ok: true, stdout, stderr, durationMs };
    if ('value' in answer) result.value = answer.value;
    if (answer.repr !== undefined) result.repr = answer.repr;
    return result;
  }

  /**
   * One guest call of an exec: output goes to the exec's sink, CPU time is
   * charged. `fn` gets the call's deadline on the guest's monotonic clock
   * (performance.now(), the clock WASI gives it), or 0 for none.
   */
  private guestStep(sink: Sink, budget: { cpuLeft: number }, fn: (deadline: number) => GuestReply): GuestAnswer {
    this.sinks.push(sink);
    const t0 = now();
    const outerDeadline = this.callDeadline;
    if (budget.cpuLeft > 0) this.callDeadline = Math.min(outerDeadline, t0 + budget.cpuLeft);
    const deadline = this.callDeadline === Infinity ? 0 : this.callDeadline;
    const outerSlept = this.sleptToDeadline;
    this.sleptToDeadline = false;
    try {
      return this.call(() => fn(deadline)).answer;
    } finally {
      this.callDeadline = outerDeadline;
      this.sleptToDeadline = outerSlept;
      this.sinks.pop();
      if (budget.cpuLeft > 0) budget.cpuLeft = Math.max(budget.cpuLeft - (now() - t0), 0.001);
    }
  }

  /**
   * Asks the running exec to stop. It stops at its next check (within about
   * a millisecond of Python code) or, when it is waiting on tools, at once.
   * From another thread, use `interruptFlag` instead.
   */
  interrupt(): void {
    this.interruptRequested = true;
  }

  // ---- snapshots ---------------------------------------------------------

  /**
   * Copies the guest's whole state (its linear memory). Take it between
   * execs; {@link Engine.restore} brings it back, and a crash restores the
   * latest one automatically. Files are not part of a snapshot.
   */
  snapshot(): EngineSnapshot {
    if (this.running.size > 0) throw new ContextBusyError('cannot snapshot while an exec is running');
    const snap = { memory: new Uint8Array(this.abi.exports.memory.buffer).slice(), contexts: [...this.contexts] };
    this.lastSnapshot = snap;
    return snap;
  }

  /**
   * A boot image of this engine's current state (see image.ts): take it
   * right after `create`, with no contexts, to speed up later starts.
   */
  bootImage(): Uint8Array {
    if (this.contexts.size > 0 || this.running.size > 0) {
      throw new InvalidArgumentError('a boot image must be taken from an engine with no contexts');
    }
    return encodeImage(new Uint8Array(this.abi.exports.memory.buffer));
  }

  /** Replaces the guest's state with a snapshot taken from an engine of the same module. */
  async restore(snapshot: EngineSnapshot): Promise<void> {
    this.restoreSync(snapshot);
  }

  private restoreSync(snapshot: EngineSnapshot | { image: Uint8Array; contexts: number[] }): void {
    const instance = new WebAssembly.Instance(this.assets.module, this.imports());
    const memory = (instance.exports as unknown as GuestExports).memory;
    if ('image' in snapshot) {
      applyImage(snapshot.image, memory);
    } else {
      const missing = snapshot.memory.length - memory.buffer.byteLength;
      if (missing > 0) memory.grow(Math.ceil(missing / 65536));
      new Uint8Array(memory.buffer).set(snapshot.memory);
    }
    this.attach(instance, false);
    this.running.clear();
    this.crashed = null;
    // The snapshot's contexts are the ones that exist now; tools defined since come back.
    this.contexts.clear();
    for (const id of snapshot.contexts) this.contexts.add(id);
    if (this.tools.size) this.abi.defineTools([...this.tools.values()].map(guestToolSpec));
    this.reseed();
  }
}

function checkName(name: string): void {
  if (typeof name !== 'string' || !IDENTIFIER.test(name)) {
    throw new InvalidArgumentError(`name must be a Python identifier, got ${JSON.stringify(String(name))}`);
  }
}
