/**
 * A sound guest (guest/patches/0002-wasm-soundness.patch and 0003-compile-time-limits.patch),
 * on every engine: code that once trapped the guest or overflowed the host's native stack
 * ends normally or as a Python exception, and the box and its other contexts go on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Context, PyBoxBase, PyBoxOptions } from '@pybox/core';
import { fails, ok } from './conformance/suite.js';

type Expected = { type: string; message?: RegExp } | { value: unknown };

/**
 * Deep constructions, each far past the C recursion limit (1,000 units): before the patch
 * most of them overflowed V8's ~1 MB native stack and the box restored a snapshot
 * (GuestCrashError, every context lost).
 */
const DEEP: [name: string, code: string, expected: Expected][] = [
  // iterator combinators over iterator combinators
  ['map', 'it = iter([1])\nfor _ in range(100_000): it = map(abs, it)\nnext(it)', { type: 'RecursionError' }],
  ['filter', 'it = iter([1])\nfor _ in range(100_000): it = filter(None, it)\nnext(it)', { type: 'RecursionError' }],
  ['zip', 'it = iter([1])\nfor _ in range(100_000): it = zip(it)\nnext(it)', { type: 'RecursionError' }],
  ['enumerate', 'it = iter([1])\nfor _ in range(100_000): it = enumerate(it)\nnext(it)', { type: 'RecursionError' }],
  ['itertools.chain', 'import itertools\nit = iter([1])\nfor _ in range(100_000): it = itertools.chain(it)\nnext(it)', { type: 'RecursionError' }],
  ['itertools.islice', 'import itertools\nit = iter([1])\nfor _ in range(100_000): it = itertools.islice(it, 5)\nnext(it)', { type: 'RecursionError' }],
  ['itertools.accumulate', 'import itertools\nit = iter([1])\nfor _ in range(100_000): it = itertools.accumulate(it)\nnext(it)', { type: 'RecursionError' }],
  ['itertools.takewhile', 'import itertools\nit = iter([1])\nfor _ in range(100_000): it = itertools.takewhile(bool, it)\nnext(it)', { type: 'RecursionError' }],
  ['itertools.zip_longest', 'import itertools\nit = iter([1])\nfor _ in range(100_000): it = itertools.zip_longest(it)\nnext(it)', { type: 'RecursionError' }],
  ['itertools.pairwise', 'import itertools\nit = iter(range(10**6))\nfor _ in range(100_000): it = itertools.pairwise(it)\nnext(it)', { type: 'RecursionError' }],
  ['itertools.batched', 'import itertools\nit = iter([1])\nfor _ in range(100_000): it = itertools.batched(it, 1)\nnext(it)', { type: 'RecursionError' }],
  ['itertools.tee of map', 'import itertools\nit = iter([1])\nfor _ in range(50_000): it = itertools.tee(map(abs, it))[0]\nnext(it)', { type: 'RecursionError' }],
  ['b"".join of a map chain', 'g = iter([b"a"])\nfor _ in range(100_000): g = map(bytes, g)\nb"".join(g)', { type: 'RecursionError' }],
  // hashing and comparing nested containers
  ['hash of a nested tuple', 't = ()\nfor _ in range(100_000): t = (t,)\nhash(t)', { type: 'RecursionError' }],
  ['a nested tuple as a dict key', 't = ()\nfor _ in range(100_000): t = (t,)\n{t: 1}', { type: 'RecursionError' }],
  ['hash of nested slices', 's = 1\nfor _ in range(100_000): s = slice(s)\nhash(s)', { type: 'RecursionError' }],
  ['== of nested lists', 'a = []; b = []\nfor _ in range(100_000): a = [a]; b = [b]\na == b', { type: 'RecursionError' }],
  ['repr of nested dicts', 'd = {}\nfor _ in range(100_000): d = {1: d}\nrepr(d)', { type: 'RecursionError' }],
  // calls and lookups forwarded by C objects
  ['a partial of a partial (subclass)', 'import functools\nclass P(functools.partial): pass\nf = abs\nfor _ in range(50_000):\n    f = P(f); f.x = 1\nf(1)', { type: 'RecursionError' }],
  ['a bound method of a bound method', 'import types\nf = lambda *a: 1\nfor _ in range(20_000): f = types.MethodType(f, 1)\nf()', { type: 'RecursionError' }],
  ['hash of nested bound methods', 'import types\nf = lambda *a: 1\nfor _ in range(100_000): f = types.MethodType(f, f)\nhash(f)', { type: 'RecursionError' }],
  ['a mapping proxy of a mapping proxy', 'import types\nm = {"a": 1}\nfor _ in range(100_000): m = types.MappingProxyType(m)\nm["a"]', { type: 'RecursionError' }],
  ['len of nested mapping proxies', 'import types\nm = {"a": 1}\nfor _ in range(100_000): m = types.MappingProxyType(m)\nlen(m)', { type: 'RecursionError' }],
  ['a generic alias of a generic alias, called', 'import types\ng = list\nfor _ in range(100_000): g = types.GenericAlias(g, ())\ng()', { type: 'RecursionError' }],
  ['__parameters__ of nested generic aliases', 'g = int\nfor _ in range(100_000): g = list[g]\ng.__parameters__', { type: 'RecursionError' }],
  ['hash of nested generic aliases', 'g = int\nfor _ in range(100_000): g = list[g]\nhash(g)', { type: 'RecursionError' }],
  ['isinstance with nested tuples', 't = int\nfor _ in range(100_000): t = (t,)\nisinstance(1, t)', { type: 'RecursionError' }],
  // recursion through Python and C (eval-loop activations weigh more)
  ['__getattr__ forwarding', 'class A:\n    def __getattr__(s, n): return getattr(s.inner, n)\nx = 1\nfor _ in range(50_000):\n    a = A(); a.__dict__["inner"] = x; x = a\nx.real', { type: 'RecursionError' }],
  ['__format__ forwarding', 'class F:\n    def __format__(s, spec): return format(s.inner, spec)\nx = 1\nfor _ in range(50_000):\n    f = F(); f.inner = x; x = f\nformat(x, "")', { type: 'RecursionError' }],
  ['contextvars run in run', 'import contextvars\ndef f(n): return contextvars.copy_context().run(f, n - 1) if n else 0\nf(5000)', { type: 'RecursionError' }],
  ['a sort key that sorts', 'import sys\nsys.setrecursionlimit(100_000)\ndef g(n): return sorted([1], key=lambda k: g(n - 1)) if n else 0\ng(5000)', { type: 'RecursionError' }],
  // generators, serialisers, trees
  ['throw into 900 nested generators', 'def g(n):\n    if n: yield from g(n - 1)\n    else: yield 1\nx = g(900); next(x)\ntry:\n    x.throw(ValueError)\nexcept ValueError:\n    pass\n"caught"', { value: 'caught' }],
  ['pickle of a nested list', 'import pickle\nl = []\nfor _ in range(100_000): l = [l]\npickle.dumps(l)', { type: 'RecursionError' }],
  ['json.loads of nested arrays', 'import json\njson.loads("[" * 100_000 + "]" * 100_000)', { type: 'RecursionError' }],
  ['marshal of a nested list', 'import marshal\nl = []\nfor _ in range(100_000): l = [l]\nmarshal.dumps(l)', { type: 'ValueError', message: /too deeply nested/ }],
  ['copy.deepcopy of an Element tree', 'import xml.etree.ElementTree as ET, copy\ne = r = ET.Element("a")\nfor _ in range(100_000): e = ET.SubElement(e, "a")\ncopy.deepcopy(r)', { type: 'RecursionError' }],
  // compiling deep source
  ['compile of 100,000 unary minus', 'compile("-" * 100_000 + "1", "s", "eval")', { type: 'MemoryError', message: /too complex to parse/ }],
  ['compile of a 100,000-term sum', 'compile("1" + "+1" * 100_000, "s", "eval")', { type: 'RecursionError' }],
  ['compile deep inside recursion', 'def f(n): return sorted([1], key=lambda k: f(n - 1)) if n else compile("-" * 100_000 + "1", "s", "eval")\nf(120)', { type: 'MemoryError', message: /too complex to parse/ }],
  // freeing long chains (each link freed from the previous one's dealloc)
  ['freeing a chain of enumerates', 'it = iter([1])\nfor _ in range(100_000): it = enumerate(it)\ndel it\n"freed"', { value: 'freed' }],
  ['freeing a chain of islices', 'import itertools\nit = iter([1])\nfor _ in range(100_000): it = itertools.islice(it, 1)\ndel it\n"freed"', { value: 'freed' }],
  ['freeing nested generic aliases', 'import types\ng = list\nfor _ in range(100_000): g = types.GenericAlias(g, ())\ndel g\n"freed"', { value: 'freed' }],
  ['freeing nested mapping proxies', 'import types\nm = {}\nfor _ in range(100_000): m = types.MappingProxyType(m)\ndel m\n"freed"', { value: 'freed' }],
  ['freeing nested staticmethods', 'f = abs\nfor _ in range(100_000): f = staticmethod(f)\ndel f\n"freed"', { value: 'freed' }],
  ['freeing nested bound methods, then collecting', 'import types, gc\nf = abs\nfor _ in range(100_000): f = types.MethodType(f, 1)\ndel f\ngc.collect() >= 0', { value: true }],
];

