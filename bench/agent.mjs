// The agent rows of `pnpm bench` (called from run.mjs): what the model reads for a 3-step PTC
// task against the same tools called one by one, the loop's own cost per step, and the cost
// of validating a tool call's arguments on the host.
import { PyBox } from '@pybox/node';
import { anthropic, runAgent, scripted } from '@pybox/agent';
import { z } from 'zod';
// The validation glue itself (not part of the public API): measured directly, without Python.
import { resolveSchema } from '../packages/core/dist/tools/schema.js';
import { createCheck } from '../packages/core/dist/tools/validate.js';

const now = () => performance.now();
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// ---- the shop: 40 open orders of 10 customers ------------------------------------------------

const customers = Array.from({ length: 10 }, (_, i) => ({
  id: `c${i + 1}`,
  name: `Customer ${i + 1}`,
  email: `customer${i + 1}@example.com`,
  country: ['UK', 'US', 'DE', 'FR'][i % 4],
  since: `20${10 + i}-0${1 + (i % 9)}-15`,
}));
const orders = Array.from({ length: 40 }, (_, i) => ({
  id: 1000 + i,
  customer: `c${1 + ((i * 7) % 10)}`,
  status: 'open',
  total: Math.round(((i * 37) % 500) * 100 + 999) / 100,
  currency: 'EUR',
  created: `2026-10-${String(1 + (i % 28)).padStart(2, '0')}`,
  lines: [{ sku: `SKU-${i % 13}`, qty: 1 + (i % 3) }],
}));
const tools = [
  {
    name: 'list_orders',
    description: 'Orders with the given status.',
    parameters: { type: 'object', properties: { status: { enum: ['open', 'shipped'] } }, required: ['status'] },
    handler: async ({ status }) => orders.filter((o) => o.status === status),
  },
  {
    name: 'get_customer',
    description: 'One customer by id.',
    parameters: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
    handler: async ({ id }) => customers.find((c) => c.id === id) ?? null,
  },
];
const TASK = 'Total of the open orders by country?';
const ANSWER = 'Open orders by country: see the figures above.';

const PTC_STEPS = [
  'orders = await list_orders("open")\nprint(len(orders), "open orders")',
  'import asyncio\nids = sorted({o["customer"] for o in orders})\npeople = {c["id"]: c for c in await asyncio.gather(*[get_customer(i) for i in ids])}\nprint(len(people), "customers")',
  'from collections import defaultdict\nby = defaultdict(float)\nfor o in orders:\n    by[people[o["customer"]]["country"]] += o["total"]\nprint({k: round(v, 2) for k, v in sorted(by.items())})',
];

/**
 * An Anthropic Messages endpoint as a `fetch` function: it answers prepared turns in the real
 * JSON shape and counts the characters of every request body the provider sends.
 */
function anthropicEndpoint(turns) {
  let n = 0;
  const counted = { requests: 0, chars: 0 };
  const fetch = async (_url, init) => {
    counted.requests += 1;
    counted.chars += init.body.length;
    const turn = turns[n++];
    const content = typeof turn === 'string' ? [{ type: 'text', text: turn }] : [{ type: 'tool_use', id: `toolu_${n}`, name: turn.name, input: turn.input }];
    const body = { id: `msg_${n}`, type: 'message', role: 'assistant', content, stop_reason: typeof turn === 'string' ? 'end_turn' : 'tool_use', usage: { input_tokens: 1, output_tokens: 1 } };
    return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
  };
  return { model: anthropic({ apiKey: 'bench', model: 'bench', stream: false, fetch }), counted };
}

/** The PTC way: runAgent with run_python, 3 code steps, then the answer. */
async function ptcChars(box) {
  const { model, counted } = anthropicEndpoint([...PTC_STEPS.map((code) => ({ name: 'run_python', input: { code } })), ANSWER]);
  const r = await runAgent({ box, model, task: TASK });
  if (r.steps.length !== 3 || !r.steps.every((s) => s.ok)) throw new Error(`the PTC bench task failed: ${JSON.stringify(r.steps.map((s) => s.output))}`);
  return counted;
}

/** The classic way: each tool offered to the model and called one per turn, every result in the context. */
async function oneByOneChars() {
  const ids = [...new Set(orders.map((o) => o.customer))].sort();
  const turns = [{ name: 'list_orders', input: { status: 'open' } }, ...ids.map((id) => ({ name: 'get_customer', input: { id } })), ANSWER];
  const { model, counted } = anthropicEndpoint(turns);
  const modelTools = tools.map((t) => ({ name: t.name, description: t.description, inputSchema: t.parameters }));
  const messages = [{ role: 'user', content: TASK }];
  for (;;) {
    const r = await model.generate({ system: 'You answer questions about the shop with its tools.', messages, tools: modelTools });
    messages.push({ role: 'assistant', text: r.text, toolCalls: r.toolCalls, providerData: r.providerData });
    if (r.toolCalls.length === 0) break;
    const results = [];
    for (const call of r.toolCalls) {
      const tool = tools.find((t) => t.name === call.name);
      results.push({ callId: call.id, content: JSON.stringify(await tool.handler(JSON.parse(call.arguments))), isError: false });
    }
    messages.push({ role: 'tool', results });
  }
  return counted;
}

