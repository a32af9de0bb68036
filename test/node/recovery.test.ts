// In-thread crash recovery: a host stack overflow inside the guest (a real one: the exec is started
// from deep JS recursion, so the guest's native frames run out of stack) restores the guest from its
// boot image. The error says why and how many contexts went; handles from before the restore are
// dead even though the guest reuses its context ids; a suspended exec of a lost context rejects
// instead of resuming into a new one.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ContextDisposedError, PyBox, type Context, type ExecResult } from '@pybox/node';
import { Engine, type GuestAssets } from '@pybox/core/internal';
import { loadAssets } from '../../packages/node/src/assets.js';
import { ok } from '../conformance/suite.js';
import { DEEP_C, overflowInsideGuest } from '../stack-overflow.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let box: PyBox;
beforeAll(async () => {
  box = await PyBox.create({
    inThread: true,
    tools: [{ name: 'slow', parameters: { type: 'object', properties: {} }, handler: () => sleep(200).then(() => 'late') }],
  });
});
afterAll(() => box.close());

it('reports a host stack overflow as GuestCrashError(stack-overflow) with the contexts lost, and old handles stay dead', async () => {
  const victim = await box.createContext();
  const others: Context[] = [await box.createContext(), await box.createContext()];
  ok(await others[0]!.exec('secret = "old"'));
  const error = await overflowInsideGuest(() => victim.exec(DEEP_C));
  expect(error.reason).toBe('stack-overflow');
  expect(error.contextsLost).toBe(3);
  expect(error.message).toMatch(/^the guest stopped abnormally \(stack-overflow: Maximum call stack size exceeded\); the box was restored from its boot image: 3 context\(s\) were lost/);
  // The guest numbers its contexts from scratch again: new contexts take the old guest ids.
  const fresh = [await box.createContext(), await box.createContext(), await box.createContext()];
  ok(await fresh[0]!.exec('secret = "new"'));
  for (const old of [victim, ...others]) {
    expect(old.isLive).toBe(false);
    const stale = await old.get('secret').then(
      () => new Error('an old handle reached a new context'),
      (e: unknown) => e as Error,
    );
    expect(stale).toBeInstanceOf(ContextDisposedError);
    expect(stale.message).toBe(
      'this context was lost when the box restarted its guest (stack-overflow; 3 context(s) lost): create a new one with box.createContext()',
    );
  }
  expect(await fresh[0]!.get('secret')).toBe('new');
  expect(fresh.map((c) => c.id)).not.toContain(victim.id);
  // Tools and the guest work as before.
  expect(ok(await fresh[1]!.exec('await slow()')).value).toBe('late');
  await Promise.all(fresh.map((c) => c.dispose()));
});

it('rejects an exec that was suspended when the guest was restored, instead of resuming a new context', async () => {
  const waiting = await box.createContext();
  const victim = await box.createContext();
  const suspended: Promise<ExecResult> = waiting.exec('r = await slow()\nr');
  await sleep(10);
  await overflowInsideGuest(() => victim.exec(DEEP_C));
  const replacement = await box.createContext(); // may get the guest id the waiting context had
  const error = await suspended.then(
    () => new Error('resumed'),
    (e: unknown) => e as Error,
  );
  expect(error).toBeInstanceOf(ContextDisposedError);
  expect(error.message).toBe("this exec's context was lost when the guest was restored after a crash: create a new context");
  await expect(replacement.get('r')).rejects.toMatchObject({ name: 'PythonError', type: 'NameError' });
  await replacement.dispose();
});

it('gives out engine handles that are never reused, so even below the facade an old handle cannot reach a new context', async () => {
  const assets: GuestAssets = await loadAssets();
  const engine = await Engine.create(assets);
  const old = engine.createContext();
  engine.setEncoded(old, 'x', { json: '1' });
  const crash = await overflowInsideGuest(() => engine.exec(old, DEEP_C));
  expect(crash.reason).toBe('stack-overflow');
  const next = engine.createContext();
  expect(next).not.toBe(old);
  expect(() => engine.get(old, 'x')).toThrow(ContextDisposedError);
  expect(() => engine.get(next, 'x')).toThrow(/NameError/);
});
