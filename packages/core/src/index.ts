/**
 * `@pybox/core`: sandboxed CPython for programmatic tool calling, in a Web Worker.
 *
 * @example
 * ```ts
 * import { PyBox } from '@pybox/core'
 * const box = await PyBox.create({ tools: [searchTool] })
 * const ctx = await box.createContext()
 * const r = await ctx.exec('hits = await search(query="wasm")\nprint(len(hits))')
 * ```
 */
export { PyBox, toEngineOptions, type BrowserPyBoxOptions } from './browser.js';
export { PyBoxBase, type BoxFileSystem } from './box.js';
export { Context, MAX_CODE_CHARS } from './context.js';
export { InThreadHost, type EngineHost } from './host.js';
export { loadAssets, type AssetUrls } from './loader.js';
export { WorkerHost, type WorkerHandle } from './worker/client.js';
export { RemoteEngine } from './worker/remote.js';
export { installErrorTransfer } from './worker/protocol.js';
export * from './errors.js';
export * from './types.js';
export type { ExecResult, EngineTool, GuestAssets, EngineOptions, EngineSnapshot } from './engine/engine.js';
export type { EngineMount } from './engine/mounts.js';
export type { RemoteEngineOptions } from './worker/remote.js';
export type { RemoteInitOptions } from './worker/protocol.js';
