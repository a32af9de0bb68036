// The agent in Chromium: a page's PyBox (Web Worker) and the fetch providers, cross-origin to
// the local model server (started in Node by the project's globalSetup), over each API's SSE.
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { PyBox } from '@pybox/core';
import { anthropic, openai, runAgent, type Model } from '@pybox/agent';
import { remoteSession } from '../agent/remote-session.js';
import { shopAnswer, shopOutputs, shopSteps, shopTools } from '../agent/fixtures.js';

const serverUrl = inject('modelServerUrl');
let box: PyBox;
beforeAll(async () => {
  box = await PyBox.create({ tools: shopTools() });
});
afterAll(async () => {
  await box?.close();
});

const models: Record<string, (base: string) => Model> = {
  anthropic: (base) => anthropic({ apiKey: 'sk-ant-browser', baseURL: base, model: 'claude-test' }),
  'openai chat': (base) => openai({ apiKey: 'sk-browser', baseURL: `${base}/v1`, model: 'gpt-test' }),
  'openai responses': (base) => openai({ apiKey: 'sk-browser', baseURL: `${base}/v1`, model: 'gpt-test', api: 'responses' }),
};

for (const [api, make] of Object.entries(models)) {
  it(`completes a three-step PTC task from a page over ${api} (SSE)`, async () => {
    const session = remoteSession(serverUrl, `browser-${api.replace(' ', '-')}`);
    await session.script([
      { text: 'Looking.', calls: [{ code: shopSteps[0]! }] },
      { calls: [{ code: shopSteps[1]! }] },
      { calls: [{ code: shopSteps[2]! }] },
      { text: shopAnswer },
    ]);
    const streamed: string[] = [];
    const r = await runAgent({
      box,
      model: make(session.base),
      task: 'Total of the open orders by country?',
      onEvent: (e) => e.type === 'text' && streamed.push(e.delta),
    });
    expect(r.text).toBe(shopAnswer);
    expect(r.steps.map((s) => s.output)).toEqual(shopOutputs);
    expect(streamed.join('')).toBe(`Looking.${shopAnswer}`);
    const requests = await session.requests();
    expect(requests).toHaveLength(4);
    for (const req of requests) {
      expect(req.problems).toEqual([]);
      expect(req.headers.origin).toBe(location.origin); // a cross-origin request from this page
      if (api === 'anthropic') expect(req.headers['anthropic-dangerous-direct-browser-access']).toBe('true');
    }
  });
}

it('reports an HTTP error from a page with the server message', async () => {
  const session = remoteSession(serverUrl, 'browser-401');
  await session.script([{ status: 401, body: { type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } } }]);
  await expect(runAgent({ box, model: models.anthropic!(session.base), task: 'x' })).rejects.toMatchObject({
    name: 'ModelAuthError',
    status: 401,
    message: expect.stringContaining('invalid x-api-key'),
  });
});
