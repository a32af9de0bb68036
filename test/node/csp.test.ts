// Validation under a strict Content-Security-Policy, in Chromium: the pages of test/csp/ are built
// with Vite and served with
// - `script-src 'self'` (validate-only.html): the validation glue alone, under the strictest policy;
// - `script-src 'self' 'wasm-unsafe-eval'` (index.html): a whole PyBox — no eval, no new Function
//   (what Ajv's compiled validators need), only WebAssembly, which PyBox cannot run without.
// Tool arguments are validated on the page and Python sees the errors.
import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright';
import { build } from 'vite';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { chromiumArgs } from '../../vitest.config.js';

const POLICY = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; object-src 'none'; base-uri 'none'";
const STRICTEST = "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'";
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm' };

let out: string;
let server: Server;
let browser: Browser;
let url: string;

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'pybox-csp-'));
  await build({
    root: fileURLToPath(new URL('../csp/', import.meta.url)),
    logLevel: 'warn',
    build: {
      outDir: out,
      emptyOutDir: true,
      assetsInlineLimit: 0,
      rollupOptions: { input: ['index.html', 'validate-only.html'].map((f) => fileURLToPath(new URL(`../csp/${f}`, import.meta.url))) },
    },
  });
  server = createServer((req, res) => {
    const path = normalize(join(out, req.url === '/' ? 'index.html' : decodeURIComponent((req.url ?? '').split('?')[0]!)));
    if (!path.startsWith(out)) return void res.writeHead(403).end();
    readFile(path).then(
      (body) => {
        // A document's policy comes with its HTML; scripts and the worker get the PyBox page's.
        const policy = path.endsWith('validate-only.html') ? STRICTEST : POLICY;
        res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream', 'content-security-policy': policy }).end(body);
      },
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: chromiumArgs });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
  if (out) await rm(out, { recursive: true, force: true });
});

it('validates tool arguments on a page whose CSP forbids eval and new Function', async () => {
  const page = await browser.newPage();
  const response = await page.goto(url);
  expect(response?.headers()['content-security-policy']).toBe(POLICY);
  await page.waitForFunction(() => (window as unknown as { __result?: unknown }).__result !== undefined, null, { timeout: 60_000 });
  const r = (await page.evaluate(() => (window as unknown as { __result: unknown }).__result)) as {
    evalBlocked: boolean;
    results: Record<string, { ok: boolean; type?: string; message?: string; value?: unknown }>;
    calls: unknown[];
    violations: string[];
  };
  expect(r.evalBlocked).toBe(true);
  expect(r.results).toEqual({
    minimum: { ok: false, type: 'ValueError', message: 'pay(): amount_cents: must be >= 1, got 0' },
    enum: { ok: false, type: 'ValueError', message: "pay(): currency: must be one of 'EUR', 'USD', got 'GBP'" },
    nested: { ok: false, type: 'ValueError', message: "pay(): lines[0].sku: must match the pattern ^[A-Z]{2}$, got 'abc'" },
    extra: { ok: false, type: 'ValueError', message: "pay(): lines[0]: unexpected key 'qty'" },
    zodEmail: { ok: false, type: 'ValueError', message: "zpay(): email: must be a valid email, got 'nope'" },
    zodMax: { ok: false, type: 'ValueError', message: 'zpay(): note: must be at most 3 characters long, got 4' },
    valid: { ok: true, value: ['paid', 'paid'] },
  });
  expect(r.calls).toEqual([{ amount_cents: 5, currency: 'EUR', lines: [{ sku: 'AB' }] }, { email: 'a@b.co' }]);
  // The only violation is the page's own probe: nothing in PyBox or the validators tried eval.
  expect(r.violations).toEqual(['script-src: eval']);
  await page.close();
});

it("validates with JSON Schema and zod under script-src 'self' (no eval, no WebAssembly)", async () => {
  const page = await browser.newPage();
  const response = await page.goto(`${url}validate-only.html`);
  expect(response?.headers()['content-security-policy']).toBe(STRICTEST);
  await page.waitForFunction(() => (window as unknown as { __result?: unknown }).__result !== undefined, null, { timeout: 30_000 });
  const r = (await page.evaluate(() => (window as unknown as { __result: unknown }).__result)) as { evalBlocked: boolean; results: string[]; violations: string[] };
  expect(r.evalBlocked).toBe(true);
  expect(r.results).toEqual([
    'ValueError: t(): n: must be >= 1, got 0',
    "ValueError: t(): tag: must match the pattern ^[a-z]+$, got 'A1'",
    "TypeError: t(): unexpected argument 'x'",
    'ok',
    "ValueError: z(): email: must be a valid email, got 'nope'",
    'ok',
  ]);
  expect(r.violations).toEqual(['script-src: eval']);
  await page.close();
});
