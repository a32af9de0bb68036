// `node bench/sessions.mjs` (after `pnpm build`): snapshots and sessions at scale, measured.
// Prints ONE markdown table on stdout (progress on stderr). See README.md beside this file.
//
// 1. Snapshot sizes (empty box, a typical PTC session, a 10 MB dataset) and the times of
//    snapshot and restore (in-thread: the work itself; on a BoxThread: the round trip).
// 2. 1,000 agent sessions in one PyBoxPool, each with its own state, each doing a step (a small
//    PTC exec with 5 gathered tool calls) every few seconds, for a fixed time: RSS, step latency
//    (hot, and restored from hibernation), throughput, snapshot and restore times in the run.
// 3. Many boxes on one worker thread (BoxThread) versus a worker each: memory and start per box,
//    and the latency of a step when all of them step at once.
// The machine is shared: every figure is reported with the load average when it was taken.
import { loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import { BoxThread, MemorySnapshotStore, PyBox, PyBoxPool } from '@pybox/node';

const SESSIONS = Number(process.env.SESSIONS ?? 1000);
const RUN_SECONDS = Number(process.env.RUN_SECONDS ?? 150);
const HOT = Number(process.env.HOT ?? 40); // sessions that step every HOT_PERIOD_MS (they stay live)
const HOT_PERIOD_MS = Number(process.env.HOT_PERIOD_MS ?? 2_000);
const COLD_PERIOD_MS = Number(process.env.COLD_PERIOD_MS ?? 90_000); // the rest: hibernated between steps
const MAX_LIVE = Number(process.env.MAX_LIVE ?? 96);
const THREADS = Number(process.env.THREADS ?? 2);
const HIBERNATE_AFTER_MS = Number(process.env.HIBERNATE_AFTER_MS ?? 3_000);

const log = (...a) => console.error('sessions bench:', ...a);
const now = () => performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const load = () => loadavg()[0].toFixed(1);
const mb = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;
const kb = (bytes) => `${(bytes / 1024).toFixed(0)} KiB`;
const ms = (x) => (x === undefined ? 'n/a' : `${x.toFixed(x < 10 ? 2 : 1)} ms`);
const pct = (xs, p) => {
  if (!xs.length) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const rows = [];
const row = (what, value, note = '') => {
  rows.push({ what, value, note: note ? `${note}; load ${load()}` : `load ${load()}` });
  log(what, value, note);
};

// Whatever happens, the bench ends.
new Worker(`setTimeout(() => { process._rawDebug('sessions bench: hard timeout (15 min)'); process.kill(process.pid, 'SIGKILL'); }, 900000);`, {
  eval: true,
}).unref();

// ---- the agent's tools and step ------------------------------------------------------

const tools = [
  {
    name: 'lookup',
    description: 'A record by key.',
    parameters: { type: 'object', properties: { key: { type: 'integer' } }, required: ['key'] },
    handler: async ({ key }) => ({ key, value: (key * 7) % 13, label: `item-${key}` }),
  },
];
/** One agent step: 5 gathered tool calls, state that grows a little, a line of output. */
const STEP = `import asyncio
state = globals().setdefault("state", {"steps": 0, "seen": []})
base = state["steps"] * 5
rows = await asyncio.gather(*(lookup(base + i) for i in range(5)))
state["steps"] += 1
state["seen"].extend(r["value"] for r in rows)
print(state["steps"], sum(state["seen"][-5:]))
state["steps"]`;

// ---- 1. sizes and single operations --------------------------------------------------

async function typicalSession(box) {
  const ctx = await box.createContext({ name: 'main' });
  for (let i = 0; i < 10; i++) {
    const r = await ctx.exec(STEP);
    if (!r.ok) throw new Error(r.error.traceback);
  }
  return ctx;
}

async function sizesAndTimes() {
  const box = await PyBox.create({ tools, inThread: true });
  const empty = await box.snapshot();
  await typicalSession(box);
  const typical = await box.snapshot();
  row('snapshot size: empty box', kb(empty.length));
  row('snapshot size: typical PTC session', kb(typical.length), '10 steps of 5 gathered tool calls, its state kept in globals');

  const snaps = [];
  const restores = [];
  const reused = [];
  for (let i = 0; i < 40; i++) {
    let t = now();
    await box.snapshot();
    snaps.push(now() - t);
    t = now();
    const r = await PyBox.restore(typical, { tools, inThread: true });
    restores.push(now() - t);
    await r.close(); // closed without a snapshot: its engine is not reused
  }
  for (let i = 0; i < 40; i++) {
    const t = now();
    const r = await PyBox.restore(typical, { tools, inThread: true });
    reused.push(now() - t);
    await r.snapshot();
    await r.close(); // as a pool's hibernation does: the next restore reuses its engine
  }
  row('snapshot, typical session, in-thread: p50 / p99', `${ms(pct(snaps, 50))} / ${ms(pct(snaps, 99))}`, 'target ≤ 10 ms');
  row('restore, typical session, in-thread, new engine: p50 / p99', `${ms(pct(restores, 50))} / ${ms(pct(restores, 99))}`, 'PyBox.restore to a usable box, tools defined; target ≤ 10 ms');
  row('restore, typical session, in-thread, reused engine: p50 / p99', `${ms(pct(reused, 50))} / ${ms(pct(reused, 99))}`, 'the engine of a box closed right after its snapshot; target ≤ 10 ms');
  await box.close();

  const big = await PyBox.create({ tools, inThread: true });
  const ctx = await big.createContext({ name: 'data' });
  // 10 MB of CSV-like text (numbers, names, dates), in a file and in memory as a str.
  const lines = ['id,name,city,amount,date'];
  const cities = ['Paris', 'Oslo', 'Lima', 'Pune', 'Kobe', 'Cork'];
  for (let i = 0, size = 0; size < 10e6; i++) {
    const line = `${i},name-${(i * 7919) % 100000},${cities[i % 6]},${((i * 37) % 100000) / 100},2024-${1 + (i % 12)}-${1 + (i % 28)}`;
    lines.push(line);
    size += line.length + 1;
  }
  await big.fs.writeFile('/data/orders.csv', lines.join('\n'));
  const r = await ctx.exec('text = open("/data/orders.csv").read()\nlen(text)');
  if (!r.ok) throw new Error(r.error.traceback);
  const t = now();
  const dataset = await big.snapshot();
  const snapMs = now() - t;
  const t2 = now();
  const back = await PyBox.restore(dataset, { tools, inThread: true });
  const restoreMs = now() - t2;
  const check = await back.contexts()[0].exec('len(text)');
  if (!check.ok || check.value !== r.value) throw new Error('the 10 MB dataset did not come back');
  await back.close();
  await big.close();
  row('snapshot size: 10 MB dataset', mb(dataset.length), `a 10 MB CSV in /data and as a str in memory; snapshot ${ms(snapMs)}, restore ${ms(restoreMs)}`);

  // On a worker thread: the round trip the pool pays.
  const thread = new BoxThread();
  const wbox = await PyBox.create({ tools, thread });
  await typicalSession(wbox);
  const ws = [];
  const wr = [];
  let bytes;
  for (let i = 0; i < 30; i++) {
    let t3 = now();
    bytes = await wbox.snapshot();
    ws.push(now() - t3);
    t3 = now();
    const r2 = await PyBox.restore(bytes, { tools, thread });
    wr.push(now() - t3);
    await r2.close();
  }
  row('snapshot, typical session, BoxThread round trip: p50 / p99', `${ms(pct(ws, 50))} / ${ms(pct(ws, 99))}`);
  row('restore, typical session, BoxThread round trip: p50 / p99', `${ms(pct(wr, 50))} / ${ms(pct(wr, 99))}`);
  await wbox.close();
  await thread.close();
}

// ---- 2. 1,000 sessions ---------------------------------------------------------------

async function thousandSessions() {
  const threads = Array.from({ length: THREADS }, () => new BoxThread());
  let next = 0;
  const thread = () => threads[next++ % threads.length];
  const restoreMs = [];
  const snapshotMs = [];
  const origSnapshot = PyBox.prototype.snapshot;
  PyBox.prototype.snapshot = async function timed() {
    const t = now();
    const bytes = await origSnapshot.call(this);
    snapshotMs.push(now() - t);
    return bytes;
  };
  // Every session starts from its own copy of a template session that took one step (made
  // before the clock starts), so each step of the run restores or runs a real session.
  const store = new MemorySnapshotStore();
  const template = await PyBox.create({ tools, inThread: true });
  const first = await (await template.createContext({ name: 'main' })).exec(STEP);
  if (!first.ok || first.value !== 1) throw new Error('the template step failed');
  const templateBytes = await template.snapshot();
  await template.close();
  snapshotMs.length = 0;
  for (let i = 0; i < SESSIONS; i++) await store.set(`agent-${i}`, templateBytes.slice());
  const pool = new PyBoxPool({
    create: () => PyBox.create({ tools, thread: thread() }),
    restore: async (bytes) => {
      const t = now();
      const box = await PyBox.restore(bytes, { tools, thread: thread() });
      restoreMs.push(now() - t);
      return box;
    },
    max: MAX_LIVE,
    hibernateAfterMs: HIBERNATE_AFTER_MS,
    maxQueue: SESSIONS,
    checkoutTimeoutMs: 120_000,
    healthCheckIntervalMs: 0,
    store,
  });
  const hot = [];
  const cold = [];
  let failures = 0;
  let done = 0;
  const counts = new Map();
  let rssMax = process.memoryUsage().rss;
  const rssTimer = setInterval(() => (rssMax = Math.max(rssMax, process.memoryUsage().rss)), 250);
  const loads = [];
  const loadTimer = setInterval(() => loads.push(loadavg()[0]), 5_000);
  const started = now();
  const end = started + RUN_SECONDS * 1000;
  const steps = [];
  for (let i = 0; i < SESSIONS; i++) {
    const id = `agent-${i}`;
    const period = i < HOT ? HOT_PERIOD_MS : COLD_PERIOD_MS;
    steps.push(
      (async () => {
        await sleep(Math.random() * period); // spread the phases
        for (let at = now(); at < end; at += period) {
          const session = pool.session(id);
          const was = session.state;
          const t = now();
          try {
            const r = await session.exec(STEP);
            const latency = now() - t;
            const expected = (counts.get(id) ?? 1) + 1;
            if (!r.ok || r.value !== expected) throw new Error(`step ${expected} of ${id} gave ${JSON.stringify(r.ok ? r.value : r.error.message)}`);
            counts.set(id, expected);
            (was === 'live' ? hot : cold).push(latency);
            if (now() < end) done++;
          } catch (e) {
            failures++;
            if (failures < 5) log('step failed:', e.message);
          }
          if (at + period >= end) break; // no step starts after the end
          const wait = at + period - now();
          if (wait > 0) await sleep(wait);
        }
      })(),
    );
  }
  await Promise.all(steps);
  const elapsed = RUN_SECONDS; // steps are counted while the run lasts
  clearInterval(rssTimer);
  clearInterval(loadTimer);
  const metrics = pool.metrics();
  const avgLoad = loads.length ? (loads.reduce((a, b) => a + b, 0) / loads.length).toFixed(1) : load();
  const offered = HOT / (HOT_PERIOD_MS / 1000) + (SESSIONS - HOT) / (COLD_PERIOD_MS / 1000);
  const cfg = `${SESSIONS} sessions (${HOT} step every ${HOT_PERIOD_MS / 1000} s, the others every ${COLD_PERIOD_MS / 1000} s: ${offered.toFixed(0)} steps/s offered), max ${MAX_LIVE} live boxes on ${THREADS} BoxThreads, hibernate after ${HIBERNATE_AFTER_MS / 1000} s idle, ${RUN_SECONDS} s`;
  row('1,000 sessions: set-up', cfg, `average load ${avgLoad} over the run`);
  row('1,000 sessions: steps done / failed', `${done} / ${failures}`, `every step checked: its counter is the session's own (${counts.size} sessions stepped)`);
  row('1,000 sessions: throughput', `${(done / elapsed).toFixed(1)} steps/s`);
  row('1,000 sessions: peak RSS', mb(rssMax), 'target ≤ 2 GB');
  row('1,000 sessions: step, hot (box live): p50 / p99', `${ms(pct(hot, 50))} / ${ms(pct(hot, 99))}`, `${hot.length} steps`);
  row('1,000 sessions: step, restored from hibernation: p50 / p99', `${ms(pct(cold, 50))} / ${ms(pct(cold, 99))}`, `${cold.length} steps: restore, the step, and any wait for a free slot (an eviction's snapshot)`);
  row('1,000 sessions: restore in the run: p50 / p99', `${ms(pct(restoreMs, 50))} / ${ms(pct(restoreMs, 99))}`, `${restoreMs.length} restores`);
  row('1,000 sessions: snapshot in the run: p50 / p99', `${ms(pct(snapshotMs, 50))} / ${ms(pct(snapshotMs, 99))}`, `${snapshotMs.length} snapshots`);
  row(
    '1,000 sessions: pool metrics at the end',
    `live ${metrics.live}, hibernated ${metrics.sessionsHibernated}, restored ${metrics.restored}, evicted ${metrics.evicted}`,
    `store: ${store.size} snapshots, ${mb(store.bytes)} (${kb(store.bytes / Math.max(store.size, 1))} each)`,
  );
  await pool.close({ hibernate: false });
  PyBox.prototype.snapshot = origSnapshot;
  for (const t of threads) await t.close();
}

// ---- 3. many boxes on one thread vs a worker each ----------------------------------------

async function sharedVersusOwn() {
  const N = Number(process.env.BOXES ?? 24);
  for (const mode of ['BoxThread (2 threads)', 'a worker each']) {
    global.gc?.();
    await sleep(500);
    const rss0 = process.memoryUsage().rss;
    const threads = mode.startsWith('BoxThread') ? [new BoxThread(), new BoxThread()] : [];
    const t0 = now();
    const boxes = [];
    for (let i = 0; i < N; i++) boxes.push(await PyBox.create({ tools, ...(threads.length ? { thread: threads[i % 2] } : {}) }));
    const createMs = (now() - t0) / N;
    const ctxs = await Promise.all(boxes.map((b) => b.createContext()));
    await Promise.all(ctxs.map((c) => c.exec(STEP)));
    await sleep(300);
    const rss = process.memoryUsage().rss - rss0;
    const lat = [];
    for (let round = 0; round < 10; round++) {
      await Promise.all(
        ctxs.map(async (c) => {
          const t = now();
          await c.exec(STEP);
          lat.push(now() - t);
        }),
      );
    }
    row(`${N} boxes, ${mode}: RSS per box / start per box`, `${mb(rss / N)} / ${ms(createMs)}`);
    row(`${N} boxes, ${mode}: step when all ${N} step at once: p50 / p99`, `${ms(pct(lat, 50))} / ${ms(pct(lat, 99))}`);
    for (const b of boxes) await b.close();
    for (const t of threads) await t.close();
  }
}

log(`load average at start ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
await sizesAndTimes();
await thousandSessions();
await sharedVersusOwn();

console.log('| measured | value | note |');
console.log('|---|---|---|');
for (const r of rows) console.log(`| ${r.what} | ${r.value} | ${r.note} |`);
process.exit(0);
