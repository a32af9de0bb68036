/**
 * `@pybox/node`: the PyBox API on Node.js. The engine runs on a
 * worker_thread (default) or, for the lowest latency, on the calling thread.
 *
 * @example
 * ```ts
 * import { PyBox } from '@pybox/node'
 * const box = await PyBox.create({ tools: [{ name: 'add', handler: ({ a, b }) => a + b,
 *   parameters: { type: 'object', properties: { a: {}, b: {} } } }] })
 * const ctx = await box.createContext()
 * console.log((await ctx.exec('await add(2, 3)')).value)   // 5
 * await box.close()
 * ```
 */
import { Worker } from 'node:worker_threads';
import { InvalidArgumentError, type Limits, type PyBoxOptions, type RestoreOptions } from '@pybox/core';
import {
  checkBoxOptions,
  checkRestore,
  Engine,
  InThreadHost,
  PyBoxBase,
  WorkerHost,
  toEngineOptions,
  type EngineHost,
  type WorkerHandle,
} from '@pybox/core/internal';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { loadAssets } from './assets.js';
import { createMounts, validateMounts, type MountSpec } from './host-mount/index.js';
import { installNativeSnapshots } from './snapshot-native.js';
import { BoxThread } from './thread.js';

installNativeSnapshots();

export { BoxThread } from './thread.js';
export { FileSnapshotStore } from './store.js';

// The public API of @pybox/core, minus what only browsers use (PyBox is this package's own).
export {
  AbortedError,
  BoxClosedError,
  CallbackError,
  Context,
  ContextBusyError,
  ContextDisposedError,
  DEFAULT_LIMITS,
  GuestCrashError,
  InvalidArgumentError,
  MAX_CODE_CHARS,
  MemorySnapshotStore,
  PausedRun,
  PoolBusyError,
  PoolSession,
  PyBoxPool,
  PyBoxError,
  PythonError,
  SnapshotError,
  QuotaExceededError,
  TimeLimitError,
  ToolDefinitionError,
  WallTimeLimitError,
  type BoxFileSystem,
  type CallbackName,
  type CrashReason,
  type ContextOptions,
  type ExecOptions,
  type ExecResult,
  type FileInfo,
  type GuestError,
  type JsonSchemaObject,
  type Limits,
  type PyBoxBase,
  type PyBoxOptions,
  type PausedCallResult,
  type PendingCall,
  type PoolLease,
  type PoolMetrics,
  type PyBoxPoolOptions,
  type SnapshotStore,
  type ResumeOptions,
  type RestoreOptions,
  type SnapshotRefusal,
  type ToolDefinition,
  type ToolsInput,
  type ToolCallEvent,
  type AiSdkTool,
  type AiSdkSchema,
  type JsonSchema,
  type ResultSchema,
  type ToolSchema,
} from '@pybox/core';
export type { MountMode, MountSpec } from './host-mount/index.js';

/**
 * Options of `PyBox.create` on Node.
 *
 * @example
 * ```ts
 * const options: NodePyBoxOptions = { mounts: [{ hostPath: './data', guestPath: '/mnt/data' }] }
 * ```
 */
export interface NodePyBoxOptions extends PyBoxOptions {
  /** Run the engine on the calling thread (lowest latency; blocks the event loop while Python runs). */
  inThread?: boolean;
  /**
   * Host folders Python sees, e.g. `[{ hostPath: '/srv/data', guestPath: '/mnt/data', mode: 'ro' }]`.
   * `'ro'` refuses writes (EROFS), `'rw'` writes to the folder, `'overlay'` keeps
   * Python's changes in memory and never touches the folder. Nothing outside
   * the folder is reachable: `..` stops at the mount and symlinks that lead
   * out of it look absent. `box.fs.*` works on mounted paths too.
   * @throws InvalidArgumentError (from `create`) when a spec is invalid
   */
  mounts?: MountSpec[];
  /**
   * Run on this shared worker thread instead of a worker of its own: less memory and a faster
   * start per box; its boxes share the thread's CPU, and a hard stop ends them all.
   */
  thread?: BoxThread;
}

/**
 * A sandboxed Python for Node.js.
 *
 * @example
 * ```ts
 * const box = await PyBox.create({ inThread: true })
 * const ctx = await box.createContext()
 * console.log((await ctx.exec('6 * 7')).value) // 42
 * ```
 */
