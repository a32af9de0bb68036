// `while True: pass` under a 1 s limit, in a fresh process so that a runtime that does not
// stop can be killed: `node bench/limit.mjs <mode>` prints `READY`, then one JSON line
// { ms, outcome } with the time from starting the exec to getting control back.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Worker } from 'node:worker_threads';

const mode = process.argv[2];
const LOOP = 'while True:\n    pass';
const now = () => performance.now();
const say = (line) => new Promise((resolve) => process.stdout.write(`${line}\n`, resolve));
let run;

if (mode === 'pybox-inthread' || mode === 'pybox-worker') {
  const { PyBox } = await import('@pybox/node');
  const box = await PyBox.create({ inThread: mode === 'pybox-inthread' });
  const ctx = await box.createContext();
  await ctx.exec('1 + 1');
  run = async () => {
    try {
      const r = await ctx.exec(LOOP, { timeoutMs: 1000 });
      return r.ok ? 'finished?!' : `${r.error.type}`;
    } catch (e) {
      return `threw ${e?.name ?? e}`;
    }
  };
} else if (mode === 'monty') {
  const { Monty } = await import('@pydantic/monty');
  run = async () => {
    try {
      new Monty(LOOP).run({ limits: { maxDurationSecs: 1 } });
      return 'finished?!';
    } catch (e) {
      return String(e?.message ?? e).split(':')[0];
    }
  };
} else if (mode === 'pyodide') {
  const { loadPyodide } = await import('pyodide');
  const indexURL = dirname(createRequire(import.meta.url).resolve('pyodide/package.json')) + '/';
  const py = await loadPyodide({ indexURL, stdout: () => {}, stderr: () => {} });
  // Pyodide's own limit mechanism: an interrupt buffer another thread writes SIGINT (2) into.
  const interrupt = new Int32Array(new SharedArrayBuffer(4));
  const go = new Int32Array(new SharedArrayBuffer(4));
  py.setInterruptBuffer(interrupt);
  const timer = new Worker(
    `const { workerData: { interrupt, go } } = require('node:worker_threads');
     const i = new Int32Array(interrupt), g = new Int32Array(go);
     require('node:worker_threads').parentPort.postMessage('armed');
     Atomics.wait(g, 0, 0);
     Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
     Atomics.store(i, 0, 2);`,
    { eval: true, workerData: { interrupt: interrupt.buffer, go: go.buffer } },
  );
  await new Promise((resolve) => timer.once('message', resolve));
  run = async () => {
    Atomics.store(go, 0, 1);
    Atomics.notify(go, 0);
    try {
      py.runPython(LOOP);
      return 'finished?!';
    } catch (e) {
      return /KeyboardInterrupt/.test(String(e?.message ?? e)) ? 'KeyboardInterrupt' : String(e).slice(0, 60);
    }
  };
} else {
  throw new Error(`unknown mode ${mode}`);
}

await say('READY');
const t0 = now();
const outcome = await run();
const ms = now() - t0;
process.stdout.write(`${JSON.stringify({ ms, outcome })}\n`, () => process.exit(0));
