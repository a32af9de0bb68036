// Rows of `pnpm bench` for the browser: the pages in bench/browser/, built with Vite and served
// by `vite preview` with the compressed-assets plugin (brotli), loaded in Debian's Chromium:
// PyBox's page (a box in a Web Worker, or with ?inThread=1 on the page's thread; one exec) and
// Pyodide's (its own files from the same server, compressed the same way; one runPython). For
// each: the bytes on the wire until the first result with an empty cache, page load → first
// result, again after a reload (warm HTTP cache) (medians of 3), and with an empty cache at an
// emulated 10 Mbit/s (once).
import { spawn, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');
const PORT = 4191;
const CHROMIUM = '/usr/bin/chromium';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Loads the page once in a context. Returns the first-result time, the bytes on the wire of what
 * the first result needed (every response but the stdlib bundle's, which is fetched in the
 * background), the bundle's own bytes, and whether a wasm module came over the network. The
 * bytes are Playwright's `request.sizes()` (the encoded body and the headers), from the page and
 * from its Web Worker alike (the worker fetches its script and the bundle).
 */
async function load(context, page, url, { throttle = false, reload = false, withBundle = true } = {}) {
  const cdp = await context.newCDPSession(page);
  if (throttle) {
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 20, downloadThroughput: 1.25e6, uploadThroughput: 0.6e6 });
  }
  const isBundle = (u) => /python313[^/]*\.zip$/.test(u);
  /** url → bytes on the wire, for every request finished so far. */
  const done = [];
  let bundleSeen;
  const bundleDone = new Promise((resolve) => (bundleSeen = resolve));
  const onFinished = async (request) => {
    const sizes = await request.sizes().catch(() => null);
    const bytes = sizes ? sizes.responseBodySize + sizes.responseHeadersSize : 0;
    done.push({ url: request.url(), bytes });
    if (isBundle(request.url())) bundleSeen(bytes);
  };
  context.on('requestfinished', onFinished);
  try {
    if (reload) await page.reload();
    else await page.goto(url);
    await page.waitForFunction(() => window.__pybox, null, { timeout: 120_000 });
    const { firstResultMs, result } = await page.evaluate(() => window.__pybox);
    const atResult = [...done];
    const needed = atResult.filter((r) => !isBundle(r.url)).reduce((a, r) => a + r.bytes, 0);
    const all = atResult.reduce((a, r) => a + r.bytes, 0);
    // The bundle keeps coming in the background: wait for it (up to 60 s).
    const bundle = withBundle ? await Promise.race([bundleDone, sleep(60_000).then(() => NaN)]) : 0;
    const wasmDownloaded = done.some((r) => r.url.endsWith('.wasm') && r.bytes > 10_000);
    return { firstResultMs, result, neededBytes: needed, atResultBytes: all, bundleBytes: bundle, wasmDownloaded };
  } finally {
    context.off('requestfinished', onFinished);
    await cdp.detach();
  }
}

const RUNS = 3;
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
/** The run with the median first-result time. */
const medianRun = (runs) => runs.find((r) => r.firstResultMs === median(runs.map((x) => x.firstResultMs)));

/**
 * A page cold (a new context) then warm (reloaded in it), RUNS times, and once cold at 10 Mbit/s
 * (another new context): the run of median first-result time of each.
 */
async function measurePage(browser, url, options = {}) {
  const cold = [];
  const warm = [];
  for (let k = 0; k < RUNS; k++) {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      cold.push(await load(context, page, url, options));
      warm.push(await load(context, page, url, { ...options, reload: true }));
    } finally {
      await context.close();
    }
  }
  const slowContext = await browser.newContext();
  try {
    const slow = await load(slowContext, await slowContext.newPage(), url, { ...options, throttle: true });
    return { cold: medianRun(cold), warm: medianRun(warm), slow };
  } finally {
    await slowContext.close();
  }
}

/**
 * @param {(...a: unknown[]) => void} log
 */
