// runAgent: malformed model turns go back as error results, budgets end the run with a
// reason, events report every step, abort works at every point, and what tools return
// reaches the model only when the code prints it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PyBox, type Context } from '@pybox/node';
import { DEFAULT_SYSTEM_PROMPT, openai, runAgent, scripted, type AgentEvent, type ModelMessage } from '@pybox/agent';
import { startModelServer, type ModelServer } from '../../../test/agent/model-server.js';
import { shopSteps, shopTools } from '../../../test/agent/fixtures.js';

let box: PyBox;
let server: ModelServer;
let release: () => void = () => {};
beforeAll(async () => {
  server = await startModelServer();
  box = await PyBox.create({
    tools: [
      ...shopTools(),
      {
        name: 'wait_forever',
        description: 'Never returns (until the test releases it).',
        parameters: { type: 'object', properties: {} },
        handler: () => new Promise<string>((resolve) => (release = () => resolve('released'))),
      },
    ],
  });
});
afterAll(async () => {
  release();
  await box?.close();
  await server?.close();
});

const toolResults = (messages: ModelMessage[]) => messages.flatMap((m) => (m.role === 'tool' ? m.results : []));

describe('malformed model turns', () => {
  it('answers each with an error result and goes on', async () => {
    const events: AgentEvent[] = [];
    const model = scripted([
      { toolCalls: [{ name: 'run_python', arguments: '{"cod": "print(1)"}' }] },
      { toolCalls: [{ name: 'search_web', arguments: { query: 'x' } }] },
      { toolCalls: [{ name: 'run_python', arguments: '{"code": "print(1)"' }] },
      { toolCalls: [{ name: 'run_python', arguments: '["print(1)"]' }] },
      { code: 'print("fine")' },
      'Done.',
    ]);
    const r = await runAgent({ box, model, task: 'Go.', onEvent: (e) => events.push(e) });
    expect(r.stopReason).toBe('answer');
    expect(r.text).toBe('Done.');
    expect(r.steps.map((s) => s.output)).toEqual(['fine']);
    const results = toolResults(r.messages);
    expect(results.map((x) => x.isError)).toEqual([true, true, true, true, false]);
    expect(results[0]!.content).toBe('Error: run_python needs a "code" string argument (got "cod"): send {"code": "<python source>"}');
    expect(results[1]!.content).toContain('there is no tool named "search_web": the only tool is run_python');
    expect(results[2]!.content).toMatch(/^Error: the arguments of run_python are not valid JSON \(.+\): send \{"code": "<python source>"\}$/);
    expect(results[3]!.content).toBe('Error: the arguments of run_python must be a JSON object: send {"code": "<python source>"}');
    expect(events.filter((e) => e.type === 'invalid_call')).toHaveLength(4);
    // Every error went back to the model as the answer to its own call.
    const request = model.requests[1]!;
    const [assistant, tool] = request.messages.slice(-2);
    expect(assistant!.role === 'assistant' && assistant!.toolCalls[0]!.id).toBe(tool!.role === 'tool' && tool!.results[0]!.callId);
  });

  it('answers a Python exception with the traceback of the code only', async () => {
    const model = scripted([{ code: 'def f(x):\n    return 1 / x\nprint("before")\nf(0)' }, 'ok']);
    const r = await runAgent({ box, model, task: 'Divide.' });
    const step = r.steps[0]!;
    expect(step.ok).toBe(false);
    expect(step.error?.type).toBe('ZeroDivisionError');
    expect(step.output).toBe(
      'before\nTraceback (most recent call last):\n  File "<code>", line 4, in <module>\n    f(0)\n  File "<code>", line 2, in f\n    return 1 / x\nZeroDivisionError: division by zero',
    );
    expect(toolResults(r.messages)[0]!.isError).toBe(true);
  });

  it('answers a validation error of a tool the code called', async () => {
    const model = scripted([{ code: 'await get_customer("nobody")' }, 'ok']);
    const r = await runAgent({ box, model, task: 'Look up.' });
    expect(r.steps[0]!.output).toContain("ValueError: get_customer(): id: must match the pattern ^c[0-9]+$, got 'nobody'");
    expect(r.steps[0]!.toolCalls).toHaveLength(1);
    expect(r.steps[0]!.toolCalls[0]).toMatchObject({ name: 'get_customer', ok: false, error: { type: 'ValueError' } });
  });
});

