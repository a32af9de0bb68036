/**
 * Attacks on the rules the guest enforces in C (issue 8): limits that cannot be lifted from
 * Python, host calls that run under the limits, caps that cap, protection that holds,
 * nothing of the driver reachable, no leaks between contexts. Each case tries to break a
 * rule and asserts the specific outcome: which error, and what the host reads afterwards.
 * Run against every engine by the conformance suite; each group gets a fresh box.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Context, PyBoxBase, PyBoxOptions } from '@pybox/core';
import { fails, ok, testTools, type BoxFactory } from './suite.js';

const MiB = 1024 * 1024;

/** A fresh box per group, closed after it. */
function withBox(createBox: BoxFactory, options: PyBoxOptions) {
  const state = {} as { box: PyBoxBase; ctx: Context };
  beforeAll(async () => {
    state.box = await createBox({ tools: testTools(), ...options });
    state.ctx = await state.box.createContext();
  });
  afterAll(async () => {
    await state.box?.close();
  });
  return state;
}

/** Registers the attack suite for one engine. */
export function defineAttacks(engine: string, createBox: BoxFactory): void {
  describe(`attacks: ${engine}`, () => {
    describe('limits cannot be lifted from Python', () => {
      const s = withBox(createBox, { limits: { timeoutMs: 1500, memoryBytes: 64 * MiB } });

      it('shows no driver frame above user code, sync or async', async () => {
        const walk =
          'import sys\ndef frames():\n  f, out = sys._getframe(), []\n  while f is not None:\n' +
          '    out.append([f.f_code.co_filename, f.f_globals.get("__name__")])\n    f = f.f_back\n  return out\n';
        const sync = ok(await s.ctx.exec(`${walk}frames()`));
        expect(sync.value).toEqual([
          ['<exec>', '__main__'],
          ['<exec>', '__main__'],
        ]);
        // In async code the Task is stepped by asyncio and by this context's own loop class
        // (made for this context alone), never by the driver.
        const inAsync = ok(await s.ctx.exec(`${walk}import asyncio\nawait asyncio.sleep(0)\nframes()`));
        const frames = inAsync.value as [string, string][];
        expect(frames.slice(0, 2)).toEqual([
          ['<exec>', '__main__'],
          ['<exec>', '__main__'],
        ]);
        for (const [file, module] of frames.slice(2)) {
          expect(file.includes('_pybox')).toBe(false);
          expect(module === 'pybox_loop' || module.startsWith('asyncio.')).toBe(true);
        }
      });

      it('refuses gc introspection, tracers, monitoring and audit hooks', async () => {
        for (const [code, event] of [
          ['import gc\ngc.get_objects()', 'gc.get_objects'],
          ['import gc\ngc.get_referrers(add)', 'gc.get_referrers'],
          ['import gc\ngc.get_referents(globals())', 'gc.get_referents'],
          ['import sys\nsys.settrace(lambda *a: None)', 'sys.settrace'],
          ['import sys\nsys.setprofile(lambda *a: None)', 'sys.setprofile'],
          ['import sys\nsys.monitoring.use_tool_id(3, "x")\nsys.monitoring.register_callback(3, sys.monitoring.events.CALL, print)', 'sys.monitoring.register_callback'],
        ]) {
          const r = fails(await s.ctx.exec(code!), 'PermissionError');
          expect(r.error.message).toBe(`${event} is not available in PyBox`);
        }
        // CPython drops a refused audit hook silently: it must simply never run
        const hook = ok(await s.ctx.exec('import sys\nseen = []\nsys.addaudithook(lambda e, a: seen.append(e))\nopen("/tmp/x", "w").close()\nseen'));
        expect(hook.value).toEqual([]);
      });

      it('keeps the driver out of reach: not importable, not in sys.modules, no driver classes', async () => {
        fails(await s.ctx.exec('import _pybox'), 'ModuleNotFoundError');
        fails(await s.ctx.exec('import _pybox.compile'), 'ModuleNotFoundError');
        const r = ok(
          await s.ctx.exec(
            'import sys\nmods = [m for m in sys.modules if "pybox" in m]\n' +
              'def subclasses(t):\n  out = []\n  for c in type.__subclasses__(t):\n    out.append(c)\n    out += subclasses(c)\n  return out\n' +
              'mine = [c.__module__ for c in subclasses(object) if "_pybox" in str(getattr(c, "__module__", ""))]\n[mods, mine]',
          ),
        );
        expect(r.value).toEqual([[], []]);
      });

      it('cannot rebind a standard builtin, so no context can hijack another', async () => {
        const a = await s.box.createContext();
        const b = await s.box.createContext();
        const r = fails(await a.exec('import builtins\nbuiltins.isinstance = lambda *args: True'), 'ProtectedNameError');
        expect(r.error.message).toContain("'isinstance' is a builtin shared by every context");
        fails(await a.exec('import builtins\ndel builtins.len'), 'ProtectedNameError');
        fails(await a.exec('import builtins\nbuiltins.__dict__.clear()'), 'ProtectedNameError');
        expect(ok(await b.exec('[isinstance(1, str), len("abc")]')).value).toEqual([false, 3]);
        // new names are fine
        expect(ok(await a.exec('import builtins\nbuiltins.my_helper = 41\nmy_helper + 1')).value).toBe(42);
      });

      it('keeps the limits after every attempt: the time limit and the memory limit still hold', async () => {
        await s.ctx.exec('import sys\ntry:\n  sys.settrace(None)\nexcept PermissionError:\n  pass');
        await expect(s.ctx.exec('while True: pass')).rejects.toMatchObject({ name: 'TimeLimitError' });
        fails(await s.ctx.exec('x = bytearray(600 * 1024 * 1024)'), 'MemoryError');
        expect(ok(await s.ctx.exec('len(bytearray(1024))')).value).toBe(1024);
      });

      it('puts back sys.stdout and the sys hooks for the next exec of any context', async () => {
        const a = await s.box.createContext();
        const b = await s.box.createContext();
        ok(
          await a.exec(
            'import sys, io, gc\nsys.stdout = io.StringIO()\nsys.unraisablehook = lambda u: print("leak", u.object)\n' +
              'gc.callbacks.append(lambda phase, info: print("spy", sys._getframe(1).f_globals.get("secret")))',
          ),
        );
        const r = ok(await b.exec('secret = "s3"\nimport gc\ngc.collect()\nprint("to the host")'));
        expect(r.stdout).toBe('to the host\n');
      });

      it('keeps sys.stdout redirected across an await in the exec that did it', async () => {
        const r = ok(
          await s.ctx.exec(
            'import contextlib, io\nbuf = io.StringIO()\nwith contextlib.redirect_stdout(buf):\n' +
              '  print("captured")\n  await fetch_item(1)\n  print("still captured")\nprint("out")\nbuf.getvalue()',
          ),
        );
        expect(r.value).toBe('captured\nstill captured\n');
        expect(r.stdout).toBe('out\n');
      });
    });

    describe('host calls run under the limits', () => {
      const s = withBox(createBox, { limits: { timeoutMs: 1000, memoryBytes: 64 * MiB, resultChars: 4096 } });

      it('stops a __repr__ of the trailing value that never returns, and the box goes on', async () => {
        await expect(s.ctx.exec('class R:\n  def __repr__(self):\n    while True: pass\nR()')).rejects.toMatchObject({
          name: 'TimeLimitError',
        });
        expect(ok(await s.ctx.exec('1 + 1')).value).toBe(2);
      });

      it('stops an exception __str__ that never returns', async () => {
        await expect(
          s.ctx.exec('class E(Exception):\n  def __str__(self):\n    while True: pass\nraise E()'),
        ).rejects.toMatchObject({ name: 'TimeLimitError' });
      });

      it('runs a __del__ during ctx.set under the box limit', async () => {
        ok(await s.ctx.exec('class D:\n  def __del__(self):\n    while True: pass\nvictim = D()'));
        await expect(s.ctx.set('victim', 1)).rejects.toMatchObject({ name: 'TimeLimitError' });
        expect(await s.ctx.get('victim')).toBe(1);
      });

      it('bounds a __repr__ that builds far more than the box may hold', async () => {
        const r = ok(await s.ctx.exec('class Big:\n  def __repr__(self):\n    return "x" * (700 * 1024 * 1024)\nBig()'));
        expect(r.repr).toBe('<repr failed: MemoryError>');
      });

      it('builds only the first characters of the repr of huge bytes and strings', async () => {
        const r = ok(await s.ctx.exec('bytes(40 * 1024 * 1024)'));
        expect(r.repr!.startsWith("b'\\x00\\x00")).toBe(true);
        expect(r.repr!.length).toBeLessThan(4096 + 20);
        expect(r.repr!.endsWith('…[truncated]')).toBe(true);
        const t = ok(await s.ctx.exec('"é" * (30 * 1024 * 1024)'));
        expect(t.repr!.length).toBeLessThan(4096 + 20);
        expect(t.value).toBeUndefined();
      });

      it('reads names whose keys are str subclasses without running their methods', async () => {
        const c = await s.box.createContext();
        ok(
          await c.exec(
            'class S(str):\n  def startswith(self, *a):\n    while True: pass\n  def __hash__(self):\n    return hash(str(self))\n' +
              'globals()[S("sneaky")] = 1\nplain = 2',
          ),
        );
        const names = await c.names();
        expect(names).toEqual(expect.arrayContaining(['sneaky', 'plain']));
      });

      it('caps an exception message and its traceback at the result limit', async () => {
        const r = fails(await s.ctx.exec('raise ValueError("x" * (20 * 1024 * 1024))'), 'ValueError');
        expect(r.error.message.length).toBeLessThan(4096 + 20);
        expect(r.error.traceback.length).toBeLessThan(4 * 4096 + 200);
      });

      it('shortens an exception chain of 1,200 links and a traceback of 1,000 frames', async () => {
        const chain = fails(
          await s.ctx.exec('e = None\nfor i in range(1200):\n  try:\n    raise KeyError(i) from e\n  except KeyError as x:\n    e = x\nraise e'),
          'KeyError',
        );
        expect(chain.error.message).toBe('1199');
        expect(chain.error.traceback).toContain('[... earlier chained exceptions left out ...]');
        const deep = fails(await s.ctx.exec('def f(n):\n  return f(n + 1)\nf(0)'), 'RecursionError');
        expect(deep.error.traceback).toMatch(/\[\.\.\. \d+ frames left out \.\.\.\]/);
      });
    });

    describe('output is capped as it is written', () => {
      const s = withBox(createBox, { limits: { outputChars: 1000 } });

      it('keeps the first outputChars characters and one notice', async () => {
        const r = ok(await s.ctx.exec('for i in range(100):\n  print("y" * 100)'));
        expect(r.stdout.startsWith('y'.repeat(100))).toBe(true);
        expect(r.stdout).toContain("[output truncated: the exec's output limit was reached]");
        expect(r.stdout.length).toBeLessThan(1000 + 100);
      });

      it('writes a lone surrogate as one U+FFFD', async () => {
        const r = ok(await s.ctx.exec('print("a\\ud800b")'));
        expect(r.stdout).toBe('a\uFFFDb\n');
      });
    });

    describe('protection holds', () => {
      const s = withBox(createBox, {});

      it('undoes globals().clear(), update() and pop() of protected names', async () => {
        const c = await s.box.createContext();
        await c.set('user_id', 'u-1');
        await c.protect('user_id');
        for (const code of [
          'globals().clear()',
          'globals().update(user_id="admin")',
          'globals().pop("user_id")',
          'exec("user_id = 1", globals())',
          'g = globals()\ng["add"] = lambda a, b: 0',
        ]) {
          fails(await c.exec(code), 'ProtectedNameError');
        }
        expect(await c.get('user_id')).toBe('u-1');
        expect(ok(await c.exec('await add(2, 3)')).value).toBe(5);
      });

      it('gives a child no handle on its parent: builtins hold an id, not the parent', async () => {
        const parent = await s.box.createContext();
        await parent.set('secret_limit', 10);
        await parent.protect('secret_limit');
        const child = await s.box.createContext({ parent });
        expect(ok(await child.exec('secret_limit')).value).toBe(10); // live inheritance still works
        fails(await child.exec('__builtins__.parent'), 'AttributeError');
        fails(await child.exec('import gc\ngc.get_referents(__builtins__)'), 'PermissionError');
        // the child may not shadow what its parent protects
        fails(await child.exec('secret_limit = 10**9'), 'ProtectedNameError');
        fails(await child.exec('globals()["secret_limit"] = 10**9\n1'), 'ProtectedNameError');
        expect(ok(await child.exec('secret_limit')).value).toBe(10);
        // nor rebind the parent's tools: the parent's calls still reach the host
        fails(await child.exec('add = lambda a, b: -1'), 'ProtectedNameError');
        expect(ok(await parent.exec('await add(20, 22)')).value).toBe(42);
        expect(await parent.get('secret_limit')).toBe(10);
      });

      it('cannot swap a tool stub or its behaviour: it is a C object', async () => {
        const c = await s.box.createContext();
        fails(await c.exec('add.__call__ = print'), 'AttributeError');
        fails(await c.exec('add.__doc__ = "x"'), 'AttributeError');
        fails(await c.exec('type(add).__call__ = print'), 'TypeError');
        expect(ok(await c.exec('[await add(1, 1), add.__name__]')).value).toEqual([2, 'add']);
      });
    });

    describe('no leaks between contexts', () => {
      const s = withBox(createBox, {});

      it("shows each context's own source lines in its tracebacks", async () => {
        const a = await s.box.createContext();
        const b = await s.box.createContext();
        ok(await a.exec('def f():\n    return 1 / 0'));
        ok(await b.exec('secret = "hunter2"\nprint(len(secret))'));
        const r = fails(await a.exec('f()'), 'ZeroDivisionError');
        expect(r.error.traceback).not.toContain('hunter2');
        expect(r.error.traceback).not.toContain('print(len(secret))');
      });

      it('gives os.environ exactly the env of the box', async () => {
        const box = await createBox({ env: { REGION: 'eu', EMPTY: '' } });
        try {
          const ctx = await box.createContext();
          expect(ok(await ctx.exec('import os\ndict(os.environ)')).value).toEqual({ REGION: 'eu', EMPTY: '' });
        } finally {
          await box.close();
        }
      });
    });

    describe('contexts stay usable after faults', () => {
      const s = withBox(createBox, { limits: { timeoutMs: 500 } });

      it('resets the event loop after a time limit stop inside it', async () => {
        const c = await s.box.createContext();
        await expect(
          c.exec('import asyncio\nasync def spin():\n  while True:\n    await asyncio.sleep(0)\nawait spin()'),
        ).rejects.toMatchObject({ name: 'TimeLimitError' });
        const r = ok(await c.exec('import asyncio\nawait asyncio.sleep(0.001)\nawait add(1, 2)'));
        expect(r.value).toBe(3);
        expect(r.stderr).toBe('');
      });

      it('refuses tool arguments nested too deep, and the context goes on', async () => {
        const c = await s.box.createContext();
        const r = fails(await c.exec('a = []\nfor _ in range(1500):\n  a = [a]\nawait echo(text=a)'), 'ValueError');
        expect(r.error.message).toContain('nested deeper than 100 levels');
        expect(ok(await c.exec('await echo(text="fine")')).value).toBe('fine');
      });

      it('refuses a tool result nested too deep as a TypeError for that call only, and the context goes on', async () => {
        const box = await createBox({
          tools: [
            {
              name: 'deep',
              description: 'A result nested 1,500 levels deep.',
              handler: async () => {
                let v: unknown = [];
                for (let i = 0; i < 1500; i++) v = [v];
                return v;
              },
            },
          ],
        });
        try {
          const c = await box.createContext();
          const r = fails(await c.exec('await deep()'), 'TypeError');
          expect(r.error.message).toContain('nested deeper than 100 levels');
          expect(ok(await c.exec('1 + 1')).value).toBe(2);
          let v: unknown = [];
          for (let i = 0; i < 150; i++) v = [v];
          await expect(c.set('v', v)).rejects.toMatchObject({ name: 'InvalidArgumentError' });
        } finally {
          await box.close();
        }
      });

      it('refuses a tool argument JavaScript cannot hold exactly (an int past ±2**53 that is no double)', async () => {
        const r = fails(await s.ctx.exec('await echo(text=2**60 + 1)'), 'ValueError');
        expect(r.error.message).toContain('a JavaScript number cannot hold exactly (past ±2**53)');
      });

      it('runs top-level code inside a Task: TaskGroup, asyncio.timeout, current_task', async () => {
        const r = ok(
          await s.ctx.exec(
            'import asyncio\nasync with asyncio.TaskGroup() as tg:\n  t = tg.create_task(fetch_item(7))\n' +
              'async with asyncio.timeout(5):\n  x = await fetch_item(8)\n' +
              '[t.result()["id"], x["id"], asyncio.current_task() is not None]',
          ),
        );
        expect(r.value).toEqual([7, 8, true]);
      });
    });
  });
}
