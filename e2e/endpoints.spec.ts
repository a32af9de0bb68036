/**
 * The same flow through the page with real model APIs' wire formats: a
 * local server on 127.0.0.1 (started here) speaks the Anthropic Messages,
 * OpenAI Chat Completions and OpenAI Responses formats, checks every request
 * the way the real APIs do, and answers scripted turns. The page drives it
 * with @pybox/agent's providers, as it would drive the real endpoints.
 */
import { startModelServer, type Api, type ModelServer } from '../test/agent/model-server.js';
import { expect, fileRow, openPlayground, test } from './fixtures.js';

let server: ModelServer;
test.beforeAll(async () => {
  server = await startModelServer();
});
test.afterAll(async () => {
  await server?.close();
});

const CODE = 'products = await list_products("coffee")\nprint(len(products), "coffee products")\nwith open("/out/count.txt", "w") as f:\n    f.write(str(len(products)))';

const KINDS: { kind: string; api: Api; path: string; label: string }[] = [
  { kind: 'anthropic', api: 'anthropic', path: '/v1/messages', label: 'an Anthropic Messages' },
  { kind: 'openai-chat', api: 'chat', path: '/chat/completions', label: 'an OpenAI Chat Completions' },
  { kind: 'openai-responses', api: 'responses', path: '/responses', label: 'an OpenAI Responses' },
];

for (const { kind, api, path, label } of KINDS) {
  test(`${label} endpoint drives the agent through the page: code, tool call, output, file, answer, and a follow-up`, async ({ page }) => {
    const session = server.session(`${api}-flow`);
    session.script([
      { text: 'Let me count the coffee products.', calls: [{ code: CODE }] },
      { text: 'There are **3** coffee products; the count is in /out/count.txt.' },
      { text: 'You printed a greeting instead.' },
    ]);
    await openPlayground(page);
    await page.getByTestId('model-kind').selectOption(kind);
    await expect(page.getByTestId('key-note')).toContainText('Your key stays in this browser');
    // A path prefix in the base URL is kept, as in the official SDKs (gateways use them).
    await page.getByTestId('model-base-url').fill(`${server.url}/s/${api}-flow`);
    await page.getByTestId('model-name').fill('test-model');
    await page.getByTestId('model-key').fill('sk-test-key');
    await page.getByTestId('task').fill('How many coffee products are there? Save the count to /out/count.txt');
    await page.getByTestId('agent-run').click();

    await expect(page.getByTestId('answer')).toHaveText('There are 3 coffee products; the count is in /out/count.txt.', { timeout: 30_000 });
    await expect(page.getByTestId('model-text')).toHaveText('Let me count the coffee products.');
    await expect(page.getByTestId('step-code')).toHaveText(CODE);
    await expect(page.getByTestId('tool-call')).toHaveText([/^list_products\(category="coffee"\)ok/]);
    await expect(page.getByTestId('step-output')).toHaveText('3 coffee products\n');
    await expect(fileRow(page, '/out/count.txt')).toBeVisible();

    // What the page sent is valid for the API, and the model got back only the printed text.
    expect(session.requests).toHaveLength(2);
    for (const r of session.requests) {
      expect(r.problems).toEqual([]);
      expect(r.path).toBe(`/s/${api}-flow${path}`);
      expect(r.body.model).toBe('test-model');
    }
    const [first, second] = session.requests;
    if (api === 'anthropic') {
      expect(first!.headers['x-api-key']).toBe('sk-test-key');
      expect(first!.headers['anthropic-dangerous-direct-browser-access']).toBe('true');
      expect((first!.body.tools as { name: string }[]).map((t) => t.name)).toEqual(['run_python']);
      const messages = second!.body.messages as { role: string; content: unknown }[];
      expect(messages.at(-1)!.content).toMatchObject([{ type: 'tool_result', content: '3 coffee products' }]);
    } else if (api === 'chat') {
      expect(first!.headers.authorization).toBe('Bearer sk-test-key');
      expect((first!.body.tools as { function: { name: string } }[]).map((t) => t.function.name)).toEqual(['run_python']);
      const messages = second!.body.messages as { role: string; content: unknown }[];
      expect(messages.at(-1)).toMatchObject({ role: 'tool', content: '3 coffee products' });
    } else {
      expect(first!.headers.authorization).toBe('Bearer sk-test-key');
      expect((first!.body.tools as { name: string }[]).map((t) => t.name)).toEqual(['run_python']);
      const input = second!.body.input as { type?: string; output?: unknown }[];
      expect(input.at(-1)).toMatchObject({ type: 'function_call_output', output: '3 coffee products' });
    }
    // The code tool's description lists the page's tools as Python stubs.
    expect(JSON.stringify(first!.body.tools)).toContain('async def get_sales(product_id: str, month: Literal[');

    // Edit the step, run it again by hand; the follow-up tells the model what changed.
    await page.getByTestId('step-edit').click();
    await page.getByTestId('step-editor-input').click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.insertText('print("hello from the user")');
    await page.getByTestId('step-rerun').click();
    await expect(page.getByTestId('rerun-output')).toHaveText('hello from the user\n');
    await page.getByTestId('task').fill('What did my edited code print?');
    await page.getByTestId('agent-run').click();
    await expect(page.getByTestId('answer').nth(1)).toHaveText('You printed a greeting instead.', { timeout: 30_000 });
    expect(session.requests).toHaveLength(3);
    expect(session.requests[2]!.problems).toEqual([]);
    const third = JSON.stringify(session.requests[2]!.body);
    expect(third).toContain('What did my edited code print?');
    expect(third).toContain('I edited the code of step 1 and ran it again in the same context');
    expect(third).toContain('hello from the user');
    // The whole conversation went back: the first task's tool result too.
    expect(third).toContain('How many coffee products are there?');
  });
}

