/**
 * The provider-neutral conversation the agent loop keeps, and the interface
 * every provider implements. Providers translate it to their wire format
 * (Anthropic Messages, OpenAI Chat Completions, OpenAI Responses) and back.
 */

/** A tool as the loop offers it to a model: name, description, JSON Schema of the input. */
export interface ModelTool {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
}

/**
 * A tool call as the model made it. `arguments` is the raw JSON text the
 * model produced (it may be malformed: the loop answers that with an error
 * result, never a crash).
 */
export interface ModelToolCall {
  /** The provider's id (`toolu_...`, `call_...`), echoed in the result. */
  id: string;
  name: string;
  arguments: string;
}

/** The answer to one tool call. */
export interface ModelToolResult {
  /** The id of the call it answers. */
  callId: string;
  /** What the model reads. */
  content: string;
  /** Whether the call failed (Anthropic's `is_error`). */
  isError: boolean;
}

/** One message of the conversation. */
export type ModelMessage =
  | { role: 'user'; content: string }
  | {
      role: 'assistant';
      text: string;
      toolCalls: ModelToolCall[];
      /**
       * What the provider sent, so that the same provider can replay the
       * turn exactly (thinking blocks, reasoning items, ids). Other providers
       * ignore it and use `text` and `toolCalls`.
       */
      providerData?: { provider: string; value: unknown };
    }
  | { role: 'tool'; results: ModelToolResult[] };

/** What the loop asks a model. */
export interface ModelRequest {
  system: string;
  messages: ModelMessage[];
  tools: ModelTool[];
}

/** Tokens of one response, as the provider reported them. */
export interface ModelUsage {
  inputTokens: number;
  outputTokens: number;
}

/** A model's turn. */
export interface ModelResponse {
  /** The text of the turn (the final answer when there are no tool calls). */
  text: string;
  toolCalls: ModelToolCall[];
  usage: ModelUsage;
  /** Why the model stopped, in the provider's words (`end_turn`, `tool_use`, `stop`, `tool_calls`...). */
  stopReason: string;
  /** Characters of the request body sent (what the model was given to read). */
  requestChars: number;
  /** See {@link ModelMessage}: replay data for the assistant message. */
  providerData?: { provider: string; value: unknown };
}

/** Options of one model call. */
export interface ModelCallOptions {
  /** Aborts the request (and its retries). */
  signal?: AbortSignal;
  /** Receives the text as it streams. */
  onText?: (delta: string) => void;
  /** Told before a retry: the error and the wait. */
  onRetry?: (info: { attempt: number; delayMs: number; error: Error }) => void;
}

/**
 * A model the agent loop can ask: `anthropic(...)`, `openai(...)`,
 * `scripted(...)`, or your own.
 *
 * @example
 * ```ts
 * const echo: Model = {
 *   name: 'echo',
 *   async generate(req) {
 *     const last = req.messages.at(-1)
 *     const text = last?.role === 'user' ? last.content : 'done'
 *     return { text, toolCalls: [], usage: { inputTokens: 0, outputTokens: 0 }, stopReason: 'stop', requestChars: 0 }
 *   },
 * }
 * ```
 */
export interface Model {
  /** A label, e.g. `anthropic:claude-sonnet-4-5`. */
  readonly name: string;
  generate(request: ModelRequest, options?: ModelCallOptions): Promise<ModelResponse>;
}
