// One cold start, in a fresh process: `node bench/cold.mjs <mode>` prints one JSON line.
// Modes: engine (compile / Engine.create / first exec, split), pybox-inthread, pybox-worker,
// monty, pyodide (import → ready, then the first `1 + 1`); import, import-worker, import-pyodide
// <m1,m2,...> (the first import of those modules, timed inside Python; imports.mjs). run.mjs
// spawns it N times.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { timedImports } from './imports.mjs';

const mode = process.argv[2];
const now = () => performance.now();
const t0 = now();
const out = { mode };

if (mode === 'engine') {
  const { Engine } = await import('@pybox/core/internal');
  const base = new URL('./wasm/', import.meta.resolve('@pybox/core'));
  // The assets as @pybox/node loads them: the boot image (a memory image made at build time) when shipped.
  const [wasm, stdlib, image] = await Promise.all([
    readFile(new URL('pybox.wasm', base)),
    readFile(new URL('python313.zip', base)),
    readFile(new URL('pybox.image', base)).catch(() => undefined),
  ]);
  out.image = Boolean(image);
  let t = now();
  const module = await WebAssembly.compile(wasm);
  out.compileMs = now() - t;
  const assets = { module, stdlib: new Uint8Array(stdlib) };
  if (image) assets.image = new Uint8Array(image);
  t = now();
  const engine = await Engine.create(assets);
  out.initMs = now() - t;
  out.readyMs = now() - t0;
  t = now();
  const ctx = engine.createContext();
  const r = await engine.exec(ctx, '1 + 1');
  out.firstExecMs = now() - t;
  out.result = r.ok ? r.repr : `${r.error.type}: ${r.error.message}`;
} else if (mode === 'pybox-inthread' || mode === 'pybox-worker') {
  const { PyBox } = await import('@pybox/node');
  const box = await PyBox.create({ inThread: mode === 'pybox-inthread' });
  out.readyMs = now() - t0;
  const t = now();
  const ctx = await box.createContext();
  const r = await ctx.exec('1 + 1');
  out.firstExecMs = now() - t;
  out.result = r.ok ? r.repr : `${r.error.type}: ${r.error.message}`;
  await box.close();
} else if (mode === 'import' || mode === 'import-worker') {
  // The first import of one module or of a list (argv[3], comma-separated, one after another) in a
  // fresh process, timed inside Python: [was it imported already (the boot image), ms].
  const { PyBox } = await import('@pybox/node');
  const box = await PyBox.create({ inThread: mode === 'import' });
  const ctx = await box.createContext();
  const r = await ctx.exec(timedImports(process.argv[3].split(',')));
  if (r.ok) [out.preloaded, out.importMs] = r.value;
  else out.error = `${r.error.type}: ${r.error.message}`;
  await box.close();
} else if (mode === 'import-pyodide') {
  const { loadPyodide } = await import('pyodide');
  const indexURL = dirname(createRequire(import.meta.url).resolve('pyodide/package.json')) + '/';
  const py = await loadPyodide({ indexURL, stdout: () => {}, stderr: () => {} });
  out.readyMs = now() - t0;
  [out.preloaded, out.importMs] = py.runPython(timedImports(process.argv[3].split(','))).toJs();
} else if (mode === 'monty') {
  const { Monty } = await import('@pydantic/monty');
  out.readyMs = now() - t0;
  const t = now();
  const v = new Monty('1 + 1').run();
  out.firstExecMs = now() - t;
  out.result = String(v);
} else if (mode === 'pyodide') {
  const { loadPyodide } = await import('pyodide');
  const indexURL = dirname(createRequire(import.meta.url).resolve('pyodide/package.json')) + '/';
  const py = await loadPyodide({ indexURL, stdout: () => {}, stderr: () => {} });
  out.readyMs = now() - t0;
  const t = now();
  const v = py.runPython('1 + 1');
  out.firstExecMs = now() - t;
  out.result = String(v);
} else {
  throw new Error(`unknown mode ${mode}`);
}

process.stdout.write(`${JSON.stringify(out)}\n`, () => process.exit(0));