/** Registers the soundness cases for one engine. */
export function defineSoundness(label: string, createBox: (options?: PyBoxOptions) => Promise<PyBoxBase>): void {
  describe(`a sound guest (${label})`, () => {
    let box: PyBoxBase;
    let keeper: Context;

    beforeAll(async () => {
      box = await createBox();
      keeper = await box.createContext();
      ok(await keeper.exec('kept = 41'));
    });
    afterAll(async () => {
      // Every case left the box and the contexts created before it intact.
      expect(ok(await keeper.exec('kept + 1')).value).toBe(42);
      await box.close();
    });

    it('collects an operator.methodcaller in a reference cycle (tp_clear returned void: a wasm trap)', async () => {
      const ctx = await box.createContext();
      // The dict is tracked by the GC only once it holds the methodcaller, so the GC clears
      // the methodcaller first: its tp_clear runs.
      const r = ok(await ctx.exec('import gc, operator\nd = {}\nm = operator.methodcaller("x", d)\nd["m"] = m\ndel d, m\ngc.collect()'));
      expect(r.value).toBeGreaterThanOrEqual(2);
      expect(ok(await ctx.exec('import glob\nglob.glob("/lib/*")\ngc.collect() >= 0')).value).toBe(true);
      await ctx.dispose();
    });

    for (const [name, code, expected] of DEEP) {
      it(`ends ${name} as ${'type' in expected ? expected.type : 'a value'}`, async () => {
        const ctx = await box.createContext();
        const r = await ctx.exec(code, { timeoutMs: 60_000 });
        if ('type' in expected) {
          const failed = fails(r, expected.type);
          if (expected.message) expect(failed.error.message).toMatch(expected.message);
        } else {
          expect(ok(r).value).toEqual(expected.value);
        }
        // The context goes on, and freeing what the case built (dispose) does not crash either.
        expect(ok(await ctx.exec('6 * 7')).value).toBe(42);
        await ctx.dispose();
      });
    }

    it('compiles a 320 KB f-string (quadratic in the tokenizer before the patch)', async () => {
      const ctx = await box.createContext();
      ok(await ctx.exec('x = "ab"'));
      const source = `s = f"${'{x}'.repeat(106_000)}"\nlen(s)`;
      expect(ok(await ctx.exec(source, { timeoutMs: 20_000 })).value).toBe(212_000);
      expect(ok(await ctx.exec('f"{x=} {x!r:>6} {len(x) = }"')).value).toBe("x='ab'   'ab' len(x) = 2");
      await ctx.dispose();
    });

    it('compiles a call with 40,000 keyword arguments (quadratic duplicate check before the patch)', async () => {
      const ctx = await box.createContext();
      const r = ok(await ctx.exec('src = "dict(" + ", ".join(f"a{i}={i}" for i in range(40_000)) + ")"\nlen(eval(src))', { timeoutMs: 20_000 }));
      expect(r.value).toBe(40_000);
      const dup = await ctx.exec('eval("dict(" + ", ".join(f"a{i}=1" for i in range(100)) + ", a7=2)")');
      expect(fails(dup, 'SyntaxError').error.message).toContain('keyword argument repeated: a7');
      await ctx.dispose();
    });

    it('stops compile() of a huge source at the time limit', async () => {
      const ctx = await box.createContext();
      ok(await ctx.exec('src = "\\n".join(f"v{i} = [{i}, {i} + 1, str({i})]" for i in range(150_000))'));
      // Without the compiler's interrupt checks the exec overran its limit by the whole
      // compile (a hard stop on worker engines).
      await expect(ctx.exec('compile(src, "big", "exec")', { timeoutMs: 300 })).rejects.toMatchObject({ name: 'TimeLimitError' });
      expect(ok(await ctx.exec('len(src) > 4_000_000')).value).toBe(true);
      await ctx.dispose();
    });
  });
}
