import { PyBox } from '@pybox/node';
const box = await PyBox.create({ inThread: true, tools: [{ name: 'f', parameters: { type: 'object', properties: { i: {} } }, handler: async ({ i }) => i }] });
const ctx = await box.createContext();
await ctx.exec('for i in range(20000):\n  await f(i)');
const t = performance.now();
await ctx.exec('for i in range(20000):\n  await f(i)');
console.log('us/call', (performance.now() - t) / 20);
await box.close();
