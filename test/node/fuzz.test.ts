// Bad host-API input gets typed errors, never a hang or a crash (fast-check, bounded runs).
import { afterAll, beforeAll, expect, it } from 'vitest';
import fc from 'fast-check';
import { PyBox, PyBoxError, type Context } from '@pybox/node';

let box: PyBox;
let ctx: Context;
beforeAll(async () => {
  box = await PyBox.create({ inThread: true, limits: { timeoutMs: 1000 } });
  ctx = await box.createContext();
});
afterAll(() => box.close());

/** Resolves to an ExecResult or rejects with a PyBoxError; anything else fails the property. */
async function settles(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(PyBoxError);
  }
}

it('exec takes any string: Python error or result, never a crash', async () => {
  await fc.assert(
    fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 200 }), async (code) => {
      await settles(ctx.exec(code));
    }),
    { numRuns: 150 },
  );
  expect((await ctx.exec('1 + 1')).ok).toBe(true);
});

it('set/get take any JSON value and round-trip it', async () => {
  await fc.assert(
    fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), async (value) => {
      await ctx.set('v', value);
      // -0 becomes 0 through JSON
      expect(await ctx.get('v')).toEqual(JSON.parse(JSON.stringify(value)));
    }),
    { numRuns: 150 },
  );
});

it('set/get/protect reject bad names and values with typed errors', async () => {
  await fc.assert(
    fc.asyncProperty(fc.string({ maxLength: 20 }), fc.anything(), async (name, value) => {
      await settles(ctx.set(name, value));
      await settles(ctx.get(name));
      await settles(ctx.protect(name));
    }),
    { numRuns: 150 },
  );
});

it('rejects specific bad input with the right error', async () => {
  await expect(ctx.set('x', 1n)).rejects.toMatchObject({ name: 'InvalidArgumentError' });
  await expect(ctx.set('x', undefined)).rejects.toMatchObject({ name: 'InvalidArgumentError' });
  await expect(ctx.set('x', () => 1)).rejects.toMatchObject({ name: 'InvalidArgumentError' });
  await expect(ctx.set('x', NaN)).rejects.toMatchObject({ name: 'InvalidArgumentError' });
  await expect(ctx.set('1x', 1)).rejects.toMatchObject({ name: 'InvalidArgumentError' });
  await expect(ctx.exec(42 as never)).rejects.toMatchObject({ name: 'InvalidArgumentError' });
  await expect(ctx.exec('1', { timeoutMs: -1 })).rejects.toMatchObject({ name: 'InvalidArgumentError' });
  await expect(ctx.exec('1', { bogus: 1 } as never)).rejects.toMatchObject({ name: 'InvalidArgumentError' });
  await expect(box.fs.readFile('relative/path')).rejects.toMatchObject({ name: 'InvalidArgumentError' });
  await expect(box.fs.writeFile('/lib/x', 'y')).rejects.toMatchObject({ name: 'InvalidArgumentError' });
  await expect(PyBox.create({ inThread: true, limits: { timeoutMs: 0 } })).rejects.toMatchObject({ name: 'InvalidArgumentError' });
});

it('handles NUL bytes, lone surrogates and 10 MB of code', async () => {
  const ctx = await box.createContext(); // the fuzzing above protected random names in the shared one
  const nul = await ctx.exec('x = 1\0');
  expect(nul.ok).toBe(false);
  // Code with a lone surrogate is not text: refused, saying so. Escaped in Python source it is fine.
  await expect(ctx.exec('s = "\ud800"\nlen(s)')).rejects.toThrow(/lone surrogate \(U\+D800\) at index 5/);
  expect(await ctx.exec('s = "\\ud800"\nlen(s)')).toMatchObject({ ok: true, value: 1 });
  // Values keep their lone surrogates both ways.
  await ctx.set('lone', 'a\udc00b');
  expect(await ctx.get('lone')).toBe('a\udc00b');
  expect(await ctx.get('s')).toBe('\ud800');
  const big = `x = 0\n${'x += 1\n'.repeat((10 * 1024 * 1024) / 7)}x`;
  await expect(ctx.exec(big)).rejects.toMatchObject({ name: 'InvalidArgumentError' });
  const large = `data = ${JSON.stringify('y'.repeat(1024 * 1024))}\nlen(data)`; // 1 MB is fine
  expect(await ctx.exec(large)).toMatchObject({ ok: true, value: 1024 * 1024 });
  expect((await ctx.exec('2 + 2')).ok).toBe(true);
});

it('survives tool handlers that throw odd things, return non-JSON, or never resolve', async () => {
  const b = await PyBox.create({
    inThread: true,
    tools: [
      { name: 'throws_string', handler: async () => { throw 'plain string'; } },
      { name: 'returns_bigint', handler: async () => 10n },
      { name: 'returns_function', handler: async () => () => 1 },
      { name: 'returns_cyclic', handler: async () => { const o: Record<string, unknown> = {}; o.o = o; return o; } },
      { name: 'never', handler: () => new Promise(() => {}) },
    ],
  });
  const c = await b.createContext();
  for (const tool of ['throws_string', 'returns_bigint', 'returns_function', 'returns_cyclic']) {
    const r = await c.exec(`await ${tool}()`);
    expect(r.ok).toBe(false);
  }
  await expect(c.exec('await never()', { wallTimeoutMs: 200 })).rejects.toMatchObject({ name: 'WallTimeLimitError' });
  expect((await c.exec('1')).ok).toBe(true);
  await b.close();
});
