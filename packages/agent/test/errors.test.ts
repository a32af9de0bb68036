// HTTP failures of each provider become typed errors with the server's message; 429 and 5xx
// (and connections that fail before a response) are retried with backoff a bounded number of
// times; a stream that breaks off is reported, not retried.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  anthropic,
  ModelAuthError,
  ModelConnectionError,
  ModelRateLimitError,
  ModelRequestError,
  ModelResponseError,
  ModelServerError,
  openai,
  type Model,
  type ModelRequest,
} from '@pybox/agent';
import { startModelServer, type Api, type ModelServer, type ServerTurn } from '../../../test/agent/model-server.js';

let server: ModelServer;
beforeAll(async () => {
  server = await startModelServer();
});
afterAll(async () => {
  await server?.close();
});

const request: ModelRequest = {
  system: 'Be brief.',
  messages: [{ role: 'user', content: 'Hi' }],
  tools: [{ name: 'run_python', description: 'Run code.', inputSchema: { type: 'object', properties: { code: { type: 'string' } } } }],
};

const make: Record<Api, (base: string, stream: boolean, retries?: number) => Model> = {
  anthropic: (base, stream, retries = 2) => anthropic({ apiKey: 'k', baseURL: base, model: 'm', stream, retry: { retries, baseDelayMs: 1 } }),
  chat: (base, stream, retries = 2) => openai({ apiKey: 'k', baseURL: `${base}/v1`, model: 'm', stream, retry: { retries, baseDelayMs: 1 } }),
  responses: (base, stream, retries = 2) => openai({ apiKey: 'k', baseURL: `${base}/v1`, model: 'm', api: 'responses', stream, retry: { retries, baseDelayMs: 1 } }),
};
const errorBody = (api: Api, type: string, message: string) =>
  api === 'anthropic' ? { type: 'error', error: { type, message } } : { error: { message, type, param: null, code: null } };

let n = 0;
/** A model on a fresh session scripted with `turns`. */
function modelWith(api: Api, turns: ServerTurn[], stream = true, retries?: number) {
  const name = `e${++n}`;
  const session = server.session(name);
  session.script(turns);
  return { model: make[api](`${server.url}/s/${name}`, stream, retries), session };
}

