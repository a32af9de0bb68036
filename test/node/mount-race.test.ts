// Mounts resolve race-free (issue 8 item 8): another process swaps a folder
// inside the mount for a symlink to a folder outside it, in a tight loop,
// while Python reads, lists, stats, writes, creates, renames and deletes
// through the mount thousands of times. Nothing outside may ever be read,
// created, changed or deleted.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PyBox } from '@pybox/node';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pybox-race-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const swapper = new URL('./fixtures/swap-folder.mjs', import.meta.url);
let cases = 0;

/** A folder's names and contents (not following symlinks). */
function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(fs.readdirSync(dir).sort().map((name) => [name, fs.readFileSync(path.join(dir, name), 'utf8')]));
}

/** Python: 1,200 rounds of seven operations through the folder being swapped; what they saw, and how they failed. */
const ATTACK = `
import os
seen = set()
failures = {}
for i in range(1200):
    for name, fn in (
        ("read", lambda: open("/mnt/m/victim/f.txt").read()),
        ("list", lambda: ",".join(sorted(os.listdir("/mnt/m/victim")))),
        ("stat", lambda: os.stat("/mnt/m/victim/f.txt").st_size),
        ("write", lambda: open(f"/mnt/m/victim/w{i % 5}.txt", "w").write("W")),
        ("mkdir", lambda: os.mkdir(f"/mnt/m/victim/d{i % 5}")),
        ("rename", lambda: os.replace(f"/mnt/m/victim/w{i % 5}.txt", f"/mnt/m/victim/r{i % 5}.txt")),
        ("remove", lambda: os.remove(f"/mnt/m/victim/r{(i + 2) % 5}.txt")),
    ):
        try:
            seen.add(str(fn()))
        except OSError as e:
            failures[type(e).__name__] = failures.get(type(e).__name__, 0) + 1
{"seen": sorted(seen), "failures": failures}
`;

describe.each([
  ['in-thread', true],
  ['worker_threads', false],
])('mount containment under a symlink-swapping process (%s)', (_name, inThread) => {
  it.each(['rw', 'ro'] as const)("'%s': nothing outside is read, created, changed or deleted", async (mode) => {
    const base = path.join(root, `case-${cases++}`);
    const folder = path.join(base, 'mount');
    const outside = path.join(base, 'outside');
    fs.mkdirSync(path.join(folder, 'victim'), { recursive: true });
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(folder, 'victim', 'f.txt'), 'INSIDE');
    fs.writeFileSync(path.join(outside, 'f.txt'), 'SECRET-MARKER');
    // Decoys with the names Python renames onto and deletes.
    for (let i = 0; i < 5; i++) fs.writeFileSync(path.join(outside, `r${i}.txt`), 'OUTSIDE');
    const outsideBefore = snapshot(outside);
    const box = await PyBox.create({ inThread, mounts: [{ hostPath: folder, guestPath: '/mnt/m', mode }], limits: { timeoutMs: 60_000, wallTimeoutMs: 60_000 } });
    const child = spawn(process.execPath, [swapper.pathname, folder, outside], { stdio: ['ignore', 'pipe', 'inherit'] });
    let printed = '';
    child.stdout.on('data', (chunk: Buffer) => (printed += chunk.toString()));
    try {
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      const r = await (await box.createContext()).exec(ATTACK);
      if (!r.ok) throw new Error(`${r.error.type}: ${r.error.message}`);
      const { seen, failures } = r.value as { seen: string[]; failures: Record<string, number> };
      expect(seen.join('\n')).not.toContain('SECRET');
      expect(seen).toContain('INSIDE'); // the reads did run, between swaps
      // Failures are the ordinary ones: the folder was a symlink out (absent), or ro.
      for (const type of Object.keys(failures)) expect(['FileNotFoundError', 'OSError', 'FileExistsError', 'PermissionError', 'NotADirectoryError']).toContain(type);
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      await box.close();
    }
    const swaps = Number(printed.replace('ready\n', ''));
    expect(swaps).toBeGreaterThan(100); // the race really ran
    expect(snapshot(outside)).toEqual(outsideBefore);
  });
});
