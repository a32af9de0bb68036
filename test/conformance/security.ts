/**
 * Hostile snippets: what agent code written under prompt injection might
 * try. Each must fail to reach anything of the host, and the box must keep
 * working. Run against every engine by the conformance suite.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Context, PyBoxBase } from '@pybox/core';
import { ok, testTools, type BoxFactory } from './suite.js';

/** [name, code]: the code must end with a Python exception (whatever its type) or print "SAFE". */
const hostile: [string, string][] = [
  ['read /etc/passwd', 'open("/etc/passwd").read()'],
  ['traverse out of /data', 'open("/data/../../../etc/passwd").read()'],
  ['traverse with os.path', 'import os\nopen(os.path.join("/data", "..", "..", "proc", "self", "environ")).read()'],
  ['list the host root', 'import os\nprint("SAFE" if set(os.listdir("/")) <= {"lib", "tmp", "data", "out", "mnt"} else os.listdir("/"))'],
  ['write into the stdlib', 'open("/lib/python313.zip", "wb").write(b"x")'],
  ['environment is empty', 'import os\nprint("SAFE" if dict(os.environ) == {} else dict(os.environ))'],
  ['os.system', 'import os\nos.system("id")'],
  ['subprocess', 'import subprocess\nsubprocess.run(["id"])'],
  ['os.fork', 'import os\nos.fork()'],
  ['os.execv', 'import os\nos.execv("/bin/sh", ["sh"])'],
  ['socket connect', 'import socket\ns = socket.socket()\ns.connect(("127.0.0.1", 80))'],
  ['socket create_connection', 'import socket\nsocket.create_connection(("example.com", 80), timeout=1)'],
  ['urllib', 'import urllib.request\nurllib.request.urlopen("http://example.com", timeout=1)'],
  ['http.client', 'import http.client\nc = http.client.HTTPConnection("example.com", timeout=1)\nc.request("GET", "/")'],
  ['ctypes', 'import ctypes'],
  ['ssl', 'import ssl'],
  ['pyodide bridge', 'import js'],
  ['pyodide module', 'import pyodide'],
  ['emscripten bridge', 'import _emscripten_info'],
  ['driver module', 'import _pybox'],
  ['host bridge module', 'import _pyboxhost'],
  ['host bridge via sys.modules', 'import sys\nsys.modules["_pyboxhost"].arm(0, 0)'],
  ['threads', 'import threading\nt = threading.Thread(target=print)\nt.start()'],
  ['multiprocessing', 'import multiprocessing\nmultiprocessing.Process(target=print).start()'],
  ['signal.alarm', 'import signal\nsignal.alarm(1)'],
  ['lift the limits through a tool stub', 'import sys\ng = add.__globals__\nh = g["_call_tool"].__globals__["_host"]\nh.pause()'],
  ['swap the time-limit exception', 'import sys\nf = sys._getframe()\nwhile f.f_back: f = f.f_back\nf.f_globals["_host"].set_exceptions(Exception, Exception)'],
  ['lift the limits from a frame', 'import sys\nf = sys._getframe()\nwhile f.f_back: f = f.f_back\nf.f_globals["_host"].pause()'],
  ['replace a tool through sys.modules', 'import sys, types\nm = types.ModuleType("tools")\nsys.modules["tools"] = m\nadd = lambda a, b: 0'],
  ['exit the process', 'import os\nos._exit(1)'],
  ['sys.exit', 'import sys\nsys.exit(3)'],
];

