// Runs the README's "Agents in ten lines" block as written: the real `anthropic` provider, only
// pointed (baseURL) at the local server that speaks the Anthropic Messages wire format.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PyBox } from '@pybox/node';
import { anthropic, runAgent, type AnthropicOptions } from '@pybox/agent';
import { exampleUnder } from '../readme-examples.js';
import { startModelServer, type ModelServer } from '../agent/model-server.js';
import { shopAnswer, shopSteps, shopTools } from '../agent/fixtures.js';

let server: ModelServer;
beforeAll(async () => {
  server = await startModelServer();
});
afterAll(() => server.close());

it('runs the README agent block as written', async () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const lines = exampleUnder(readme, 'Agents in ten lines').trimEnd().split('\n');
  expect(lines.slice(0, 2)).toEqual(["import { PyBox } from '@pybox/node';", "import { anthropic, runAgent } from '@pybox/agent';"]);
  expect(lines.length - 2).toBeLessThanOrEqual(10);

  const session = server.session('readme');
  session.script([{ text: 'Working. ', calls: [{ code: shopSteps[0]! }] }, { calls: [{ code: `${shopSteps[1]!}\n${shopSteps[2]!}` }] }, { text: shopAnswer }]);
  const [listOrders, getCustomer] = shopTools();
  const written: string[] = [];
  const logged: string[] = [];
  const env = { ANTHROPIC_API_KEY: 'sk-ant-readme' };
  const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (...args: string[]) => (...a: unknown[]) => Promise<void>;
  await new AsyncFunction('PyBox', 'anthropic', 'runAgent', 'listOrders', 'getCustomer', 'process', 'console', lines.slice(2).join('\n'))(
    PyBox,
    (options: AnthropicOptions) => anthropic({ ...options, baseURL: `${server.url}/s/readme` }),
    runAgent,
    listOrders,
    getCustomer,
    { env, stdout: { write: (s: string) => written.push(s) } },
    { log: (...a: unknown[]) => logged.push(a.map(String).join(' ')) },
  );
  expect(written.join('')).toBe(`Working. ${shopAnswer}`);
  expect(logged).toHaveLength(1);
  expect(logged[0]).toMatch(/^Open orders: UK 430\.50, US 80\.00\. \(2 code runs, \d+ tokens\)$/);
  expect(session.requests.every((r) => r.problems.length === 0 && r.headers['x-api-key'] === 'sk-ant-readme')).toBe(true);
});
