// Host folders mounted into the guest (`mounts` of @pybox/node), on both Node engines,
// against real files in a temporary folder.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, PyBox, type MountSpec } from '@pybox/node';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pybox-mounts-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** 3 MiB of position-dependent bytes, to check reads at offsets. */
const big = Buffer.alloc(3 * 1024 * 1024);
for (let i = 0; i < big.length; i++) big[i] = (i * 31 + (i >> 8)) & 0xff;

let cases = 0;
/**
 * A fresh host folder, next to a secret file it must not leak, with symlinks
 * that try to leave it (and one that stays inside).
 */
function hostFolder(): { base: string; dir: string } {
  const base = path.join(root, `case-${cases++}`);
  const dir = path.join(base, 'host');
  fs.mkdirSync(path.join(dir, 'sub'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'hello.txt'), 'hello from the host');
  fs.writeFileSync(path.join(dir, 'sub', 'inner.txt'), 'inner');
  fs.writeFileSync(path.join(dir, 'big.bin'), big);
  fs.writeFileSync(path.join(base, 'outside.txt'), 'SECRET-OUTSIDE');
  fs.symlinkSync('/etc/passwd', path.join(dir, 'link_passwd'));
  fs.symlinkSync('../outside.txt', path.join(dir, 'link_outside'));
  fs.symlinkSync('..', path.join(dir, 'link_up'));
  fs.symlinkSync('../created-outside.txt', path.join(dir, 'dangling'));
  fs.symlinkSync('hello.txt', path.join(dir, 'link_inside'));
  return { base, dir };
}

/** Everything under a folder (symlinks not followed), to compare before and after. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const name of fs.readdirSync(path.join(dir, rel)).sort()) {
      const p = path.join(rel, name);
      const st = fs.lstatSync(path.join(dir, p));
      if (st.isSymbolicLink()) out[p] = `link -> ${fs.readlinkSync(path.join(dir, p))}`;
      else if (st.isDirectory()) {
        out[p] = 'dir';
        walk(p);
      } else out[p] = fs.readFileSync(path.join(dir, p)).toString('base64');
    }
  };
  walk('');
  return out;
}

async function open(inThread: boolean, mounts: MountSpec[]): Promise<PyBox> {
  return PyBox.create({ inThread, mounts, limits: { timeoutMs: 10_000 } });
}

/** Runs code in a fresh context; returns the trailing expression's value, or throws with the Python error. */
async function run(box: PyBox, code: string): Promise<unknown> {
  const r = await (await box.createContext()).exec(code);
  if (!r.ok) throw new Error(`${r.error.type}: ${r.error.message}\n${r.error.traceback}`);
  return r.value;
}

/** Python helper: runs each attempt, recording its result or the OSError subclass it raised. */
const ATTEMPT = `
import errno, os
def attempt(fn):
    try:
        result = fn()
        return ["ok", result if isinstance(result, (str, int, list)) else repr(result)]
    except OSError as e:
        return [type(e).__name__, errno.errorcode.get(e.errno, e.errno)]
`;

