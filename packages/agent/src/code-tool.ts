/**
 * `codeTool({ context })`: the one tool a model needs, `run_python({ code })`,
 * with its handler, rendered for the Anthropic Messages API, OpenAI Chat
 * Completions, OpenAI Responses and the Vercel AI SDK.
 */
import {
  AbortedError,
  BoxClosedError,
  ContextBusyError,
  ContextDisposedError,
  InvalidArgumentError,
  PyBoxError,
  type Context,
  type JsonSchemaObject,
} from '@pybox/core';
import { codeToolDescription } from './prompt.js';
import { formatResult, type CodeRunResult } from './result.js';

/**
 * The code tool's name: fixed, because programs are written against it.
 *
 * @example
 * ```ts
 * if (call.name === CODE_TOOL_NAME) await code.call(call.arguments)
 * ```
 */
export const CODE_TOOL_NAME = 'run_python';

/** Options of {@link codeTool}. */
export interface CodeToolOptions {
  /** Where the code runs; its state persists from one call to the next. */
  context: Context;
  /** Characters of result text the model gets back (head and tail are kept past it). Default 20,000. */
  maxOutputChars?: number;
  /** CPU time limit of one run in ms (default: the box's). */
  timeoutMs?: number;
  /** Wall-clock limit of one run in ms, tool waits included (default: the box's). */
  wallTimeoutMs?: number;
  /** Extra guidance appended to the tool description (data formats, conventions). */
  instructions?: string;
  /** List only these tools' stubs in the description (default: all the box's tools). */
  tools?: string[];
}

/** Options of one run. */
export interface CodeRunOptions {
  /** Stops the run (`AbortedError`). */
  signal?: AbortSignal;
  /** Receives output as Python prints it. If it throws (or returns a promise that rejects), the exec stops with `CallbackError`. */
  onOutput?: (stream: 'stdout' | 'stderr', text: string) => void;
}

/** The code tool: its definition, its handler and its renderings per API. */
export interface CodeTool {
  /** Always `run_python`. */
  readonly name: typeof CODE_TOOL_NAME;
  /** How to write PTC code, and the stubs of the box's tools (computed when read: tools defined later appear). */
  readonly description: string;
  /** `{ code: string }`, required. */
  readonly inputSchema: JsonSchemaObject;
  /** Runs code in the context and formats what the model should read. Aborts reject with `AbortedError`. */
  run(code: string, options?: CodeRunOptions): Promise<CodeRunResult>;
  /**
   * Handles a call as a model made it: the arguments as JSON text or an
   * object. Malformed arguments (not JSON, no `code` string) come back as an
   * error result for the model, never a throw.
   */
  call(args: string | unknown, options?: CodeRunOptions): Promise<CodeRunResult>;
  /** For the Anthropic Messages API: `{ name, description, input_schema }`. */
  anthropic(): { name: string; description: string; input_schema: JsonSchemaObject };
  /** For OpenAI Chat Completions: `{ type: 'function', function: { name, description, parameters } }`. */
  openaiChat(): { type: 'function'; function: { name: string; description: string; parameters: JsonSchemaObject } };
  /** For the OpenAI Responses API: `{ type: 'function', name, description, parameters }`. */
  openaiResponses(): { type: 'function'; name: string; description: string; parameters: JsonSchemaObject; strict: false };
  /**
   * For the Vercel AI SDK, the shape `tool()` returns: `{ description,
   * inputSchema, execute }`. `inputSchema` is a Standard JSON Schema, which
   * the AI SDK reads without zod; `execute` returns the result text.
   */
  aiSdk(): AiSdkCodeTool;
}

/** {@link CodeTool.aiSdk}'s value: pass it as `tools: { run_python: code.aiSdk() }`. */
export interface AiSdkCodeTool {
  description: string;
  inputSchema: StandardJsonSchemaOf<{ code: string }>;
  execute: (input: { code: string }, options?: { abortSignal?: AbortSignal }) => Promise<string>;
}

/** A minimal Standard Schema + Standard JSON Schema object (https://standardschema.dev). */
export interface StandardJsonSchemaOf<T> {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: string;
    readonly types?: { readonly input: T; readonly output: T };
    readonly validate: (value: unknown) => { value: T } | { issues: { message: string; path?: PropertyKey[] }[] };
    readonly jsonSchema: { input: (options: { target: string }) => Record<string, unknown>; output: (options: { target: string }) => Record<string, unknown> };
  };
}

const INPUT_SCHEMA: JsonSchemaObject = {
  type: 'object',
  properties: {
    code: { type: 'string', description: 'Python code to run. Top-level await works; print what you need to see.' },
  },
  required: ['code'],
  additionalProperties: false,
};

/**
 * Makes the code tool for a context.
 *
 * @example
 * ```ts
 * const code = codeTool({ context: await box.createContext() })
 * // Anthropic: tools: [code.anthropic()]; OpenAI chat: tools: [code.openaiChat()]
 * // AI SDK: generateText({ model, tools: { run_python: code.aiSdk() }, prompt })
 * const r = await code.call('{"code": "print(1 + 1)"}')   // r.text === '2'
 * ```
 */
