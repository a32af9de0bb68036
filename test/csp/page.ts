// A page served with `Content-Security-Policy: script-src 'self' 'wasm-unsafe-eval'` (no eval,
// no new Function, no inline script; WebAssembly allowed): tool arguments are validated here, on
// the page, by @cfworker/json-schema and zod, and Python sees the errors. The result goes to
// window.__result for the test (test/node/csp.test.ts).
import { PyBox } from '@pybox/core';
import { z } from 'zod';

// zod's documented CSP mode: without it, zod probes `new Function` once (caught, but reported).
z.config({ jitless: true });

const violations: string[] = [];
document.addEventListener('securitypolicyviolation', (e) => violations.push(`${e.violatedDirective}: ${e.blockedURI}`));

async function main() {
  // The policy is in force: code generation from strings is refused.
  let evalBlocked = false;
  try {
    new Function('return 1')();
  } catch {
    evalBlocked = true;
  }
  const calls: unknown[] = [];
  const box = await PyBox.create({
    tools: [
      {
        name: 'pay',
        parameters: {
          type: 'object',
          properties: {
            amount_cents: { type: 'integer', minimum: 1 },
            currency: { enum: ['EUR', 'USD'] },
            lines: { type: 'array', items: { type: 'object', properties: { sku: { type: 'string', pattern: '^[A-Z]{2}$' } }, required: ['sku'], additionalProperties: false } },
          },
          required: ['amount_cents'],
        },
        handler: async (args) => (calls.push(args), 'paid'),
      },
      { name: 'zpay', parameters: z.object({ email: z.email(), note: z.string().max(3).optional() }), handler: async (args) => (calls.push(args), 'paid') },
    ],
  });
  const ctx = await box.createContext();
  const run = async (code: string) => {
    const r = await ctx.exec(code);
    return r.ok ? { ok: true, value: r.value } : { ok: false, type: r.error.type, message: r.error.message };
  };
  const results = {
    minimum: await run('await pay(0)'),
    enum: await run('await pay(5, currency="GBP")'),
    nested: await run('await pay(5, lines=[{"sku": "abc"}])'),
    extra: await run('await pay(5, lines=[{"sku": "AB", "qty": 1}])'),
    zodEmail: await run('await zpay("nope")'),
    zodMax: await run('await zpay("a@b.co", note="long")'),
    valid: await run('[await pay(5, currency="EUR", lines=[{"sku": "AB"}]), await zpay("a@b.co")]'),
  };
  await box.close();
  return { evalBlocked, results, calls, violations };
}

main().then(
  (r) => ((window as unknown as { __result: unknown }).__result = r),
  (e: unknown) => ((window as unknown as { __result: unknown }).__result = { failed: String(e instanceof Error ? `${e.name}: ${e.message}` : e), violations }),
);
