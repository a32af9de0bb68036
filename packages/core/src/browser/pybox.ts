/**
 * `PyBox` for browsers: the engine runs in a Web Worker (or, on request, on
 * the calling thread).
 */
import { PyBoxBase } from '../api/box.js';
import type { EngineHost } from '../api/host.js';
import type { Limits, PyBoxOptions, RestoreOptions } from '../api/types.js';
import { checkBoxOptions, checkRestore } from '../api/validate.js';
import { Engine } from '../engine/engine.js';
import { InThreadHost } from '../engine/in-thread-host.js';
import type { EngineOptions } from '../engine/types.js';
import { WorkerHost, type WorkerHandle } from '../worker/client.js';
import { loadAssets, withStdlibBytes, type AssetUrls } from './assets.js';

/**
 * Options of `PyBox.create` in a browser.
 *
 * @example
 * ```ts
 * const options: BrowserPyBoxOptions = { inThread: false, limits: { timeoutMs: 5000 } }
 * ```
 */
export interface BrowserPyBoxOptions extends PyBoxOptions {
  /** Run the engine on the calling thread instead of a Web Worker (blocks it while Python runs). */
  inThread?: boolean;
  /** Custom locations of the guest assets. */
  assets?: AssetUrls;
}

/**
 * A sandboxed Python running in a Web Worker.
 *
 * @example
 * ```ts
 * import { PyBox } from '@pybox/core'
 * const box = await PyBox.create({ tools: [{ name: 'add', handler: ({ a, b }) => a + b,
 *   parameters: { type: 'object', properties: { a: {}, b: {} } } }] })
 * const ctx = await box.createContext()
 * const r = await ctx.exec('await add(2, 3)')   // r.value === 5
 * ```
 */
export class PyBox extends PyBoxBase {
  /** Starts a box: loads (once per page) and instantiates the guest, defines the tools. */
  static async create(options: BrowserPyBoxOptions = {}): Promise<PyBox> {
    checkBoxOptions(options, ['inThread', 'assets']);
    const assets = await loadAssets(options.assets);
    const engineOptions = toEngineOptions(options);
    let host: EngineHost;
    if (options.inThread) {
      host = new InThreadHost(await Engine.create(await withStdlibBytes(assets), engineOptions));
    } else {
      host = await WorkerHost.start(startWebWorker, assets, engineOptions);
    }
    return PyBoxBase.open((h, l) => new PyBox(h, l), host, options);
  }

  /**
   * A box in the state of a snapshot (`box.snapshot()`, from any engine or
   * runtime of the same PyBox build): its contexts with their variables,
   * names and parents, its files, limits and configuration, and its
   * {@link PyBoxBase.paused | paused runs}. Tools are functions, not data:
   * give them again. `random` is reseeded.
   * @throws SnapshotError when the bytes are damaged, too large (`maxBytes`, default 1 GiB), of a newer format, or of another build or boot image
   *
   * @example
   * ```ts
   * const box = await PyBox.restore(bytes, { tools: [approve, search] })
   * for (const run of box.paused) await run.resume()
   * ```
   */
  static async restore(bytes: Uint8Array, options: BrowserRestoreOptions = {}): Promise<PyBox> {
    checkRestore(bytes, options, ['inThread', 'assets']);
    const assets = await loadAssets(options.assets);
    const { host, state } = options.inThread
      ? await InThreadHost.restore(await withStdlibBytes(assets), bytes, { maxBytes: options.maxBytes })
      : await WorkerHost.restore(startWebWorker, assets, {}, bytes, options.maxBytes);
    return PyBoxBase.openRestored((h, l) => new PyBox(h, l), host, state, options);
  }

  private constructor(host: EngineHost, limits: Limits) {
    super(host, limits);
  }
}

/**
 * Options of `PyBox.restore` in a browser (the environment, limits and files come from the snapshot).
 *
 * @example
 * ```ts
 * const options: BrowserRestoreOptions = { tools: [approve], maxBytes: 64 * 1024 * 1024 }
 * ```
 */
export interface BrowserRestoreOptions extends RestoreOptions {
  /** Run the engine on the calling thread instead of a Web Worker. */
  inThread?: boolean;
  /** Custom locations of the guest assets. */
  assets?: AssetUrls;
}

function startWebWorker(): WorkerHandle {
  const worker = new Worker(new URL('../worker/worker.js', import.meta.url), { type: 'module', name: 'pybox' });
  return {
    endpoint: worker,
    terminate: () => worker.terminate(),
    onDeath: (cb) => worker.addEventListener('error', (e) => cb(new Error(e.message || 'worker error'))),
  };
}

/**
 * Maps the public options to the engine's.
 *
 * @example
 * ```ts
 * const engine = await Engine.create(assets, toEngineOptions({ env: { LANG: 'C' } }))
 * ```
 */
export function toEngineOptions(options: PyBoxOptions): EngineOptions {
  return {
    env: options.env,
    files: options.files,
    outputLimit: options.limits?.outputChars,
    resultLimit: options.limits?.resultChars,
    timeoutMs: options.limits?.timeoutMs,
    memoryBytes: options.limits?.memoryBytes,
    fsBytes: options.limits?.fsBytes,
  };
}
