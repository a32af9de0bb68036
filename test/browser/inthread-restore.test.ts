// An engine on the page's own thread: Chromium refuses a synchronous `new WebAssembly.Instance`
// of a module this large there (RangeError), so creating, snapshotting and restoring a box
// in-thread must instantiate asynchronously (engine/instantiate.ts).
import { expect, it } from 'vitest';
import { PyBox } from '@pybox/core';

it('in-thread on the page: a box is snapshotted and restored with its variables', async () => {
  const box = await PyBox.create({ inThread: true });
  const ctx = await box.createContext({ name: 'main' });
  await ctx.exec('rows = [i * i for i in range(10)]');
  const bytes = await box.snapshot();
  await box.close();
  const restored = await PyBox.restore(bytes, { inThread: true });
  try {
    const [back] = restored.contexts();
    expect(back?.name).toBe('main');
    const r = await back!.exec('sum(rows)');
    expect(r.ok && r.value).toBe(285);
  } finally {
    await restored.close();
  }
});
