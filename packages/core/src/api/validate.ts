/**
 * Input validation for the facade: every argument of the public API is
 * checked here, once, before it reaches any engine, so that the same bad
 * input gets the same typed error with the same message on every engine.
 * Transports and engines carry what passed.
 */
import type { EncodedValue, ToolOutcome } from '../engine/types.js';
import { hostApiPath } from '../engine/paths.js';
import { checkFsBytes } from '../engine/quota.js';
import { IDENTIFIER, MAX_TIMER_MS, toolErrorFields } from '../engine/tools.js';
import { describeValue, InvalidArgumentError, ToolDefinitionError } from '../errors.js';
import { toJson } from '../json.js';
import { DEFAULT_LIMITS, type ExecOptions, type Limits, type ToolDefinition, type ToolsInput } from './types.js';

/**
 * The largest source an exec accepts. Compiling is not interruptible, and
 * megabytes of source take seconds to compile: agent code is far smaller.
 *
 * @example
 * ```ts
 * if (code.length > MAX_CODE_CHARS) await ctx.set('data', bigData) // pass data, not code
 * ```
 */
export const MAX_CODE_CHARS = 2 * 1024 * 1024;

/** The smallest and largest `memoryBytes` (the guest needs room to boot; wasm32 addresses 4 GiB). */
export const MEMORY_BYTES_RANGE = [16 * 1024 * 1024, 4 * 1024 * 1024 * 1024] as const;

/**
 * Checks that an options argument is an object (or undefined) with known keys only.
 *
 * @example
 * ```ts
 * const opts = checkOptions(options, ['recursive', 'force'], 'rm options')
 * ```
 */
export function checkOptions<T extends object>(value: unknown, keys: readonly string[], what: string): Partial<T> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError(`${what} must be an object, got ${describeValue(value)}`);
  }
  for (const key of Object.keys(value)) {
    if (!keys.includes(key)) {
      throw new InvalidArgumentError(`${what} has an unknown option "${key}": use ${keys.map((k) => `"${k}"`).join(', ')}`);
    }
  }
  return value as Partial<T>;
}

/** A time limit: milliseconds that timers can hold. */
function checkMs(value: unknown, what: string): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > MAX_TIMER_MS) {
    throw new InvalidArgumentError(
      `${what} must be a number of milliseconds above 0 and at most ${MAX_TIMER_MS} (about 24.8 days, the most timers hold), got ${describeValue(value)}`,
    );
  }
}

/** A count of characters: an integer of at least 1. */
function checkCount(value: unknown, what: string): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new InvalidArgumentError(`${what} must be a whole number of characters, at least 1, got ${describeValue(value)}`);
  }
}

/**
 * Checks box limits.
 *
 * @example
 * ```ts
 * checkLimits({ timeoutMs: 5000, memoryBytes: 64 * 1024 * 1024 })
 * ```
 */
export function checkLimits(limits: unknown): Limits {
  const checked = checkOptions<Limits>(limits, Object.keys(DEFAULT_LIMITS), 'limits');
  checkMs(checked.timeoutMs, 'limits.timeoutMs');
  checkMs(checked.wallTimeoutMs, 'limits.wallTimeoutMs');
  checkCount(checked.outputChars, 'limits.outputChars');
  checkCount(checked.resultChars, 'limits.resultChars');
  const memory = checked.memoryBytes;
  if (memory !== undefined) {
    const [min, max] = MEMORY_BYTES_RANGE;
    if (typeof memory !== 'number' || !Number.isSafeInteger(memory) || memory < min || memory > max) {
      throw new InvalidArgumentError(
        `limits.memoryBytes must be a whole number of bytes from ${min} (16 MiB) to ${max} (4 GiB), got ${describeValue(memory)}`,
      );
    }
  }
  checkFsBytes(checked.fsBytes);
  return checked;
}

/**
 * Checks a list of tool definitions.
 *
 * @throws ToolDefinitionError saying what to fix
 * @example
 * ```ts
 * checkTools([{ name: 'add', handler: ({ a, b }) => Number(a) + Number(b) }])
 * ```
 */
