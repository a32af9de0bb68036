/**
 * `@pybox/core/internal`: what runtime adapters need to build a `PyBox` of
 * their own (`@pybox/node` does): the facade's base class, the engine, the
 * in-thread and worker transports, the worker side, and what mounts are
 * built from (the WASI shim's classes, the quota, a correct filestat). Not a
 * stable API: apps use the public barrel (`@pybox/core` or `@pybox/node`).
 *
 * @example
 * ```ts
 * import { Engine, InThreadHost, PyBoxBase } from '@pybox/core/internal'
 * const host = new InThreadHost(await Engine.create(assets))
 * ```
 */
export { PyBoxBase } from './api/box.js';
export type { EngineHost } from './api/host.js';
export { checkBoxOptions } from './api/validate.js';
export { toEngineOptions } from './browser/pybox.js';
export { loadAssets, type AssetUrls } from './browser/assets.js';
export { Engine } from './engine/engine.js';
export { InThreadHost } from './engine/in-thread-host.js';
export { VirtualFileSystem, STDLIB_PATH, WRITABLE_DIRS, type FileStat } from './engine/fs.js';
export type { EngineMount } from './engine/mount-router.js';
export { FsQuota, MAX_FILE_BYTES } from './engine/quota.js';
export { WasiStat } from './engine/filestat.js';
export { hostApiPath, resolvePath } from './engine/paths.js';
export { ExecSignals, type BusyState, type GuestActivity } from './engine/signals.js';
export type {
  EncodedValue,
  EngineExecOptions,
  EngineOptions,
  EngineTool,
  ExecResult,
  GuestAssets,
  JsonSchemaObject,
  ResetInfo,
} from './engine/types.js';
export { ABI_VERSION, type GuestError, type ToolRequest } from './engine/abi.js';
export { errorClasses } from './errors.js';
export { WorkerHost, type WorkerHandle } from './worker/client.js';
export { RemoteEngine, type RemoteEngineOptions } from './worker/remote.js';
export { installErrorTransfer, type RemoteInitOptions } from './worker/protocol.js';
/** The WASI shim's classes, for implementing mounts (the very module instance the engine uses). */
export { Directory, Fd, File, Inode, wasi } from '@bjorn3/browser_wasi_shim';
