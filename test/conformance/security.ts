/**
 * Hostile snippets: what agent code written under prompt injection might
 * try. Each must fail with exactly the Python exception expected for it,
 * reach nothing of the host, and leave the box working. Run against every
 * engine by the conformance suite; each group on a fresh box.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GuestCrashError, InvalidArgumentError, TimeLimitError, type Context, type PyBoxBase } from '@pybox/core';
import { ok, testTools, type BoxFactory } from './suite.js';

/**
 * [name, code, outcome]: the code must end with exactly that Python exception (type, and a
 * message matching the pattern: errno for OS errors), or print "SAFE".
 */
const hostile: [string, string, 'SAFE' | [type: string, message: RegExp]][] = [
  ['read /etc/passwd', 'open("/etc/passwd").read()', ['FileNotFoundError', /^\[Errno 44\] No such file or directory: '\/etc\/passwd'$/]],
  ['traverse out of /data', 'open("/data/../../../etc/passwd").read()', ['PermissionError', /^\[Errno 76\] Capabilities insufficient/]],
  ['traverse with os.path', 'import os\nopen(os.path.join("/data", "..", "..", "proc", "self", "environ")).read()', ['PermissionError', /^\[Errno 76\] Capabilities insufficient/]],
  ['list the host root', 'import os\nprint("SAFE" if set(os.listdir("/")) <= {"lib", "tmp", "data", "out", "mnt"} else os.listdir("/"))', 'SAFE'],
  ['write into the stdlib', 'open("/lib/python313.zip", "wb").write(b"x")', ['OSError', /^\[Errno 69\] Read-only file system: '\/lib\/python313\.zip'$/]],
  ['environment is empty', 'import os\nprint("SAFE" if dict(os.environ) == {} else dict(os.environ))', 'SAFE'],
  ['os.system', 'import os\nos.system("id")', ['AttributeError', /^module 'os' has no attribute 'system'$/]],
  ['subprocess', 'import subprocess\nsubprocess.run(["id"])', ['OSError', /^\[Errno 58\] wasi does not support processes/]],
  ['os.fork', 'import os\nos.fork()', ['AttributeError', /^module 'os' has no attribute 'fork'$/]],
  ['os.execv', 'import os\nos.execv("/bin/sh", ["sh"])', ['AttributeError', /^module 'os' has no attribute 'execv'$/]],
  ['socket connect', 'import socket\ns = socket.socket()\ns.connect(("127.0.0.1", 80))', ['OSError', /^\[Errno 58\] Not supported$/]],
  ['socket create_connection', 'import socket\nsocket.create_connection(("example.com", 80), timeout=1)', ['AttributeError', /^module '_socket' has no attribute 'getaddrinfo'$/]],
  ['urllib', 'import urllib.request\nurllib.request.urlopen("http://example.com", timeout=1)', ['AttributeError', /^module '_socket' has no attribute 'getaddrinfo'$/]],
  ['http.client', 'import http.client\nc = http.client.HTTPConnection("example.com", timeout=1)\nc.request("GET", "/")', ['AttributeError', /^module '_socket' has no attribute 'getaddrinfo'$/]],
  ['ctypes', 'import ctypes', ['ModuleNotFoundError', /^No module named 'ctypes'$/]],
  ['ssl', 'import ssl', ['ModuleNotFoundError', /^No module named '_ssl'$/]],
  ['pyodide bridge', 'import js', ['ModuleNotFoundError', /^No module named 'js'$/]],
  ['pyodide module', 'import pyodide', ['ModuleNotFoundError', /^No module named 'pyodide'$/]],
  ['emscripten bridge', 'import _emscripten_info', ['ModuleNotFoundError', /^No module named '_emscripten_info'$/]],
  ['driver module', 'import _pybox', ['ModuleNotFoundError', /^No module named '_pybox'$/]],
  ['a driver submodule', 'import _pybox.compile', ['ModuleNotFoundError', /^No module named '_pybox\.compile'$/]],
  ['host bridge via sys.modules', 'import sys\nsys.modules["_pyboxhost"].arm(0, 0)', ['KeyError', /^'_pyboxhost'$/]],
  ['threads', 'import threading\nt = threading.Thread(target=print)\nt.start()', ['RuntimeError', /^can't start new thread$/]],
  ['multiprocessing', 'import multiprocessing\nmultiprocessing.Process(target=print).start()', ['AttributeError', /^module 'os' has no attribute 'WNOHANG'$/]],
  ['signal.alarm', 'import signal\nsignal.alarm(1)', ['AttributeError', /^module 'signal' has no attribute 'alarm'$/]],
  ['reach the driver through a tool stub', 'g = add.__globals__', ['AttributeError', /^'pybox.Tool' object has no attribute '__globals__'$/]],
  ['reach the driver through the frames above user code', 'import sys\nf = sys._getframe()\nwhile f.f_back: f = f.f_back\nf.f_globals["__name__"] + f.f_globals["_settings"]', ['KeyError', /^'_settings'$/]],
  ['reach the driver through the running loop', 'import asyncio\nawait asyncio.sleep(0)\nloop = asyncio.get_running_loop()\ntype(loop)._pybox_step.__globals__["compile_source"]', ['KeyError', /^'compile_source'$/]],
  ['replace a tool through sys.modules', 'import sys, types\nm = types.ModuleType("tools")\nsys.modules["tools"] = m\nadd = lambda a, b: 0', ['ProtectedNameError', /^'add' is protected in this context/]],
  ['exit the process', 'import os\nos._exit(1)', ['SystemExit', /^1$/]],
  ['sys.exit', 'import sys\nsys.exit(3)', ['SystemExit', /^3$/]],
];

/** Registers the security suite for one engine. */
export function defineSecurity(engine: string, createBox: BoxFactory): void {
  let box: PyBoxBase;
  let ctx: Context;
  // Each group gets a box of its own: no case depends on what another group did.
  const freshBox = () => {
    beforeAll(async () => {
      box = await createBox({ tools: testTools(), limits: { timeoutMs: 2000, memoryBytes: 256 * 1024 * 1024 } });
      ctx = await box.createContext();
    });
    afterAll(async () => {
      await box?.close();
    });
  };

  describe(`security, containment: ${engine}`, () => {
    freshBox();

    for (const [name, code, outcome] of hostile) {
      it(`contains: ${name}`, async () => {
        const r = await ctx.exec(code);
        if (outcome === 'SAFE') {
          expect(ok(r).stdout).toBe('SAFE\n');
        } else {
          expect(r.ok, `${name}: ran to its end`).toBe(false);
          if (!r.ok) {
            expect(r.error.type).toBe(outcome[0]);
            expect(r.error.message).toMatch(outcome[1]);
          }
        }
        // the box still works, the tools are intact, and the limits still hold
        expect(ok(await ctx.exec('await add(2, 3)')).value).toBe(5);
      });
    }

    it('still enforces the time limit after every attempt above', async () => {
      await expect(ctx.exec('while True: pass', { timeoutMs: 200 })).rejects.toBeInstanceOf(TimeLimitError);
    });
  });

  describe(`security, isolation: ${engine}`, () => {
    freshBox();

    it('keeps other contexts out of reach', async () => {
      const a = await box.createContext();
      const b = await box.createContext();
      ok(await a.exec('secret_a = "s3cret"'));
      // Ordinary code: a context sees its own names only (deliberate introspection is
      // out of scope: contexts share one interpreter; use separate boxes for mutual distrust).
      const attempts: [string, string, string][] = [
        ['secret_a', 'NameError', "name 'secret_a' is not defined"],
        ['globals()["secret_a"]', 'KeyError', "'secret_a'"],
        ['import __main__\n__main__.secret_a', 'AttributeError', "module '__main__' has no attribute 'secret_a'"],
      ];
      for (const [code, type, message] of attempts) {
        const r = await b.exec(code);
        expect(r.ok ? 'ran' : [r.error.type, r.error.message]).toEqual([type, message]);
      }
      await a.dispose();
      await b.dispose();
    });
  });

  describe(`security, crashing on purpose: ${engine}`, () => {
    freshBox();

    // The box is the failure domain: ending the process traps the whole guest (os._exit and
    // sys.exit are contained above). The box restores its guest and goes on.
    const crashes: [string, string][] = [
      ['os.abort()', 'import os\nos.abort()'],
      ['a fatal signal with no handler', 'import signal\nsignal.raise_signal(signal.SIGTERM)'],
      ["faulthandler's segfault helper", 'import faulthandler\nfaulthandler._sigsegv()'],
    ];
    for (const [name, code] of crashes) {
      it(`${name}: GuestCrashError (trap) with every context of the box lost, and the box goes on`, async () => {
        const other = await box.createContext();
        ok(await other.exec('kept = 1'));
        const victim = await box.createContext();
        const live = box.contexts().length;
        const error = await victim.exec(code).then(
          () => null,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(GuestCrashError);
        expect((error as GuestCrashError).reason).toBe('trap');
        expect((error as GuestCrashError).contextsLost).toBe(live);
        expect(other.isLive).toBe(false);
        ctx = await box.createContext(); // the suite's context went with the others
        expect(ok(await ctx.exec('1 + 1')).value).toBe(2);
      });
    }
  });

  describe(`security, limits: ${engine}`, () => {
    freshBox();

    it('stops an infinite loop at the time limit and stays usable', async () => {
      await expect(ctx.exec('while True: pass', { timeoutMs: 300 })).rejects.toMatchObject({ name: 'TimeLimitError' });
      expect(ok(await ctx.exec('1 + 1')).value).toBe(2);
    });

    for (const [name, code] of [
      ['a loop that swallows every exception', 'while True:\n  try:\n    while True: pass\n  except BaseException:\n    pass'],
      ['a loop in a comprehension', '[0 for _ in iter(int, 1)]'],
      ['catastrophic regex backtracking', 'import re\nre.match(r"(a+)+$", "a" * 40 + "b")'],
      ['a huge power', '10**10**8'],
      ['time.sleep', 'import time\ntime.sleep(1000)'],
    ] as const) {
      it(`stops ${name} at the time limit`, async () => {
        await expect(ctx.exec(code, { timeoutMs: 300 })).rejects.toMatchObject({ name: 'TimeLimitError', message: 'the exec used more than its CPU time limit of 300 ms; the context keeps its state up to the stop' });
        expect(ok(await ctx.exec('3 + 3')).value).toBe(6);
      });
    }

    it('raises RecursionError for deep recursion and stays usable', async () => {
      const r = await ctx.exec('def f(n): return f(n + 1)\nf(0)');
      expect(r.ok ? 'ran' : r.error.type).toBe('RecursionError');
      expect(ok(await ctx.exec('4 + 4')).value).toBe(8);
    });

    for (const [name, code, message] of [
      ['through __init__', 'class Node:\n  def __init__(self, n):\n    self.child = Node(n - 1) if n else None\nNode(100000)', 'maximum recursion depth exceeded'],
      ['through a sort key', 'def g(n): return sorted([1], key=lambda k: g(n + 1))\ng(0)', 'maximum recursion depth exceeded'],
      ['through __repr__', 'class A:\n  def __repr__(self): return repr(A())\nrepr(A())', 'maximum recursion depth exceeded'],
      ['in json.dumps', 'x = []\nfor i in range(100000): x = [x]\nimport json\njson.dumps(x)', 'maximum recursion depth exceeded'],
      // An earlier exec raises the limit; the next one must still get the default back.
      ['after a raised limit in an earlier exec', 'import sys\nsys.setrecursionlimit(10**6)', null],
      ['through __init__ again', 'class Node2:\n  def __init__(self, n):\n    self.child = Node2(n - 1) if n else None\nNode2(100000)', 'maximum recursion depth exceeded'],
    ] as const) {
      it(`keeps deep recursion ${name} off the host stack`, async () => {
        const r = await ctx.exec(code);
        if (message === null) ok(r);
        // Which of CPython's checks trips first (and so the message's tail) depends on how deep the
        // C stack already was: the type and the message's head are what matter.
        else expect(r.ok ? 'ran' : [r.error.type, r.error.message.startsWith(message)]).toEqual(['RecursionError', true]);
        expect(ok(await ctx.exec('7 + 7')).value).toBe(14);
      });
    }

    it('raises MemoryError at the memory limit and reuses the memory', async () => {
      for (let i = 0; i < 3; i++) {
        // A CPU budget far above what filling the memory takes, even on a loaded machine.
        const r = await ctx.exec('x = []\nwhile True: x.append(bytearray(1 << 20))', { timeoutMs: 30_000 });
        expect(r.ok ? 'ran' : r.error.type).toBe('MemoryError');
        ok(await ctx.exec('del x'));
      }
      expect(ok(await ctx.exec('len(bytearray(10 << 20))')).value).toBe(10 << 20);
    });

    it('refuses a ctx.set value past the memory limit with InvalidArgumentError, and the box keeps its memory', async () => {
      const small = await createBox({ limits: { memoryBytes: 64 * 1024 * 1024 } });
      try {
        const c = await small.createContext();
        for (const value of ['y'.repeat(48_000_000), new Uint8Array(80_000_000)]) {
          const error = await c.set('blob', value).then(
            () => null,
            (e: unknown) => e as Error,
          );
          expect(error).toBeInstanceOf(InvalidArgumentError);
          expect(error!.message).toBe(
            "the value does not fit in the box's memory limit (limits.memoryBytes) next to what Python holds: " +
              'pass less data (or write it to a file with box.fs.writeFile and read it in Python), or raise limits.memoryBytes',
          );
          // The input's copy in the guest was let go: the limit is whole again.
          expect(ok(await c.exec('len(bytearray(40 << 20))')).value).toBe(40 << 20);
        }
        await c.set('blob', 'y'.repeat(8_000_000));
        expect(ok(await c.exec('len(blob)')).value).toBe(8_000_000);
      } finally {
        await small.close();
      }
    });

    it('caps output and keeps going', async () => {
      const r = ok(await ctx.exec('for i in range(10**6): print("spam" * 10)', { timeoutMs: 20_000 }));
      expect(r.stdout.length).toBeLessThan(1.1 * 1024 * 1024);
      expect(r.stdout).toContain('output truncated');
    });

  });

  describe(`security, stops: ${engine}`, () => {
    freshBox();

    it('stops on box.interrupt() while waiting on a tool', async () => {
      const pending = ctx.exec('await fetch_item(1, delay_ms=5000)');
      setTimeout(() => box.interrupt(), 50);
      await expect(pending).rejects.toMatchObject({ name: 'AbortedError' });
      expect(ok(await ctx.exec('5 + 5')).value).toBe(10);
    });

    it('stops on an aborted signal', async () => {
      const controller = new AbortController();
      const pending = ctx.exec('await fetch_item(1, delay_ms=5000)', { signal: controller.signal });
      setTimeout(() => controller.abort(), 50);
      await expect(pending).rejects.toMatchObject({ name: 'AbortedError' });
      expect(ok(await ctx.exec('6 + 6')).value).toBe(12);
    });
  });
}
