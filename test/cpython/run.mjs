#!/usr/bin/env node
// `pnpm guest:test`: CPython's own regression tests (wasm/python313-tests.zip, built by
// guest/build.sh) inside the guest. Each module runs in a fresh box on the worker_threads
// engine, with a time limit; skips.json names every test skipped on purpose and why.
// Prints pass/skip/fail/error counts per module and exits 1 on any failure, error,
// unexpected success, crash or timeout.
//
//   node test/cpython/run.mjs [--jobs N] [--only test_os,test_re] [--verbose] [--json FILE]
//   node test/cpython/run.mjs --zip all-tests.zip --modules test.test_builtin,test.test_set
//     (exploring: any modules, from a zip of your own, e.g. all of Lib/test, to hunt for traps)
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { PyBox } from '@pybox/node';

const HERE = new URL('./', import.meta.url);
const ZIP = new URL('../../wasm/python313-tests.zip', import.meta.url);

/** One entry per box: the test modules it loads and its CPU time limit. */
const MODULES = [
  ['test_operator', ['test.test_operator']],
  ['test_gc', ['test.test_gc']],
  ['test_json', ['test.test_json']],
  ['test_re', ['test.test_re'], 120_000],
  ['test_asyncio.test_tasks', ['test.test_asyncio.test_tasks'], 120_000],
  ['test_asyncio.test_futures', ['test.test_asyncio.test_futures', 'test.test_asyncio.test_futures2']],
  ['test_asyncio.test_locks', ['test.test_asyncio.test_locks']],
  ['test_asyncio.test_queues', ['test.test_asyncio.test_queues']],
  ['test_asyncio.test_base_events', ['test.test_asyncio.test_base_events']],
  ['test_asyncio.test_taskgroups', ['test.test_asyncio.test_taskgroups', 'test.test_asyncio.test_timeouts']],
  ['test_asyncio.test_runners', ['test.test_asyncio.test_runners', 'test.test_asyncio.test_waitfor']],
  ['test_dataclasses', ['test.test_dataclasses']],
  ['test_collections', ['test.test_collections']],
  ['test_itertools', ['test.test_itertools'], 120_000],
  ['test_functools', ['test.test_functools']],
  ['test_decimal', ['test.test_decimal'], 180_000],
  ['test_datetime', ['test.test_datetime'], 180_000],
  ['test_statistics', ['test.test_statistics'], 120_000],
  ['test_csv', ['test.test_csv']],
  ['test_enum', ['test.test_enum']],
  ['test_typing', ['test.test_typing'], 120_000],
  ['test_str', ['test.test_str'], 120_000],
  ['test_unicodedata', ['test.test_unicodedata']],
  ['test_io', ['test.test_io'], 180_000],
  ['test_os', ['test.test_os']],
].map(([name, modules, timeoutMs = 60_000]) => ({ name, modules, timeoutMs }));

const { values: opts } = parseArgs({
  options: {
    jobs: { type: 'string', default: String(Math.min(2, availableParallelism())) },
    only: { type: 'string' },
    verbose: { type: 'boolean', default: false },
    json: { type: 'string' },
    zip: { type: 'string' },
    modules: { type: 'string' },
  },
});
const only = opts.only ? new Set(opts.only.split(',')) : null;
const selected = opts.modules
  ? opts.modules.split(',').map((name) => ({ name, modules: [name], timeoutMs: 120_000 }))
  : MODULES.filter((m) => !only || only.has(m.name));
if (selected.length === 0) {
  console.error(`guest:test: no module matches --only ${opts.only}; known: ${MODULES.map((m) => m.name).join(' ')}`);
  process.exit(2);
}
const zip = new Uint8Array(readFileSync(opts.zip ?? ZIP));
const runner = readFileSync(new URL('runner.py', HERE), 'utf8');
const skips = JSON.parse(readFileSync(new URL('skips.json', HERE), 'utf8'));
delete skips.$comment;

