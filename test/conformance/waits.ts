/**
 * Honest waits, on every engine: a wait (asyncio timers, tool calls,
 * time.sleep) is never mistaken for runaway code — it ends cleanly at the
 * wall-clock limit, on interrupt or on abort, with the box and the other
 * contexts intact — and CPU-bound code is covered by the watchdog whatever
 * else is in flight. Each group runs on a fresh box.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AbortedError, GuestCrashError, WallTimeLimitError, type Context, type PyBoxBase } from '@pybox/core';
import { ok, testTools, type EngineUnderTest } from './suite.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sharedMemory = typeof SharedArrayBuffer === 'function';

async function rejection(p: Promise<unknown>): Promise<Error> {
  return p.then(
    (v) => new Error(`resolved with ${JSON.stringify(v)}`),
    (e: unknown) => e as Error,
  );
}

/** Registers the wait cases for one engine. */
export function defineWaits(engine: EngineUnderTest): void {
  describe(`honest waits: ${engine.name}`, () => {
    let box: PyBoxBase;
    let ctx: Context;
    let other: Context;
    const freshBox = () => {
      beforeAll(async () => {
        box = await engine.create({ tools: testTools() });
        ctx = await box.createContext();
        other = await box.createContext();
        ok(await other.exec('witness = "still here"'));
      });
      afterAll(async () => {
        await box?.close();
      });
    };
    // Each case runs in a context of its own (a stop inside asyncio may leave a context's event
    // loop unusable for async code: a guest issue tracked separately, not what is tested here).
    beforeEach(async () => {
      if (box && !box.isClosed) ctx = await box.createContext();
    });
    /** The box and the other context came through. */
    const intact = async () => {
      expect(ok(await other.exec('witness')).value).toBe('still here');
      expect(ok(await ctx.exec('1 + 1')).value).toBe(2);
    };

    describe('asyncio.sleep waits on the host', () => {
      freshBox();

      it('ends at the wall-clock limit with WallTimeLimitError, never a hard stop, with only a CPU limit in the way', async () => {
        const error = await rejection(ctx.exec('import asyncio\nawait asyncio.sleep(3600)', { timeoutMs: 200, wallTimeoutMs: 800 }));
        expect(error).toBeInstanceOf(WallTimeLimitError);
        expect(error.message).toBe('the exec ran past its wall-clock limit of 800 ms');
        await intact();
      });

      it('ends on box.interrupt() with AbortedError', async () => {
        const running = ctx.exec('import asyncio\nawait asyncio.sleep(3600)', { timeoutMs: 200 });
        await sleep(100);
        box.interrupt();
        expect(await rejection(running)).toBeInstanceOf(AbortedError);
        await intact();
      });

      it('ends on an aborted signal with AbortedError', async () => {
        const controller = new AbortController();
        const running = ctx.exec('import asyncio\nawait asyncio.sleep(3600)', { signal: controller.signal, timeoutMs: 200 });
        await sleep(100);
        controller.abort();
        const error = await rejection(running);
        expect(error).toBeInstanceOf(AbortedError);
        expect(error.message).toBe('the exec was aborted: its signal was aborted');
        await intact();
      });

      it('a sleep longer than the CPU limit plus the watchdog grace completes: waiting is not running', async () => {
        const r = ok(await ctx.exec('import asyncio\nawait asyncio.sleep(2.6)\n"woke"', { timeoutMs: 300 }));
        expect(r.value).toBe('woke');
        await intact();
      });
    });

    describe('time.sleep ends on the limits and on stops', () => {
      freshBox();

      it('is cut at the wall-clock limit: WallTimeLimitError', async () => {
        const error = await rejection(ctx.exec('import time\ntime.sleep(3600)', { timeoutMs: 60_000, wallTimeoutMs: 400 }));
        expect(error).toBeInstanceOf(WallTimeLimitError);
        await intact();
      });

      it.skipIf(engine.inThread)('ends on box.interrupt(): AbortedError with shared memory, a hard stop without', async () => {
        const running = ctx.exec('import time\ntime.sleep(3600)', { timeoutMs: 60_000 });
        await sleep(150);
        box.interrupt();
        const error = await rejection(running);
        if (sharedMemory) {
          expect(error).toBeInstanceOf(AbortedError);
          await intact();
        } else {
          expect(error).toBeInstanceOf(GuestCrashError);
          expect((error as GuestCrashError).reason).toBe('hard-stop-interrupt');
        }
      });

      it.skipIf(engine.inThread || !sharedMemory)('ends on an aborted signal, and only that exec', async () => {
        const controller = new AbortController();
        const sleeping = ctx.exec('import time\ntime.sleep(3600)', { timeoutMs: 60_000, signal: controller.signal });
        const waiting = other.exec('r = await fetch_item(3, delay_ms=300)\nr["id"]');
        await sleep(100);
        controller.abort();
        expect(await rejection(sleeping)).toBeInstanceOf(AbortedError);
        expect(ok(await waiting).value).toBe(3);
        await intact();
      });
    });

    describe.skipIf(engine.inThread)('the watchdog covers CPU-bound code whatever is in flight', () => {
      freshBox();

      it('stops a builtin past its time limit while a tool call is in flight', async () => {
        const error = await rejection(
          ctx.exec('import asyncio\nt = asyncio.create_task(fetch_item(1, delay_ms=60000))\nawait asyncio.sleep(0)\nsum(range(10**13))', {
            timeoutMs: 400,
          }),
        );
        expect(error).toBeInstanceOf(GuestCrashError);
        expect((error as GuestCrashError).reason).toBe('hard-stop-time-limit');
        ctx = await box.createContext();
        other = await box.createContext();
        ok(await other.exec('witness = "still here"'));
        await intact();
      });

      it('interrupts CPU-bound code while a tool call is in flight', async () => {
        const running = ctx.exec('import asyncio\nt = asyncio.create_task(fetch_item(1, delay_ms=60000))\nawait asyncio.sleep(0)\nwhile True: pass', {
          timeoutMs: 60_000,
        });
        await sleep(200);
        box.interrupt();
        const error = await rejection(running);
        if (sharedMemory) {
          expect(error).toBeInstanceOf(AbortedError);
        } else {
          expect(error).toBeInstanceOf(GuestCrashError);
          expect((error as GuestCrashError).reason).toBe('hard-stop-interrupt');
          ctx = await box.createContext();
          other = await box.createContext();
          ok(await other.exec('witness = "still here"'));
        }
        await intact();
      });
    });
  });
}
