/**
 * The filesystem and fd output, attacked the way agent code might (issues 7
 * and 8): huge listings and deep paths, huge seeks and truncates, the quota
 * (`limits.fsBytes`), `/lib` read-only in every way, and fd 1/2 output that
 * must stay in its own exec and under its cap. Each group runs on a fresh
 * box, against every engine (in-thread, worker_threads, Chromium Web Worker).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Context, ExecResult, PyBoxBase, PyBoxOptions } from '@pybox/core';
import { ok, type BoxFactory } from './suite.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/** Python helper: runs each attempt, recording its result or the exception type and errno name it raised. */
const ATTEMPT = `
import errno, os
def attempt(fn):
    try:
        result = fn()
        return ["ok", result if isinstance(result, (str, int, list, type(None))) else repr(result)]
    except OSError as e:
        return [type(e).__name__, errno.errorcode.get(e.errno, e.errno)]
`;

/** The trailing value of a successful exec. */
const value = (r: ExecResult) => ok(r).value;

/** A fresh box for one group, closed after it. */
function freshBox(createBox: BoxFactory, options: PyBoxOptions = {}): { box: () => PyBoxBase; ctx: () => Context } {
  let box: PyBoxBase;
  let ctx: Context;
  beforeAll(async () => {
    box = await createBox({ limits: { timeoutMs: 20_000 }, ...options });
    ctx = await box.createContext();
  });
  afterAll(async () => {
    await box?.close();
  });
  return { box: () => box, ctx: () => ctx };
}

