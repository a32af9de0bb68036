// `pnpm bench`: PyBox (in-thread and worker_threads) beside monty, pyodide and native python3,
// all measured in this run. Prints ONE markdown table on stdout; progress goes to stderr.
// See README.md beside this file for what each row means.
import { spawn, execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { PyBox } from '@pybox/node';
import { Engine } from '@pybox/core/internal';
import { agentRows } from './agent.mjs';
import { browserRows } from './browser.mjs';
import { importRows } from './imports.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const now = () => performance.now();
const log = (...a) => console.error('bench:', ...a);
// `node bench/run.mjs --only imports,browser`: some sections only (cold warm limit imports browser agent).
const SECTIONS = ['cold', 'warm', 'limit', 'imports', 'browser', 'agent'];
const onlyArg = process.argv.indexOf('--only');
const only = onlyArg > 0 ? new Set(process.argv[onlyArg + 1]?.split(',')) : new Set(SECTIONS);
for (const name of only) if (!SECTIONS.includes(name)) throw new Error(`--only: no section ${name} (${SECTIONS.join(', ')})`);
const want = (name) => only.has(name);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// A last resort: whatever happens, the bench ends (a blocked main thread cannot run timers).
new Worker(
  `setTimeout(() => { process._rawDebug('bench: hard timeout (15 min), killing the bench'); process.kill(process.pid, 'SIGKILL'); }, 900000);`,
  { eval: true },
).unref();

// ---- the programs (the same source for every runtime) -------------------------------

const N_CALLS = 10_000;
const P = {
  trivial: '1 + 1',
  sum: 'sum(i*i for i in range(10**6))',
  json: `import json
rows = [{"id": i, "name": "item" + str(i), "price": i * 0.25, "tags": ["a", "b"] if i % 3 else ["c"]} for i in range(10000)]
text = json.dumps(rows)
back = json.loads(text)
picked = [r["id"] for r in back if r["price"] > 1000 and "c" in r["tags"]]
len(text) + len(picked) + sum(picked)`,
  regex: `import re
text = ("The quick brown fox jumps over the lazy dog 12345 times; mail fox@example.com now. " * 1300)[:100000]
words = re.findall(r"[A-Za-z]+", text)
masked = re.sub(r"[0-9]+", "#", text)
mails = 0
for m in re.finditer(r"[a-z]+@[a-z]+[.][a-z]+", text):
    mails += len(m.group(0))
len(words) + len(masked) + mails`,
  syncCalls: `s = 0\nfor i in range(${N_CALLS}):\n    s += f(i)\ns`,
  awaitCalls: `s = 0\nfor i in range(${N_CALLS}):\n    s += await g(i)\ns`,
  gather1000: 'import asyncio\nr = await asyncio.gather(*[g(i) for i in range(1000)])\nsum(r)',
  slow100: 'import asyncio\nr = await asyncio.gather(*[slow(i) for i in range(100)])\nsum(r)',
  cpuLoop: 'i = 0\nwhile i < 1000000:\n    i += 1\ni',
};
// CPython's output for each program (used only when native python3 is missing).
const EXPECTED = {
  trivial: '2',
  sum: '333332833333500000',
  json: '14694670',
  regex: '131313',
  syncCalls: '50005000',
  awaitCalls: '50005000',
  gather1000: '500500',
  slow100: '5050',
  cpuLoop: '1000000',
};

// The host functions every runtime gets: f (plain), g (async), slow (async, 5 ms).
const HOST = {
  f: (i) => i + 1,
  g: async (i) => i + 1,
  slow: async (i) => {
    await sleep(5);
    return i + 1;
  },
};
const pyboxTools = [
  { name: 'f', parameters: { type: 'object', properties: { i: {} } }, handler: ({ i }) => HOST.f(i) },
  { name: 'g', parameters: { type: 'object', properties: { i: {} } }, handler: async ({ i }) => HOST.g(i) },
  { name: 'slow', parameters: { type: 'object', properties: { i: {} } }, handler: async ({ i }) => HOST.slow(i) },
];

// ---- cells ------------------------------------------------------------------------------

const NA = (why) => ({ text: 'n/a', why });
const errorCell = (e) => ({ text: 'error', why: String(e?.message ?? e).split('\n')[0].slice(0, 90) });

/** Repeats fn (which returns { ms, key }), drops warmups; the cell is the median. */
async function sample(fn, { repeat, warmup = 0, scale = 1 }) {
  try {
    const ms = [];
    const keys = [];
    for (let k = 0; k < warmup + repeat; k++) {
      const r = await fn();
      if (k >= warmup) {
        ms.push(r.ms);
        keys.push(r.key);
      }
    }
    return { value: median(ms) * scale, keys };
  } catch (e) {
    return errorCell(e);
  }
}

const keyOf = (v) => {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (v && typeof v === 'object' && typeof v.toString === 'function') {
    const s = v.toString();
    v.destroy?.();
    return s;
  }
  return JSON.stringify(v);
};
const pyboxKey = (r) =>
  r.ok ? (typeof r.value === 'string' ? r.value : r.repr) : `${r.error.type}: ${r.error.message}`;

// ---- child processes -------------------------------------------------------------------

/** Spawns a process; resolves with its stdout lines, wall time, and whether it was killed. */
function runChild(cmd, args, { timeoutMs = 60_000, stopAfterReadyMs } = {}) {
  return new Promise((resolve) => {
    const t0 = now();
    const child = spawn(cmd, args, { cwd: HERE, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines = [];
    let stderr = '';
    let killed = null;
    let readyAt = null;
    const kill = (why) => {
      killed ??= why;
      child.kill('SIGKILL');
    };
    const overall = setTimeout(() => kill('timeout'), timeoutMs);
    let stopTimer;
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line);
      if (line === 'READY' && stopAfterReadyMs) {
        readyAt = now();
        stopTimer = setTimeout(() => kill('did not stop'), stopAfterReadyMs);
      }
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', (e) => {
      clearTimeout(overall);
      resolve({ lines, wallMs: now() - t0, killed: `spawn failed: ${e.message}`, stderr });
    });
    child.on('close', (code) => {
      clearTimeout(overall);
      clearTimeout(stopTimer);
      resolve({ lines, wallMs: now() - t0, killed, code, stderr, readyAt });
    });
  });
}

