/**
 * HTTP for providers, over `fetch` only (browsers and Node alike): a POST
 * with bounded retries and backoff, typed errors carrying the server's
 * message, and Server-Sent Events read with `eventsource-parser`.
 */
import { AbortedError } from '@pybox/core';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import {
  ModelAuthError,
  ModelConnectionError,
  ModelError,
  ModelRateLimitError,
  ModelRequestError,
  ModelResponseError,
  ModelServerError,
} from '../errors.js';
import type { ModelCallOptions, ModelResponse } from '../model.js';

/** How failed requests are retried. */
export interface RetryOptions {
  /** Retries after the first attempt, for 408, 409, 429, 5xx and connection failures. Default 2. */
  retries?: number;
  /** The first backoff in ms; it doubles each retry (with jitter). Default 500. */
  baseDelayMs?: number;
  /** The longest backoff in ms. Default 8,000. */
  maxDelayMs?: number;
  /** A server's `retry-after` longer than this (ms) is not waited for: the error is thrown at once. Default 60,000. */
  maxRetryAfterMs?: number;
}

/** What every fetch-based provider takes besides its own options. */
export interface HttpOptions {
  /** The `fetch` to use (default: the global one). */
  fetch?: typeof fetch;
  /** Extra headers for every request (gateways, organisation ids...). */
  headers?: Record<string, string>;
  /** Retries of failed requests. */
  retry?: RetryOptions;
}

/** A request to send. */
export interface PostRequest {
  provider: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

/**
 * POSTs JSON, retrying what can succeed later; resolves with an OK response.
 * @throws ModelError subclasses, or AbortedError when `signal` aborts
 */
export async function post(request: PostRequest, http: HttpOptions, call: ModelCallOptions): Promise<Response> {
  const doFetch = http.fetch ?? globalThis.fetch.bind(globalThis);
  const retry = { retries: 2, baseDelayMs: 500, maxDelayMs: 8_000, maxRetryAfterMs: 60_000, ...http.retry };
  for (let attempt = 0; ; attempt++) {
    throwIfAborted(call.signal);
    let error: ModelError;
    try {
      const response = await doFetch(request.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...http.headers, ...request.headers },
        body: request.body,
        signal: call.signal,
      });
      if (response.ok) return response;
      error = await errorFromResponse(request.provider, response);
    } catch (e) {
      if (call.signal?.aborted) throw aborted();
      if (e instanceof ModelError) throw e;
      error = new ModelConnectionError(`${request.provider}: could not reach ${originOf(request.url)} (${messageOf(e)})`, {
        provider: request.provider,
      });
    }
    const retryable = error instanceof ModelConnectionError || [408, 409, 429].includes(error.status ?? 0) || (error.status ?? 0) >= 500;
    if (!retryable || attempt >= retry.retries) throw error;
    if (error.retryAfterMs !== undefined && error.retryAfterMs > retry.maxRetryAfterMs) throw error;
    const backoff = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** attempt) * (0.75 + Math.random() * 0.25);
    const delayMs = error.retryAfterMs ?? backoff;
    call.onRetry?.({ attempt: attempt + 1, delayMs, error });
    await sleep(delayMs, call.signal);
  }
}

/** A typed error from an HTTP error response, with the server's message. */
async function errorFromResponse(provider: string, response: Response): Promise<ModelError> {
  const body = await response.text().catch(() => '');
  const { message, type } = parseErrorBody(body);
  const status = response.status;
  const details = { provider, status, errorType: type, retryAfterMs: retryAfter(response.headers), body: body.slice(0, 2000) };
  const what = `${provider}: HTTP ${status}${type ? ` ${type}` : ''}: ${message || response.statusText || 'no message'}`;
  if (status === 401 || status === 403) return new ModelAuthError(`${what} (check the apiKey)`, details);
  if (status === 429) return new ModelRateLimitError(what, details);
  if (status >= 500) return new ModelServerError(what, details);
  return new ModelRequestError(what, details);
}

