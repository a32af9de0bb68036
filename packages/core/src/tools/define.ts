/**
 * From the tools a user gives (definitions with any schema, or a record of
 * AI SDK tools) to the engine's tools: schemas resolved to JSON Schema,
 * handlers wrapped so that arguments are validated before they run, results
 * optionally checked, and every call reported to the box's listeners.
 */
import { isThenable } from '../engine/tools.js';
import type { EngineTool, JsonSchemaObject } from '../engine/types.js';
import { ToolDefinitionError } from '../errors.js';
import type { ToolCallEvent, ToolDefinition, ToolsInput } from '../api/types.js';
import { resolveSchema, type AiSdkTool, type ResolvedSchema } from './schema.js';
import { renderStubs, type StubSource } from './stubs.js';
import { createCheck, type Check, type CheckResult } from './validate.js';

/** A tool ready for the engine, and what its stub is made from. */
export interface PreparedTool {
  engine: EngineTool;
  stub: StubSource;
}

/** How the wrapped handlers behave. */
export interface PrepareOptions {
  /** Check results against `outputSchema` (development mode). */
  validateResults: boolean;
  /** Receives every call once it settled. */
  onCall: (event: ToolCallEvent) => void;
}

const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());
let callCounter = 0;

/**
 * Resolves every schema and wraps every handler.
 * @throws ToolDefinitionError when a definition or a schema is invalid
 */
export async function prepareTools(input: ToolsInput, options: PrepareOptions): Promise<PreparedTool[]> {
  const definitions = toDefinitions(input);
  return Promise.all(definitions.map((d) => prepare(d, options)));
}

/** Both accepted shapes as one list of definitions. */
function toDefinitions(input: ToolsInput): ToolDefinition[] {
  if (Array.isArray(input)) return input;
  if (typeof input !== 'object' || input === null) {
    throw new ToolDefinitionError('tools must be an array of tool definitions or a record of AI SDK tools keyed by name');
  }
  return Object.entries(input as Record<string, AiSdkTool>).map(([name, tool]) => fromAiSdk(name, tool));
}

/** An AI SDK tool (`tool({ description, inputSchema, execute })`) as a definition. */
function fromAiSdk(name: string, tool: AiSdkTool): ToolDefinition {
  if (typeof tool !== 'object' || tool === null) throw new ToolDefinitionError(`tool ${name} must be an object`);
  const execute = tool.execute as ((input: unknown, options: { toolCallId: string; messages: unknown[] }) => unknown) | undefined;
  if (typeof execute !== 'function') {
    throw new ToolDefinitionError(
      `tool ${name} has no execute function: PyBox runs tools on the host, so provider-executed tools cannot be called from Python`,
    );
  }
  return {
    name,
    description: describeAiSdkTool(name, tool.description),
    parameters: tool.inputSchema as ToolDefinition['parameters'],
    outputSchema: tool.outputSchema as ToolDefinition['outputSchema'],
    handler: (args) => finalOutput(execute(args, { toolCallId: `pybox_${++callCounter}`, messages: [] })),
  };
}

/**
 * What an AI SDK tool's `execute` gave, as its final output: an `async function*` execute
 * streams preliminary results, and its output is the last value it yields (as in the AI SDK).
 */
function finalOutput(out: unknown): unknown {
  if (isThenable(out) || typeof (out as AsyncIterable<unknown> | null)?.[Symbol.asyncIterator] !== 'function') return out;
  return (async () => {
    let last: unknown;
    for await (const value of out as AsyncIterable<unknown>) last = value;
    return last;
  })();
}

/** An AI SDK description: a string, or a function of the call's context (AI SDK 7), which PyBox has none of. */
function describeAiSdkTool(name: string, description: unknown): string | undefined {
  if (typeof description === 'string' || description === undefined) return description;
  if (typeof description !== 'function') throw new ToolDefinitionError(`tool ${name}: description must be a string or a function`);
  try {
    const text: unknown = (description as (options: { context: undefined }) => unknown)({ context: undefined });
    if (typeof text === 'string') return text;
  } catch (e) {
    throw new ToolDefinitionError(`tool ${name}: its description function failed without a context (${e instanceof Error ? e.message : String(e)}): give a string`);
  }
  throw new ToolDefinitionError(`tool ${name}: its description function must return a string`);
}