/** The most telling line of a failed child's stderr. */
const childError = (r) => {
  const lines = r.stderr.split('\n').filter((l) => l.trim());
  const line = r.killed ?? lines.find((l) => /\w*Error\b/.test(l) && !/^\s+at /.test(l)) ?? lines.at(-1) ?? `exit ${r.code}`;
  return line.trim().slice(0, 100);
};

const lastJson = (lines) => {
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      return JSON.parse(lines[i]);
    } catch {
      // not JSON
    }
  }
  return null;
};

// ---- peers -----------------------------------------------------------------------------

async function loadMonty() {
  try {
    const m = await import('@pydantic/monty');
    new m.Monty('1').run();
    return m;
  } catch (e) {
    log(`monty unavailable: ${e.message}`);
    return null;
  }
}

async function loadPyodidePeer() {
  try {
    const { loadPyodide } = await import('pyodide');
    const indexURL = dirname(require.resolve('pyodide/package.json')) + '/';
    const py = await loadPyodide({ indexURL, stdout: () => {}, stderr: () => {} });
    return { py, dict: py.globals.get('dict') };
  } catch (e) {
    log(`pyodide unavailable: ${e.message}`);
    return null;
  }
}

function findPython() {
  try {
    const [exe, version] = execFileSync('python3', ['-c', 'import sys; print(sys.executable); print(sys.version.split()[0])'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .trim()
      .split('\n');
    return { exe, version };
  } catch {
    log('native python3 unavailable');
    return null;
  }
}

/** The native CPython harness (native.py): one command at a time, host tools over stdio. */
class NativePython {
  constructor(exe) {
    this.child = spawn(exe, ['-u', `${HERE}/native.py`], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.child.on('error', () => {});
    this.pending = null;
    createInterface({ input: this.child.stdout }).on('line', (line) => this.onLine(line));
    this.child.on('close', () => this.pending?.reject(new Error('native python3 exited')));
  }

  onLine(line) {
    const msg = JSON.parse(line);
    if (msg.call) {
      const answer = (value) => this.child.stdin.write(`${JSON.stringify({ id: msg.id, value })}\n`);
      const out = HOST[msg.call](msg.arg);
      if (out instanceof Promise) out.then(answer);
      else answer(out);
    } else if (msg.done) {
      const p = this.pending;
      this.pending = null;
      clearTimeout(p.timer);
      p.resolve(msg);
    }
  }

  command(cmd, timeoutMs = 90_000) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending = null;
        this.child.kill('SIGKILL');
        reject(new Error(`native python3 did not answer ${cmd.op} in ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending = { resolve, reject, timer };
      this.child.stdin.write(`${JSON.stringify(cmd)}\n`);
    });
  }

  /** A cell from a command answering { ms: [...], results: [...] }. */
  async cell(cmd, scale = 1) {
    try {
      const r = await this.command(cmd);
      return { value: median(r.ms) * scale, keys: r.results };
    } catch (e) {
      return errorCell(e);
    }
  }

  close() {
    this.child.stdin.end(`${JSON.stringify({ op: 'exit' })}\n`);
  }
}

// ---- the measurements ------------------------------------------------------------------

const rows = [];
const COLS = ['inThread', 'worker', 'monty', 'pyodide', 'native'];

async function main() {
  const tStart = now();
  const python = findPython();
  const montyMod = await loadMonty();
  const pyo = want('warm') || want('imports') ? await loadPyodidePeer() : null;
  const missing = {
    monty: NA('@pydantic/monty not installed'),
    pyodide: NA('pyodide not installed'),
    native: NA('python3 not found'),
  };
  const dash = { text: '—' };

  if (want('cold')) {
    // -- cold, each in a fresh child process --
    const COLD_N = 5;
    const cold = {};
    const coldFailures = {};
    const coldModes = ['engine', 'pybox-inthread', 'pybox-worker'];
    if (montyMod) coldModes.push('monty');
    let hasPyodide = true;
    try {
      require.resolve('pyodide/package.json');
    } catch {
      hasPyodide = false;
    }
    if (hasPyodide) coldModes.push('pyodide');
    for (const mode of coldModes) {
      log(`cold: ${mode} ×${COLD_N}`);
      const runs = [];
      const failures = [];
      for (let k = 0; k < COLD_N; k++) {
        const r = await runChild(process.execPath, [`${HERE}/cold.mjs`, mode]);
        const j = lastJson(r.lines);
        if (!j) {
          const why = childError(r);
          log(`cold ${mode} run ${k + 1} failed: ${why}`);
          failures.push(why);
          if (failures.length >= 2 && runs.length === 0) break; // not installed / broken: stop trying
          continue;
        }
        runs.push({ ...j, wallMs: r.wallMs });
      }
      cold[mode] = runs.length ? runs : null;
      coldFailures[mode] = failures;
      for (const f of ['compileMs', 'initMs', 'readyMs', 'firstExecMs', 'wallMs']) {
        const xs = runs.map((r) => r[f]).filter((x) => x !== undefined);
        if (xs.length) log(`  ${f}: min ${Math.min(...xs).toFixed(1)}, median ${median(xs).toFixed(1)}, max ${Math.max(...xs).toFixed(1)}`);
      }
    }
    let coldNative = null;
    if (python) {
      log(`cold: native python3 ×${COLD_N}`);
      const runs = [];
      for (let k = 0; k < COLD_N; k++) {
        const r = await runChild(python.exe, ['-c', 'print(1 + 1)']);
        runs.push({ wallMs: r.wallMs, result: r.lines[0] });
      }
      coldNative = runs;
    }
    const coldCell = (mode, field) => {
      const runs = cold[mode];
      if (mode === 'pyodide' && !hasPyodide) return NA('pyodide not installed');
      const failed = coldFailures[mode] ?? [];
      if (!runs) return NA(`${mode} did not start (${failed[0] ?? 'no output'})`);
      const cell = { value: median(runs.map((r) => r[field])), keys: runs.map((r) => r.result) };
      if (failed.length) cell.warn = `${failed.length} of ${failed.length + runs.length} cold runs failed: ${failed[0]}`;
      return cell;
    };
    rows.push({
      label: 'cold: `WebAssembly.compile(pybox.wasm)` (ms)',
      cells: { inThread: coldCell('engine', 'compileMs'), worker: dash, monty: dash, pyodide: dash, native: dash },
      noRatio: true,
    });
    rows.push({
      label: `cold: instantiate + init, \`Engine.create\`${cold.engine?.[0]?.image ? ' from the boot image' : ''} (ms)`,
      cells: { inThread: coldCell('engine', 'initMs'), worker: dash, monty: dash, pyodide: dash, native: dash },
      noRatio: true,
    });
    rows.push({
      label: 'cold: first exec `1 + 1` right after init, incl. its context (ms)',
      cells: {
        inThread: coldCell('engine', 'firstExecMs'),
        worker: coldCell('pybox-worker', 'firstExecMs'),
        monty: montyMod ? coldCell('monty', 'firstExecMs') : NA('not installed'),
        pyodide: coldCell('pyodide', 'firstExecMs'),
        native: dash,
      },
      expect: 'trivial',
    });
    rows.push({
      label: 'cold: import → ready, fresh process (ms)',
      cells: {
        inThread: coldCell('pybox-inthread', 'readyMs'),
        worker: coldCell('pybox-worker', 'readyMs'),
        monty: montyMod ? coldCell('monty', 'readyMs') : NA('not installed'),
        pyodide: coldCell('pyodide', 'readyMs'),
        native: dash,
      },
      expect: 'trivial',
    });
    rows.push({
      label: 'cold: whole fresh process, spawn → `1 + 1` → exit (ms)',
      cells: {
        inThread: coldCell('pybox-inthread', 'wallMs'),
        worker: coldCell('pybox-worker', 'wallMs'),
        monty: montyMod ? coldCell('monty', 'wallMs') : NA('not installed'),
        pyodide: coldCell('pyodide', 'wallMs'),
        native: coldNative
          ? { value: median(coldNative.map((r) => r.wallMs)), keys: coldNative.map((r) => r.result) }
          : NA('python3 not found'),
      },
      expect: 'trivial',
    });
  }

  if (want('warm')) {
    // -- warm, in this process --
    log('warm: starting PyBox (in-thread, worker), native python3');
    const boxIn = await PyBox.create({ inThread: true, tools: pyboxTools });
    const boxW = await PyBox.create({ tools: pyboxTools });
    const native = python ? new NativePython(python.exe) : null;
    const Monty = montyMod?.Monty;

    const pybox = (box) => async (code) => {
      const ctx = await box.createContext();
      const t = now();
      const r = await ctx.exec(code);
      const ms = now() - t;
      await ctx.dispose();
      return { ms, key: pyboxKey(r) };
    };
    const montyRun = (code, externalFunctions) => async () => {
      const t = now();
      const v = new Monty(code).run(externalFunctions ? { externalFunctions } : undefined);
      return { ms: now() - t, key: keyOf(v) };
    };
    const montyAsync = (code, externalFunctions) => async () => {
      const t = now();
      const v = await montyMod.runMontyAsync(new Monty(code), { externalFunctions });
      return { ms: now() - t, key: keyOf(v) };
    };
    const pyodideRun = (code, tools = [], isAsync = false) => async () => {
      const ns = pyo.dict();
      for (const t of tools) ns.set(t, HOST[t]);
      try {
        const t = now();
        const v = isAsync ? await pyo.py.runPythonAsync(code, { globals: ns }) : pyo.py.runPython(code, { globals: ns });
        const ms = now() - t;
        return { ms, key: keyOf(v) };
      } finally {
        ns.destroy();
      }
    };

    /** A row of one program run the same way everywhere. */
    async function programRow(label, name, { repeat, warmup, scale = 1, tools = [], isAsync = false, worker = true, target }) {
      log(label);
      const code = P[name];
      const cells = {};
      rows.push({ label, cells, expect: name, target });
      cells.inThread = await sample(() => pybox(boxIn)(code), { repeat, warmup, scale });
      cells.worker = worker
        ? await sample(() => pybox(boxW)(code), { repeat, warmup, scale })
        : NA('plain (sync) tools are in-thread only');
      const ext = tools.length ? Object.fromEntries(tools.map((t) => [t, HOST[t]])) : undefined;
      cells.monty = !Monty
        ? missing.monty
        : await sample(isAsync ? montyAsync(code, ext) : montyRun(code, ext), { repeat, warmup, scale });
      if (cells.monty.text === 'error') cells.monty = { text: 'unsupported', why: cells.monty.why };
      cells.pyodide = pyo ? await sample(pyodideRun(code, tools, isAsync), { repeat, warmup, scale }) : missing.pyodide;
      cells.native = native
        ? await native.cell(
            { op: tools.length ? (isAsync ? 'async_tools' : 'sync_tools') : 'run', code, tools, repeat, warmup },
            scale,
          )
        : missing.native;
    }

    await programRow('trivial exec `1 + 1` (ms)', 'trivial', {
      repeat: 2000,
      warmup: 200,
      target: [{ col: 'inThread', max: 0.04 }, { col: 'worker', max: 0.15 }],
    });

    // new context / fresh namespace
    {
      const label = 'new context / fresh namespace (ms)';
      log(label);
      const newCtx = (box) => async () => {
        const t = now();
        const ctx = await box.createContext();
        const ms = now() - t;
        await ctx.dispose();
        return { ms };
      };
      rows.push({
        label,
        cells: {
          inThread: await sample(newCtx(boxIn), { repeat: 1000, warmup: 100 }),
          worker: await sample(newCtx(boxW), { repeat: 1000, warmup: 100 }),
          monty: Monty
            ? await sample(
                async () => {
                  const t = now();
                  new montyMod.MontyRepl();
                  return { ms: now() - t };
                },
                { repeat: 1000, warmup: 100 },
              )
            : missing.monty,
          pyodide: pyo
            ? await sample(
                async () => {
                  const t = now();
                  const d = pyo.dict();
                  const ms = now() - t;
                  d.destroy();
                  return { ms };
                },
                { repeat: 1000, warmup: 100 },
              )
            : missing.pyodide,
          native: native ? await native.cell({ op: 'new_namespace', repeat: 200, warmup: 20 }) : missing.native,
        },
        target: [{ col: 'inThread', max: 0.1 }, { col: 'worker', max: 0.1 }],
      });
    }

    await programRow('`sum(i*i for i in range(10**6))` (ms)', 'sum', {
      repeat: 7,
      warmup: 1,
      target: [{ col: 'inThread', maxRatioToNative: 2.5 }],
    });
    await programRow('10k dicts: json dumps + loads + filter (ms)', 'json', { repeat: 7, warmup: 1 });
    await programRow('regex over 100 KB: findall + sub + finditer (ms)', 'regex', { repeat: 7, warmup: 1 });
    await programRow(`sync host call \`f(i)\`, ${N_CALLS / 1000}k in one exec, per call (µs)`, 'syncCalls', {
      repeat: 5,
      warmup: 1,
      scale: 1000 / N_CALLS,
      tools: ['f'],
      worker: false,
    });
    await programRow(`awaited tool call \`await g(i)\`, ${N_CALLS / 1000}k in a loop, per call (µs)`, 'awaitCalls', {
      repeat: 5,
      warmup: 1,
      scale: 1000 / N_CALLS,
      tools: ['g'],
      isAsync: true,
      target: [{ col: 'inThread', max: 10 }],
    });
    await programRow('1,000 awaited tool calls gathered, amortised per call (µs)', 'gather1000', {
      repeat: 10,
      warmup: 2,
      scale: 1000 / 1000,
      tools: ['g'],
      isAsync: true,
      target: [{ col: 'worker', max: 30 }],
    });
    await programRow('100 gathered tools of 5 ms each, total (ms)', 'slow100', {
      repeat: 10,
      warmup: 2,
      tools: ['slow'],
      isAsync: true,
      target: [{ col: 'inThread', max: 8 }, { col: 'worker', max: 8 }],
    });

    // -- CPU loop with a time limit vs without --
    {
      const label = 'CPU loop (1M iterations) with a time limit vs without: overhead (%)';
      log(label);
      const REP = 9;
      const overhead = async (withFn, withoutFn) => {
        try {
          const a = [];
          const b = [];
          const keys = [];
          for (let k = 0; k < REP + 1; k++) {
            const x = await withFn();
            const y = await withoutFn();
            if (k === 0) continue;
            a.push(x.ms);
            b.push(y.ms);
            keys.push(x.key, y.key);
          }
          return {
            value: (median(a) / median(b) - 1) * 100,
            keys,
            withoutMs: median(b),
            detail: `${median(a).toFixed(1)} vs ${median(b).toFixed(1)} ms`,
          };
        } catch (e) {
          return errorCell(e);
        }
      };
      // PyBox: the facade always arms a limit (default 30 s), so "without" needs the engine itself.
      const base = new URL('./wasm/', import.meta.resolve('@pybox/core'));
      const [wasm, stdlib, image] = await Promise.all([
        readFile(new URL('pybox.wasm', base)),
        readFile(new URL('python313.zip', base)),
        readFile(new URL('pybox.image', base)).catch(() => undefined),
      ]);
      const assets = { module: await WebAssembly.compile(wasm), stdlib: new Uint8Array(stdlib) };
      if (image) assets.image = new Uint8Array(image);
      const engine = await Engine.create(assets);
      const engineRun = (options) => async () => {
        const ctx = engine.createContext();
        const t = now();
        const r = await engine.exec(ctx, P.cpuLoop, options);
        const ms = now() - t;
        engine.deleteContext(ctx);
        return { ms, key: pyboxKey(r) };
      };
      const cells = {
        inThread: await overhead(engineRun({ timeoutMs: 60_000 }), engineRun({})),
        worker: NA('the facade always arms a limit (limits.timeoutMs defaults to 30 s)'),
        monty: Monty
          ? await overhead(
              async () => {
                const t = now();
                const v = new Monty(P.cpuLoop).run({ limits: { maxDurationSecs: 60 } });
                return { ms: now() - t, key: keyOf(v) };
              },
              montyRun(P.cpuLoop),
            )
          : missing.monty,
        pyodide: pyo
          ? await (async () => {
              const buf = new Int32Array(new SharedArrayBuffer(4));
              const run = pyodideRun(P.cpuLoop);
              return overhead(
                async () => {
                  pyo.py.setInterruptBuffer(buf);
                  try {
                    return await run();
                  } finally {
                    pyo.py.setInterruptBuffer(undefined);
                  }
                },
                run,
              );
            })()
          : missing.pyodide,
        native: native
          ? await (async () => {
              try {
                const r = await native.command({ op: 'limit_overhead', code: P.cpuLoop, repeat: REP, warmup: 1 });
                return {
                  value: (median(r.with) / median(r.without) - 1) * 100,
                  keys: r.results,
                  withoutMs: median(r.without),
                  detail: `${median(r.with).toFixed(1)} vs ${median(r.without).toFixed(1)} ms`,
                };
              } catch (e) {
                return errorCell(e);
              }
            })()
          : missing.native,
      };
      // The same loop's plain time (the "without" runs above): top-level code, as agents write it.
      const plain = (cell) => ('withoutMs' in cell ? { value: cell.withoutMs, keys: cell.keys } : cell);
      rows.push({
        label: 'CPU loop `while i < 1000000: i += 1` at top level, no limit (ms)',
        cells: {
          inThread: plain(cells.inThread),
          worker: await sample(() => pybox(boxW)(P.cpuLoop), { repeat: 5, warmup: 1 }),
          monty: plain(cells.monty),
          pyodide: plain(cells.pyodide),
          native: plain(cells.native),
        },
        expect: 'cpuLoop',
        note: 'worker: facade default limit (30 s) armed',
      });
      rows.push({ label, cells, expect: 'cpuLoop', noRatio: true, target: [{ col: 'inThread', max: 10 }], signed: true });
    }

    await boxIn.close();
    await boxW.close();
    native?.close();
  }

  if (want('limit')) {
    // -- `while True: pass` with a 1 s limit, each in a fresh process that is killed if it runs on --
    {
      const label = '`while True: pass`, 1 s limit: stopped at (ms)';
      log(label);
      const limitCell = async (cmd, args) => {
        const r = await runChild(cmd, args, { timeoutMs: 60_000, stopAfterReadyMs: 5_000 });
        if (r.killed === 'did not stop') return { text: 'did not stop' };
        const j = lastJson(r.lines);
        if (!j) {
          log(`limit ${args.at(-1).slice(0, 20)} failed: ${r.stderr.trim().split('\n').slice(-8).join(' | ')}`);
          return errorCell(childError(r));
        }
        return { value: j.ms, outcome: j.outcome };
      };
      const node = (mode) => limitCell(process.execPath, [`${HERE}/limit.mjs`, mode]);
      const nativeLimit = `import json, signal, time
  class Stop(BaseException): pass
  def on_alarm(signum, frame): raise Stop()
  signal.signal(signal.SIGALRM, on_alarm)
  print("READY", flush=True)
  t0 = time.perf_counter()
  signal.setitimer(signal.ITIMER_REAL, 1.0)
  try:
      while True:
          pass
  except Stop:
      pass
  print(json.dumps({"ms": (time.perf_counter() - t0) * 1000, "outcome": "SIGALRM"}), flush=True)`;
      rows.push({
        label,
        cells: {
          inThread: await node('pybox-inthread'),
          worker: await node('pybox-worker'),
          monty: montyMod ? await node('monty') : missing.monty,
          pyodide: pyo ? await node('pyodide') : missing.pyodide,
          native: python ? await limitCell(python.exe, ['-c', nativeLimit]) : missing.native,
        },
        limitRow: true,
      });
    }
  }

  // -- first imports of stdlib modules (bench/imports.mjs) --
  if (want('imports')) rows.push(...(await importRows(log, { PyBox, python, pyodide: pyo, runChild, lastJson })));
  // -- the page in Chromium (bench/browser.mjs) --
  if (want('browser')) rows.push(...(await browserRows(log)));

  log(`done in ${((now() - tStart) / 1000).toFixed(1)} s`);
  const versions = [`node ${process.version}`, python ? `python3 ${python.version}` : 'no python3'];
  if (pyo) versions.push(`pyodide ${pyo.py.version}`);
  log(versions.join(', '));
  // -- the agent layer (bench/agent.mjs) --
  if (want('agent')) rows.push(...(await agentRows(log)));

  printTable(rows);
  process.exit(0);
}

// ---- the table -------------------------------------------------------------------------

function fmt(v, signed = false) {
  const a = Math.abs(v);
  const s = a >= 10 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : a >= 0.1 ? v.toFixed(3) : v.toFixed(4);
  return signed && v > 0 ? `+${s}` : s;
}

function printTable(rows) {
  const header = [
    'measurement',
    'PyBox (in-thread)',
    'PyBox (worker_threads)',
    'monty',
    'pyodide',
    'native python3',
    'in-thread ÷ monty',
    'in-thread ÷ pyodide',
    'in-thread ÷ native',
    'target',
    'check',
  ];
  const names = { inThread: 'in-thread', worker: 'worker', monty: 'monty', pyodide: 'pyodide', native: 'native' };
  const out = [header];
  for (const row of rows) {
    const c = row.cells;
    const line = [row.label];
    for (const col of COLS) {
      const cell = c[col];
      line.push('value' in cell ? fmt(cell.value, row.signed) : cell.text);
    }
    const inV = c.inThread.value;
    for (const peer of ['monty', 'pyodide', 'native']) {
      const pv = c[peer].value;
      if (row.noRatio || inV === undefined || pv === undefined || pv === 0) line.push('—');
      else {
        const r = inV / pv;
        line.push(`${r >= 10 ? r.toFixed(0) : r.toFixed(2)}×`);
      }
    }
    // target
    const targets = (row.target ?? []).map((t) => {
      const v = c[t.col].value;
      if (t.maxRatioToNative !== undefined) {
        const nv = c.native.value;
        const ok = v !== undefined && nv !== undefined ? (v / nv <= t.maxRatioToNative ? '✓' : '✗') : '?';
        return `${names[t.col]} ≤ ${t.maxRatioToNative}× native ${ok}`;
      }
      const ok = v === undefined ? '?' : v <= t.max ? '✓' : '✗';
      return `${names[t.col]} ≤ ${t.max} ${ok}`;
    });
    line.push(targets.length ? targets.join('; ') : '—');
    // check: every result against CPython's output (warnings first), then why a cell is n/a
    const warnings = [];
    const notes = [];
    const expected = row.expect
      ? row.expect === 'trivial' || !c.native.keys
        ? EXPECTED[row.expect]
        : c.native.keys[0]
      : undefined;
    for (const col of COLS) {
      const cell = c[col];
      if (cell.warn) warnings.push(`⚠ ${names[col]}: ${cell.warn}`);
      if (cell.text === 'error') warnings.push(`⚠ ${names[col]} failed: ${cell.why}`);
      else if (cell.why && cell.text !== '—') notes.push(`${names[col]}: ${cell.why}`);
      if (expected !== undefined && cell.keys) {
        const bad = cell.keys.find((k) => k !== expected);
        if (bad !== undefined) {
          warnings.push(`⚠ ${names[col]} gave ${JSON.stringify(String(bad).slice(0, 60))}, CPython ${JSON.stringify(expected)}`);
        }
      }
      if (row.limitRow && cell.outcome && !/TimeLimit|TimeoutError|KeyboardInterrupt|SIGALRM/.test(cell.outcome)) {
        warnings.push(`⚠ ${names[col]} ended with ${cell.outcome}`);
      }
      if (row.limitRow && cell.text === 'did not stop') warnings.push(`⚠ ${names[col]} did not stop within 5 s`);
      if (cell.detail) notes.push(`${names[col]} ${cell.detail}`);
    }
    if (row.note) notes.push(row.note);
    if (row.expect && !c.native.keys && row.expect !== 'trivial') notes.push('checked against stored CPython output');
    const checked = row.expect || row.limitRow;
    const parts = [...(warnings.length ? warnings : checked ? ['ok'] : []), ...notes];
    line.push(parts.length ? parts.join('; ') : '—');
    out.push(line);
  }
  const esc = (s) => String(s).replaceAll('|', '\\|');
  const lines = out.map((cells) => `| ${cells.map(esc).join(' | ')} |`);
  lines.splice(1, 0, `|${header.map((_, i) => (i === 0 || i >= 9 ? '---' : '---:')).join('|')}|`);
  console.log(lines.join('\n'));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
