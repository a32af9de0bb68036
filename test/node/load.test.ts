// Load: many contexts with execs in flight on one box, and several boxes in one process.
import { expect, it } from 'vitest';
import { PyBox } from '@pybox/node';
import { ok } from '../conformance/suite.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const slowEcho = {
  name: 'slow_echo',
  parameters: { type: 'object' as const, properties: { v: {} }, required: ['v'] },
  handler: async ({ v }: Record<string, unknown>) => (await sleep(5 + Math.random() * 20), v),
};

for (const inThread of [true, false]) {
  it(`runs 50 contexts with execs in flight at once (${inThread ? 'in-thread' : 'worker'})`, async () => {
    const box = await PyBox.create({ inThread, tools: [slowEcho] });
    const contexts = await Promise.all(Array.from({ length: 50 }, () => box.createContext()));
    const results = await Promise.all(
      contexts.map((c, i) => c.exec(`me = ${i}\nparts = [await slow_echo(me * 10 + k) for k in range(3)]\nparts`)),
    );
    results.forEach((r, i) => expect(ok(r).value).toEqual([i * 10, i * 10 + 1, i * 10 + 2]));
    const again = await Promise.all(contexts.map((c) => c.exec('me')));
    again.forEach((r, i) => expect(ok(r).value).toBe(i));
    await Promise.all(contexts.map((c) => c.dispose()));
    await box.close();
  });
}

it('runs 8 boxes in one process without cross-talk', async () => {
  const boxes = await Promise.all(Array.from({ length: 8 }, (_, i) => PyBox.create({ inThread: i % 2 === 0, tools: [slowEcho] })));
  const results = await Promise.all(
    boxes.map(async (b, i) => {
      const c = await b.createContext();
      ok(await c.exec(`box_id = ${i}`));
      return c.exec('await slow_echo(box_id)');
    }),
  );
  results.forEach((r, i) => expect(ok(r).value).toBe(i));
  await Promise.all(boxes.map((b) => b.close()));
});
