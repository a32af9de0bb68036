/**
 * The conformance suite: the same cases against every engine (in-thread,
 * worker_threads, Web Worker in Chromium). Each engine's test file calls
 * `defineConformance` with a factory for its `PyBox`. Every group
 * (`describe`) runs on a fresh box of its own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Context, ExecResult, PyBoxBase, PyBoxOptions, ToolDefinition } from '@pybox/core';

/** Creates a box on the engine under test. */
export type BoxFactory = (options?: PyBoxOptions) => Promise<PyBoxBase>;

/** An engine the shared suites run against. */
export interface EngineUnderTest {
  /** A label for test names, e.g. "node worker_threads". */
  name: string;
  /** Creates a box on this engine. */
  create: BoxFactory;
  /** Whether the engine runs on the calling thread (it can then never be stopped hard, and plain handlers are synchronous). */
  inThread: boolean;
}

/** Expects success and returns the result, with Python's traceback in the failure message. */
export function ok(r: ExecResult): Extract<ExecResult, { ok: true }> {
  if (!r.ok) throw new Error(`Python failed: ${r.error.type}: ${r.error.message}\n${r.error.traceback}`);
  return r;
}

/** Expects a Python exception of `type`. */
export function fails(r: ExecResult, type: string): Extract<ExecResult, { ok: false }> {
  if (r.ok) throw new Error(`expected ${type}, got ok with stdout ${JSON.stringify(r.stdout)}`);
  expect(r.error.type).toBe(type);
  return r;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Tools every case can use. */
export function testTools(log: string[] = []): ToolDefinition[] {
  return [
    {
      name: 'add',
      description: 'Add two integers.',
      parameters: {
        type: 'object',
        properties: { a: { type: 'integer', description: 'first' }, b: { type: 'integer', description: 'second' } },
        required: ['a', 'b'],
      },
      handler: (args) => (args.a as number) + (args.b as number),
    },
    {
      name: 'fetch_item',
      description: 'Fetch an item by id after a short wait.',
      parameters: {
        type: 'object',
        properties: { id: { type: 'integer' }, delay_ms: { type: 'integer' } },
        required: ['id'],
      },
      handler: async (args) => {
        log.push(`start ${String(args.id)}`);
        await sleep((args.delay_ms as number | undefined) ?? 1);
        log.push(`end ${String(args.id)}`);
        return { id: args.id, name: `item-${String(args.id)}` };
      },
    },
    {
      name: 'echo',
      description: 'Return the text unchanged.',
      parameters: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
      handler: async (args) => args.text,
    },
    {
      name: 'fail_with',
      description: 'Throw an error with the given name.',
      parameters: {
        type: 'object',
        properties: { name: { type: 'string' }, message: { type: 'string' } },
        required: ['name', 'message'],
      },
      handler: async (args) => {
        const e = new Error(args.message as string);
        e.name = args.name as string;
        throw e;
      },
    },
  ];
}

/** Registers the whole suite for one engine. */
export function defineConformance(engine: string, createBox: BoxFactory): void {
  describe(`conformance: ${engine}`, () => {
    let box: PyBoxBase;
    let ctx: Context;
    const log: string[] = [];
    const run = (code: string) => ctx.exec(code);

    // Each group gets a box of its own: no case depends on what another group did.
    const freshBox = () => {
      beforeAll(async () => {
        log.length = 0;
        box = await createBox({ tools: testTools(log), files: { '/data/people.csv': 'name,age\nAda,36\nAlan,41\n' } });
        ctx = await box.createContext();
      });
      afterAll(async () => {
        await box?.close();
      });
    };

    describe('language and stdlib', () => {
      freshBox();
      const probes: [string, string, unknown][] = [
        ['arithmetic', '1 + 1', 2],
        ['classes', 'class P:\n  def __init__(s, x): s.x = x\n  def __repr__(s): return f"P({s.x})"\nrepr(P(3))', 'P(3)'],
        [
          'dataclasses',
          'from dataclasses import dataclass, field, asdict\n@dataclass\nclass Pt:\n  x: int\n  y: int = 0\n  tags: list = field(default_factory=list)\nasdict(Pt(1))',
          { x: 1, y: 0, tags: [] },
        ],
        [
          'decorators',
          'import functools\ndef twice(f):\n  @functools.wraps(f)\n  def w(*a): return f(*a) * 2\n  return w\n@twice\ndef sq(x): return x*x\n[sq(3), sq.__name__]',
          [18, 'sq'],
        ],
        ['generators', 'def gen(n):\n  for i in range(n):\n    yield i*i\nlist(gen(5))', [0, 1, 4, 9, 16]],
        [
          'match',
          'def m(v):\n  match v:\n    case {"kind": "pt", "x": x}: return f"pt {x}"\n    case [a, b]: return a + b\n    case _: return "other"\n[m({"kind":"pt","x":2}), m([1,2]), m(0)]',
          ['pt 2', 3, 'other'],
        ],
        ['f-strings', 'n = 1234567.891\nf"{n:,.2f}|{42:>6}|{0.25:.1%}|{255:#x}|{1234567:,}"', '1,234,567.89|    42|25.0%|0xff|1,234,567'],
        ['str.format and %', '"{} {:>4} {name}".format("a", 7, name="n") + " %s=%05.1f" % ("x", 3.14159)', 'a    7 n x=003.1'],
        [
          'raise from',
          'try:\n  try:\n    1/0\n  except ZeroDivisionError as e:\n    raise ValueError("bad") from e\nexcept ValueError as e:\n  r = [str(e), type(e.__cause__).__name__]\nr',
          ['bad', 'ZeroDivisionError'],
        ],
        [
          'async/await/gather',
          'import asyncio\nasync def sq(x):\n  await asyncio.sleep(0)\n  return x*x\nawait asyncio.gather(*[sq(i) for i in range(4)])',
          [0, 1, 4, 9],
        ],
        ['json', 'import json\njson.loads(json.dumps({"a": [1, 2.5, None, True]}))', { a: [1, 2.5, null, true] }],
        ['re with a function', 'import re\nre.sub(r"\\d+", lambda m: str(int(m.group()) * 2), "a1 b22 c3")', 'a2 b44 c6'],
        ['datetime', 'from datetime import date, timedelta\n(date(2024, 2, 28) + timedelta(days=1)).isoformat()', '2024-02-29'],
        [
          'collections',
          'from collections import Counter, defaultdict, deque, OrderedDict, namedtuple\nd = defaultdict(list); d["k"].append(1)\nP = namedtuple("P", "x y")\n[Counter("abca").most_common(1), dict(d), list(deque([1,2,3], maxlen=2)), P(1,2).y]',
          [[['a', 2]], { k: [1] }, [2, 3], 2],
        ],
        ['itertools', 'import itertools\n[list(itertools.accumulate([1,2,3])), [k for k, _ in itertools.groupby("aabbc")], len(list(itertools.permutations(range(4), 2)))]', [[1, 3, 6], ['a', 'b', 'c'], 12]],
        ['functools', 'import functools\n@functools.lru_cache\ndef fib(n): return n if n < 2 else fib(n-1) + fib(n-2)\n[fib(70), functools.reduce(lambda a, b: a*b, range(1, 6))]', [190392490709135, 120]],
        ['statistics', 'import statistics as s\n[s.mean([1,2,3,4]), s.median([3,1,2]), round(s.stdev([2,4,4,4,5,5,7,9]), 4)]', [2.5, 2, 2.1381]],
        ['random', 'import random\nrandom.seed(7)\na = [random.randint(1, 100) for _ in range(3)]\nrandom.seed(7)\na == [random.randint(1, 100) for _ in range(3)]', true],
        ['textwrap', 'import textwrap\ntextwrap.wrap("the quick brown fox jumps", width=10)', ['the quick', 'brown fox', 'jumps']],
        ['hashlib', 'import hashlib\n[hashlib.sha256(b"abc").hexdigest()[:16], hashlib.md5(b"").hexdigest()[:8]]', ['ba7816bf8f01cfea', 'd41d8cd9']],
        ['decimal', 'from decimal import Decimal, getcontext\nstr(Decimal("0.1") + Decimal("0.2"))', '0.3'],
        ['csv from /data', 'import csv\nwith open("/data/people.csv") as f:\n  rows = list(csv.DictReader(f))\n[r["name"] for r in rows if int(r["age"]) > 40]', ['Alan']],
        ['big ints', '(2**100) % 1000003', 253109],
        ['unicode', '"héllo wörld ✓".upper()', 'HÉLLO WÖRLD ✓'],
        ['sorted with key', 'sorted([{"n": "b", "v": 2}, {"n": "a", "v": 2}, {"n": "c", "v": 1}], key=lambda d: (-d["v"], d["n"]))', [{ n: 'a', v: 2 }, { n: 'b', v: 2 }, { n: 'c', v: 1 }]],
      ];
      for (const [name, code, expected] of probes) {
        it(name, async () => {
          const r = ok(await run(code));
          expect(r.value).toEqual(expected);
        });
      }

      it('gives an int JavaScript cannot hold exactly as repr only: as a JSON number it would reach JS changed', async () => {
        const r = ok(await run('2**64 + 1'));
        expect(r.value).toBeUndefined();
        expect(r.repr).toBe('18446744073709551617');
        expect(ok(await run('2**53 - 1')).value).toBe(9007199254740991);
        expect(ok(await run('2**64')).value).toBe(2 ** 64); // a double holds it exactly
        await expect(ctx.set('big', 2 ** 60)).resolves.toBeUndefined(); // a JS number is exact as it is
      });

      it('reads and writes files as UTF-8 by default (UTF-8 mode)', async () => {
        const r = ok(
          await run('import sys, locale\nwith open("/tmp/u.txt", "w") as f:\n  f.write("héllo ✓")\n[open("/tmp/u.txt").read(), sys.flags.utf8_mode, locale.getpreferredencoding(False)]'),
        );
        expect(r.value).toEqual(['héllo ✓', 1, 'utf-8']);
      });

      it('prints to stdout and stderr', async () => {
        const r = ok(await run('import sys\nprint("out", 1)\nprint("err", file=sys.stderr)'));
        expect(r.stdout).toBe('out 1\n');
        expect(r.stderr).toBe('err\n');
        expect(r.value).toBeUndefined();
      });

      it('reads and writes files in the virtual filesystem', async () => {
        ok(await run('import os, json\nos.makedirs("/out/r", exist_ok=True)\nwith open("/out/r/a.json", "w") as f:\n  json.dump({"ok": True}, f)'));
        expect(await box.fs.readText('/out/r/a.json')).toBe('{"ok": true}');
        await box.fs.writeFile('/data/in.txt', 'from host');
        expect(ok(await run('open("/data/in.txt").read()')).value).toBe('from host');
        expect(await box.fs.readdir('/out/r')).toEqual(['a.json']);
        expect(await box.fs.stat('/out/r/a.json')).toEqual({ type: 'file', size: 12 });
      });

      it('gives a traceback that points into the user code', async () => {
        const r = fails(await run('def inner():\n    return {}["missing"]\n\ndef outer():\n    return inner()\n\nouter()'), 'KeyError');
        expect(r.error.message).toBe("'missing'");
        expect(r.error.traceback).toContain('File "<exec>", line 7, in <module>');
        expect(r.error.traceback).toContain('line 2, in inner');
        expect(r.error.traceback).toContain('return {}["missing"]');
        expect(r.error.traceback).not.toContain('_pybox');
      });

      it('reports syntax errors with the line', async () => {
        const r = fails(await run('x = 1\ny = (\n'), 'SyntaxError');
        expect(r.error.traceback).toContain('line 2');
      });

      it('returns the repr of values JSON cannot carry', async () => {
        const r = ok(await run('{1, 2}'));
        expect(r.value).toBeUndefined();
        expect(r.repr).toBe('{1, 2}');
      });
    });

    describe('contexts', () => {
      freshBox();
      it('keeps state between execs and isolates contexts', async () => {
        const a = await box.createContext();
        const b = await box.createContext();
        ok(await a.exec('secret = 41'));
        expect(ok(await a.exec('secret + 1')).value).toBe(42);
        fails(await b.exec('secret'), 'NameError');
        await a.dispose();
        await b.dispose();
      });

      it('inherits live from a parent, also inside functions; writes stay in the child', async () => {
        const parent = await box.createContext();
        const child = await box.createContext({ parent });
        ok(await parent.exec('base = 10'));
        ok(await child.exec('def f(): return base * 2'));
        expect(ok(await child.exec('f()')).value).toBe(20);
        ok(await parent.exec('base = 50'));
        expect(ok(await child.exec('f()')).value).toBe(100);
        ok(await child.exec('base = 1'));
        expect(ok(await parent.exec('base')).value).toBe(50);
        expect(ok(await child.exec('base')).value).toBe(1);
        await child.dispose();
        await parent.dispose();
      });

      it('sets and gets JSON and bytes', async () => {
        const c = await box.createContext();
        await c.set('data', { rows: [1, 2, 3], name: 'x' });
        expect(ok(await c.exec('sum(data["rows"])')).value).toBe(6);
        await c.set('blob', new Uint8Array([0, 1, 255]));
        expect(ok(await c.exec('list(blob)')).value).toEqual([0, 1, 255]);
        ok(await c.exec('out = bytes(range(4))\nmsg = "hé"'));
        expect(await c.get('out')).toEqual(new Uint8Array([0, 1, 2, 3]));
        expect(await c.get('msg')).toBe('hé');
        expect(await c.names()).toEqual(expect.arrayContaining(['data', 'blob', 'out', 'msg']));
        await c.dispose();
      });

      it('keeps state over 1,000 execs on one instance', async () => {
        const c = await box.createContext();
        ok(await c.exec('n = 0'));
        for (let i = 0; i < 1000; i++) {
          const r = await c.exec('n += 1');
          if (!r.ok) ok(r);
        }
        expect(ok(await c.exec('n')).value).toBe(1000);
        await c.dispose();
      });
    });

    describe('protection', () => {
      freshBox();
      let c: Context;
      beforeAll(async () => {
        c = await box.createContext();
        await c.set('config', { mode: 'safe' });
        await c.protect('config');
      });
      afterAll(async () => {
        await c.dispose();
      });
      const bypasses: [string, string][] = [
        ['assignment', 'config = 1'],
        ['augmented assignment', 'config += 1'],
        ['del', 'del config'],
        ['global in a function', 'def f():\n  global config\n  config = 2\nf()'],
        ['globals()[...] =', 'globals()["config"] = 3'],
        ['globals().update', 'globals().update(config=4)'],
        ['globals().pop', 'globals().pop("config")'],
        ['exec(..., globals())', 'exec("config = 5", globals())'],
        ['exec of a global in a function', 'exec("def g():\\n  global config\\n  config = 6\\ng()", globals())'],
        ['import as', 'import os as config'],
        ['from import as', 'from os import path as config'],
        ['for target', 'for config in range(2): pass'],
        ['walrus', '(config := 7)'],
        ['def', 'def config(): pass'],
        ['class', 'class config: pass'],
        ['with as', 'import contextlib\nwith contextlib.nullcontext(8) as config: pass'],
        ['except as', 'try:\n  1/0\nexcept Exception as config:\n  pass'],
        ['builtins trick', 'import builtins\nbuiltins.exec("config = 9", globals())'],
        ['setdefault after del', 'globals().setdefault("config", 10)\ndel globals()["config"]'],
      ];
      for (const [name, code] of bypasses) {
        it(`refuses ${name}`, async () => {
          const r = await c.exec(code);
          expect(r.ok).toBe(false);
          if (!r.ok) {
            expect(r.error.type).toBe('ProtectedNameError');
            expect(r.error.message).toContain("'config' is protected");
          }
          expect(ok(await c.exec('config')).value).toEqual({ mode: 'safe' });
        });
      }
      it('lets the host change a protected name', async () => {
        await c.set('config', { mode: 'fast' });
        expect(ok(await c.exec('config["mode"]')).value).toBe('fast');
        await c.set('config', { mode: 'safe' });
      });
      it('protects tools in every context', async () => {
        const r = await c.exec('add = None');
        expect(r.ok).toBe(false);
        expect(ok(await c.exec('await add(1, 2)')).value).toBe(3);
      });
    });

    describe('tools', () => {
      freshBox();
      it('exposes a real signature and docstring', async () => {
        const r = ok(await run('import inspect\n[str(inspect.signature(fetch_item)), fetch_item.__doc__]'));
        const [signature, doc] = r.value as [string, string];
        expect(signature).toBe('(id, delay_ms=<optional>)');
        // the docstring is the tool's Python stub, the same text box.describeTools() gives
        expect(doc).toContain('async def fetch_item(id: int, delay_ms: int = ...)');
        expect(doc).toContain('Fetch an item by id after a short wait.');
        const help = ok(await run('help(fetch_item)'));
        expect(help.stdout).toContain('fetch_item(id, delay_ms=<optional>)');
        expect(help.stdout).toContain('async def fetch_item(id: int, delay_ms: int = ...)');
      });

      it('awaits an async tool by position and keyword', async () => {
        expect(ok(await run('await fetch_item(3)')).value).toEqual({ id: 3, name: 'item-3' });
        expect(ok(await run('await fetch_item(id=4, delay_ms=2)')).value).toEqual({ id: 4, name: 'item-4' });
      });

      it('keeps strings as strings and objects as dicts', async () => {
        expect(ok(await run('r = await echo("hi")\n[type(r).__name__, r]')).value).toEqual(['str', 'hi']);
        expect(ok(await run('type(await fetch_item(1)).__name__')).value).toBe('dict');
      });

      it('runs gathered tool calls concurrently', async () => {
        log.length = 0;
        const r = ok(
          await run('import asyncio\nitems = await asyncio.gather(*[fetch_item(i, delay_ms=20) for i in range(5)])\n[i["id"] for i in items]'),
        );
        expect(r.value).toEqual([0, 1, 2, 3, 4]);
        // every call started before any finished
        expect(log.slice(0, 5).every((l) => l.startsWith('start'))).toBe(true);
      });

      it('turns tool errors into catchable Python exceptions', async () => {
        const r = ok(
          await run(
            'out = []\nfor name in ["ValueError", "KeyError", "PermissionError", "TimeoutError", "CustomThing"]:\n' +
              '  try:\n    await fail_with(name, "boom")\n  except Exception as e:\n    out.append(type(e).__name__)\nout',
          ),
        );
        expect(r.value).toEqual(['ValueError', 'KeyError', 'PermissionError', 'TimeoutError', 'ToolError']);
        const f = fails(await run('await fail_with("ValueError", "bad input")'), 'ValueError');
        expect(f.error.message).toBe('bad input');
      });

      it('raises TypeError for a missing argument or one of the wrong JSON type', async () => {
        fails(await run('await add(1)'), 'TypeError');
        const r = fails(await run('await add("1", 2)'), 'TypeError');
        expect(r.error.message).toBe('add(): a: must be integer, not str');
        fails(await run('await add(True, 2)'), 'TypeError');
        expect(ok(await run('await echo(text="fine")')).value).toBe('fine');
      });

      it('works with asyncio.run, asyncio.sleep and asyncio.wait', async () => {
        const code =
          'import asyncio\nasync def main():\n  t = [asyncio.create_task(fetch_item(i)) for i in range(3)]\n' +
          '  done, _ = await asyncio.wait(t)\n  await asyncio.sleep(0.01)\n  return sorted(x.result()["id"] for x in done)\nasyncio.run(main())';
        expect(ok(await run(code)).value).toEqual([0, 1, 2]);
      });

      it('awaits 200 tool calls in a loop', async () => {
        expect(ok(await run('t = 0\nfor i in range(200):\n  t += await add(i, 1)\nt')).value).toBe(20100);
      });

      it('lets a tool handler run code in another context of the same box (reentrancy)', async () => {
        const inner = await box.createContext();
        await box.defineTool({
          name: 'ask_inner',
          description: 'Run a computation in the inner context.',
          parameters: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] },
          handler: async (args) => {
            const r = await inner.exec(`${Number(args.n)} * 3`);
            return r.ok ? r.value : null;
          },
        });
        expect(ok(await run('await ask_inner(5) + 1')).value).toBe(16);
        await inner.dispose();
      });

      it('streams output as it is printed', async () => {
        const chunks: string[] = [];
        const r = ok(await ctx.exec('print("a")\nawait fetch_item(1)\nprint("b")', { onStdout: (t) => chunks.push(t) }));
        expect(r.stdout).toBe('a\nb\n');
        expect(chunks.join('')).toBe('a\nb\n');
      });
    });

    describe('errors', () => {
      freshBox();
      it('rejects a second exec on a running context', async () => {
        const c = await box.createContext();
        const first = c.exec('await fetch_item(1, delay_ms=50)');
        await expect(c.exec('1')).rejects.toMatchObject({ name: 'ContextBusyError' });
        ok(await first);
        await c.dispose();
      });

      it('rejects calls on a disposed context', async () => {
        const c = await box.createContext();
        await c.dispose();
        await expect(c.exec('1')).rejects.toMatchObject({ name: 'ContextDisposedError' });
        await expect(c.get('x')).rejects.toMatchObject({ name: 'ContextDisposedError' });
      });

      it('rejects invalid tool definitions', async () => {
        await expect(box.defineTool({ name: 'not valid', handler: () => 1 })).rejects.toMatchObject({ name: 'ToolDefinitionError' });
        await expect(box.defineTool({ name: 'x', handler: 5 as never })).rejects.toMatchObject({ name: 'ToolDefinitionError' });
      });

      it('rejects values JSON cannot carry', async () => {
        await expect(ctx.set('v', 10n)).rejects.toMatchObject({ name: 'InvalidArgumentError' });
        const cyclic: Record<string, unknown> = {};
        cyclic.self = cyclic;
        await expect(ctx.set('v', cyclic)).rejects.toMatchObject({ name: 'InvalidArgumentError' });
      });

      it('gets a NameError for undefined names', async () => {
        await expect(ctx.get('never_defined')).rejects.toMatchObject({ name: 'PythonError', type: 'NameError' });
      });

      it('rejects every pending call when the box closes', async () => {
        const b = await createBox({ tools: testTools() });
        const c = await b.createContext();
        const pending = c.exec('await fetch_item(1, delay_ms=10000)');
        await sleep(20);
        await b.close();
        await expect(pending).rejects.toMatchObject({ name: 'BoxClosedError' });
        await expect(c.exec('1')).rejects.toMatchObject({ name: 'BoxClosedError' });
        await expect(b.createContext()).rejects.toMatchObject({ name: 'BoxClosedError' });
      });
    });
  });
}
