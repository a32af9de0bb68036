/**
 * The Anthropic Messages API (`POST {baseURL}/v1/messages`) over fetch, with
 * SSE streaming. Works from a browser page: it sends the header Anthropic
 * requires for direct browser access.
 */
import { InvalidArgumentError } from '@pybox/core';
import { ModelResponseError, ModelServerError } from '../errors.js';
import type { Model, ModelCallOptions, ModelMessage, ModelRequest, ModelResponse, ModelToolCall } from '../model.js';
import { eventData, isEventStream, joinUrl, post, readEvents, readJson, textOnce, truncatedStream, type HttpOptions } from './http.js';

/** Options of {@link anthropic}. */
export interface AnthropicOptions extends HttpOptions {
  /** The API key (`x-api-key`). In a browser, only ever the user's own key. */
  apiKey?: string;
  /** The API host without `/v1`, as in the official SDK. A path prefix is kept (gateways). Default `https://api.anthropic.com`. */
  baseURL?: string;
  /** The model id, e.g. `claude-sonnet-4-5`. */
  model: string;
  /** `max_tokens` of each response. Default 4,096. */
  maxTokens?: number;
  /** Stream with SSE (default true). */
  stream?: boolean;
  /** The `anthropic-version` header. Default `2023-06-01`. */
  version?: string;
  /** Extra body fields (`temperature`, `thinking`, `metadata`...). */
  params?: Record<string, unknown>;
}

const PROVIDER = 'anthropic';

type Block = { type: string; [key: string]: unknown };

/**
 * A model on the Anthropic Messages API.
 *
 * @example
 * ```ts
 * import { anthropic, runAgent } from '@pybox/agent'
 * const model = anthropic({ apiKey: process.env.ANTHROPIC_API_KEY, model: 'claude-sonnet-4-5' })
 * const { text } = await runAgent({ box, model, task: 'How many open orders are there?' })
 * ```
 */
export function anthropic(options: AnthropicOptions): Model {
  if (typeof options?.model !== 'string' || !options.model) {
    throw new InvalidArgumentError('anthropic: give the model id, e.g. { model: "claude-sonnet-4-5" }');
  }
  const url = joinUrl(options.baseURL ?? 'https://api.anthropic.com', '/v1/messages');
  const stream = options.stream ?? true;
  return {
    name: `${PROVIDER}:${options.model}`,
    async generate(request: ModelRequest, call: ModelCallOptions = {}): Promise<ModelResponse> {
      const body = JSON.stringify({
        model: options.model,
        max_tokens: options.maxTokens ?? 4096,
        ...options.params,
        ...(request.system ? { system: request.system } : {}),
        messages: toMessages(request.messages),
        tools: request.tools.map((t) => ({ name: t.name, description: t.description, input_schema: t.inputSchema })),
        ...(stream ? { stream: true } : {}),
      });
      const headers: Record<string, string> = {
        'anthropic-version': options.version ?? '2023-06-01',
        // Needed for requests from a browser page (CORS); harmless elsewhere.
        'anthropic-dangerous-direct-browser-access': 'true',
        ...(options.apiKey ? { 'x-api-key': options.apiKey } : {}),
        ...(stream ? { accept: 'text/event-stream' } : {}),
      };
      const response = await post({ provider: PROVIDER, url, headers, body }, options, call);
      if (stream && isEventStream(response)) return fromMessage(await readStream(response, call), body.length);
      return textOnce(fromMessage(await readJson(PROVIDER, response, call.signal), body.length), call);
    },
  };
}

/** The neutral conversation as Anthropic messages: results of one turn in one user message. */
function toMessages(messages: ModelMessage[]): unknown[] {
  return messages.map((m) => {
    if (m.role === 'user') return { role: 'user', content: m.content };
    if (m.role === 'tool') {
      return {
        role: 'user',
        content: m.results.map((r) => ({
          type: 'tool_result',
          tool_use_id: r.callId,
          content: r.content,
          ...(r.isError ? { is_error: true } : {}),
        })),
      };
    }
    if (m.providerData?.provider === PROVIDER) return { role: 'assistant', content: m.providerData.value };
    const content: Block[] = [];
    if (m.text) content.push({ type: 'text', text: m.text });
    for (const call of m.toolCalls) content.push({ type: 'tool_use', id: call.id, name: call.name, input: parseInput(call.arguments) });
    return { role: 'assistant', content };
  });
}

