// Filesystem figures for PyBox (in-thread engine), printed as a markdown table:
// 10,000 opens through a host mount (race-free walk), listing 20,000 in-memory
// entries, and 10,000 small appends to an in-memory file. `node bench/fs.mjs`
// after `pnpm build`; pass a path to another build's @pybox/node to compare.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const { PyBox } = await import(process.argv[2] ?? '@pybox/node');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pybox-fs-bench-'));
fs.mkdirSync(path.join(dir, 'a', 'b'), { recursive: true });
fs.writeFileSync(path.join(dir, 'a', 'b', 'f.txt'), 'hello');
const box = await PyBox.create({ inThread: true, mounts: [{ hostPath: dir, guestPath: '/mnt/m', mode: 'ro' }], limits: { timeoutMs: 120_000 } });
const ctx = await box.createContext();
const time = async (code) => {
  const t0 = performance.now();
  const r = await ctx.exec(code);
  if (!r.ok) throw new Error(`${r.error.type}: ${r.error.message}`);
  return performance.now() - t0;
};
await time('import os\nfor i in range(100): open("/mnt/m/a/b/f.txt").read()'); // warm up
const rows = [
  ['10,000 opens + reads of /mnt/m/a/b/f.txt (ro mount)', await time('for i in range(10_000):\n    with open("/mnt/m/a/b/f.txt") as f: f.read()')],
  ['10,000 os.stat of /mnt/m/a/b/f.txt', await time('for i in range(10_000): os.stat("/mnt/m/a/b/f.txt")')],
  ['create 20,000 empty files in /tmp/many', await time('os.mkdir("/tmp/many")\nfor i in range(20_000): open(f"/tmp/many/{i}", "w").close()')],
  ['os.listdir of those 20,000', await time('len(os.listdir("/tmp/many"))')],
  ['10,000 appends of 100 bytes (unbuffered)', await time('with open("/tmp/log", "ab", buffering=0) as f:\n    for i in range(10_000): f.write(b"x" * 100)')],
];
await box.close();
fs.rmSync(dir, { recursive: true, force: true });
console.log('| operation | ms |\n|---|---|');
for (const [name, ms] of rows) console.log(`| ${name} | ${ms.toFixed(0)} |`);
