/**
 * The OpenAI Responses API (`POST {baseURL}/responses`) with SSE streaming:
 * flat function tools, `function_call` items answered with
 * `function_call_output` items.
 */
import { ModelResponseError, ModelServerError } from '../errors.js';
import type { ModelCallOptions, ModelMessage, ModelRequest, ModelResponse, ModelToolCall } from '../model.js';
import { eventData, isEventStream, post, readEvents, readJson, textOnce, truncatedStream } from './http.js';
import type { OpenAIEndpoint } from './openai-chat.js';

type Item = { type?: string; [key: string]: unknown };

/** One Responses call. */
export async function createResponse(endpoint: OpenAIEndpoint, request: ModelRequest, call: ModelCallOptions): Promise<ModelResponse> {
  const body = JSON.stringify({
    model: endpoint.model,
    ...(endpoint.maxTokens ? { max_output_tokens: endpoint.maxTokens } : {}),
    ...endpoint.params,
    instructions: request.system,
    input: toInput(endpoint.provider, request.messages),
    tools: request.tools.map((t) => ({ type: 'function', name: t.name, description: t.description, parameters: t.inputSchema, strict: false })),
    ...(endpoint.stream ? { stream: true } : {}),
  });
  const headers: Record<string, string> = endpoint.apiKey ? { authorization: `Bearer ${endpoint.apiKey}` } : {};
  const response = await post({ provider: endpoint.provider, url: endpoint.url, headers, body }, endpoint, call);
  if (endpoint.stream && isEventStream(response)) {
    return fromResponse(endpoint.provider, await readStream(endpoint.provider, response, call), body.length);
  }
  return textOnce(fromResponse(endpoint.provider, await readJson(endpoint.provider, response, call.signal), body.length), call);
}

/** The neutral conversation as input items; the model's own output items are replayed as they came. */
function toInput(provider: string, messages: ModelMessage[]): unknown[] {
  return messages.flatMap((m): unknown[] => {
    if (m.role === 'user') return [{ role: 'user', content: m.content }];
    if (m.role === 'tool') return m.results.map((r) => ({ type: 'function_call_output', call_id: r.callId, output: r.content }));
    if (m.providerData?.provider === provider) return m.providerData.value as unknown[];
    return [
      ...(m.text ? [{ role: 'assistant', content: m.text }] : []),
      ...m.toolCalls.map((c) => ({ type: 'function_call', call_id: c.id, name: c.name, arguments: c.arguments })),
    ];
  });
}

function fromResponse(provider: string, response: Record<string, unknown>, requestChars: number): ModelResponse {
  if (response.status === 'failed') throw failure(provider, response);
  if (!Array.isArray(response.output)) {
    throw new ModelResponseError(`${provider}: the response has no output array`, { provider, body: JSON.stringify(response).slice(0, 2000) });
  }
  const output = response.output as Item[];
  const toolCalls: ModelToolCall[] = output
    .filter((item) => item.type === 'function_call')
    .map((item) => ({ id: String(item.call_id), name: String(item.name ?? ''), arguments: String(item.arguments ?? '') }));
  const text = output
    .filter((item) => item.type === 'message')
    .flatMap((item) => (Array.isArray(item.content) ? (item.content as Item[]) : []))
    .filter((part) => part.type === 'output_text')
    .map((part) => String(part.text ?? ''))
    .join('');
  const usage = (response.usage ?? {}) as Record<string, number | undefined>;
  return {
    text,
    toolCalls,
    usage: { inputTokens: usage.input_tokens ?? 0, outputTokens: usage.output_tokens ?? 0 },
    stopReason: toolCalls.length ? 'function_call' : String(response.status ?? ''),
    requestChars,
    providerData: { provider, value: output },
  };
}

/**
 * The final response of a stream (`response.completed`, or `response.incomplete`
 * at the token limit); text deltas go to `onText` on the way. The output items
 * are also collected from `response.output_item.done`, for servers whose final
 * event carries no output.
 */
async function readStream(provider: string, response: Response, call: ModelCallOptions): Promise<Record<string, unknown>> {
  const items: Item[] = [];
  for await (const event of readEvents(provider, response, call.signal)) {
    const data = eventData(provider, event);
    switch (data.type) {
      case 'response.output_text.delta':
        if (typeof data.delta === 'string') call.onText?.(data.delta);
        break;
      case 'response.output_item.done':
        items[Number(data.output_index ?? items.length)] = data.item as Item;
        break;
      case 'response.completed':
      case 'response.incomplete': {
        const final = { ...(data.response as Record<string, unknown>) };
        if (!Array.isArray(final.output) || (final.output.length === 0 && items.length)) final.output = items.filter(Boolean);
        return final;
      }
      case 'response.failed':
        throw failure(provider, (data.response ?? {}) as Record<string, unknown>);
      case 'error':
        throw new ModelResponseError(`${provider}: stream error ${String(data.code ?? '')}: ${String(data.message ?? 'no message')}`, {
          provider,
          errorType: typeof data.code === 'string' ? data.code : undefined,
          body: event.data.slice(0, 2000),
        });
      default:
        break;
    }
  }
  throw truncatedStream(provider, 'response.completed');
}

function failure(provider: string, response: Record<string, unknown>): Error {
  const error = (response.error ?? {}) as Record<string, string>;
  const text = `${provider}: the response failed: ${error.code ?? ''} ${error.message ?? 'no message'}`.replace(/  +/g, ' ');
  const details = { provider, errorType: error.code, body: JSON.stringify(response).slice(0, 2000) };
  return error.code === 'server_error' ? new ModelServerError(text, details) : new ModelResponseError(text, details);
}
