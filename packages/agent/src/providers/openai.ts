/**
 * `openai({ ... })`: the Chat Completions or the Responses API of OpenAI or
 * any OpenAI-compatible server.
 */
import { InvalidArgumentError } from '@pybox/core';
import type { Model, ModelCallOptions, ModelRequest } from '../model.js';
import { joinUrl, type HttpOptions } from './http.js';
import { chatCompletion, type OpenAIEndpoint } from './openai-chat.js';
import { createResponse } from './openai-responses.js';

/** Options of {@link openai}. */
export interface OpenAIOptions extends HttpOptions {
  /** The API key (`Authorization: Bearer`). Local servers (Ollama, LM Studio) need none. */
  apiKey?: string;
  /** The API root including `/v1`, as in the official SDK; a path prefix is kept. Default `https://api.openai.com/v1`. */
  baseURL?: string;
  /** The model id, e.g. `gpt-5-mini`, `llama3.1`. */
  model: string;
  /** `chat` (POST /chat/completions, the default: every compatible server has it) or `responses` (POST /responses). */
  api?: 'chat' | 'responses';
  /** Stream with SSE (default true). */
  stream?: boolean;
  /** The output token cap (`max_completion_tokens` / `max_output_tokens`); none by default. */
  maxTokens?: number;
  /** Extra body fields (`temperature`, `reasoning`, `store`...). */
  params?: Record<string, unknown>;
}

/**
 * A model on the OpenAI Chat Completions or Responses API.
 *
 * @example
 * ```ts
 * import { openai } from '@pybox/agent'
 * const gpt = openai({ apiKey: process.env.OPENAI_API_KEY, model: 'gpt-5-mini', api: 'responses' })
 * const local = openai({ baseURL: 'http://127.0.0.1:11434/v1', model: 'llama3.1' }) // Ollama
 * ```
 */
export function openai(options: OpenAIOptions): Model {
  const api = options.api ?? 'chat';
  if (api !== 'chat' && api !== 'responses') throw new InvalidArgumentError(`openai: api must be "chat" or "responses", got ${JSON.stringify(api)}`);
  if (typeof options.model !== 'string' || !options.model) throw new InvalidArgumentError('openai: give the model id, e.g. { model: "gpt-5-mini" }');
  const provider = api === 'chat' ? 'openai' : 'openai-responses';
  const endpoint: OpenAIEndpoint = {
    ...options,
    provider,
    url: joinUrl(options.baseURL ?? 'https://api.openai.com/v1', api === 'chat' ? '/chat/completions' : '/responses'),
    stream: options.stream ?? true,
  };
  return {
    name: `${provider}:${options.model}`,
    generate: (request: ModelRequest, call: ModelCallOptions = {}) =>
      api === 'chat' ? chatCompletion(endpoint, request, call) : createResponse(endpoint, request, call),
  };
}