describe.each([
  ['in-thread', true],
  ['worker_threads', false],
])('mounts (%s)', (_name, inThread) => {
  it('lets Python read host files and list host folders', async () => {
    const { dir } = hostFolder();
    const box = await open(inThread, [{ hostPath: dir, guestPath: '/mnt/data', mode: 'ro' }]);
    try {
      const value = await run(
        box,
        `import os
[open("/mnt/data/hello.txt").read(), sorted(os.listdir("/mnt/data")), os.listdir("/mnt/data/sub"),
 os.listdir("/mnt"), open("/mnt/data/link_inside").read(), os.path.isdir("/mnt/data/sub")]`,
      );
      expect(value).toEqual([
        'hello from the host',
        // the escaping symlinks (link_passwd, link_outside, link_up, dangling) are not listed
        ['big.bin', 'hello.txt', 'link_inside', 'sub'],
        ['inner.txt'],
        ['data'],
        'hello from the host',
        true,
      ]);
      // the host API sees the mount too
      expect(await box.fs.readText('/mnt/data/sub/inner.txt')).toBe('inner');
      expect(await box.fs.readdir('/mnt/data/sub')).toEqual(['inner.txt']);
      expect(await box.fs.stat('/mnt/data/big.bin')).toEqual({ type: 'file', size: big.length });
      expect(await box.fs.stat('/mnt/data/link_passwd')).toBeNull();
    } finally {
      await box.close();
    }
  });

  it('reads a large file at offsets', async () => {
    const { dir } = hostFolder();
    const box = await open(inThread, [{ hostPath: dir, guestPath: '/data/in', mode: 'ro' }]);
    try {
      const value = await run(
        box,
        `import os
f = open("/data/in/big.bin", "rb")
f.seek(2_500_001)
a = f.read(16).hex()
f.seek(-5, 2)
b = f.read().hex()
f.seek(0)
n = sum(len(chunk) for chunk in iter(lambda: f.read(65536), b""))
f.close()
[a, b, n, os.path.getsize("/data/in/big.bin")]`,
      );
      expect(value).toEqual([
        big.subarray(2_500_001, 2_500_017).toString('hex'),
        big.subarray(big.length - 5).toString('hex'),
        big.length,
        big.length,
      ]);
    } finally {
      await box.close();
    }
  });

  it("'ro' refuses every change with EROFS and leaves the host folder as it was", async () => {
    const { dir } = hostFolder();
    const before = tree(dir);
    const box = await open(inThread, [{ hostPath: dir, guestPath: '/mnt/data', mode: 'ro' }]);
    try {
      const value = (await run(
        box,
        `${ATTEMPT}
{
    "truncate": attempt(lambda: open("/mnt/data/hello.txt", "w")),
    "append": attempt(lambda: open("/mnt/data/hello.txt", "a")),
    "read-write": attempt(lambda: open("/mnt/data/hello.txt", "r+")),
    "create": attempt(lambda: open("/mnt/data/new.txt", "x")),
    "remove": attempt(lambda: os.remove("/mnt/data/sub/inner.txt")),
    "mkdir": attempt(lambda: os.mkdir("/mnt/data/newdir")),
    "rename": attempt(lambda: os.rename("/mnt/data/hello.txt", "/mnt/data/moved.txt")),
    "move out": attempt(lambda: os.rename("/mnt/data/hello.txt", "/tmp/moved.txt")),
}`,
      )) as Record<string, unknown>;
      for (const [name, outcome] of Object.entries(value)) expect([name, outcome]).toEqual([name, ['OSError', 'EROFS']]);
      expect(Object.keys(value)).toHaveLength(8);
      // still readable, and the host API is refused too
      expect(await run(box, 'open("/mnt/data/hello.txt").read()')).toBe('hello from the host');
      await expect(box.fs.writeFile('/mnt/data/x.txt', 'x')).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(box.fs.rm('/mnt/data/hello.txt')).rejects.toBeInstanceOf(InvalidArgumentError);
    } finally {
      await box.close();
    }
    expect(tree(dir)).toEqual(before);
  });

  it("'rw' writes reach the host folder", async () => {
    const { dir } = hostFolder();
    const box = await open(inThread, [{ hostPath: dir, guestPath: '/mnt/data', mode: 'rw' }]);
    try {
      await run(
        box,
        `import os
with open("/mnt/data/new.txt", "w") as f: f.write("created by Python")
with open("/mnt/data/hello.txt", "a") as f: f.write(", and more")
os.mkdir("/mnt/data/made")
with open("/mnt/data/made/x.txt", "w") as f: f.write("x")
os.rename("/mnt/data/made/x.txt", "/mnt/data/made/renamed.txt")
os.remove("/mnt/data/sub/inner.txt")
os.rmdir("/mnt/data/sub")
with open("/tmp/scratch.txt", "w") as f: f.write("moved in from /tmp")
os.replace("/tmp/scratch.txt", "/mnt/data/from-tmp.txt")
with open("/mnt/data/big.bin", "r+b") as f:
    f.seek(1_000_000)
    f.write(b"PATCH")`,
      );
      expect(fs.readFileSync(path.join(dir, 'new.txt'), 'utf8')).toBe('created by Python');
      expect(fs.readFileSync(path.join(dir, 'hello.txt'), 'utf8')).toBe('hello from the host, and more');
      expect(fs.readdirSync(path.join(dir, 'made'))).toEqual(['renamed.txt']);
      expect(fs.readFileSync(path.join(dir, 'made', 'renamed.txt'), 'utf8')).toBe('x');
      expect(fs.existsSync(path.join(dir, 'sub'))).toBe(false);
      expect(fs.readFileSync(path.join(dir, 'from-tmp.txt'), 'utf8')).toBe('moved in from /tmp');
      const patched = fs.readFileSync(path.join(dir, 'big.bin'));
      expect(patched.length).toBe(big.length);
      expect(patched.subarray(1_000_000, 1_000_005).toString()).toBe('PATCH');
      expect(patched.subarray(1_000_005).equals(big.subarray(1_000_005))).toBe(true);
      // the host API writes through as well
      await box.fs.writeFile('/mnt/data/deep/via-box-fs.txt', 'from box.fs');
      expect(fs.readFileSync(path.join(dir, 'deep', 'via-box-fs.txt'), 'utf8')).toBe('from box.fs');
      expect(await box.fs.readText('/mnt/data/new.txt')).toBe('created by Python');
    } finally {
      await box.close();
    }
  });

  it("'overlay' shows Python its writes and never modifies the host folder", async () => {
    const { base, dir } = hostFolder();
    const before = tree(dir);
    const box = await open(inThread, [{ hostPath: dir, guestPath: '/mnt/data', mode: 'overlay' }]);
    try {
      const value = await run(
        box,
        `import os, shutil
with open("/mnt/data/new.txt", "w") as f: f.write("only in memory")
with open("/mnt/data/hello.txt", "a") as f: f.write(", changed")
os.remove("/mnt/data/big.bin")
os.mkdir("/mnt/data/made")
os.rename("/mnt/data/new.txt", "/mnt/data/made/new.txt")
shutil.rmtree("/mnt/data/sub")
os.mkdir("/mnt/data/sub")
[sorted(os.listdir("/mnt/data")), open("/mnt/data/hello.txt").read(), open("/mnt/data/made/new.txt").read(),
 os.listdir("/mnt/data/sub"), os.path.exists("/mnt/data/big.bin")]`,
      );
      expect(value).toEqual([
        ['hello.txt', 'link_inside', 'made', 'sub'],
        'hello from the host, changed',
        'only in memory',
        [],
        false,
      ]);
      // the changes persist across execs, and the host API sees them
      expect(await run(box, 'open("/mnt/data/hello.txt").read()')).toBe('hello from the host, changed');
      expect(await box.fs.readText('/mnt/data/made/new.txt')).toBe('only in memory');
      await box.fs.writeFile('/mnt/data/host-api.txt', 'also in memory');
      expect(await run(box, 'open("/mnt/data/host-api.txt").read()')).toBe('also in memory');
    } finally {
      await box.close();
    }
    expect(tree(dir)).toEqual(before);
    expect(fs.readdirSync(base).sort()).toEqual(['host', 'outside.txt']);
  });

  it.each(['ro', 'rw', 'overlay'] as const)("refuses every way out of the mount ('%s')", async (mode) => {
    const { base, dir } = hostFolder();
    const before = tree(dir);
    const box = await open(inThread, [{ hostPath: dir, guestPath: '/mnt/data', mode }]);
    try {
      const value = (await run(
        box,
        `${ATTEMPT}
fd = os.open("/mnt/data", os.O_RDONLY)
{
    "dotdot to /etc/passwd": attempt(lambda: open("/mnt/data/../../etc/passwd").read()),
    "dotdot to the host parent": attempt(lambda: open("/mnt/data/../outside.txt").read()),
    "absolute symlink": attempt(lambda: open("/mnt/data/link_passwd").read()),
    "relative symlink": attempt(lambda: open("/mnt/data/link_outside").read()),
    "stat through a symlink": attempt(lambda: os.stat("/mnt/data/link_passwd").st_size),
    "folder symlink": attempt(lambda: os.listdir("/mnt/data/link_up")),
    "through a folder symlink": attempt(lambda: open("/mnt/data/link_up/outside.txt").read()),
    "listdir of the parent": attempt(lambda: sorted(os.listdir("/mnt/data/.."))),
    "dotdot from a folder fd": attempt(lambda: os.open("../outside.txt", os.O_RDONLY, dir_fd=fd)),
    "write through a symlink": attempt(lambda: open("/mnt/data/link_outside", "w").write("pwned")),
    "create through a dangling symlink": attempt(lambda: open("/mnt/data/dangling", "w").write("pwned")),
}`,
      )) as Record<string, [string, ...unknown[]]>;
      const missing = ['FileNotFoundError', 'ENOENT'];
      expect(value['dotdot to /etc/passwd']).toEqual(missing);
      expect(value['dotdot to the host parent']).toEqual(missing);
      expect(value['absolute symlink']).toEqual(missing);
      expect(value['relative symlink']).toEqual(missing);
      expect(value['stat through a symlink']).toEqual(missing);
      expect(value['folder symlink']).toEqual(missing);
      expect(value['through a folder symlink']).toEqual(missing);
      expect(value['listdir of the parent']).toEqual(['ok', ['data']]);
      expect(value['dotdot from a folder fd']).toEqual(['PermissionError', 'ENOTCAPABLE']);
      // A name held by a symlink that leads out is refused; an overlay creates the file in memory instead.
      const refused = { ro: ['OSError', 'EROFS'], rw: ['PermissionError', 'EACCES'], overlay: ['ok', 5] }[mode];
      expect(value['write through a symlink']).toEqual(refused);
      expect(value['create through a dangling symlink']).toEqual(refused);
      expect(JSON.stringify(value)).not.toMatch(/SECRET|root:/);
      // the host API is contained the same way
      await expect(box.fs.readFile('/mnt/data/link_passwd')).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(box.fs.readFile('/mnt/data/../outside.txt')).rejects.toBeInstanceOf(InvalidArgumentError);
    } finally {
      await box.close();
    }
    expect(tree(dir)).toEqual(before);
    expect(fs.readFileSync(path.join(base, 'outside.txt'), 'utf8')).toBe('SECRET-OUTSIDE');
    expect(fs.existsSync(path.join(base, 'created-outside.txt'))).toBe(false);
  });

  it("'overlay' copy-ups and new files count against limits.fsBytes", async () => {
    const { dir } = hostFolder();
    const before = tree(dir);
    const tight = await PyBox.create({ inThread, mounts: [{ hostPath: dir, guestPath: '/mnt/data', mode: 'overlay' }], limits: { fsBytes: 2 * 1024 * 1024 } });
    try {
      // big.bin (3 MiB) cannot be copied into memory under a 2 MiB quota: refused before it is read.
      const append = `${ATTEMPT}
def append(path, data):
    with open(path, "ab") as f:
        return f.write(data)
attempt(lambda: append("/mnt/data/big.bin", b"x"))`;
      expect(await run(tight, append)).toEqual(['OSError', 'ENOSPC']);
      expect(await run(tight, 'open("/mnt/data/big.bin", "rb").read(4).hex()')).toBe(big.subarray(0, 4).toString('hex'));
    } finally {
      await tight.close();
    }
    const box = await PyBox.create({ inThread, mounts: [{ hostPath: dir, guestPath: '/mnt/data', mode: 'overlay' }], limits: { fsBytes: 8 * 1024 * 1024 } });
    try {
      const value = await run(
        box,
        `${ATTEMPT}
def fill(path, size):
    with open(path, "wb") as f:
        f.write(b"y" * size)
def append(path, data):
    with open(path, "ab") as f:
        return f.write(data)
copied = attempt(lambda: append("/mnt/data/big.bin", b"END"))
in_tmp = attempt(lambda: fill("/tmp/five.bin", 5 << 20))
in_overlay = attempt(lambda: fill("/mnt/data/new.bin", 5 << 20))
os.remove("/mnt/data/big.bin")
[copied, in_tmp, in_overlay, attempt(lambda: fill("/tmp/five.bin", 5 << 20))]`,
      );
      expect(value).toEqual([
        ['ok', 3],
        ['OSError', 'ENOSPC'], // the 3 MiB copy-up is counted
        ['OSError', 'ENOSPC'],
        ['ok', 'None'], // deleting the overlay's copy freed it
      ]);
    } finally {
      await box.close();
    }
    expect(tree(dir)).toEqual(before);
  });

  it('rejects invalid mount specs with InvalidArgumentError', async () => {
    const { dir } = hostFolder();
    const bad: [string, unknown, RegExp][] = [
      ['not an array', { hostPath: dir, guestPath: '/mnt/data' }, /mounts must be an array/],
      ['missing host folder', [{ hostPath: path.join(dir, 'nope'), guestPath: '/mnt/data' }], /does not exist/],
      ['host path is a file', [{ hostPath: path.join(dir, 'hello.txt'), guestPath: '/mnt/data' }], /not a folder/],
      ['relative guest path', [{ hostPath: dir, guestPath: 'mnt/data' }], /must be an absolute guest path/],
      ['guest path /', [{ hostPath: dir, guestPath: '/' }], /cannot be "\/"/],
      ['guest path /lib', [{ hostPath: dir, guestPath: '/lib' }], /under \/lib/],
      ['guest path under /lib', [{ hostPath: dir, guestPath: '/lib/data' }], /under \/lib/],
      ['guest path with ..', [{ hostPath: dir, guestPath: '/mnt/../lib' }], /must not contain "\.\."/],
      ['unknown mode', [{ hostPath: dir, guestPath: '/mnt/data', mode: 'readonly' }], /mode must be 'ro', 'rw' or 'overlay'/],
      ['unknown option', [{ hostPath: dir, guestPath: '/mnt/data', readOnly: true }], /unknown option "readOnly"/],
      [
        'nested mounts',
        [
          { hostPath: dir, guestPath: '/mnt/data' },
          { hostPath: dir, guestPath: '/mnt/data/more' },
        ],
        /overlaps the mount at \/mnt\/data/,
      ],
    ];
    for (const [name, mounts, message] of bad) {
      const created = PyBox.create({ inThread, mounts: mounts as MountSpec[] });
      const error = await created.then(
        async (box) => {
          await box.close();
          return new Error(`${name}: accepted`);
        },
        (e: unknown) => e,
      );
      expect([name, error]).toEqual([name, expect.any(InvalidArgumentError)]);
      expect((error as Error).message).toMatch(message);
    }
  });
});