export function checkTools(tools: unknown): ToolsInput {
  if (Array.isArray(tools)) {
    for (const tool of tools) checkToolShape(tool);
    return tools as ToolDefinition[];
  }
  // A record of AI SDK tools keyed by name; each is checked when its schema is resolved.
  if (typeof tools === 'object' && tools !== null && Object.getPrototypeOf(tools) === Object.prototype && Object.keys(tools).length > 0) {
    return tools as ToolsInput;
  }
  throw new ToolDefinitionError(
    `tools must be an array of tool definitions ({ name, description, parameters, handler }) or a record of AI SDK tools keyed by name, got ${describeValue(tools)}`,
  );
}

/** A definition's name, handler and description; its schemas are checked when they are resolved (tools/define.ts). */
function checkToolShape(tool: unknown): void {
  if (!tool || typeof tool !== 'object') throw new ToolDefinitionError('a tool must be an object');
  const { name, handler, description } = tool as ToolDefinition;
  if (typeof name !== 'string' || !IDENTIFIER.test(name)) {
    throw new ToolDefinitionError(`tool name must be a Python identifier, got ${JSON.stringify(name)}`);
  }
  if (typeof handler !== 'function') throw new ToolDefinitionError(`tool ${name} needs a handler function`);
  if (description !== undefined && typeof description !== 'string') {
    throw new ToolDefinitionError(`tool ${name}: description must be a string`);
  }
}

/**
 * Checks the options of `PyBox.create` common to every runtime, plus the runtime's own keys.
 *
 * @param runtimeKeys the keys the runtime adds, e.g. `['inThread', 'mounts']`
 * @example
 * ```ts
 * checkBoxOptions(options, ['inThread', 'assets'])
 * ```
 */
export function checkBoxOptions(options: unknown, runtimeKeys: readonly string[]): void {
  const checked = checkOptions<Record<string, unknown>>(options, ['tools', 'validateResults', 'files', 'env', 'limits', ...runtimeKeys], 'PyBox.create options');
  if (checked.validateResults !== undefined && typeof checked.validateResults !== 'boolean') {
    throw new InvalidArgumentError(`validateResults must be true or false, got ${describeValue(checked.validateResults)}`);
  }
  if (checked.tools !== undefined) checkTools(checked.tools);
  checkLimits(checked.limits);
  if (checked.files !== undefined) {
    if (typeof checked.files !== 'object' || checked.files === null || Array.isArray(checked.files)) {
      throw new InvalidArgumentError(`files must be an object of { "/data/name": string | Uint8Array }, got ${describeValue(checked.files)}`);
    }
    for (const [path, data] of Object.entries(checked.files)) {
      hostApiPath(path, `files[${JSON.stringify(path)}]`);
      checkFileData(data, `files[${JSON.stringify(path)}]`);
    }
  }
  if (checked.env !== undefined) {
    if (typeof checked.env !== 'object' || checked.env === null || Array.isArray(checked.env)) {
      throw new InvalidArgumentError(`env must be an object of string values, got ${describeValue(checked.env)}`);
    }
    for (const [key, value] of Object.entries(checked.env)) {
      if (key === '' || key.includes('=') || key.includes('\0')) {
        throw new InvalidArgumentError(`env has an invalid name ${JSON.stringify(key)}: names are non-empty, without "=" or NUL`);
      }
      if (typeof value !== 'string' || value.includes('\0')) {
        throw new InvalidArgumentError(`env.${key} must be a string without NUL, got ${describeValue(value)}`);
      }
    }
  }
}

/** Index of the first lone surrogate in `text`, or -1. */
function loneSurrogate(text: string): number {
  const match = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.exec(text);
  return match ? match.index : -1;
}

/** The exec options as the facade uses them. */
export type CheckedExecOptions = Pick<ExecOptions, 'timeoutMs' | 'wallTimeoutMs' | 'onStdout' | 'onStderr' | 'signal' | 'filename'>;

const EXEC_OPTION_KEYS = ['timeoutMs', 'wallTimeoutMs', 'onStdout', 'onStderr', 'signal', 'filename'] as const;

/**
 * Checks the arguments of `ctx.exec`.
 *
 * @example
 * ```ts
 * const options = checkExec('print(1)', { timeoutMs: 1000 })
 * ```
 */
