/**
 * `runAgent`: ask the model, run each `run_python` call in the context, feed
 * the result back, repeat until the model answers without a tool call or a
 * budget (steps, tokens, time) ends the run.
 */
import { AbortedError, InvalidArgumentError, type Context, type PyBoxBase, type ToolCallEvent } from '@pybox/core';
import { CODE_TOOL_NAME, codeTool, parseArguments, type CodeToolOptions } from './code-tool.js';
import type { Model, ModelMessage, ModelResponse, ModelToolCall, ModelToolResult, ModelUsage } from './model.js';
import { DEFAULT_SYSTEM_PROMPT } from './prompt.js';
import type { CodeRunResult } from './result.js';

/**
 * Options of {@link runAgent}. Give `context` (its state is kept) or `box` (a fresh context, disposed at the end).
 *
 * @example
 * ```ts
 * const options: RunAgentOptions = { context, model, task: 'Summarise /data/sales.csv', maxSteps: 6, timeoutMs: 120_000 }
 * ```
 */
export interface RunAgentOptions {
  /** Where the code runs; variables persist across steps and across runs. */
  context?: Context;
  /** A box to run in: the run makes a fresh context and disposes it when done. */
  box?: PyBoxBase;
  /** The model: `anthropic(...)`, `openai(...)`, `scripted(...)` or your own {@link Model}. */
  model: Model;
  /** The user's request. */
  task: string;
  /** Replaces {@link DEFAULT_SYSTEM_PROMPT}. The tool stubs are in the code tool's description either way. */
  system?: string;
  /** Earlier conversation to continue (the `messages` of a previous result). */
  messages?: ModelMessage[];
  /** The most tool calls the loop answers (code runs and malformed calls). Default 10. */
  maxSteps?: number;
  /** The most tokens (input + output, all requests) the run may use; checked after each response. */
  maxTokens?: number;
  /** The most wall-clock time of the whole run, in ms. */
  timeoutMs?: number;
  /** Aborts the run at any point: it rejects with `AbortedError`. */
  signal?: AbortSignal;
  /** Receives what happens, as it happens. If it throws (or returns a promise that rejects), the run ends with that error at its next step. */
  onEvent?: (event: AgentEvent) => void;
  /** Options of the code tool (output limit, per-run limits, extra instructions). */
  codeTool?: Omit<CodeToolOptions, 'context'>;
}

/** One code run. */
export interface AgentStep {
  /** 1, 2, 3... */
  index: number;
  /** The id of the model's tool call. */
  callId: string;
  /** The code the model wrote. */
  code: string;
  /** The text the model got back. */
  output: string;
  /** Whether the code ran without an exception or a limit. */
  ok: boolean;
  /** The exception, when there was one. */
  error?: { type: string; message: string; traceback: string };
  /** The tool calls the code made. */
  toolCalls: ToolCallEvent[];
  /** Wall-clock time of the run. */
  durationMs: number;
}

/** Token and request counts of a run. */
export interface AgentUsage extends ModelUsage {
  totalTokens: number;
  /** Model requests made. */
  requests: number;
  /** Characters of all request bodies: what the model was given to read. */
  requestChars: number;
}

/** Why the run ended: the model answered, or a budget ran out. */
export type StopReason = 'answer' | 'max_steps' | 'max_tokens' | 'timeout';

/**
 * What {@link runAgent} resolves with.
 *
 * @example
 * ```ts
 * const r = await runAgent({ box, model, task })
 * if (r.stopReason !== 'answer') console.warn(r.stopMessage)
 * for (const step of r.steps) console.log(step.code, '→', step.output)
 * ```
 */
export interface AgentResult {
  /** The model's final answer (its last text when a budget ended the run). */
  text: string;
  /** One entry per code run. */
  steps: AgentStep[];
  usage: AgentUsage;
  stopReason: StopReason;
  /** When a budget ended the run: which, and what was left undone. */
  stopMessage?: string;
  /** The whole conversation, to continue it with `messages`. */
  messages: ModelMessage[];
  /** Where the time went: model calls, code runs, and the whole run (ms). */
  timing: { totalMs: number; modelMs: number; codeMs: number };
}

