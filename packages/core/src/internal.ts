/**
 * `@pybox/core/engine`: the in-thread engine, for runtimes that host the
 * guest themselves (the Web Worker and worker_threads transports, and
 * `@pybox/node`'s in-thread mode). Most apps want `PyBox` from `@pybox/core`.
 */
export {
  Engine,
  type EngineOptions,
  type EngineExecOptions,
  type EngineSnapshot,
  type EngineTool,
  type ExecResult,
  type GuestAssets,
  type GuestValue,
  type JsonSchemaObject,
} from './engine.js';
export { VirtualFileSystem, STDLIB_PATH, WRITABLE_DIRS, type FileStat } from './fs.js';
export type { EngineMount } from './mounts.js';
/** The WASI shim's classes, for implementing mounts (the very module instance the engine uses). */
export { Directory, Fd, File, Inode, wasi } from '@bjorn3/browser_wasi_shim';
export { ABI_VERSION, type GuestError, type ToolRequest } from './abi.js';
export * from '../errors.js';
