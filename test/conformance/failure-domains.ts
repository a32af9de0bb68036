/**
 * Failure domains, on every engine: the fault of one call — a throwing
 * callback, a tool that throws something odd, an abort, an interrupt, a
 * hard stop — ends that call with a typed error and leaves other execs,
 * other contexts, the box and the process intact. Each group runs on a
 * fresh box.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbortedError, CallbackError, ContextDisposedError, GuestCrashError, type Context, type PyBoxBase } from '@pybox/core';
import { ok, testTools, type EngineUnderTest } from './suite.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Whether this thread (and so the box's worker) has SharedArrayBuffer: aborts then reach CPU-bound code. */
const sharedMemory = typeof SharedArrayBuffer === 'function';

/** What a rejected call rejected with (or a marker error when it resolved). */
async function rejection(p: Promise<unknown>): Promise<Error> {
  return p.then(
    (v) => new Error(`resolved with ${JSON.stringify(v)}`),
    (e: unknown) => e as Error,
  );
}

/** Tool handlers that throw or return values of every awkward shape. */
function awkwardTools(): Parameters<PyBoxBase['defineTools']>[0] {
  const nameThrows = new Error('the name getter throws');
  Object.defineProperty(nameThrows, 'name', {
    get() {
      throw new Error('no name for you');
    },
  });
  const messageThrows = new Error('hidden');
  Object.defineProperty(messageThrows, 'message', {
    get() {
      throw new Error('no message for you');
    },
  });
  const trap = () => {
    throw new Error('trap');
  };
  // Every trap throws, except that it is not a thenable (reading `then` gives undefined).
  const hostileProxy = new Proxy(
    {},
    {
      get: (_target, key) => (key === 'then' ? undefined : trap()),
      getPrototypeOf: trap,
      ownKeys: trap,
      getOwnPropertyDescriptor: trap,
      has: trap,
    },
  );
  const poisonedThen = {
    get then() {
      throw Object.assign(new Error('then exploded'), { name: 'ValueError' });
    },
  };
  const list: [string, () => unknown][] = [
    ['throws_null_proto', () => Promise.reject(Object.create(null))],
    ['throws_null_proto_sync', () => {
      throw Object.create(null);
    }],
    ['throws_frozen', () => Promise.reject(Object.freeze(Object.assign(new Error('frozen'), { name: 'ValueError' })))],
    ['throws_proxy', () => Promise.reject(hostileProxy)],
    ['throws_name_getter', () => Promise.reject(nameThrows)],
    ['throws_message_getter', () => Promise.reject(messageThrows)],
    ['throws_undefined', () => Promise.reject(undefined)],
    ['throws_named_plain_object', () => Promise.reject({ name: 'ValueError', message: 'not an Error' })],
    ['returns_proxy', async () => hostileProxy],
    ['returns_null_proto', async () => Object.assign(Object.create(null), { a: 1 })],
    ['returns_frozen', async () => Object.freeze({ b: [1, 2] })],
    ['returns_map', async () => new Map([['a', 1]])],
    ['returns_poisoned_then', () => poisonedThen],
  ];
  return list.map(([name, handler]) => ({ name, parameters: { type: 'object', properties: {} }, handler }));
}

/** [tool, Python exception type, message] for each awkward tool. */
const AWKWARD_OUTCOMES: [string, string, string | RegExp][] = [
  ['throws_null_proto', 'ToolError', 'a value of type object was thrown'],
  ['throws_null_proto_sync', 'ToolError', 'a value of type object was thrown'],
  ['throws_frozen', 'ValueError', 'frozen'],
  ['throws_proxy', 'ToolError', 'a value of type object was thrown'],
  ['throws_name_getter', 'ToolError', 'the name getter throws'],
  ['throws_message_getter', 'ToolError', 'tool throws_message_getter failed'], // the guest's words for an empty message
  ['throws_undefined', 'ToolError', 'undefined'],
  ['throws_named_plain_object', 'ToolError', 'not an Error'],
  ['returns_proxy', 'TypeError', /^the result of tool returns_proxy cannot be converted to JSON: trap$/],
  ['returns_map', 'TypeError', /^the result of tool returns_map contains a Map, which JSON cannot carry/],
  ['returns_poisoned_then', 'ValueError', 'then exploded'],
];

