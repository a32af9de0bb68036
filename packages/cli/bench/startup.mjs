// `pnpm bench:mcp`: how fast a cold `pybox mcp` answers, measured from the client's side with the
// official MCP SDK client, each run in a fresh process: spawn → initialize → tools/list → the
// first run_python result; the server process's CPU time at that point (user + system, from
// /proc, 10 ms ticks: less sensitive to a busy machine than wall time); and its resident memory
// once idle. Prints one markdown table on stdout; progress goes to stderr.
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const BIN = join(HERE, '..', 'dist', 'bin.js');
const UPSTREAM = join(HERE, '..', 'test', 'fixtures', 'upstream-server.mjs');
const RUNS = Number(process.env.RUNS ?? 7);
const TICK_MS = 10; // USER_HZ is 100 on Linux
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function cpuMs(pid) {
  // Fields 14 and 15 of /proc/<pid>/stat (after the parenthesised name): utime, stime.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

function rssMiB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function once(args) {
  const t0 = performance.now();
  const transport = new StdioClientTransport({ command: process.execPath, args: [BIN, 'mcp', ...args], stderr: 'ignore' });
  const client = new Client({ name: 'bench', version: '1.0.0' });
  await client.connect(transport);
  const initialized = performance.now() - t0;
  await client.listTools();
  const listed = performance.now() - t0;
  const r = await client.callTool({ name: 'run_python', arguments: { code: 'print(1 + 1)' } });
  const ran = performance.now() - t0;
  if (r.content?.[0]?.text !== '2') throw new Error(`run_python answered ${JSON.stringify(r)}`);
  const cpu = cpuMs(transport.pid);
  await sleep(1500);
  const rss = rssMiB(transport.pid);
  await client.close();
  return { initialized, listed, ran, cpu, rss };
}

const variants = [
  { label: '`pybox mcp`', args: [] },
  { label: '`pybox mcp --connect geo=node upstream-server.mjs`', args: ['--connect', `geo=${process.execPath} ${UPSTREAM}`] },
];
const load = loadavg()[0].toFixed(1);
const rows = [];
for (const v of variants) {
  const runs = [];
  for (let i = 0; i < RUNS; i++) {
    runs.push(await once(v.args));
    console.error(`bench:mcp ${v.label} run ${i + 1}/${RUNS}: first result at ${runs.at(-1).ran.toFixed(0)} ms`);
  }
  const cell = (k, digits = 0) => `${median(runs.map((r) => r[k])).toFixed(digits)} (min ${Math.min(...runs.map((r) => r[k])).toFixed(digits)})`;
  rows.push(`| ${v.label} | ${cell('initialized')} | ${cell('listed')} | ${cell('ran')} | ${cell('cpu')} | ${cell('rss', 1)} |`);
}
console.log(`Cold \`pybox mcp\`, ${RUNS} fresh processes each, medians (min); load average ${load} on 2 cores, Node ${process.version}.\n`);
console.log('| server | initialize answered (ms) | first tools/list answered (ms) | first run_python result (ms) | server CPU time to that result (ms) | idle RSS (MiB) |');
console.log('|---|---|---|---|---|---|');
for (const row of rows) console.log(row);
console.log('\nmcp-run-python (Pyodide under Deno), published: ~3–4.5 s to start (init 4567 ms, first exec 2135 ms in its own figures).');