/** Registers the security suite for one engine. */
export function defineSecurity(engine: string, createBox: BoxFactory): void {
  describe(`security: ${engine}`, () => {
    let box: PyBoxBase;
    let ctx: Context;
    beforeAll(async () => {
      box = await createBox({ tools: testTools(), limits: { timeoutMs: 2000, memoryBytes: 256 * 1024 * 1024 } });
      ctx = await box.createContext();
    });
    afterAll(async () => {
      await box?.close();
    });

    for (const [name, code] of hostile) {
      it(`contains: ${name}`, async () => {
        let outcome: string;
        try {
          const r = await ctx.exec(code);
          outcome = r.ok ? (r.stdout.includes('SAFE') ? 'safe' : `ran: ${r.stdout}${r.repr ?? ''}`) : 'raised';
        } catch (e) {
          outcome = `threw ${(e as Error).name}`; // a typed host error (e.g. the guest was restored)
        }
        // Contained: a Python exception, a "SAFE" print, or at worst a trap the engine recovered from.
        expect(['safe', 'raised', 'threw GuestCrashError']).toContain(outcome);
        if (outcome === 'threw GuestCrashError') ctx = await box.createContext();
        // the box still works, the tools are intact
        const after = await ctx.exec('await add(2, 3)');
        expect(ok(after).value).toBe(5);
      });
    }

    it('keeps other contexts out of reach', async () => {
      const a = await box.createContext();
      const b = await box.createContext();
      ok(await a.exec('secret_a = "s3cret"'));
      // Ordinary code: a context sees its own names only (deliberate introspection is
      // out of scope: contexts share one interpreter; use separate boxes for mutual distrust).
      for (const code of ['secret_a', 'globals()["secret_a"]', 'import __main__\n__main__.secret_a']) {
        const r = await b.exec(code);
        expect(r.ok).toBe(false);
      }
      await a.dispose();
      await b.dispose();
    });

    it('stops an infinite loop at the time limit and stays usable', async () => {
      const t0 = performance.now();
      await expect(ctx.exec('while True: pass', { timeoutMs: 300 })).rejects.toMatchObject({ name: 'TimeLimitError' });
      expect(performance.now() - t0).toBeLessThan(5000);
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
        const t0 = performance.now();
        await expect(ctx.exec(code, { timeoutMs: 300 })).rejects.toMatchObject({ name: 'TimeLimitError' });
        expect(performance.now() - t0).toBeLessThan(5000);
        expect(ok(await ctx.exec('3 + 3')).value).toBe(6);
      });
    }

    it('raises RecursionError for deep recursion and stays usable', async () => {
      const r = await ctx.exec('def f(n): return f(n + 1)\nf(0)');
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.type).toBe('RecursionError');
      expect(ok(await ctx.exec('4 + 4')).value).toBe(8);
    });

    for (const [name, code] of [
      ['through __init__', 'class Node:\n  def __init__(self, n):\n    self.child = Node(n - 1) if n else None\nNode(100000)'],
      ['through a sort key', 'def g(n): return sorted([1], key=lambda k: g(n + 1))\ng(0)'],
      ['through __repr__', 'class A:\n  def __repr__(self): return repr(A())\nrepr(A())'],
      ['in json.dumps', 'x = []\nfor i in range(100000): x = [x]\nimport json\njson.dumps(x)'],
      ['after a raised limit in an earlier exec', 'import sys\nsys.setrecursionlimit(10**6)'],
      ['through __init__ again', 'class Node2:\n  def __init__(self, n):\n    self.child = Node2(n - 1) if n else None\nNode2(100000)'],
    ] as const) {
      it(`keeps deep recursion ${name} off the host stack`, async () => {
        const r = await ctx.exec(code);
        if (!r.ok) expect(r.error.type).toBe('RecursionError');
        expect(ok(await ctx.exec('7 + 7')).value).toBe(14);
      });
    }

    it('raises MemoryError at the memory limit and reuses the memory', async () => {
      for (let i = 0; i < 3; i++) {
        const r = await ctx.exec('x = []\nwhile True: x.append(bytearray(1 << 20))');
        expect(r.ok).toBe(false);
        if (!r.ok) expect(r.error.type).toBe('MemoryError');
        ok(await ctx.exec('del x'));
      }
      expect(ok(await ctx.exec('len(bytearray(10 << 20))')).value).toBe(10 << 20);
    });

    it('caps output and keeps going', async () => {
      const r = ok(await ctx.exec('for i in range(10**6): print("spam" * 10)', { timeoutMs: 20_000 }));
      expect(r.stdout.length).toBeLessThan(1.1 * 1024 * 1024);
      expect(r.stdout).toContain('output truncated');
    });

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
    });
  });
}