for (const api of ['anthropic', 'chat', 'responses'] as Api[]) {
  describe(api, () => {
    it('401: ModelAuthError with the server message, not retried', async () => {
      const { model, session } = modelWith(api, [{ status: 401, body: errorBody(api, 'authentication_error', 'invalid x-api-key') }]);
      const e = await model.generate(request).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(ModelAuthError);
      expect(e).toMatchObject({ status: 401, errorType: 'authentication_error' });
      expect((e as Error).message).toContain('invalid x-api-key');
      expect(session.requests).toHaveLength(1);
    });

    it('429 with retry-after: waits as told, retries, then succeeds', async () => {
      const { model, session } = modelWith(api, [
        { status: 429, headers: { 'retry-after': '0' }, body: errorBody(api, 'rate_limit_error', 'slow down') },
        { text: 'hello' },
      ]);
      const retries: { attempt: number; delayMs: number; error: Error }[] = [];
      const r = await model.generate(request, { onRetry: (i) => retries.push(i) });
      expect(r.text).toBe('hello');
      expect(retries).toHaveLength(1);
      expect(retries[0]!.delayMs).toBe(0);
      expect(retries[0]!.error).toBeInstanceOf(ModelRateLimitError);
      expect(session.requests).toHaveLength(2);
    });

    it('429 past the retries: ModelRateLimitError with retryAfterMs', async () => {
      const limited = { status: 429, headers: { 'retry-after': '0' }, body: errorBody(api, 'rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit') };
      const { model, session } = modelWith(api, [limited, limited, limited]);
      const e = await model.generate(request).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(ModelRateLimitError);
      expect(e).toMatchObject({ status: 429, retryAfterMs: 0 });
      expect((e as Error).message).toContain('per-minute rate limit');
      expect(session.requests).toHaveLength(3); // 1 + 2 retries
    });

    it('a retry-after longer than the cap is not waited for', async () => {
      const { model, session } = modelWith(api, [{ status: 429, headers: { 'retry-after': '3600' }, body: errorBody(api, 'rate_limit_error', 'come back in an hour') }]);
      const e = await model.generate(request).catch((x: unknown) => x);
      expect(e).toMatchObject({ name: 'ModelRateLimitError', retryAfterMs: 3_600_000 });
      expect(session.requests).toHaveLength(1);
    });

    it('5xx: retried with backoff, then ModelServerError', async () => {
      const failing = { status: api === 'anthropic' ? 529 : 503, body: errorBody(api, 'overloaded_error', 'Overloaded') };
      const { model, session } = modelWith(api, [failing, { text: 'recovered' }]);
      expect((await model.generate(request)).text).toBe('recovered');
      expect(session.requests).toHaveLength(2);
      const again = modelWith(api, [failing, failing], true, 1);
      const e = await again.model.generate(request).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(ModelServerError);
      expect((e as Error).message).toContain('Overloaded');
      expect(again.session.requests).toHaveLength(2);
    });

    it('400: ModelRequestError with the server message, not retried', async () => {
      const { model, session } = modelWith(api, [{ status: 400, body: errorBody(api, 'invalid_request_error', 'model: not found') }]);
      const e = await model.generate(request).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(ModelRequestError);
      expect((e as Error).message).toContain('model: not found');
      expect(session.requests).toHaveLength(1);
    });

    for (const stream of [true, false]) {
      it(`a malformed body (${stream ? 'SSE' : 'JSON'}): ModelResponseError`, async () => {
        const { model } = modelWith(api, [{ malformed: true }], stream);
        const e = await model.generate(request).catch((x: unknown) => x);
        expect(e).toBeInstanceOf(ModelResponseError);
        expect((e as Error).message).toMatch(stream ? /a stream event is not JSON: "\{this is not json"/ : /not a JSON object: "<html>502 Bad Gateway<\/html>"/);
      });
    }

    it('a streaming request answered with plain JSON is read as JSON', async () => {
      const { model } = modelWith(api, [{ text: 'not streamed', plainJson: true }], true);
      const texts: string[] = [];
      const r = await model.generate(request, { onText: (t) => texts.push(t) });
      expect(r.text).toBe('not streamed');
      expect(texts).toEqual(['not streamed']); // in one piece
    });

    it('a connection dropped before the response: retried', async () => {
      const { model, session } = modelWith(api, [{ drop: 'before-headers' }, { text: 'second try' }]);
      const retries: Error[] = [];
      expect((await model.generate(request, { onRetry: (i) => retries.push(i.error) })).text).toBe('second try');
      expect(retries[0]).toBeInstanceOf(ModelConnectionError);
      expect(session.requests).toHaveLength(2);
    });

    it('a connection dropped mid-stream: ModelConnectionError, not retried', async () => {
      const { model, session } = modelWith(api, [{ drop: 'mid-stream' }, { text: 'never asked' }]);
      const e = await model.generate(request).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(ModelConnectionError);
      expect((e as Error).message).toMatch(/dropped/);
      expect(session.requests).toHaveLength(1);
    });

    it('aborting while a request waits: AbortedError, no retry', async () => {
      const { model, session } = modelWith(api, [{ status: 503, headers: { 'retry-after': '30' } }, { text: 'never' }]);
      const controller = new AbortController();
      const pending = model.generate(request, { signal: controller.signal, onRetry: () => controller.abort() });
      await expect(pending).rejects.toMatchObject({ name: 'AbortedError' });
      expect(session.requests).toHaveLength(1);
    });
  });
}

it('a server that cannot be reached: ModelConnectionError after the retries', async () => {
  const closed = await startModelServer();
  const url = closed.url;
  await closed.close();
  const model = openai({ apiKey: 'k', baseURL: `${url}/v1`, model: 'm', retry: { retries: 1, baseDelayMs: 1 } });
  const retries: number[] = [];
  const e = await model.generate(request, { onRetry: (i) => retries.push(i.attempt) }).catch((x: unknown) => x);
  expect(e).toBeInstanceOf(ModelConnectionError);
  expect((e as Error).message).toContain('could not reach http://127.0.0.1');
  expect(retries).toEqual([1]);
});
