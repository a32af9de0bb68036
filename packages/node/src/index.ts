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
import type { Limits, PyBoxOptions } from '@pybox/core';
import {
  checkBoxOptions,
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
  PyBoxError,
  PythonError,
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
    checkBoxOptions(options, ['inThread', 'mounts']);
    const mountSpecs = validateMounts(options.mounts);
    const assets = await loadAssets();
    const engineOptions = toEngineOptions(options);
    let host: EngineHost;
    if (options.inThread) {
      host = new InThreadHost(await Engine.create(assets, { ...engineOptions, mounts: createMounts(mountSpecs) }));
    } else {
      host = await WorkerHost.start(startThread, assets, { ...engineOptions, mountSpecs });
    }
    return PyBoxBase.open((h, l) => new PyBox(h, l), host, options);
  }

  private constructor(host: EngineHost, limits: Limits) {
    super(host, limits);
  }
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
