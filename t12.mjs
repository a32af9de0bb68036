import { PyBox } from '@pybox/node';
const box = await PyBox.create({ inThread: true, tools: [{ name: 'f', parameters: { type: 'object', properties: { i: {} } }, handler: async ({ i }) => i }, { name: 'g', parameters: { type: 'object', properties: { i: {} } }, handler: ({ i }) => i }] });
const ctx = await box.createContext();
const child = await box.createContext({ parent: ctx });
for (let rep = 0; rep < 2; rep++) {
  for (const [name, c, code] of [
    ['toplevel loop', ctx, 'i = 0\nwhile i < 1000000: i += 1'],
    ['child toplevel loop', child, 'i = 0\nwhile i < 1000000: i += 1'],
    ['sum gen', ctx, 'sum(i*i for i in range(10**6))'],
    ['await tool x10k', ctx, 'for i in range(10000):\n  await f(i)'],
    ['sync tool x10k', ctx, 'for i in range(10000):\n  g(i)'],
  ]) {
    const t = performance.now(); const r = await c.exec(code); console.log(name, (performance.now() - t).toFixed(1), 'ms', r.ok);
  }
}
await box.close();
