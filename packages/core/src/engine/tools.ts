/**
 * Host tools as the engine runs them: checking definitions, turning what a
 * handler does into a result for the guest, and waiting on the calls of an
 * exec together with what else can end the wait.
 */
import { AbortedError, ToolDefinitionError, WallTimeLimitError } from '../errors.js';
import { toJson } from '../json.js';
import { now } from './clock.js';
import type { EngineExecOptions, EngineTool } from './engine.js';

/** A Python identifier (ASCII): tool, parameter and value names. */
export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A settled tool call: its JSON entry for `pybox_resume`, encoded once. */
export type Settled = { id: number; json: string };

/** Marks an async function, whose handler can never answer synchronously. */
export function isAsyncFunction(fn: unknown): boolean {
  return typeof fn === 'function' && fn.constructor?.name === 'AsyncFunction';
}

/** A tool as `pybox_define_tools` takes it: no handler, and whether Python may call it synchronously. */
export function guestToolSpec(tool: EngineTool): object {
  return {
    name: tool.name,
    description: tool.description ?? '',
    ...(tool.doc === undefined ? {} : { doc: tool.doc }),
    parameters: tool.parameters ?? { type: 'object', properties: {} },
    sync: tool.sync ?? !isAsyncFunction(tool.handler),
  };
}

/** Whether a handler's return value is a promise (or any thenable). */
export function isThenable(x: unknown): x is PromiseLike<unknown> {
  return typeof x === 'object' && x !== null && typeof (x as { then?: unknown }).then === 'function';
}

/** A handler's value, as the JSON entry the guest expects (a TypeError if JSON cannot carry it). */
export function settleValue(id: number, value: unknown, tool: string): Settled {
  try {
    const json = toJson(value === undefined ? null : value, `the result of tool ${tool}`);
    return { id, json: `{"id":${id},"ok":true,"value":${json}}` };
  } catch (e) {
    return settleError(id, e instanceof Error ? Object.assign(new Error(e.message), { name: 'TypeError' }) : e);
  }
}

/** A handler's error, keeping its `name` (the Python exception type when it is a builtin). */
export function settleError(id: number, e: unknown): Settled {
  const err = e instanceof Error ? e : new Error(String(e));
  const error = { name: String(err.name || 'Error'), message: String(err.message) };
  return { id, json: `{"id":${id},"ok":false,"error":${JSON.stringify(error)}}` };
}

/**
 * The tool calls an exec waits on, and what else can end a wait: the next
 * asyncio timer, the wall-clock limit, an abort. Timers and listeners are
 * set up once per exec, not once per wait.
 */
export class ToolWaits {
  private readonly pending = new Set<number>();
  private ready: string[] = [];
  private wake: (() => void) | null = null;
  private failure: Error | null = null;
  private wallTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly onAbort = () => this.fail(new AbortedError('the exec was aborted'));

  constructor(
    private readonly options: EngineExecOptions,
    started: number,
  ) {
    if (options.wallTimeoutMs) {
      const ms = options.wallTimeoutMs;
      this.wallTimer = setTimeout(
        () => this.fail(new WallTimeLimitError(`the exec ran past its wall-clock limit of ${ms} ms`)),
        Math.max(0, started + ms - now()),
      );
    }
    options.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  private fail(e: Error): void {
    this.failure ??= e;
    this.wake?.();
  }

  /** Tracks a started call; its result joins the next batch when it settles. */
  add(id: number, started: Promise<Settled> | Settled): void {
    if (this.pending.has(id)) return;
    this.pending.add(id);
    if (started instanceof Promise) void started.then((s) => this.settle(s));
    else this.settle(started);
  }

  private settle(s: Settled): void {
    if (!this.pending.delete(s.id)) return;
    this.ready.push(s.json);
    this.wake?.();
  }

  /** Waits for at least one result (or the timer) and returns the batch as JSON array items. */
  async next(wakeAfterMs: number | undefined): Promise<string> {
    if (this.ready.length === 0 && !this.failure) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        if (wakeAfterMs !== undefined) timer = setTimeout(resolve, wakeAfterMs);
      });
      this.wake = null;
      if (timer !== undefined) clearTimeout(timer);
      // Other calls still running may settle in this same turn (timers that expire together):
      // let them, and resume Python once for all of them instead of once each.
      if (this.pending.size > 0 && !this.failure) await nextTurn();
    }
    if (this.failure) throw this.failure;
    const batch = this.ready.join(',');
    this.ready = [];
    return batch;
  }

  dispose(): void {
    clearTimeout(this.wallTimer);
    this.options.signal?.removeEventListener('abort', this.onAbort);
  }
}

/** Checks a tool definition, throwing {@link ToolDefinitionError} with what to fix. */
export function validateTool(tool: EngineTool): void {
  if (!tool || typeof tool !== 'object') throw new ToolDefinitionError('a tool must be an object');
  if (typeof tool.name !== 'string' || !IDENTIFIER.test(tool.name)) {
    throw new ToolDefinitionError(`tool name must be a Python identifier, got ${JSON.stringify(tool.name)}`);
  }
  if (typeof tool.handler !== 'function') {
    throw new ToolDefinitionError(`tool ${tool.name} needs a handler function`);
  }
  if (tool.description !== undefined && typeof tool.description !== 'string') {
    throw new ToolDefinitionError(`tool ${tool.name}: description must be a string`);
  }
  const p = tool.parameters;
  if (p !== undefined) {
    if (typeof p !== 'object' || p === null || (p.type !== undefined && p.type !== 'object')) {
      throw new ToolDefinitionError(`tool ${tool.name}: parameters must be a JSON Schema with type "object"`);
    }
    if (p.properties !== undefined && (typeof p.properties !== 'object' || p.properties === null)) {
      throw new ToolDefinitionError(`tool ${tool.name}: parameters.properties must be an object`);
    }
    if (p.required !== undefined && !(Array.isArray(p.required) && p.required.every((r) => typeof r === 'string'))) {
      throw new ToolDefinitionError(`tool ${tool.name}: parameters.required must be an array of names`);
    }
  }
}

let turnChannel: MessageChannel | undefined;
const turnWaiters: (() => void)[] = [];

/**
 * Resolves after the current macrotask and the ones already due: `setImmediate`
 * in Node, a MessageChannel message in browsers (setTimeout(0) may be clamped).
 */
export function nextTurn(): Promise<void> {
  const setImmediate = (globalThis as { setImmediate?: (callback: () => void) => unknown }).setImmediate;
  return new Promise((resolve) => {
    if (setImmediate) {
      setImmediate(resolve);
      return;
    }
    if (!turnChannel) {
      turnChannel = new MessageChannel();
      turnChannel.port1.onmessage = () => turnWaiters.shift()?.();
    }
    turnWaiters.push(resolve);
    turnChannel.port2.postMessage(0);
  });
}