/**
 * What `onEvent` receives. `turn` counts model requests, `step` code runs.
 *
 * @example
 * ```ts
 * onEvent: (e) => {
 *   if (e.type === 'text') ui.appendText(e.delta)
 *   if (e.type === 'code') ui.showCode(e.step, e.code)
 *   if (e.type === 'tool_call') ui.logCall(e.call.name, e.call.args, e.call.ms)
 *   if (e.type === 'output') ui.appendOutput(e.step, e.text)
 * }
 * ```
 */
export type AgentEvent =
  | { type: 'model_start'; turn: number }
  | { type: 'text'; turn: number; delta: string }
  | { type: 'retry'; turn: number; attempt: number; delayMs: number; error: Error }
  | { type: 'model_end'; turn: number; text: string; toolCalls: ModelToolCall[]; usage: ModelUsage; ms: number }
  | { type: 'invalid_call'; turn: number; call: ModelToolCall; message: string }
  | { type: 'code'; step: number; callId: string; code: string }
  | { type: 'output'; step: number; stream: 'stdout' | 'stderr'; text: string }
  | { type: 'tool_call'; step: number; call: ToolCallEvent }
  | { type: 'step'; step: AgentStep }
  | { type: 'done'; result: AgentResult };

const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/** Why and how a budget stopped the run. */
type Stop = [reason: StopReason, message: string];

/**
 * Runs an agent that solves `task` by writing Python against the box's tools.
 *
 * @example
 * ```ts
 * import { PyBox } from '@pybox/node'
 * import { anthropic, runAgent } from '@pybox/agent'
 * const box = await PyBox.create({ tools })
 * const { text, steps, usage } = await runAgent({
 *   box,
 *   model: anthropic({ apiKey: process.env.ANTHROPIC_API_KEY, model: 'claude-sonnet-4-5' }),
 *   task: 'Which customer spent the most last month?',
 *   onEvent: (e) => e.type === 'text' && process.stdout.write(e.delta),
 * })
 * ```
 */
export async function runAgent(options: RunAgentOptions): Promise<AgentResult> {
  checkOptions(options);
  const started = now();
  const ownContext = !options.context;
  const context = options.context ?? (await options.box!.createContext({ name: 'agent' }));
  const run = new AgentRun(options, context, started);
  try {
    return await run.execute();
  } finally {
    run.dispose();
    if (ownContext) await context.dispose().catch(() => {});
  }
}

/** The state of one run. */
class AgentRun {
  private readonly steps: AgentStep[] = [];
  private readonly messages: ModelMessage[];
  private readonly usage: AgentUsage = { inputTokens: 0, outputTokens: 0, totalTokens: 0, requests: 0, requestChars: 0 };
  private readonly timing = { totalMs: 0, modelMs: 0, codeMs: 0 };
  private readonly abort = new AbortController();
  private readonly timer: ReturnType<typeof setTimeout> | undefined;
  private timedOut = false;
  /** Tool calls answered so far: code runs and malformed calls (what maxSteps counts). */
  private answered = 0;
  private listenerError: unknown = null;
  private readonly code;
  private readonly forwardAbort = () => this.abort.abort();

  constructor(
    private readonly options: RunAgentOptions,
    private readonly context: Context,
    private readonly started: number,
  ) {
    this.messages = [...(options.messages ?? []), { role: 'user', content: options.task }];
    this.code = codeTool({ ...options.codeTool, context });
    if (options.signal?.aborted) this.abort.abort();
    options.signal?.addEventListener('abort', this.forwardAbort, { once: true });
    if (options.timeoutMs !== undefined) {
      this.timer = setTimeout(() => {
        this.timedOut = true;
        this.abort.abort();
      }, options.timeoutMs);
    }
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.options.signal?.removeEventListener('abort', this.forwardAbort);
  }

