// In-thread only: plain (non-async) handlers can be called without `await`.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PyBox, type Context } from '@pybox/node';
import { ok } from '../conformance/suite.js';

let box: PyBox;
let ctx: Context;
beforeAll(async () => {
  box = await PyBox.create({
    inThread: true,
    tools: [
      {
        name: 'lookup',
        description: 'Look a key up.',
        parameters: { type: 'object', properties: { key: { type: 'string' } }, required: ['key'] },
        handler: ({ key }) => ({ a: 1, b: 2 })[key as 'a' | 'b'] ?? null,
      },
      {
        name: 'strict',
        parameters: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] },
        handler: ({ n }) => {
          if ((n as number) < 0) throw Object.assign(new Error('n must be >= 0'), { name: 'ValueError' });
          return n;
        },
      },
      {
        name: 'later',
        parameters: { type: 'object', properties: {} },
        handler: () => Promise.resolve('resolved'), // a plain function that returns a promise
      },
    ],
  });
  ctx = await box.createContext();
});
afterAll(() => box.close());

it('calls a sync tool without await, also in plain functions', async () => {
  expect(ok(await ctx.exec('def f(k): return lookup(k)\n[lookup("a"), f("b"), lookup("zzz")]')).value).toEqual([1, 2, null]);
});

it('still works with await and gather', async () => {
  expect(ok(await ctx.exec('import asyncio\n[await lookup("a"), *(await asyncio.gather(lookup("b"), lookup("a")))]')).value).toEqual([1, 2, 1]);
});

it('raises the handler error synchronously', async () => {
  expect(ok(await ctx.exec('try:\n  strict(-1)\nexcept ValueError as e:\n  r = str(e)\nr')).value).toBe('n must be >= 0');
});

it('asks for await when a plain handler returns a promise', async () => {
  expect(ok(await ctx.exec('await later()')).value).toBe('resolved');
  const r = await ctx.exec('later()');
  expect(r.ok).toBe(false);
  if (!r.ok) expect(r.error.message).toContain('await later(...)');
});

it('never runs a sync tool twice when its result does not fit in the memory limit: Python gets MemoryError', async () => {
  let runs = 0;
  const small = await PyBox.create({
    inThread: true,
    limits: { memoryBytes: 32 * 1024 * 1024 },
    tools: [{ name: 'huge', parameters: { type: 'object', properties: {} }, handler: () => (runs++, 'x'.repeat(40 * 1024 * 1024)) }],
  });
  const c = await small.createContext();
  for (const code of ['huge()', 'await huge()', 'def f(): return huge()\nf()']) {
    runs = 0;
    const r = await c.exec(code);
    expect(r.ok ? 'ran' : [r.error.type, r.error.message]).toEqual([
      'MemoryError',
      "the result of tool huge (41.9 MB of JSON) does not fit in the box's memory limit",
    ]);
    expect(runs).toBe(1);
  }
  expect(ok(await c.exec('1 + 1')).value).toBe(2);
  await small.close();
});

it('stops CPU-bound code in-thread when a sync tool handler aborts its own exec, and no other exec', async () => {
  const controller = new AbortController();
  const b = await PyBox.create({
    inThread: true,
    tools: [
      { name: 'stop_me', parameters: { type: 'object', properties: {} }, handler: () => (controller.abort(), 'stopping') },
      { name: 'wait', parameters: { type: 'object', properties: {} }, handler: async () => (await new Promise((r) => setTimeout(r, 100)), 'waited') },
    ],
  });
  const [a, other] = [await b.createContext(), await b.createContext()];
  const waiting = other.exec('await wait()');
  const error = await a.exec('stop_me()\nwhile True: pass', { signal: controller.signal, timeoutMs: 60_000 }).then(
    () => new Error('ran to its end'),
    (e: unknown) => e as Error,
  );
  expect(error).toMatchObject({ name: 'AbortedError', message: 'the exec was aborted: its signal was aborted' });
  expect(ok(await waiting).value).toBe('waited');
  expect(ok(await a.exec('1 + 1')).value).toBe(2);
  await b.close();
});
