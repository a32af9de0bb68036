/**
 * Host tools as the engine runs them: checking definitions, running
 * handlers and turning what they do into results for the guest, and waiting
 * on the calls of an exec together with what else can end the wait.
 */
import { AbortedError, describeThrown, ToolDefinitionError, WallTimeLimitError } from '../errors.js';
import { toJson } from '../json.js';
import type { ToolRequest } from './abi.js';
import { now } from './clock.js';
import type { EngineExecOptions, EngineTool } from './types.js';

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

/** The longest delay timers hold (setTimeout fires at once past it). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Whether a handler's return value is a promise (or any thenable); a `then` getter that throws makes it one that rejects. */
export function isThenable(x: unknown): x is PromiseLike<unknown> {
  if ((typeof x !== 'object' && typeof x !== 'function') || x === null) return false;
  try {
    return typeof (x as { then?: unknown }).then === 'function';
  } catch {
    return true; // Promise.resolve() will read `then` again and reject with its error
  }
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

/**
 * A handler's error, keeping its `name` (the Python exception type when it
 * is a builtin). Whatever was thrown, this never throws: a value without a
 * usable name or message becomes a ToolError saying what was thrown.
 */
export function settleError(id: number, e: unknown): Settled {
  return { id, json: `{"id":${id},"ok":false,"error":${JSON.stringify(toolErrorFields(e))}}` };
}

/** The `{ name, message }` a thrown value crosses into Python as. */
export function toolErrorFields(e: unknown): { name: string; message: string } {
  const { name, message } = describeThrown(e);
  // Only names of real Errors pick the Python exception type; anything else is a ToolError.
  return { name: isError(e) ? name : 'ToolError', message };
}

function isError(e: unknown): boolean {
  try {
    return e instanceof Error;
  } catch {
    return false; // a Proxy whose getPrototypeOf trap throws
  }
}

/**
 * The box's tools and the calls they are running: starts handlers for the
 * guest's requests, and answers synchronous calls (`call_tool`).
 *
 * @example
 * ```ts
 * const tools = new ToolRunner()
 * tools.define([{ name: 'add', handler: ({ a, b }) => Number(a) + Number(b) }])
 * const settled = tools.start({ id: 1, tool: 'add', args: { a: 1, b: 2 } })
 * ```
 */
export class ToolRunner {
  private readonly tools = new Map<string, EngineTool>();
  /** Tool calls started synchronously whose handler returned a Promise. */
  private readonly early = new Map<number, Promise<Settled>>();
  private nextEarlyId = -1;

  /** Adds or replaces tools (the guest has accepted their specs). */
  define(tools: EngineTool[]): void {
    for (const tool of tools) this.tools.set(tool.name, tool);
  }

  /** The specs of every tool, for defining them again in a restored guest. */
  specs(): object[] {
    return [...this.tools.values()].map(guestToolSpec);
  }

  /** Runs a tool handler and turns whatever it does into a settled result. */
  start(req: ToolRequest): Promise<Settled> | Settled {
    const kept = this.takeUndelivered(req);
    if (kept) return kept;
    const tool = this.tools.get(req.tool);
    if (!tool) return settleError(req.id, Object.assign(new Error(`unknown tool ${req.tool}`), { name: 'ToolError' }));
    let out: unknown;
    try {
      out = tool.handler(req.args);
    } catch (e) {
      return settleError(req.id, e);
    }
    if (isThenable(out)) {
      let pending: Promise<unknown>;
      try {
        pending = Promise.resolve(out);
      } catch (e) {
        return settleError(req.id, e);
      }
      return pending.then(
        (value) => settleValue(req.id, value, req.tool),
        (e: unknown) => settleError(req.id, e),
      );
    }
    return settleValue(req.id, out, req.tool);
  }

  /**
   * The `call_tool` import: a tool called without `await` from Python.
   * `put` copies the answer into guest memory and returns its pointer.
   */
  callSync(requestJson: string, put: (json: string) => number): number {
    const req = JSON.parse(requestJson) as { tool: string; args: Record<string, unknown> };
    const id = this.nextEarlyId--;
    const started = this.start({ id, tool: req.tool, args: req.args });
    if (started instanceof Promise) {
      // The handler went async after all: keep its promise and let Python await it.
      this.early.set(id, started);
      return put(`{"pending":${id}}`);
    }
    const ptr = put(started.json);
    if (ptr !== 0) return ptr;
    // The result does not fit in the guest's memory budget. The handler has run: never run it
    // again, answer with a MemoryError instead (small enough to fit where the result did not).
    const tooBig = put(
      `{"ok":false,"error":${JSON.stringify({
        name: 'MemoryError',
        message: `the result of tool ${req.tool} (${(started.json.length / 1e6).toFixed(1)} MB of JSON) does not fit in the box's memory limit`,
      })}}`,
    );
    if (tooBig !== 0) return tooBig;
    // Not even that fits: the guest falls back to requesting the call asynchronously; hand it
    // this settled result then instead of calling the handler a second time.
    this.undelivered = { key: callKey(req.tool, req.args), settled: started };
    return 0;
  }

  /** A settled synchronous call whose answer could not be handed over, by its call key. */
  private undelivered: { key: string; settled: Settled } | null = null;

  /** The result kept for a call that already ran (see {@link callSync}), re-addressed to `id`. */
  private takeUndelivered(req: ToolRequest): Settled | null {
    const kept = this.undelivered;
    if (!kept || kept.key !== callKey(req.tool, req.args)) return null;
    this.undelivered = null;
    const json = kept.settled.json.replace(/^\{"id":-?\d+,/, `{"id":${req.id},`);
    return { id: req.id, json };
  }

  /** Hands the promises of synchronous calls that went async to the exec that awaits them. */
  takeEarly(into: ToolWaits): void {
    for (const [id, p] of this.early) {
      this.early.delete(id);
      into.add(id, p);
    }
  }
}

/** Identifies a call by its tool and arguments. */
function callKey(tool: string, args: unknown): string {
  return `${tool}\u0000${JSON.stringify(args)}`;
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
        Math.min(Math.max(0, started + ms - now()), MAX_TIMER_MS),
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
    if (started instanceof Promise) {
      void started.then(
        (s) => this.settle(s),
        (e: unknown) => this.settle(settleError(id, e)),
      );
    } else {
      this.settle(started);
    }
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
        if (wakeAfterMs !== undefined) timer = setTimeout(resolve, Math.min(wakeAfterMs, MAX_TIMER_MS));
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