/** The message and type of an error body: Anthropic's `{ error: { type, message } }`, OpenAI's `{ error: { message, type, code } }`, or text. */
export function parseErrorBody(body: string): { message: string; type?: string } {
  try {
    const json = JSON.parse(body) as Record<string, unknown>;
    const error = (typeof json.error === 'object' && json.error !== null ? json.error : json) as Record<string, unknown>;
    const message = [error.message, json.message, json.detail, typeof json.error === 'string' ? json.error : undefined].find(
      (m): m is string => typeof m === 'string',
    );
    const type = [error.type, error.code].find((t): t is string => typeof t === 'string');
    return { message: message ?? body.slice(0, 300), type };
  } catch {
    return { message: body.slice(0, 300).trim() };
  }
}

/** `retry-after-ms`, or `retry-after` in seconds or as an HTTP date, in ms. */
function retryAfter(headers: Headers): number | undefined {
  const ms = Number.parseFloat(headers.get('retry-after-ms') ?? '');
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const value = headers.get('retry-after');
  if (value === null) return undefined;
  const seconds = Number.parseFloat(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined;
}

/** Parses a JSON response body. @throws ModelResponseError when it is not JSON */
export async function readJson(provider: string, response: Response, signal?: AbortSignal): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await response.text();
  } catch (e) {
    if (signal?.aborted) throw aborted();
    throw new ModelConnectionError(`${provider}: the connection dropped while reading the response (${messageOf(e)})`, { provider });
  }
  try {
    const json = JSON.parse(text) as unknown;
    if (typeof json === 'object' && json !== null && !Array.isArray(json)) return json as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new ModelResponseError(`${provider}: the response is not a JSON object: ${JSON.stringify(text.slice(0, 200))}`, {
    provider,
    status: response.status,
    body: text.slice(0, 2000),
  });
}

/**
 * The Server-Sent Events of a streaming response, as they arrive.
 * @throws ModelConnectionError when the connection drops, AbortedError on abort
 */
export async function* readEvents(provider: string, response: Response, signal?: AbortSignal): AsyncGenerator<EventSourceMessage> {
  if (!response.body) throw new ModelResponseError(`${provider}: the streaming response has no body`, { provider });
  const queue: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => queue.push(event) });
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  const onAbort = () => void reader.cancel().catch(() => {});
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<string>;
      try {
        chunk = await reader.read();
      } catch (e) {
        if (signal?.aborted) throw aborted();
        throw new ModelConnectionError(`${provider}: the connection dropped mid-stream (${messageOf(e)})`, { provider });
      }
      if (signal?.aborted) throw aborted();
      if (chunk.done) break;
      parser.feed(chunk.value);
      while (queue.length) yield queue.shift()!;
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    // Stopping early (the final event came, or an error): let the connection go.
    void reader.cancel().catch(() => {});
  }
}

/**
 * Whether a response is an event stream. Some compatible servers answer a
 * streaming request with plain JSON; the providers read that as JSON.
 */
export function isEventStream(response: Response): boolean {
  return !(response.headers.get('content-type') ?? '').includes('application/json');
}

/** A response that did not stream: its text goes to `onText` in one piece, so listeners always see it. */
export function textOnce(response: ModelResponse, call: ModelCallOptions): ModelResponse {
  if (response.text) call.onText?.(response.text);
  return response;
}

/** Parses the JSON data of one SSE event. @throws ModelResponseError when it is not JSON */
export function eventData(provider: string, event: EventSourceMessage): Record<string, unknown> {
  try {
    const json = JSON.parse(event.data) as unknown;
    if (typeof json === 'object' && json !== null) return json as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new ModelResponseError(`${provider}: a stream event is not JSON: ${JSON.stringify(event.data.slice(0, 200))}`, {
    provider,
    body: event.data.slice(0, 2000),
  });
}

/** The error for a stream that ended before its final event. */
export function truncatedStream(provider: string, missing: string): ModelConnectionError {
  return new ModelConnectionError(`${provider}: the stream ended before ${missing}: the connection dropped`, { provider });
}

/** Joins a base URL (kept with its path prefix) and a path. */
export function joinUrl(baseURL: string, path: string): string {
  return `${baseURL.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}

export function aborted(): AbortedError {
  return new AbortedError('the agent run was aborted');
}

function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw aborted();
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(aborted());
    const onAbort = () => {
      clearTimeout(timer);
      reject(aborted());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

function messageOf(e: unknown): string {
  if (e instanceof Error) {
    const cause = (e as { cause?: unknown }).cause;
    return cause instanceof Error ? `${e.message}: ${cause.message}` : e.message;
  }
  return String(e);
}