export function codeTool(options: CodeToolOptions): CodeTool {
  const context = options?.context;
  if (!context || typeof context.exec !== 'function' || !context.box) {
    throw new InvalidArgumentError('codeTool({ context }) needs a PyBox context: await box.createContext()');
  }
  const maxChars = options.maxOutputChars ?? 20_000;
  const describe = () => codeToolDescription(context.box.describeTools(options.tools), options.instructions);
  describe(); // an unknown name in `tools` fails here, not in the middle of a run

  const run = async (code: string, runOptions: CodeRunOptions = {}): Promise<CodeRunResult> => {
    const chunks: string[] = [];
    const sink = (stream: 'stdout' | 'stderr') => (text: string) => {
      chunks.push(text);
      return runOptions.onOutput?.(stream, text); // an async onOutput's rejection stops the exec (CallbackError)
    };
    const started = now();
    try {
      const r = await context.exec(code, {
        filename: '<code>',
        onStdout: sink('stdout'),
        onStderr: sink('stderr'),
        ...(runOptions.signal ? { signal: runOptions.signal } : {}),
        ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
        ...(options.wallTimeoutMs ? { wallTimeoutMs: options.wallTimeoutMs } : {}),
      });
      const output = chunks.join('');
      if (r.ok) {
        return { text: formatResult({ output, repr: r.repr }, maxChars), ok: true, output, value: r.value, repr: r.repr, durationMs: r.durationMs };
      }
      return { text: formatResult({ output, error: r.error }, maxChars), ok: false, output, error: r.error, durationMs: r.durationMs };
    } catch (e) {
      // The run cannot go on (aborted, box gone, context in use): the caller decides.
      if (e instanceof AbortedError || e instanceof BoxClosedError || e instanceof ContextDisposedError || e instanceof ContextBusyError) throw e;
      if (!(e instanceof PyBoxError)) throw e;
      // Limits and crashes end this run only: the model reads what happened and can adapt.
      const output = chunks.join('');
      const error = { type: e.name, message: e.message, traceback: `${e.name}: ${e.message}` };
      return { text: formatResult({ output, error }, maxChars), ok: false, output, error, durationMs: now() - started };
    }
  };

  const call = async (args: string | unknown, runOptions?: CodeRunOptions): Promise<CodeRunResult> => {
    const parsed = parseArguments(args);
    if (typeof parsed === 'string') {
      const error = { type: 'InvalidToolCall', message: parsed, traceback: `Error: ${parsed}` };
      return { text: error.traceback, ok: false, output: '', error, durationMs: 0 };
    }
    return run(parsed.code, runOptions);
  };

  return {
    name: CODE_TOOL_NAME,
    get description() {
      return describe();
    },
    inputSchema: INPUT_SCHEMA,
    run,
    call,
    anthropic: () => ({ name: CODE_TOOL_NAME, description: describe(), input_schema: INPUT_SCHEMA }),
    openaiChat: () => ({ type: 'function', function: { name: CODE_TOOL_NAME, description: describe(), parameters: INPUT_SCHEMA } }),
    openaiResponses: () => ({ type: 'function', name: CODE_TOOL_NAME, description: describe(), parameters: INPUT_SCHEMA, strict: false }),
    aiSdk: () => ({
      description: describe(),
      inputSchema: standardJsonSchema(),
      execute: async ({ code }, executeOptions) => (await run(code, { signal: executeOptions?.abortSignal })).text,
    }),
  };
}

/** The `code` argument, or why the call is malformed (a message for the model). */
export function parseArguments(args: string | unknown): { code: string } | string {
  let value = args;
  if (typeof args === 'string') {
    try {
      value = JSON.parse(args === '' ? '{}' : args);
    } catch (e) {
      return `the arguments of ${CODE_TOOL_NAME} are not valid JSON (${e instanceof Error ? e.message : String(e)}): send {"code": "<python source>"}`;
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return `the arguments of ${CODE_TOOL_NAME} must be a JSON object: send {"code": "<python source>"}`;
  }
  const code = (value as Record<string, unknown>).code;
  if (typeof code !== 'string') {
    const keys = Object.keys(value);
    return `${CODE_TOOL_NAME} needs a "code" string argument${keys.length ? ` (got ${keys.map((k) => JSON.stringify(k)).join(', ')})` : ''}: send {"code": "<python source>"}`;
  }
  if (!code.trim()) return `the "code" argument of ${CODE_TOOL_NAME} is empty: send the Python source to run`;
  return { code };
}

function standardJsonSchema(): StandardJsonSchemaOf<{ code: string }> {
  return {
    '~standard': {
      version: 1,
      vendor: 'pybox',
      validate: (value) => {
        const parsed = parseArguments(value);
        return typeof parsed === 'string' ? { issues: [{ message: parsed, path: ['code'] }] } : { value: parsed };
      },
      jsonSchema: { input: () => structuredClone(INPUT_SCHEMA), output: () => structuredClone(INPUT_SCHEMA) },
    },
  };
}

const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());
