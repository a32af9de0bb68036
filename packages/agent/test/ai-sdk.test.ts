// The code tool in the Vercel AI SDK: `generateText` / `streamText` with `run_python` as the
// only tool, over the AI SDK's own Anthropic and OpenAI providers, against the local model
// server. This also cross-checks the server: the AI SDK providers parse its JSON and SSE with
// their own schemas, and their requests pass the server's checks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateText, isStepCount, streamText } from 'ai';
import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import { PyBox, type Context } from '@pybox/node';
import { codeTool } from '@pybox/agent';
import { startModelServer, type ModelServer } from '../../../test/agent/model-server.js';
import { shopAnswer, shopOutputs, shopSteps, shopTools } from '../../../test/agent/fixtures.js';

let server: ModelServer;
let box: PyBox;
// The AI SDK warns that the test models' names are unknown to it.
(globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false;

beforeAll(async () => {
  server = await startModelServer();
  box = await PyBox.create({ tools: shopTools() });
});
afterAll(async () => {
  await box?.close();
  await server?.close();
});

const script = () => [
  { calls: [{ code: shopSteps[0]! }] },
  { calls: [{ code: shopSteps[1]! }] },
  { calls: [{ code: shopSteps[2]! }] },
  { text: shopAnswer },
];

const providers = {
  anthropic: (base: string) => createAnthropic({ baseURL: `${base}/v1`, apiKey: 'sk-ant-test' })('claude-test'),
  'openai chat': (base: string) => createOpenAI({ baseURL: `${base}/v1`, apiKey: 'sk-test' }).chat('gpt-test'),
  'openai responses': (base: string) => createOpenAI({ baseURL: `${base}/v1`, apiKey: 'sk-test' }).responses('gpt-test'),
};

describe('codeTool().aiSdk() with the AI SDK', () => {
  let ctx: Context;
  beforeAll(async () => {
    ctx = await box.createContext();
  });

  for (const [name, makeModel] of Object.entries(providers)) {
    for (const mode of ['generateText', 'streamText'] as const) {
      it(`runs a three-step PTC task with ${mode} over the AI SDK's ${name} provider`, async () => {
        const sessionName = `ai-${name.replace(' ', '-')}-${mode}`;
        const session = server.session(sessionName);
        session.script(script());
        const code = codeTool({ context: ctx });
        const options = {
          model: makeModel(`${server.url}/s/${sessionName}`),
          tools: { run_python: code.aiSdk() },
          stopWhen: isStepCount(5),
          prompt: 'Total of the open orders by country?',
        };
        let text: string;
        let toolOutputs: unknown[];
        if (mode === 'generateText') {
          const r = await generateText(options);
          text = r.text;
          toolOutputs = r.steps.flatMap((s) => s.toolResults.map((t) => t.output));
        } else {
          const r = streamText(options);
          text = await r.text;
          toolOutputs = (await r.steps).flatMap((s) => s.toolResults.map((t) => t.output));
        }
        expect(text).toBe(shopAnswer);
        expect(toolOutputs).toEqual(shopOutputs);
        expect(session.requests).toHaveLength(4);
        for (const r of session.requests) expect(r.problems).toEqual([]);
        const first = session.requests[0]!.body;
        // The AI SDK read the Standard JSON Schema of the code tool.
        const schemaOf = (t: Record<string, unknown>) => (t.input_schema ?? t.parameters ?? (t.function as Record<string, unknown>)?.parameters) as { required: string[] };
        expect(schemaOf((first.tools as Record<string, unknown>[])[0]!).required).toEqual(['code']);
      });
    }
  }
});