test('the endpoint settings and the key are kept in this browser only, and "Forget key" removes the key', async ({ page }) => {
  await openPlayground(page);
  await page.getByTestId('model-kind').selectOption('anthropic');
  await expect(page.getByTestId('model-base-url')).toHaveValue('https://api.anthropic.com');
  await page.getByTestId('model-key').fill('sk-ant-kept');
  await page.getByTestId('model-name').fill('claude-test');
  await page.reload();
  await expect(page.getByTestId('model-kind')).toHaveValue('anthropic');
  await expect(page.getByTestId('model-key')).toHaveValue('sk-ant-kept');
  await expect(page.getByTestId('model-name')).toHaveValue('claude-test');
  const stored = await page.evaluate(() => localStorage.getItem('pybox-playground:model'));
  expect(JSON.parse(stored!).endpoints.anthropic.apiKey).toBe('sk-ant-kept');

  await page.getByTestId('forget-key').click();
  await expect(page.getByTestId('model-key')).toHaveValue('');
  expect(await page.evaluate(() => localStorage.getItem('pybox-playground:model'))).not.toContain('sk-ant-kept');
});

test('an endpoint that refuses the key shows the typed error and what to do', async ({ page }) => {
  const session = server.session('refused');
  session.script([{ status: 401, body: { type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } } }]);
  await openPlayground(page);
  await page.getByTestId('model-kind').selectOption('anthropic');
  await page.getByTestId('model-base-url').fill(`${server.url}/s/refused`);
  await page.getByTestId('model-key').fill('sk-wrong');
  await page.getByTestId('agent-run').click();
  await expect(page.getByTestId('agent-error').locator('.badge')).toHaveText('ModelAuthError');
  await expect(page.getByTestId('agent-error')).toContainText('invalid x-api-key');
  await expect(page.getByTestId('agent-error')).toContainText('The endpoint refused the key: check it under Model.');
  await expect(page.getByTestId('agent-run')).toBeEnabled();
});
