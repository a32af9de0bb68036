/**
 * Hard stops, for engines in a worker: code that never reaches an
 * interrupt check is stopped by replacing the worker, and the box goes on.
 */
import { expect, it } from 'vitest';
import type { PyBoxBase, PyBoxOptions } from '@pybox/core';
import { ok } from './conformance/suite.js';

/** Registers the hard-stop cases for a worker-based engine. */
export function defineHardStop(createBox: (options?: PyBoxOptions) => Promise<PyBoxBase>): void {
  it('stops a long builtin that never checks the time limit, and the box goes on', async () => {
    const box = await createBox({
      tools: [{ name: 'double', parameters: { type: 'object', properties: { x: {} } }, handler: async ({ x }) => Number(x) * 2 }],
      files: { '/data/seed.txt': 'seed' },
    });
    const ctx = await box.createContext();
    ok(await ctx.exec('kept = 1'));
    // sum() over a range runs in C with no interrupt check.
    await expect(ctx.exec('sum(range(10**13))', { timeoutMs: 300 })).rejects.toMatchObject({
      name: 'GuestCrashError',
      reason: 'hard-stop-time-limit',
      contextsLost: 1,
    });
    await expect(ctx.exec('kept')).rejects.toMatchObject({ name: 'ContextDisposedError' });
    const fresh = await box.createContext();
    expect(ok(await fresh.exec('await double(21)')).value).toBe(42);
    expect(ok(await fresh.exec('open("/data/seed.txt").read()')).value).toBe('seed');
    await box.close();
  }, 30_000);

  it('stops a long builtin on an aborted signal soon after, not at the time limit, with or without the shared flag', async () => {
    const box = await createBox();
    const ctx = await box.createContext();
    const stop = new AbortController();
    const running = ctx.exec('sum(range(10**13))', { timeoutMs: 60_000, signal: stop.signal });
    setTimeout(() => stop.abort(), 200);
    // The flag never reaches a builtin's C loop: the watchdog replaces the worker after the interrupt grace.
    await expect(running).rejects.toMatchObject({ name: 'GuestCrashError', reason: 'hard-stop-interrupt' });
    await expect(ctx.exec('1')).rejects.toMatchObject({ name: 'ContextDisposedError' });
    const fresh = await box.createContext();
    expect(ok(await fresh.exec('1 + 1')).value).toBe(2);
    await box.close();
  }, 30_000);

  it('stops CPU-bound code on box.interrupt(): through the shared flag, or by a hard stop without one', async () => {
    const box = await createBox();
    const ctx = await box.createContext();
    const running = ctx.exec('while True: pass', { timeoutMs: 60_000 });
    setTimeout(() => box.interrupt(), 200);
    // With SharedArrayBuffer the guest sees the flag within a millisecond and the context lives on;
    // without it (this page is not cross-origin isolated) the worker is replaced.
    const expected = typeof SharedArrayBuffer === 'function' ? { name: 'AbortedError' } : { name: 'GuestCrashError', reason: 'hard-stop-interrupt' };
    await expect(running).rejects.toMatchObject(expected);
    const next = expected.name === 'AbortedError' ? ctx : await box.createContext();
    expect(ok(await next.exec('1 + 1')).value).toBe(2);
    await box.close();
  }, 30_000);
}