/** The loop's own time per step: the run minus the model calls (and minus the code runs); median of 5 runs. */
async function loopOverhead(box, steps = 40) {
  const run = async () => {
    const model = scripted([...Array.from({ length: steps }, (_, i) => ({ code: `x = ${i}` })), 'done']);
    const r = await runAgent({ box, model, task: 'Count.', maxSteps: steps });
    const { totalMs, modelMs, codeMs } = r.timing;
    return { outsideModel: (totalMs - modelMs) / steps, loopOnly: (totalMs - modelMs - codeMs) / steps };
  };
  await run(); // warm-up
  const runs = [];
  for (let k = 0; k < 5; k++) runs.push(await run());
  return { outsideModel: median(runs.map((r) => r.outsideModel)), loopOnly: median(runs.map((r) => r.loopOnly)) };
}

/** µs per check of one tool call's arguments (median of 5 rounds of `n` calls). */
async function validationMicros(schema, args, n = 20_000) {
  const check = createCheck(await resolveSchema(schema, 'bench'), { tool: 'bench', kind: 'arguments' });
  for (let i = 0; i < 2000; i++) check(args);
  const rounds = [];
  for (let k = 0; k < 5; k++) {
    const t0 = now();
    for (let i = 0; i < n; i++) check(args);
    rounds.push(((now() - t0) / n) * 1000);
  }
  const r = check(args);
  if (!r.ok) throw new Error(`the bench arguments do not validate: ${r.error.message}`);
  return median(rounds);
}

const invoiceSchema = {
  type: 'object',
  properties: {
    amount_cents: { type: 'integer', minimum: 1 },
    currency: { enum: ['EUR', 'USD'] },
    memo: { type: 'string', maxLength: 200 },
    customer: { type: 'object', properties: { id: { type: 'string', pattern: '^C[0-9]+$' } }, required: ['id'], additionalProperties: false },
    lines: { type: 'array', items: { type: 'object', properties: { sku: { type: 'string', minLength: 2 }, qty: { type: 'integer', minimum: 1 } }, required: ['sku', 'qty'] } },
  },
  required: ['amount_cents'],
  additionalProperties: false,
};
const invoiceArgs = { amount_cents: 1250, currency: 'EUR', memo: 'October', customer: { id: 'C17' }, lines: [{ sku: 'AB', qty: 2 }, { sku: 'CD', qty: 1 }] };
const invoiceZod = z.object({
  amount_cents: z.number().int().min(1),
  currency: z.enum(['EUR', 'USD']).optional(),
  memo: z.string().max(200).optional(),
  customer: z.strictObject({ id: z.string().regex(/^C[0-9]+$/) }).optional(),
  lines: z.array(z.object({ sku: z.string().min(2), qty: z.number().int().min(1) })).optional(),
});

/** A cell for a column that does not apply (the row's note says why). */
const NONE = { text: '—' };

/** The agent rows, in run.mjs's row format. */
export async function agentRows(log) {
  const peers = { monty: NONE, pyodide: NONE, native: NONE };
  const rows = [];
  const boxIn = await PyBox.create({ inThread: true, tools });
  const boxW = await PyBox.create({ tools });
  try {
    log('agent: request characters, PTC vs one by one');
    const ptc = await ptcChars(boxIn);
    const classic = await oneByOneChars();
    rows.push({
      label: 'agent: characters of requests, 3-step PTC task (run_python)',
      cells: { inThread: { value: ptc.chars }, worker: NONE, ...peers },
      noRatio: true,
      note: `${ptc.requests} requests (Anthropic Messages bodies); 40 orders, 10 customers; the same on any engine`,
    });
    rows.push({
      label: 'agent: characters of requests, the same tools called one by one',
      cells: { inThread: { value: classic.chars }, worker: NONE, ...peers },
      noRatio: true,
      note: `${classic.requests} requests; ${(classic.chars / ptc.chars).toFixed(1)}× the PTC task`,
    });

    log('agent: loop overhead per step');
    const oIn = await loopOverhead(boxIn);
    const oW = await loopOverhead(boxW);
    rows.push({
      label: 'agent: loop time per step outside the model call (ms)',
      cells: { inThread: { value: oIn.outsideModel }, worker: { value: oW.outsideModel }, ...peers },
      noRatio: true,
      note: `scripted model, code \`x = i\`; of which bookkeeping (not the code run): in-thread ${oIn.loopOnly.toFixed(3)}, worker ${oW.loopOnly.toFixed(3)} ms`,
    });

    log('agent: validation cost per tool call');
    const jsonUs = await validationMicros(invoiceSchema, invoiceArgs);
    const zodUs = await validationMicros(invoiceZod, invoiceArgs);
    const smallUs = await validationMicros({ type: 'object', properties: { id: { type: 'string' } }, required: ['id'] }, { id: 'c1' });
    rows.push({
      label: 'tool-call argument validation on the host (µs per call)',
      cells: { inThread: { value: jsonUs }, worker: NONE, ...peers },
      noRatio: true,
      note: `on the host thread for every engine; @cfworker/json-schema, nested invoice schema; zod 4 (its own validate): ${zodUs.toFixed(2)} µs; one-string schema: ${smallUs.toFixed(2)} µs`,
    });
  } finally {
    await boxIn.close();
    await boxW.close();
  }
  return rows;
}