export function checkExec(code: unknown, options: unknown): CheckedExecOptions {
  if (typeof code !== 'string') throw new InvalidArgumentError(`code must be a string, got ${describeValue(code)}`);
  if (code.length > MAX_CODE_CHARS) {
    throw new InvalidArgumentError(
      `code is ${code.length} characters; the limit is ${MAX_CODE_CHARS}: pass large data with ctx.set() or a file instead`,
    );
  }
  const at = loneSurrogate(code);
  if (at >= 0) {
    const unit = code.charCodeAt(at).toString(16).toUpperCase();
    throw new InvalidArgumentError(
      `code contains a lone surrogate (U+${unit}) at index ${at}, which is not text Python can compile: fix the string (pass binary data with ctx.set() instead)`,
    );
  }
  const checked = checkOptions<CheckedExecOptions>(options, EXEC_OPTION_KEYS, 'exec options');
  checkMs(checked.timeoutMs, 'timeoutMs');
  checkMs(checked.wallTimeoutMs, 'wallTimeoutMs');
  for (const key of ['onStdout', 'onStderr'] as const) {
    if (checked[key] !== undefined && typeof checked[key] !== 'function') {
      throw new InvalidArgumentError(`${key} must be a function (text: string) => void, got ${describeValue(checked[key])}`);
    }
  }
  if (checked.signal !== undefined && !isAbortSignal(checked.signal)) {
    throw new InvalidArgumentError(`signal must be an AbortSignal (e.g. new AbortController().signal), got ${describeValue(checked.signal)}`);
  }
  if (checked.filename !== undefined && (typeof checked.filename !== 'string' || checked.filename === '' || checked.filename.includes('\0'))) {
    throw new InvalidArgumentError(`filename must be a non-empty string such as "agent.py", got ${describeValue(checked.filename)}`);
  }
  return checked;
}

function isAbortSignal(value: unknown): value is AbortSignal {
  if (typeof AbortSignal === 'function' && value instanceof AbortSignal) return true;
  const s = value as { aborted?: unknown; addEventListener?: unknown; removeEventListener?: unknown } | null;
  return typeof s === 'object' && s !== null && typeof s.aborted === 'boolean' && typeof s.addEventListener === 'function' && typeof s.removeEventListener === 'function';
}

/**
 * Checks a Python name given to `set`, `get` or `protect`.
 *
 * @example
 * ```ts
 * checkName('rows') // ok; checkName('1x') throws InvalidArgumentError
 * ```
 */
export function checkName(name: unknown): string {
  if (typeof name !== 'string' || !IDENTIFIER.test(name)) {
    throw new InvalidArgumentError(`name must be a Python identifier (ASCII letters, digits, _), got ${describeValue(name)}`);
  }
  return name;
}

/**
 * Encodes a value for `ctx.set`: bytes as they are, anything else as JSON (refused with a
 * clear error when JSON cannot carry it).
 *
 * @example
 * ```ts
 * encodeValue('rows', [1, 2]) // { json: '[1,2]' }
 * ```
 */
export function encodeValue(name: string, value: unknown): EncodedValue {
  if (value instanceof Uint8Array) return { bytes: value };
  return { json: toJson(value, `the value of ${name}`) };
}

/**
 * Checks file data for `box.fs.writeFile` and `files`.
 *
 * @example
 * ```ts
 * checkFileData('text', 'data') // ok
 * ```
 */
export function checkFileData(data: unknown, what = 'data'): void {
  if (typeof data !== 'string' && !(data instanceof Uint8Array)) {
    throw new InvalidArgumentError(`${what} must be a string or a Uint8Array, got ${describeValue(data)}`);
  }
}

/**
 * Checks a path argument of `box.fs.*`.
 *
 * @example
 * ```ts
 * checkPath('/data/a.txt')
 * ```
 */
export function checkPath(path: unknown): string {
  hostApiPath(path);
  return path as string;
}

/**
 * Checks the options of `box.fs.rm`.
 *
 * @example
 * ```ts
 * checkRmOptions({ recursive: true })
 * ```
 */
export function checkRmOptions(options: unknown): { recursive?: boolean; force?: boolean } {
  const checked = checkOptions<{ recursive?: boolean; force?: boolean }>(options, ['recursive', 'force'], 'rm options');
  for (const key of ['recursive', 'force'] as const) {
    if (checked[key] !== undefined && typeof checked[key] !== 'boolean') {
      throw new InvalidArgumentError(`rm options.${key} must be true or false, got ${describeValue(checked[key])}`);
    }
  }
  return checked;
}

/**
 * The result of one pending call of a paused run, supplied by the host: a value (what JSON
 * carries, like a tool's result), or an error Python raises (its `name` picks the exception
 * type, as a tool handler's error does).
 *
 * @example
 * ```ts
 * const yes: PausedCallResult = { id: 1, value: { approved: true } }
 * const no: PausedCallResult = { id: 1, error: Object.assign(new Error('refused'), { name: 'PermissionError' }) }
 * ```
 */