export class PyBox extends PyBoxBase {
  /** Starts a box: loads (once per process) and instantiates the guest, defines the tools. */
  static async create(options: NodePyBoxOptions = {}): Promise<PyBox> {
    checkBoxOptions(options, ['inThread', 'mounts', 'thread']);
    const spawn = spawnerFor(options);
    const mountSpecs = validateMounts(options.mounts);
    const assets = await loadAssets();
    const engineOptions = toEngineOptions(options);
    let host: EngineHost;
    if (options.inThread) {
      host = new InThreadHost(await Engine.create(assets, { ...engineOptions, mounts: createMounts(mountSpecs) }));
    } else {
      host = await WorkerHost.start(spawn, assets, { ...engineOptions, mountSpecs });
    }
    return PyBoxBase.open((h, l) => new PyBox(h, l), host, options);
  }

  /**
   * A box in the state of a snapshot (`box.snapshot()`, from any engine or
   * runtime of the same PyBox build): its contexts with their variables,
   * names and parents, its files, limits and configuration, and its
   * paused runs (`box.paused`). Tools and mounts are given again (functions
   * and host folders are not data). `random` is reseeded.
   * @throws SnapshotError when the bytes are damaged, too large (`maxBytes`, default 1 GiB), of a newer format, or of another build or boot image
   *
   * @example
   * ```ts
   * const box = await PyBox.restore(await readFile('session.pybox'), { tools: [approve] })
   * const [run] = box.paused
   * console.log((await run.resume({ results: [{ id: run.pending[0].id, value: true }] })).stdout)
   * ```
   */
  static async restore(bytes: Uint8Array, options: NodeRestoreOptions = {}): Promise<PyBox> {
    checkRestore(bytes, options, ['inThread', 'mounts', 'thread']);
    const spawn = spawnerFor(options);
    const mountSpecs = validateMounts(options.mounts);
    const assets = await loadAssets();
    const { host, state } = options.inThread
      ? await InThreadHost.restore(assets, bytes, { mounts: createMounts(mountSpecs), maxBytes: options.maxBytes })
      : await WorkerHost.restore(spawn, assets, { mountSpecs }, bytes, options.maxBytes);
    return PyBoxBase.openRestored((h, l) => new PyBox(h, l), host, state, options);
  }

  private constructor(host: EngineHost, limits: Limits) {
    super(host, limits);
  }
}

/**
 * Options of `PyBox.restore` on Node (the environment, limits and files come from the snapshot).
 *
 * @example
 * ```ts
 * const options: NodeRestoreOptions = { tools: [approve], mounts: [{ hostPath: './data', guestPath: '/mnt/data' }] }
 * ```
 */
export interface NodeRestoreOptions extends RestoreOptions {
  /** Run the engine on the calling thread. */
  inThread?: boolean;
  /** Host folders, given again (a snapshot holds no mounts). */
  mounts?: MountSpec[];
  /** Run on this shared worker thread (see `NodePyBoxOptions.thread`). */
  thread?: BoxThread;
}

/** How a box's worker starts: a thread of its own, or an engine on a shared one. */
function spawnerFor(options: { thread?: unknown; inThread?: boolean }): () => WorkerHandle {
  if (options.thread === undefined) return startThread;
  if (!(options.thread instanceof BoxThread)) {
    throw new InvalidArgumentError('thread must be a BoxThread (new BoxThread() from @pybox/node)');
  }
  if (options.inThread) throw new InvalidArgumentError('inThread and thread exclude each other: choose one');
  const thread = options.thread;
  return () => thread.handle();
}

function startThread(): WorkerHandle {
  const worker = new Worker(new URL('./worker.js', import.meta.url));
  worker.unref(); // an idle box never keeps the process alive; pending calls ref it
  return {
    endpoint: nodeEndpoint(worker),
    terminate: () => void worker.terminate(),
    ref: () => worker.ref(),
    unref: () => worker.unref(),
    onDeath: (cb) => {
      worker.on('error', (e) => cb(e));
      worker.on('exit', (code) => cb(new Error(`the worker exited with code ${code}`)));
    },
  };
}
