/**
 * A real host stack overflow inside the guest, for the crash-recovery tests (Node in-thread and a
 * browser page's own thread): the exec is started under deep JS recursion, so the guest's native
 * frames run out of the host's stack.
 */
import { GuestCrashError } from '@pybox/core';

/** C recursion (repr of nested lists): each level is a native wasm frame on the host's stack. */
export const DEEP_C = 'y = []\nfor i in range(900): y = [y]\nlen(repr(y))';

/** Calls `fn` under `depth` JS frames, so that what it runs synchronously has little stack left. */
function under<T>(depth: number, fn: () => T): T {
  return depth > 0 ? under(depth - 1, fn) : fn();
}

/**
 * Runs `start` ever deeper in the JS stack until the guest itself overflows the host's stack
 * (a GuestCrashError), between "enough stack" (it succeeds) and "no stack even for the host's
 * own code" (a RangeError before the guest is entered). Returns that error. The window between
 * the two is narrow and moves while V8 tiers up the guest's code (its frames change size), so
 * a bisection that misses it is tried again.
 */
export async function overflowInsideGuest(start: () => Promise<unknown>): Promise<GuestCrashError> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const crash = await bisect(start);
    if (crash) return crash;
  }
  throw new Error('no stack depth made the guest overflow the host stack');
}

async function bisect(start: () => Promise<unknown>): Promise<GuestCrashError | null> {
  let lo = 0;
  let hi = 200_000;
  while (lo < hi) {
    const depth = (lo + hi) >> 1;
    let outcome: unknown;
    try {
      outcome = await under(depth, start).then(
        () => 'ok' as const,
        (e: unknown) => e,
      );
    } catch (e) {
      outcome = e; // the recursion itself ran out of stack
    }
    if (outcome instanceof GuestCrashError) return outcome;
    if (outcome === 'ok') lo = depth + 1;
    else if (outcome instanceof RangeError) hi = depth;
    else throw outcome;
  }
  return null;
}
