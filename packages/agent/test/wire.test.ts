// A multi-step PTC task over each model API's real wire format, against the local model
// server (JSON and SSE): the requests must be valid for each API, ids must pair up, and the
// context must persist across steps.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PyBox } from '@pybox/node';
import { anthropic, openai, runAgent, type Model } from '@pybox/agent';
import { startModelServer, type Api, type ModelServer } from '../../../test/agent/model-server.js';
import { shopAnswer, shopOutputs, shopSteps, shopTools } from '../../../test/agent/fixtures.js';

let server: ModelServer;
let box: PyBox;
const log: string[] = [];

beforeAll(async () => {
  server = await startModelServer();
  box = await PyBox.create({ tools: shopTools(log) });
});
afterAll(async () => {
  await box?.close();
  await server?.close();
});

const models: Record<Api, (base: string, stream: boolean) => Model> = {
  // Anthropic's baseURL is the host without /v1; OpenAI's includes it. Both keep a path prefix.
  anthropic: (base, stream) => anthropic({ apiKey: 'sk-ant-test', baseURL: `${base}/gateway`, model: 'claude-test', stream, retry: { baseDelayMs: 1 } }),
  chat: (base, stream) => openai({ apiKey: 'sk-test', baseURL: `${base}/gateway/v1`, model: 'gpt-test', stream, retry: { baseDelayMs: 1 } }),
  responses: (base, stream) =>
    openai({ apiKey: 'sk-test', baseURL: `${base}/gateway/v1`, model: 'gpt-test', api: 'responses', stream, retry: { baseDelayMs: 1 } }),
};
const paths: Record<Api, string> = { anthropic: '/gateway/v1/messages', chat: '/gateway/v1/chat/completions', responses: '/gateway/v1/responses' };

for (const api of ['anthropic', 'chat', 'responses'] as Api[]) {
  for (const stream of [true, false]) {
    describe(`${api}${stream ? ' (SSE)' : ' (JSON)'}`, () => {
      it('completes a three-step PTC task with valid requests and paired ids', async () => {
        const name = `${api}-${stream}`;
        const session = server.session(name);
        session.script([
          { text: 'Let me look at the orders.', calls: [{ code: shopSteps[0]! }] },
          { calls: [{ code: shopSteps[1]! }] },
          { calls: [{ code: shopSteps[2]! }] },
          { text: shopAnswer },
        ]);
        log.length = 0;
        const texts: string[] = [];
        const result = await runAgent({
          box,
          model: models[api](`${server.url}/s/${name}`, stream),
          task: 'Total of the open orders by country?',
          onEvent: (e) => e.type === 'text' && texts.push(e.delta),
        });

        expect(result.stopReason).toBe('answer');
        expect(result.text).toBe(shopAnswer);
        expect(result.steps.map((s) => s.code)).toEqual(shopSteps);
        expect(result.steps.map((s) => s.output)).toEqual(shopOutputs); // step 3 used step 1's and 2's variables
        expect(log).toEqual(['list_orders(open)', 'get_customer(c1)', 'get_customer(c2)', 'get_customer(c3)']);
        expect(texts.join('')).toBe(`Let me look at the orders.${shopAnswer}`); // streamed, or in one piece per turn

        const requests = session.requests;
        expect(requests).toHaveLength(4);
        for (const r of requests) {
          expect(r.problems).toEqual([]);
          expect(r.path).toBe(`/s/${name}${paths[api]}`);
          expect(r.body.stream === true).toBe(stream);
        }
        // Usage: the server's numbers, summed over the four responses.
        expect(result.usage.requests).toBe(4);
        expect(result.usage.outputTokens).toBe(4 * 7);
        expect(result.usage.requestChars).toBeGreaterThan(0);

        const last = requests[3]!.body;
        if (api === 'anthropic') {
          expect(requests[0]!.headers['x-api-key']).toBe('sk-ant-test');
          expect(requests[0]!.headers['anthropic-version']).toBe('2023-06-01');
          expect(requests[0]!.headers['anthropic-dangerous-direct-browser-access']).toBe('true');
          const tools = last.tools as { name: string; description: string; input_schema: { required: string[] } }[];
          expect(tools.map((t) => t.name)).toEqual(['run_python']);
          expect(tools[0]!.input_schema.required).toEqual(['code']);
          expect(tools[0]!.description).toContain('async def list_orders(status: Literal["open", "shipped"]) -> list[Order]:');
          const messages = last.messages as { role: string; content: { type: string; id?: string; tool_use_id?: string; input?: unknown; content?: string }[] | string }[];
          expect(messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant', 'user', 'assistant', 'user']);
          for (let i = 1; i < 7; i += 2) {
            const use = (messages[i]!.content as { type: string; id?: string; input?: unknown }[]).find((b) => b.type === 'tool_use')!;
            const answer = messages[i + 1]!.content as { type: string; tool_use_id?: string; content?: string }[];
            expect(answer).toEqual([{ type: 'tool_result', tool_use_id: use.id, content: shopOutputs[(i - 1) / 2] }]);
            expect(use.input).toEqual({ code: shopSteps[(i - 1) / 2] });
          }
        } else if (api === 'chat') {
          expect(requests[0]!.headers.authorization).toBe('Bearer sk-test');
          const tools = last.tools as { type: string; function: { name: string; parameters: object } }[];
          expect(tools.map((t) => [t.type, t.function.name])).toEqual([['function', 'run_python']]);
          const messages = last.messages as { role: string; tool_calls?: { id: string; function: { arguments: string } }[]; tool_call_id?: string; content: string }[];
          expect(messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'tool', 'assistant', 'tool', 'assistant', 'tool']);
          for (let i = 2; i < 8; i += 2) {
            const call = messages[i]!.tool_calls![0]!;
            expect(messages[i + 1]).toEqual({ role: 'tool', tool_call_id: call.id, content: shopOutputs[(i - 2) / 2] });
            expect(JSON.parse(call.function.arguments)).toEqual({ code: shopSteps[(i - 2) / 2] });
          }
          if (stream) expect(last.stream_options).toEqual({ include_usage: true });
        } else {
          const tools = last.tools as Record<string, unknown>[];
          expect(tools).toHaveLength(1);
          expect(tools[0]).toMatchObject({ type: 'function', name: 'run_python', parameters: { required: ['code'] } });
          expect(typeof last.instructions).toBe('string');
          const input = last.input as { type?: string; role?: string; call_id?: string; output?: string; arguments?: string; id?: string }[];
          const calls = input.filter((x) => x.type === 'function_call');
          const outputs = input.filter((x) => x.type === 'function_call_output');
          expect(calls).toHaveLength(3);
          expect(outputs.map((o) => [o.call_id, o.output])).toEqual(calls.map((c, i) => [c.call_id, shopOutputs[i]]));
          expect(calls.every((c) => c.id?.startsWith('fc_'))).toBe(true); // the model's items are replayed as they came
          expect(input[0]).toEqual({ role: 'user', content: 'Total of the open orders by country?' });
        }
      });
    });
  }
}