/** Registers the failure-domain cases for one engine. */
export function defineFailureDomains(engine: EngineUnderTest): void {
  describe(`failure domains: ${engine.name}`, () => {
    let box: PyBoxBase;
    let ctx: Context;
    let toolRuns = 0;
    const freshBox = () => {
      beforeAll(async () => {
        toolRuns = 0;
        box = await engine.create({
          tools: [
            ...testTools(),
            ...awkwardTools(),
            {
              name: 'counted',
              description: 'Counts its runs, then waits.',
              parameters: { type: 'object', properties: { delay_ms: { type: 'integer' } } },
              handler: async ({ delay_ms }) => {
                toolRuns++;
                await sleep(Number(delay_ms ?? 1));
                return toolRuns;
              },
            },
          ],
        });
        ctx = await box.createContext();
      });
      afterAll(async () => {
        await box?.close();
      });
    };

    describe('output callbacks', () => {
      freshBox();

      it('ends the exec with CallbackError when onStdout throws, calls it no more, and the context goes on', async () => {
        const seen: string[] = [];
        const error = await rejection(
          ctx.exec('import asyncio, sys\nsys.stdout.write("first\\n")\nawait asyncio.sleep(0.05)\nprint("second")\nafter = True', {
            onStdout: (text) => {
              seen.push(text);
              throw new Error('the socket is closed');
            },
          }),
        );
        expect(error).toBeInstanceOf(CallbackError);
        expect(error.message).toBe('onStdout threw (Error: the socket is closed), so the exec was stopped: output callbacks must not throw');
        expect((error as CallbackError).callback).toBe('onStdout');
        expect(seen).toEqual(['first\n']);
        // The exec was stopped before its end, and the context is fine.
        await expect(ctx.get('after')).rejects.toMatchObject({ name: 'PythonError', type: 'NameError' });
        expect(ok(await ctx.exec('1 + 1')).value).toBe(2);
      });

      it('reports a throwing onStderr that throws a value with no usable name or message', async () => {
        const error = await rejection(
          ctx.exec('import sys\nprint("oops", file=sys.stderr)', {
            onStderr: () => {
              throw Object.create(null);
            },
          }),
        );
        expect(error).toBeInstanceOf(CallbackError);
        expect((error as CallbackError).callback).toBe('onStderr');
        expect(error.message).toBe('onStderr threw (Error: a value of type object was thrown), so the exec was stopped: output callbacks must not throw');
        expect(ok(await ctx.exec('2 + 2')).value).toBe(4);
      });

      // Unobserved, an async callback's rejection would end the Node process (vitest reports it as an
      // unhandled rejection and fails the run): it must end the exec instead.
      it('ends the exec with CallbackError when an async onStdout rejects, and the context goes on', async () => {
        const error = await rejection(
          ctx.exec('import asyncio\nprint("first")\nawait asyncio.sleep(0.05)\nprint("second")\nafter_async = True', {
            onStdout: async () => {
              throw new Error('the stream is gone');
            },
          }),
        );
        expect(error).toBeInstanceOf(CallbackError);
        expect(error.message).toBe('onStdout rejected (Error: the stream is gone), so the exec was stopped: output callbacks must not throw');
        await expect(ctx.get('after_async')).rejects.toMatchObject({ name: 'PythonError', type: 'NameError' });
        expect(ok(await ctx.exec('5 + 5')).value).toBe(10);
      });

      // The test's own timeout is far below the time limit: output printed just before CPU-bound
      // code must reach the callback while that code runs, not when the time limit ends it.
      it('stops CPU-bound code when its callback throws', { timeout: 15_000 }, async () => {
        const error = await rejection(
          ctx.exec('print("go")\nwhile True: pass', {
            timeoutMs: 60_000,
            onStdout: () => {
              throw new Error('stop');
            },
          }),
        );
        // With a shared flag (or in-thread) the guest sees the stop; without one the worker is replaced:
        // either way the error is the callback's.
        expect(error).toBeInstanceOf(CallbackError);
        const next = engine.inThread || sharedMemory ? ctx : (ctx = await box.createContext());
        expect(ok(await next.exec('3 + 3')).value).toBe(6);
      });
    });

    describe('tool handlers that throw or return odd things', () => {
      freshBox();

      for (const [tool, type, message] of AWKWARD_OUTCOMES) {
        it(`${tool}: Python gets ${type}`, async () => {
          const r = await ctx.exec(`try:\n  await ${tool}()\nexcept Exception as e:\n  r = [type(e).__name__, str(e)]\nr`);
          const [gotType, gotMessage] = ok(r).value as [string, string];
          expect(gotType).toBe(type);
          if (typeof message === 'string') expect(gotMessage).toBe(message);
          else expect(gotMessage).toMatch(message);
          expect(ok(await ctx.exec('await add(2, 3)')).value).toBe(5);
        });
      }

      it('passes null-prototype and frozen results through as plain data', async () => {
        expect(ok(await ctx.exec('[await returns_null_proto(), await returns_frozen()]')).value).toEqual([{ a: 1 }, { b: [1, 2] }]);
      });
    });

    describe('aborts and interrupts are per exec', () => {
      freshBox();

      it("aborting one exec's signal never stops another context's exec", async () => {
        const a = await box.createContext();
        const b = await box.createContext();
        const controller = new AbortController();
        const first = a.exec('await fetch_item(1, delay_ms=300)', { signal: controller.signal });
        const second = b.exec('r = await fetch_item(2, delay_ms=300)\nr["id"]');
        await sleep(50);
        controller.abort();
        expect(await rejection(first)).toMatchObject({ name: 'AbortedError', message: 'the exec was aborted: its signal was aborted' });
        expect(ok(await second).value).toBe(2);
        await a.dispose();
        await b.dispose();
      });

      it('box.interrupt() stops the execs running now and none started later', async () => {
        const running = ctx.exec('await counted(delay_ms=5000)');
        await sleep(50);
        box.interrupt();
        const error = await rejection(running);
        expect(error).toBeInstanceOf(AbortedError);
        expect(error.message).toBe('the exec was interrupted: box.interrupt() was called while it ran');
        const before = toolRuns;
        const contexts = await Promise.all(Array.from({ length: 20 }, () => box.createContext()));
        const later = await Promise.all(contexts.map((c) => c.exec('await counted(delay_ms=20)')));
        for (const r of later) expect(r.ok).toBe(true);
        expect(toolRuns - before).toBe(20); // each tool ran once, and no exec was stopped
        await Promise.all(contexts.map((c) => c.dispose()));
      });

      it('an already-aborted signal rejects with AbortedError and the code never runs', async () => {
        const before = toolRuns;
        const error = await rejection(ctx.exec('ran = True\nawait counted()', { signal: AbortSignal.abort(new Error('raw reason')) }));
        expect(error).toBeInstanceOf(AbortedError);
        expect(error.message).toBe('the exec was aborted before it started: its signal was already aborted, so the code did not run');
        expect(toolRuns).toBe(before);
        await expect(ctx.get('ran')).rejects.toMatchObject({ name: 'PythonError', type: 'NameError' });
      });

      it.skipIf(engine.inThread)('aborting CPU-bound code stops it; a waiting exec of another context goes on (or is lost to a hard stop without shared memory)', async () => {
        const a = await box.createContext();
        const b = await box.createContext();
        const waiting = b.exec('r = await fetch_item(7, delay_ms=400)\nr["id"]');
        const controller = new AbortController();
        const spinning = a.exec('while True: pass', { timeoutMs: 60_000, signal: controller.signal });
        await sleep(100);
        controller.abort();
        const error = await rejection(spinning);
        if (sharedMemory) {
          expect(error).toBeInstanceOf(AbortedError);
          expect(ok(await waiting).value).toBe(7);
          expect(ok(await a.exec('5 * 5')).value).toBe(25);
          await a.dispose();
          await b.dispose();
        } else {
          expect(error).toBeInstanceOf(GuestCrashError);
          expect((error as GuestCrashError).reason).toBe('hard-stop-interrupt');
          expect(await rejection(waiting)).toBeInstanceOf(GuestCrashError);
          ctx = await box.createContext();
        }
      });
    });

    describe.skipIf(engine.inThread)('hard stops say why and what was lost', () => {
      freshBox();

      it('a long builtin past the time limit: reason hard-stop-time-limit, every context counted, old handles dead', async () => {
        const others = await Promise.all([box.createContext(), box.createContext()]);
        ok(await others[0]!.exec('kept = 1'));
        const error = await rejection(ctx.exec('sum(range(10**13))', { timeoutMs: 300 }));
        expect(error).toBeInstanceOf(GuestCrashError);
        expect((error as GuestCrashError).reason).toBe('hard-stop-time-limit');
        expect((error as GuestCrashError).contextsLost).toBe(3);
        for (const old of [ctx, ...others]) {
          const stale = await rejection(old.exec('kept'));
          expect(stale).toBeInstanceOf(ContextDisposedError);
          expect(stale.message).toBe(
            'this context was lost when the box restarted its guest (hard-stop-time-limit; 3 context(s) lost): create a new one with box.createContext()',
          );
          expect(old.isLive).toBe(false);
        }
        // New contexts may reuse the guest's ids; the old handles still never reach them.
        const fresh = await Promise.all([box.createContext(), box.createContext(), box.createContext()]);
        ok(await fresh[0]!.exec('kept = "new"'));
        await expect(others[0]!.get('kept')).rejects.toBeInstanceOf(ContextDisposedError);
        expect(ok(await fresh[1]!.exec('await add(20, 22)')).value).toBe(42);
        ctx = fresh[2]!;
      });
    });
  });
}