/** A message (streamed or not) as the neutral response. */
function fromMessage(message: Record<string, unknown>, requestChars: number): ModelResponse {
  const content = message.content;
  if (!Array.isArray(content)) {
    throw new ModelResponseError(`${PROVIDER}: the response has no content array`, { provider: PROVIDER, body: JSON.stringify(message).slice(0, 2000) });
  }
  const blocks = content as Block[];
  const toolCalls: ModelToolCall[] = blocks
    .filter((b) => b.type === 'tool_use')
    .map((b) => ({ id: String(b.id), name: String(b.name), arguments: typeof b.input === 'string' ? b.input : JSON.stringify(b.input ?? {}) }));
  const usage = (message.usage ?? {}) as Record<string, number | undefined>;
  return {
    text: blocks.filter((b) => b.type === 'text').map((b) => String(b.text ?? '')).join(''),
    toolCalls,
    usage: {
      inputTokens: (usage.input_tokens ?? 0) + (usage.cache_creation_input_tokens ?? 0) + (usage.cache_read_input_tokens ?? 0),
      outputTokens: usage.output_tokens ?? 0,
    },
    stopReason: String(message.stop_reason ?? ''),
    requestChars,
    // Replayed as sent; a tool_use whose input was not a JSON object is replayed with an empty one.
    providerData: { provider: PROVIDER, value: blocks.map((b) => (b.type === 'tool_use' && !isObject(b.input) ? { ...b, input: {} } : b)) },
  };
}

/** Rebuilds the message from `message_start`, `content_block_*`, `message_delta` and `message_stop`. */
async function readStream(response: Response, call: ModelCallOptions): Promise<Record<string, unknown>> {
  let message: Record<string, unknown> | null = null;
  const blocks: Block[] = [];
  const json = new Map<number, string>();
  for await (const event of readEvents(PROVIDER, response, call.signal)) {
    const data = eventData(PROVIDER, event);
    switch (data.type) {
      case 'message_start':
        message = { ...(data.message as Record<string, unknown>) };
        break;
      case 'content_block_start': {
        const index = Number(data.index);
        blocks[index] = { ...(data.content_block as Block) };
        if (blocks[index]!.type === 'tool_use') json.set(index, '');
        break;
      }
      case 'content_block_delta': {
        const index = Number(data.index);
        const block = blocks[index];
        const delta = data.delta as Record<string, string>;
        if (!block) throw new ModelResponseError(`${PROVIDER}: a delta for block ${index}, which never started`, { provider: PROVIDER });
        if (delta.type === 'text_delta') {
          block.text = String(block.text ?? '') + delta.text;
          call.onText?.(delta.text ?? '');
        } else if (delta.type === 'input_json_delta') json.set(index, (json.get(index) ?? '') + delta.partial_json);
        else if (delta.type === 'thinking_delta') block.thinking = String(block.thinking ?? '') + delta.thinking;
        else if (delta.type === 'signature_delta') block.signature = delta.signature;
        break;
      }
      case 'content_block_stop': {
        const index = Number(data.index);
        const text = json.get(index);
        // The raw JSON text stays as it came when it does not parse: the loop answers it as malformed.
        if (text !== undefined && blocks[index]) blocks[index]!.input = text === '' ? {} : tryParse(text) ?? text;
        break;
      }
      case 'message_delta': {
        if (!message) break;
        const delta = data.delta as Record<string, unknown>;
        message.stop_reason = delta.stop_reason ?? message.stop_reason;
        message.usage = { ...(message.usage as object), ...(data.usage as object) };
        break;
      }
      case 'message_stop':
        if (!message) throw new ModelResponseError(`${PROVIDER}: message_stop before message_start`, { provider: PROVIDER });
        return { ...message, content: blocks.filter(Boolean) };
      case 'error': {
        const error = (data.error ?? {}) as Record<string, string>;
        const text = `${PROVIDER}: stream error ${error.type ?? ''}: ${error.message ?? 'no message'}`;
        const details = { provider: PROVIDER, errorType: error.type, body: event.data.slice(0, 2000) };
        throw error.type === 'overloaded_error' || error.type === 'api_error' ? new ModelServerError(text, details) : new ModelResponseError(text, details);
      }
      default:
        break; // ping and future events
    }
  }
  throw truncatedStream(PROVIDER, 'message_stop');
}

function parseInput(text: string): unknown {
  const value = tryParse(text);
  return isObject(value) ? value : {};
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function tryParse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
