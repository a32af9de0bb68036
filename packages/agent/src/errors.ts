/**
 * Typed errors of model calls: one class per failure, each with a `name`,
 * the HTTP status, and the server's own message.
 */
import { PyBoxError } from '@pybox/core';

/** What every model error carries. */
export interface ModelErrorDetails {
  /** The provider, e.g. `anthropic`, `openai`. */
  provider: string;
  /** The HTTP status, when there was a response. */
  status?: number;
  /** The server's error type (`rate_limit_error`, `invalid_request_error`...), when it gave one. */
  errorType?: string;
  /** The server's wait before a retry (from `retry-after` / `retry-after-ms`), in ms. */
  retryAfterMs?: number;
  /** The raw body (first 2,000 characters). */
  body?: string;
}

/**
 * Base class of the errors a model call throws.
 *
 * @example
 * ```ts
 * try { await runAgent({ box, model, task }) }
 * catch (e) { if (e instanceof ModelError) console.error(e.provider, e.status, e.message) }
 * ```
 */
export class ModelError extends PyBoxError {
  override name = 'ModelError';
  readonly provider: string;
  readonly status?: number;
  readonly errorType?: string;
  readonly retryAfterMs?: number;
  readonly body?: string;
  constructor(message: string, details: ModelErrorDetails) {
    super(message);
    this.provider = details.provider;
    this.status = details.status;
    this.errorType = details.errorType;
    this.retryAfterMs = details.retryAfterMs;
    this.body = details.body;
  }
}

/**
 * 401/403: the key is missing, wrong, or lacks permission. Check `apiKey`.
 *
 * @example
 * ```ts
 * if (e instanceof ModelAuthError) askForAnotherKey()
 * ```
 */
export class ModelAuthError extends ModelError {
  override name = 'ModelAuthError';
}

/**
 * 429: too many requests or tokens; retried with backoff, then thrown. `retryAfterMs` says when to try again.
 *
 * @example
 * ```ts
 * if (e instanceof ModelRateLimitError) await sleep(e.retryAfterMs ?? 60_000)
 * ```
 */
export class ModelRateLimitError extends ModelError {
  override name = 'ModelRateLimitError';
}

/**
 * 5xx (and Anthropic's 529 overloaded): the server failed; retried with backoff, then thrown.
 *
 * @example
 * ```ts
 * if (e instanceof ModelServerError) console.warn(`${e.provider} is down: ${e.status}`)
 * ```
 */
export class ModelServerError extends ModelError {
  override name = 'ModelServerError';
}

/**
 * Another 4xx: the request was refused (bad model name, invalid body...). The message is the server's.
 *
 * @example
 * ```ts
 * if (e instanceof ModelRequestError) console.error(e.message) // e.g. 'openai: HTTP 404 model_not_found: ...'
 * ```
 */
export class ModelRequestError extends ModelError {
  override name = 'ModelRequestError';
}

/**
 * The response could not be understood: not JSON, a broken stream, an error event mid-stream.
 *
 * @example
 * ```ts
 * if (e instanceof ModelResponseError) console.error(e.body)
 * ```
 */
export class ModelResponseError extends ModelError {
  override name = 'ModelResponseError';
}

/**
 * The connection failed or dropped before the response was complete.
 *
 * @example
 * ```ts
 * if (e instanceof ModelConnectionError) retryLater()
 * ```
 */
export class ModelConnectionError extends ModelError {
  override name = 'ModelConnectionError';
}