  async execute(): Promise<AgentResult> {
    let lastText = '';
    try {
      for (let turn = 1; ; turn++) {
        this.checkpoint();
        const response = await this.ask(turn);
        lastText = response.text;
        this.messages.push({
          role: 'assistant',
          text: response.text,
          toolCalls: response.toolCalls,
          ...(response.providerData ? { providerData: response.providerData } : {}),
        });
        if (response.toolCalls.length === 0) return this.finish(response.text, 'answer');
        const overBudget =
          this.options.maxTokens !== undefined && this.usage.totalTokens > this.options.maxTokens
            ? (['max_tokens', `stopped after ${this.usage.totalTokens} tokens (maxTokens ${this.options.maxTokens}): the model still wanted to run code`] as Stop)
            : null;
        const { results, stop } = await this.answerAll(turn, response.toolCalls, overBudget);
        this.messages.push({ role: 'tool', results });
        if (stop) return this.finish(lastText, ...stop);
      }
    } catch (e) {
      if (this.timedOut && e instanceof AbortedError) return this.finish(lastText, ...this.timeoutStop());
      throw e;
    }
  }

  /**
   * Answers the calls of one turn in order. Once a budget or the timeout
   * stops the run, the remaining calls still get (error) results, so that
   * `messages` stays a valid conversation to continue.
   */
  private async answerAll(turn: number, calls: ModelToolCall[], stop: Stop | null): Promise<{ results: ModelToolResult[]; stop: Stop | null }> {
    const maxSteps = this.options.maxSteps ?? 10;
    const results: ModelToolResult[] = [];
    for (const call of calls) {
      if (!stop && this.answered >= maxSteps) {
        stop = ['max_steps', `stopped after ${maxSteps} steps (maxSteps): the model still wanted to run code`];
      }
      if (stop) {
        results.push({ callId: call.id, content: `Error: not run: ${stop[1]}`, isError: true });
        continue;
      }
      try {
        results.push(await this.answer(turn, call));
      } catch (e) {
        if (!(this.timedOut && e instanceof AbortedError)) throw e;
        stop = this.timeoutStop();
        results.push({ callId: call.id, content: `Error: interrupted: ${stop[1]}`, isError: true });
        continue;
      }
      this.rethrowListenerError();
      if (this.abort.signal.aborted) {
        if (!this.timedOut) throw new AbortedError('the agent run was aborted');
        stop = this.timeoutStop();
      }
    }
    return { results, stop };
  }

  private timeoutStop(): Stop {
    return ['timeout', `stopped after ${this.options.timeoutMs} ms (timeoutMs)`];
  }

  private async ask(turn: number): Promise<ModelResponse> {
    this.emit({ type: 'model_start', turn });
    const t0 = now();
    const response = await this.options.model.generate(
      { system: this.options.system ?? DEFAULT_SYSTEM_PROMPT, messages: this.messages, tools: [this.toolSpec()] },
      {
        signal: this.abort.signal,
        onText: (delta) => this.emit({ type: 'text', turn, delta }),
        onRetry: (info) => this.emit({ type: 'retry', turn, ...info }),
      },
    );
    const ms = now() - t0;
    this.timing.modelMs += ms;
    this.usage.inputTokens += response.usage.inputTokens;
    this.usage.outputTokens += response.usage.outputTokens;
    this.usage.totalTokens = this.usage.inputTokens + this.usage.outputTokens;
    this.usage.requests += 1;
    this.usage.requestChars += response.requestChars;
    this.emit({ type: 'model_end', turn, text: response.text, toolCalls: response.toolCalls, usage: response.usage, ms });
    return response;
  }

  private toolSpec() {
    return { name: CODE_TOOL_NAME, description: this.code.description, inputSchema: this.code.inputSchema };
  }