export async function browserRows(log) {
  const na = (why) => ({ text: 'n/a', why });
  const dash = { text: '—' };
  let chromium;
  try {
    ({ chromium } = await import('playwright'));
    readFileSync(CHROMIUM);
  } catch {
    log('browser rows skipped: playwright or /usr/bin/chromium missing');
    return [];
  }
  log('browser: vite build of bench/browser, vite preview, Chromium');
  const vite = join(ROOT, 'node_modules/.bin/vite');
  const config = join(HERE, 'browser/vite.config.mjs');
  execFileSync(vite, ['build', '--config', config], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  const server = spawn(vite, ['preview', '--config', config, '--port', String(PORT), '--strictPort'], { cwd: ROOT, stdio: 'ignore' });
  const url = `http://localhost:${PORT}/`;
  try {
    for (let k = 0; k < 100; k++) {
      try {
        if ((await fetch(url)).ok) break;
      } catch {
        await sleep(100);
      }
    }
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    try {
      const pages = {
        worker: await measurePage(browser, url),
        inThread: await measurePage(browser, `${url}?inThread=1`),
        pyodide: await measurePage(browser, `${url}pyodide.html`, { withBundle: false }),
      };
      for (const [name, p] of Object.entries(pages)) {
        log(`browser ${name}: cold ${p.cold.firstResultMs.toFixed(0)} ms, warm ${p.warm.firstResultMs.toFixed(0)} ms, 10 Mbit/s ${p.slow.firstResultMs.toFixed(0)} ms`);
      }
      /** A cell of one figure of one page, with what went wrong in its check. */
      const cell = (name, phase, figure) => {
        const r = pages[name][phase];
        const warnings = [];
        if (r.result !== '2') warnings.push(`the page's exec gave ${r.result}`);
        if (phase === 'warm' && r.wasmDownloaded) warnings.push('the warm reload downloaded the wasm again');
        return { value: figure(r), ...(warnings.length ? { warn: warnings.join('; ') } : {}) };
      };
      /** The worker page ÷ Pyodide's, as a note (the table's ratio columns divide the in-thread column). */
      const ratio = (phase, figure) => {
        const a = figure(pages.worker[phase]);
        const b = figure(pages.pyodide[phase]);
        return `worker ÷ pyodide ${(a / b).toFixed(2)}×`;
      };
      const row = (label, phase, figure, extra = {}) => ({
        label,
        cells: {
          inThread: cell('inThread', phase, figure),
          worker: cell('worker', phase, figure),
          monty: na('no browser build on npm'),
          pyodide: cell('pyodide', phase, figure),
          native: dash,
        },
        ...extra,
        note: [ratio(phase, figure), extra.note].filter(Boolean).join('; '),
      });
      // What the first result needed: the worker page, all but the background stdlib bundle; the
      // in-thread page waits for the bundle's bytes; Pyodide needs all it fetched.
      const bytesFor = { worker: (r) => r.neededBytes / 1e6, inThread: (r) => r.atResultBytes / 1e6, pyodide: (r) => r.atResultBytes / 1e6 };
      const bytesRow = {
        label: 'browser: bytes on the wire for the first result, empty cache (MB)',
        cells: {
          inThread: cell('inThread', 'cold', bytesFor.inThread),
          worker: cell('worker', 'cold', bytesFor.worker),
          monty: na('no browser build on npm'),
          pyodide: cell('pyodide', 'cold', bytesFor.pyodide),
          native: dash,
        },
        target: [{ col: 'worker', max: 5 }],
        note: `worker ÷ pyodide ${(bytesFor.worker(pages.worker.cold) / bytesFor.pyodide(pages.pyodide.cold)).toFixed(2)}×; worker: without the stdlib bundle (${(pages.worker.cold.bundleBytes / 1e6).toFixed(2)} MB brotli, fetched in the background for imports outside the boot image); in-thread: with it (the page's thread waits for its bytes)`,
      };
      const warmBytes = (r) => ((r.neededBytes + r.bundleBytes) / 1e6).toFixed(3);
      return [
        bytesRow,
        row('browser: page load → first result, empty cache (ms)', 'cold', (r) => r.firstResultMs),
        row('browser: page load → first result, warm HTTP cache (reload) (ms)', 'warm', (r) => r.firstResultMs, {
          target: [{ col: 'worker', max: 500 }],
          note: `on the wire: worker ${warmBytes(pages.worker.warm)} MB, in-thread ${warmBytes(pages.inThread.warm)} MB, pyodide ${warmBytes(pages.pyodide.warm)} MB; the wasm ${['worker', 'inThread', 'pyodide'].some((n) => pages[n].warm.wasmDownloaded) ? 'downloaded again ⚠' : 'not downloaded again'}`,
        }),
        row('browser: page load → first result at 10 Mbit/s, 20 ms latency (emulated), empty cache (ms)', 'slow', (r) => r.firstResultMs),
      ];
    } finally {
      await browser.close();
    }
  } finally {
    server.kill();
  }
}