export type PausedCallResult = { id: number; value: unknown } | { id: number; error: unknown };

/**
 * Options of `PausedRun.resume` (unknown keys are refused).
 *
 * @example
 * ```ts
 * await run.resume({ results: [{ id: 1, value: true }], onStdout: (t) => process.stdout.write(t) })
 * ```
 */
export interface ResumeOptions extends Omit<ExecOptions, 'filename'> {
  /** Results of pending calls, by id; the other pending calls go to the tools given to `PyBox.restore`. */
  results?: PausedCallResult[];
}

/**
 * Checks the options of `PausedRun.resume` against the calls the run waits on.
 *
 * @example
 * ```ts
 * const { results, exec } = checkResume({ results: [{ id: 1, value: true }] }, run.pending)
 * ```
 */
export function checkResume(options: unknown, pending: readonly { id: number; tool: string }[]): { results: ToolOutcome[]; exec: CheckedExecOptions } {
  const { results, ...rest } = checkOptions<ResumeOptions>(options, ['results', ...EXEC_OPTION_KEYS.filter((k) => k !== 'filename')], 'resume options');
  const exec = checkExec('', rest);
  if (results !== undefined && !Array.isArray(results)) {
    throw new InvalidArgumentError(`resume options.results must be an array of { id, value } or { id, error }, got ${describeValue(results)}`);
  }
  const ids = new Set(pending.map((p) => p.id));
  const seen = new Set<number>();
  const outcomes: ToolOutcome[] = [];
  for (const [i, r] of (results ?? []).entries()) {
    const what = `resume options.results[${i}]`;
    const item = checkOptions<{ id: number; value: unknown; error: unknown }>(r, ['id', 'value', 'error'], what);
    if (r === undefined || typeof item.id !== 'number' || !ids.has(item.id)) {
      throw new InvalidArgumentError(`${what}.id must be the id of a pending call (${[...ids].join(', ') || 'none'}), got ${describeValue(item.id)}`);
    }
    if (seen.has(item.id)) throw new InvalidArgumentError(`${what}: call ${item.id} has a result already`);
    seen.add(item.id);
    const hasValue = 'value' in item;
    if (hasValue === 'error' in item) throw new InvalidArgumentError(`${what} must have either value or error`);
    if (hasValue) {
      toJson(item.value === undefined ? null : item.value, `${what}.value`); // refused here, on every engine alike
      outcomes.push({ id: item.id, ok: true, value: item.value === undefined ? null : item.value });
    } else {
      outcomes.push({ id: item.id, ok: false, error: toolErrorFields(item.error) });
    }
  }
  return { results: outcomes, exec };
}

/**
 * Checks the arguments of `PyBox.restore`: the bytes, and options common to every runtime plus the runtime's own keys.
 *
 * @example
 * ```ts
 * checkRestore(bytes, { tools, maxBytes: 64 * 1024 * 1024 }, ['inThread', 'mounts'])
 * ```
 */
export function checkRestore(bytes: unknown, options: unknown, runtimeKeys: readonly string[]): void {
  if (!(bytes instanceof Uint8Array)) {
    throw new InvalidArgumentError(`PyBox.restore needs the Uint8Array box.snapshot() returned, got ${describeValue(bytes)}`);
  }
  if (typeof options === 'object' && options !== null) {
    for (const key of ['env', 'limits', 'files']) {
      if (key in options) {
        throw new InvalidArgumentError(`PyBox.restore options cannot set ${key}: a restored box has the ${key} of its snapshot`);
      }
    }
  }
  const checked = checkOptions<Record<string, unknown>>(options, ['tools', 'validateResults', 'maxBytes', ...runtimeKeys], 'PyBox.restore options');
  if (checked.tools !== undefined) checkTools(checked.tools);
  if (checked.validateResults !== undefined && typeof checked.validateResults !== 'boolean') {
    throw new InvalidArgumentError(`validateResults must be true or false, got ${describeValue(checked.validateResults)}`);
  }
  const max = checked.maxBytes;
  if (max !== undefined && (typeof max !== 'number' || !Number.isSafeInteger(max) || max < 1)) {
    throw new InvalidArgumentError(`maxBytes must be a whole number of bytes, at least 1, got ${describeValue(max)}`);
  }
}