describe('budgets', () => {
  it('maxSteps ends the run with a reason; every call still has a result', async () => {
    const model = scripted([{ code: 'a = 1' }, { code: ['a += 1', 'a += 1'] }, 'never reached']);
    const r = await runAgent({ box, model, task: 'Count.', maxSteps: 2 });
    expect(r.stopReason).toBe('max_steps');
    expect(r.stopMessage).toBe('stopped after 2 steps (maxSteps): the model still wanted to run code');
    expect(r.steps).toHaveLength(2);
    expect(model.requests).toHaveLength(2);
    const last = r.messages.at(-1)!;
    expect(last.role === 'tool' && last.results.map((x) => [x.isError, x.content])).toEqual([
      [false, '(no output: print() what you need to see)'],
      [true, 'Error: not run: stopped after 2 steps (maxSteps): the model still wanted to run code'],
    ]);
  });

  it('maxTokens ends the run with a reason', async () => {
    const model = scripted([{ text: 'Thinking.', code: 'a = 1' }, 'never reached']);
    const r = await runAgent({ box, model, task: 'Count.', maxTokens: 10 });
    expect(r.stopReason).toBe('max_tokens');
    expect(r.stopMessage).toMatch(/^stopped after \d+ tokens \(maxTokens 10\): the model still wanted to run code$/);
    expect(r.text).toBe('Thinking.');
    expect(r.steps).toEqual([]);
    const last = r.messages.at(-1)!;
    expect(last.role === 'tool' && last.results[0]!.content).toMatch(/^Error: not run: stopped after \d+ tokens/);
  });

  it('timeoutMs ends the run with a reason, also while code waits on a tool', async () => {
    const model = scripted([{ code: 'await wait_forever()' }, 'never reached']);
    const r = await runAgent({ box, model, task: 'Wait.', timeoutMs: 150 });
    expect(r.stopReason).toBe('timeout');
    expect(r.stopMessage).toBe('stopped after 150 ms (timeoutMs)');
    const last = r.messages.at(-1)!;
    expect(last.role === 'tool' && last.results).toEqual([{ callId: 'call_1', content: 'Error: interrupted: stopped after 150 ms (timeoutMs)', isError: true }]);
    release();
  });

  it('a CPU time limit ends the step only: the model reads it and goes on', async () => {
    const model = scripted([{ code: 'while True:\n    pass' }, 'gave up']);
    const r = await runAgent({ box, model, task: 'Loop.', codeTool: { timeoutMs: 100 } });
    expect(r.stopReason).toBe('answer');
    expect(r.steps[0]!.error?.type).toBe('TimeLimitError');
    expect(r.steps[0]!.output).toContain('TimeLimitError: the exec used more than its CPU time limit of 100 ms');
  });
});

