/**
 * The OpenAI Chat Completions API (`POST {baseURL}/chat/completions`), as
 * OpenAI and every OpenAI-compatible server (vLLM, Ollama, LM Studio,
 * OpenRouter) speak it, with SSE streaming.
 */
import { ModelResponseError } from '../errors.js';
import type { ModelCallOptions, ModelMessage, ModelRequest, ModelResponse, ModelToolCall } from '../model.js';
import { eventData, isEventStream, post, readEvents, readJson, textOnce, truncatedStream, type HttpOptions } from './http.js';

/** What the OpenAI providers share. */
export interface OpenAIEndpoint extends HttpOptions {
  provider: string;
  url: string;
  apiKey?: string;
  model: string;
  stream: boolean;
  maxTokens?: number;
  params?: Record<string, unknown>;
}

type ChatToolCall = { id: string; type: 'function'; function: { name: string; arguments: string } };

/** One Chat Completions call. */
export async function chatCompletion(endpoint: OpenAIEndpoint, request: ModelRequest, call: ModelCallOptions): Promise<ModelResponse> {
  const body = JSON.stringify({
    model: endpoint.model,
    ...(endpoint.maxTokens ? { max_completion_tokens: endpoint.maxTokens } : {}),
    ...endpoint.params,
    messages: [{ role: 'system', content: request.system }, ...toMessages(request.messages)],
    tools: request.tools.map((t) => ({ type: 'function', function: { name: t.name, description: t.description, parameters: t.inputSchema } })),
    ...(endpoint.stream ? { stream: true, stream_options: { include_usage: true } } : {}),
  });
  const headers: Record<string, string> = endpoint.apiKey ? { authorization: `Bearer ${endpoint.apiKey}` } : {};
  const response = await post({ provider: endpoint.provider, url: endpoint.url, headers, body }, endpoint, call);
  if (endpoint.stream && isEventStream(response)) {
    return fromCompletion(endpoint.provider, await readStream(endpoint.provider, response, call), body.length);
  }
  return textOnce(fromCompletion(endpoint.provider, await readJson(endpoint.provider, response, call.signal), body.length), call);
}

/** The neutral conversation as chat messages: one `tool` message per result, after the assistant message. */
function toMessages(messages: ModelMessage[]): unknown[] {
  return messages.flatMap((m): unknown[] => {
    if (m.role === 'user') return [{ role: 'user', content: m.content }];
    if (m.role === 'tool') return m.results.map((r) => ({ role: 'tool', tool_call_id: r.callId, content: r.content }));
    const toolCalls: ChatToolCall[] = m.toolCalls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } }));
    // `content: null` is allowed only beside tool calls.
    return [{ role: 'assistant', content: m.text || (toolCalls.length ? null : ''), ...(toolCalls.length ? { tool_calls: toolCalls } : {}) }];
  });
}

function fromCompletion(provider: string, completion: Record<string, unknown>, requestChars: number): ModelResponse {
  const choice = (Array.isArray(completion.choices) ? completion.choices[0] : undefined) as Record<string, unknown> | undefined;
  const message = choice?.message as Record<string, unknown> | undefined;
  if (!message) {
    throw new ModelResponseError(`${provider}: the response has no choices[0].message`, { provider, body: JSON.stringify(completion).slice(0, 2000) });
  }
  const calls = (Array.isArray(message.tool_calls) ? message.tool_calls : []) as ChatToolCall[];
  const toolCalls: ModelToolCall[] = calls.map((c) => ({
    id: String(c.id),
    name: String(c.function?.name ?? ''),
    arguments: String(c.function?.arguments ?? ''),
  }));
  const usage = (completion.usage ?? {}) as Record<string, number | undefined>;
  return {
    text: typeof message.content === 'string' ? message.content : '',
    toolCalls,
    usage: { inputTokens: usage.prompt_tokens ?? 0, outputTokens: usage.completion_tokens ?? 0 },
    stopReason: String(choice?.finish_reason ?? ''),
    requestChars,
  };
}

/** Rebuilds the completion from its chunks: text deltas, tool-call deltas by `index`, usage last. */
async function readStream(provider: string, response: Response, call: ModelCallOptions): Promise<Record<string, unknown>> {
  let text = '';
  let finishReason: string | null = null;
  let usage: unknown;
  let done = false;
  const calls: ChatToolCall[] = [];
  for await (const event of readEvents(provider, response, call.signal)) {
    if (event.data.trim() === '[DONE]') {
      done = true;
      break;
    }
    const chunk = eventData(provider, event);
    if (chunk.error) {
      const error = chunk.error as Record<string, string>;
      throw new ModelResponseError(`${provider}: stream error: ${error.message ?? JSON.stringify(error)}`, { provider, body: event.data.slice(0, 2000) });
    }
    if (chunk.usage) usage = chunk.usage;
    const choice = (Array.isArray(chunk.choices) ? chunk.choices[0] : undefined) as Record<string, unknown> | undefined;
    if (!choice) continue;
    const delta = (choice.delta ?? {}) as Record<string, unknown>;
    if (typeof delta.content === 'string' && delta.content) {
      text += delta.content;
      call.onText?.(delta.content);
    }
    for (const part of (Array.isArray(delta.tool_calls) ? delta.tool_calls : []) as Record<string, unknown>[]) {
      const index = typeof part.index === 'number' ? part.index : calls.length;
      const fn = (part.function ?? {}) as Record<string, string>;
      const entry = (calls[index] ??= { id: '', type: 'function', function: { name: '', arguments: '' } });
      if (part.id) entry.id = String(part.id);
      if (fn.name && !entry.function.name) entry.function.name = fn.name;
      if (fn.arguments) entry.function.arguments += fn.arguments;
    }
    if (choice.finish_reason) finishReason = String(choice.finish_reason);
  }
  // Some compatible servers end without [DONE]; a finish_reason shows the answer is complete.
  if (!done && finishReason === null) throw truncatedStream(provider, 'data: [DONE]');
  const toolCalls = calls.filter(Boolean);
  return {
    choices: [{ message: { role: 'assistant', content: text, ...(toolCalls.length ? { tool_calls: toolCalls } : {}) }, finish_reason: finishReason }],
    usage,
  };
}