/** Registers the filesystem suite for one engine. */
export function defineFilesystem(engine: string, createBox: BoxFactory): void {
  describe(`filesystem: ${engine}`, () => {
    describe('large folders and deep paths', () => {
      const { box, ctx } = freshBox(createBox);

      it('lists 20,000 entries, and deletes them while scanning without skipping any', async () => {
        // Quadratic before (23 s for 20k): the exec's CPU limit (20 s) is the bound here.
        const listed = value(
          await ctx().exec(`import os
os.mkdir("/tmp/many")
for i in range(20_000):
    open(f"/tmp/many/f{i:05}", "w").close()
names = os.listdir("/tmp/many")
[len(names), len(set(names)), sorted(names)[:2], sorted(names)[-1]]`),
        );
        expect(listed).toEqual([20_000, 20_000, ['f00000', 'f00001'], 'f19999']);
        expect((await box().fs.readdir('/tmp/many')).length).toBe(20_000);
        const removed = value(
          await ctx().exec(`n = 0
with os.scandir("/tmp/many") as it:
    for entry in it:
        os.remove(entry.path)
        n += 1
[n, os.listdir("/tmp/many")]`),
        );
        expect(removed).toEqual([20_000, []]);
        expect(await box().fs.readdir('/tmp/many')).toEqual([]);
      });

      it('creates, walks and removes a tree 400 folders deep', async () => {
        const walked = value(
          await ctx().exec(`import os, shutil
deep = "/tmp/deep" + "/d" * 400
os.makedirs(deep)
with open(deep + "/leaf.txt", "w") as f:
    f.write("bottom")
depth = sum(1 for _ in os.walk("/tmp/deep"))
text = open(deep + "/leaf.txt").read()
shutil.rmtree("/tmp/deep")
[depth, text, os.path.exists("/tmp/deep")]`),
        );
        expect(walked).toEqual([401, 'bottom', false]);
      });
    });

    describe('ordinary file work on the in-memory tree', () => {
      const { ctx } = freshBox(createBox);

      it('runs the stdlib file operations agents use', async () => {
        const r = value(
          await ctx().exec(`import os, shutil, tempfile, zipfile, tarfile, pathlib, glob, json, time
out = {}
with tempfile.TemporaryDirectory() as d:
    p = pathlib.Path(d)
    (p / "a").mkdir()
    (p / "a" / "x.txt").write_text("hello")
    (p / "a" / "y.json").write_text(json.dumps([1, 2]))
    shutil.copytree(p / "a", p / "b")
    shutil.copy2(p / "a" / "x.txt", p / "c.txt")
    shutil.move(str(p / "b"), "/data/moved")
    out["glob"] = sorted(os.path.basename(g) for g in glob.glob("/data/moved/*"))
    with zipfile.ZipFile(p / "z.zip", "w", zipfile.ZIP_DEFLATED) as z:
        z.write(p / "a" / "x.txt", "x.txt")   # needs a real mtime (zip refuses 1970)
        z.writestr("big.txt", "abc" * 10000)
    with zipfile.ZipFile(p / "z.zip") as z:
        out["zip"] = [z.read("x.txt").decode(), len(z.read("big.txt"))]
    with tarfile.open(p / "t.tgz", "w:gz") as t:
        t.add(p / "a", arcname="a")
    with tarfile.open(p / "t.tgz") as t:
        out["tar"] = sorted(t.getnames())
    with open(p / "log.txt", "a+", encoding="utf-8") as f:
        f.write("one\\n"); f.seek(0); first = f.read(); f.write("two\\n")
    out["a+"] = [first, open(p / "log.txt").read()]
    with open(p / "s.bin", "wb+") as f:
        f.write(b"0123456789"); f.truncate(4); f.seek(0, 2)
        out["shrink"] = [f.tell(), open(p / "s.bin", "rb").read().decode()]
    out["walk"] = sorted(len(files) for _, _, files in os.walk(d))
    out["scandir"] = sorted([e.name, e.is_dir()] for e in os.scandir(d))[:2]
    os.utime(p / "c.txt", (1_700_000_000, 1_700_000_000))
    out["times"] = [os.stat(p / "c.txt").st_mtime, os.stat(p / "a" / "x.txt").st_mtime > time.time() - 3600]
    os.replace(p / "c.txt", p / "a" / "x.txt")
    fd = os.open(p / "raw", os.O_RDWR | os.O_CREAT | os.O_EXCL)
    os.write(fd, b"abc"); os.lseek(fd, 0, 0); out["raw"] = os.read(fd, 10).decode(); os.close(fd)
    for name, fn in [("excl", lambda: os.open(p / "raw", os.O_RDWR | os.O_CREAT | os.O_EXCL)),
                     ("rmdir non-empty", lambda: os.rmdir(p / "a")),
                     ("into itself", lambda: os.rename(p / "a", p / "a" / "inner"))]:
        try:
            fn()
        except OSError as e:
            out[name] = errno_name = __import__("errno").errorcode[e.errno]
out["left in /tmp"] = os.listdir("/tmp")
out`),
        );
        expect(r).toEqual({
          glob: ['x.txt', 'y.json'],
          zip: ['hello', 30000],
          tar: ['a', 'a/x.txt', 'a/y.json'],
          'a+': ['one\n', 'one\ntwo\n'],
          shrink: [4, '0123'],
          walk: [2, 5],
          scandir: [['a', true], ['c.txt', false]],
          times: [1_700_000_000, true],
          raw: 'abc',
          excl: 'EEXIST',
          'rmdir non-empty': 'ENOTEMPTY',
          'into itself': 'EINVAL',
          'left in /tmp': [],
        });
      });
    });

    describe('huge seeks and truncates', () => {
      const { box, ctx } = freshBox(createBox);

      it('end as OSError (EFBIG) in Python, and the context keeps its state', async () => {
        ok(await ctx().exec('marker = "still here"'));
        const outcomes = value(
          await ctx().exec(`${ATTEMPT}
def seek_write():
    with open("/tmp/a.bin", "wb") as f:
        f.seek(2**40)
        f.write(b"x")
def fd_truncate():
    fd = os.open("/tmp/b.bin", os.O_CREAT | os.O_WRONLY)
    try:
        os.truncate(fd, 2**40)
    finally:
        os.close(fd)
def fd_ftruncate():
    fd = os.open("/tmp/c.bin", os.O_CREAT | os.O_WRONLY)
    try:
        os.ftruncate(fd, 2**40)
    finally:
        os.close(fd)
def file_truncate():
    with open("/tmp/d.bin", "wb") as f:
        f.truncate(2**40)
def pwrite():
    fd = os.open("/tmp/e.bin", os.O_CREAT | os.O_WRONLY)
    try:
        os.pwrite(fd, b"x", 2**40)
    finally:
        os.close(fd)
def read_far():
    with open("/tmp/a.bin", "rb") as f:
        f.seek(2**62)
        return [f.tell() == 2**62, len(f.read(10))]
{
    "seek then write": attempt(seek_write),
    "os.truncate(fd)": attempt(fd_truncate),
    "os.ftruncate": attempt(fd_ftruncate),
    "file.truncate": attempt(file_truncate),
    "os.truncate(path)": attempt(lambda: os.truncate("/tmp/d.bin", 2**40)),
    "os.pwrite": attempt(pwrite),
    "seek and read far": attempt(read_far),
    "sizes": [os.path.getsize(f"/tmp/{n}.bin") for n in "abcde"],
}`),
        );
        const tooBig = ['OSError', 'EFBIG'];
        expect(outcomes).toEqual({
          'seek then write': tooBig,
          'os.truncate(fd)': tooBig,
          'os.ftruncate': tooBig,
          'file.truncate': tooBig,
          'os.truncate(path)': tooBig,
          'os.pwrite': tooBig,
          'seek and read far': ['ok', [true, 0]],
          sizes: [0, 0, 0, 0, 0],
        });
        // No trap, no restore: the context and its state survive.
        expect(value(await ctx().exec('marker'))).toBe('still here');
        expect(await box().fs.stat('/tmp/a.bin')).toEqual({ type: 'file', size: 0 });
      });
    });

    describe('the quota (limits.fsBytes: 1 MiB)', () => {
      const { box, ctx } = freshBox(createBox, { limits: { timeoutMs: 20_000, fsBytes: MiB } });

      it('reports the limit, and refuses a write past it with OSError(ENOSPC)', async () => {
        expect(box().limits.fsBytes).toBe(MiB);
        const r = value(
          await ctx().exec(`${ATTEMPT}
def big():
    with open("/tmp/big.bin", "wb") as f:
        f.write(b"x" * (2 << 20))
[attempt(big), os.path.getsize("/tmp/big.bin")]`),
        );
        expect(r).toEqual([['OSError', 'ENOSPC'], 0]);
        expect(await box().fs.stat('/tmp/big.bin')).toEqual({ type: 'file', size: 0 });
      });

      it('counts a sparse file by its size, and frees it on delete', async () => {
        const r = value(
          await ctx().exec(`${ATTEMPT}
def sparse(size):
    with open("/tmp/sparse.bin", "wb") as f:
        f.truncate(size)
    return os.path.getsize("/tmp/sparse.bin")
def more():
    with open("/tmp/more.bin", "wb") as f:
        f.write(b"y" * (600 << 10))
first = [attempt(lambda: sparse(2 << 20)), attempt(lambda: sparse(600 << 10)), attempt(more)]
os.remove("/tmp/sparse.bin")
first + [attempt(more), os.path.getsize("/tmp/more.bin")]`),
        );
        expect(r).toEqual([
          ['OSError', 'ENOSPC'],
          ['ok', 600 * KiB],
          ['OSError', 'ENOSPC'],
          ['ok', null],
          600 * KiB,
        ]);
        ok(await ctx().exec('os.remove("/tmp/more.bin")'));
      });

      it('keeps counting a deleted file while it is open', async () => {
        const r = value(
          await ctx().exec(`${ATTEMPT}
def fill(path):
    with open(path, "wb") as f:
        f.write(b"z" * (600 << 10))
held = open("/tmp/held.bin", "wb")
held.write(b"h" * (600 << 10))
held.flush()
os.remove("/tmp/held.bin")
while_open = attempt(lambda: fill("/tmp/other.bin"))
held.close()
[while_open, attempt(lambda: fill("/tmp/other.bin"))]`),
        );
        expect(r).toEqual([
          ['OSError', 'ENOSPC'],
          ['ok', null],
        ]);
        ok(await ctx().exec('os.remove("/tmp/other.bin")'));
      });

      it('never counts the stdlib bundle, even while Python has it open', async () => {
        const r = value(
          await ctx().exec(`${ATTEMPT}
def fill():
    with open("/tmp/most.bin", "wb") as f:
        f.write(b"m" * (900 << 10))
bundle = open("/lib/python313.zip", "rb")
outcome = attempt(fill)
bundle.close()
os.remove("/tmp/most.bin")
outcome`),
        );
        expect(r).toEqual(['ok', null]);
      });

      it('counts renames and hard links once', async () => {
        const r = value(
          await ctx().exec(`${ATTEMPT}
with open("/tmp/r.bin", "wb") as f:
    f.write(b"r" * (400 << 10))
os.rename("/tmp/r.bin", "/data/r.bin")
linked = attempt(lambda: os.link("/data/r.bin", "/out/r.bin"))
def fill():
    with open("/tmp/s.bin", "wb") as f:
        f.write(b"s" * (400 << 10))
after = attempt(fill)
os.remove("/tmp/s.bin")
[linked, after]`),
        );
        expect(r).toEqual([
          ['ok', null],
          ['ok', null],
        ]);
        await box().fs.rm('/data/r.bin');
        await box().fs.rm('/out/r.bin');
      });

      it('charges names, so endless empty files end with ENOSPC', async () => {
        const r = value(
          await ctx().exec(`import errno, os
os.mkdir("/tmp/empty")
n = 0
try:
    while True:
        open(f"/tmp/empty/{n}", "w").close()
        n += 1
except OSError as e:
    code = errno.errorcode[e.errno]
[code, 1000 < n < (1 << 20) // 128]`),
        );
        expect(r).toEqual(['ENOSPC', true]);
        await box().fs.rm('/tmp/empty', { recursive: true });
        ok(await ctx().exec('open("/tmp/after-cleanup.txt", "w").write("fits again")'));
      });

      it('refuses box.fs.writeFile past it with QuotaExceededError, and box.fs.rm frees it', async () => {
        const error = await box()
          .fs.writeFile('/data/host.bin', new Uint8Array(2 * MiB))
          .then(() => null, (e: unknown) => e);
        expect(error).toMatchObject({ name: 'QuotaExceededError' });
        expect((error as Error).message).toMatch(/limits\.fsBytes/);
        expect(await box().fs.stat('/data/host.bin')).toBeNull();
        await box().fs.writeFile('/data/sub/host.bin', new Uint8Array(700 * KiB));
        const inPython = value(
          await ctx().exec(`${ATTEMPT}
def fill():
    with open("/tmp/py.bin", "wb") as f:
        f.write(b"p" * (400 << 10))
attempt(fill)`),
        );
        expect(inPython).toEqual(['OSError', 'ENOSPC']);
        await box().fs.rm('/data/sub', { recursive: true });
        expect(value(await ctx().exec('attempt(fill)'))).toEqual(['ok', null]);
        expect(await box().fs.stat('/tmp/py.bin')).toEqual({ type: 'file', size: 400 * KiB });
      });

      it('makes box.fs.readFile return the bytes and nothing more', async () => {
        ok(await ctx().exec('open("/tmp/tail.bin", "wb").write(bytes(range(256)) * 4)'));
        const bytes = await box().fs.readFile('/tmp/tail.bin');
        expect(bytes.length).toBe(1024);
        expect(bytes[255]).toBe(255);
        expect(bytes.buffer.byteLength).toBe(1024); // its own buffer, not a view of a bigger one
      });
    });

    describe('quota limits at creation', () => {
      it('rejects initial files past limits.fsBytes with QuotaExceededError', async () => {
        const created = createBox({ files: { '/data/a.bin': new Uint8Array(64 * KiB) }, limits: { fsBytes: 32 * KiB } });
        await expect(created).rejects.toMatchObject({ name: 'QuotaExceededError' });
      });

      it.each([
        ['negative', -1],
        ['fractional', 1.5],
        ['string', '1024'],
        ['NaN', Number.NaN],
        ['Infinity', Number.POSITIVE_INFINITY],
      ])('rejects a %s fsBytes with InvalidArgumentError', async (_name, fsBytes) => {
        const created = createBox({ limits: { fsBytes: fsBytes as number } });
        await expect(created).rejects.toMatchObject({ name: 'InvalidArgumentError', message: expect.stringMatching(/fsBytes/) });
      });

      it('with fsBytes 0 allows no files at all, and still runs code', async () => {
        const box = await createBox({ limits: { fsBytes: 0 } });
        try {
          const ctx = await box.createContext();
          expect(value(await ctx.exec(`${ATTEMPT}\n[attempt(lambda: open("/tmp/x", "w")), 6 * 7]`))).toEqual([['OSError', 'ENOSPC'], 42]);
          await expect(box.fs.mkdir('/data/d')).rejects.toMatchObject({ name: 'QuotaExceededError' });
        } finally {
          await box.close();
        }
      });

      it('defaults to 256 MiB', async () => {
        const box = await createBox();
        try {
          expect(box.limits.fsBytes).toBe(256 * MiB);
        } finally {
          await box.close();
        }
      });
    });

    describe('/lib is read-only in every way', () => {
      const { box, ctx } = freshBox(createBox);

      it('refuses every change from Python with EROFS, and imports keep working', async () => {
        const before = await box().fs.stat('/lib/python313.zip');
        ok(await ctx().exec('import os\nos.mkdir("/tmp/dir")\nopen("/tmp/file", "w").close()'));
        const outcomes = value(
          await ctx().exec(`${ATTEMPT}
{
    "write the bundle": attempt(lambda: open("/lib/python313.zip", "r+b").write(b"x")),
    "truncate the bundle": attempt(lambda: os.truncate("/lib/python313.zip", 0)),
    "open the bundle with O_TRUNC": attempt(lambda: open("/lib/python313.zip", "wb")),
    "create in /lib": attempt(lambda: open("/lib/new.py", "w")),
    "mkdir in /lib": attempt(lambda: os.mkdir("/lib/d")),
    "delete the bundle": attempt(lambda: os.remove("/lib/python313.zip")),
    "rmdir /lib": attempt(lambda: os.rmdir("/lib")),
    "rename /lib": attempt(lambda: os.rename("/lib", "/tmp/lib")),
    "rename the bundle out": attempt(lambda: os.rename("/lib/python313.zip", "/tmp/z.zip")),
    "rename the bundle within": attempt(lambda: os.rename("/lib/python313.zip", "/lib/z.zip")),
    "rename a file into /lib": attempt(lambda: os.rename("/tmp/file", "/lib/file")),
    "replace the bundle": attempt(lambda: os.replace("/tmp/file", "/lib/python313.zip")),
    "replace /lib by a folder": attempt(lambda: os.replace("/tmp/dir", "/lib")),
    "symlink in /lib": attempt(lambda: os.symlink("/tmp/file", "/lib/link")),
    "hard link the bundle": attempt(lambda: os.link("/lib/python313.zip", "/tmp/hard.zip")),
    "hard link into /lib": attempt(lambda: os.link("/tmp/file", "/lib/hard")),
    "utime the bundle": attempt(lambda: os.utime("/lib/python313.zip")),
    "utime /lib": attempt(lambda: os.utime("/lib")),
}`),
        );
        const readOnly = ['OSError', 'EROFS'];
        for (const [name, outcome] of Object.entries(outcomes as Record<string, unknown>)) expect([name, outcome]).toEqual([name, readOnly]);
        expect(Object.keys(outcomes as object)).toHaveLength(18);
        expect(await box().fs.stat('/lib/python313.zip')).toEqual(before);
        expect(await box().fs.readdir('/lib')).toEqual(['python313.zip']);
        expect(await box().fs.readText('/tmp/file')).toBe(''); // the source of each refused move is still there
        // Imports work in every context afterwards, a fresh one too.
        const fresh = await box().createContext();
        expect(value(await fresh.exec('import json, decimal\njson.dumps(str(decimal.Decimal(1) / 4))'))).toBe('"0.25"');
        expect(value(await ctx().exec('import csv, statistics\nstatistics.mean([1, 2])'))).toBe(1.5);
      });

      it('refuses every change through box.fs with InvalidArgumentError', async () => {
        const attempts: [string, () => Promise<unknown>][] = [
          ['writeFile over the bundle', () => box().fs.writeFile('/lib/python313.zip', 'x')],
          ['writeFile in /lib', () => box().fs.writeFile('/lib/new.py', 'x')],
          ['mkdir in /lib', () => box().fs.mkdir('/lib/d')],
          ['rm the bundle', () => box().fs.rm('/lib/python313.zip')],
          ['rm /lib', () => box().fs.rm('/lib', { recursive: true, force: true })],
        ];
        for (const [name, act] of attempts) {
          const error = await act().then(() => null, (e: unknown) => e);
          expect([name, error]).toEqual([name, expect.objectContaining({ name: 'InvalidArgumentError', message: expect.stringMatching(/read-only/) })]);
        }
        expect(await box().fs.readdir('/lib')).toEqual(['python313.zip']);
        const fresh = await box().createContext();
        expect(value(await fresh.exec('import json, decimal\njson.dumps([1])'))).toBe('[1]');
      });
    });

    describe('fd 1 and 2 output', () => {
      const { box } = freshBox(createBox, { limits: { timeoutMs: 20_000, outputChars: 64 * KiB } });

      it('lands in the exec that wrote it, newline or not, never in a later one', async () => {
        const a = await box().createContext();
        const b = await box().createContext();
        const first = ok(await a.exec('import os\nos.write(1, b"no newline")\nos.write(2, b"err, no newline")'));
        expect([first.stdout, first.stderr]).toEqual(['no newline', 'err, no newline']);
        const other = ok(await b.exec('print("b")'));
        expect([other.stdout, other.stderr]).toEqual(['b\n', '']);
        const again = ok(await a.exec('print("a")'));
        expect([again.stdout, again.stderr]).toEqual(['a\n', '']);
        // There is no /dev: fd 1 and 2 are reached only as fds.
        expect(value(await a.exec(`${ATTEMPT}\nattempt(lambda: open("/dev/stdout", "w"))`))).toEqual(['FileNotFoundError', 'ENOENT']);
      });

      it('keeps the order of print() and os.write(), streamed as written', async () => {
        const ctx = await box().createContext();
        const chunks: string[] = [];
        const r = ok(
          await ctx.exec('import os, sys\nprint("one")\nos.write(1, b"two ")\nsys.stdout.write("three ")\nos.write(1, b"four\\n")', {
            onStdout: (t) => chunks.push(t),
          }),
        );
        expect(r.stdout).toBe('one\ntwo three four\n');
        expect(chunks.join('')).toBe(r.stdout);
      });

      it('decodes UTF-8 split across writes; a sequence cut at the end of an exec stays in it', async () => {
        const ctx = await box().createContext();
        const joined = ok(await ctx.exec('import os\nb = "é✓".encode()\nfor i in range(len(b)): os.write(1, b[i:i+1])'));
        expect(joined.stdout).toBe('é✓');
        const cut = ok(await ctx.exec('os.write(1, "✓".encode()[:2])'));
        expect(cut.stdout).toBe('\ufffd');
        expect(ok(await ctx.exec('os.write(1, b"clean")')).stdout).toBe('clean');
      });

      it('caps fd output at the exec output limit as it is produced', async () => {
        const ctx = await box().createContext();
        const r = ok(await ctx.exec('import os\nchunk = b"x" * (1 << 20)\nfor _ in range(64): os.write(1, chunk)\nos.write(2, b"late")\n"done"'));
        expect(r.value).toBe('done');
        expect(r.stdout.length).toBeLessThanOrEqual(64 * KiB + 200);
        expect(r.stdout).toContain('output truncated');
        expect(r.stderr).toBe('');
        expect(ok(await ctx.exec('os.write(1, b"next exec")')).stdout).toBe('next exec');
      });
    });
  });
}