describe('abort', () => {
  it('before the run starts: AbortedError, the model is not asked', async () => {
    const model = scripted(['never']);
    await expect(runAgent({ box, model, task: 'x', signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortedError' });
    expect(model.requests).toHaveLength(0);
  });

  it('while the request waits for the server: AbortedError', async () => {
    const session = server.session('abort-model');
    session.script([{ text: 'slow', delayMs: 10_000 }]);
    const model = openai({ apiKey: 'k', baseURL: `${server.url}/s/abort-model/v1`, model: 'm' });
    const controller = new AbortController();
    // Abort once the server holds the request (it answers only after 10 s).
    const watch = setInterval(() => session.requests.length && controller.abort(), 5);
    const pending = runAgent({ box, model, task: 'x', signal: controller.signal });
    await expect(pending).rejects.toMatchObject({ name: 'AbortedError' });
    clearInterval(watch);
    expect(session.requests).toHaveLength(1);
  });

  it('while the model streams: AbortedError', async () => {
    const session = server.session('abort-stream');
    session.script([{ text: 'A long answer that the server stops sending halfway through, and never finishes.', stall: true }]);
    const model = openai({ apiKey: 'k', baseURL: `${server.url}/s/abort-stream/v1`, model: 'm', api: 'responses' });
    const controller = new AbortController();
    const texts: string[] = [];
    const pending = runAgent({ box, model, task: 'x', signal: controller.signal, onEvent: (e) => e.type === 'text' && (texts.push(e.delta), controller.abort()) });
    await expect(pending).rejects.toMatchObject({ name: 'AbortedError' });
    expect(texts[0]).toBe('A long ');
  });

  it('while code waits on a tool: AbortedError, and the box stays usable', async () => {
    const controller = new AbortController();
    const model = scripted([{ code: 'print("started")\nawait wait_forever()' }, 'never']);
    const pending = runAgent({
      box,
      model,
      task: 'x',
      signal: controller.signal,
      onEvent: (e) => e.type === 'output' && controller.abort(),
    });
    await expect(pending).rejects.toMatchObject({ name: 'AbortedError' });
    release();
    const again = await runAgent({ box, model: scripted([{ code: 'print(6 * 7)' }, 'ok']), task: 'y' });
    expect(again.steps[0]!.output).toBe('42');
  });

  it('during the backoff before a retry: AbortedError', async () => {
    const session = server.session('abort-retry');
    session.script([{ status: 503, headers: { 'retry-after': '30' } }, { text: 'never' }]);
    const model = openai({ apiKey: 'k', baseURL: `${server.url}/s/abort-retry/v1`, model: 'm' });
    const controller = new AbortController();
    const pending = runAgent({ box, model, task: 'x', signal: controller.signal, onEvent: (e) => e.type === 'retry' && controller.abort() });
    await expect(pending).rejects.toMatchObject({ name: 'AbortedError' });
    expect(session.requests).toHaveLength(1);
  });
});

describe('events, prompts and state', () => {
  it('reports model text, the code, each tool call, output and the step', async () => {
    const events: AgentEvent[] = [];
    const model = scripted([{ text: 'Checking.', code: shopSteps[0]! }, 'Three.']);
    await runAgent({ box, model, task: 'How many open orders?', onEvent: (e) => events.push(e) });
    expect(events.map((e) => e.type)).toEqual([
      'model_start', 'text', 'model_end', 'code', 'tool_call', 'output', 'step', 'model_start', 'text', 'model_end', 'done',
    ]);
    const call = events.find((e) => e.type === 'tool_call');
    expect(call).toMatchObject({ step: 1, call: { name: 'list_orders', args: { status: 'open' }, ok: true } });
    expect(call?.type === 'tool_call' && call.call.ok && (call.call.result as unknown[]).length).toBe(3);
    expect(events.find((e) => e.type === 'output')).toMatchObject({ step: 1, stream: 'stdout', text: '3 open orders\n' });
    expect(events.find((e) => e.type === 'step')).toMatchObject({ step: { index: 1, code: shopSteps[0], output: '3 open orders', ok: true } });
  });

  it('sends tool results to the model only when the code prints them', async () => {
    const model = scripted([{ code: shopSteps[0]! }, { code: shopSteps[1]! }, 'Done.']);
    await runAgent({ box, model, task: 'Who ordered?' });
    const everything = JSON.stringify(model.requests);
    expect(everything).toContain("['c1', 'c2', 'c3']"); // printed
    expect(everything).not.toContain('Ada Lovelace'); // returned by get_customer, never printed
    expect(everything).not.toContain('120.5'); // an order total, never printed
  });

  it('uses the default system prompt unless given one; the tool stubs are in the tool description', async () => {
    const first = scripted(['a']);
    await runAgent({ box, model: first, task: 'x' });
    expect(first.requests[0]!.system).toBe(DEFAULT_SYSTEM_PROMPT);
    const second = scripted(['b']);
    await runAgent({ box, model: second, task: 'x', system: 'You are terse.' });
    expect(second.requests[0]!.system).toBe('You are terse.');
    const tool = second.requests[0]!.tools[0]!;
    expect(tool.name).toBe('run_python');
    expect(tool.description).toContain('asyncio.gather');
    expect(tool.description).toContain('async def get_customer(id: str) -> Any:');
  });

  it('keeps the state of a given context across runs; a box gets a fresh context per run', async () => {
    const ctx: Context = await box.createContext();
    await runAgent({ context: ctx, model: scripted([{ code: 'memo = 41' }, 'set']), task: 'x' });
    const r = await runAgent({ context: ctx, model: scripted([{ code: 'print(memo + 1)' }, 'read']), task: 'y' });
    expect(r.steps[0]!.output).toBe('42');
    expect(await ctx.get('memo')).toBe(41);
    await runAgent({ box, model: scripted([{ code: 'fresh = 1' }, 'set']), task: 'x' });
    const other = await runAgent({ box, model: scripted([{ code: 'print("fresh" in globals())' }, 'read']), task: 'y' });
    expect(other.steps[0]!.output).toBe('False');
    await ctx.dispose();
  });

  it('continues a conversation from the messages of an earlier result', async () => {
    const first = await runAgent({ box, model: scripted([{ code: 'x = 2' }, 'Stored.']), task: 'Store 2.' });
    const model = scripted(['Again.']);
    await runAgent({ box, model, task: 'And now?', messages: first.messages });
    expect(model.requests[0]!.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'assistant', 'user']);
  });

  it('cuts long output to head and tail with a notice', async () => {
    const model = scripted([{ code: 'for i in range(5000):\n    print(f"line {i:04d}")' }, 'ok']);
    const r = await runAgent({ box, model, task: 'x', codeTool: { maxOutputChars: 1000 } });
    const out = r.steps[0]!.output;
    expect(out.startsWith('line 0000\nline 0001\n')).toBe(true);
    expect(out.endsWith('line 4998\nline 4999')).toBe(true);
    expect(out).toMatch(/\n\[\.\.\. 4\d{4} characters cut \.\.\.\]\n/);
    expect(out.length).toBeLessThan(1100);
  });

  it('a throwing onEvent ends the run with its error', async () => {
    const boom = new Error('listener bug');
    await expect(
      runAgent({ box, model: scripted([{ code: 'print(1)' }, 'ok']), task: 'x', onEvent: (e) => { if (e.type === 'step') throw boom; } }),
    ).rejects.toBe(boom);
  });

  it('an async onEvent that rejects ends the run with its error (and never becomes an unhandled rejection)', async () => {
    const boom = new Error('async listener bug');
    await expect(
      runAgent({ box, model: scripted([{ code: 'print(1)' }, 'ok']), task: 'x', onEvent: async (e) => { if (e.type === 'step') throw boom; } }),
    ).rejects.toBe(boom);
  });

  it('refuses bad options with InvalidArgumentError', async () => {
    const model = scripted(['x']);
    await expect(runAgent({ model, task: 'x' } as never)).rejects.toMatchObject({ name: 'InvalidArgumentError', message: expect.stringContaining('context or a box') });
    await expect(runAgent({ box, model, task: '' })).rejects.toMatchObject({ name: 'InvalidArgumentError', message: expect.stringContaining('task') });
    await expect(runAgent({ box, model, task: 'x', maxSteps: 0 })).rejects.toMatchObject({ name: 'InvalidArgumentError', message: expect.stringContaining('maxSteps') });
    await expect(runAgent({ box, model: {} as never, task: 'x' })).rejects.toMatchObject({ name: 'InvalidArgumentError', message: expect.stringContaining('model') });
  });
});