/** Runs one entry in a fresh box; resolves to its result, never rejects. */
async function runEntry(entry) {
  const t0 = performance.now();
  let box;
  try {
    box = await PyBox.create({ files: { '/tmp/python313-tests.zip': zip } });
    const ctx = await box.createContext();
    await ctx.set('pybox_tests', { zip: '/tmp/python313-tests.zip', modules: entry.modules, skips });
    const r = await ctx.exec(runner, {
      filename: '/tmp/pybox_test_runner.py',
      timeoutMs: entry.timeoutMs,
      wallTimeoutMs: entry.timeoutMs * 2,
    });
    const seconds = (performance.now() - t0) / 1000;
    if (!r.ok) return { entry, seconds, outcome: `${r.error.type}: ${r.error.message}`, detail: r.error.traceback };
    if (r.value.moduleSkipped) return { entry, seconds, outcome: 'skipped', reason: r.value.moduleSkipped };
    return { entry, seconds, outcome: 'ran', ...r.value };
  } catch (e) {
    const seconds = (performance.now() - t0) / 1000;
    return { entry, seconds, outcome: `${e.name}: ${e.message}` };
  } finally {
    await box?.close();
  }
}

/** Runs the entries, `jobs` at a time, longest-limit first. */
async function runAll(entries, jobs) {
  const queue = [...entries].sort((a, b) => b.timeoutMs - a.timeoutMs);
  const results = [];
  const worker = async () => {
    for (let e = queue.shift(); e; e = queue.shift()) {
      const r = await runEntry(e);
      results.push(r);
      console.error(`guest:test: ${e.name} ${r.outcome === 'ran' ? 'done' : r.outcome === 'skipped' ? r.reason : r.outcome} (${r.seconds.toFixed(1)} s)`);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Number(opts.jobs)) }, worker));
  return entries.flatMap((m) => results.filter((r) => r.entry === m));
}

const t0 = performance.now();
const results = await runAll(selected, Number(opts.jobs));
const wall = (performance.now() - t0) / 1000;

const COLS = ['run', 'passed', 'skipped', 'skippedByList', 'failed', 'errors', 'expectedFailures', 'unexpectedSuccesses'];
const HEAD = ['run', 'pass', 'skip', 'listed', 'fail', 'error', 'xfail', 'xpass'];
const lines = [`| module | ${HEAD.join(' | ')} | s |`, `|---|${HEAD.map(() => '--:').join('|')}|--:|`];
const total = Object.fromEntries(COLS.map((c) => [c, 0]));
let bad = 0;
for (const r of results) {
  if (r.outcome === 'skipped') {
    lines.push(`| ${r.entry.name} | skipped as a whole: ${r.reason.replace(/\|/g, '/').slice(0, 100)} ${'| '.repeat(COLS.length - 1)}| ${r.seconds.toFixed(0)} |`);
    continue;
  }
  if (r.outcome !== 'ran') {
    bad++;
    lines.push(`| ${r.entry.name} | ${r.outcome.replace(/\|/g, '/').slice(0, 100)} ${'| '.repeat(COLS.length - 1)}| ${r.seconds.toFixed(0)} |`);
    continue;
  }
  for (const c of COLS) total[c] += r.counts[c];
  if (r.counts.failed || r.counts.errors || r.counts.unexpectedSuccesses || r.unusedSkips.length) bad++;
  lines.push(`| ${r.entry.name} | ${COLS.map((c) => r.counts[c]).join(' | ')} | ${r.seconds.toFixed(0)} |`);
}
lines.push(`| **total** | ${COLS.map((c) => `**${total[c]}**`).join(' | ')} | ${wall.toFixed(0)} |`);
console.log(lines.join('\n'));

for (const r of results) {
  if (r.outcome === 'skipped') continue;
  if (r.outcome !== 'ran') {
    console.log(`\n${r.entry.name}: ${r.outcome}\n${(r.detail ?? '').slice(-2000)}`);
    continue;
  }
  for (const key of r.unusedSkips) console.log(`\nSTALE SKIP: ${key} (in skips.json, matches no test)`);
  for (const p of r.problems) {
    console.log(`\n${p.kind.toUpperCase()}: ${p.id}${opts.verbose ? `\n${p.traceback}` : ''}`);
  }
  if (opts.verbose) console.log(`\n${r.entry.name} skip reasons: ${JSON.stringify(r.skipReasons, null, 1)}`);
}
if (opts.json) writeFileSync(opts.json, JSON.stringify({ wallSeconds: wall, results }, null, 2));
console.error(`guest:test: ${results.length} modules in ${wall.toFixed(0)} s, ${bad ? `${bad} with problems` : 'all clean'}`);
process.exit(bad ? 1 : 0);
