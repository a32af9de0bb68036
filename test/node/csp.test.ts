// Validation under a strict Content-Security-Policy, in Chromium: the page (test/csp/) is built
// with Vite and served with `script-src 'self' 'wasm-unsafe-eval'` — no eval, no new Function
// (what Ajv's compiled validators need), only WebAssembly. Tool arguments are validated on the
// page and Python sees the errors.
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
    build: { outDir: out, emptyOutDir: true, assetsInlineLimit: 0 },
  });
  server = createServer((req, res) => {
    const path = normalize(join(out, req.url === '/' ? 'index.html' : decodeURIComponent((req.url ?? '').split('?')[0]!)));
    if (!path.startsWith(out)) return void res.writeHead(403).end();
    readFile(path).then(
      (body) => res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream', 'content-security-policy': POLICY }).end(body),
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
