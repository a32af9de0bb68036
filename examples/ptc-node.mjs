// Programmatic tool calling on the embedded guest: the "agent" writes Python
// that calls the host's tools, joins their results in code, and prints only
// the summary the model needs. Run with `npm start`.
import { PyBox } from '@pybox/node';

const customers = {
  c1: { id: 'c1', name: 'Ada Lovelace', country: 'UK' },
  c2: { id: 'c2', name: 'Grace Hopper', country: 'US' },
  c3: { id: 'c3', name: 'Alan Turing', country: 'UK' },
};
const orders = [
  { id: 1, customer: 'c1', total: 120.5, status: 'open' },
  { id: 2, customer: 'c2', total: 80, status: 'open' },
  { id: 3, customer: 'c1', total: 42.25, status: 'shipped' },
  { id: 4, customer: 'c3', total: 310, status: 'open' },
];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const box = await PyBox.create({
  files: { '/data/vip.txt': 'c3\n' },
  tools: [
    {
      name: 'list_orders',
      description: 'Orders with the given status.',
      parameters: { type: 'object', properties: { status: { type: 'string' } }, required: ['status'] },
      handler: async ({ status }) => (await sleep(5), orders.filter((o) => o.status === status)),
    },
    {
      name: 'get_customer',
      description: 'One customer by id.',
      parameters: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
      handler: async ({ id }) => (await sleep(5), customers[id]),
    },
  ],
});

// What an LLM would write instead of a dozen one-at-a-time tool calls:
const agentCode = `
import asyncio
from collections import defaultdict

orders = await list_orders("open")
ids = sorted({o["customer"] for o in orders})
people = {c["id"]: c for c in await asyncio.gather(*[get_customer(i) for i in ids])}
vip = set(open("/data/vip.txt").read().split())

by_country = defaultdict(float)
for o in orders:
    by_country[people[o["customer"]]["country"]] += o["total"]

for country, total in sorted(by_country.items(), key=lambda kv: -kv[1]):
    print(f"{country}: {total:,.2f}")
print("VIP open orders:", [o["id"] for o in orders if o["customer"] in vip])
len(orders)
`;

const ctx = await box.createContext();
const result = await ctx.exec(agentCode);
if (!result.ok) {
  console.error(result.error.traceback);
  process.exitCode = 1;
} else {
  console.log('--- what the model sees ---');
  process.stdout.write(result.stdout);
  console.log(`--- value: ${JSON.stringify(result.value)} (${result.durationMs.toFixed(1)} ms)`);
}
await box.close();
