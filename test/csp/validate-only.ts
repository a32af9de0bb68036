// The validation glue alone, on a page served with the strictest policy, `script-src 'self'`
// (no eval, no new Function, not even WebAssembly): JSON Schema through @cfworker/json-schema
// and zod through its own validate. The result goes to window.__result (test/node/csp.test.ts).
import { z } from 'zod';
import { resolveSchema } from '../../packages/core/src/tools/schema.js';
import { createCheck } from '../../packages/core/src/tools/validate.js';

z.config({ jitless: true }); // zod's documented CSP mode

const violations: string[] = [];
document.addEventListener('securitypolicyviolation', (e) => violations.push(`${e.violatedDirective}: ${e.blockedURI}`));

async function main() {
  let evalBlocked = false;
  try {
    new Function('return 1')();
  } catch {
    evalBlocked = true;
  }
  const json = createCheck(
    await resolveSchema(
      { type: 'object', properties: { n: { type: 'integer', minimum: 1 }, tag: { type: 'string', pattern: '^[a-z]+$' } }, required: ['n'], additionalProperties: false },
      'tool t',
    ),
    { tool: 't', kind: 'arguments' },
  );
  const zod = createCheck(await resolveSchema(z.object({ email: z.email() }), 'tool z'), { tool: 'z', kind: 'arguments' });
  const show = (r: ReturnType<typeof json>) => ('then' in r ? 'async' : r.ok ? 'ok' : `${r.error.name}: ${r.error.message}`);
  return {
    evalBlocked,
    results: [show(json({ n: 0 })), show(json({ n: 2, tag: 'A1' })), show(json({ n: 2, x: 1 })), show(json({ n: 2, tag: 'ab' })), show(zod({ email: 'nope' })), show(zod({ email: 'a@b.co' }))],
    violations,
  };
}

main().then(
  (r) => ((window as unknown as { __result: unknown }).__result = r),
  (e: unknown) => ((window as unknown as { __result: unknown }).__result = { failed: String(e), violations }),
);