async function prepare(tool: ToolDefinition, options: PrepareOptions): Promise<PreparedTool> {
  if (!tool || typeof tool !== 'object') throw new ToolDefinitionError('a tool must be an object');
  const label = `tool ${typeof tool.name === 'string' ? tool.name : JSON.stringify(tool.name)}`;
  if (typeof tool.handler !== 'function') throw new ToolDefinitionError(`${label} needs a handler function`);
  const parameters = await resolveSchema(tool.parameters ?? { type: 'object', properties: {} }, `${label}: parameters`);
  const output = tool.outputSchema === undefined ? undefined : await resolveSchema(tool.outputSchema, `${label}: outputSchema`);
  const json = parameters.json;
  if (typeof json !== 'object' || (json.type !== undefined && json.type !== 'object')) {
    throw new ToolDefinitionError(`${label}: parameters must describe an object (JSON Schema type "object"): Python passes arguments by name`);
  }
  const name = tool.name;
  const checkArgs = createCheck(parameters, { tool: name, kind: 'arguments' });
  const checkResult = output && options.validateResults ? createCheck(output, { tool: name, kind: 'result' }) : undefined;
  const stub: StubSource = { name, description: tool.description, parameters: json, outputSchema: output?.json };
  const defaults = topLevelDefaults(json);
  const handler = wrapHandler(name, tool.handler, checkArgs, checkResult, defaults, options.onCall);
  return {
    stub,
    engine: {
      name,
      description: tool.description,
      parameters: json as JsonSchemaObject,
      doc: renderStubs([stub]),
      handler,
      // The wrapper is a plain function; whether Python may call it without await is the handler's.
      sync: !isAsync(tool.handler),
    },
  };
}

/**
 * The handler the engine calls: validate, apply defaults, run, check the
 * result, report. Synchronous as long as every step is, so that plain
 * handlers keep working without `await` on the in-thread engine.
 */
function wrapHandler(
  name: string,
  handler: (args: Record<string, unknown>) => unknown,
  checkArgs: Check,
  checkResult: Check | undefined,
  defaults: [string, unknown][],
  onCall: (event: ToolCallEvent) => void,
): (args: Record<string, unknown>) => unknown {
  return (args) => {
    const started = now();
    const id = ++callCounter;
    const report = (event: { ok: true; result: unknown } | { ok: false; error: unknown }) => {
      const ms = now() - started;
      try {
        if (event.ok) onCall({ id, name, args, ok: true, result: event.result, ms });
        else onCall({ id, name, args, ok: false, error: errorInfo(event.error), ms });
      } catch {
        // A listener's bug must not change what Python sees.
      }
    };
    const run = (checked: CheckResult) => {
      if (!checked.ok) throw checked.error;
      return handler(withDefaults(checked.value, defaults));
    };
    const verify = (value: unknown) => {
      if (!checkResult) return value;
      return chain(checkResult(value), (r) => {
        if (!r.ok) throw r.error;
        return value; // the handler's value as it was: transforms apply to inputs only
      });
    };
    try {
      const out = chain(chain(checkArgs(args), run), verify);
      if (out instanceof Promise) {
        return out.then(
          (result) => (report({ ok: true, result }), result),
          (error: unknown) => {
            report({ ok: false, error });
            throw error;
          },
        );
      }
      report({ ok: true, result: out });
      return out;
    } catch (error) {
      report({ ok: false, error });
      throw error;
    }
  };
}

/** `f(x)` now when `x` is a value, after it when `x` is a promise (or thenable). */
function chain<T, U>(x: T | PromiseLike<T>, f: (value: T) => U | PromiseLike<U>): U | Promise<U> {
  if (isThenable(x)) return Promise.resolve(x as PromiseLike<T>).then(f);
  const y = f(x as T);
  return isThenable(y) ? Promise.resolve(y as PromiseLike<U>) : (y as U);
}

function isAsync(fn: unknown): boolean {
  return typeof fn === 'function' && fn.constructor?.name === 'AsyncFunction';
}

/** The defaults of top-level parameters: the stub shows them, so the handler gets them. */
function topLevelDefaults(json: ResolvedSchema['json']): [string, unknown][] {
  if (typeof json !== 'object') return [];
  const props = json.properties;
  if (typeof props !== 'object' || props === null) return [];
  return Object.entries(props as Record<string, unknown>).flatMap(([key, schema]) =>
    typeof schema === 'object' && schema !== null && 'default' in schema ? [[key, (schema as { default: unknown }).default]] : [],
  ) as [string, unknown][];
}

function withDefaults(value: unknown, defaults: [string, unknown][]): Record<string, unknown> {
  if (defaults.length === 0 || typeof value !== 'object' || value === null || Array.isArray(value)) {
    return value as Record<string, unknown>;
  }
  const args = value as Record<string, unknown>;
  const missing = defaults.filter(([key]) => !(key in args));
  if (missing.length === 0) return args;
  const out = { ...args };
  for (const [key, v] of missing) out[key] = structuredClone(v);
  return out;
}

function errorInfo(e: unknown): { type: string; message: string } {
  if (e instanceof Error) return { type: e.name || 'Error', message: e.message };
  return { type: 'Error', message: String(e) };
}
