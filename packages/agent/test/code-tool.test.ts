// codeTool: one `run_python({ code })` tool, rendered for each model API, whose result is what
// the model should read.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PyBox, type Context } from '@pybox/node';
import { codeTool, cut, formatResult, NO_OUTPUT, type CodeTool } from '@pybox/agent';
import { shopTools } from '../../../test/agent/fixtures.js';

let box: PyBox;
let ctx: Context;
let code: CodeTool;
beforeAll(async () => {
  box = await PyBox.create({ inThread: true, tools: shopTools() });
  ctx = await box.createContext();
  code = codeTool({ context: ctx, instructions: 'Amounts are in euros.' });
});
afterAll(() => box.close());

const schema = {
  type: 'object',
  properties: { code: { type: 'string', description: 'Python code to run. Top-level await works; print what you need to see.' } },
  required: ['code'],
  additionalProperties: false,
};

describe('renderings', () => {
  it('Anthropic Messages: { name, description, input_schema }', () => {
    expect(code.anthropic()).toEqual({ name: 'run_python', description: code.description, input_schema: schema });
  });
  it('OpenAI Chat Completions: { type: "function", function: { name, description, parameters } }', () => {
    expect(code.openaiChat()).toEqual({ type: 'function', function: { name: 'run_python', description: code.description, parameters: schema } });
  });
  it('OpenAI Responses: a flat function tool', () => {
    expect(code.openaiResponses()).toEqual({ type: 'function', name: 'run_python', description: code.description, parameters: schema, strict: false });
  });
  it('AI SDK: { description, inputSchema (Standard JSON Schema), execute }', async () => {
    const t = code.aiSdk();
    expect(t.description).toBe(code.description);
    expect(t.inputSchema['~standard'].jsonSchema.input({ target: 'draft-07' })).toEqual(schema);
    expect(t.inputSchema['~standard'].validate({ code: 'x' })).toEqual({ value: { code: 'x' } });
    expect(t.inputSchema['~standard'].validate({ src: 'x' })).toMatchObject({ issues: [{ path: ['code'] }] });
    expect(await t.execute({ code: 'print(2 + 3)' })).toBe('5');
  });
  it('the description teaches PTC and lists the stubs', () => {
    const d = code.description;
    expect(d).toContain('Top-level `await` works');
    expect(d).toContain('asyncio.gather');
    expect(d).toContain('Tool results you do not print never reach you');
    expect(d).toContain('State persists between calls');
    expect(d).toContain('Amounts are in euros.');
    expect(d).toContain(box.describeTools());
  });
  it('lists only the tools asked for, and refuses unknown names at once', () => {
    const only = codeTool({ context: ctx, tools: ['get_customer'] });
    expect(only.description).toContain('async def get_customer(');
    expect(only.description).not.toContain('list_orders');
    expect(() => codeTool({ context: ctx, tools: ['nope'] })).toThrow(expect.objectContaining({ name: 'InvalidArgumentError' }));
    expect(() => codeTool({} as never)).toThrow(expect.objectContaining({ name: 'InvalidArgumentError', message: expect.stringContaining('box.createContext()') }));
  });
  it('shows tools defined after it was made', async () => {
    await box.defineTool({ name: 'late_tool', description: 'Defined later.', handler: () => 1 });
    expect(code.description).toContain('async def late_tool() -> Any:\n    """Defined later."""');
  });
});

describe('results', () => {
  it('prints, then the repr of the trailing expression', async () => {
    const r = await code.run('print("total:", 3)\n{"a": [1, 2]}');
    expect(r.text).toBe("total: 3\nOut: {'a': [1, 2]}");
    expect(r.value).toEqual({ a: [1, 2] });
  });
  it('nudges when nothing was printed', async () => {
    expect((await code.run('x = 1')).text).toBe(NO_OUTPUT);
  });
  it('keeps stdout and stderr in the order printed', async () => {
    const r = await code.run('import sys\nprint("a")\nprint("b", file=sys.stderr)\nprint("c")');
    expect(r.text).toBe('a\nb\nc');
  });
  it('a syntax error: the caret and the message', async () => {
    const r = await code.run('def (:');
    expect(r.ok).toBe(false);
    expect(r.text).toBe('  File "<code>", line 1\n    def (:\n        ^\nSyntaxError: invalid syntax');
  });
  it('call(): malformed arguments are an error result, never a throw', async () => {
    expect((await code.call('{oops')).text).toMatch(/^Error: the arguments of run_python are not valid JSON/);
    expect((await code.call({ code: '   ' })).text).toBe('Error: the "code" argument of run_python is empty: send the Python source to run');
    expect((await code.call('{"code": "print(9)"}')).text).toBe('9');
  });
  it('source past the limit is an error result the model can act on', async () => {
    const r = await code.run(`x = "${'a'.repeat(2 * 1024 * 1024)}"`);
    expect(r.ok).toBe(false);
    expect(r.error?.type).toBe('InvalidArgumentError');
    expect(r.text).toContain('pass large data with ctx.set() or a file instead');
  });
});

describe('formatResult and cut', () => {
  it('cuts the middle and says how much', () => {
    const text = 'a'.repeat(60) + 'b'.repeat(60);
    expect(cut(text, 40)).toBe(`${'a'.repeat(20)}\n[... 80 characters cut ...]\n${'b'.repeat(20)}`);
    expect(cut('short', 40)).toBe('short');
  });
  it('keeps the traceback whole when the output is cut', () => {
    const error = { type: 'ValueError', message: 'bad', traceback: 'Traceback (most recent call last):\n  File "<code>", line 9, in <module>\nValueError: bad\n' };
    const text = formatResult({ output: 'x'.repeat(5000), error }, 1000);
    expect(text.endsWith('ValueError: bad')).toBe(true);
    expect(text).toMatch(/\[\.\.\. \d+ characters cut \.\.\.\]/);
    expect(text.length).toBeLessThan(1100);
  });
});
