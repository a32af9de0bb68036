// What the guest's files and fd output cost the host (issue 8 items 3 and 4),
// measured as the process's resident memory on both Node engines: a 400 MiB
// os.write loop under a 1 MiB output limit, and 1 GiB of files under a
// 32 MiB quota.
import { describe, expect, it } from 'vitest';
import { PyBox } from '@pybox/node';

const MiB = 1024 * 1024;
const rss = () => process.memoryUsage().rss;

describe.each([
  ['in-thread', true],
  ['worker_threads', false],
])('host memory (%s)', (_name, inThread) => {
  it('grows by about the output limit for 400 MiB written to fd 1', async () => {
    const box = await PyBox.create({ inThread, limits: { timeoutMs: 60_000, outputChars: MiB } });
    try {
      const ctx = await box.createContext();
      await ctx.exec('import os\nchunk = b"x" * (1 << 20)');
      const before = rss();
      const r = await ctx.exec('for _ in range(400): os.write(1, chunk)\n"written"');
      const grown = rss() - before;
      expect(r.ok && r.value).toBe('written');
      expect(r.stdout.length).toBeGreaterThan(MiB - 1); // the first MiB is kept
      expect(r.stdout.length).toBeLessThan(MiB + 200);
      expect(grown).toBeLessThan(64 * MiB); // was 1.6 GiB (and none of it reached stdout)
    } finally {
      await box.close();
    }
  });

  it('holds at most the quota when Python writes 1 GiB of files', async () => {
    const box = await PyBox.create({ inThread, limits: { timeoutMs: 60_000, fsBytes: 32 * MiB } });
    try {
      const ctx = await box.createContext();
      await ctx.exec('import errno, os\nchunk = b"x" * (1 << 20)');
      const before = rss();
      const r = await ctx.exec(`n = 0
try:
    for i in range(1024):
        with open(f"/tmp/f{i}", "wb") as f:
            f.write(chunk)
        n += 1
except OSError as e:
    code = errno.errorcode[e.errno]
[code, n]`);
      const grown = rss() - before;
      expect(r.ok && r.value).toEqual(['ENOSPC', 31]); // 31 files of 1 MiB and their names fit in 32 MiB
      expect(grown).toBeLessThan(96 * MiB);
      expect((await box.fs.readdir('/tmp')).length).toBe(32); // the last one exists, empty
      expect(await box.fs.stat('/tmp/f31')).toEqual({ type: 'file', size: 0 });
    } finally {
      await box.close();
    }
  });
});
