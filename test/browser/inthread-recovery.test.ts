// Crash recovery of an engine on the page's own thread. Chromium refuses a synchronous
// `new WebAssembly.Instance` of a module this large there, and recovery runs synchronously (after
// a stack overflow: when the exec settles, recovery.ts): the engine keeps an instance made ahead
// for it (engine.ts, standby).
// The crash is a real one: the exec starts under deep JS recursion, so the guest's native frames
// run out of the page's stack (test/stack-overflow.ts).
import { expect, it } from 'vitest';
import { PyBox } from '@pybox/core';
import { DEEP_C, overflowInsideGuest } from '../stack-overflow.js';

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
    // and once more: the next exec waits until the standby instance is made again
    const again = await overflowInsideGuest(() => fresh.exec(DEEP_C));
    expect(again.contextsLost).toBe(1);
    const last = await (await box.createContext()).exec('6 * 7');
    expect(last.ok && last.value).toBe(42);
  } finally {
    await box.close();
  }
});
