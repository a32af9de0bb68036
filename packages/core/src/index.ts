/**
 * `@pybox/core`: sandboxed CPython for programmatic tool calling, in a Web
 * Worker. This barrel is the public API only; runtime adapters find what
 * they need in `@pybox/core/internal`.
 *
 * @example
 * ```ts
 * import { PyBox } from '@pybox/core'
 * const box = await PyBox.create({ tools: [searchTool] })
 * const ctx = await box.createContext()
 * const r = await ctx.exec('hits = await search(query="wasm")\nprint(len(hits))')
 * ```
 */
export { PyBox, type BrowserPyBoxOptions } from './browser/pybox.js';
export type { AssetUrls } from './browser/assets.js';
export type { PyBoxBase, BoxFileSystem } from './api/box.js';
export { Context, MAX_CODE_CHARS } from './api/context.js';
export {
  DEFAULT_LIMITS,
  type ContextOptions,
  type ExecOptions,
  type ExecResult,
  type FileInfo,
  type GuestError,
  type JsonSchemaObject,
  type Limits,
  type PyBoxOptions,
  type ToolDefinition,
  type ToolsInput,
  type ToolCallEvent,
  type AiSdkTool,
  type AiSdkSchema,
  type JsonSchema,
  type ResultSchema,
  type ToolSchema,
} from './api/types.js';
export {
  AbortedError,
  BoxClosedError,
  CallbackError,
  ContextBusyError,
  ContextDisposedError,
  GuestCrashError,
  InvalidArgumentError,
  PyBoxError,
  PythonError,
  QuotaExceededError,
  TimeLimitError,
  ToolDefinitionError,
  WallTimeLimitError,
  type CallbackName,
  type CrashReason,
} from './errors.js';