  /** Runs one tool call, or explains to the model why it cannot. */
  private async answer(turn: number, call: ModelToolCall): Promise<ModelToolResult> {
    this.answered += 1;
    const invalid = (message: string): ModelToolResult => {
      this.emit({ type: 'invalid_call', turn, call, message });
      return { callId: call.id, content: `Error: ${message}`, isError: true };
    };
    if (call.name !== CODE_TOOL_NAME) {
      return invalid(`there is no tool named ${JSON.stringify(call.name)}: the only tool is ${CODE_TOOL_NAME}; call the other functions from Python inside it`);
    }
    const parsed = parseArguments(call.arguments);
    if (typeof parsed === 'string') return invalid(parsed);

    const index = this.steps.length + 1;
    this.emit({ type: 'code', step: index, callId: call.id, code: parsed.code });
    const toolCalls: ToolCallEvent[] = [];
    const stopListening = this.context.box.onToolCall((event) => {
      toolCalls.push(event);
      this.emit({ type: 'tool_call', step: index, call: event });
    });
    let r: CodeRunResult;
    const t0 = now();
    try {
      r = await this.code.run(parsed.code, {
        signal: this.abort.signal,
        onOutput: (stream, text) => this.emit({ type: 'output', step: index, stream, text }),
      });
    } finally {
      stopListening();
      this.timing.codeMs += now() - t0;
    }
    const step: AgentStep = {
      index,
      callId: call.id,
      code: parsed.code,
      output: r.text,
      ok: r.ok,
      ...(r.error ? { error: r.error } : {}),
      toolCalls,
      durationMs: r.durationMs,
    };
    this.steps.push(step);
    this.emit({ type: 'step', step });
    return { callId: call.id, content: r.text, isError: !r.ok };
  }

  private finish(text: string, stopReason: StopReason, stopMessage?: string): AgentResult {
    this.timing.totalMs = now() - this.started;
    const result: AgentResult = {
      text,
      steps: this.steps,
      usage: { ...this.usage },
      stopReason,
      ...(stopMessage ? { stopMessage } : {}),
      messages: this.messages,
      timing: { ...this.timing },
    };
    this.emit({ type: 'done', result });
    this.rethrowListenerError();
    return result;
  }

  /** Between operations: an abort or a listener's error ends the run here. */
  private checkpoint(): void {
    this.rethrowListenerError();
    if (this.abort.signal.aborted) throw new AbortedError('the agent run was aborted');
  }

  private emit(event: AgentEvent): void {
    if (!this.options.onEvent) return;
    try {
      const out: unknown = this.options.onEvent(event);
      // An async listener's rejection is its throw (unobserved, it would end a Node process).
      if (typeof (out as PromiseLike<unknown> | null)?.then === 'function') {
        Promise.resolve(out).then(undefined, (e: unknown) => {
          this.listenerError ??= e;
        });
      }
    } catch (e) {
      this.listenerError ??= e;
    }
  }

  private rethrowListenerError(): void {
    if (this.listenerError !== null) throw this.listenerError;
  }
}

function checkOptions(options: RunAgentOptions): void {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('runAgent needs an options object');
  if (!options.context && !options.box) throw new InvalidArgumentError('runAgent needs a context or a box to run the code in');
  if (!options.model || typeof options.model.generate !== 'function') {
    throw new InvalidArgumentError('runAgent needs a model: anthropic(...), openai(...) or scripted(...)');
  }
  if (typeof options.task !== 'string' || !options.task.trim()) throw new InvalidArgumentError('runAgent needs a task (a non-empty string)');
  for (const key of ['maxSteps', 'maxTokens', 'timeoutMs'] as const) {
    const v = options[key];
    if (v !== undefined && !(typeof v === 'number' && Number.isFinite(v) && v > 0)) {
      throw new InvalidArgumentError(`${key} must be a positive number, got ${String(v)}`);
    }
  }
}
