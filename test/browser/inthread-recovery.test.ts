// Crash recovery of an engine on the page's own thread. Chromium refuses a synchronous
// `new WebAssembly.Instance` of a module this large there, and recovery runs synchronously inside
// the call that trapped: the engine keeps an instance made ahead for it (engine.ts, standby).
// The crash is a real one: the exec starts under deep JS recursion, so the guest's native frames
// run out of the page's stack (as in test/node/recovery.test.ts).
import { expect, it } from 'vitest';
import { GuestCrashError, PyBox } from '@pybox/core';

/** C recursion (repr of nested lists): each level is a native wasm frame on the host's stack. */
const DEEP_C = 'y = []\nfor i in range(900): y = [y]\nlen(repr(y))';

function under<T>(depth: number, fn: () => T): T {
  return depth > 0 ? under(depth - 1, fn) : fn();
}

/** Searches the JS stack depth at which the guest itself overflows the host's stack. */
async function overflowInsideGuest(start: () => Promise<unknown>): Promise<GuestCrashError> {
  let lo = 0;
  let hi = 200_000;
  while (lo < hi) {
    const depth = (lo + hi) >> 1;
    let outcome: unknown;
    try {
      outcome = await under(depth, start).then(
        () => 'ok' as const,
        (e: unknown) => e,
      );
    } catch (e) {
      outcome = e;
    }
    if (outcome instanceof GuestCrashError) return outcome;
    if (outcome === 'ok') lo = depth + 1;
    else if (outcome instanceof RangeError) hi = depth;
    else throw outcome;
  }
  throw new Error('no stack depth made the guest overflow the host stack');
}

it('in-thread on the page: a host stack overflow restores the guest, and the box goes on', async () => {
  const box = await PyBox.create({ inThread: true });
  try {
    const victim = await box.createContext();
    const error = await overflowInsideGuest(() => victim.exec(DEEP_C));
    expect(error.reason).toBe('stack-overflow');
    expect(error.contextsLost).toBe(1);
    expect(victim.isLive).toBe(false);
    const fresh = await box.createContext();
    const r = await fresh.exec('import json\njson.dumps({"back": sum(range(10))})');
    expect(r.ok && r.value).toBe('{"back": 45}');
    // and once more: the standby instance was made again after the first recovery
    await new Promise((resolve) => setTimeout(resolve, 200));
    const again = await overflowInsideGuest(() => fresh.exec(DEEP_C));
    expect(again.contextsLost).toBe(1);
    const last = await (await box.createContext()).exec('6 * 7');
    expect(last.ok && last.value).toBe(42);
  } finally {
    await box.close();
  }
});
